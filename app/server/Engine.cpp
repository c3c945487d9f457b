#include "Engine.h"

#include "AdminApi.h"
#include "ClientSession.h"
#include "../websocket/CloseCode.h"
#include "../http/FrontDoor.h"
#include "../http/HttpRequestHead.h"
#include "RequestRouter.h"
#include "../http/TlsCredentials.h"
#include "../routes/ChatBehaviour.h"
#include "../routes/ClockBehaviour.h"
#include "../routes/EchoBehaviour.h"
#include "../routes/OperatorBehaviour.h"
#include "../cluster/ClusterLink.h"
#include "../websocket/WebSocketConnection.h"
#include "../websocket/WebSocketFrame.h"

#include <QDateTime>
#include <QHostAddress>
#include <QHostInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QMetaMethod>

Q_LOGGING_CATEGORY(lcEngine, "switchboard.server")

namespace {

// Log records carry the whole payload, shared with the message (no copy): the recorder writes all
// of it. Where records live long, in the dashboard's log, LogStore keeps at most
// ServerConfig::logPayloadCapBytes of each, so memory stays bounded there.

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

} // namespace

Engine::Engine(ServerConfig config, QObject *parent)
    : QObject(parent), m_config(std::move(config)),
      m_admission(m_config.maxConnections, m_config.maxConnectionsPerIp)
{
    qRegisterMetaType<LogRecordBatch>();
    qRegisterMetaType<ClientInfoList>();
    qRegisterMetaType<EngineStats>();
    qRegisterMetaType<BroadcastTarget>();
    qRegisterMetaType<CommandResult>();
    qRegisterMetaType<ClusterStatus>();

    m_router = std::make_unique<RequestRouter>(m_config.routes,
                                               OriginPolicy(m_config.allowedOrigins, m_config.host, m_config.port),
                                               m_admission, m_config.token, [this] { return healthJson(); });
    m_adminApi = std::make_unique<AdminApi>(*this, m_router->originPolicy(), m_config.adminToken);
    m_router->setAdminApi(m_adminApi.get());
    m_router->setMetricsText([this] { return metricsText(); });
    FrontDoor::Limits limits;
    limits.maxHeadBytes = m_config.maxHeadBytes;
    limits.headTimeoutMs = m_config.headTimeoutMs;
    limits.maxMessageBytes = m_config.maxMessageBytes;
    // A bad certificate or key is reported by start(), the one place a startup fails.
    std::optional<QSslConfiguration> tls;
    if (m_config.tlsEnabled())
        tls = TlsCredentials::load(m_config.tlsCertPath, m_config.tlsKeyPath, &m_tlsError);
    m_frontDoor = std::make_unique<FrontDoor>(*m_router, limits, tls);
    connect(m_frontDoor.get(), &FrontDoor::upgraded, this, &Engine::onUpgraded);
    connect(m_frontDoor.get(), &FrontDoor::refused, this,
            [this](const QHostAddress &peer, quint16 peerPort, const QString &path, int status, const QString &why) {
                onRefused(QStringLiteral("%1:%2").arg(peer.toString()).arg(peerPort), path, status, why);
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
    if (!m_frontDoor->listen(address, m_config.port)) {
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
    qCInfo(lcEngine).noquote() << "listening on" << httpUrl().toString();
    Q_EMIT listening(httpUrl());
    return true;
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

void Engine::onUpgraded(WebSocketConnection *connection, int routeIndex, const HttpRequestHead &head)
{
    if (m_stopping) {
        connection->setParent(this); // no handler: it deletes itself once closed
        connection->setCloseTimeoutMs(m_config.shutdownGraceMs);
        connection->close(CloseCode::GoingAway, QString::fromLatin1(kShutdownReason));
        connection->start();
        return;
    }
    // The front door made the connection with the configured message limit already.

    const RouteSpec &route = m_config.routes.routes().at(routeIndex);
    ClientInfo info;
    info.peerAddress = connection->peerAddress().toString();
    info.peerPort = connection->peerPort();
    info.route = route.pattern;
    info.path = RequestRouter::redactedTarget(head);
    info.subprotocol = connection->subprotocol();
    info.origin = QString::fromUtf8(head.header("origin"));
    info.userAgent = QString::fromUtf8(head.header("user-agent"));
    info.connectedAtMs = QDateTime::currentMSecsSinceEpoch();

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

    session->setBehaviour(makeBehaviour(route, head, *session));
    session->behaviour()->onOpen(*session);
    session->start();
    m_reporter.markChanged(session);
}

void Engine::sessionPong(ClientSession *session, qint64 rttMs)
{
    m_metrics.notePingRtt(rttMs);
    LogRecord pong = EngineReporter::makeRecord(session, LogRecord::Direction::In, LogRecord::Kind::Pong);
    pong.detail = QStringLiteral("round trip %1 ms").arg(rttMs);
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
    }
    return std::make_unique<OperatorBehaviour>(*this);
}

void Engine::sessionMessage(ClientSession *session, const IncomingMessage &message)
{
    m_totals.messagesIn++;
    m_totals.bytesIn += message.data.size();
    m_metrics.noteMessageIn(session->info().route, message.binary, message.data.size());
    LogRecord in = EngineReporter::makeRecord(session, LogRecord::Direction::In,
                              message.binary ? LogRecord::Kind::Binary : LogRecord::Kind::Text);
    in.size = message.data.size();
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
    const IncomingMessage message = messageFromOutside(binary, payload);
    const int fanout = deliver(localTargets(target), message);
    const QString detail = QStringLiteral("operator broadcast to %1").arg(target.describe());
    publishToCluster(target, message, detail);
    LogRecord sent;
    sent.timestampMs = QDateTime::currentMSecsSinceEpoch();
    sent.direction = LogRecord::Direction::Broadcast;
    sent.kind = binary ? LogRecord::Kind::Binary : LogRecord::Kind::Text;
    sent.route = target.scope == BroadcastTarget::Scope::Route ? target.name : QString();
    sent.size = message.data.size();
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
    auto *session = static_cast<ClientSession *>(&client);
    if (!deliverTo(session, WebSocketFrame::encode(message.binary, message.data), message.data.size()))
        return;
    m_metrics.noteMessagesOut(session->info().route, message.binary, message.data.size(), 1);
    LogRecord out = EngineReporter::makeRecord(session, LogRecord::Direction::Out,
                               message.binary ? LogRecord::Kind::Binary : LogRecord::Kind::Text);
    out.size = message.data.size();
    out.payload = message.data;
    m_reporter.record(out);
}

int Engine::broadcastToRoom(const QString &room, const IncomingMessage &message)
{
    const QVector<ClientSession *> members = m_rooms.members(room);
    const int fanout = deliver(members, message);
    LogRecord sent;
    sent.timestampMs = QDateTime::currentMSecsSinceEpoch();
    sent.direction = LogRecord::Direction::Broadcast;
    sent.kind = message.binary ? LogRecord::Kind::Binary : LogRecord::Kind::Text;
    sent.size = message.data.size();
    sent.payload = message.data;
    sent.fanout = fanout;
    sent.detail = QStringLiteral("room %1").arg(room);
    if (!members.isEmpty())
        sent.route = members.constFirst()->info().route;
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
    const int fanout = deliver(targets, incoming);
    LogRecord sent;
    sent.timestampMs = QDateTime::currentMSecsSinceEpoch();
    sent.direction = LogRecord::Direction::Broadcast;
    sent.kind = message.binary ? LogRecord::Kind::Binary : LogRecord::Kind::Text;
    if (message.target.scope == BroadcastTarget::Scope::Route)
        sent.route = message.target.name;
    else if (message.target.scope == BroadcastTarget::Scope::Room && !targets.isEmpty())
        sent.route = targets.constFirst()->info().route; // as broadcastToRoom() records it
    sent.size = message.payload.size();
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
        session->close(CloseCode::TryAgainLater, QStringLiteral("slow consumer: %1 bytes waiting").arg(session->bytesToWrite()));
    }
    return false;
}

void Engine::checkHeartbeats()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    // A timed-out session ends synchronously and leaves m_sessions: iterate over a copy.
    const auto sessions = m_sessions;
    for (const auto &entry : sessions)
        entry.second->checkHeartbeat(now, m_config.heartbeatIntervalMs, m_config.heartbeatTimeoutMs);
}

int Engine::deliver(const QVector<ClientSession *> &targets, const IncomingMessage &message)
{
    if (targets.isEmpty())
        return 0;
    const QByteArray frame = WebSocketFrame::encode(message.binary, message.data); // once for all
    // Counted per run of recipients on the same route: one metrics lookup per broadcast, not per copy.
    const QString *route = nullptr;
    int onRoute = 0;
    int delivered = 0;
    for (ClientSession *session : targets) {
        if (!deliverTo(session, frame, message.data.size()))
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
    return delivered;
}

bool Engine::deliverTo(ClientSession *session, const QByteArray &frame, qint64 payloadSize)
{
    if (!session->isOpen() || !admitOutgoing(session))
        return false;
    session->send(frame, payloadSize);
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
