#include "MainWindow.h"

#include "model/ClientTableModel.h"
#include "model/MessageLogModel.h"
#include "server/EngineHost.h"

#include <QCloseEvent>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

MainWindow::MainWindow(EngineHost &host, QWidget *parent)
    : QMainWindow(parent), m_host(host), m_clients(new ClientTableModel(this)),
      m_log(new MessageLogModel(LogStore::kDefaultCapacity, this)), m_status(new QLabel(this))
{
    setWindowTitle(tr("Switchboard"));
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->addWidget(m_status);
    auto *splitter = new QSplitter(Qt::Vertical, central);
    auto *clientsView = new QTableView(splitter);
    clientsView->setModel(m_clients);
    auto *logView = new QTableView(splitter);
    logView->setModel(m_log);
    logView->horizontalHeader()->setStretchLastSection(true);
    layout->addWidget(splitter);
    setCentralWidget(central);
    resize(1100, 700);

    m_status->setText(tr("Starting server…"));
    connect(&m_host, &EngineHost::listening, this, [this](const QUrl &url) {
        m_status->setText(tr("Listening on %1").arg(url.toString()));
    });
    connect(&m_host, &EngineHost::startFailed, this, [this](const QString &error) {
        m_status->setText(tr("Server not running: %1").arg(error));
    });
    connect(&m_host, &EngineHost::clientsChanged, m_clients, &ClientTableModel::applyChanges);
    connect(&m_host, &EngineHost::recordsAppended, m_log, &MessageLogModel::appendBatch);
    connect(&m_host, &EngineHost::stopped, this, [this] {
        if (m_closing)
            close();
    });
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    // Close every client with 1001 Going Away before the window goes.
    if (!m_closing && m_host.isRunning()) {
        m_closing = true;
        event->ignore();
        m_host.stop();
        return;
    }
    event->accept();
}
