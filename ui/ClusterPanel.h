#pragma once

#include "cluster/ClusterStatus.h"

#include <QDockWidget>

class ClusterInstanceModel;
class QLabel;
class QTableView;

// A dock listing the cluster's instances and their client counts, with the link state on top.
// Hidden until the engine reports a cluster (started with --redis): a lone server needs no panel.
class ClusterPanel : public QDockWidget
{
    Q_OBJECT
public:
    explicit ClusterPanel(QWidget *parent = nullptr);

    void setStatus(const ClusterStatus &status);
    // The server stopped: its view of the cluster is gone with it.
    void clear();
    ClusterInstanceModel *model() const { return m_model; }
    QString summary() const;

private:
    ClusterInstanceModel *m_model;
    QLabel *m_summary;
    QTableView *m_table;
    bool m_shown = false;
};
