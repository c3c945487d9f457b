#include "Engine.h"

#include "AdminApi.h"
#include "EventStreams.h"
#include "Replayer.h"
#include "ClientSession.h"
#include "DescriptorLimit.h"
#include "../websocket/CloseCode.h"
#include "../http/FrontDoor.h"
#include "../http/HttpRequestHead.h"
#include "../http/PendingAnswer.h"
#include "RequestRouter.h"
#include "../http/TlsCredentials.h"
#include "../routes/ChatBehaviour.h"
#include "../routes/ClockBehaviour.h"
#include "../routes/EchoBehaviour.h"
#include "../routes/OperatorBehaviour.h"
#include "../routes/ScriptBehaviour.h"
#include "../script/ScriptRuntime.h"
#include "../routes/ProxyBehaviour.h"
#include "../cluster/ClusterLink.h"
#include "../websocket/OutgoingMessage.h"
#include "../websocket/WebSocketConnection.h"
#include "../websocket/WebSocketEndpoint.h"
#include "../websocket/WebSocketHandshake.h"

#include <QDateTime>
#include <QFile>
#include <QHostAddress>
#include <QHostInfo>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QMetaMethod>
#include <QUrlQuery>

Q_LOGGING_CATEGORY(lcEngine, "switchboard.server")

namespace {

// Log records carry the whole payload, shared with the message (no copy): the recorder writes all
// of it. Where records live long, in the dashboard's log and the server's own, LogStore keeps at
// most ServerConfig::logPayloadCapBytes of each and logMaxBytes in all, so memory stays bounded there.

const char *kShutdownReason = "server shutting down";

// A message that did not come from one of our clients (operator, admin API, another instance).
// Text goes out as a frame of its UTF-8 bytes, so make sure they are UTF-8: invalid sequences
// become U+FFFD instead of a frame clients close with 1007.
IncomingMessage messageFromOutside(bool binary, const QByteArray &payload)
{
    if (binary || QByteArrayView(payload).isValidUtf8())
        return IncomingMessage{binary, payload};
    return IncomingMessage{false, QString::fromUtf8(payload).toUtf8()};
}

// A cap above what the descriptor limit allows would end in EMFILE instead of a 503: keep it below.
ServerConfig withConnectionsClamped(ServerConfig config)
{
    const long long allowed = DescriptorLimit::connectionsAllowed();
    if (allowed > 0 && config.maxConnections > allowed) {
        qCWarning(lcEngine).noquote()
            << QStringLiteral("--max-connections %1 is more than the descriptor limit allows: clamped to %2 "
                              "(the soft limit less %3 kept for the server's own files)")
                   .arg(config.maxConnections)
                   .arg(allowed)
                   .arg(DescriptorLimit::kReserved);
        config.maxConnections = static_cast<int>(allowed);
    }
    return config;
}

} // namespace

