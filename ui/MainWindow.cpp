#include "MainWindow.h"

#include "BansDialog.h"
#include "ClientsPanel.h"
#include "ClusterPanel.h"
#include "ClientActions.h"
#include "CloseDialog.h"
#include "ComposePanel.h"
#include "DetailPane.h"
#include "ExportDialog.h"
#include "InterceptPanel.h"
#include "LogPanel.h"
#include "RatesChart.h"
#include "RecordingController.h"
#include "ReplayWindow.h"
#include "ScriptRoutesDialog.h"
#include "ServerBar.h"
#include "ServerController.h"
#include "UiLogging.h"
#include "UiText.h"
#include "log/LogRecorder.h"
#include "model/ClientTableModel.h"
#include "model/MessageLogModel.h"
#include "server/EngineHost.h"
#include "server/NetworkExposure.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QPushButton>
#include <QCheckBox>
#include <QDateTime>
#include <QDesktopServices>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>

namespace {

constexpr int kStatusMessageMs = 5000;
// If the engine never reports that it stopped, the window still closes after this long.
constexpr int kCloseFallbackMs = 8000;

const QString kHostKey = QStringLiteral("server/host");
const QString kPortKey = QStringLiteral("server/port");

} // namespace

MainWindow::MainWindow(EngineHost &host, QWidget *parent)
    : QMainWindow(parent), m_host(host), m_clients(new ClientTableModel(this)),
      m_log(new MessageLogModel(LogStore::kDefaultCapacity, this)), m_rateTimer(new QTimer(this)),
      m_server(new ServerController(host, this)), m_clientActions(new ClientActions(host, this)),
      m_recording(new RecordingController(host, this))
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(tr("Switchboard"));
    m_clock.start();

    createActions();
    createLayout();
    createMenus();
    connectEngine();

    m_rateTimer->setInterval(1000);
    connect(m_rateTimer, &QTimer::timeout, this, &MainWindow::sampleRates);
    m_rateTimer->start();

    setServerConfig(m_config);
    restoreSettings();
    showServerState(ServerState::Stopped, {}, {});
}

MainWindow::~MainWindow() = default;

// ---- construction ----

