#pragma once

#include "LogRecord.h"

#include <vector>

// The in-memory message log: a ring buffer of the newest records. When full, appending evicts
// the oldest; evictedTotal() counts every record that has left memory.
class LogStore
{
public:
    static constexpr int kDefaultCapacity = 100000;

    explicit LogStore(int capacity = kDefaultCapacity);

    int capacity() const { return m_capacity; }
    int size() const { return m_size; }
    bool isEmpty() const { return m_size == 0; }
    quint64 evictedTotal() const { return m_evictedTotal; }

    // Index 0 is the oldest record kept.
    const LogRecord &at(int index) const;

    // How many of the oldest records appending `count` more would evict.
    int evictionsFor(int count) const;
    void append(const LogRecordBatch &records);
    // Drops the oldest `count` records (counted as evicted).
    void removeOldest(int count);
    void clear();
    // Changing capacity keeps the newest records that fit.
    void setCapacity(int capacity);

private:
    std::vector<LogRecord> m_ring;
    int m_capacity;
    int m_head = 0; // index of the oldest record in m_ring
    int m_size = 0;
    quint64 m_evictedTotal = 0;
};
