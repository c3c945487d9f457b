#include "ClientTableModel.h"

#include "HeldMessageModel.h"

#include <QDateTime>
#include <QSet>
#include <algorithm>

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

QString ClientTableModel::details(const ClientInfo &client)
{
    const auto time = [](qint64 ms) {
        return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
    };
    QStringList lines;
    lines << QStringLiteral("Client %1").arg(client.id)
          << QStringLiteral("Peer: %1:%2").arg(client.peerAddress).arg(client.peerPort)
          << QStringLiteral("Route: %1").arg(client.route) << QStringLiteral("Path: %1").arg(client.path);
    if (!client.room.isEmpty())
        lines << QStringLiteral("Room: %1").arg(client.room);
    if (!client.upstreamUrl.isEmpty())
        lines << QStringLiteral("Upstream: %1 (%2)").arg(client.upstreamUrl, client.upstreamState);
    lines << QStringLiteral("Subprotocol: %1").arg(client.subprotocol.isEmpty() ? QStringLiteral("(none)") : client.subprotocol)
          << QStringLiteral("Extensions: %1").arg(client.extensions.isEmpty() ? QStringLiteral("(none)") : client.extensions)
          << QStringLiteral("Origin: %1").arg(client.origin.isEmpty() ? QStringLiteral("(none)") : client.origin);
    if (!client.userAgent.isEmpty())
        lines << QStringLiteral("User-Agent: %1").arg(client.userAgent);
    lines << QStringLiteral("Connected at: %1").arg(time(client.connectedAtMs))
          << QStringLiteral("Messages in/out: %1 / %2").arg(client.messagesIn).arg(client.messagesOut)
          << QStringLiteral("Bytes in/out: %1 / %2").arg(client.bytesIn).arg(client.bytesOut)
          << QStringLiteral("Bytes out on the wire: %1").arg(client.wireBytesOut)
          << QStringLiteral("Bytes waiting: %1").arg(client.bytesToWrite)
          << QStringLiteral("Last RTT: %1").arg(client.lastRttMs < 0 ? QStringLiteral("(no ping answered)")
                                                                    : QStringLiteral("%1 ms").arg(client.lastRttMs))
          << QStringLiteral("State: %1").arg(ClientInfo::stateName(client.state));
    if (client.state == ClientInfo::State::Closed) {
        lines << QStringLiteral("Closed at: %1").arg(time(client.closedAtMs))
              << QStringLiteral("Close code: %1").arg(client.closeCode)
              << QStringLiteral("Close reason: %1").arg(client.closeReason)
              << QStringLiteral("Closed by: %1").arg(ClientInfo::closedByName(client.closedBy));
    }
    return lines.join(QLatin1Char('\n'));
}

QString ClientTableModel::compressionSummary(const QString &extensions)
{
    if (!extensions.startsWith(QLatin1String("permessage-deflate")))
        return QStringLiteral("none");
    // The default answer resets per message; anything else keeps a context per connection.
    if (extensions.contains(QLatin1String("server_no_context_takeover"))
        && extensions.contains(QLatin1String("client_no_context_takeover")))
        return QStringLiteral("deflate");
    return QStringLiteral("deflate, context kept");
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
        case Path: // a proxied client's upstream leg, next to its own path
            return client.upstreamUrl.isEmpty()
                       ? client.path
                       : QStringLiteral("%1 \u2192 %2 (%3)").arg(client.path, client.upstreamUrl, client.upstreamState);
        case Subprotocol: return client.subprotocol;
        case Compression: return compressionSummary(client.extensions);
        case Origin: return client.origin;
        case ConnectedFor: return formatDuration(end - client.connectedAtMs);
        case MessagesIn: return client.messagesIn;
        case MessagesOut: return client.messagesOut;
        case BytesIn: return formatBytes(client.bytesIn);
        case BytesOut: return formatBytes(client.bytesOut);
        case BytesToWrite: return formatBytes(client.bytesToWrite);
        case LastRtt: return client.lastRttMs < 0 ? QString() : QStringLiteral("%1 ms").arg(client.lastRttMs);
        case State:
            if (!closed && client.holding != 0) // proxy routes: what the operator holds
                return QStringLiteral("%1, holding %2 (%3 held)")
                    .arg(ClientInfo::stateName(client.state), HeldMessageModel::directionText(client.holding))
                    .arg(client.heldMessages);
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
    } else if (role == Qt::ToolTipRole) {
        // The full text of the columns that are often cut short.
        switch (index.column()) {
        case Path: return client.path;
        case Compression: return client.extensions;
        case Origin: return client.origin;
        case State: return data(index, Qt::DisplayRole);
        default: break;
        }
    } else if (role == ClientIdRole) {
        return client.id;
    } else if (role == IsClosedRole) {
        return closed;
    }
    return {};
}

QVariant ClientTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || (role != Qt::DisplayRole && role != Qt::ToolTipRole))
        return QAbstractTableModel::headerData(section, orientation, role);
    const bool tip = role == Qt::ToolTipRole;
    switch (section) {
    case Id: return tip ? tr("Client id, in order of connection") : tr("ID");
    case Peer: return tip ? tr("The client's address and port") : tr("Peer");
    case Path: return tip ? tr("The request path (route and query) the client connected to") : tr("Route / path");
    case Subprotocol: return tip ? tr("The negotiated WebSocket subprotocol") : tr("Subprotocol");
    case Compression:
        return tip ? tr("permessage-deflate as negotiated (hover a cell for its parameters)") : tr("Compression");
    case Origin: return tip ? tr("The Origin header browsers send") : tr("Origin");
    case ConnectedFor: return tip ? tr("How long the client has been (or was) connected") : tr("Connected");
    case MessagesIn: return tip ? tr("Messages received from the client") : tr("In");
    case MessagesOut: return tip ? tr("Messages sent to the client") : tr("Out");
    case BytesIn: return tip ? tr("Bytes received from the client") : tr("Bytes in");
    case BytesOut: return tip ? tr("Bytes sent to the client") : tr("Bytes out");
    case BytesToWrite: return tip ? tr("Bytes queued for the client but not yet written (a slow reader's backlog)")
                                  : tr("Waiting");
    case LastRtt: return tip ? tr("Round trip of the last answered ping") : tr("RTT");
    case State: return tip ? tr("Open, closing, or closed with the code, who closed, and the reason") : tr("State");
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
    QVector<int> updatedRows;
    updatedRows.reserve(changed.size());
    for (const ClientInfo &client : changed) {
        const int row = m_rowById.value(client.id, -1);
        if (row < 0) {
            added.append(client);
            continue;
        }
        m_rows[row] = client;
        updatedRows.append(row);
    }
    // One dataChanged per run of adjacent rows, not one per client: with thousands of busy
    // clients a batch is then a handful of signals for the views and proxies.
    std::sort(updatedRows.begin(), updatedRows.end());
    for (int i = 0; i < updatedRows.size();) {
        int last = i;
        while (last + 1 < updatedRows.size() && updatedRows.at(last + 1) <= updatedRows.at(last) + 1)
            ++last;
        Q_EMIT dataChanged(index(updatedRows.at(i), 0), index(updatedRows.at(last), ColumnCount - 1));
        i = last + 1;
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
