#include "ProxyBehaviour.h"

#include "../script/ScriptRuntime.h"
#include "../websocket/CloseCode.h"
#include "../websocket/OutgoingMessage.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcProxy, "switchboard.proxy")

namespace {
constexpr int kBadGateway = 1014;
constexpr int kGoingAway = 1001;
constexpr int kNormal = 1000;
constexpr int kNoStatus = 1005;
constexpr int kAbnormal = 1006;
constexpr int kCloseGraceMs = 5000; // a released upstream that never answers the close is dropped

QString heldFor(const QElapsedTimer &since)
{
    return QStringLiteral("proxy added %1 ms").arg(double(since.nsecsElapsed()) / 1e6, 0, 'f', 3);
}
} // namespace

ProxyBehaviour::ProxyBehaviour(RouteHost &host, QObject *owner, Upstream upstream, ScriptRuntime *script,
                               ScriptConnection connection)
    : RouteBehaviour(host), m_owner(owner), m_url(std::move(upstream.url)),
      m_upstream(std::move(upstream.connection)), m_failure(std::move(upstream.failure)), m_script(script),
      m_connection(std::move(connection))
{
}

ProxyBehaviour::~ProxyBehaviour()
{
    if (m_upstream)
        releaseUpstream(0, QString());
}

void ProxyBehaviour::onOpen(RouteClient &client)
{
    m_client = &client;
    if (!m_upstream) { // not reached (a refusal with an HTTP status never gets this far)
        m_done = true;
        setState(RouteHost::UpstreamState::Closed, m_failure);
        host().closeClient(client, kBadGateway, (QStringLiteral("upstream: ") + m_failure).left(120));
        return;
    }
    setState(RouteHost::UpstreamState::Open, QString());
    m_upstream->setHandler(this);
    m_upstream->start();
    if (m_script) {
        m_connection.id = client.id();
        m_script->open(m_connection, m_url);
    }
}

void ProxyBehaviour::onError(RouteClient &client, const QString &error)
{
    if (m_script)
        m_script->error(client.id(), error);
}

bool ProxyBehaviour::scripted(ProxyHoldQueue::Direction direction, IncomingMessage *message, QString *note)
{
    if (!m_script)
        return true;
    if (m_scriptFailed)
        return false;
    const bool toUpstream = direction == ProxyHoldQueue::ToUpstream;
    const ScriptRelayVerdict verdict = m_script->relay(m_client->id(), toUpstream, message->data, message->binary);
    switch (verdict.action) {
    case ScriptRelayVerdict::Action::Forward:
        return !m_done;
    case ScriptRelayVerdict::Action::Replace:
        *message = {verdict.binary, verdict.data};
        *note = QStringLiteral(", changed by script");
        return !m_done;
    case ScriptRelayVerdict::Action::Drop:
        return false;
    case ScriptRelayVerdict::Action::Failed:
        m_scriptFailed = true;
        return false;
    }
    return false;
}

void ProxyBehaviour::onMessage(RouteClient &client, const IncomingMessage &message)
{
    (void)client;
    if (m_done)
        return;
    QElapsedTimer since;
    since.start();
    IncomingMessage relayed = message;
    QString note;
    if (scripted(ProxyHoldQueue::ToUpstream, &relayed, &note))
        passOrHold(ProxyHoldQueue::ToUpstream, relayed, since, note);
}

void ProxyBehaviour::upstreamMessageArrived(const IncomingMessage &message)
{
    if (m_done)
        return;
    QElapsedTimer since;
    since.start();
    host().upstreamMessage(*m_client, false, message, QString());
    IncomingMessage relayed = message;
    QString note;
    if (scripted(ProxyHoldQueue::ToClient, &relayed, &note))
        passOrHold(ProxyHoldQueue::ToClient, relayed, since, note);
}

void ProxyBehaviour::passOrHold(ProxyHoldQueue::Direction direction, const IncomingMessage &message,
                                const QElapsedTimer &since, const QString &note)
{
    if (m_hold.isHolding(direction)) {
        const bool held = m_hold.add(direction, message, since);
        heldChanged(); // held, or counted as overflowed
        if (held)
            return;
        forward(direction, message, heldFor(since) + note + QStringLiteral(", hold queue full"), true);
        return;
    }
    forward(direction, message, heldFor(since) + note, true);
}

void ProxyBehaviour::forward(ProxyHoldQueue::Direction direction, const IncomingMessage &message, const QString &detail,
                             bool fromPeer)
{
    if (m_done)
        return;
    if (direction == ProxyHoldQueue::ToClient) {
        host().relayToClient(*m_client, message, detail);
        if (fromPeer && !m_upstreamPaused && m_client->writeBacklog() > kMaxLegBacklogBytes) {
            m_upstreamPaused = true;
            m_upstream->pauseReading(true);
        }
        return;
    }
    OutgoingMessage outgoing(message.binary, message.data);
    m_upstream->queueMessage(outgoing);
    m_upstream->flush();
    host().upstreamMessage(*m_client, true, message, detail);
    if (fromPeer && !m_clientPaused && m_upstream->bytesToWrite() > kMaxLegBacklogBytes) {
        m_clientPaused = true;
        m_client->pauseReading(true);
    }
}

