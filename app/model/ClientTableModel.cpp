#include "ClientTableModel.h"

#include <QDateTime>
#include <QSet>

ClientTableModel::ClientTableModel(QObject *parent) : QAbstractTableModel(parent) {}

int ClientTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_rows.size();
}

int ClientTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString ClientTableModel::formatBytes(qint64 bytes)
{
    if (bytes < 1024)
        return QStringLiteral("%1 B").arg(bytes);
    if (bytes < 1024 * 1024)
        return QStringLiteral("%1 KiB").arg(bytes / 1024.0, 0, 'f', 1);
    return QStringLiteral("%1 MiB").arg(bytes / (1024.0 * 1024.0), 0, 'f', 1);
}

QString ClientTableModel::formatDuration(qint64 ms)
{
    const qint64 seconds = ms / 1000;
    if (seconds < 60)
        return QStringLiteral("%1 s").arg(seconds);
    if (seconds < 3600)
        return QStringLiteral("%1 min %2 s").arg(seconds / 60).arg(seconds % 60);
    return QStringLiteral("%1 h %2 min").arg(seconds / 3600).arg((seconds % 3600) / 60);
}

QVariant ClientTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const ClientInfo &client = m_rows.at(index.row());
    const bool closed = client.state == ClientInfo::State::Closed;
    const qint64 end = closed ? client.closedAtMs : QDateTime::currentMSecsSinceEpoch();
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Id: return client.id;
        case Peer: return QStringLiteral("%1:%2").arg(client.peerAddress).arg(client.peerPort);
        case Path: return client.path;
        case Subprotocol: return client.subprotocol;
        case Origin: return client.origin;
        case ConnectedFor: return formatDuration(end - client.connectedAtMs);
        case MessagesIn: return client.messagesIn;
        case MessagesOut: return client.messagesOut;
        case BytesIn: return formatBytes(client.bytesIn);
        case BytesOut: return formatBytes(client.bytesOut);
        case BytesToWrite: return formatBytes(client.bytesToWrite);
        case LastRtt: return client.lastRttMs < 0 ? QString() : QStringLiteral("%1 ms").arg(client.lastRttMs);
        case State:
            if (!closed)
                return ClientInfo::stateName(client.state);
            return QStringLiteral("closed %1 by %2%3")
                .arg(client.closeCode)
                .arg(ClientInfo::closedByName(client.closedBy),
                     client.closeReason.isEmpty() ? QString() : QStringLiteral(": ") + client.closeReason);
        }
    } else if (role == SortRole) {
        switch (index.column()) {
        case Id: return client.id;
        case ConnectedFor: return end - client.connectedAtMs;
        case MessagesIn: return client.messagesIn;
        case MessagesOut: return client.messagesOut;
        case BytesIn: return client.bytesIn;
        case BytesOut: return client.bytesOut;
        case BytesToWrite: return client.bytesToWrite;
        case LastRtt: return client.lastRttMs;
        default: return data(index, Qt::DisplayRole);
        }
    } else if (role == Qt::TextAlignmentRole) {
        if (index.column() == Id || (index.column() >= MessagesIn && index.column() <= LastRtt))
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    } else if (role == Qt::ToolTipRole && index.column() == State && closed) {
        return client.closeReason;
    } else if (role == ClientIdRole) {
        return client.id;
    } else if (role == IsClosedRole) {
        return closed;
    }
    return {};
}

QVariant ClientTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Id: return tr("ID");
    case Peer: return tr("Peer");
    case Path: return tr("Route / path");
    case Subprotocol: return tr("Subprotocol");
    case Origin: return tr("Origin");
    case ConnectedFor: return tr("Connected for");
    case MessagesIn: return tr("Msgs in");
    case MessagesOut: return tr("Msgs out");
    case BytesIn: return tr("Bytes in");
    case BytesOut: return tr("Bytes out");
    case BytesToWrite: return tr("Waiting");
    case LastRtt: return tr("RTT");
    case State: return tr("State");
    }
    return {};
}

int ClientTableModel::openCount() const
{
    int count = 0;
    for (const ClientInfo &client : m_rows)
        count += client.state != ClientInfo::State::Closed ? 1 : 0;
    return count;
}

QStringList ClientTableModel::rooms() const
{
    QSet<QString> rooms;
    for (const ClientInfo &client : m_rows) {
        if (client.state != ClientInfo::State::Closed && !client.room.isEmpty())
            rooms.insert(client.room);
    }
    QStringList list(rooms.begin(), rooms.end());
    list.sort();
    return list;
}

QStringList ClientTableModel::routes() const
{
    QSet<QString> routes;
    for (const ClientInfo &client : m_rows) {
        if (client.state != ClientInfo::State::Closed)
            routes.insert(client.route);
    }
    QStringList list(routes.begin(), routes.end());
    list.sort();
    return list;
}

void ClientTableModel::applyChanges(const ClientInfoList &changed)
{
    QVector<ClientInfo> added;
    for (const ClientInfo &client : changed) {
        const int row = m_rowById.value(client.id, -1);
        if (row < 0) {
            added.append(client);
            continue;
        }
        m_rows[row] = client;
        Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    }
    if (!added.isEmpty()) {
        beginInsertRows({}, m_rows.size(), m_rows.size() + added.size() - 1);
        for (const ClientInfo &client : added) {
            m_rowById.insert(client.id, m_rows.size());
            m_rows.append(client);
        }
        endInsertRows();
    }
    // Keep closed rows bounded: drop the oldest closed ones past the cap.
    int closed = m_rows.size() - openCount();
    if (closed > kMaxClosedRows) {
        int excess = closed - kMaxClosedRows;
        removeRowsWhere([&excess](const ClientInfo &client) {
            if (excess > 0 && client.state == ClientInfo::State::Closed) {
                --excess;
                return true;
            }
            return false;
        });
    }
}

void ClientTableModel::clearClosed()
{
    removeRowsWhere([](const ClientInfo &client) { return client.state == ClientInfo::State::Closed; });
}

void ClientTableModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_rowById.clear();
    endResetModel();
}

void ClientTableModel::refreshDurations()
{
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, ConnectedFor), index(m_rows.size() - 1, ConnectedFor));
}

void ClientTableModel::removeRowsWhere(const std::function<bool(const ClientInfo &)> &predicate)
{
    // Remove contiguous runs from the bottom up so row numbers above stay valid.
    int row = m_rows.size() - 1;
    while (row >= 0) {
        if (!predicate(m_rows.at(row))) {
            --row;
            continue;
        }
        int first = row;
        while (first - 1 >= 0 && predicate(m_rows.at(first - 1)))
            --first;
        beginRemoveRows({}, first, row);
        m_rows.remove(first, row - first + 1);
        endRemoveRows();
        row = first - 1;
    }
    reindex();
}

void ClientTableModel::reindex()
{
    m_rowById.clear();
    for (int i = 0; i < m_rows.size(); ++i)
        m_rowById.insert(m_rows.at(i).id, i);
}
