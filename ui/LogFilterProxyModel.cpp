#include "LogFilterProxyModel.h"

#include "model/MessageLogModel.h"

#include <QBrush>
#include <QColor>

LogFilterProxyModel::LogFilterProxyModel(QObject *parent) : QSortFilterProxyModel(parent)
{
    // The log is chronological: never sort, only filter as batches arrive.
    setDynamicSortFilter(true);
}

void LogFilterProxyModel::setSourceModel(QAbstractItemModel *model)
{
    m_log = qobject_cast<MessageLogModel *>(model);
    QSortFilterProxyModel::setSourceModel(model);
}

void LogFilterProxyModel::setDirections(quint32 mask)
{
    mask &= kAllDirections;
    if (mask == m_directions)
        return;
    m_directions = mask;
    invalidateRowsFilter();
}

void LogFilterProxyModel::setKinds(quint32 mask)
{
    mask &= kAllKinds;
    if (mask == m_kinds)
        return;
    m_kinds = mask;
    invalidateRowsFilter();
}

void LogFilterProxyModel::setShowHeartbeats(bool show)
{
    if (show == m_showHeartbeats)
        return;
    m_showHeartbeats = show;
    invalidateRowsFilter();
}

void LogFilterProxyModel::setSelectedClientsOnly(bool only)
{
    if (only == m_selectedClientsOnly)
        return;
    m_selectedClientsOnly = only;
    invalidateRowsFilter();
}

void LogFilterProxyModel::setSelectedClients(const QList<ClientInfo> &clients)
{
    QSet<quint64> ids;
    QSet<QString> routes;
    QSet<QString> rooms;
    for (const ClientInfo &client : clients) {
        ids.insert(client.id);
        routes.insert(client.route);
        if (!client.room.isEmpty())
            rooms.insert(client.room);
    }
    if (ids == m_selectedClientIds && routes == m_selectedRoutes && rooms == m_selectedRooms)
        return;
    m_selectedClientIds = ids;
    m_selectedRoutes = routes;
    m_selectedRooms = rooms;
    if (m_selectedClientsOnly)
        invalidateRowsFilter();
}

void LogFilterProxyModel::setClientFilter(quint64 clientId)
{
    if (clientId == m_clientId)
        return;
    m_clientId = clientId;
    invalidateRowsFilter();
}

void LogFilterProxyModel::setTextFilter(const QString &text, bool regex)
{
    if (text == m_text && regex == m_regex)
        return;
    m_text = text;
    m_regex = regex;
    m_textError.clear();
    m_expression = QRegularExpression();
    if (regex && !text.isEmpty()) {
        m_expression = QRegularExpression(text, QRegularExpression::CaseInsensitiveOption);
        if (!m_expression.isValid()) {
            m_textError = QStringLiteral("%1 at character %2")
                              .arg(m_expression.errorString())
                              .arg(m_expression.patternErrorOffset() + 1);
        } else {
            m_expression.optimize(); // it runs over every row
        }
    }
    invalidateRowsFilter();
}

bool LogFilterProxyModel::isFiltering() const
{
    return m_directions != kAllDirections || m_kinds != kAllKinds || m_selectedClientsOnly || m_clientId != 0
           || (!m_text.isEmpty() && m_textError.isEmpty());
}

bool LogFilterProxyModel::textMatches(const QString &haystack) const
{
    if (m_regex)
        return m_expression.match(haystack).hasMatch();
    return haystack.contains(m_text, Qt::CaseInsensitive);
}

bool LogFilterProxyModel::acceptsRecord(const LogRecord &record) const
{
    if (!(m_directions & (1u << static_cast<quint32>(record.direction))))
        return false;
    if (record.isHeartbeat()) {
        if (!m_showHeartbeats)
            return false;
    } else if (!(m_kinds & (1u << static_cast<quint32>(record.kind)))) {
        return false;
    }
    if (m_clientId != 0 && record.clientId != m_clientId)
        return false;
    if (m_selectedClientsOnly && !m_selectedClientIds.contains(record.clientId) && !reachedSelectedClient(record))
        return false;
    if (m_text.isEmpty() || !m_textError.isEmpty())
        return true;
    // Cheap fields first; the payload (up to the log's per-record cap) last.
    if (textMatches(record.route) || textMatches(record.detail))
        return true;
    if (record.kind == LogRecord::Kind::Close && textMatches(QString::number(record.closeCode)))
        return true;
    if (record.payload.isEmpty())
        return false;
    if (record.kind == LogRecord::Kind::Text)
        return textMatches(QString::fromUtf8(record.payload));
    // Binary: match the hex as the preview shows it ("de ad be ef").
    return textMatches(QString::fromLatin1(record.payload.toHex(' ')));
}

bool LogFilterProxyModel::reachedSelectedClient(const LogRecord &record) const
{
    if (record.direction != LogRecord::Direction::Broadcast || record.clientId != 0 || m_selectedClientIds.isEmpty())
        return false;
    // Room broadcasts say so in their detail ("room lobby", "operator broadcast to room lobby").
    static const QLatin1String roomMarker("room ");
    const int room = record.detail.lastIndexOf(roomMarker);
    if (room >= 0 && (room == 0 || record.detail.at(room - 1) == QLatin1Char(' '))) {
        // A delivery from another instance goes on: "cluster: room lobby from instance 3f0c9a2be611".
        QString name = record.detail.mid(room + roomMarker.size());
        if (const qsizetype from = name.indexOf(QLatin1String(" from instance ")); from >= 0)
            name.truncate(from);
        return m_selectedRooms.contains(name);
    }
    // Route broadcasts carry the route pattern; a broadcast to everyone carries none.
    return record.route.isEmpty() || m_selectedRoutes.contains(record.route);
}

bool LogFilterProxyModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (sourceParent.isValid() || !m_log || !hidesAnything())
        return true;
    return acceptsRecord(m_log->record(sourceRow));
}

QVariant LogFilterProxyModel::data(const QModelIndex &index, int role) const
{
    if (role != Qt::ForegroundRole || !m_log || !index.isValid())
        return QSortFilterProxyModel::data(index, role);
    const int column = index.column();
    if (column != MessageLogModel::Direction && column != MessageLogModel::Kind)
        return QSortFilterProxyModel::data(index, role);
    const LogRecord &record = m_log->record(mapToSource(index).row());
    // Muted tints that read on light and dark palettes alike.
    if (column == MessageLogModel::Kind) {
        switch (record.kind) {
        case LogRecord::Kind::Error:
        case LogRecord::Kind::Refused: return QBrush(QColor(0xd0, 0x3a, 0x2f));
        case LogRecord::Kind::Close: return QBrush(QColor(0xc0, 0x78, 0x10));
        case LogRecord::Kind::Open: return QBrush(QColor(0x2e, 0x8b, 0x57));
        default: return {};
        }
    }
    switch (record.direction) {
    case LogRecord::Direction::In: return QBrush(QColor(0x2f, 0x6f, 0xc0));
    case LogRecord::Direction::Out: return QBrush(QColor(0x2e, 0x8b, 0x57));
    case LogRecord::Direction::Broadcast: return QBrush(QColor(0x8e, 0x4e, 0xc6));
    case LogRecord::Direction::ToUpstream:
    case LogRecord::Direction::FromUpstream: return QBrush(QColor(0x1f, 0x8a, 0x8a));
    case LogRecord::Direction::System: return {};
    }
    return {};
}