Engine::Engine(ServerConfig config, QObject *parent)
    : QObject(parent), m_config(withConnectionsClamped(std::move(config))),
      m_admission(m_config.maxConnections, m_config.maxConnectionsPerIp)
{
    qRegisterMetaType<LogRecordBatch>();
    qRegisterMetaType<ClientInfoList>();
    qRegisterMetaType<EngineStats>();
    qRegisterMetaType<BroadcastTarget>();
    qRegisterMetaType<CommandResult>();
    qRegisterMetaType<ClusterStatus>();
    qRegisterMetaType<ScriptRouteInfoList>();
    qRegisterMetaType<HeldMessages>();

    m_router = std::make_unique<RequestRouter>(m_config.routes,
                                               OriginPolicy(m_config.allowedOrigins, m_config.host, m_config.port),
                                               m_admission, m_config.token, [this] { return healthJson(); });
    m_events = std::make_unique<EventStreams>(m_config.routes, m_config.logCapacity, m_config.logPayloadCapBytes,
                                              m_config.logMaxBytes);
    m_replayer = std::make_unique<Replayer>([this](quint64 clientId, const QByteArray &payload, bool binary) {
        return sendToClient(clientId, payload, binary);
    });
    connect(m_replayer.get(), &Replayer::statusChanged, this, [this](const ReplayStatus &status) {
        if (status.state == ReplayStatus::State::Failed) {
            LogRecord failure;
            failure.timestampMs = QDateTime::currentMSecsSinceEpoch();
            failure.clientId = status.clientId;
            failure.kind = LogRecord::Kind::Error;
            failure.detail = QStringLiteral("replay failed: ") + status.error;
            m_reporter.record(failure);
        }
        Q_EMIT replayChanged(status);
    });
    m_adminApi = std::make_unique<AdminApi>(*this, m_router->originPolicy(), m_config.adminToken);
    m_router->setAdminApi(m_adminApi.get());
    m_router->setMetricsText([this] { return metricsText(); });
    // Qt 6.4's QWebSocket has no permessage-deflate: the qt backend declines every offer.
    m_router->setDeflate(m_config.deflate && m_config.websocketBackend == WebSocketBackend::Native);
    m_router->setUpgradeCheck([this](int routeIndex, const HttpRequestHead &head, int *status, QString *body) {
        const RouteSpec &route = m_config.routes.routes().at(routeIndex);
        ScriptRuntime *runtime = scriptRuntime(route.pattern); // script routes and scripted proxy routes
        if (!runtime)
            return true;
        ScriptRequest request;
        request.url = RequestRouter::redactedTarget(head);
        for (const auto &header : head.headers)
            request.headers.insert(QString::fromLatin1(header.first), QString::fromUtf8(head.header(header.first)));
        for (const auto &param : m_config.routes.match(head.path).params.asKeyValueRange())
            request.params.insert(param.first, param.second);
        for (const auto &item : head.query.queryItems(QUrl::FullyDecoded))
            request.query.insert(item.first, item.second);
        for (const QByteArray &cookie : head.header("cookie").split(';')) {
            const int equals = cookie.indexOf('=');
            if (equals > 0)
                request.cookies.insert(QString::fromUtf8(cookie.left(equals).trimmed()), QString::fromUtf8(cookie.mid(equals + 1).trimmed()));
        }
        const ScriptUpgradeAnswer answer = runtime->upgrade(request);
        *status = answer.status;
        *body = answer.body.isEmpty() ? QStringLiteral("refused by %1").arg(route.pattern) : QString::fromUtf8(answer.body);
        return answer.accept;
    });
    m_router->setProxyDeferral([this](const GateDecision &upgrade, const HttpRequestHead &head) {
        const WebSocketDialer::Request request = proxyUpstream(m_config.routes.routes().at(upgrade.routeIndex), head);
        return GateDecision::defer(
            [this, upgrade, request](PendingAnswer *answer) { dialUpstream(answer, upgrade, request); });
    });
    FrontDoor::Limits limits;
    limits.maxHeadBytes = m_config.maxHeadBytes;
    limits.headTimeoutMs = m_config.headTimeoutMs;
    limits.maxMessageBytes = m_config.maxMessageBytes;
    limits.backend = m_config.websocketBackend;
    // A bad certificate or key is reported by start(), the one place a startup fails.
    std::optional<QSslConfiguration> tls;
    if (m_config.tlsEnabled())
        tls = TlsCredentials::load(m_config.tlsCertPath, m_config.tlsKeyPath, &m_tlsError);
    m_frontDoor = std::make_unique<FrontDoor>(*m_router, limits, tls);
    connect(m_frontDoor.get(), &FrontDoor::upgraded, this, &Engine::onUpgraded);
    connect(m_frontDoor.get(), &FrontDoor::streamOpened, this,
            [this](QTcpSocket *socket, int, const HttpRequestHead &head) { m_events->addEventSource(socket, head); });
    connect(m_frontDoor.get(), &FrontDoor::refused, this,
            [this](const QHostAddress &peer, quint16 peerPort, const QString &path, int status, const QString &why) {
                onRefused(QStringLiteral("%1:%2").arg(peer.toString()).arg(peerPort), path, status, why);
            });
    connect(m_frontDoor.get(), &FrontDoor::acceptFailed, this, [this](const QString &reason, int refused) {
        m_metrics.noteAcceptFailed(reason, refused);
    });
    connect(m_frontDoor.get(), &FrontDoor::tlsFailed, this,
            [this](const QString &peer, const QString &reason, const QString &why) {
                m_metrics.noteTlsHandshakeFailed(reason);
                LogRecord failure;
                failure.timestampMs = QDateTime::currentMSecsSinceEpoch();
                failure.direction = LogRecord::Direction::System;
                failure.kind = LogRecord::Kind::Error;
                failure.detail = QStringLiteral("%1 dropped: %2").arg(peer, why);
                m_reporter.record(failure);
            });

    m_shutdownTimer.setSingleShot(true);
    connect(&m_shutdownTimer, &QTimer::timeout, this, &Engine::finishStop);

    if (!m_config.redisUrl.isEmpty()) {
        ClusterLink::Options options;
        QString error;
        if (RedisEndpoint::parse(m_config.redisUrl, &options.endpoint, &error)) { // validated with the config
            options.name = m_config.clusterName;
            m_cluster = std::make_unique<ClusterLink>(options, [this] { return openClientCount(); });
            connect(m_cluster.get(), &ClusterLink::messageReceived, this, &Engine::onClusterMessage);
            connect(m_cluster.get(), &ClusterLink::linkChanged, this, &Engine::onClusterLinkChanged);
            connect(m_cluster.get(), &ClusterLink::instancesChanged, this, [this] { m_reporter.markClusterChanged(); });
            connect(m_cluster.get(), &ClusterLink::left, this, [this] {
                m_clusterLeaving = false;
                maybeFinishStop();
            });
        } else {
            qCWarning(lcEngine).noquote() << "no cluster:" << error;
        }
    }

    // One timer for every client's heartbeat, ticking often enough to honour the timeout.
    if (m_config.heartbeatIntervalMs > 0) {
        m_heartbeatTimer.setInterval(std::clamp(std::min(m_config.heartbeatIntervalMs, m_config.heartbeatTimeoutMs) / 4, 10, 1000));
        connect(&m_heartbeatTimer, &QTimer::timeout, this, &Engine::checkHeartbeats);
    }
}

void Engine::keepRecords(LogRecordBatch &records)
{
    const quint64 evicted = m_events->store().evictedTotal();
    m_events->append(records);
    if (m_countOwnLogDrops && m_events->store().evictedTotal() > evicted)
        m_metrics.noteLogRecordsDropped(m_events->store().evictedTotal() - evicted);
}

void Engine::shareEventLog(const Engine &other)
{
    m_events->shareLog(other.m_events->log(), m_config.logCapacity, m_config.logPayloadCapBytes, m_config.logMaxBytes);
}

void Engine::shareEventLog(std::shared_ptr<EventLog> log)
{
    m_events->shareLog(std::move(log), m_config.logCapacity, m_config.logPayloadCapBytes, m_config.logMaxBytes);
}

std::shared_ptr<EventLog> Engine::eventLog() const
{
    return m_events->log();
}

Engine::~Engine()
{
    m_cluster.reset(); // its connections go before the sessions it could deliver to
    // Sessions reference the engine as their RouteHost; let them go first.
    for (auto &entry : m_sessions) {
        entry.second->disconnect(this);
        delete entry.second;
    }
    m_sessions.clear();
}

bool Engine::start()
{
    const QHostAddress address(m_config.host == QLatin1String("localhost") ? QStringLiteral("127.0.0.1")
                                                                             : m_config.host);
    if (address.isNull()) {
        const QString error = QStringLiteral("'%1' is not an IP address to listen on").arg(m_config.host);
        Q_EMIT startFailed(error);
        return false;
    }
    if (!m_tlsError.isEmpty()) {
        qCWarning(lcEngine).noquote() << m_tlsError;
        Q_EMIT startFailed(m_tlsError);
        return false;
    }
    QString scriptError;
    if (!loadScripts(&scriptError)) {
        Q_EMIT startFailed(scriptError);
        return false;
    }
    if (!m_frontDoor->listen(address, m_config.port, listenBacklog())) {
        const QString error = QStringLiteral("cannot listen on %1:%2: %3")
                                  .arg(m_config.host)
                                  .arg(m_config.port)
                                  .arg(m_frontDoor->errorString());
        qCWarning(lcEngine).noquote() << error;
        Q_EMIT startFailed(error);
        return false;
    }
    m_router->originPolicy().setPort(port());
    m_uptime.start();
    m_stopping = false;
    m_stopFinished = false;
    if (m_config.heartbeatIntervalMs > 0)
        m_heartbeatTimer.start();
    if (m_cluster) {
        // Announce an address the other instances' operators can use, not 0.0.0.0.
        const QHostAddress bound = m_frontDoor->serverAddress();
        const bool any = bound == QHostAddress::Any || bound == QHostAddress::AnyIPv4 || bound == QHostAddress::AnyIPv6;
        m_cluster->start(QStringLiteral("%1:%2").arg(any ? QHostInfo::localHostName() : bound.toString()).arg(port()));
    }
    qCInfo(lcEngine).noquote() << "listening on" << httpUrl().toString() << "with a listen backlog of"
                               << m_frontDoor->listenBacklog();
    Q_EMIT listening(httpUrl());
    return true;
}

