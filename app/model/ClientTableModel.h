#pragma once

#include "../server/ClientInfo.h"

#include <QAbstractTableModel>
#include <QHash>
#include <functional>

// Connected (and recently closed) clients as a table, updated from the engine's batches:
// changed rows get one dataChanged per run of adjacent rows, new clients one beginInsertRows
// per batch.
// Closed clients stay until clearClosed(), at most kMaxClosedRows of them (oldest go first).
class ClientTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        Id, Peer, Path, Subprotocol, Compression, Origin, ConnectedFor, MessagesIn, MessagesOut, BytesIn, BytesOut,
        BytesToWrite, LastRtt, State, ColumnCount
    };
    enum Role { ClientIdRole = Qt::UserRole + 1, IsClosedRole, SortRole };
    static constexpr int kMaxClosedRows = 1000;

    explicit ClientTableModel(QObject *parent = nullptr);

    // The Compression column: "none", "deflate" (no context takeover) or "deflate, context kept".
    static QString compressionSummary(const QString &extensions);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const ClientInfo &client(int row) const { return m_rows.at(row); }
    int rowOf(quint64 clientId) const { return m_rowById.value(clientId, -1); }
    int openCount() const;
    QStringList rooms() const;  // rooms of open clients, sorted
    QStringList routes() const; // routes of open clients, sorted

    void applyChanges(const ClientInfoList &changed);
    void clearClosed();
    void clear();
    // "Connected for" moves with the clock; the view calls this once a second.
    void refreshDurations();

    // Everything known about a client, one "Name: value" per line (for "Copy details").
    static QString details(const ClientInfo &client);
    static QString formatBytes(qint64 bytes);
    static QString formatDuration(qint64 ms);

private:
    void removeRowsWhere(const std::function<bool(const ClientInfo &)> &predicate);
    void reindex();

    QVector<ClientInfo> m_rows;
    QHash<quint64, int> m_rowById;
};
