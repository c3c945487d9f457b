#pragma once

#include "ByteTransport.h"
#include "WebSocketEndpoint.h"
#include "WebSocketParser.h"

#include <QElapsedTimer>
#include <QObject>
#include <memory>

class OutgoingMessage;
class PerMessageDeflate;

// One RFC 6455 connection over a ByteTransport (the native backend): the server end, or in the
// client role the client end (a proxy's upstream leg). Reads frames, answers pings, runs the
// closing handshake (echoing the peer's code, or failing the connection with 1002, 1007 or 1009
// on a bad frame), and times out a peer that does not finish it. Data frames come encoded from
// the caller (WebSocketFrame), so a broadcast frame is built once for everyone.
class WebSocketConnection : public WebSocketEndpoint, private ByteTransport::Receiver
{
    Q_OBJECT
public:
    WebSocketConnection(std::unique_ptr<ByteTransport> transport, QString subprotocol, qint64 maxMessageBytes,
                        QObject *parent = nullptr);
    ~WebSocketConnection() override;

    void start() override;

    QHostAddress peerAddress() const override { return m_transport->peerAddress(); }
    quint16 peerPort() const override { return m_transport->peerPort(); }
    QString subprotocol() const override { return m_subprotocol; }
    State state() const override { return m_state; }
    int closeCode() const override { return m_closeCode; }
    QString closeReason() const override { return m_closeReason; }

    // The client's end (a proxy's upstream leg, after WebSocketDialer's handshake): every frame we
    // send is masked and the peer's must not be. Call before start().
    void setClientRole();
    bool isClientRole() const { return m_clientRole; }
    // Bytes that may wait to be written before the peer stops being read and pongs wait too
    // (0: no budget). Whoever queues data frames checks it too (the slow-consumer policy).
    void setOutgoingBudget(qint64 bytes) override { m_outgoingBudget = bytes; }
    bool isReadingPaused() const { return m_readingPaused; }

    // permessage-deflate, when the handshake negotiated it (before start()); null otherwise.
    void setDeflate(std::unique_ptr<PerMessageDeflate> deflate);
    PerMessageDeflate *deflate() const { return m_deflate.get(); }
    QString extensions() const override;
    // Compressed bytes where deflated.
    qint64 messageWireBytes() const override { return m_messageWireBytes; }
    int messageFrames() const override { return m_messageFrames; }

    // Queues an encoded data frame (WebSocketFrame::encode) while open; it goes out at flush().
    void queueFrame(const QByteArray &frame);
    qint64 queueMessage(OutgoingMessage &message) override;
    void flush() override;
    qint64 bytesToWrite() const override { return m_transport->bytesToWrite(); }
    void pauseReading(bool paused) override;

    void ping(const QByteArray &payload = {}) override;
    void close(int code, const QString &reason) override;
    void abort() override;

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
    WebSocketParser m_parser;
    QString m_subprotocol;
    State m_state = State::Open;
    bool m_clientRole = false;
    bool m_readingHeld = false; // pauseReading(true)
    int m_closeCode = 0;
    QString m_closeReason;
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