int Engine::listenBacklog() const
{
    if (m_config.listenBacklog > 0)
        return m_config.listenBacklog;
    // Qt's default is 50: a burst of connects past it waits for a SYN retransmit (1 s). The kernel
    // caps any backlog at somaxconn, so that is the most worth asking for.
    QFile somaxconn(QStringLiteral("/proc/sys/net/core/somaxconn"));
    bool ok = false;
    const int system = somaxconn.open(QIODevice::ReadOnly) ? somaxconn.readAll().trimmed().toInt(&ok) : 0;
    return ok && system > 0 ? system : 4096;
}

void Engine::stop()
{
    stopWithCode(CloseCode::GoingAway, QString::fromLatin1(kShutdownReason));
}

void Engine::stopWithCode(int code, const QString &reason)
{
    if (m_stopping)
        return;
    m_stopping = true;
    m_heartbeatTimer.stop();
    m_frontDoor->close();
    m_events->closeAll(code, reason);
    m_replayer->stop();
    QList<quint64> open;
    for (const auto &entry : m_sessions) {
        if (entry.second->isOpen())
            open.append(entry.first);
    }
    closeClients(open, code, reason);
    // The other instances drop this one at once when its goodbye reaches Redis.
    m_clusterLeaving = m_cluster && m_cluster->leave();
    if (m_sessions.empty() && !m_clusterLeaving) {
        finishStop();
        return;
    }
    m_shutdownTimer.start(m_config.shutdownGraceMs);
}

void Engine::maybeFinishStop()
{
    if (m_stopping && m_sessions.empty() && !m_clusterLeaving)
        finishStop();
}

void Engine::finishStop()
{
    if (!m_stopping || m_stopFinished)
        return; // aborting the last clients below ends their sessions, which lands here again
    m_stopFinished = true;
    m_shutdownTimer.stop();
    m_clusterLeaving = false; // a goodbye not written within the grace period is not waited for
    // Clients that did not answer the close handshake in time are dropped.
    const auto remaining = m_sessions;
    for (const auto &entry : remaining)
        entry.second->abort(QString::fromLatin1(kShutdownReason));
    m_reporter.flush();
    qCInfo(lcEngine) << "stopped";
    Q_EMIT stopped();
}

bool Engine::isListening() const
{
    return m_frontDoor->isListening();
}

quint16 Engine::port() const
{
    return m_frontDoor->serverPort();
}

QUrl Engine::httpUrl() const
{
    QUrl url;
    url.setScheme(m_frontDoor->isSecure() ? QStringLiteral("https") : QStringLiteral("http"));
    url.setHost(m_frontDoor->serverAddress().toString());
    url.setPort(port());
    url.setPath(QStringLiteral("/"));
    return url;
}

QUrl Engine::webSocketUrl(const QString &path) const
{
    QUrl url = httpUrl();
    url.setScheme(m_frontDoor->isSecure() ? QStringLiteral("wss") : QStringLiteral("ws"));
    url.setPath(path);
    return url;
}

ClientInfoList Engine::clients() const
{
    ClientInfoList list;
    list.reserve(static_cast<int>(m_sessions.size()));
    for (const auto &entry : m_sessions)
        list.append(entry.second->info());
    return list;
}

EngineStats Engine::stats() const
{
    EngineStats stats = m_totals;
    stats.uptimeMs = m_uptime.isValid() ? m_uptime.elapsed() : 0;
    stats.clientsOpen = openClientCount();
    return stats;
}

QByteArray Engine::healthJson() const
{
    QJsonObject health;
    health.insert(QStringLiteral("status"), m_stopping ? QStringLiteral("stopping") : QStringLiteral("ok"));
    health.insert(QStringLiteral("uptimeSeconds"), static_cast<double>(m_uptime.elapsed() / 1000));
    health.insert(QStringLiteral("clients"), openClientCount());
    health.insert(QStringLiteral("version"), QStringLiteral(SWITCHBOARD_VERSION));
    health.insert(QStringLiteral("websocketBackend"), WebSocketBackends::name(m_config.websocketBackend));
    if (m_cluster) {
        const ClusterStatus cluster = m_cluster->status();
        health.insert(QStringLiteral("cluster"),
                      QJsonObject{{QStringLiteral("name"), cluster.name},
                                  {QStringLiteral("instanceId"), cluster.instanceId},
                                  {QStringLiteral("link"), cluster.linkUp ? QStringLiteral("up") : QStringLiteral("down")},
                                  {QStringLiteral("instances"), cluster.instances.size()}});
    }
    return QJsonDocument(health).toJson(QJsonDocument::Compact);
}

ClusterStatus Engine::clusterStatus() const
{
    return m_cluster ? m_cluster->status() : ClusterStatus();
}

