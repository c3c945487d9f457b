#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QSslCertificate>
#include <QStringList>
#include <QUrl>

class QTcpSocket;
class QTimer;
class WebSocketConnection;

// The client's half of the RFC 6455 opening handshake (§4.1), done by hand over a QTcpSocket or
// QSslSocket so that a refusal is seen whole: Qt's QWebSocket reports only "Unhandled http status
// code" and drops the body. On 101 the socket becomes a WebSocketConnection in the client role
// (Switchboard's own frame layer, masking its frames); on any other status the status, reason
// phrase, content type and body (bounded) are kept for whoever asked.
class WebSocketDialer : public QObject
{
    Q_OBJECT
public:
    struct Request
    {
        QUrl url;                                     // ws:// or wss://
        QList<QPair<QByteArray, QByteArray>> headers; // passed as given (Cookie, Authorization...)
        QStringList subprotocols;                     // offered in this order
        QString origin;                               // sent as Origin when not empty
        QList<QSslCertificate> extraCa;               // trusted besides the system's
        int timeoutMs = 5000;                         // for connecting, TLS and the whole answer
        qint64 maxMessageBytes = 1024 * 1024;         // of the connection made on success
    };
    struct Refusal
    {
        int status = 0;         // the HTTP status; 0 when the upstream was not reached or spoke no HTTP
        QByteArray reasonPhrase;
        QByteArray contentType;
        QByteArray body;        // at most kMaxRefusalBodyBytes
        QString error;          // human-readable, for logs
    };
    static constexpr int kMaxHeadBytes = 16 * 1024;
    static constexpr int kMaxRefusalBodyBytes = 64 * 1024;

    explicit WebSocketDialer(Request request, QObject *parent = nullptr);
    ~WebSocketDialer() override;

    void start();
    const Request &request() const { return m_request; }

Q_SIGNALS:
    // The upstream answered 101: the connection (no parent, not started) is the receiver's.
    // subprotocol: the one the upstream chose (empty: none).
    void opened(WebSocketConnection *connection, const QString &subprotocol);
    // No WebSocket: an HTTP refusal (status > 0) or a failure to reach or understand the upstream.
    void refused(const WebSocketDialer::Refusal &refusal);

private:
    void onConnected();
    void onReadyRead();
    void fail(const QString &error);
    void finishRefusal();

    Request m_request;
    QTcpSocket *m_socket = nullptr; // child until handed over
    QTimer *m_deadline = nullptr;
    QByteArray m_key;
    QByteArray m_buffer;
    Refusal m_refusal;
    qint64 m_bodyLength = -1; // refusal body by Content-Length; -1: until the upstream closes
    int m_headBytes = 0;      // 0 until the answer's head is complete
    bool m_done = false;
};
