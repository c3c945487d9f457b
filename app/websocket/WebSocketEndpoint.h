#pragma once

#include <QHostAddress>
#include <QObject>
#include <QString>

class OutgoingMessage;

// One client's WebSocket as everything above the protocol sees it, whichever backend speaks
// RFC 6455: our own WebSocketConnection, or Qt's QWebSocket behind QtWebSocketEndpoint. It sends
// messages (OutgoingMessage), pings, closes with a code and reason, says how many bytes wait to be
// written, and tells its Handler about messages, pongs, the close and the end.
//
// Events go to one Handler by direct calls, not signals: ten thousand connections with a handful
// of signal connections each would hold more memory in connection records than in sockets.
class WebSocketEndpoint : public QObject
{
    Q_OBJECT
public:
    enum class State { Open, Closing, Closed };
    enum class CloseInitiator {
        Local,    // close() was called
        Peer,     // the peer sent a close frame; we answered it
        Violation // the peer broke the protocol; we failed the connection (closeCode() says how)
    };

    class Handler
    {
    public:
        virtual ~Handler() = default;
        virtual void onTextMessage(const QByteArray &utf8) = 0;
        virtual void onBinaryMessage(const QByteArray &data) = 0;
        virtual void onPong(qint64 rttMs) = 0;
        // A close frame went out; closeCode() and closeReason() hold what it said (for Peer: what
        // the peer's frame said, 1005 when it carried no code).
        virtual void onClosing(CloseInitiator initiator) = 0;
        // Bytes that had to wait for the socket went out (bytesToWrite() fell).
        virtual void onBytesWritten() = 0;
        // More than the outgoing budget waits to be written: the peer is no longer read until it
        // drains (to half the budget). Said once per crossing. (Native backend only.)
        virtual void onOutgoingBudgetExceeded() = 0;
        // The connection failed while open: a socket error, or the peer vanished without a close frame.
        virtual void onFailed(const QString &error) = 0;
        virtual void onDisconnected() = 0;
    };

    using QObject::QObject;

    // Events go to handler from start() on. Without one, the endpoint deletes itself once
    // disconnected (a connection only being turned away).
    void setHandler(Handler *handler) { m_handler = handler; }
    // Starts reading (bytes that came with the handshake first).
    virtual void start() = 0;

    virtual QHostAddress peerAddress() const = 0;
    virtual quint16 peerPort() const = 0;
    virtual QString subprotocol() const = 0;
    // The negotiated extensions as the handshake answered them; empty when none.
    virtual QString extensions() const = 0;
    virtual State state() const = 0;
    virtual int closeCode() const = 0;
    virtual QString closeReason() const = 0;
    // How long a closing handshake may wait for the peer before the connection is dropped.
    void setCloseTimeoutMs(int ms) { m_closeTimeoutMs = ms; }

    // The message being handed to the handler: its frames' bytes as they arrived (headers
    // included), and how many frames it came in.
    virtual qint64 messageWireBytes() const = 0;
    virtual int messageFrames() const = 0;

    // Queues `message` in the form this connection negotiated; returns the frame's size in bytes
    // (0 when not open). It goes out at flush().
    virtual qint64 queueMessage(OutgoingMessage &message) = 0;
    virtual void flush() = 0;
    virtual qint64 bytesToWrite() const = 0;
    // Bytes that may wait to be written before the endpoint acts on its own (0: no budget); the
    // engine's slow-consumer policy checks the same figure for the messages it queues.
    virtual void setOutgoingBudget(qint64 bytes) = 0;
    // Stops or resumes reading the peer for the caller's own reason (a proxy's other leg is behind),
    // on top of the outgoing budget's pause: reading resumes only when neither holds it.
    virtual void pauseReading(bool paused) = 0;

    virtual void ping(const QByteArray &payload = {}) = 0;
    // Sends a close frame and waits for the peer's. The code must be sendable (CloseCode) and
    // the reason already truncated to fit.
    virtual void close(int code, const QString &reason) = 0;
    // Drops the connection without a closing handshake; onDisconnected() comes before it returns.
    virtual void abort() = 0;

protected:
    // A close frame went out: abort() unless the connection ends within the close timeout.
    void startCloseTimer();
    // The connection is gone: stops the close timer, then tells the handler (onFailed(failure)
    // first unless failure is empty), or deletes this endpoint when it has no handler.
    void finish(const QString &failure);
    void timerEvent(QTimerEvent *event) override;

    Handler *m_handler = nullptr;

private:
    int m_closeTimeoutMs = 2000;
    int m_closeTimerId = 0;
};
