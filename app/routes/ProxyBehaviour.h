#pragma once

#include "ProxyHoldQueue.h"
#include "RouteBehaviour.h"
#include "../script/ScriptConnection.h"
#include "../websocket/WebSocketConnection.h"

#include <QElapsedTimer>
#include <QPointer>
#include <memory>

class ScriptRuntime;

// A route that stands between the client and a real WebSocket server. The upstream leg is dialed
// before the client's upgrade is answered (the engine does that, with WebSocketDialer) and comes
// here open, in the client role; messages are relayed both ways with their kind and boundaries,
// close codes passed through. The operator can hold either direction, then forward, edit or drop
// each held message, and inject messages either way. With a script, its onClientMessage and
// onUpstreamMessage see each relayed message first and forward, change or drop it.
class ProxyBehaviour : public RouteBehaviour, private WebSocketConnection::Handler
{
public:
    struct Upstream
    {
        QString url;                                   // for the log and the clients table
        std::unique_ptr<WebSocketConnection> connection; // open, not started; null when the dial failed
        QString failure;                               // why there is no connection
    };
    // Backpressure: past this many bytes waiting to be written to one leg, the other leg is no longer
    // read (its peer is slowed by TCP) until they drop below half of it. Per pair, memory stays at
    // about this bound plus one message per leg.
    static constexpr qint64 kMaxLegBacklogBytes = 4 * 1024 * 1024;

    // owner: the parent of an upstream connection still closing after its client has gone.
    // script: the route's hooks, if it has a script (connection: the client as the script sees it).
    ProxyBehaviour(RouteHost &host, QObject *owner, Upstream upstream, ScriptRuntime *script = nullptr,
                   ScriptConnection connection = {});
    ~ProxyBehaviour() override;

    void onOpen(RouteClient &client) override;
    void onMessage(RouteClient &client, const IncomingMessage &message) override;
    void onClose(RouteClient &client) override;
    void onWritten(RouteClient &client) override;
    void onError(RouteClient &client, const QString &error) override;

    // Backpressure in effect: the client (the upstream) is not read because the other leg is behind.
    bool clientReadingPaused() const { return m_clientPaused; }
    bool upstreamReadingPaused() const { return m_upstreamPaused; }

    RouteHost::UpstreamState upstreamState() const { return m_state; }
    const QString &upstreamUrl() const { return m_url; }

    // Operator commands (the engine's, for the dashboard and the admin API).
    void hold(int directions);
    void release(int directions);
    // Forwards every held message in order and keeps holding.
    void forwardAllHeld();
    const ProxyHoldQueue &held() const { return m_hold; }
    // Forwards one held message, its payload replaced when `edited` is set; false: no such id.
    bool forwardHeld(quint64 id, const IncomingMessage *edited);
    bool dropHeld(quint64 id);
    // Sends as if from the other side: to the client as if from the upstream, or the reverse.
    // false when that leg is not open.
    bool inject(bool toUpstream, const IncomingMessage &message, const QString &detail = QStringLiteral("injected"));

private:
    // fromPeer: called while reading the leg the message came from (so that leg may be paused).
    void forward(ProxyHoldQueue::Direction direction, const IncomingMessage &message, const QString &detail,
                 bool fromPeer = false);
    void passOrHold(ProxyHoldQueue::Direction direction, const IncomingMessage &message, const QElapsedTimer &since,
                    const QString &note = QString());
    // The script's verdict on a relayed message; false: not to be forwarded (dropped, or the script failed).
    bool scripted(ProxyHoldQueue::Direction direction, IncomingMessage *message, QString *note);
    void upstreamMessageArrived(const IncomingMessage &message);
    void upstreamEnded(int code, const QString &reason);
    void releaseUpstream(int code, const QString &reason);
    void setState(RouteHost::UpstreamState state, const QString &detail);
    void heldChanged();

    // WebSocketConnection::Handler, for the upstream leg.
    void onTextMessage(const QByteArray &utf8) override { upstreamMessageArrived({false, utf8}); }
    void onBinaryMessage(const QByteArray &data) override { upstreamMessageArrived({true, data}); }
    void onPong(qint64) override { }
    void onClosing(WebSocketConnection::CloseInitiator initiator) override;
    void onBytesWritten() override;
    void onOutgoingBudgetExceeded() override { } // no budget is set on the upstream leg: the proxy paces it
    void onFailed(const QString &error) override;
    void onDisconnected() override;

    QObject *m_owner;
    QString m_url;
    std::unique_ptr<WebSocketConnection> m_upstream;
    QString m_failure;
    RouteClient *m_client = nullptr;
    ScriptRuntime *m_script;
    ScriptConnection m_connection;
    bool m_scriptFailed = false; // the client is being closed with 1011: nothing more is relayed
    ProxyHoldQueue m_hold;
    RouteHost::UpstreamState m_state = RouteHost::UpstreamState::Connecting;
    bool m_done = false; // one side has ended the pair
    bool m_clientPaused = false;
    bool m_upstreamPaused = false;
};