void MainWindow::createActions()
{
    const auto make = [this](const QString &text, const QString &objectName) {
        auto *action = new QAction(text, this);
        action->setObjectName(objectName);
        return action;
    };
    m_exportAction = make(tr("&Export Log…"), QStringLiteral("actionExportLog"));
    m_exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_exportAction->setToolTip(tr("Write the whole log, the filtered or the selected records to JSON Lines or CSV"));
    m_openRecordingAction = make(tr("&Open Recording…"), QStringLiteral("actionOpenRecording"));
    m_openRecordingAction->setShortcut(QKeySequence::Open);
    m_openRecordingAction->setToolTip(tr("View a recording (or a JSON Lines export) with filters and details, and "
                                         "re-send its messages to connected clients"));
    m_saveConfigAction = make(tr("&Save Settings"), QStringLiteral("actionSaveSettings"));
    m_saveConfigAction->setShortcut(QKeySequence::Save);
    m_saveConfigAction->setToolTip(tr("Save host, port, routes, limits, origins, tokens and log settings as a "
                                      "config file for --config"));
    m_saveConfigAsAction = make(tr("Save Settings &As…"), QStringLiteral("actionSaveSettingsAs"));
    m_saveConfigAsAction->setShortcut(QKeySequence::SaveAs);
    if (m_saveConfigAsAction->shortcut().isEmpty())
        m_saveConfigAsAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    m_recordAction = make(tr("&Record to File…"), QStringLiteral("actionRecord"));
    m_recordAction->setCheckable(true);
    m_recordAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    m_recordAction->setToolTip(tr("Append every log record, full payload, to a JSON Lines file"));
    m_quitAction = make(tr("&Quit"), QStringLiteral("actionQuit"));
    m_quitAction->setShortcut(QKeySequence::Quit);
    m_quitAction->setShortcutContext(Qt::ApplicationShortcut);
    if (m_quitAction->shortcut().isEmpty())
        m_quitAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));

    m_startStopAction = make(tr("&Start Server"), QStringLiteral("actionStartStop"));
    m_restartAction = make(tr("&Restart Server"), QStringLiteral("actionRestart"));
    m_restartAction->setIconText(tr("Restart"));
    m_restartAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    m_restartAction->setIcon(style()->standardIcon(QStyle::SP_BrowserReload));
    m_restartAction->setToolTip(tr("Restart with the host and port shown: 1012 Service Restart to every client; "
                                   "a new address is bound before the old one closes"));
    m_restartWithCodeAction = make(tr("Restart with Close &Code…"), QStringLiteral("actionRestartWithCode"));
    m_scriptRoutesAction = make(tr("Script Ro&utes…"), QStringLiteral("actionScriptRoutes"));
    m_scriptRoutesAction->setToolTip(tr("Each script route's file, version running and last error"));
    m_reloadScriptsAction = make(tr("Reload &Scripts"), QStringLiteral("actionReloadScripts"));
    m_reloadScriptsAction->setToolTip(tr("Load every script route's file again: new connections get the new code"));
    m_restartScriptClientsAction = make(tr("Reload Scripts and Restart &Their Clients"),
                                        QStringLiteral("actionRestartScriptClients"));
    m_restartScriptClientsAction->setToolTip(tr("Reload, then close the script routes' clients with 1012 so they reconnect to the new code"));
    m_copyUrlAction = make(tr("&Copy URL"), QStringLiteral("actionCopyUrl"));
    m_copyUrlAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    m_openInBrowserAction = make(tr("Open in &Browser"), QStringLiteral("actionOpenInBrowser"));
    m_openInBrowserAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_B));
    m_openInBrowserAction->setIcon(style()->standardIcon(QStyle::SP_DirLinkIcon));
    m_openInBrowserAction->setToolTip(tr("Open the served browser client page"));

    m_sendAction = make(tr("&Send…"), QStringLiteral("actionSend"));
    m_sendAction->setToolTip(tr("Compose a message to the selected clients"));
    m_pingAction = make(tr("&Ping"), QStringLiteral("actionPing"));
    m_pingAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P));
    m_pingAction->setToolTip(tr("Ping the selected clients; the pong's round trip shows in the RTT column"));
    m_holdAction = make(tr("&Hold Proxied Messages"), QStringLiteral("actionHold"));
    m_holdAction->setToolTip(tr("Proxy routes: hold the selected clients' messages both ways until released"));
    m_releaseAction = make(tr("&Release Held Messages"), QStringLiteral("actionRelease"));
    m_releaseAction->setToolTip(tr("Proxy routes: forward what the selected clients hold, in order, and stop holding"));
    m_closeAction = make(tr("&Close with Code…"), QStringLiteral("actionCloseClients"));
    m_banAction = make(tr("&Ban Address"), QStringLiteral("actionBan"));
    m_banAction->setToolTip(tr("Ban the selected clients' addresses: their clients get 1008, new connections 403"));
    m_bansAction = make(tr("Banned &Addresses…"), QStringLiteral("actionBans"));
    m_closeAllAction = make(tr("Close &All…"), QStringLiteral("actionCloseAll"));
    m_focusFilterAction = make(tr("&Filter Log"), QStringLiteral("actionFocusFilter"));
    m_focusFilterAction->setShortcut(QKeySequence::Find);
    m_aboutAction = make(tr("&About Switchboard"), QStringLiteral("actionAbout"));

    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);
    connect(m_exportAction, &QAction::triggered, this, &MainWindow::openExportDialog);
    connect(m_openRecordingAction, &QAction::triggered, this, &MainWindow::chooseRecordingToOpen);
    connect(m_saveConfigAction, &QAction::triggered, this, &MainWindow::saveConfig);
    connect(m_saveConfigAsAction, &QAction::triggered, this, &MainWindow::saveConfigAs);
    connect(m_recording->exporter(), &LogExporter::finished, this, [this](bool ok, const QString &error, int count) {
        if (ok) {
            statusBar()->showMessage(tr("Exported %1").arg(countOf(count, tr("record"), tr("records"))), kStatusMessageMs);
            return;
        }
        qCWarning(lcUi).noquote() << "export failed:" << error;
        statusBar()->showMessage(tr("Export failed: %1").arg(error), 2 * kStatusMessageMs);
    });
    connect(m_recordAction, &QAction::triggered, this, [this](bool on) {
        if (on)
            chooseRecordingFile();
        else
            stopRecording();
    });
    connect(m_startStopAction, &QAction::triggered, this, [this] {
        const ServerState state = m_server->state();
        if (state == ServerState::Listening || state == ServerState::Starting)
            stopServer();
        else if (state != ServerState::Stopping)
            startFromUser();
    });
    connect(m_restartAction, &QAction::triggered, this, [this] {
        if (refuseBadAddress())
            return;
        m_saveAddressOnListen = true;
        restartServer();
    });
    for (QAction *reload : {m_reloadScriptsAction, m_restartScriptClientsAction}) {
        connect(reload, &QAction::triggered, this, [this, reload] {
            m_host.reloadScripts(reload == m_restartScriptClientsAction); // a failure comes back as commandFailed
            statusBar()->showMessage(tr("Reloading script routes (errors show in the log as script records)"), kStatusMessageMs);
        });
    }
    connect(m_scriptRoutesAction, &QAction::triggered, this, [this] {
        auto *dialog = new ScriptRoutesDialog(m_host, this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->show();
    });
    connect(m_restartWithCodeAction, &QAction::triggered, this, &MainWindow::openRestartDialog);
    connect(m_copyUrlAction, &QAction::triggered, this, &MainWindow::copyUrl);
    connect(m_openInBrowserAction, &QAction::triggered, this, &MainWindow::openInBrowser);
    connect(m_sendAction, &QAction::triggered, this, &MainWindow::composeToSelected);
    connect(m_pingAction, &QAction::triggered, this, &MainWindow::pingSelected);
    connect(m_holdAction, &QAction::triggered, this,
            [this] { m_clientActions->hold(m_clientsPanel->selectedClientIds(true)); });
    connect(m_releaseAction, &QAction::triggered, this,
            [this] { m_clientActions->release(m_clientsPanel->selectedClientIds(true)); });
    connect(m_closeAction, &QAction::triggered, this, &MainWindow::closeSelected);
    connect(m_closeAllAction, &QAction::triggered, this, &MainWindow::closeAll);
    connect(m_banAction, &QAction::triggered, this, &MainWindow::banSelected);
    connect(m_bansAction, &QAction::triggered, this, &MainWindow::openBansDialog);
    connect(m_aboutAction, &QAction::triggered, this, [this] {
        QMessageBox::about(this, tr("About Switchboard"),
                           tr("<b>Switchboard %1</b><p>A local WebSocket server with a live operator dashboard.</p>"
                              "<p>Built with Qt %2.</p>")
                               .arg(QCoreApplication::applicationVersion(), QString::fromLatin1(qVersion())));
    });
}

