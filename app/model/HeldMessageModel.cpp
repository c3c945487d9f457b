#include "HeldMessageModel.h"

#include "ClientTableModel.h"

#include <QDateTime>

namespace {
constexpr int kPreviewChars = 200;
}

HeldMessageModel::HeldMessageModel(QObject *parent) : QAbstractTableModel(parent)
{
}

int HeldMessageModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_held.messages.size());
}

int HeldMessageModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString HeldMessageModel::directionText(int direction)
{
    switch (direction) {
    case ProxyHoldQueue::ToUpstream: return tr("client \u2192 upstream");
    case ProxyHoldQueue::ToClient: return tr("upstream \u2192 client");
    case ProxyHoldQueue::Both: return tr("both ways");
    default: return tr("nothing");
    }
}

QVariant HeldMessageModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_held.messages.size())
        return {};
    const ProxyHoldQueue::Held &held = m_held.messages.at(index.row());
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Id: return held.id;
        case Direction: return directionText(held.direction);
        case Type: return held.message.binary ? tr("binary") : tr("text");
        case Size: return ClientTableModel::formatBytes(held.message.data.size());
        case HeldAt: return QDateTime::fromMSecsSinceEpoch(held.heldAtMs).toString(QStringLiteral("HH:mm:ss.zzz"));
        case Preview: {
            if (held.message.binary)
                return QString::fromLatin1(held.message.data.left(kPreviewChars / 3).toHex(' '));
            QString text = QString::fromUtf8(held.message.data.left(kPreviewChars * 4)).left(kPreviewChars);
            text.replace(QLatin1Char('\n'), QChar(0x21B5));
            return text;
        }
        }
    } else if (role == Qt::TextAlignmentRole && (index.column() == Id || index.column() == Size)) {
        return int(Qt::AlignRight | Qt::AlignVCenter);
    }
    return {};
}

QVariant HeldMessageModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Id: return tr("#");
    case Direction: return tr("Direction");
    case Type: return tr("Type");
    case Size: return tr("Size");
    case HeldAt: return tr("Held at");
    case Preview: return tr("Preview");
    }
    return {};
}

void HeldMessageModel::setHeld(const HeldMessages &held)
{
    beginResetModel();
    m_held = held;
    endResetModel();
}

int HeldMessageModel::rowOf(quint64 heldId) const
{
    for (int row = 0; row < m_held.messages.size(); ++row) {
        if (m_held.messages.at(row).id == heldId)
            return row;
    }
    return -1;
}
