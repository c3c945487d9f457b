#pragma once

#include "../cluster/ClusterStatus.h"

#include <QAbstractTableModel>

// The cluster's instances as a table (this instance first), replaced by each batch the engine
// sends: unchanged membership gives one dataChanged, a joined or vanished instance one reset.
class ClusterInstanceModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Instance, Clients, Address, ColumnCount }; // counts before the long address: visible in a narrow dock

    explicit ClusterInstanceModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setStatus(const ClusterStatus &status);
    const ClusterStatus &status() const { return m_status; }
    // One line for the operator: cluster, link state (and why it is down), instance count.
    QString summary() const;

private:
    ClusterStatus m_status;
};
