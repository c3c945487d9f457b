#include "MessageLogModel.h"

#include "../server/CloseCode.h"

#include <QDateTime>

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

void MessageLogModel::appendBatch(const LogRecordBatch &records)
{
    if (records.isEmpty())
        return;
    const quint64 evictedBefore = m_store.evictedTotal();
    if (records.size() >= m_store.capacity()) {
        beginResetModel();
        m_store.append(records);
        endResetModel();
    } else {
        const int evictions = m_store.evictionsFor(records.size());
        if (evictions > 0) {
            // Remove first, then insert: views and proxies never see rows that are not there.
            beginRemoveRows({}, 0, evictions - 1);
            m_store.removeOldest(evictions);
            endRemoveRows();
        }
        beginInsertRows({}, m_store.size(), m_store.size() + records.size() - 1);
        m_store.append(records);
        endInsertRows();
    }
    if (m_store.evictedTotal() != evictedBefore)
        Q_EMIT evictedTotalChanged(m_store.evictedTotal());
}

void MessageLogModel::clear()
{
    beginResetModel();
    m_store.clear();
    endResetModel();
}

void MessageLogModel::setCapacity(int capacity)
{
    beginResetModel();
    m_store.setCapacity(capacity);
    endResetModel();
}