void MainWindow::createLayout()
{
    m_serverBar = new ServerBar(this);
    m_serverBar->setActions(m_startStopAction, m_restartAction, m_copyUrlAction, m_openInBrowserAction);
    m_clientsPanel = new ClientsPanel(*m_clients, this);
    m_clientsPanel->setContextActions(
        {m_sendAction, m_pingAction, m_holdAction, m_releaseAction, m_closeAction, m_banAction});
    m_ratesChart = new RatesChart(m_rates, this);
    m_logPanel = new LogPanel(*m_log, this);
    m_detailPane = new DetailPane(this);
    m_composePanel = new ComposePanel(this);
    m_interceptPanel = new InterceptPanel(this);
    addDockWidget(Qt::BottomDockWidgetArea, m_interceptPanel);

    m_topSplitter = new QSplitter(Qt::Horizontal, this);
    m_topSplitter->setObjectName(QStringLiteral("topSplitter"));
    m_topSplitter->addWidget(m_clientsPanel);
    m_topSplitter->addWidget(m_ratesChart);
    m_topSplitter->setStretchFactor(0, 1);
    m_topSplitter->setStretchFactor(1, 0);

    m_sideSplitter = new QSplitter(Qt::Vertical, this);
    m_sideSplitter->setObjectName(QStringLiteral("sideSplitter"));
    m_sideSplitter->addWidget(m_detailPane);
    m_sideSplitter->addWidget(m_composePanel);

    m_bottomSplitter = new QSplitter(Qt::Horizontal, this);
    m_bottomSplitter->setObjectName(QStringLiteral("bottomSplitter"));
    m_bottomSplitter->addWidget(m_logPanel);
    m_bottomSplitter->addWidget(m_sideSplitter);
    m_bottomSplitter->setStretchFactor(0, 3);
    m_bottomSplitter->setStretchFactor(1, 2);

    m_mainSplitter = new QSplitter(Qt::Vertical, this);
    m_mainSplitter->setObjectName(QStringLiteral("mainSplitter"));
    m_mainSplitter->addWidget(m_topSplitter);
    m_mainSplitter->addWidget(m_bottomSplitter);
    m_mainSplitter->setStretchFactor(0, 1);
    m_mainSplitter->setStretchFactor(1, 2);
    for (QSplitter *splitter : {m_topSplitter, m_sideSplitter, m_bottomSplitter, m_mainSplitter}) {
        splitter->setChildrenCollapsible(false);
        splitter->setHandleWidth(8);
    }
    // Sizes for a first run; restoreSettings() replaces them with the operator's.
    m_topSplitter->setSizes({1120, 230});
    m_sideSplitter->setSizes({330, 220});
    m_bottomSplitter->setSizes({800, 520});
    m_mainSplitter->setSizes({280, 560});

    auto *line = new QFrame(this);
    line->setFrameShape(QFrame::HLine);
    line->setFrameShadow(QFrame::Sunken);

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(6, 0, 6, 4);
    layout->setSpacing(4);
    layout->addWidget(m_serverBar);
    layout->addWidget(line);
    layout->addWidget(m_mainSplitter, 1);
    setCentralWidget(central);

    m_logStatus = new QLabel(this);
    m_logStatus->setObjectName(QStringLiteral("logStatus"));
    m_recordStatus = new QLabel(this);
    m_recordStatus->setObjectName(QStringLiteral("recordStatus"));
    m_recordStatus->hide();
    statusBar()->addPermanentWidget(m_recordStatus);
    statusBar()->addPermanentWidget(m_logStatus);
    resize(1360, 860);

    connect(m_clientsPanel, &ClientsPanel::selectionChanged, this, [this](const QList<quint64> &ids) {
        QList<ClientInfo> selected;
        for (quint64 id : ids) {
            const int row = m_clients->rowOf(id);
            if (row >= 0)
                selected.append(m_clients->client(row));
        }
        m_logPanel->setSelectedClients(selected);
        m_composePanel->setSelectedClientIds(m_clientsPanel->selectedClientIds(true));
        updateIntercept();
        updateActions();
    });
    connect(m_clientsPanel, &ClientsPanel::clientActivated, this, &MainWindow::composeToSelected);
    connect(m_logPanel, &LogPanel::recordSelected, m_detailPane, &DetailPane::showRecord);
    connect(m_logPanel, &LogPanel::cleared, m_detailPane, &DetailPane::clear);
    // The log's context menu: resend goes through the detail pane's path into Compose.
    connect(m_logPanel, &LogPanel::resendRequested, m_detailPane, &DetailPane::resendRequested);
    connect(m_logPanel, &LogPanel::replyToClient, this, [this](quint64 id) {
        m_clientsPanel->selectClients({id});
        composeToSelected();
    });
    connect(m_logPanel, &LogPanel::showClientRequested, this, [this](quint64 id) { m_clientsPanel->selectClients({id}); });
    connect(m_detailPane, &DetailPane::resendRequested, this, [this](const QByteArray &payload, bool binary) {
        m_composePanel->setMessage(payload, binary);
        m_composePanel->focusEditor();
    });
    connect(m_composePanel, &ComposePanel::sendToClients, this, &MainWindow::sendToClients);
    connect(m_composePanel, &ComposePanel::broadcast, this,
            [this](const BroadcastTarget &target, const QByteArray &payload, bool binary) {
                m_host.broadcast(target, payload, binary);
                statusBar()->showMessage(tr("Broadcast %1 to %2")
                                             .arg(ClientTableModel::formatBytes(payload.size()), target.describe()),
                                         kStatusMessageMs);
            });
    connect(m_focusFilterAction, &QAction::triggered, this, [this] {
        if (auto *edit = m_logPanel->findChild<QLineEdit *>(QStringLiteral("logFilterText"))) {
            edit->setFocus(Qt::ShortcutFocusReason);
            edit->selectAll();
        }
    });
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved}) {
        connect(m_log, signal, this, &MainWindow::updateLogStatus);
    }
    connect(m_log, &QAbstractItemModel::modelReset, this, &MainWindow::updateLogStatus);
    connect(m_log, &MessageLogModel::heldBackCountChanged, this, &MainWindow::updateLogStatus);
    connect(m_log, &MessageLogModel::pausedChanged, this, &MainWindow::updateLogStatus);
}

