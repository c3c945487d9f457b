#pragma once

#include "../log/LogStore.h"

#include <functional>
#include <utility>
#include <vector>

// The server's own bounded log that /api/events and /api/log read, and the sequence numbers it
// hands out. One per process in the dashboard: EngineHost passes it from engine to engine, so a
// restart (or a listener change) does not start the numbers again, and a follower resuming with
// ?since= or Last-Event-ID after it misses and repeats nothing. Used on the engine thread only;
// engines serving side by side during a restart share that thread.
class EventLog
{
public:
    EventLog(int capacity, int payloadCap, qint64 maxBytes) : m_store(capacity, payloadCap, maxBytes) {}

    // Numbers the records after every record before them, keeps them, then calls every listener.
    void append(LogRecordBatch &records);
    const LogStore &store() const { return m_store; }
    LogStore &store() { return m_store; }
    quint64 lastSequence() const { return m_lastSequence; } // the newest record's (0: none yet)

    // Called after every append; removeListener() with the returned id.
    int addListener(std::function<void()> listener);
    void removeListener(int id);

private:
    LogStore m_store;
    quint64 m_lastSequence = 0;
    int m_nextListenerId = 1;
    std::vector<std::pair<int, std::function<void()>>> m_listeners;
};
