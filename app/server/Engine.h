#pragma once

#include "Admission.h"
#include "ClientSession.h"
#include "ClientInfo.h"
#include "EngineReporter.h"
#include "EngineStats.h"
#include "HeldMessages.h"
#include "Metrics.h"
#include "OperatorCommand.h"
#include "ReplayStatus.h"
#include "RoomIndex.h"
#include "ScriptRouteInfo.h"
#include "ServerConfig.h"
#include "WritePasses.h"
#include "../http/WebSocketDialer.h"
#include "../routes/ProxyBehaviour.h"
#include "../routes/RouteBehaviour.h"
#include "../script/ScriptConnection.h"
#include "../script/ScriptHost.h"
#include "../cluster/ClusterStatus.h"
#include "../log/LogRecord.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <QUrl>
#include <map>
#include <memory>

class AdminApi;
class ScriptRuntime;
class ClientSession;
class ClusterLink;
class EventLog;
class EventStreams;
class Replayer;
struct ClusterMessage;
class FrontDoor;
struct GateDecision;
class PendingAnswer;
class OutgoingMessage;
class RequestRouter;
class WebSocketEndpoint;
struct HttpRequestHead;

// The server: front door, sessions, routes and operator commands. It lives on one thread (its
// own in the dashboard) and reports through batched signals; the GUI and tests reach it only
// through its command API and those signals. This class is the hot path (receive -> route ->
// deliver -> write passes) and the commands; its bookkeeping (records, rows, batches to the GUI)
// is EngineReporter's, its write passes WritePasses', its rooms RoomIndex's.
class Engine : public QObject, public RouteHost, public ScriptHost, private ClientSession::Observer
{
    Q_OBJECT
public:
    explicit Engine(ServerConfig config, QObject *parent = nullptr);
    ~Engine() override;

    // Starts listening. Emits listening() or, returning false, startFailed().
    Q_INVOKABLE bool start();
    // Closes every client with 1001 Going Away, stops listening, and emits stopped() once every
    // client is gone or the shutdown grace period has passed.
    Q_INVOKABLE void stop();
    // The same with the operator's close code and reason (e.g. 1012 Service Restart).
    void stopWithCode(int code, const QString &reason);

    bool isListening() const;
    bool isStopping() const { return m_stopping; }
    quint16 port() const;
    // The listen backlog asked for: --listen-backlog, or the system's maximum (somaxconn).
    int listenBacklog() const;
    // Client ids count up from 1. A host that replaces its engine (a restart from the dashboard)
    // continues from where the last one stopped, so an id names one client for the whole process.
    quint64 nextClientId() const { return *m_nextClientId; }
    void setNextClientId(quint64 id) { *m_nextClientId = id; }
    // Draws ids from other's counter: two engines serving side by side during a restart (both on
    // the host's one thread) never hand out the same id.
    void shareClientIds(const Engine &other) { m_nextClientId = other.m_nextClientId; }
    QUrl httpUrl() const;
    QUrl webSocketUrl(const QString &path) const;
    const ServerConfig &config() const { return m_config; }
    int openClientCount() const { return m_openClients; }
    ClientInfoList clients() const;
    EngineStats stats() const;
    QByteArray healthJson() const;
    // The cluster link's view (enabled == false without --redis).
    ClusterStatus clusterStatus() const;

    // Operator commands. Each validates first: a refused command sends nothing.
    Q_INVOKABLE CommandResult sendToClient(quint64 clientId, const QByteArray &payload, bool binary);
    Q_INVOKABLE CommandResult broadcast(const BroadcastTarget &target, const QByteArray &payload, bool binary);
    Q_INVOKABLE CommandResult ping(quint64 clientId);
    Q_INVOKABLE CommandResult closeClients(const QList<quint64> &clientIds, int code, const QString &reason);
    // Closes the address's clients with 1008 and refuses its new connections with 403 until unbanned.
    Q_INVOKABLE CommandResult banAddress(const QString &address);
    Q_INVOKABLE CommandResult unbanAddress(const QString &address);
    QStringList bannedAddresses() const;

    // Records an operator action taken outside the dashboard (the admin API) in the message log,
    // as a System record whose detail says what was done ("api: close client 3 ...").
    void recordOperatorAction(quint64 clientId, LogRecord::Kind kind, const QString &detail);

    // The server's own bounded log and its followers (/api/events, /api/log).
    EventStreams &events() { return *m_events; }
    const EventStreams &events() const { return *m_events; }
    // Numbers a batch of records (EngineReporter's), keeps it in the log and passes it to its followers.
    void keepRecords(LogRecordBatch &records);
    // Sequence numbers go on across restarts: a replacing engine shares the running one's log
    // (like its client ids); the host keeps it across a stop and a start.
    void shareEventLog(const Engine &other);
    void shareEventLog(std::shared_ptr<EventLog> log);
    std::shared_ptr<EventLog> eventLog() const;
    // Timed replay of recorded messages to one client (POST /api/replay, the replay window).
    Replayer &replayer() { return *m_replayer; }

