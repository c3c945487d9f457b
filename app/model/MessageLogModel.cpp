#include "MessageLogModel.h"

#include "../websocket/CloseCode.h"

#include <QDateTime>
#include <algorithm>

MessageLogModel::MessageLogModel(int capacity, QObject *parent)
    : QAbstractTableModel(parent), m_store(capacity)
{
}

int MessageLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_store.size();
}

int MessageLogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString MessageLogModel::preview(const LogRecord &record, int maxChars)
{
    switch (record.kind) {
    case LogRecord::Kind::Text: {
        QString text = QString::fromUtf8(record.payload.left(maxChars * 4)).left(maxChars);
        text.replace(QLatin1Char('\n'), QChar(0x21B5));
        return text;
    }
    case LogRecord::Kind::Binary:
        return QString::fromLatin1(record.payload.left(maxChars / 3).toHex(' '));
    case LogRecord::Kind::Close: {
        const QString name = CloseCode::name(record.closeCode);
        QString text = QString::number(record.closeCode);
        if (!name.isEmpty())
            text += QStringLiteral(" ") + name;
        if (!record.detail.isEmpty())
            text += QStringLiteral(": ") + record.detail;
        return text;
    }
    case LogRecord::Kind::Refused:
        return QStringLiteral("HTTP %1: %2").arg(record.closeCode).arg(record.detail);
    default:
        return record.detail;
    }
}

QVariant MessageLogModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_store.size())
        return {};
    const LogRecord &record = m_store.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Time: return QDateTime::fromMSecsSinceEpoch(record.timestampMs).toString(QStringLiteral("HH:mm:ss.zzz"));
        case Direction: return LogRecord::directionName(record.direction);
        case Client:
            if (record.direction == LogRecord::Direction::Broadcast)
                return QStringLiteral("→ %1").arg(record.fanout);
            return record.clientId ? QVariant(record.clientId) : QVariant(QString());
        case Route: return record.route;
        case Kind: return LogRecord::kindName(record.kind);
        case Size: return record.size;
        case Preview: return preview(record);
        }
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == Size || index.column() == Client)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case RecordSequenceRole: return record.sequence;
    case DirectionRole: return static_cast<int>(record.direction);
    case KindRole: return static_cast<int>(record.kind);
    case ClientIdRole: return record.clientId;
    default: break;
    }
    return {};
}

QVariant MessageLogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Time: return tr("Time");
    case Direction: return tr("Direction");
    case Client: return tr("Client");
    case Route: return tr("Route");
    case Kind: return tr("Type");
    case Size: return tr("Size");
    case Preview: return tr("Preview");
    }
    return {};
}

LogRecordBatch MessageLogModel::records() const
{
    return m_store.records();
}

LogRecordBatch MessageLogModel::records(const QList<int> &rows) const
{
    LogRecordBatch out;
    out.reserve(rows.size());
    for (int row : rows) {
        if (row >= 0 && row < m_store.size())
            out.append(m_store.at(row));
    }
    return out;
}

void MessageLogModel::insertRecords(const LogRecordBatch &records)
{
    if (records.isEmpty())
        return;
    const quint64 evictedBefore = evictedTotal();
    const int evictions = m_store.evictionsFor(records);
    if (evictions < 0 || (evictions > 0 && evictions == m_store.size())) {
        // Everything visible goes (and perhaps some of the batch): one reset is cheaper for views
        // than removing and inserting all.
        beginResetModel();
        m_store.append(records);
        endResetModel();
    } else {
        if (evictions > 0) {
            // Remove first, then insert: views and proxies never see rows that are not there.
            beginRemoveRows({}, 0, evictions - 1);
            m_store.removeOldest(evictions);
            endRemoveRows();
        }
        const int count = static_cast<int>(records.size());
        beginInsertRows({}, m_store.size(), m_store.size() + count - 1);
        m_store.append(records);
        endInsertRows();
    }
    if (evictedTotal() != evictedBefore)
        Q_EMIT evictedTotalChanged(evictedTotal());
}

void MessageLogModel::appendBatch(const LogRecordBatch &records)
{
    if (records.isEmpty())
        return;
    if (m_paused) {
        holdBack(records);
        return;
    }
    insertRecords(records);
}

