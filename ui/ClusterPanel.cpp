#include "ClusterPanel.h"

#include "model/ClusterInstanceModel.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

ClusterPanel::ClusterPanel(QWidget *parent)
    : QDockWidget(tr("Cluster"), parent), m_model(new ClusterInstanceModel(this)), m_summary(new QLabel),
      m_table(new QTableView)
{
    setObjectName(QStringLiteral("clusterPanel"));
    m_summary->setObjectName(QStringLiteral("clusterSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_table->setObjectName(QStringLiteral("clusterInstances"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

    auto *content = new QWidget;
    auto *layout = new QVBoxLayout(content);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_summary);
    layout->addWidget(m_table);
    setWidget(content);
    clear();
    hide();
}

void ClusterPanel::setStatus(const ClusterStatus &status)
{
    m_model->setStatus(status);
    m_summary->setText(m_model->summary());
    // Red while down: the operator should not miss that other instances no longer hear this one.
    m_summary->setStyleSheet(status.enabled && !status.linkUp ? QStringLiteral("color: #b00020; font-weight: bold;")
                                                              : QString());
    // Shown once, when a cluster first reports; after that the operator decides.
    if (status.enabled && !m_shown) {
        m_shown = true;
        show();
    }
}

void ClusterPanel::clear()
{
    m_model->setStatus(ClusterStatus());
    m_summary->setText(tr("The server is stopped."));
    m_summary->setStyleSheet(QString());
}

QString ClusterPanel::summary() const
{
    return m_summary->text();
}
