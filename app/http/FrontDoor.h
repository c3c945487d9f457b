#pragma once

#include "HttpRequestHead.h"
#include "../websocket/WebSocketBackend.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QSocketNotifier>
#include <QSslConfiguration>
#include <functional>
#include <memory>
#include <optional>

class HttpGate;
struct GateDecision;
struct RequestBody;
class QTcpServer;
class QSocketNotifier;
class QTcpSocket;
class QTimer;
class TlsServer;
class QtWebSocketAcceptor;
class QtWebSocketEndpoint;
class WebSocketEndpoint;

// The one listening port. Reads each request head (bounded in size and time), answers plain
// HTTP itself, and completes WebSocket upgrades the gate allows. With the native backend it
// writes the 101 answer and hands the connection on as a WebSocketConnection, which owns the
// descriptor from then on (plain TCP) or the QSslSocket (TLS); with the qt backend it hands the
// socket, head unread, to Qt's QWebSocketServer (QtWebSocketAcceptor), which answers it. With a TLS configuration the port speaks only TLS
// (QSslServer): sockets reach the same screening once their TLS handshake is done.
// It accepts itself (Qt's QTcpServer retries a failing accept() on every loop turn, silently): out
// of descriptors, it pauses accepting for a moment and refuses whoever waits with a 503 through
// one descriptor it keeps in reserve, logging the burst once.
class FrontDoor : public QObject
{
    Q_OBJECT
public:
    struct Limits
    {
        int maxHeadBytes = 16 * 1024;
        int headTimeoutMs = 5000;
        qint64 maxMessageBytes = 1024 * 1024;
        WebSocketBackend backend = WebSocketBackend::Native;
    };

    FrontDoor(HttpGate &gate, Limits limits, const std::optional<QSslConfiguration> &tls = std::nullopt,
              QObject *parent = nullptr);
    ~FrontDoor() override;

    // backlog: connections the kernel may queue before they are accepted.
    bool listen(const QHostAddress &address, quint16 port, int backlog);
    int listenBacklog() const;
    void close();
    bool isListening() const;
    QString errorString() const;
    QHostAddress serverAddress() const;
    quint16 serverPort() const;
    bool isSecure() const { return m_secure; }
    int screeningCount() const { return m_screening.size(); }

Q_SIGNALS:
    // A client was upgraded to a WebSocket on the gate's route routeIndex. The receiver takes the
    // connection (it has no parent) and calls start() on it once it is ready for messages.
    // context: the gate's GateDecision::context for this client.
    void upgraded(WebSocketEndpoint *connection, int routeIndex, const HttpRequestHead &head,
                  const std::shared_ptr<void> &context);
    // The gate answered with a stream (GateDecision::Stream) and its head is written: the receiver
    // takes the socket (setParent) and writes the body until it closes the connection.
    void streamOpened(QTcpSocket *socket, int tag, const HttpRequestHead &head);
    // A plain HTTP request was answered (status < 400) or refused (status >= 400).
    void answered(const QHostAddress &peer, const HttpRequestHead &head, int status);
    void refused(const QHostAddress &peer, quint16 peerPort, const QString &path, int status,
                 const QString &why);
    // A TLS handshake failed (plain http:// on the https:// port, a client distrusting the
    // certificate, a timeout); the connection was dropped.
    // reason: "not_tls", "timeout" or "error".
    void tlsFailed(const QString &peer, const QString &reason, const QString &why);
    // accept() failed for want of descriptors (reason "emfile": this process, "enfile": the
    // system); `refused` connections that waited were answered 503 (closed, with TLS) meanwhile.
    void acceptFailed(const QString &reason, int refused);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    struct Screening
    {
        QTimer *deadline = nullptr;
        QHostAddress peer;
        HttpRequestHead::Progress progress; // where the last look at the head stopped
        bool counted = false;               // holds a place in the gate's caps
    };

    // Accepts what waits on the listening socket (called for its read notifier, instead of Qt).
    void acceptWaiting();
    // An accept succeeded: a burst of failed ones (if any) ends, and is logged with its counts.
    void endBurst();
    void onDescriptorsExhausted(int error);
    // Takes and refuses the waiting connections through the reserve descriptor; how many.
    int refuseWaiting();
    void openReserve();
    void closeReserve();
    // Ends a socket's screening and gives its place in the caps back; its deadline timer, or null.
    QTimer *takeScreening(QTcpSocket *socket);
    void settleScreening(Screening &screening);
    // With TLS: counts a connection the front door accepted against the caps, then starts its handshake.
    void takeTlsConnection(TlsServer &server, qintptr descriptor);
    void onNewConnection();
    void screen(QTcpSocket *socket, bool deadlinePassed = false);
    // Content-Length framing for a body the gate asked for; false while more bytes are to come.
    bool readBody(QTcpSocket *socket, const HttpRequestHead &head, int maxBodyBytes, bool deadlinePassed,
                  RequestBody *body);
    void answer(QTcpSocket *socket, const HttpRequestHead &head, const GateDecision &decision);
    // halfClose: the client may still be sending a body we did not read; closing outright would
    // reset the connection and could destroy the answer before the client reads it.
    void respondAndClose(QTcpSocket *socket, const QByteArray &bytes, bool halfClose = false);
    void refuse(QTcpSocket *socket, const QString &path, int status, const QString &why);
    void upgrade(QTcpSocket *socket, const GateDecision &decision, const HttpRequestHead &head);
    void upgradeWithQt(QTcpSocket *socket, const GateDecision &decision, const HttpRequestHead &head);
    void onQtAccepted(QtWebSocketEndpoint *endpoint, quint64 ticket);
    void stream(QTcpSocket *socket, const GateDecision &decision, const HttpRequestHead &head);
    // Holds the socket for a GateDecision::defer until its answer comes (or the head timeout).
    void defer(QTcpSocket *socket, const GateDecision &decision, const HttpRequestHead &head);

    HttpGate &m_gate;
    Limits m_limits;
    bool m_secure = false;
    std::unique_ptr<QTcpServer> m_tcpServer;
    std::function<void(qintptr)> m_takeConnection; // the server's incomingConnection()
    // Qt's, on the listening socket; filtered here. Qt owns it and may replace it: guarded.
    QPointer<QSocketNotifier> m_listenNotifier;
    QTimer *m_acceptPause = nullptr;
    int m_reserveDescriptor = -1;
    int m_burstErrors = 0; // failed accepts since descriptors ran out; 0: not in a burst
    int m_burstRefused = 0;
    QHash<QTcpSocket *, Screening> m_screening; // sockets whose head is still being read
    QHash<QObject *, QHostAddress> m_handshaking; // TLS sockets in their handshake, counted in the caps
    // The qt backend: what each upgrade handed to Qt was admitted to, until Qt has upgraded it.
    struct QtUpgrade
    {
        int routeIndex;
        HttpRequestHead head;
        std::shared_ptr<void> context;
    };
    QtWebSocketAcceptor *m_qtAcceptor = nullptr; // child; only with the qt backend
    QHash<quint64, QtUpgrade> m_qtUpgrades;
    quint64 m_nextQtTicket = 1;
};
