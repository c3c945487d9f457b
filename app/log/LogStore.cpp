#include "LogStore.h"

#include <algorithm>

LogStore::LogStore(int capacity, int payloadCap)
    : m_capacity(std::max(1, capacity)), m_payloadCap(std::max(0, payloadCap))
{
}

const LogRecord &LogStore::at(int index) const
{
    Q_ASSERT(index >= 0 && index < m_size);
    return m_ring[slot(index)];
}

LogRecordBatch LogStore::records(int first, int count) const
{
    first = std::clamp(first, 0, m_size);
    count = count < 0 ? m_size - first : std::min(count, m_size - first);
    LogRecordBatch out;
    out.reserve(count);
    for (int i = first; i < first + count; ++i)
        out.append(at(i));
    return out;
}

int LogStore::evictionsFor(int count) const
{
    return std::max(0, m_size + count - m_capacity);
}

LogRecord LogStore::capped(const LogRecord &record) const
{
    if (record.payload.size() <= m_payloadCap)
        return record;
    LogRecord copy = record;
    // left() copies just the kept bytes, so the full message can be freed by whoever else holds it.
    copy.payload = record.payload.left(m_payloadCap);
    copy.size = std::max<qint64>(record.size, record.payload.size());
    return copy;
}

void LogStore::put(const LogRecord &record)
{
    LogRecord kept = capped(record);
    m_payloadBytes += kept.payload.size();
    if (m_size == m_capacity) {
        LogRecord &oldest = m_ring[static_cast<std::size_t>(m_head)];
        m_payloadBytes -= oldest.payload.size();
        oldest = std::move(kept);
        m_head = (m_head + 1) % m_capacity;
        ++m_evictedTotal;
        return;
    }
    const std::size_t next = slot(m_size);
    // Slots in use never wrap before the vector reaches m_capacity, so the next free slot is either
    // an existing one or exactly one past the end.
    if (next < m_ring.size())
        m_ring[next] = std::move(kept);
    else
        m_ring.push_back(std::move(kept));
    ++m_size;
}

void LogStore::append(const LogRecord &record)
{
    put(record);
}

void LogStore::append(const LogRecordBatch &records)
{
    // Only the newest `capacity` records of a huge batch can stay.
    const int skip = std::max(0, static_cast<int>(records.size()) - m_capacity);
    m_evictedTotal += static_cast<quint64>(skip);
    for (int i = skip; i < records.size(); ++i)
        put(records.at(i));
}

void LogStore::removeOldest(int count)
{
    count = std::clamp(count, 0, m_size);
    for (int i = 0; i < count; ++i) {
        LogRecord &record = m_ring[slot(i)];
        m_payloadBytes -= record.payload.size();
        record = LogRecord(); // free the payload now, not when the slot is reused
    }
    m_head = m_size == count ? 0 : (m_head + count) % m_capacity;
    m_size -= count;
    m_evictedTotal += static_cast<quint64>(count);
}

void LogStore::clear()
{
    std::vector<LogRecord>().swap(m_ring);
    m_head = 0;
    m_size = 0;
    m_payloadBytes = 0;
}

void LogStore::setCapacity(int capacity)
{
    capacity = std::max(1, capacity);
    const int keep = std::min(m_size, capacity);
    const LogRecordBatch kept = records(m_size - keep, keep);
    const quint64 evicted = m_evictedTotal + static_cast<quint64>(m_size - keep);
    clear();
    m_capacity = capacity;
    append(kept);
    m_evictedTotal = evicted;
}

void LogStore::setPayloadCap(int bytes)
{
    m_payloadCap = std::max(0, bytes);
}