void Engine::onUpgraded(WebSocketEndpoint *connection, int routeIndex, const HttpRequestHead &head,
                        const std::shared_ptr<void> &context)
{
    if (m_stopping) {
        connection->setParent(this); // no handler: it deletes itself once closed
        connection->setCloseTimeoutMs(m_config.shutdownGraceMs);
        connection->close(CloseCode::GoingAway, QString::fromLatin1(kShutdownReason));
        connection->start();
        return;
    }
    // The front door made the connection with the configured message limit already.
    if (routeIndex == AdminApi::kEventStreamTag) {
        m_events->addWebSocket(connection, head);
        return;
    }

    const RouteSpec &route = m_config.routes.routes().at(routeIndex);
    ClientInfo info;
    info.peerAddress = connection->peerAddress().toString();
    info.peerPort = connection->peerPort();
    info.route = route.pattern;
    info.path = RequestRouter::redactedTarget(head);
    info.subprotocol = connection->subprotocol();
    info.extensions = connection->extensions();
    info.origin = QString::fromUtf8(head.header("origin"));
    info.userAgent = QString::fromUtf8(head.header("user-agent"));
    info.connectedAtMs = QDateTime::currentMSecsSinceEpoch();

    connection->setOutgoingBudget(m_config.maxBufferedBytes);
    const quint64 id = (*m_nextClientId)++;
    auto *session = new ClientSession(id, connection, info, this);
    session->setRateLimit(m_config.messagesPerSecond, m_config.messageBurst);
    session->setCloseGraceMs(m_config.shutdownGraceMs);
    m_sessions.emplace(id, session);
    ++m_openClients;
    m_admission.opened(connection->peerAddress());
    ++m_totals.connectionsAccepted;
    m_metrics.noteConnectionAccepted(route.pattern);

    session->setObserver(this);

    LogRecord open = EngineReporter::makeRecord(session, LogRecord::Direction::In, LogRecord::Kind::Open);
    open.detail = info.subprotocol.isEmpty() ? QStringLiteral("from %1").arg(info.peerAddress)
                                             : QStringLiteral("from %1, subprotocol %2")
                                                   .arg(info.peerAddress, info.subprotocol);
    m_reporter.record(open);

    // A proxy route's upstream, dialed before the upgrade was answered (dialUpstream()): the qt
    // backend upgrades later than the answer, so it comes with the connection.
    if (route.behaviour == RouteBehaviourKind::Proxy && context)
        m_dialedUpstream = std::move(*std::static_pointer_cast<ProxyBehaviour::Upstream>(context));
    session->setBehaviour(makeBehaviour(route, head, *session));
    m_dialedUpstream = {};
    session->behaviour()->onOpen(*session);
    if (const auto hold = m_routeHolds.find(route.pattern); hold != m_routeHolds.end() && hold->second != 0) {
        if (auto *proxy = dynamic_cast<ProxyBehaviour *>(session->behaviour()))
            proxy->hold(hold->second); // a route hold covers new clients too
    }
    session->start();
    m_reporter.markChanged(session);
}

void Engine::sessionPong(ClientSession *session, qint64 rttMs, bool heartbeat)
{
    m_metrics.notePingRtt(rttMs);
    LogRecord pong = EngineReporter::makeRecord(session, LogRecord::Direction::In, LogRecord::Kind::Pong);
    pong.detail = heartbeat ? QStringLiteral("%1, round trip %2 ms").arg(QLatin1String(LogRecord::kHeartbeatDetail)).arg(rttMs)
                            : QStringLiteral("round trip %1 ms").arg(rttMs);
    m_reporter.record(pong);
}

void Engine::sessionError(ClientSession *session, const QString &error)
{
    LogRecord failure = EngineReporter::makeRecord(session, LogRecord::Direction::System, LogRecord::Kind::Error);
    failure.detail = error;
    m_reporter.record(failure);
}

std::unique_ptr<RouteBehaviour> Engine::makeBehaviour(const RouteSpec &route, const HttpRequestHead &head,
                                                      ClientSession &session)
{
    switch (route.behaviour) {
    case RouteBehaviourKind::Echo:
        return std::make_unique<EchoBehaviour>(*this);
    case RouteBehaviourKind::Chat: {
        const RouteMatch match = m_config.routes.match(head.path);
        const QString room = match.params.value(QStringLiteral("room"), head.path);
        session.setRoom(room);
        return std::make_unique<ChatBehaviour>(*this, room);
    }
    case RouteBehaviourKind::Clock: {
        // The front door has already refused intervals out of range.
        const int interval = head.query.hasQueryItem(QStringLiteral("interval"))
                                 ? head.query.queryItemValue(QStringLiteral("interval")).toInt()
                                 : route.clockIntervalMs;
        return std::make_unique<ClockBehaviour>(*this, interval);
    }
    case RouteBehaviourKind::Operator:
        return std::make_unique<OperatorBehaviour>(*this);
    case RouteBehaviourKind::Script: {
        ScriptRuntime *runtime = scriptRuntime(route.pattern);
        if (!runtime)
            return std::make_unique<OperatorBehaviour>(*this);
        return std::make_unique<ScriptBehaviour>(*this, *runtime, scriptConnection(head, session));
    }
    case RouteBehaviourKind::Proxy: {
        ScriptRuntime *hooks = scriptRuntime(route.pattern);
        return std::make_unique<ProxyBehaviour>(*this, this, std::exchange(m_dialedUpstream, {}), hooks,
                                                hooks ? scriptConnection(head, session) : ScriptConnection());
    }
    }
    return std::make_unique<OperatorBehaviour>(*this);
}

ScriptConnection Engine::scriptConnection(const HttpRequestHead &head, const ClientSession &session) const
{
    const RouteMatch match = m_config.routes.match(head.path);
    ScriptConnection connection;
    connection.url = RequestRouter::redactedTarget(head);
    connection.protocol = session.info().subprotocol;
    for (auto it = match.params.cbegin(); it != match.params.cend(); ++it)
        connection.params.insert(it.key(), it.value());
    for (const auto &item : head.query.queryItems(QUrl::FullyDecoded))
        connection.query.insert(item.first, item.second);
    return connection;
}

WebSocketDialer::Request Engine::proxyUpstream(const RouteSpec &route, const HttpRequestHead &head)
{
    // ":name" segments of the upstream URL take the client's path values; the query is passed on.
    const RouteMatch match = m_config.routes.match(head.path);
    QString url = route.upstream;
    for (auto it = match.params.cbegin(); it != match.params.cend(); ++it)
        url.replace(QLatin1Char(':') + it.key(), QString::fromUtf8(QUrl::toPercentEncoding(it.value())));
    QUrl upstreamUrl(url);
    if (!head.query.isEmpty()) {
        QUrlQuery query(upstreamUrl);
        for (const auto &item : head.query.queryItems(QUrl::FullyEncoded))
            query.addQueryItem(item.first, item.second);
        upstreamUrl.setQuery(query);
    }
    WebSocketDialer::Request upstream;
    upstream.url = upstreamUrl;
    for (const char *name : {"Cookie", "Authorization", "User-Agent"}) {
        const QByteArray value = head.header(QByteArray(name).toLower());
        if (!value.isEmpty())
            upstream.headers.append({QByteArray(name), value});
    }
    upstream.subprotocols = WebSocketHandshake::offeredSubprotocols(head.header("sec-websocket-protocol"));
    if (route.forwardOrigin) {
        upstream.origin = QString::fromUtf8(head.header("origin"));
    } else {
        QUrl origin;
        origin.setScheme(upstreamUrl.scheme() == QLatin1String("wss") ? QStringLiteral("https") : QStringLiteral("http"));
        origin.setHost(upstreamUrl.host());
        origin.setPort(upstreamUrl.port());
        upstream.origin = origin.toString();
    }
    if (!m_config.upstreamCaPath.isEmpty()) {
        if (m_upstreamCa.isEmpty())
            m_upstreamCa = QSslCertificate::fromPath(m_config.upstreamCaPath, QSsl::Pem);
        upstream.extraCa = m_upstreamCa;
    }
    // Half the head timeout: an upstream that does not answer in time still gets the client a 1014
    // with the reason, before the front door's own deadline (504) would pass.
    upstream.timeoutMs = std::max(1, m_config.headTimeoutMs / 2);
    upstream.maxMessageBytes = m_config.maxMessageBytes;
    return upstream;
}

