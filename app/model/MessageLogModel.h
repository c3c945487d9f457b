#pragma once

#include "../log/LogStore.h"

#include <QAbstractTableModel>
#include <deque>
#include <functional>

// The message log as a table, fed in batches: one beginRemoveRows for what the ring buffer
// evicts, then one beginInsertRows for the batch. Cell text is built lazily in data().
//
// Pause: while paused, appendBatch() still keeps every record, but in a hold-back queue, so the
// rows a user is reading do not move. resume() lands the held records as one batch. The
// hold-back queue is bounded by capacity() and maxBytes() too (its oldest records count as
// evicted), so a paused log holds at most twice what a running one does.
class MessageLogModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Time, Direction, Client, Route, Kind, Size, Preview, ColumnCount };
    enum Role { RecordSequenceRole = Qt::UserRole + 1, DirectionRole, KindRole, ClientIdRole };

    explicit MessageLogModel(int capacity = LogStore::kDefaultCapacity, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const LogStore &store() const { return m_store; }
    const LogRecord &record(int row) const { return m_store.at(row); }
    // Copies of the visible records (payloads shared): all of them, or the given rows in the
    // order given (out-of-range rows are skipped). For exports and the replay viewer.
    LogRecordBatch records() const;
    LogRecordBatch records(const QList<int> &rows) const;

    int capacity() const { return m_store.capacity(); }
    int payloadCap() const { return m_store.payloadCap(); }
    qint64 maxBytes() const { return m_store.maxBytes(); }
    // Records that left memory: evicted from the visible log or dropped from the hold-back queue.
    quint64 evictedTotal() const { return m_store.evictedTotal() + m_heldDropped; }

    bool isPaused() const { return m_paused; }
    int heldBackCount() const { return m_heldCount; }

public Q_SLOTS:
    void appendBatch(const LogRecordBatch &records);
    void clear();
    // Replaces every row with records (one model reset), e.g. a recording loaded for replay.
    // Past capacity() only the newest stay; the rest count as evicted.
    void replaceAll(const LogRecordBatch &records);
    void setCapacity(int capacity);
    void setMaxBytes(qint64 bytes);
    void setPayloadCap(int bytes);
    // Pausing freezes the visible rows; resuming appends everything held back as one batch.
    void setPaused(bool paused);
    void pause() { setPaused(true); }
    void resume() { setPaused(false); }

public:
    // A one-line preview of a payload (text as is, binary as hex), at most maxChars.
    static QString preview(const LogRecord &record, int maxChars = 200);

Q_SIGNALS:
    void evictedTotalChanged(quint64 evictedTotal);
    void pausedChanged(bool paused);
    void heldBackCountChanged(int heldBackCount);

private:
    // One remove (evictions) + one insert for `count` records that appendAll() puts in the store.
    void insertRecords(const LogRecordBatch &records);
    // A smaller bound evicts at once (one reset), in the log and the hold-back queue.
    void changeBounds(const std::function<void()> &change);
    void holdBack(const LogRecordBatch &records);
    void trimHeld();

    LogStore m_store;
    bool m_paused = false;
    std::deque<LogRecordBatch> m_held; // batches as they arrived; payloads already capped
    int m_heldCount = 0;
    qint64 m_heldBytes = 0;
    quint64 m_heldDropped = 0;
};
