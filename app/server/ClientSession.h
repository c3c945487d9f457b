#pragma once

#include "ClientInfo.h"
#include "TokenBucket.h"
#include "../routes/RouteBehaviour.h"
#include "../websocket/WebSocketEndpoint.h"

#include <QObject>
#include <memory>
#include <optional>
#include <utility>

class OutgoingMessage;

// One connected WebSocket client. Hands its connection's events to the engine (its Observer),
// keeps the counters the dashboard shows, and works out who closed the connection and how.
class ClientSession final : public QObject, public RouteClient, private WebSocketEndpoint::Handler
{
    Q_OBJECT
public:
    // What the engine hears from its sessions: direct calls, because per-session signal
    // connections would cost more memory than an idle connection's socket.
    class Observer
    {
    public:
        virtual ~Observer() = default;
        virtual void sessionMessage(ClientSession *session, const IncomingMessage &message) = 0;
        // heartbeat: the pong answered the server's keepalive ping (not an operator's).
        virtual void sessionPong(ClientSession *session, qint64 rttMs, bool heartbeat) = 0;
        virtual void sessionError(ClientSession *session, const QString &error) = 0;
        // Counters or bytesToWrite changed; cheap, may come often.
        virtual void sessionChanged(ClientSession *session) = 0;
        // More than its outgoing budget waits to be written; it is not read until that drains.
        virtual void sessionOverBudget(ClientSession *session) = 0;
        // No longer open: a close began or the connection dropped. Once per session, before
        // sessionEnded() (which follows at once for a drop).
        virtual void sessionLeftOpen(ClientSession *session) = 0;
        // The connection is gone; info() holds the close code, reason and who closed.
        virtual void sessionEnded(ClientSession *session) = 0;
    };

    // Takes ownership of the connection (re-parented to this session). Call start() once the
    // observer and the behaviour are set.
    ClientSession(quint64 id, WebSocketEndpoint *connection, ClientInfo info, QObject *parent = nullptr);
    ~ClientSession() override;

    quint64 id() const override { return m_info.id; }
    QObject *lifetime() override { return this; }
    int closeCode() const override { return m_info.closeCode; }
    QString closeReason() const override { return m_info.closeReason; }
    qint64 writeBacklog() const override { return m_connection->bytesToWrite(); }
    void pauseReading(bool paused) override { m_connection->pauseReading(paused); }
    const ClientInfo &info() const { return m_info; }
    bool isOpen() const { return m_info.state == ClientInfo::State::Open; }
    WebSocketEndpoint *connection() const { return m_connection; }
    void setObserver(Observer *observer) { m_observer = observer; }
    void start() { m_connection->start(); }

    RouteBehaviour *behaviour() const { return m_behaviour.get(); }
    void setBehaviour(std::unique_ptr<RouteBehaviour> behaviour);
    void setRoom(const QString &room) { m_info.room = room; }
    void setUpstream(const QString &url, const QString &state)
    {
        m_info.upstreamUrl = url;
        m_info.upstreamState = state;
    }
    void setHeld(int holding, int messages, qint64 bytes)
    {
        m_info.holding = holding;
        m_info.heldMessages = messages;
        m_info.heldBytes = bytes;
    }
    void setRateLimit(double messagesPerSecond, int burst) { m_rateLimit.emplace(messagesPerSecond, burst); }
    // How long a closing handshake may wait for the client before the connection is dropped.
    void setCloseGraceMs(int ms) { m_connection->setCloseTimeoutMs(ms); }
    void countDroppedMessage() { ++m_info.messagesDropped; }
    // Bytes queued on the connection, as of the last send, flush or write: the engine asks on
    // every delivery, so it is kept here rather than fetched from the transport each time.
    qint64 bytesToWrite() const { return m_info.bytesToWrite; }

    // Called periodically: pings a client silent for intervalMs, and drops one that has not
    // answered a ping within timeoutMs (recorded as 1006 "heartbeat timeout").
    // True when it sent a keepalive ping.
    bool checkHeartbeat(qint64 nowMs, int intervalMs, int timeoutMs);

    // Queues `message` (encoded once per wire form for every recipient) on the connection; it
    // goes out at flushWrites(). The caller checks isOpen() first.
    void send(OutgoingMessage &message);
    // Writes what send() queued now (nothing once the connection is gone).
    void flushWrites();
    // The engine lists the sessions with frames to write: the session's place in that list, or -1,
    // keeps it there once and lets the engine strike it out if it ends first.
    int flushSlot() const { return m_flushSlot; }
    void setFlushSlot(int slot) { m_flushSlot = slot; }
    // The same for the rows the next batch to the dashboard carries.
    bool markChangeQueued() { return !std::exchange(m_changeQueued, true); }
    void clearChangeQueued() { m_changeQueued = false; }
    bool ping(const QByteArray &payload = {});
    // The code must be sendable (CloseCode::isSendable) and the reason already truncated.
    void close(int code, const QString &reason);
    // Drops the connection without a close handshake.
    void abort(const QString &why);

private:
    void onTextMessage(const QByteArray &utf8) override;
    void onBinaryMessage(const QByteArray &data) override;
    void onPong(qint64 rttMs) override;
    void onClosing(WebSocketEndpoint::CloseInitiator initiator) override;
    void onBytesWritten() override;
    void onOutgoingBudgetExceeded() override;
    void onFailed(const QString &error) override;
    void onDisconnected() override;
    void received(const IncomingMessage &message); // admits, counts and passes on a message
    void changed(); // tells the observer
    void leaveOpen(ClientInfo::State next);
    bool admitIncoming(); // the rate limit: false closes the client with 1008
    void syncBytesToWrite() { m_info.bytesToWrite = m_connection->bytesToWrite(); }

    ClientInfo m_info;
    WebSocketEndpoint *m_connection = nullptr; // child of this session
    Observer *m_observer = nullptr;
    std::unique_ptr<RouteBehaviour> m_behaviour;
    bool m_closeFrameSeen = false;
    QString m_abortReason;
    std::optional<TokenBucket> m_rateLimit;
    int m_flushSlot = -1;
    bool m_changeQueued = false;
    qint64 m_lastHeardMs = 0;
    qint64 m_pingSentAtMs = 0; // 0: no heartbeat ping outstanding
};
