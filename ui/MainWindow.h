#pragma once

#include "RecordingController.h"
#include "ServerState.h"
#include "log/LogExporter.h"
#include "model/TrafficRates.h"
#include "server/EngineStats.h"
#include "server/ServerConfig.h"

#include <QElapsedTimer>
#include <QList>
#include <QMainWindow>

class BansDialog;
class ClientActions;
class ClientTableModel;
class ClientsPanel;
class CloseDialog;
class ComposePanel;
class DetailPane;
class EngineHost;
class ExportDialog;
class InterceptPanel;
class LogExporter;
class LogPanel;
class LogRecorder;
class MessageLogModel;
class QAction;
class QLabel;
class QMenu;
class QSplitter;
class QTimer;
class RatesChart;
class ReplayWindow;
class ServerBar;
class ServerController;

// The operator's window: the server bar on top, clients and rates, then the message log with
// the detail and compose panels. It keeps the layout and menus; what talks to the engine is in
// small controllers (ServerController, ClientActions, RecordingController), which reach it only
// through EngineHost: commands are queued to the engine's thread, and its batched signals feed
// the models.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(EngineHost &host, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Routes, limits and origins the server starts with; host and port go to the server bar,
    // which supplies them on every start.
    void setServerConfig(const ServerConfig &config);
    // Puts the host and port saved by an earlier run into config, unless the command line set them.
    static void applySavedAddress(ServerConfig *config, bool hostGiven, bool portGiven);

    void startServer();
    void stopServer();
    // Closes as Quit does, without asking about connected clients (SIGTERM, Ctrl+C).
    void quitWithoutAsking();
    // Restarts on the host and port now in the server bar; clients get code (1012 Service Restart
    // by default). A new address is bound before the old one closes (ServerController::restart).
    void restartServer(int code = 1012, const QString &reason = QStringLiteral("server restarting"));
    // Server > Restart with Close Code: the close dialog, preset to 1012; accepting restarts.
    CloseDialog *openRestartDialog();

    // Records every log record from now on, full payload, to a JSON Lines file (rotating as
    // the config's recordMaxBytes/recordKeepFiles say). False with *error when the file cannot be
    // written. Recording continues across server restarts until stopRecording().
    bool startRecording(const QString &path, QString *error = nullptr);
    void stopRecording();
    bool isRecording() const;
    LogRecorder *recorder() const { return m_recording->recorder(); }

    // File > Export Log: opens the (window-modal) export dialog; accepting it writes the chosen
    // records on a worker thread (LogExporter::finished says when).
    ExportDialog *openExportDialog();
    void exportRecords(const QString &path, const LogRecordBatch &records, LogExporter::Format format);
    LogExporter *exporter() const { return m_recording->exporter(); }

    // File > Open Recording: a replay window on a recording (or JSON Lines export), loading on a
    // worker thread. Its "Send" re-sends a recorded message to a live client through the engine.
    ReplayWindow *openRecording(const QString &path);

    // File > Save Settings: the settings the server runs with now (host and port as shown,
    // routes, limits, origins, tokens, log settings, the recording if one runs) as a config
    // file that --config loads back. The file given with --config is where "Save" writes.
    ServerConfig currentConfig() const;
    bool saveConfigTo(const QString &path, QString *error = nullptr);
    void setConfigPath(const QString &path) { m_configPath = path; }
    QString configPath() const { return m_configPath; }

    // Clients > Banned Addresses: the list with Ban and Unban (one dialog, raised when open).
    BansDialog *openBansDialog();
    // Bans the selected clients' addresses (closing them with 1008).
    void banSelected();

    // Opens the (window-modal) close dialog for these clients; accepting it closes them.
    CloseDialog *openCloseDialog(const QList<quint64> &clientIds, const QString &description);

    ServerBar *serverBar() const { return m_serverBar; }
    ClientsPanel *clientsPanel() const { return m_clientsPanel; }
    LogPanel *logPanel() const { return m_logPanel; }
    DetailPane *detailPane() const { return m_detailPane; }
    ComposePanel *composePanel() const { return m_composePanel; }
    InterceptPanel *interceptPanel() const { return m_interceptPanel; }
    RatesChart *ratesChart() const { return m_ratesChart; }
    ClientTableModel *clientModel() const { return m_clients; }
    MessageLogModel *logModel() const { return m_log; }
    const TrafficRates &trafficRates() const { return m_rates; }
    // The File menu, for features that add to it (e.g. log export).
    QMenu *fileMenu() const { return m_fileMenu; }

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void createMenus();
    void createLayout();
    void connectEngine();
    void onListening(const QUrl &url);
    void onStartFailed(const QString &error);
    void onStopped();
    void onStats(const EngineStats &stats);
    void sampleRates();
    void updateActions();
    void updateLogStatus();
    void updateRecordStatus();
    void chooseRecordingFile();
    void saveConfig();
    void chooseRecordingToOpen();
    void saveConfigAs();
    void startFromUser();
    void applyAddress();
    bool refuseBadAddress();
    void copyUrl();
    void openInBrowser();
    void composeToSelected();
    void pingSelected();
    void closeSelected();
    void closeAll();
    void sendToClients(const QList<quint64> &clientIds, const QByteArray &payload, bool binary);
    // The intercept dock and the compose panel's proxy targets follow the selected clients.
    void updateIntercept(const QList<quint64> &changedIds = {});
    void connectIntercept();
    void saveSettings();
    void restoreSettings();
    QStringList routePatterns() const;

    void showServerState(ServerState state, const QUrl &url, const QString &detail);

    EngineHost &m_host;
    ServerConfig m_config;
    bool m_closing = false;
    bool m_forceClose = false;
    bool m_quitConfirmed = false;
    bool confirmQuit();
    bool m_saveAddressOnListen = false;

    ClientTableModel *m_clients;
    MessageLogModel *m_log;
    TrafficRates m_rates;
    EngineStats m_latestStats;
    QElapsedTimer m_clock;
    QTimer *m_rateTimer;
    ServerController *m_server;
    ClientActions *m_clientActions;
    RecordingController *m_recording;
    QString m_configPath;
    quint64 m_evictedReported = 0; // log evictions already passed on to EngineHost

    ServerBar *m_serverBar = nullptr;
    ClientsPanel *m_clientsPanel = nullptr;
    RatesChart *m_ratesChart = nullptr;
    LogPanel *m_logPanel = nullptr;
    DetailPane *m_detailPane = nullptr;
    ComposePanel *m_composePanel = nullptr;
    InterceptPanel *m_interceptPanel = nullptr;
    bool m_interceptShown = false; // shown once, when a proxied client is first selected
    QSplitter *m_mainSplitter = nullptr;
    QSplitter *m_topSplitter = nullptr;
    QSplitter *m_bottomSplitter = nullptr;
    QSplitter *m_sideSplitter = nullptr;
    QLabel *m_logStatus = nullptr;
    QLabel *m_recordStatus = nullptr;
    QMenu *m_fileMenu = nullptr;

    QAction *m_exportAction = nullptr;
    QAction *m_recordAction = nullptr;
    QAction *m_openRecordingAction = nullptr;
    QAction *m_saveConfigAction = nullptr;
    QAction *m_saveConfigAsAction = nullptr;
    QAction *m_quitAction = nullptr;
    QAction *m_startStopAction = nullptr;
    QAction *m_restartAction = nullptr;
    QAction *m_reloadScriptsAction = nullptr;
    QAction *m_restartScriptClientsAction = nullptr;
    QAction *m_scriptRoutesAction = nullptr;
    QAction *m_restartWithCodeAction = nullptr;
    QAction *m_copyUrlAction = nullptr;
    QAction *m_openInBrowserAction = nullptr;
    QAction *m_sendAction = nullptr;
    QAction *m_pingAction = nullptr;
    QAction *m_holdAction = nullptr;    // proxied clients: hold their messages both ways
    QAction *m_releaseAction = nullptr; // ...and forward what was held
    QAction *m_closeAction = nullptr;
    QAction *m_closeAllAction = nullptr;
    QAction *m_banAction = nullptr;
    QAction *m_bansAction = nullptr;
    BansDialog *m_bansDialog = nullptr;
    QAction *m_focusFilterAction = nullptr;
    QAction *m_aboutAction = nullptr;
};
