#pragma once

#include "ByteTransport.h"
#include "WebSocketParser.h"

#include <QElapsedTimer>
#include <QObject>
#include <memory>

class OutgoingMessage;
class PerMessageDeflate;

// The server end (or, in the client role, the client end) of one RFC 6455 connection over a ByteTransport: reads frames, answers pings,
// runs the closing handshake (echoing the peer's code, or failing the connection with 1002,
// 1007 or 1009 on a bad frame), and times out a peer that does not finish it. Data frames come
// encoded from the caller (WebSocketFrame), so a broadcast frame is built once for everyone.
//
// Events go to one Handler by direct calls, not signals: ten thousand connections with a handful
// of signal connections each would hold more memory in connection records than in sockets.
class WebSocketConnection : public QObject, private ByteTransport::Receiver
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
        // drains (to half the budget). Said once per crossing.
        virtual void onOutgoingBudgetExceeded() = 0;
        // The connection failed while open: a socket error, or the peer vanished without a close frame.
        virtual void onFailed(const QString &error) = 0;
        virtual void onDisconnected() = 0;
    };

    WebSocketConnection(std::unique_ptr<ByteTransport> transport, QString subprotocol, qint64 maxMessageBytes,
                        QObject *parent = nullptr);
    ~WebSocketConnection() override;

    // Events go to handler from start() on. Without one, the connection deletes itself once
    // disconnected (a connection only being turned away).
    void setHandler(Handler *handler) { m_handler = handler; }
    // Starts reading (bytes that came with the handshake first).
    void start();

    QHostAddress peerAddress() const { return m_transport->peerAddress(); }
    quint16 peerPort() const { return m_transport->peerPort(); }
    const QString &subprotocol() const { return m_subprotocol; }
    State state() const { return m_state; }
    int closeCode() const { return m_closeCode; }
    const QString &closeReason() const { return m_closeReason; }

    // The client's end (a proxy's upstream leg, after WebSocketDialer's handshake): every frame we
    // send is masked and the peer's must not be. Call before start().
    void setClientRole();
    bool isClientRole() const { return m_clientRole; }

    // How long a closing handshake may wait for the peer before the connection is dropped.
    void setCloseTimeoutMs(int ms) { m_closeTimeoutMs = ms; }
    // Bytes that may wait to be written before the peer stops being read and pongs wait too
    // (0: no budget). Whoever queues data frames checks it too (the slow-consumer policy).
    void setOutgoingBudget(qint64 bytes) { m_outgoingBudget = bytes; }
    bool isReadingPaused() const { return m_readingPaused; }

    // permessage-deflate, when the handshake negotiated it (before start()); null otherwise.
    void setDeflate(std::unique_ptr<PerMessageDeflate> deflate);
    PerMessageDeflate *deflate() const { return m_deflate.get(); }
    // The negotiated extensions as the handshake answered them; empty when none.
    QString extensions() const;
    // The message being handed to the handler (onTextMessage, onBinaryMessage): its frames' bytes as
    // they arrived (compressed where deflated), headers included.
    qint64 messageWireBytes() const { return m_messageWireBytes; }
    int messageFrames() const { return m_messageFrames; }

    // Queues an encoded data frame (WebSocketFrame::encode) while open; it goes out at flush().
    void queueFrame(const QByteArray &frame);
    // Queues `message` in the form this connection negotiated; returns the frame's size in bytes
    // (0 when not open).
    qint64 queueMessage(OutgoingMessage &message);
    void flush();
    qint64 bytesToWrite() const { return m_transport->bytesToWrite(); }
    // Stops or resumes reading the peer for the caller's own reason (a proxy's other leg is behind),
    // on top of the outgoing budget's pause: reading resumes only when neither holds it.
    void pauseReading(bool paused);

    void ping(const QByteArray &payload = {});
    // Sends a close frame and waits for the peer's. The code must be sendable (CloseCode) and
    // the reason already truncated to fit.
    void close(int code, const QString &reason);
    // Drops the connection without a closing handshake; disconnected() is emitted before it returns.
    void abort();

protected:
    void timerEvent(QTimerEvent *event) override;

private:
    void onBytesReceived(const char *data, qsizetype size) override;
    // Hands the parser one run of bytes and acts on every event in it.
    void parse(const char *data, qsizetype size);
    void onBytesWritten() override;
    void onTransportEnded(ByteTransport::End how, const QString &error) override;
    void sendClose(int code, const QString &reason, CloseInitiator initiator);
    // Every byte to the transport goes through here, so the connection knows how far it has written.
    void queueBytes(const QByteArray &bytes);
    // Writes the pending pong unless an earlier one still waits or the budget is spent.
    void answerPing();
    bool pongInFlight() const;
    // Pauses reading past the budget, resumes at half of it.
    void checkBudget();

    std::unique_ptr<ByteTransport> m_transport;
    std::unique_ptr<PerMessageDeflate> m_deflate; // before m_parser, which points to it
    Handler *m_handler = nullptr;
    WebSocketParser m_parser;
    QString m_subprotocol;
    State m_state = State::Open;
    bool m_clientRole = false;
    bool m_readingHeld = false; // pauseReading(true)
    int m_closeCode = 0;
    QString m_closeReason;
    int m_closeTimeoutMs = 2000;
    int m_closeTimerId = 0;
    QElapsedTimer m_pingSent; // invalid: no ping of ours unanswered
    // A write can read (a QSslSocket's flush decrypts what arrived and says so at once): bytes
    // that come while the parser is mid-feed wait here, never reach it nested.
    bool m_parsing = false;
    QByteArray m_deferredInput;
    // Only the latest ping gets its pong (RFC 6455 §5.5.3): while a pong waits to be written, a
    // newer ping replaces the one pending rather than queueing another, so a flood costs one frame.
    QByteArray m_pongPayload;
    bool m_pongDue = false;
    qint64 m_bytesQueued = 0; // every byte given to the transport, ever
    qint64 m_pongEnd = 0;     // m_bytesQueued just after the last pong
    qint64 m_outgoingBudget = 0;
    bool m_readingPaused = false;
    qint64 m_messageWireBytes = 0;
    int m_messageFrames = 0;
};
