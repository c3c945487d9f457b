#pragma once

#include "LogRecord.h"

#include <algorithm>
#include <vector>

// The in-memory message log: a ring buffer of the newest records. Two bounds, whichever comes
// first: capacity() records and maxBytes() payload bytes in all; appending past either evicts the
// oldest, and evictedTotal() counts every record that has left memory. Each record keeps at most
// payloadCap() payload bytes (LogRecord::size still says how large the message really was). The
// byte bound is what keeps large messages from filling memory: 100,000 records of 64 KiB would
// be 6 GiB; with the default budget they are the newest 128 MiB. The newest record always stays.
class LogStore
{
public:
    static constexpr int kDefaultCapacity = 100000;
    static constexpr int kDefaultPayloadCap = 64 * 1024;
    static constexpr qint64 kDefaultMaxBytes = 128LL * 1024 * 1024;

    explicit LogStore(int capacity = kDefaultCapacity, int payloadCap = kDefaultPayloadCap,
                      qint64 maxBytes = kDefaultMaxBytes);

    int capacity() const { return m_capacity; }
    qint64 maxBytes() const { return m_maxBytes; }
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

    // How many of the records kept now appending `records` would evict, or -1 when the batch does
    // not fit on its own (more records or bytes than the bounds: some of its own would go too).
    int evictionsFor(const LogRecordBatch &records) const;
    void append(const LogRecordBatch &records);
    void append(const LogRecord &record);
    // Drops the oldest `count` records (counted as evicted).
    void removeOldest(int count);
    // Forgets every record (not counted as evicted: the user asked for it).
    void clear();
    // Changing a bound keeps the newest records that fit.
    void setCapacity(int capacity);
    void setMaxBytes(qint64 bytes);
    // Applies to records appended from now on.
    void setPayloadCap(int bytes);

    // The record as this store would keep it: the payload cut to payloadCap() bytes.
    LogRecord capped(const LogRecord &record) const;

private:
    void put(const LogRecord &record);
    void evictOverBudget();
    qint64 keptSize(const LogRecord &record) const { return std::min<qint64>(record.payload.size(), m_payloadCap); }
    std::size_t slot(int index) const { return static_cast<std::size_t>((m_head + index) % m_capacity); }

    // Grows up to m_capacity as records arrive, so a small log does not pay for a large capacity.
    std::vector<LogRecord> m_ring;
    int m_capacity;
    int m_payloadCap;
    qint64 m_maxBytes;
    int m_head = 0; // slot of the oldest record
    int m_size = 0;
    quint64 m_evictedTotal = 0;
    qint64 m_payloadBytes = 0;
};
