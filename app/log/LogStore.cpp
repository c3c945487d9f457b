#include "LogStore.h"

#include <algorithm>

LogStore::LogStore(int capacity, int payloadCap, qint64 maxBytes)
    : m_capacity(std::max(1, capacity)), m_payloadCap(std::max(0, payloadCap)), m_maxBytes(std::max<qint64>(0, maxBytes))
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

int LogStore::evictionsFor(const LogRecordBatch &records) const
{
    const int count = static_cast<int>(records.size());
    qint64 batchBytes = 0;
    for (const LogRecord &record : records)
        batchBytes += keptSize(record);
    if (count > m_capacity || (batchBytes > m_maxBytes && count > 1))
        return -1;
    // Appending evicts oldest first until both bounds hold, so the records that stay are the
    // longest run of the newest that fits: count the oldest that must go.
    int evictions = std::max(0, m_size + count - m_capacity);
    qint64 bytes = m_payloadBytes + batchBytes;
    for (int i = 0; i < evictions; ++i)
        bytes -= at(i).payload.size();
    while (bytes > m_maxBytes && evictions < m_size)
        bytes -= at(evictions++).payload.size();
    return evictions;
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
        evictOverBudget();
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
    evictOverBudget();
}

void LogStore::evictOverBudget()
{
    int over = 0;
    for (qint64 bytes = m_payloadBytes; bytes > m_maxBytes && over < m_size - 1; ++over)
        bytes -= at(over).payload.size();
    if (over > 0)
        removeOldest(over);
}

void LogStore::append(const LogRecord &record)
{
    put(record);
}

void LogStore::append(const LogRecordBatch &records)
{
    // Only the newest records of a huge batch can stay: as many as capacity() and maxBytes() allow.
    int skip = std::max(0, static_cast<int>(records.size()) - m_capacity);
    qint64 newestBytes = 0;
    for (int i = static_cast<int>(records.size()) - 1; i >= skip; --i) {
        newestBytes += keptSize(records.at(i));
        if (newestBytes > m_maxBytes && i < records.size() - 1) {
            skip = i + 1;
            break;
        }
    }
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

void LogStore::setMaxBytes(qint64 bytes)
{
    m_maxBytes = std::max<qint64>(0, bytes);
    evictOverBudget();
}

void LogStore::setPayloadCap(int bytes)
{
    m_payloadCap = std::max(0, bytes);
}
