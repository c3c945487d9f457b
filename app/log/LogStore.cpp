#include "LogStore.h"

#include <algorithm>

LogStore::LogStore(int capacity) : m_capacity(std::max(1, capacity)) {}

const LogRecord &LogStore::at(int index) const
{
    return m_ring[static_cast<std::size_t>((m_head + index) % m_capacity)];
}

int LogStore::evictionsFor(int count) const
{
    return std::max(0, m_size + count - m_capacity);
}

void LogStore::append(const LogRecordBatch &records)
{
    if (m_ring.size() != static_cast<std::size_t>(m_capacity))
        m_ring.resize(static_cast<std::size_t>(m_capacity));
    // Only the newest `capacity` records of a huge batch can stay.
    const int skip = std::max(0, static_cast<int>(records.size()) - m_capacity);
    m_evictedTotal += static_cast<quint64>(skip);
    for (int i = skip; i < records.size(); ++i) {
        if (m_size == m_capacity) {
            m_ring[static_cast<std::size_t>(m_head)] = records.at(i);
            m_head = (m_head + 1) % m_capacity;
            ++m_evictedTotal;
        } else {
            m_ring[static_cast<std::size_t>((m_head + m_size) % m_capacity)] = records.at(i);
            ++m_size;
        }
    }
}

void LogStore::removeOldest(int count)
{
    count = std::clamp(count, 0, m_size);
    for (int i = 0; i < count; ++i)
        m_ring[static_cast<std::size_t>((m_head + i) % m_capacity)] = LogRecord(); // free payloads now
    m_head = m_size == count ? 0 : (m_head + count) % m_capacity;
    m_size -= count;
    m_evictedTotal += static_cast<quint64>(count);
}

void LogStore::clear()
{
    m_ring.clear();
    m_head = 0;
    m_size = 0;
}

void LogStore::setCapacity(int capacity)
{
    capacity = std::max(1, capacity);
    LogRecordBatch kept;
    const int keep = std::min(m_size, capacity);
    kept.reserve(keep);
    for (int i = m_size - keep; i < m_size; ++i)
        kept.append(at(i));
    m_evictedTotal += static_cast<quint64>(m_size - keep);
    m_ring.clear();
    m_capacity = capacity;
    m_head = 0;
    m_size = 0;
    append(kept);
}