void Engine::sessionMessage(ClientSession *session, const IncomingMessage &message)
{
    m_totals.messagesIn++;
    m_totals.bytesIn += message.data.size();
    m_metrics.noteMessageIn(session->info().route, message.binary, message.data.size());
    LogRecord in = EngineReporter::makeRecord(session, LogRecord::Direction::In,
                              message.binary ? LogRecord::Kind::Binary : LogRecord::Kind::Text);
    in.size = message.data.size();
    in.wireSize = session->connection()->messageWireBytes();
    in.frames = session->connection()->messageFrames();
    in.payload = message.data;
    m_reporter.record(in);
    m_reporter.markChanged(session);
    if (session->behaviour())
        session->behaviour()->onMessage(*session, message);
}

void Engine::onRefused(const QString &peer, const QString &path, int status, const QString &why)
{
    ++m_totals.requestsRefused;
    m_metrics.noteRefused(status);
    LogRecord refusal;
    refusal.timestampMs = QDateTime::currentMSecsSinceEpoch();
    refusal.route = path;
    refusal.direction = LogRecord::Direction::System;
    refusal.kind = LogRecord::Kind::Refused;
    refusal.closeCode = status;
    refusal.detail = QStringLiteral("%1 refused: %2").arg(peer, why);
    m_reporter.record(refusal);
}

void Engine::sessionEnded(ClientSession *session)
{
    const ClientInfo &info = session->info();
    const LogRecord::Direction direction = info.closedBy == ClientInfo::ClosedBy::Client   ? LogRecord::Direction::In
                                           : info.closedBy == ClientInfo::ClosedBy::Server ? LogRecord::Direction::Out
                                                                                           : LogRecord::Direction::System;
    LogRecord closed = EngineReporter::makeRecord(session, direction, LogRecord::Kind::Close);
    closed.closeCode = info.closeCode;
    closed.detail = info.closeReason;
    m_reporter.record(closed);
    m_metrics.noteClose(info.closeCode, ClientInfo::closedByName(info.closedBy));
    qCDebug(lcEngine) << "client" << info.id << "closed" << info.closeCode << info.closeReason << "by"
                      << ClientInfo::closedByName(info.closedBy);

    m_rooms.leave(session);
    m_admission.closed(session->connection()->peerAddress());
    m_reporter.clientEnded(info);
    m_writes.forget(session);
    m_sessions.erase(info.id);
    session->setObserver(nullptr);
    session->deleteLater();
    maybeFinishStop();
}

ClientSession *Engine::openSession(quint64 clientId) const
{
    ClientSession *found = session(clientId);
    return found && found->isOpen() ? found : nullptr;
}

// ---- operator commands ----

CommandResult Engine::sendToClient(quint64 clientId, const QByteArray &payload, bool binary)
{
    ClientSession *session = openSession(clientId);
    if (!session)
        return CommandResult::failure(QStringLiteral("client %1 is not connected").arg(clientId));
    sendToClient(*session, messageFromOutside(binary, payload));
    return CommandResult::success(1);
}

QVector<ClientSession *> Engine::localTargets(const BroadcastTarget &target) const
{
    QVector<ClientSession *> targets;
    for (const auto &entry : m_sessions) {
        ClientSession *session = entry.second;
        if (!session->isOpen())
            continue;
        const bool wanted = target.scope == BroadcastTarget::Scope::Everyone
                            || (target.scope == BroadcastTarget::Scope::Route && session->info().route == target.name)
                            || (target.scope == BroadcastTarget::Scope::Room && session->info().room == target.name);
        if (wanted)
            targets.append(session);
    }
    return targets;
}

CommandResult Engine::broadcast(const BroadcastTarget &target, const QByteArray &payload, bool binary)
{
    return broadcastFrom(target, payload, binary, QStringLiteral("operator"));
}

CommandResult Engine::broadcastFrom(const BroadcastTarget &target, const QByteArray &payload, bool binary,
                                    const QString &who)
{
    const IncomingMessage message = messageFromOutside(binary, payload);
    const QVector<ClientSession *> targets = localTargets(target);
    qint64 wireBytes = 0;
    const int fanout = deliver(targets, message, &wireBytes);
    const QString detail = QStringLiteral("%1 broadcast to %2").arg(who, target.describe());
    publishToCluster(target, message, detail);
    LogRecord sent;
    sent.timestampMs = QDateTime::currentMSecsSinceEpoch();
    sent.direction = LogRecord::Direction::Broadcast;
    sent.kind = binary ? LogRecord::Kind::Binary : LogRecord::Kind::Text;
    // The Route column says where it went: the route, or the room's path.
    sent.route = target.scope == BroadcastTarget::Scope::Route  ? target.name
                 : target.scope == BroadcastTarget::Scope::Room ? roomPath(targets)
                                                                : QString();
    sent.size = message.data.size();
    sent.wireSize = wireBytes;
    sent.payload = message.data;
    sent.fanout = fanout;
    sent.detail = detail;
    m_reporter.record(sent);
    return CommandResult::success(fanout);
}

CommandResult Engine::ping(quint64 clientId)
{
    ClientSession *session = openSession(clientId);
    if (!session)
        return CommandResult::failure(QStringLiteral("client %1 is not connected").arg(clientId));
    session->ping();
    m_reporter.record(EngineReporter::makeRecord(session, LogRecord::Direction::Out, LogRecord::Kind::Ping));
    return CommandResult::success(1);
}

