#pragma once

#include <QSortFilterProxyModel>

// Sorts the clients table by ClientTableModel::SortRole (numbers as numbers), hides closed
// clients unless "Show closed" is on, and greys the closed rows that are shown. The greying
// lives here because the core's model may not use QtGui colours.
class ClientFilterProxyModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit ClientFilterProxyModel(QObject *parent = nullptr);

    bool showClosed() const { return m_showClosed; }
    void setShowClosed(bool show);

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    bool m_showClosed = true;
};