void MainWindow::createMenus()
{
    m_fileMenu = menuBar()->addMenu(tr("&File"));
    m_fileMenu->addAction(m_openRecordingAction);
    m_fileMenu->addSeparator();
    m_fileMenu->addAction(m_exportAction);
    m_fileMenu->addAction(m_recordAction);
    m_fileMenu->addSeparator();
    m_fileMenu->addAction(m_saveConfigAction);
    m_fileMenu->addAction(m_saveConfigAsAction);
    m_fileMenu->addSeparator();
    m_fileMenu->addAction(m_quitAction);

    QMenu *server = menuBar()->addMenu(tr("&Server"));
    server->addAction(m_startStopAction);
    server->addAction(m_restartAction);
    server->addAction(m_restartWithCodeAction);
    server->addSeparator();
    server->addAction(m_scriptRoutesAction);
    server->addAction(m_reloadScriptsAction);
    server->addAction(m_restartScriptClientsAction);
    server->addSeparator();
    server->addAction(m_copyUrlAction);
    server->addAction(m_openInBrowserAction);

    QMenu *clients = menuBar()->addMenu(tr("&Clients"));
    clients->addAction(m_sendAction);
    clients->addAction(m_pingAction);
    clients->addAction(m_holdAction);
    clients->addAction(m_releaseAction);
    clients->addAction(m_closeAction);
    clients->addAction(m_closeAllAction);
    clients->addSeparator();
    clients->addAction(m_banAction);
    clients->addAction(m_bansAction);
    clients->addSeparator();
    clients->addAction(m_clientsPanel->copyDetailsAction());

    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->addAction(m_clientsPanel->showClosedAction());
    view->addAction(m_clientsPanel->clearClosedAction());
    view->addSeparator();
    view->addAction(m_logPanel->pauseAction());
    view->addAction(m_logPanel->autoScrollAction());
    view->addAction(m_logPanel->clearAction());
    view->addAction(m_focusFilterAction);
    view->addSeparator();
    view->addAction(m_interceptPanel->toggleViewAction());

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(m_aboutAction);

    // Window-wide shortcuts even though the actions live in panels.
    addActions({m_logPanel->pauseAction(), m_logPanel->clearAction(), m_focusFilterAction});
}

void MainWindow::connectEngine()
{
    m_server->setConfigSource([this] {
        ServerConfig config = m_config;
        config.host = m_serverBar->host();
        config.port = m_serverBar->port();
        return config;
    });
    connect(m_server, &ServerController::stateChanged, this, &MainWindow::showServerState);
    connect(m_server, &ServerController::starting, this, [this] {
        // No clearing of the clients table: ids continue across restarts (EngineHost carries them
        // over), so the clients the restart closed stay listed, greyed, next to the new ones.
        m_rates.reset(m_clock.elapsed());
        m_latestStats = EngineStats();
    });
    connect(m_server, &ServerController::listening, this, &MainWindow::onListening);
    connect(m_server, &ServerController::startFailed, this, &MainWindow::onStartFailed);
    connect(m_server, &ServerController::restartFailed, this, [this](const QString &error) {
        m_saveAddressOnListen = false;
        statusBar()->showMessage(tr("Restart failed, still serving where it was: %1").arg(error));
    });
    connect(m_serverBar, &ServerBar::addressSubmitted, this, &MainWindow::applyAddress);
    connect(m_server, &ServerController::stopped, this, &MainWindow::onStopped);
    connect(m_clientActions, &ClientActions::done, this,
            [this](const QString &summary) { statusBar()->showMessage(summary, kStatusMessageMs); });
    connect(m_recording, &RecordingController::message, this,
            [this](const QString &text, bool problem) {
                statusBar()->showMessage(text, problem ? 2 * kStatusMessageMs : kStatusMessageMs);
            });
    connect(m_recording, &RecordingController::recordingChanged, this, &MainWindow::updateRecordStatus);
    connect(&m_host, &EngineHost::statsChanged, this, &MainWindow::onStats);
    // The cluster's instances (--redis): a dock of its own that shows itself when a cluster reports.
    auto *cluster = new ClusterPanel(this);
    addDockWidget(Qt::RightDockWidgetArea, cluster);
    connect(&m_host, &EngineHost::clusterChanged, cluster, &ClusterPanel::setStatus);
    connect(&m_host, &EngineHost::stopped, cluster, &ClusterPanel::clear);
    // The engine flushes every ~50 ms: each signal is one batch for the models.
    connect(&m_host, &EngineHost::recordsAppended, m_log, &MessageLogModel::appendBatch);
    connect(&m_host, &EngineHost::clientsChanged, this, [this](const ClientInfoList &changed) {
        m_clients->applyChanges(changed);
        m_composePanel->setRoomsAndRoutes(m_clients->rooms(), routePatterns());
        m_composePanel->setSelectedClientIds(m_clientsPanel->selectedClientIds(true));
        QList<quint64> changedIds;
        for (const ClientInfo &info : changed)
            changedIds.append(info.id);
        updateIntercept(changedIds);
        updateActions();
    });
    connectIntercept();
    // Records the in-memory log lets go of count in /metrics (switchboard_log_records_dropped_total).
    connect(m_log, &MessageLogModel::evictedTotalChanged, this, [this](quint64 evictedTotal) {
        if (evictedTotal > m_evictedReported)
            m_host.noteLogRecordsDropped(evictedTotal - m_evictedReported);
        m_evictedReported = evictedTotal;
    });
    connect(&m_host, &EngineHost::commandFailed, this, [this](const QString &error) {
        qCWarning(lcUi).noquote() << "command refused:" << error;
        statusBar()->showMessage(tr("Not done: %1").arg(error), 2 * kStatusMessageMs);
    });
}

// ---- intercept (proxy routes) ----