CommandResult Engine::closeClients(const QList<quint64> &clientIds, int code, const QString &reason)
{
    const QString why = CloseCode::whyNotSendable(code);
    if (!why.isEmpty())
        return CommandResult::failure(why);
    const QString truncated = CloseCode::truncateReason(reason);
    int closed = 0;
    QStringList missing;
    for (quint64 id : clientIds) {
        if (ClientSession *session = openSession(id)) {
            session->close(code, truncated);
            ++closed;
        } else {
            missing.append(QString::number(id));
        }
    }
    if (closed == 0 && !missing.isEmpty())
        return CommandResult::failure(QStringLiteral("no such open client: %1").arg(missing.join(QLatin1String(", "))));
    return CommandResult::success(closed);
}

CommandResult Engine::banAddress(const QString &address)
{
    const QHostAddress peer(address);
    if (peer.isNull())
        return CommandResult::failure(QStringLiteral("'%1' is not an IP address").arg(address));
    m_admission.ban(peer);
    QList<quint64> clients;
    for (const auto &entry : m_sessions) {
        if (entry.second->isOpen() && Admission::sameAddress(entry.second->connection()->peerAddress(), peer))
            clients.append(entry.first);
    }
    for (quint64 id : clients) {
        if (ClientSession *session = openSession(id))
            session->close(CloseCode::PolicyViolation, QStringLiteral("banned by the operator"));
    }
    LogRecord banned;
    banned.timestampMs = QDateTime::currentMSecsSinceEpoch();
    banned.kind = LogRecord::Kind::Refused;
    banned.detail = QStringLiteral("operator banned %1 (%2 clients closed)").arg(address).arg(clients.size());
    m_reporter.record(banned);
    return CommandResult::success(clients.size());
}

CommandResult Engine::unbanAddress(const QString &address)
{
    const QHostAddress peer(address);
    if (peer.isNull() || !m_admission.isBanned(peer))
        return CommandResult::failure(QStringLiteral("%1 is not banned").arg(address));
    m_admission.unban(peer);
    LogRecord unbanned;
    unbanned.timestampMs = QDateTime::currentMSecsSinceEpoch();
    unbanned.kind = LogRecord::Kind::Refused;
    unbanned.detail = QStringLiteral("operator unbanned %1").arg(address);
    m_reporter.record(unbanned);
    return CommandResult::success(0);
}

QStringList Engine::bannedAddresses() const
{
    QStringList list;
    for (const QHostAddress &address : m_admission.banned())
        list.append(address.toString());
    return list;
}

void Engine::recordOperatorAction(quint64 clientId, LogRecord::Kind kind, const QString &detail)
{
    const auto it = m_sessions.find(clientId);
    LogRecord action = it != m_sessions.end() ? EngineReporter::makeRecord(it->second, LogRecord::Direction::System, kind)
                                              : LogRecord();
    action.timestampMs = QDateTime::currentMSecsSinceEpoch();
    action.direction = LogRecord::Direction::System;
    action.kind = kind;
    action.clientId = clientId;
    action.detail = detail;
    m_reporter.record(action);
}

QByteArray Engine::metricsText() const
{
    Metrics::Gauges gauges;
    gauges.uptimeSeconds = m_uptime.isValid() ? static_cast<double>(m_uptime.elapsed()) / 1000.0 : 0;
    for (const RouteSpec &route : m_config.routes.routes())
        gauges.clientsByRoute.insert(route.pattern, 0);
    for (const auto &entry : m_sessions) {
        if (entry.second->isOpen())
            ++gauges.clientsByRoute[entry.second->info().route];
        gauges.bytesToWrite += entry.second->bytesToWrite();
    }
    gauges.cluster = clusterStatus();
    return m_metrics.render(gauges);
}

// ---- RouteHost ----

void Engine::sendToClient(RouteClient &client, const IncomingMessage &message)
{
    relayToClient(client, message, QString());
}

void Engine::relayToClient(RouteClient &client, const IncomingMessage &message, const QString &detail)
{
    auto *session = static_cast<ClientSession *>(&client);
    OutgoingMessage outgoing(message.binary, message.data);
    if (!deliverTo(session, outgoing))
        return;
    m_metrics.noteMessagesOut(session->info().route, message.binary, message.data.size(), 1);
    LogRecord out = EngineReporter::makeRecord(session, LogRecord::Direction::Out,
                               message.binary ? LogRecord::Kind::Binary : LogRecord::Kind::Text);
    out.size = message.data.size();
    out.wireSize = outgoing.lastWireBytes();
    out.payload = message.data;
    out.detail = detail;
    m_reporter.record(out);
}

QString Engine::roomPath(const QVector<ClientSession *> &members)
{
    // A chat room is one path ("/chat/lobby"): its members' path, the query left out.
    if (members.isEmpty())
        return {};
    const QString &path = members.constFirst()->info().path;
    const qsizetype query = path.indexOf(QLatin1Char('?'));
    return query < 0 ? path : path.left(query);
}

int Engine::broadcastToRoom(const QString &room, const IncomingMessage &message)
{
    const QVector<ClientSession *> members = m_rooms.members(room);
    qint64 wireBytes = 0;
    const int fanout = deliver(members, message, &wireBytes);
    LogRecord sent;
    sent.timestampMs = QDateTime::currentMSecsSinceEpoch();
    sent.direction = LogRecord::Direction::Broadcast;
    sent.kind = message.binary ? LogRecord::Kind::Binary : LogRecord::Kind::Text;
    sent.size = message.data.size();
    sent.wireSize = wireBytes;
    sent.payload = message.data;
    sent.fanout = fanout;
    sent.detail = QStringLiteral("room %1").arg(room);
    sent.route = roomPath(members);
    publishToCluster(BroadcastTarget::room(room), message, sent.detail);
    m_reporter.record(sent);
    return fanout;
}

// ---- cluster ----

void Engine::publishToCluster(const BroadcastTarget &target, const IncomingMessage &message, const QString &detail)
{
    if (!m_cluster)
        return;
    ClusterMessage out;
    out.target = target;
    out.binary = message.binary;
    out.payload = message.data;
    out.detail = detail;
    m_cluster->publish(std::move(out)); // dropped and counted when the link is down
}