    // Headless, the server's own log is the only one: its evictions are what /metrics counts as
    // dropped (the dashboard reports its own log's instead).
    void setCountOwnLogDrops(bool count) { m_countOwnLogDrops = count; }

    // Counters for GET /metrics. noteLogRecordsDropped() may be called from any thread.
    Metrics &metrics() { return m_metrics; }
    QByteArray metricsText() const;

    // RouteHost: every RouteClient the engine hands to a behaviour is one of its sessions.
    void sendToClient(RouteClient &client, const IncomingMessage &message) override;
    int broadcastToRoom(const QString &room, const IncomingMessage &message) override;
    void joinRoom(RouteClient &client, const QString &room) override;
    void leaveRoom(RouteClient &client) override;
    void closeClient(RouteClient &client, int code, const QString &reason) override;
    void relayToClient(RouteClient &client, const IncomingMessage &message, const QString &detail) override;
    void upstreamMessage(RouteClient &client, bool toUpstream, const IncomingMessage &message,
                         const QString &detail) override;
    void upstreamChanged(RouteClient &client, const QString &url, UpstreamState state, const QString &detail) override;
    void heldChanged(RouteClient &client) override;

    // Proxy routes (EngineProxy.cpp): hold a direction (ProxyHoldQueue::Direction bits), release it
    // (the held messages go in order), list, forward (optionally edited) or drop held messages, and
    // inject a message either way. Refused for clients that are not open on a proxy route.
    Q_INVOKABLE CommandResult proxyHold(quint64 clientId, int directions);
    Q_INVOKABLE CommandResult proxyRelease(quint64 clientId, int directions);
    CommandResult proxyForwardHeld(quint64 clientId, quint64 heldId, const IncomingMessage *edited);
    CommandResult proxyDropHeld(quint64 clientId, quint64 heldId);
    Q_INVOKABLE CommandResult proxyInject(quint64 clientId, bool toUpstream, const QByteArray &payload, bool binary);
    // Forwards every message the client holds, in order, and keeps holding.
    CommandResult proxyForwardAllHeld(quint64 clientId);
    // Route-level hold: every open client of the proxy route (pattern) and every new one holds
    // `directions`; release stops that on all of them and forwards what they held. affected: clients.
    CommandResult proxyHoldRoute(const QString &pattern, int directions);
    CommandResult proxyReleaseRoute(const QString &pattern, int directions);
    // What a proxy route holds for its clients (0: nothing, or not a proxy route).
    int routeHolding(const QString &pattern) const;
    // The client's proxy (null when it is not an open client of a proxy route).
    const ProxyBehaviour *proxyOf(quint64 clientId) const;
    // The client's hold queue, for the dashboard (proxied == false when it has none).
    HeldMessages heldMessages(quint64 clientId) const;

    // ScriptHost: what script routes ask of the engine (app/script).
    QString scriptSend(quint64 clientId, const QByteArray &data, bool binary) override;
    QString scriptSendUpstream(quint64 clientId, const QByteArray &data, bool binary) override;
    QString scriptClose(quint64 clientId, int code, const QString &reason) override;
    QString scriptPing(quint64 clientId) override;
    int scriptReadyState(quint64 clientId) const override;
    void scriptJoin(quint64 clientId, const QString &room) override;
    void scriptLeave(quint64 clientId) override;
    int scriptBroadcast(const QString &room, const QString &route, const QByteArray &data, bool binary) override;
    QJsonArray scriptClients(const QString &room, const QString &route) const override;
    void scriptLog(const QString &route, quint64 clientId, LogLevel level, const QString &where,
                   const QString &text) override;
    // The runtime of a script route (null for other routes or before start()).
    ScriptRuntime *scriptRuntime(const QString &pattern) const;
    // Loads the route's script again (a failure keeps the running version and says why); with
    // restartClients its open clients are closed with 1012 so they reconnect to the new code.
    Q_INVOKABLE CommandResult reloadScript(const QString &pattern, bool restartClients);
    // reloadScript() for every script route; the errors of those that did not load, joined.
    CommandResult reloadScripts(bool restartClients);
    ScriptRouteInfoList scriptRoutes() const;

    static constexpr int kFlushIntervalMs = 50;

Q_SIGNALS:
    void listening(const QUrl &url);
    void startFailed(const QString &error);
    void stopped();
    // Batched at most every kFlushIntervalMs: new log records, changed clients, fresh totals.
    void recordsAppended(const LogRecordBatch &records);
    void clientsChanged(const ClientInfoList &clients);
    void statsChanged(const EngineStats &stats);
    // The cluster's instances, client counts or link state changed (batched like the others).
    void clusterChanged(const ClusterStatus &status);
    // The replay's state changed, or (while it runs) its progress, at most every 100 ms.
    void replayChanged(const ReplayStatus &status);

private:
    friend class EngineReporter; // emits the batched signals, reads the live sessions' rows

