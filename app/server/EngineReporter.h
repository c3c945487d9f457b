#pragma once

#include "ClientInfo.h"
#include "../log/LogRecord.h"

#include <QHash>
#include <QSet>
#include <QTimer>

class ClientSession;
class Engine;

// The engine's bookkeeping, kept apart from its message path: log records, the client rows that
// changed, and whether the totals or the cluster view moved. The path only notes what happened;
// all of it reaches the GUI (or the headless recorder) as one batch of the engine's signals at
// most every Engine::kFlushIntervalMs.
class EngineReporter
{
public:
    explicit EngineReporter(Engine &engine);

    // A record about one client, stamped now; the caller fills in the rest.
    static LogRecord makeRecord(const ClientSession *session, LogRecord::Direction direction, LogRecord::Kind kind);
    void record(LogRecord record);
    // The client's row changed (counters, state): it goes with the next batch, once however
    // often this is called (every message a client sends or receives calls it).
    void markChanged(ClientSession *session);
    // The client is gone: its final row goes with the next batch.
    void clientEnded(const ClientInfo &info);
    void markStatsChanged();
    void markClusterChanged();
    // Sends what has gathered now; the timer calls it otherwise.
    void flush();

private:
    void scheduleFlush();

    Engine &m_engine;
    LogRecordBatch m_pendingRecords;
    // Clients whose row changed since the last flush: ids only (the flush reads the live session),
    // plus the final state of those that ended in between.
    QSet<quint64> m_changedClients;
    QHash<quint64, ClientInfo> m_endedClients;
    QTimer m_flushTimer;
    bool m_statsDirty = false;
    bool m_clusterDirty = false;
};