void MessageLogModel::holdBack(const LogRecordBatch &records)
{
    // Cap payloads now, not at resume: the hold-back queue must be as bounded as the log itself.
    const int cap = m_store.payloadCap();
    const bool anyLarge = std::any_of(records.cbegin(), records.cend(),
                                      [cap](const LogRecord &r) { return r.payload.size() > cap; });
    if (anyLarge) {
        LogRecordBatch capped;
        capped.reserve(records.size());
        for (const LogRecord &record : records)
            capped.append(m_store.capped(record));
        m_held.push_back(std::move(capped));
    } else {
        m_held.push_back(records); // shared, no copy
    }
    m_heldCount += static_cast<int>(records.size());
    for (const LogRecord &record : m_held.back())
        m_heldBytes += record.payload.size();
    const quint64 droppedBefore = m_heldDropped;
    trimHeld();
    Q_EMIT heldBackCountChanged(m_heldCount);
    if (m_heldDropped != droppedBefore)
        Q_EMIT evictedTotalChanged(evictedTotal());
}

void MessageLogModel::trimHeld()
{
    // More held back than the log can keep (records or bytes) would be evicted at resume anyway.
    const int capacity = m_store.capacity();
    const qint64 maxBytes = m_store.maxBytes();
    const auto over = [&](int count, qint64 bytes) { return count > 1 && (count > capacity || bytes > maxBytes); };
    while (over(m_heldCount, m_heldBytes)) {
        LogRecordBatch &front = m_held.front();
        int drop = 0;
        qint64 dropBytes = 0;
        while (drop < front.size() && over(m_heldCount - drop, m_heldBytes - dropBytes))
            dropBytes += front.at(drop++).payload.size();
        m_heldCount -= drop;
        m_heldBytes -= dropBytes;
        m_heldDropped += static_cast<quint64>(drop);
        if (drop == front.size())
            m_held.pop_front();
        else
            front = front.mid(drop);
    }
}

void MessageLogModel::setPaused(bool paused)
{
    if (paused == m_paused)
        return;
    m_paused = paused;
    if (!paused && m_heldCount > 0) {
        LogRecordBatch held;
        held.reserve(m_heldCount);
        for (const LogRecordBatch &batch : m_held)
            held.append(batch);
        m_held.clear();
        m_heldCount = 0;
        m_heldBytes = 0;
        m_heldBytes = 0;
        insertRecords(held);
        Q_EMIT heldBackCountChanged(0);
    }
    Q_EMIT pausedChanged(paused);
}

void MessageLogModel::clear()
{
    beginResetModel();
    m_store.clear();
    endResetModel();
    if (m_heldCount > 0) {
        m_held.clear();
        m_heldCount = 0;
        m_heldBytes = 0;
        Q_EMIT heldBackCountChanged(0);
    }
}

void MessageLogModel::replaceAll(const LogRecordBatch &records)
{
    const quint64 evictedBefore = evictedTotal();
    beginResetModel();
    m_store.clear();
    m_store.append(records);
    endResetModel();
    if (m_heldCount > 0) {
        m_held.clear();
        m_heldCount = 0;
        m_heldBytes = 0;
        Q_EMIT heldBackCountChanged(0);
    }
    if (evictedTotal() != evictedBefore)
        Q_EMIT evictedTotalChanged(evictedTotal());
}

void MessageLogModel::setCapacity(int capacity)
{
    changeBounds([&] { m_store.setCapacity(capacity); });
}

void MessageLogModel::setMaxBytes(qint64 bytes)
{
    if (bytes != m_store.maxBytes())
        changeBounds([&] { m_store.setMaxBytes(bytes); });
}

void MessageLogModel::changeBounds(const std::function<void()> &change)
{
    const quint64 evictedBefore = evictedTotal();
    beginResetModel();
    change();
    endResetModel();
    if (m_heldCount > 0) {
        const int heldBefore = m_heldCount;
        trimHeld();
        if (m_heldCount != heldBefore)
            Q_EMIT heldBackCountChanged(m_heldCount);
    }
    if (evictedTotal() != evictedBefore)
        Q_EMIT evictedTotalChanged(evictedTotal());
}

void MessageLogModel::setPayloadCap(int bytes)
{
    m_store.setPayloadCap(bytes);
}
