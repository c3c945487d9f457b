#include "ScriptRoutesDialog.h"

#include "server/EngineHost.h"

#include <QDialogButtonBox>
#include <QFileInfo>
#include <QHeaderView>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

ScriptRoutesDialog::ScriptRoutesDialog(EngineHost &host, QWidget *parent) : QDialog(parent), m_host(host)
{
    setWindowTitle(tr("Script Routes"));
    m_table = new QTableWidget(0, 5, this);
    m_table->setHorizontalHeaderLabels({tr("Route"), tr("File"), tr("Version"), tr("Budget"), tr("Last error")});
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_reload = buttons->addButton(tr("&Reload"), QDialogButtonBox::ActionRole);
    m_reload->setToolTip(tr("Load every script route's file again: new connections get the new code"));
    m_restart = buttons->addButton(tr("Reload and Restart &Clients"), QDialogButtonBox::ActionRole);
    m_restart->setToolTip(tr("Reload, then close the script routes' clients with 1012 so they reconnect to the new code"));
    QPushButton *refresh = buttons->addButton(tr("Re&fresh"), QDialogButtonBox::ActionRole);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(refresh, &QPushButton::clicked, &m_host, &EngineHost::requestScriptRoutes);
    for (QPushButton *button : {m_reload, m_restart}) {
        connect(button, &QPushButton::clicked, this, [this, button] {
            m_host.reloadScripts(button == m_restart);
            m_host.requestScriptRoutes(); // queued after the reload: shows its outcome
        });
    }
    connect(&m_host, &EngineHost::scriptRoutesReported, this, &ScriptRoutesDialog::showRoutes);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_table);
    layout->addWidget(buttons);
    resize(900, 260);
    m_host.requestScriptRoutes();
}

void ScriptRoutesDialog::showRoutes(const ScriptRouteInfoList &routes)
{
    m_table->setRowCount(int(routes.size()));
    for (int row = 0; row < routes.size(); ++row) {
        const ScriptRouteInfo &route = routes.at(row);
        const QString error = route.lastError.section(QLatin1Char('\n'), 0, 0); // the stack is in the log
        const QStringList cells{route.route, QFileInfo(route.file).fileName(), QString::number(route.version),
                                tr("%1 ms").arg(route.budgetMs), error.isEmpty() ? tr("none") : error};
        for (int column = 0; column < cells.size(); ++column) {
            auto *item = new QTableWidgetItem(cells.at(column));
            item->setToolTip(column == 1 ? route.file : column == 4 ? route.lastError : cells.at(column));
            m_table->setItem(row, column, item);
        }
    }
    m_table->resizeColumnsToContents();
    m_reload->setEnabled(!routes.isEmpty());
    m_restart->setEnabled(!routes.isEmpty());
}
