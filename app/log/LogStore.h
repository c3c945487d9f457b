#pragma once

#include "LogRecord.h"

#include <vector>

// The in-memory message log: a ring buffer of the newest records. When full, appending evicts
// the oldest; evictedTotal() counts every record that has left memory. Each record keeps at most
// payloadCap() payload bytes (LogRecord::size still says how large the message really was), so
// memory is bounded by capacity() * (payloadCap() + the record's own fields).
class LogStore
{
public:
    static constexpr int kDefaultCapacity = 100000;
    static constexpr int kDefaultPayloadCap = 64 * 1024;

    explicit LogStore(int capacity = kDefaultCapacity, int payloadCap = kDefaultPayloadCap);

    int capacity() const { return m_capacity; }
    int size() const { return m_size; }
    bool isEmpty() const { return m_size == 0; }
    quint64 evictedTotal() const { return m_evictedTotal; }
    int payloadCap() const { return m_payloadCap; }
    // Payload bytes held (after capping); shared payloads are counted once per record.
    qint64 storedPayloadBytes() const { return m_payloadBytes; }

    // Index 0 is the oldest record kept.
    const LogRecord &at(int index) const;
    // Copies of records [first, first + count) (payloads stay shared).
    LogRecordBatch records(int first = 0, int count = -1) const;

    // How many of the oldest records appending `count` more would evict.
    int evictionsFor(int count) const;
    void append(const LogRecordBatch &records);
    void append(const LogRecord &record);
    // Drops the oldest `count` records (counted as evicted).
    void removeOldest(int count);
    // Forgets every record (not counted as evicted: the user asked for it).
    void clear();
    // Changing capacity keeps the newest records that fit.
    void setCapacity(int capacity);
    // Applies to records appended from now on.
    void setPayloadCap(int bytes);

    // The record as this store would keep it: the payload cut to payloadCap() bytes.
    LogRecord capped(const LogRecord &record) const;

private:
    void put(const LogRecord &record);
    std::size_t slot(int index) const { return static_cast<std::size_t>((m_head + index) % m_capacity); }

    // Grows up to m_capacity as records arrive, so a small log does not pay for a large capacity.
    std::vector<LogRecord> m_ring;
    int m_capacity;
    int m_payloadCap;
    int m_head = 0; // slot of the oldest record
    int m_size = 0;
    quint64 m_evictedTotal = 0;
    qint64 m_payloadBytes = 0;
};
