#pragma once

#include "WebSocketEndpoint.h"

#include <QElapsedTimer>

class QTcpSocket;
class QWebSocket;

// The qt backend's client: a QWebSocket that Qt's QWebSocketServer upgraded, adapted to the
// endpoint the sessions talk to. Qt speaks the protocol (framing, masking, UTF-8, the close
// frame); this turns its signals into the Handler's calls and sends each OutgoingMessage as a
// Qt message. What Qt 6.4 cannot do is declined here: no extensions (permessage-deflate).
class QtWebSocketEndpoint final : public WebSocketEndpoint
{
    Q_OBJECT
public:
    // Takes both as children: the QWebSocket, and the socket under it (which Qt does not own).
    // Qt's incoming limits are set from maxMessageBytes (messages and frames; larger: 1009).
    // early: bytes the client sent after the handshake, read by Qt from start() on.
    QtWebSocketEndpoint(QWebSocket *webSocket, QTcpSocket *socket, qint64 maxMessageBytes, QByteArray early = {},
                        QObject *parent = nullptr);
    ~QtWebSocketEndpoint() override;

    void start() override;
    QHostAddress peerAddress() const override { return m_peerAddress; }
    quint16 peerPort() const override { return m_peerPort; }
    QString subprotocol() const override;
    QString extensions() const override { return {}; }
    State state() const override { return m_state; }
    int closeCode() const override { return m_closeCode; }
    QString closeReason() const override { return m_closeReason; }
    qint64 messageWireBytes() const override { return m_messageWireBytes; }
    int messageFrames() const override { return m_messageFrames; }

    qint64 queueMessage(OutgoingMessage &message) override;
    void flush() override;
    qint64 bytesToWrite() const override;
    // Qt answers every ping itself and cannot stop reading a peer: one whose unread answers pass
    // the budget is dropped (the native connection stops reading it instead).
    void setOutgoingBudget(qint64 bytes) override { m_outgoingBudget = bytes; }
    void pauseReading(bool) override {} // see setOutgoingBudget(): Qt reads on
    void ping(const QByteArray &payload = {}) override;
    void close(int code, const QString &reason) override;
    void abort() override;

private:
    void onFrame(qint64 payloadBytes, bool isLastFrame);
    void onAboutToClose();
    void onDisconnected();

    QWebSocket *m_webSocket;
    QTcpSocket *m_socket;
    QByteArray m_early;
    QHostAddress m_peerAddress;
    quint16 m_peerPort = 0;
    State m_state = State::Open;
    bool m_closingLocally = false;
    bool m_aborting = false;
    bool m_inBytesWritten = false; // the handler is being told of bytes written (see flush())
    QString m_dropReason; // why we dropped it, when we did
    qint64 m_outgoingBudget = 0; // 0: none
    int m_closeCode = 0;
    QString m_closeReason;
    QElapsedTimer m_pingSent; // invalid: no ping of ours unanswered
    qint64 m_messageWireBytes = 0; // of the message being received, frame by frame
    int m_messageFrames = 0;
    qint64 m_partialWireBytes = 0;
    int m_partialFrames = 0;
};