void Engine::onClusterMessage(const ClusterMessage &message)
{
    if (m_stopping)
        return;
    // Rooms are looked up in the room index; everyone and routes scan the sessions.
    QVector<ClientSession *> targets;
    if (message.target.scope == BroadcastTarget::Scope::Room) {
        targets = m_rooms.members(message.target.name);
    } else {
        targets = localTargets(message.target);
    }
    const IncomingMessage incoming = messageFromOutside(message.binary, message.payload);
    qint64 wireBytes = 0;
    const int fanout = deliver(targets, incoming, &wireBytes);
    LogRecord sent;
    sent.timestampMs = QDateTime::currentMSecsSinceEpoch();
    sent.direction = LogRecord::Direction::Broadcast;
    sent.kind = message.binary ? LogRecord::Kind::Binary : LogRecord::Kind::Text;
    if (message.target.scope == BroadcastTarget::Scope::Route)
        sent.route = message.target.name;
    else if (message.target.scope == BroadcastTarget::Scope::Room)
        sent.route = roomPath(targets); // as broadcastToRoom() records it
    sent.size = message.payload.size();
    sent.wireSize = wireBytes;
    sent.payload = message.payload;
    sent.fanout = fanout;
    sent.detail = QStringLiteral("cluster: %1 from instance %2").arg(message.detail, message.origin);
    m_reporter.record(sent);
}

void Engine::onClusterLinkChanged(bool up, const QString &why)
{
    LogRecord change;
    change.timestampMs = QDateTime::currentMSecsSinceEpoch();
    change.direction = LogRecord::Direction::System;
    change.kind = up ? LogRecord::Kind::Open : LogRecord::Kind::Error;
    change.detail = up ? QStringLiteral("cluster link up: instance %1 in cluster %2 via %3")
                             .arg(m_cluster->instanceId(), m_config.clusterName, m_config.redisUrl)
                       : QStringLiteral("cluster link down: %1 (local clients are still served; reconnecting)").arg(why);
    m_reporter.record(change);
    m_reporter.markClusterChanged();
}

bool Engine::admitOutgoing(ClientSession *session)
{
    if (session->bytesToWrite() <= m_config.maxBufferedBytes)
        return true;
    // A client that stopped reading: its queue may not grow without bound or slow the others.
    if (m_config.slowConsumerPolicy == ServerConfig::SlowConsumerPolicy::Drop) {
        session->countDroppedMessage();
        m_reporter.markChanged(session);
    } else {
        closeSlowConsumer(session);
    }
    return false;
}

void Engine::closeSlowConsumer(ClientSession *session)
{
    session->close(CloseCode::TryAgainLater, QStringLiteral("slow consumer: %1 bytes waiting").arg(session->bytesToWrite()));
}

void Engine::sessionOverBudget(ClientSession *session)
{
    // Its connection stopped reading it; under `drop` that lasts until it drains, and the messages
    // meant for it meanwhile are dropped (admitOutgoing).
    if (m_config.slowConsumerPolicy == ServerConfig::SlowConsumerPolicy::Close)
        closeSlowConsumer(session);
    m_reporter.markChanged(session);
}

void Engine::checkHeartbeats()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    // A timed-out session ends synchronously and leaves m_sessions: iterate over a copy.
    const auto sessions = m_sessions;
    for (const auto &entry : sessions) {
        if (entry.second->checkHeartbeat(now, m_config.heartbeatIntervalMs, m_config.heartbeatTimeoutMs)) {
            LogRecord ping = EngineReporter::makeRecord(entry.second, LogRecord::Direction::Out, LogRecord::Kind::Ping);
            ping.detail = QLatin1String(LogRecord::kHeartbeatDetail);
            m_reporter.record(ping);
        }
    }
}

int Engine::deliver(const QVector<ClientSession *> &targets, const IncomingMessage &message, qint64 *wireBytes)
{
    if (targets.isEmpty())
        return 0;
    OutgoingMessage outgoing(message.binary, message.data); // encoded (and compressed) once for all
    // Counted per run of recipients on the same route: one metrics lookup per broadcast, not per copy.
    const QString *route = nullptr;
    int onRoute = 0;
    int delivered = 0;
    for (ClientSession *session : targets) {
        if (!deliverTo(session, outgoing))
            continue;
        ++delivered;
        if (route && *route != session->info().route) {
            m_metrics.noteMessagesOut(*route, message.binary, message.data.size(), onRoute);
            onRoute = 0;
        }
        route = &session->info().route;
        ++onRoute;
    }
    if (route)
        m_metrics.noteMessagesOut(*route, message.binary, message.data.size(), onRoute);
    *wireBytes = outgoing.wireBytesTotal();
    return delivered;
}

bool Engine::deliverTo(ClientSession *session, OutgoingMessage &message)
{
    const qint64 payloadSize = message.payload().size();
    if (!session->isOpen() || !admitOutgoing(session))
        return false;
    session->send(message);
    m_writes.schedule(session);
    m_totals.messagesOut++;
    m_totals.bytesOut += payloadSize;
    m_reporter.markChanged(session);
    return true;
}

void Engine::joinRoom(RouteClient &client, const QString &room)
{
    m_rooms.join(static_cast<ClientSession *>(&client), room);
}

void Engine::closeClient(RouteClient &client, int code, const QString &reason)
{
    static_cast<ClientSession &>(client).close(code, reason);
}

void Engine::leaveRoom(RouteClient &client)
{
    m_rooms.leave(static_cast<ClientSession *>(&client));
}

// ---- for the reporter ----

ClientSession *Engine::session(quint64 clientId) const
{
    const auto it = m_sessions.find(clientId);
    return it != m_sessions.end() ? it->second : nullptr;
}

bool Engine::clientRowsWatched() const
{
    return isSignalConnected(QMetaMethod::fromSignal(&Engine::clientsChanged));
}

// ---- ScriptHost ----

