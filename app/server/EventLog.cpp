#include "EventLog.h"

#include <algorithm>

void EventLog::append(LogRecordBatch &records)
{
    if (records.isEmpty())
        return;
    for (LogRecord &record : records)
        record.sequence = ++m_lastSequence;
    m_store.append(records);
    // A listener may remove itself (a stream closing while it writes): call a copy.
    const auto listeners = m_listeners;
    for (const auto &entry : listeners)
        entry.second();
}

int EventLog::addListener(std::function<void()> listener)
{
    const int id = m_nextListenerId++;
    m_listeners.emplace_back(id, std::move(listener));
    return id;
}

void EventLog::removeListener(int id)
{
    m_listeners.erase(std::remove_if(m_listeners.begin(), m_listeners.end(),
                                     [id](const auto &entry) { return entry.first == id; }),
                      m_listeners.end());
}