void MainWindow::connectIntercept()
{
    InterceptPanel *panel = m_interceptPanel;
    connect(&m_host, &EngineHost::heldReported, panel, &InterceptPanel::setHeld);
    connect(panel, &InterceptPanel::holdToggled, this, [this](quint64 id, int direction, bool on) {
        if (on)
            m_clientActions->hold({id}, direction);
        else
            m_clientActions->release({id}, direction);
    });
    connect(panel, &InterceptPanel::routeHoldToggled, this, [this](const QString &pattern, int direction, bool on) {
        if (on)
            m_clientActions->holdRoute(pattern, direction);
        else
            m_clientActions->releaseRoute(pattern, direction);
    });
    connect(panel, &InterceptPanel::forwardRequested, m_clientActions, &ClientActions::forwardHeld);
    connect(panel, &InterceptPanel::dropRequested, m_clientActions, &ClientActions::dropHeld);
    connect(panel, &InterceptPanel::forwardAllRequested, m_clientActions, &ClientActions::forwardAllHeld);
    connect(panel, &InterceptPanel::releaseRequested, this, [this](quint64 id) { m_clientActions->release({id}); });
    connect(panel, &InterceptPanel::editRequested, this, [this](quint64 id, const ProxyHoldQueue::Held &held) {
        m_composePanel->editHeld(id, held.id, held.direction, held.message.data, held.message.binary);
        m_composePanel->focusEditor();
    });
    connect(m_composePanel, &ComposePanel::inject, m_clientActions, &ClientActions::inject);
    connect(m_composePanel, &ComposePanel::forwardEdited, m_clientActions, &ClientActions::forwardEdited);
}

void MainWindow::updateIntercept(const QList<quint64> &changedIds)
{
    const QList<quint64> ids = m_clientsPanel->selectedClientIds(true);
    QList<const ClientInfo *> selected;
    for (quint64 id : ids) {
        const int row = m_clients->rowOf(id);
        if (row >= 0)
            selected.append(&m_clients->client(row));
    }
    const bool proxied = !selected.isEmpty() && std::all_of(selected.cbegin(), selected.cend(), [](const ClientInfo *info) {
        return !info->upstreamUrl.isEmpty();
    });
    m_composePanel->setSelectionProxied(proxied);
    if (selected.size() != 1 || !proxied) {
        if (m_interceptPanel->clientId() != 0 || changedIds.isEmpty()) {
            m_interceptPanel->showNoClient(selected.size() > 1
                                               ? tr("Select one client of a proxy route to see what it holds.")
                                               : tr("Select a client of a proxy route to hold, edit and inject its messages."));
        }
        return;
    }
    const ClientInfo &client = *selected.first();
    const bool fresh = m_interceptPanel->clientId() != client.id;
    m_interceptPanel->showClient(client.id, client.route, tr("Client %1 · %2 → %3 (%4)")
                                                 .arg(client.id)
                                                 .arg(client.path, client.upstreamUrl, client.upstreamState));
    if (fresh || changedIds.contains(client.id))
        m_host.requestHeld(client.id); // at most once per batch of client changes
    if (!m_interceptShown) {
        m_interceptShown = true;
        m_interceptPanel->show();
    }
}

// ---- server lifecycle ----

void MainWindow::setServerConfig(const ServerConfig &config)
{
    m_config = config;
    m_log->setCapacity(config.logCapacity);
    m_log->setPayloadCap(config.logPayloadCapBytes);
    m_log->setMaxBytes(config.logMaxBytes);
    m_serverBar->setAddress(config.host, config.port);
    m_serverBar->setWebSocketBackend(WebSocketBackends::name(config.websocketBackend));
    m_composePanel->setRoomsAndRoutes(m_clients->rooms(), routePatterns());
}

void MainWindow::applySavedAddress(ServerConfig *config, bool hostGiven, bool portGiven)
{
    const QSettings settings;
    if (!hostGiven && settings.contains(kHostKey))
        config->host = settings.value(kHostKey).toString();
    if (!portGiven && settings.contains(kPortKey))
        config->port = static_cast<quint16>(settings.value(kPortKey).toUInt());
}

QStringList MainWindow::routePatterns() const
{
    QStringList patterns;
    for (const RouteSpec &route : m_config.routes.routes())
        patterns.append(route.pattern);
    return patterns;
}

void MainWindow::startServer()
{
    m_server->start();
}

void MainWindow::startFromUser()
{
    if (refuseBadAddress())
        return;
    m_saveAddressOnListen = true;
    startServer();
}

bool MainWindow::refuseBadAddress()
{
    const QString problem = m_serverBar->addressProblem();
    if (problem.isEmpty())
        return false;
    m_serverBar->showError(problem);
    statusBar()->showMessage(tr("Not applied: %1").arg(problem), 2 * kStatusMessageMs);
    return true;
}

void MainWindow::applyAddress()
{
    // Enter in Host or Port: restart on it when running, start when not.
    const ServerState state = m_server->state();
    if (state == ServerState::Listening)
        m_restartAction->trigger();
    else if (m_server->isDown())
        startFromUser();
}

CloseDialog *MainWindow::openRestartDialog()
{
    if (refuseBadAddress())
        return nullptr;
    auto *dialog = new CloseDialog(tr("every client, for the restart"), this);
    dialog->setObjectName(QStringLiteral("restartCloseDialog"));
    dialog->setWindowTitle(tr("Restart Server"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setCode(ServerController::kRestartCode);
    dialog->setReason(QStringLiteral("server restarting"));
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        m_saveAddressOnListen = true;
        restartServer(dialog->code(), dialog->reason());
    });
    dialog->open();
    return dialog;
}

void MainWindow::stopServer()
{
    m_server->stop();
}

void MainWindow::restartServer(int code, const QString &reason)
{
    m_server->restart(code, reason);
}

