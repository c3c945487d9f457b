// Engine's side of proxy routes (issue 18): dialing the upstream before the client's upgrade is
// answered, the upstream leg's records and state, and the operator's hold and inject commands.
#include "Engine.h"

#include "ClientSession.h"
#include "../http/HttpGate.h"
#include "../http/PendingAnswer.h"

#include <QDateTime>
#include <algorithm>
#include <QLoggingCategory>

std::shared_ptr<void> Engine::dialedUpstream(ProxyBehaviour::Upstream upstream)
{
    // Released untaken when the client was never upgraded (it left, the backend refused it): the
    // upstream is told the client went away; the connection deletes itself once closed.
    return std::shared_ptr<ProxyBehaviour::Upstream>(new ProxyBehaviour::Upstream(std::move(upstream)),
                                                     [](ProxyBehaviour::Upstream *dialed) {
                                                         if (WebSocketConnection *unused = dialed->connection.release()) {
                                                             unused->close(1001, QString());
                                                             unused->start();
                                                         }
                                                         delete dialed;
                                                     });
}

void Engine::dialUpstream(PendingAnswer *answer, const GateDecision &upgrade, const WebSocketDialer::Request &request)
{
    // A child of the pending answer: gone with it when the client leaves or the deadline passes.
    auto *dialer = new WebSocketDialer(request, answer);
    const QString url = request.url.toString();
    connect(dialer, &WebSocketDialer::opened, this,
            [this, answer, upgrade, url](WebSocketConnection *connection, const QString &subprotocol) {
                GateDecision decision = upgrade;
                decision.subprotocol = subprotocol;
                decision.context = dialedUpstream({url, std::unique_ptr<WebSocketConnection>(connection), {}});
                answer->resolve(decision); // onUpgraded() takes the connection, now or once the backend upgraded the client
            });
    connect(dialer, &WebSocketDialer::refused, this, [this, answer, upgrade, url](const WebSocketDialer::Refusal &refusal) {
        if (refusal.status > 0) { // the upstream's own answer, status and body, for the client
            HttpResponse response;
            response.status = refusal.status;
            response.contentType = refusal.contentType.isEmpty() ? QByteArray("text/plain; charset=utf-8")
                                                                 : refusal.contentType;
            response.body = refusal.body;
            GateDecision decision = GateDecision::respond(response);
            decision.refusal = QStringLiteral("proxy upstream %1: %2").arg(url, refusal.error);
            answer->resolve(decision);
            return;
        }
        // Not reached at all: the client is upgraded and closed with 1014 and the reason.
        GateDecision decision = upgrade;
        decision.subprotocol.clear();
        decision.context = dialedUpstream({url, nullptr, refusal.error});
        answer->resolve(decision);
    });
    dialer->start();
}

void Engine::upstreamMessage(RouteClient &client, bool toUpstream, const IncomingMessage &message,
                             const QString &detail)
{
    auto *session = static_cast<ClientSession *>(&client);
    LogRecord record = EngineReporter::makeRecord(
        session, toUpstream ? LogRecord::Direction::ToUpstream : LogRecord::Direction::FromUpstream,
        message.binary ? LogRecord::Kind::Binary : LogRecord::Kind::Text);
    record.size = message.data.size();
    record.payload = message.data;
    record.detail = detail;
    m_reporter.record(record);
}

void Engine::upstreamChanged(RouteClient &client, const QString &url, UpstreamState state, const QString &detail)
{
    auto *session = static_cast<ClientSession *>(&client);
    static const char *const kNames[] = {"connecting", "open", "closed"};
    const QString name = QLatin1String(kNames[int(state)]);
    session->setUpstream(url, name);
    m_reporter.markChanged(session);
    LogRecord record = EngineReporter::makeRecord(
        session, state == UpstreamState::Open ? LogRecord::Direction::ToUpstream : LogRecord::Direction::FromUpstream,
        state == UpstreamState::Open ? LogRecord::Kind::Open : LogRecord::Kind::Close);
    record.detail = detail.isEmpty() ? QStringLiteral("upstream %1 %2").arg(url, name)
                                     : QStringLiteral("upstream %1 %2: %3").arg(url, name, detail);
    m_reporter.record(record);
}

ProxyBehaviour *Engine::proxyFor(quint64 clientId, CommandResult *refusal) const
{
    ClientSession *session = openSession(clientId);
    auto *proxy = session ? dynamic_cast<ProxyBehaviour *>(session->behaviour()) : nullptr;
    if (!session)
        *refusal = CommandResult::failure(QStringLiteral("client %1 is not connected").arg(clientId));
    else if (!proxy)
        *refusal = CommandResult::failure(QStringLiteral("client %1 is not on a proxy route").arg(clientId));
    return proxy;
}

const ProxyBehaviour *Engine::proxyOf(quint64 clientId) const
{
    CommandResult ignored;
    return proxyFor(clientId, &ignored);
}

CommandResult Engine::proxyHold(quint64 clientId, int directions)
{
    CommandResult result;
    ProxyBehaviour *proxy = proxyFor(clientId, &result);
    if (!proxy)
        return result;
    proxy->hold(directions);
    return CommandResult::success(1);
}

CommandResult Engine::proxyRelease(quint64 clientId, int directions)
{
    CommandResult result;
    ProxyBehaviour *proxy = proxyFor(clientId, &result);
    if (!proxy)
        return result;
    proxy->release(directions);
    return CommandResult::success(1);
}

