#pragma once

#include "ClientInfo.h"
#include "../cluster/ClusterStatus.h"
#include "EngineStats.h"
#include "HeldMessages.h"
#include "OperatorCommand.h"
#include "ReplayStatus.h"
#include "ScriptRouteInfo.h"
#include "ServerConfig.h"
#include "../log/LogRecord.h"

#include <QObject>
#include <QThread>
#include <QUrl>
#include <memory>

class Engine;
class EventLog;

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
    // Stops the engine; its clients get this close code (1001 Going Away by default).
    void stop(int code = 1001, const QString &reason = QStringLiteral("server shutting down"));
    // Restart on another address without a gap: a second engine listens on config's address while
    // the running one keeps serving; once it listens the old one closes its clients with code and
    // stops (listening() then carries the new URL). If the new one cannot listen, replaceFailed()
    // says why and the running engine is untouched. Without a running engine: start(config).
    void replace(const ServerConfig &config, int code, const QString &reason);
    const ServerConfig &runningConfig() const { return m_config; }
    bool isRunning() const { return m_engine != nullptr; }
    QUrl url() const { return m_url; }

    void sendToClient(quint64 clientId, const QByteArray &payload, bool binary);
    void broadcast(const BroadcastTarget &target, const QByteArray &payload, bool binary);
    void ping(quint64 clientId);
    void closeClients(const QList<quint64> &clientIds, int code, const QString &reason);
    // Proxy routes: hold a direction (ProxyHoldQueue::Direction bits), or release it.
    void proxyHold(quint64 clientId, int directions);
    void proxyRelease(quint64 clientId, int directions);
    // ...for every current and new client of a proxy route (its pattern).
    void proxyHoldRoute(const QString &pattern, int directions);
    void proxyReleaseRoute(const QString &pattern, int directions);
    // A held message: forwarded (its payload replaced when edited), or dropped; or all of them.
    void proxyForwardHeld(quint64 clientId, quint64 heldId);
    void proxyForwardEdited(quint64 clientId, quint64 heldId, const QByteArray &payload, bool binary);
    void proxyDropHeld(quint64 clientId, quint64 heldId);
    void proxyForwardAllHeld(quint64 clientId);
    // To the client as if from the upstream, or to the upstream as if from the client.
    void proxyInject(quint64 clientId, bool toUpstream, const QByteArray &payload, bool binary);
    // Asks for the client's hold queue; it arrives as heldReported().
    void requestHeld(quint64 clientId);
    // Loads every script route's file again (restartClients: their clients are closed with 1012).
    void reloadScripts(bool restartClients);
    // Asks the engine for its script routes; they arrive as scriptRoutesReported().
    void requestScriptRoutes();
    // Bans close the address's clients (1008) and refuse it (403) until unbanned; bansChanged()
    // follows with the list. The host carries the list to the engine a restart starts.
    void banAddress(const QString &address);
    void unbanAddress(const QString &address);
    // Asks the engine for its list (e.g. after bans through the admin API): bansChanged() answers.
    void refreshBans();
    QStringList bans() const { return m_bans; }
    // Timed replay (the replay window): messages to one client with their recorded spacing scaled
    // by speed (0: back-to-back), once or looping; replayChanged() reports progress.
    void startReplay(quint64 clientId, const LogRecordBatch &messages, double speed, bool loop);
    void pauseReplay();
    void resumeReplay();
    void stopReplay();
    // The dashboard's in-memory log evicted records: counted in /metrics
    // (switchboard_log_records_dropped_total). Call from the host's thread.
    void noteLogRecordsDropped(quint64 count);

Q_SIGNALS:
    void listening(const QUrl &url);
    void startFailed(const QString &error);
    void replaceFailed(const QString &error);
    void stopped();
    void commandFailed(const QString &error);
    void recordsAppended(const LogRecordBatch &records);
    void clientsChanged(const ClientInfoList &clients);
    void statsChanged(const EngineStats &stats);
    void clusterChanged(const ClusterStatus &status);
    void scriptRoutesReported(const ScriptRouteInfoList &routes);
    void bansChanged(const QStringList &addresses);
    void replayChanged(const ReplayStatus &status);
    void heldReported(const HeldMessages &held);

private:
    template<typename Command>
    void runOnEngine(Command command);
    void discardEngine();
    Engine *createEngine(const ServerConfig &config);
    void wire(Engine *engine);
    void deleteEngine(Engine *engine);

    QThread m_thread;
    Engine *m_engine = nullptr; // lives on m_thread
    Engine *m_incoming = nullptr; // lives on m_thread: the replacement binding its address
    QList<Engine *> m_retiring; // live on m_thread: replaced engines closing their clients
    ServerConfig m_config; // what m_engine runs with
    ServerConfig m_incomingConfig;
    int m_replaceCode = 1012;
    QString m_replaceReason;
    QObject *m_threadAnchor = nullptr; // lives on m_thread: what we run code there through
    QUrl m_url;
    QStringList m_bans;
    quint64 m_nextClientId = 1; // carried from engine to engine: ids stay unique across restarts
    // Carried from engine to engine (used on m_thread only): /api/events sequence numbers never restart.
    std::shared_ptr<EventLog> m_eventLog;
};