void MainWindow::onListening(const QUrl &url)
{
    statusBar()->showMessage(tr("Listening on %1").arg(url.toString()), kStatusMessageMs);
    const QString warning = NetworkExposure::warning(url.host());
    const QStringList urls = warning.isEmpty() ? QStringList() : NetworkExposure::reachableUrls(url);
    m_serverBar->showExposure(warning, urls);
    if (!warning.isEmpty())
        qCWarning(lcUi).noquote() << warning << "Reachable on:" << urls.join(QStringLiteral(", "));
    if (m_saveAddressOnListen) {
        m_saveAddressOnListen = false;
        QSettings settings;
        settings.setValue(kHostKey, m_serverBar->host());
        settings.setValue(kPortKey, m_serverBar->port());
    }
    if (m_closing) // closed while starting: stop right away
        stopServer();
}

void MainWindow::onStartFailed(const QString &error)
{
    m_saveAddressOnListen = false;
    statusBar()->showMessage(tr("Server not running: %1").arg(error));
    if (m_closing)
        close();
}

void MainWindow::onStopped()
{
    m_latestStats.clientsOpen = 0;
    onStats(m_latestStats);
    if (m_closing)
        close(); // the controller does not restart: closing cancelled that
}

void MainWindow::showServerState(ServerState state, const QUrl &url, const QString &detail)
{
    m_serverBar->setState(state, url, detail);
    updateActions();
}

void MainWindow::onStats(const EngineStats &stats)
{
    m_latestStats = stats;
    m_serverBar->showTraffic(stats.clientsOpen, m_rates.latest());
}

void MainWindow::sampleRates()
{
    const RateSample &sample = m_rates.addSample(m_latestStats, m_clock.elapsed());
    m_serverBar->showTraffic(m_latestStats.clientsOpen, sample);
    m_ratesChart->sampleAdded();
    updateRecordStatus();
}

// ---- export and settings files ----

ExportDialog *MainWindow::openExportDialog()
{
    return ExportDialog::openFor(*m_logPanel, QStringLiteral("switchboard-log"), this,
                                 [this](const QString &path, const LogRecordBatch &records, LogExporter::Format format) {
                                     exportRecords(path, records, format);
                                 });
}

void MainWindow::exportRecords(const QString &path, const LogRecordBatch &records, LogExporter::Format format)
{
    m_recording->exportRecords(path, records, format);
}

ReplayWindow *MainWindow::openRecording(const QString &path)
{
    auto *replay = new ReplayWindow(*m_clients, m_log->capacity(), m_log->payloadCap(), this);
    connect(replay, &ReplayWindow::resendRequested, this, [this](quint64 clientId, const QByteArray &payload, bool binary) {
        sendToClients({clientId}, payload, binary);
    });
    connect(replay, &ReplayWindow::composeRequested, this, [this](const QByteArray &payload, bool binary) {
        m_composePanel->setMessage(payload, binary);
        activateWindow();
        raise();
        m_composePanel->focusEditor();
    });
    connect(replay, &ReplayWindow::replayRequested, &m_host, &EngineHost::startReplay);
    connect(replay, &ReplayWindow::replayPauseRequested, &m_host, &EngineHost::pauseReplay);
    connect(replay, &ReplayWindow::replayResumeRequested, &m_host, &EngineHost::resumeReplay);
    connect(replay, &ReplayWindow::replayStopRequested, &m_host, &EngineHost::stopReplay);
    connect(&m_host, &EngineHost::replayChanged, replay, &ReplayWindow::showReplayStatus);
    connect(replay, &ReplayWindow::loaded, this, [this, replay] {
        statusBar()->showMessage(tr("Opened %1: %2").arg(QFileInfo(replay->path()).fileName(), replay->summary()),
                                 2 * kStatusMessageMs);
    });
    replay->load(path);
    replay->show();
    return replay;
}

void MainWindow::chooseRecordingToOpen()
{
    QSettings settings;
    const QString folder = settings.value(QStringLiteral("files/recordingFolder"), QDir::homePath()).toString();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Recording"), folder,
                                                      tr("Recordings and JSON Lines exports (*.jsonl *.ndjson *.json);;"
                                                         "All files (*)"));
    if (path.isEmpty())
        return;
    settings.setValue(QStringLiteral("files/recordingFolder"), QFileInfo(path).absolutePath());
    openRecording(path);
}

ServerConfig MainWindow::currentConfig() const
{
    ServerConfig config = m_config;
    config.host = m_serverBar->host();
    config.port = m_serverBar->port();
    config.logCapacity = m_log->capacity();
    config.logPayloadCapBytes = m_log->payloadCap();
    config.logMaxBytes = m_log->maxBytes();
    config.recordPath = isRecording() ? recorder()->options().path : QString();
    return config;
}

bool MainWindow::saveConfigTo(const QString &path, QString *error)
{
    QString why;
    if (!currentConfig().saveFile(path, &why)) {
        statusBar()->showMessage(tr("Settings not saved: %1").arg(why), 2 * kStatusMessageMs);
        if (error)
            *error = why;
        return false;
    }
    m_configPath = path;
    statusBar()->showMessage(tr("Settings saved to %1 (start with --config %1)").arg(QDir::toNativeSeparators(path)),
                             kStatusMessageMs);
    return true;
}

void MainWindow::saveConfig()
{
    if (m_configPath.isEmpty()) {
        saveConfigAs();
        return;
    }
    QString error;
    if (!saveConfigTo(m_configPath, &error))
        QMessageBox::warning(this, tr("Settings Not Saved"), error);
}

