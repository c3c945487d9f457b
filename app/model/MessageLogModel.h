#pragma once

#include "../log/LogStore.h"

#include <QAbstractTableModel>

// The message log as a table, fed in batches: one beginRemoveRows for what the ring buffer
// evicts, then one beginInsertRows for the batch. Cell text is built lazily in data().
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

    void appendBatch(const LogRecordBatch &records);
    void clear();
    void setCapacity(int capacity);

    // A one-line preview of a payload (text as is, binary as hex), at most maxChars.
    static QString preview(const LogRecord &record, int maxChars = 200);

Q_SIGNALS:
    void evictedTotalChanged(quint64 evictedTotal);

private:
    LogStore m_store;
};