bool Engine::loadScripts(QString *error)
{
    for (int index = 0; index < m_config.routes.routes().size(); ++index) {
        const RouteSpec route = m_config.routes.routes().at(index); // a copy: the table changes below
        // Script routes, and proxy routes with hooks (onClientMessage / onUpstreamMessage).
        const bool hooks = route.behaviour == RouteBehaviourKind::Proxy && !route.script.isEmpty();
        if ((route.behaviour != RouteBehaviourKind::Script && !hooks) || m_scripts.count(route.pattern))
            continue;
        ScriptLimits limits;
        limits.callBudgetMs = route.scriptBudgetMs;
        limits.heapBytes = qint64(route.scriptHeapMb) << 20;
        auto runtime = std::make_unique<ScriptRuntime>(route.script, route.pattern, *this, limits, this);
        QString why;
        if (!runtime->load(&why)) {
            *error = QStringLiteral("script route %1: %2").arg(route.pattern, why);
            return false;
        }
        runtime->setWatching(true);
        // A script names its subprotocols (graphql-transport-ws...) unless the config did.
        if (route.subprotocols.isEmpty() && !hooks)
            m_config.routes.mutableRoutes()[index].subprotocols = runtime->protocols();
        m_scripts.emplace(route.pattern, std::move(runtime));
    }
    return true;
}

ScriptRuntime *Engine::scriptRuntime(const QString &pattern) const
{
    const auto it = m_scripts.find(pattern);
    return it != m_scripts.end() ? it->second.get() : nullptr;
}

QString Engine::scriptSend(quint64 clientId, const QByteArray &data, bool binary)
{
    return sendToClient(clientId, data, binary).error;
}

QString Engine::scriptClose(quint64 clientId, int code, const QString &reason)
{
    const QString why = CloseCode::whyNotSendable(code);
    if (!why.isEmpty())
        return why;
    if (QByteArray utf8 = reason.toUtf8(); utf8.size() > 123)
        return QStringLiteral("the close reason is %1 bytes of UTF-8; at most 123 fit in a close frame").arg(utf8.size());
    if (openSession(clientId))
        closeClients({clientId}, code, reason);
    return {}; // closing a closed socket does nothing, as in the browser
}

QString Engine::scriptPing(quint64 clientId)
{
    return ping(clientId).error;
}

int Engine::scriptReadyState(quint64 clientId) const
{
    const ClientSession *found = session(clientId);
    if (!found)
        return 3;
    return found->isOpen() ? 1 : found->info().state == ClientInfo::State::Closed ? 3 : 2;
}

void Engine::scriptJoin(quint64 clientId, const QString &room)
{
    ClientSession *found = openSession(clientId);
    if (!found)
        return;
    m_rooms.leave(found); // one room per client, as the dashboard shows it
    found->setRoom(room);
    m_rooms.join(found, room);
    m_reporter.markChanged(found);
}

void Engine::scriptLeave(quint64 clientId)
{
    ClientSession *found = session(clientId);
    if (!found)
        return;
    m_rooms.leave(found);
    found->setRoom(QString());
    m_reporter.markChanged(found);
}

int Engine::scriptBroadcast(const QString &room, const QString &route, const QByteArray &data, bool binary)
{
    if (!room.isEmpty())
        return broadcastToRoom(room, messageFromOutside(binary, data));
    return broadcastFrom(BroadcastTarget::route(route), data, binary, QStringLiteral("script")).affected;
}

QJsonArray Engine::scriptClients(const QString &room, const QString &route) const
{
    QJsonArray rows;
    const BroadcastTarget target = room.isEmpty() ? BroadcastTarget::route(route) : BroadcastTarget::room(room);
    for (const ClientSession *client : localTargets(target)) {
        const ClientInfo &info = client->info();
        rows.append(QJsonObject{{QStringLiteral("id"), double(info.id)},
                                {QStringLiteral("route"), info.route},
                                {QStringLiteral("room"), info.room},
                                {QStringLiteral("path"), info.path},
                                {QStringLiteral("protocol"), info.subprotocol},
                                {QStringLiteral("peer"), QStringLiteral("%1:%2").arg(info.peerAddress).arg(info.peerPort)}});
    }
    return rows;
}

void Engine::scriptLog(const QString &route, quint64 clientId, LogLevel level, const QString &where, const QString &text)
{
    static const char *const levels[] = {"log", "info", "warn", "error"};
    LogRecord record;
    if (const ClientSession *found = session(clientId)) {
        record = EngineReporter::makeRecord(found, LogRecord::Direction::System, LogRecord::Kind::Script);
    } else {
        record.timestampMs = QDateTime::currentMSecsSinceEpoch();
        record.direction = LogRecord::Direction::System;
        record.kind = LogRecord::Kind::Script;
        record.route = route;
    }
    const QString file = scriptRuntime(route) ? QFileInfo(scriptRuntime(route)->fileName()).fileName() : QString();
    record.detail = QStringLiteral("%1 %2: %3").arg(QLatin1String(levels[int(level)]),
                                                   where.isEmpty() ? file : where, text);
    m_reporter.record(record);
}

CommandResult Engine::reloadScript(const QString &pattern, bool restartClients)
{
    ScriptRuntime *runtime = scriptRuntime(pattern);
    if (!runtime)
        return CommandResult::failure(QStringLiteral("%1 is not a script route").arg(pattern));
    QString why;
    if (!runtime->load(&why)) {
        scriptLog(pattern, 0, LogLevel::Error, QString(),
                  QStringLiteral("reload failed, version %1 keeps running: %2").arg(runtime->version()).arg(why));
        return CommandResult::failure(why);
    }
    QList<quint64> ids;
    if (restartClients) {
        for (const ClientSession *client : localTargets(BroadcastTarget::route(pattern)))
            ids.append(client->id());
        if (!ids.isEmpty())
            closeClients(ids, CloseCode::ServiceRestart, QStringLiteral("script reloaded"));
    }
    return CommandResult::success(int(ids.size()));
}

CommandResult Engine::reloadScripts(bool restartClients)
{
    if (m_scripts.empty())
        return CommandResult::failure(QStringLiteral("no script routes"));
    QStringList errors;
    int restarted = 0;
    for (const auto &entry : m_scripts) {
        const CommandResult result = reloadScript(entry.first, restartClients);
        if (result.ok)
            restarted += result.affected;
        else
            errors.append(QStringLiteral("%1: %2").arg(entry.first, result.error));
    }
    return errors.isEmpty() ? CommandResult::success(restarted) : CommandResult::failure(errors.join(QLatin1String("; ")));
}

ScriptRouteInfoList Engine::scriptRoutes() const
{
    ScriptRouteInfoList routes;
    for (const auto &entry : m_scripts) {
        const ScriptRuntime &runtime = *entry.second;
        routes.append({entry.first, runtime.fileName(), runtime.version(), runtime.limits().callBudgetMs, runtime.lastError()});
    }
    return routes;
}