void MainWindow::saveConfigAs()
{
    const QString suggested = m_configPath.isEmpty() ? QDir(QDir::homePath()).filePath(QStringLiteral("switchboard.json"))
                                                     : m_configPath;
    const QString path = QFileDialog::getSaveFileName(this, tr("Save Settings As"), suggested,
                                                      tr("Switchboard config (*.json);;All files (*)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!saveConfigTo(path, &error))
        QMessageBox::warning(this, tr("Settings Not Saved"), error);
}

// ---- recording ----

bool MainWindow::startRecording(const QString &path, QString *error)
{
    LogRecorder::Options options;
    options.path = path;
    options.maxBytes = m_config.recordMaxBytes;
    options.keepFiles = m_config.recordKeepFiles;
    return m_recording->start(options, error);
}

void MainWindow::stopRecording()
{
    m_recording->stop();
}

bool MainWindow::isRecording() const
{
    return m_recording->isRecording();
}

void MainWindow::chooseRecordingFile()
{
    QSettings settings;
    const QString folder = settings.value(QStringLiteral("files/recordingFolder"), QDir::homePath()).toString();
    const QString suggested = QDir(folder).filePath(
        QStringLiteral("switchboard-%1.jsonl").arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))));
    // Appending to an existing recording is fine: the recorder never truncates.
    const QString path = QFileDialog::getSaveFileName(this, tr("Record to File"), suggested,
                                                      tr("JSON Lines (*.jsonl);;All files (*)"), nullptr,
                                                      QFileDialog::DontConfirmOverwrite);
    if (path.isEmpty()) {
        updateRecordStatus(); // canceled: the toggle goes back off
        return;
    }
    settings.setValue(QStringLiteral("files/recordingFolder"), QFileInfo(path).absolutePath());
    QString error;
    if (!startRecording(path, &error))
        QMessageBox::warning(this, tr("Not Recording"), tr("Cannot record to %1:\n%2").arg(path, error));
}

void MainWindow::updateRecordStatus()
{
    const LogRecorder *recorder = m_recording->recorder();
    const bool on = recorder->isRecording();
    m_recordAction->setChecked(on);
    m_recordAction->setText(on ? tr("Stop &Recording") : tr("&Record to File…"));
    m_recordStatus->setVisible(on);
    if (!on)
        return;
    const QString path = recorder->options().path;
    m_recordStatus->setText(tr("<span style=\"color:#d03a2f\">&#9679;</span> Recording %1 · %2")
                                .arg(QFileInfo(path).fileName().toHtmlEscaped(),
                                     ClientTableModel::formatBytes(static_cast<qint64>(recorder->bytesWritten()))));
    m_recordStatus->setToolTip(tr("%1\n%2 records written; rotates past %3")
                                   .arg(QDir::toNativeSeparators(path))
                                   .arg(QLocale().toString(static_cast<qulonglong>(recorder->recordsWritten())))
                                   .arg(ClientTableModel::formatBytes(m_config.recordMaxBytes)));
}

// ---- commands ----

void MainWindow::copyUrl()
{
    const QUrl url = m_serverBar->url();
    if (url.isEmpty())
        return;
    QApplication::clipboard()->setText(url.toString());
    statusBar()->showMessage(tr("Copied %1").arg(url.toString()), kStatusMessageMs);
}

void MainWindow::openInBrowser()
{
    const QUrl url = m_serverBar->url();
    if (url.isEmpty())
        return;
    if (!QDesktopServices::openUrl(url))
        statusBar()->showMessage(tr("No browser could open %1").arg(url.toString()), 2 * kStatusMessageMs);
}

void MainWindow::composeToSelected()
{
    m_composePanel->setTarget(ComposePanel::Target::SelectedClients);
    m_composePanel->focusEditor();
}

void MainWindow::sendToClients(const QList<quint64> &clientIds, const QByteArray &payload, bool binary)
{
    m_clientActions->send(clientIds, payload, binary);
}

void MainWindow::banSelected()
{
    QStringList addresses;
    for (quint64 id : m_clientsPanel->selectedClientIds(false)) {
        const int row = m_clients->rowOf(id);
        if (row >= 0 && !addresses.contains(m_clients->client(row).peerAddress))
            addresses.append(m_clients->client(row).peerAddress);
    }
    for (const QString &address : std::as_const(addresses))
        m_host.banAddress(address);
    if (!addresses.isEmpty())
        statusBar()->showMessage(tr("Banned %1").arg(addresses.join(QStringLiteral(", "))), kStatusMessageMs);
}

BansDialog *MainWindow::openBansDialog()
{
    if (!m_bansDialog)
        m_bansDialog = new BansDialog(m_host, this);
    m_bansDialog->show();
    m_bansDialog->raise();
    return m_bansDialog;
}

void MainWindow::pingSelected()
{
    m_clientActions->ping(m_clientsPanel->selectedClientIds(true));
}