CommandResult Engine::proxyForwardHeld(quint64 clientId, quint64 heldId, const IncomingMessage *edited)
{
    CommandResult result;
    ProxyBehaviour *proxy = proxyFor(clientId, &result);
    if (!proxy)
        return result;
    if (!proxy->forwardHeld(heldId, edited))
        return CommandResult::failure(QStringLiteral("client %1 holds no message %2").arg(clientId).arg(heldId));
    return CommandResult::success(1);
}

CommandResult Engine::proxyDropHeld(quint64 clientId, quint64 heldId)
{
    CommandResult result;
    ProxyBehaviour *proxy = proxyFor(clientId, &result);
    if (!proxy)
        return result;
    if (!proxy->dropHeld(heldId))
        return CommandResult::failure(QStringLiteral("client %1 holds no message %2").arg(clientId).arg(heldId));
    return CommandResult::success(1);
}

CommandResult Engine::proxyInject(quint64 clientId, bool toUpstream, const QByteArray &payload, bool binary)
{
    CommandResult result;
    ProxyBehaviour *proxy = proxyFor(clientId, &result);
    if (!proxy)
        return result;
    if (!binary && !QByteArrayView(payload).isValidUtf8())
        return CommandResult::failure(QStringLiteral("a text message must be UTF-8"));
    if (!proxy->inject(toUpstream, {binary, payload}))
        return CommandResult::failure(QStringLiteral("client %1's upstream is not open").arg(clientId));
    return CommandResult::success(1);
}

CommandResult Engine::proxyForwardAllHeld(quint64 clientId)
{
    CommandResult result;
    ProxyBehaviour *proxy = proxyFor(clientId, &result);
    if (!proxy)
        return result;
    const int count = int(proxy->held().messages().size());
    proxy->forwardAllHeld();
    return CommandResult::success(count);
}

void Engine::heldChanged(RouteClient &client)
{
    auto *session = static_cast<ClientSession *>(&client);
    const auto *proxy = dynamic_cast<const ProxyBehaviour *>(session->behaviour());
    if (!proxy) // not yet: a route hold is applied before the behaviour is set
        return;
    const ProxyHoldQueue &queue = proxy->held();
    session->setHeld(queue.holding(), int(queue.messages().size()), queue.bytes());
    m_reporter.markChanged(session);
}

bool Engine::proxyRouteClients(const QString &pattern, QList<ProxyBehaviour *> *proxies, CommandResult *refusal) const
{
    const auto &routes = m_config.routes.routes();
    const bool isProxyRoute = std::any_of(routes.cbegin(), routes.cend(), [&pattern](const RouteSpec &route) {
        return route.pattern == pattern && route.behaviour == RouteBehaviourKind::Proxy;
    });
    if (!isProxyRoute) {
        *refusal = CommandResult::failure(QStringLiteral("%1 is not a proxy route").arg(pattern));
        return false;
    }
    for (const auto &[id, session] : m_sessions) {
        if (session->isOpen() && session->info().route == pattern) {
            if (auto *proxy = dynamic_cast<ProxyBehaviour *>(session->behaviour()))
                proxies->append(proxy);
        }
    }
    return true;
}

CommandResult Engine::proxyHoldRoute(const QString &pattern, int directions)
{
    CommandResult result;
    QList<ProxyBehaviour *> proxies;
    if (!proxyRouteClients(pattern, &proxies, &result))
        return result;
    m_routeHolds[pattern] |= directions;
    for (ProxyBehaviour *proxy : std::as_const(proxies))
        proxy->hold(directions);
    return CommandResult::success(int(proxies.size()));
}

CommandResult Engine::proxyReleaseRoute(const QString &pattern, int directions)
{
    CommandResult result;
    QList<ProxyBehaviour *> proxies;
    if (!proxyRouteClients(pattern, &proxies, &result))
        return result;
    m_routeHolds[pattern] &= ~directions;
    for (ProxyBehaviour *proxy : std::as_const(proxies))
        proxy->release(directions);
    return CommandResult::success(int(proxies.size()));
}

int Engine::routeHolding(const QString &pattern) const
{
    const auto hold = m_routeHolds.find(pattern);
    return hold == m_routeHolds.end() ? 0 : hold->second;
}

HeldMessages Engine::heldMessages(quint64 clientId) const
{
    HeldMessages held;
    held.clientId = clientId;
    const ProxyBehaviour *proxy = proxyOf(clientId);
    if (!proxy)
        return held;
    const ProxyHoldQueue &queue = proxy->held();
    held.proxied = true;
    held.route = openSession(clientId)->info().route;
    held.holding = queue.holding();
    held.routeHolding = routeHolding(held.route);
    held.messages = queue.messages();
    held.bytes = queue.bytes();
    held.overflowed = queue.overflowed();
    return held;
}

QString Engine::scriptSendUpstream(quint64 clientId, const QByteArray &data, bool binary)
{
    CommandResult refusal;
    ProxyBehaviour *proxy = proxyFor(clientId, &refusal);
    if (!proxy)
        return openSession(clientId) ? refusal.error : QString(); // a client gone: ignored, as ws.send does
    if (!binary && !QByteArrayView(data).isValidUtf8())
        return QStringLiteral("a text message must be UTF-8");
    (void)proxy->inject(true, {binary, data}, QStringLiteral("sent by script")); // an upstream gone: ignored
    return {};
}
