#include "ClusterInstanceModel.h"

ClusterInstanceModel::ClusterInstanceModel(QObject *parent) : QAbstractTableModel(parent) {}

int ClusterInstanceModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_status.instances.size());
}

int ClusterInstanceModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ClusterInstanceModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_status.instances.size())
        return {};
    const ClusterInstance &instance = m_status.instances.at(index.row());
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Instance:
            return instance.self ? tr("%1 (this one)").arg(instance.id) : instance.id;
        case Address:
            return instance.address;
        case Clients:
            return instance.clients;
        default:
            return {};
        }
    }
    if (role == Qt::TextAlignmentRole && index.column() == Clients)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant ClusterInstanceModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Instance:
        return tr("Instance");
    case Address:
        return tr("Address");
    case Clients:
        return tr("Clients");
    default:
        return {};
    }
}

void ClusterInstanceModel::setStatus(const ClusterStatus &status)
{
    bool sameRows = status.instances.size() == m_status.instances.size();
    for (int i = 0; sameRows && i < status.instances.size(); ++i)
        sameRows = status.instances.at(i).id == m_status.instances.at(i).id;
    if (sameRows) {
        m_status = status;
        if (!m_status.instances.isEmpty())
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        return;
    }
    // A handful of rows that rarely change: a reset is cheaper to get right than a diff.
    beginResetModel();
    m_status = status;
    endResetModel();
}

QString ClusterInstanceModel::summary() const
{
    if (!m_status.enabled)
        return tr("Not clustered: start with --redis redis://HOST:PORT to share rooms and broadcasts with other instances.");
    if (!m_status.linkUp) {
        return tr("Cluster '%1': link DOWN (%2) - local clients are still served; reconnecting to %3")
            .arg(m_status.name, m_status.lastError.isEmpty() ? tr("connecting") : m_status.lastError, m_status.redis);
    }
    const auto count = m_status.instances.size();
    return tr("Cluster '%1': link up via %2 - %3")
        .arg(m_status.name, m_status.redis,
             count == 1 ? tr("this instance alone") : tr("%1 instances").arg(count));
}