    void sessionMessage(ClientSession *session, const IncomingMessage &message) override;
    void sessionPong(ClientSession *session, qint64 rttMs, bool heartbeat) override;
    void sessionError(ClientSession *session, const QString &error) override;
    void sessionChanged(ClientSession *session) override { m_reporter.markChanged(session); }
    void sessionOverBudget(ClientSession *session) override;
    void sessionLeftOpen(ClientSession *) override { --m_openClients; }
    void sessionEnded(ClientSession *session) override;
    void onUpgraded(WebSocketEndpoint *socket, int routeIndex, const HttpRequestHead &head,
                    const std::shared_ptr<void> &context);
    void onRefused(const QString &peer, const QString &path, int status, const QString &why);
    WebSocketDialer::Request proxyUpstream(const RouteSpec &route, const HttpRequestHead &head);
    // The client as its route's script sees it (ws.url, ws.protocol, ws.params, ws.query).
    ScriptConnection scriptConnection(const HttpRequestHead &head, const ClientSession &session) const;
    // Dials a proxy route's upstream for a deferred upgrade, then answers the client: upgraded with
    // the upstream's subprotocol, the upstream's own refusal, or upgraded then closed with 1014.
    void dialUpstream(PendingAnswer *answer, const GateDecision &upgrade, const WebSocketDialer::Request &request);
    ProxyBehaviour *proxyFor(quint64 clientId, CommandResult *refusal) const;
    ProxyBehaviour::Upstream m_dialedUpstream; // handed from onUpgraded() to makeBehaviour(), same call
    // A dialed upstream as a GateDecision's context: closed with 1001 if no client takes it.
    static std::shared_ptr<void> dialedUpstream(ProxyBehaviour::Upstream upstream);
    std::map<QString, int> m_routeHolds; // proxy route pattern -> directions held for all its clients
    // The open proxied clients of a proxy route; false (with *refusal) when it is not one.
    bool proxyRouteClients(const QString &pattern, QList<ProxyBehaviour *> *proxies, CommandResult *refusal) const;
    QList<QSslCertificate> m_upstreamCa; // --upstream-ca, read on the first proxied client
    std::unique_ptr<RouteBehaviour> makeBehaviour(const RouteSpec &route, const HttpRequestHead &head,
                                                  ClientSession &session);
    ClientSession *session(quint64 clientId) const; // open or closing; null once ended
    ClientSession *openSession(quint64 clientId) const;
    bool clientRowsWatched() const;
    // Returns how many it reached; *wireBytes: their frames' bytes in all (for the broadcast's record).
    int deliver(const QVector<ClientSession *> &targets, const IncomingMessage &message, qint64 *wireBytes);
    // Queues `message` (encoded once per wire form for all its recipients) for one session; the
    // caller counts it in the metrics.
    bool deliverTo(ClientSession *session, OutgoingMessage &message);
    QVector<ClientSession *> localTargets(const BroadcastTarget &target) const;
    // What a room broadcast's record shows as its route: the room's path.
    static QString roomPath(const QVector<ClientSession *> &members);
    // Sends a broadcast already delivered here to the other instances (no-op without a cluster).
    void publishToCluster(const BroadcastTarget &target, const IncomingMessage &message, const QString &detail);
    void onClusterMessage(const ClusterMessage &message);
    void onClusterLinkChanged(bool up, const QString &why);
    // Loads every script route's module; false (with "file:line: message") if one does not load.
    bool loadScripts(QString *error);
    CommandResult broadcastFrom(const BroadcastTarget &target, const QByteArray &payload, bool binary,
                                const QString &who);
    void maybeFinishStop();
    void finishStop();
    void checkHeartbeats();
    bool admitOutgoing(ClientSession *session);
    void closeSlowConsumer(ClientSession *session);

    ServerConfig m_config;
    std::map<QString, std::unique_ptr<ScriptRuntime>> m_scripts; // by route pattern
    Admission m_admission;
    Metrics m_metrics;
    std::unique_ptr<EventStreams> m_events; // before m_adminApi, which reads it
    bool m_countOwnLogDrops = false;
    std::unique_ptr<Replayer> m_replayer;
    std::unique_ptr<AdminApi> m_adminApi; // used by m_router
    std::unique_ptr<RequestRouter> m_router;
    QString m_tlsError; // why the TLS certificate or key cannot be used; start() fails with it
    std::unique_ptr<FrontDoor> m_frontDoor;
    std::unique_ptr<ClusterLink> m_cluster; // null without --redis
    bool m_clusterLeaving = false;          // stop() waits (within the grace period) for the goodbye
    std::map<quint64, ClientSession *> m_sessions; // children of this engine, open or closing
    int m_openClients = 0;                         // of m_sessions, those open (read 20 times a second)
    RoomIndex m_rooms;
    std::shared_ptr<quint64> m_nextClientId = std::make_shared<quint64>(1);
    QElapsedTimer m_uptime;
    EngineStats m_totals;

    EngineReporter m_reporter{*this};
    WritePasses m_writes{*this};

    bool m_stopping = false;
    bool m_stopFinished = false;
    QTimer m_shutdownTimer;
    QTimer m_heartbeatTimer;
};