void ProxyBehaviour::onBytesWritten()
{
    if (m_clientPaused && !m_done && m_upstream->bytesToWrite() <= kMaxLegBacklogBytes / 2) {
        m_clientPaused = false;
        m_client->pauseReading(false);
    }
}

void ProxyBehaviour::onWritten(RouteClient &client)
{
    if (m_upstreamPaused && !m_done && client.writeBacklog() <= kMaxLegBacklogBytes / 2) {
        m_upstreamPaused = false;
        m_upstream->pauseReading(false);
    }
}

void ProxyBehaviour::hold(int directions)
{
    m_hold.hold(directions);
    heldChanged();
}

void ProxyBehaviour::release(int directions)
{
    const QList<ProxyHoldQueue::Held> released = m_hold.release(directions);
    for (const ProxyHoldQueue::Held &held : released)
        forward(held.direction, held.message, heldFor(held.since) + QStringLiteral(", held"));
    heldChanged();
}

void ProxyBehaviour::forwardAllHeld()
{
    const int holding = m_hold.holding();
    release(ProxyHoldQueue::Both);
    hold(holding);
}

void ProxyBehaviour::heldChanged()
{
    if (m_client)
        host().heldChanged(*m_client);
}

bool ProxyBehaviour::forwardHeld(quint64 id, const IncomingMessage *edited)
{
    ProxyHoldQueue::Held held;
    if (!m_hold.take(id, &held))
        return false;
    forward(held.direction, edited ? *edited : held.message,
            heldFor(held.since) + (edited ? QStringLiteral(", held and edited") : QStringLiteral(", held")));
    heldChanged();
    return true;
}

bool ProxyBehaviour::dropHeld(quint64 id)
{
    ProxyHoldQueue::Held held;
    if (!m_hold.take(id, &held))
        return false;
    heldChanged();
    return true;
}

bool ProxyBehaviour::inject(bool toUpstream, const IncomingMessage &message, const QString &detail)
{
    if (m_done || !m_client)
        return false;
    forward(toUpstream ? ProxyHoldQueue::ToUpstream : ProxyHoldQueue::ToClient, message, detail);
    return true;
}

void ProxyBehaviour::onClose(RouteClient &client)
{
    if (m_script) // first: the upstream may have ended the pair already
        m_script->closed(client.id(), client.closeCode(), client.closeReason(), client.closeCode() != kAbnormal);
    if (m_done)
        return;
    m_done = true;
    int code = client.closeCode();
    QString reason = client.closeReason();
    if (code == kAbnormal || code == 0) { // the client went without a close frame
        code = kGoingAway;
        reason.clear();
    } else if (code == kNoStatus) {
        code = kNormal;
    }
    releaseUpstream(code, reason);
}

void ProxyBehaviour::onClosing(WebSocketConnection::CloseInitiator initiator)
{
    switch (initiator) {
    case WebSocketConnection::CloseInitiator::Local:
        return; // ours, from releaseUpstream()
    case WebSocketConnection::CloseInitiator::Peer: { // its code and reason, exactly
        const int code = m_upstream->closeCode();
        upstreamEnded(code == kNoStatus ? kNormal : code, m_upstream->closeReason());
        return;
    }
    case WebSocketConnection::CloseInitiator::Violation:
        upstreamEnded(kBadGateway, QStringLiteral("upstream broke the protocol: ") + m_upstream->closeReason());
        return;
    }
}

void ProxyBehaviour::onFailed(const QString &error)
{
    upstreamEnded(kBadGateway, QStringLiteral("upstream: ") + error);
}

void ProxyBehaviour::onDisconnected()
{
    upstreamEnded(kBadGateway, QStringLiteral("upstream: the connection ended"));
    setState(RouteHost::UpstreamState::Closed, QString());
}

void ProxyBehaviour::upstreamEnded(int code, const QString &reason)
{
    if (m_done)
        return;
    m_done = true;
    qCDebug(lcProxy) << "client" << m_client->id() << "upstream gone," << code << reason;
    setState(RouteHost::UpstreamState::Closed, QStringLiteral("%1 %2").arg(code).arg(reason).trimmed());
    if (std::exchange(m_clientPaused, false)) // the client's close frame must be read
        m_client->pauseReading(false);
    host().closeClient(*m_client, code, CloseCode::truncateReason(reason));
}

void ProxyBehaviour::releaseUpstream(int code, const QString &reason)
{
    if (!m_upstream)
        return;
    if (code != 0)
        setState(RouteHost::UpstreamState::Closed, QStringLiteral("client gone, %1").arg(code));
    m_upstream->setHandler(nullptr);
    if (m_upstream->state() == WebSocketConnection::State::Closed) {
        m_upstream.reset();
        return;
    }
    // The close handshake outlives the client: without a handler the connection deletes itself
    // once it ends (at the latest when the grace period passes). code 0: drop it now.
    WebSocketConnection *upstream = m_upstream.release();
    upstream->setParent(m_owner);
    upstream->setCloseTimeoutMs(kCloseGraceMs);
    if (code == 0)
        upstream->abort();
    else if (upstream->state() == WebSocketConnection::State::Open)
        upstream->close(code, CloseCode::truncateReason(reason));
}

void ProxyBehaviour::setState(RouteHost::UpstreamState state, const QString &detail)
{
    if (m_state == state || !m_client)
        return;
    m_state = state;
    host().upstreamChanged(*m_client, m_url, state, detail);
}