CloseDialog *MainWindow::openCloseDialog(const QList<quint64> &clientIds, const QString &description)
{
    auto *dialog = new CloseDialog(description, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setCode(m_clientActions->lastCloseCode());
    dialog->setReason(m_clientActions->lastCloseReason());
    connect(dialog, &QDialog::accepted, this, [this, dialog, clientIds] {
        m_clientActions->close(clientIds, dialog->code(), dialog->reason());
    });
    dialog->open();
    return dialog;
}

void MainWindow::closeSelected()
{
    const QList<quint64> ids = m_clientsPanel->selectedClientIds(true);
    if (ids.isEmpty())
        return;
    openCloseDialog(ids, ids.size() == 1 ? tr("client %1").arg(ids.first())
                                         : tr("the %1 selected clients").arg(ids.size()));
}

void MainWindow::closeAll()
{
    QList<quint64> ids;
    for (int row = 0; row < m_clients->rowCount(); ++row) {
        if (m_clients->client(row).state == ClientInfo::State::Open)
            ids.append(m_clients->client(row).id);
    }
    if (ids.isEmpty())
        return;
    openCloseDialog(ids, tr("all %1").arg(countOf(ids.size(), tr("open client"), tr("open clients"))));
}

// ---- state shown ----

void MainWindow::updateActions()
{
    const ServerState state = m_server->state();
    const bool listening = state == ServerState::Listening;
    const bool running = listening || state == ServerState::Starting;
    m_startStopAction->setText(running ? tr("&Stop Server") : tr("&Start Server"));
    m_startStopAction->setIconText(running ? tr("Stop") : tr("Start"));
    m_startStopAction->setIcon(style()->standardIcon(running ? QStyle::SP_MediaStop : QStyle::SP_MediaPlay));
    m_startStopAction->setToolTip(running ? tr("Stop the server: every client gets 1001 Going Away")
                                          : tr("Start the server on the host and port shown"));
    m_startStopAction->setEnabled(state != ServerState::Stopping);
    m_restartAction->setEnabled(state != ServerState::Stopping);
    m_restartWithCodeAction->setEnabled(listening);
    m_bansAction->setEnabled(listening);
    m_copyUrlAction->setEnabled(listening);
    m_openInBrowserAction->setEnabled(listening);

    const bool haveSelection = listening && !m_clientsPanel->selectedClientIds(true).isEmpty();
    m_sendAction->setEnabled(haveSelection);
    m_pingAction->setEnabled(haveSelection);
    m_holdAction->setEnabled(haveSelection);
    m_releaseAction->setEnabled(haveSelection);
    m_closeAction->setEnabled(haveSelection);
    m_banAction->setEnabled(listening && !m_clientsPanel->selectedClientIds(false).isEmpty());
    m_closeAllAction->setEnabled(listening && m_clients->openCount() > 0);
}

void MainWindow::updateLogStatus()
{
    const QLocale locale;
    const quint64 gone = m_log->evictedTotal();
    const int kept = m_log->rowCount();
    QString text = kept == 1 ? tr("Log: 1 record in memory") : tr("Log: %1 records in memory").arg(locale.toString(kept));
    if (gone > 0)
        text += tr(" · %1 left memory").arg(locale.toString(static_cast<qulonglong>(gone)));
    if (m_log->isPaused())
        text += tr(" · paused, %1 held back").arg(locale.toString(m_log->heldBackCount()));
    m_logStatus->setText(text);
}

// ---- closing and settings ----

void MainWindow::quitWithoutAsking()
{
    m_quitConfirmed = true;
    close();
}

bool MainWindow::confirmQuit()
{
    const QString key = QStringLiteral("confirm/quitWithClients");
    if (m_quitConfirmed || m_clients->openCount() == 0 || !QSettings().value(key, true).toBool())
        return true;
    // Window-modal and not blocking: the engine keeps serving while the question is up.
    auto *box = new QMessageBox(QMessageBox::Question, tr("Quit Switchboard"),
                                tr("%1 connected. Quitting closes them with 1001 Going Away.")
                                    .arg(countOf(m_clients->openCount(), tr("client is"), tr("clients are"))),
                                QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("quitConfirmation"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton *quit = box->addButton(tr("&Quit"), QMessageBox::AcceptRole);
    box->setDefaultButton(quit);
    auto *dontAsk = new QCheckBox(tr("Don't ask again"), box);
    box->setCheckBox(dontAsk);
    connect(box, &QMessageBox::finished, this, [this, box, quit, dontAsk, key] {
        if (box->clickedButton() != quit)
            return;
        if (dontAsk->isChecked())
            QSettings().setValue(key, false);
        m_quitConfirmed = true;
        close();
    });
    box->open();
    return false;
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!m_closing && !m_forceClose && !m_server->isDown() && !confirmQuit()) {
        event->ignore();
        return;
    }
    if (m_server->isDown() || m_forceClose) {
        saveSettings();
        event->accept();
        return;
    }
    // Close every client with 1001 Going Away first; the window goes when the engine stopped.
    event->ignore();
    if (m_closing)
        return;
    m_closing = true;
    m_server->cancelRestart();
    statusBar()->showMessage(tr("Stopping the server…"));
    if (m_server->state() != ServerState::Stopping)
        stopServer();
    QTimer::singleShot(kCloseFallbackMs, this, [this] {
        if (!isVisible())
            return;
        qCWarning(lcUi) << "the server did not report stopping in time; closing anyway";
        m_forceClose = true;
        close();
    });
}

void MainWindow::saveSettings()
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/mainSplitter"), m_mainSplitter->saveState());
    settings.setValue(QStringLiteral("window/topSplitter"), m_topSplitter->saveState());
    settings.setValue(QStringLiteral("window/bottomSplitter"), m_bottomSplitter->saveState());
    settings.setValue(QStringLiteral("window/sideSplitter"), m_sideSplitter->saveState());
    settings.setValue(QStringLiteral("clients/header"), m_clientsPanel->saveHeaderState());
    settings.setValue(QStringLiteral("clients/showClosed"), m_clientsPanel->showClosedAction()->isChecked());
    settings.setValue(QStringLiteral("close/code"), m_clientActions->lastCloseCode());
    settings.setValue(QStringLiteral("close/reason"), m_clientActions->lastCloseReason());
    m_logPanel->saveSettings(settings);
    m_composePanel->saveSettings(settings);
}

void MainWindow::restoreSettings()
{
    const QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    m_mainSplitter->restoreState(settings.value(QStringLiteral("window/mainSplitter")).toByteArray());
    m_topSplitter->restoreState(settings.value(QStringLiteral("window/topSplitter")).toByteArray());
    m_bottomSplitter->restoreState(settings.value(QStringLiteral("window/bottomSplitter")).toByteArray());
    m_sideSplitter->restoreState(settings.value(QStringLiteral("window/sideSplitter")).toByteArray());
    m_clientsPanel->restoreHeaderState(settings.value(QStringLiteral("clients/header")).toByteArray());
    m_clientsPanel->showClosedAction()->setChecked(settings.value(QStringLiteral("clients/showClosed"), true).toBool());
    m_clientActions->setLastClose(settings.value(QStringLiteral("close/code"), m_clientActions->lastCloseCode()).toInt(),
                                  settings.value(QStringLiteral("close/reason")).toString());
    m_logPanel->restoreSettings(settings);
    m_composePanel->restoreSettings(settings);
}
