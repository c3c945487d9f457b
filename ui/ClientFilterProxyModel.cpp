#include "ClientFilterProxyModel.h"

#include "model/ClientTableModel.h"

#include <QApplication>
#include <QBrush>
#include <QFont>
#include <QPalette>

ClientFilterProxyModel::ClientFilterProxyModel(QObject *parent) : QSortFilterProxyModel(parent)
{
    setSortRole(ClientTableModel::SortRole);
    setDynamicSortFilter(true);
}

void ClientFilterProxyModel::setShowClosed(bool show)
{
    if (show == m_showClosed)
        return;
    m_showClosed = show;
    invalidateRowsFilter();
}

QVariant ClientFilterProxyModel::data(const QModelIndex &index, int role) const
{
    if (role == Qt::ForegroundRole || role == Qt::FontRole) {
        if (QSortFilterProxyModel::data(index, ClientTableModel::IsClosedRole).toBool()) {
            if (role == Qt::ForegroundRole)
                return QBrush(QApplication::palette().color(QPalette::Disabled, QPalette::Text));
            QFont font;
            font.setItalic(true);
            return font;
        }
    }
    return QSortFilterProxyModel::data(index, role);
}

bool ClientFilterProxyModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (m_showClosed)
        return true;
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    return !index.data(ClientTableModel::IsClosedRole).toBool();
}
