#pragma once

#include "ClientInfo.h"
#include "../cluster/ClusterStatus.h"
#include "EngineStats.h"
#include "OperatorCommand.h"
#include "ScriptRouteInfo.h"
#include "ServerConfig.h"
#include "../log/LogRecord.h"

#include <QObject>
#include <QThread>
#include <QUrl>

class Engine;

// Runs an Engine on a thread of its own so the network never waits for the GUI and the GUI
// never waits for the network. Commands are queued to the engine; its batched signals arrive
// on the host's thread. Restarting (e.g. with a new port) replaces the engine.
class EngineHost : public QObject
{
    Q_OBJECT
public:
    explicit EngineHost(QObject *parent = nullptr);
    ~EngineHost() override;

    void start(const ServerConfig &config);
    void stop();
    bool isRunning() const { return m_engine != nullptr; }
    QUrl url() const { return m_url; }

    void sendToClient(quint64 clientId, const QByteArray &payload, bool binary);
    void broadcast(const BroadcastTarget &target, const QByteArray &payload, bool binary);
    void ping(quint64 clientId);
    void closeClients(const QList<quint64> &clientIds, int code, const QString &reason);
    // Loads every script route's file again (restartClients: their clients are closed with 1012).
    void reloadScripts(bool restartClients);
    // Asks the engine for its script routes; they arrive as scriptRoutesReported().
    void requestScriptRoutes();
    // The dashboard's in-memory log evicted records: counted in /metrics
    // (switchboard_log_records_dropped_total). Call from the host's thread.
    void noteLogRecordsDropped(quint64 count);

Q_SIGNALS:
    void listening(const QUrl &url);
    void startFailed(const QString &error);
    void stopped();
    void commandFailed(const QString &error);
    void recordsAppended(const LogRecordBatch &records);
    void clientsChanged(const ClientInfoList &clients);
    void statsChanged(const EngineStats &stats);
    void clusterChanged(const ClusterStatus &status);
    void scriptRoutesReported(const ScriptRouteInfoList &routes);

private:
    template<typename Command>
    void runOnEngine(Command command);
    void discardEngine();

    QThread m_thread;
    Engine *m_engine = nullptr; // lives on m_thread
    QObject *m_threadAnchor = nullptr; // lives on m_thread: what we run code there through
    QUrl m_url;
    quint64 m_nextClientId = 1; // carried from engine to engine: ids stay unique across restarts
};
