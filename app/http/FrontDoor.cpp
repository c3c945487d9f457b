#include "FrontDoor.h"

#include "HttpGate.h"
#include "PendingAnswer.h"
#include "TlsServer.h"
#include "../websocket/PerMessageDeflate.h"
#include "../websocket/PlainTransport.h"
#include "../websocket/QtSocketTransport.h"
#include "../websocket/QtWebSocketAcceptor.h"
#include "../websocket/QtWebSocketEndpoint.h"
#include "../websocket/WebSocketConnection.h"
#include "../websocket/WebSocketHandshake.h"

#include <QEvent>
#include <QLoggingCategory>
#include <QPointer>
#include <QSocketNotifier>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <algorithm>
#include <array>
#include <cerrno>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcFrontDoor, "switchboard.http")

namespace {
// A refused or answered client gets this long to read the answer before the socket is dropped.
constexpr int kLingerMs = 10000;
// Out of descriptors: accepting rests this long before it tries again.
constexpr int kAcceptPauseMs = 100;
// Connections accepted (or refused at the limit) per wake-up, so one flood cannot hold the thread.
constexpr int kAcceptsPerWake = 64;

// The plain server, so the front door can hand it the descriptors it accepted itself.
class PlainServer final : public QTcpServer
{
public:
    void takeConnection(qintptr descriptor) { incomingConnection(descriptor); }
};

QByteArray atLimitAnswer()
{
    return HttpResponse::text(503, "the server is out of file descriptors; try again later").serialize();
}
} // namespace

FrontDoor::FrontDoor(HttpGate &gate, Limits limits, const std::optional<QSslConfiguration> &tls, QObject *parent)
    : QObject(parent), m_gate(gate), m_limits(limits), m_secure(tls.has_value())
{
    if (tls) {
        auto sslServer = std::make_unique<TlsServer>();
        sslServer->setSslConfiguration(*tls);
        // A client that connects and never completes the handshake is dropped like a stalled head.
        sslServer->setHandshakeTimeout(m_limits.headTimeoutMs);
        // QSslServer queues a socket only once its handshake is done.
        connect(sslServer.get(), &QTcpServer::pendingConnectionAvailable, this, &FrontDoor::onNewConnection);
        m_takeConnection = [this, server = sslServer.get()](qintptr descriptor) {
            takeTlsConnection(*server, descriptor);
        };
        connect(sslServer.get(), &TlsServer::handshakeFailed, this,
                [this](const QString &peer, const QString &reason, const QString &why) {
                    qCInfo(lcFrontDoor).noquote() << peer << "dropped:" << why;
                    Q_EMIT tlsFailed(peer, reason, why);
                });
        m_tcpServer = std::move(sslServer);
    } else {
        auto plainServer = std::make_unique<PlainServer>();
        m_takeConnection = [server = plainServer.get()](qintptr descriptor) { server->takeConnection(descriptor); };
        m_tcpServer = std::move(plainServer);
        connect(m_tcpServer.get(), &QTcpServer::pendingConnectionAvailable, this, &FrontDoor::onNewConnection);
    }
    m_tcpServer->setMaxPendingConnections(1000);
    // Only when Qt accepts (no listening notifier found, see listen()): Qt pauses accepting on any error
    // but "try again", and nothing would resume it. Out of descriptors, the reserve answers with 503 as
    // when the front door accepts itself; after any error, accepting resumes after a rest.
    connect(m_tcpServer.get(), &QTcpServer::acceptError, this, [this](QAbstractSocket::SocketError error) {
        const int cause = errno; // Qt's accept() just failed, and Qt's bookkeeping since leaves errno alone
        if (error == QAbstractSocket::SocketResourceError) {
            onDescriptorsExhausted(cause == ENFILE ? ENFILE : EMFILE);
            return;
        }
        qCWarning(lcFrontDoor).noquote() << "accept failed:" << m_tcpServer->errorString() << "- accepting again shortly";
        m_acceptPause->start(kAcceptPauseMs);
    });
    m_acceptPause = new QTimer(this);
    m_acceptPause->setSingleShot(true);
    connect(m_acceptPause, &QTimer::timeout, this, [this] {
        if (m_listenNotifier)
            m_listenNotifier->setEnabled(true);
        else
            m_tcpServer->resumeAccepting();
    });
    if (m_limits.backend == WebSocketBackend::Qt) {
        m_qtAcceptor = new QtWebSocketAcceptor(m_limits.maxMessageBytes, this);
        connect(m_qtAcceptor, &QtWebSocketAcceptor::accepted, this, &FrontDoor::onQtAccepted);
        connect(m_qtAcceptor, &QtWebSocketAcceptor::abandoned, this,
                [this](quint64 ticket) { m_qtUpgrades.remove(ticket); });
    }
}

FrontDoor::~FrontDoor()
{
    close();
}

bool FrontDoor::listen(const QHostAddress &address, quint16 port, int backlog)
{
    m_tcpServer->setListenBacklogSize(backlog);
    if (!m_tcpServer->listen(address, port))
        return false;
    // Qt's read notifier on the listening socket: its activations come here instead (eventFilter).
    const qintptr listening = m_tcpServer->socketDescriptor();
    const auto notifiers = m_tcpServer->findChildren<QSocketNotifier *>();
    for (QSocketNotifier *notifier : notifiers) {
        if (notifier->socket() == listening && notifier->type() == QSocketNotifier::Read) {
            m_listenNotifier = notifier;
            notifier->installEventFilter(this);
        }
    }
    if (!m_listenNotifier)
        qCWarning(lcFrontDoor) << "no read notifier on the listening socket: Qt accepts (TLS connections count against "
                                  "the caps once their handshake is done)";
    openReserve();
    return true;
}

int FrontDoor::listenBacklog() const
{
    return m_tcpServer->listenBacklogSize();
}

void FrontDoor::close()
{
    if (m_listenNotifier)
        m_listenNotifier->removeEventFilter(this);
    m_listenNotifier = nullptr; // goes with the server's socket engine
    m_acceptPause->stop();
    m_tcpServer->close();
    closeReserve();
    const auto screening = m_screening.keys();
    for (QTcpSocket *socket : screening)
        socket->abort();
    // Handshakes still running give their places back now; one that completes is turned away
    // (onNewConnection), or counted afresh if the door has opened again meanwhile.
    for (auto it = m_handshaking.cbegin(); it != m_handshaking.cend(); ++it) {
        disconnect(it.key(), &QObject::destroyed, this, nullptr);
        m_gate.connectionSettled(it.value());
    }
    m_handshaking.clear();
}

bool FrontDoor::isListening() const
{
    return m_tcpServer->isListening();
}

QString FrontDoor::errorString() const
{
    return m_tcpServer->errorString();
}

QHostAddress FrontDoor::serverAddress() const
{
    return m_tcpServer->serverAddress();
}

quint16 FrontDoor::serverPort() const
{
    return m_tcpServer->serverPort();
}

bool FrontDoor::eventFilter(QObject *watched, QEvent *event)
{
    if (watched != m_listenNotifier || event->type() != QEvent::SockAct)
        return QObject::eventFilter(watched, event);
    if (m_acceptPause->isActive())
        static_cast<QSocketNotifier *>(watched)->setEnabled(false); // re-enabled by Qt's nextPendingConnection(): rest on
    else
        acceptWaiting();
    return true;
}

void FrontDoor::acceptWaiting()
{
    const int listening = int(m_tcpServer->socketDescriptor());
    for (int i = 0; i < kAcceptsPerWake && m_tcpServer->isListening(); ++i) {
        const int descriptor = ::accept4(listening, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (descriptor >= 0) {
            endBurst();
            m_takeConnection(descriptor); // the server queues it: pendingConnectionAvailable
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE)
            onDescriptorsExhausted(errno);
        return; // EAGAIN: nobody waits
    }
}

void FrontDoor::endBurst()
{
    if (m_burstErrors == 0)
        return;
    qCInfo(lcFrontDoor).noquote() << QStringLiteral("accepting again: %1 connections were refused with 503 while "
                                                    "descriptors were exhausted (%2 failed accepts)")
                                         .arg(m_burstRefused)
                                         .arg(m_burstErrors);
    m_burstErrors = 0;
    m_burstRefused = 0;
}

void FrontDoor::onDescriptorsExhausted(int error)
{
    if (m_burstErrors++ == 0) {
        rlimit limit{};
        ::getrlimit(RLIMIT_NOFILE, &limit);
        qCWarning(lcFrontDoor).noquote()
            << QStringLiteral("cannot accept: %1 (open-file limit %2): new connections are refused with 503 "
                              "until descriptors free up")
                   .arg(qt_error_string(error))
                   .arg(qulonglong(limit.rlim_cur));
    }
    const int refused = refuseWaiting();
    m_burstRefused += refused;
    // Level-triggered: until a descriptor frees up, every loop turn would fail the same accept again.
    if (m_listenNotifier)
        m_listenNotifier->setEnabled(false);
    else
        m_tcpServer->pauseAccepting();
    m_acceptPause->start(kAcceptPauseMs);
    Q_EMIT acceptFailed(error == ENFILE ? QStringLiteral("enfile") : QStringLiteral("emfile"), refused);
}

int FrontDoor::refuseWaiting()
{
    const int listening = int(m_tcpServer->socketDescriptor());
    int refused = 0;
    openReserve(); // another thread may have taken the last one the previous time
    while (refused < kAcceptsPerWake && m_reserveDescriptor >= 0) {
        closeReserve();
        const int descriptor = ::accept4(listening, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (descriptor >= 0) {
            if (!m_secure) {
                // Read what the request sent so far, so closing does not reset the answer away.
                std::array<char, 4096> scratch;
                while (::recv(descriptor, scratch.data(), scratch.size(), MSG_DONTWAIT) > 0) {
                }
                static const QByteArray answer = atLimitAnswer();
                (void)::send(descriptor, answer.constData(), std::size_t(answer.size()), MSG_DONTWAIT | MSG_NOSIGNAL);
                ::shutdown(descriptor, SHUT_WR);
            }
            ::close(descriptor);
            ++refused;
        }
        openReserve();
        if (descriptor < 0)
            break; // nobody else waits (or the reserve was not enough)
    }
    return refused;
}

void FrontDoor::openReserve()
{
    if (m_reserveDescriptor < 0)
        m_reserveDescriptor = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void FrontDoor::closeReserve()
{
    if (m_reserveDescriptor >= 0) {
        ::close(m_reserveDescriptor);
        m_reserveDescriptor = -1;
    }
}

QTimer *FrontDoor::takeScreening(QTcpSocket *socket)
{
    const auto it = m_screening.find(socket);
    if (it == m_screening.end())
        return nullptr;
    settleScreening(*it);
    QTimer *deadline = it->deadline;
    m_screening.erase(it);
    return deadline;
}

void FrontDoor::settleScreening(Screening &screening)
{
    if (screening.counted) {
        screening.counted = false;
        m_gate.connectionSettled(screening.peer);
    }
}

void FrontDoor::takeTlsConnection(TlsServer &server, qintptr descriptor)
{
    // Counted from the accept, not from the end of the handshake: a client that never finishes
    // its handshake holds a place in the caps as a client that never finishes its head does.
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    QHostAddress peer;
    quint16 peerPort = 0;
    if (::getpeername(int(descriptor), reinterpret_cast<sockaddr *>(&address), &length) == 0) {
        peer.setAddress(reinterpret_cast<const sockaddr *>(&address));
        peerPort = address.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6 *>(&address)->sin6_port)
                                                 : ntohs(reinterpret_cast<sockaddr_in *>(&address)->sin_port);
    }
    const HttpGate::Arrival arrival = m_gate.connectionArrived(peer);
    if (arrival.status != 0) {
        // No TLS yet, so no HTTP answer can be read: the connection is closed before the handshake.
        const QString why = arrival.why + QStringLiteral(" (closed before the TLS handshake)");
        qCInfo(lcFrontDoor).noquote() << peer.toString() << "->" << arrival.status << why;
        Q_EMIT refused(peer, peerPort, QString(), arrival.status, why);
        ::close(int(descriptor));
        return;
    }
    QSslSocket *socket = server.takeConnection(descriptor);
    if (!socket) {
        m_gate.connectionSettled(peer);
        return;
    }
    m_handshaking.insert(socket, peer);
    // QSslServer deletes a socket whose handshake fails or times out.
    connect(socket, &QObject::destroyed, this, [this](QObject *gone) {
        const auto it = m_handshaking.constFind(gone);
        if (it != m_handshaking.cend()) {
            m_gate.connectionSettled(it.value());
            m_handshaking.erase(it);
        }
    });
}

void FrontDoor::onNewConnection()
{
    if (!m_listenNotifier)
        endBurst(); // Qt accepted it
    while (QTcpSocket *socket = m_tcpServer->nextPendingConnection()) {
        if (!m_tcpServer->isListening()) {
            // A TLS handshake that finished after close(): nobody is serving any more.
            socket->abort();
            socket->deleteLater();
            continue;
        }
        socket->setParent(this);
        // Never buffer more than a head can be: a client that streams garbage cannot grow memory.
        socket->setReadBufferSize(m_limits.maxHeadBytes);
        // A TLS socket holds its place since the accept (takeTlsConnection); it moves to its screening.
        const auto handshake = m_handshaking.constFind(socket);
        const bool countedAtAccept = handshake != m_handshaking.cend();
        // Settled later under the address it was counted with.
        const QHostAddress peer = countedAtAccept ? handshake.value() : socket->peerAddress();
        if (countedAtAccept) {
            m_handshaking.erase(handshake);
            disconnect(socket, &QObject::destroyed, this, nullptr);
        }
        const HttpGate::Arrival arrival = countedAtAccept ? HttpGate::Arrival{} : m_gate.connectionArrived(peer);
        if (arrival.status != 0) {
            refuse(socket, QString(), arrival.status, arrival.why);
            continue;
        }
        auto *deadline = new QTimer(socket);
        deadline->setSingleShot(true);
        connect(deadline, &QTimer::timeout, this, [this, socket] { screen(socket, true); });
        deadline->start(m_limits.headTimeoutMs);
        m_screening.insert(socket, Screening{deadline, peer, {}, true});
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { screen(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            if (m_screening.contains(socket)) {
                takeScreening(socket);
                socket->deleteLater();
            }
        });
        if (socket->bytesAvailable() > 0)
            screen(socket);
    }
}

void FrontDoor::screen(QTcpSocket *socket, bool deadlinePassed)
{
    const auto screening = m_screening.find(socket);
    if (screening == m_screening.end())
        return;
    const QByteArray bytes = socket->peek(m_limits.maxHeadBytes);
    HttpRequestHead head = HttpRequestHead::parse(bytes, m_limits.maxHeadBytes, screening->progress);
    switch (head.status) {
    case HttpRequestHead::Status::Incomplete:
        if (deadlinePassed) {
            refuse(socket, QString(), 408,
                   QStringLiteral("the request head was not complete within %1 ms").arg(m_limits.headTimeoutMs));
        }
        return;
    case HttpRequestHead::Status::TooLarge:
        refuse(socket, QString(), 431, head.error);
        return;
    case HttpRequestHead::Status::Malformed:
        refuse(socket, QString(), 400, QStringLiteral("malformed request: ") + head.error);
        return;
    case HttpRequestHead::Status::Complete:
        break;
    }

    const int maxBodyBytes = m_gate.maxBodyBytes(head);
    if (maxBodyBytes > 0) {
        RequestBody body;
        if (readBody(socket, head, maxBodyBytes, deadlinePassed, &body)) {
            settleScreening(*screening);
            answer(socket, head, m_gate.decideWithBody(head, body, socket->peerAddress()));
        }
        return;
    }

    settleScreening(*screening); // an upgrade is counted again as a client, after the gate's check
    GateDecision decision = m_gate.decide(head, socket->peerAddress());
    if (decision.action == GateDecision::Action::Upgrade) {
        upgrade(socket, decision, head);
        return;
    }
    if (decision.action == GateDecision::Action::Stream) {
        stream(socket, decision, head);
        return;
    }
    if (decision.action == GateDecision::Action::Defer) {
        defer(socket, decision, head);
        return;
    }
    answer(socket, head, decision);
}

void FrontDoor::defer(QTcpSocket *socket, const GateDecision &decision, const HttpRequestHead &head)
{
    // Nothing more is read meanwhile: the client's first frames wait in the kernel, and the
    // deadline that bounded the head now bounds the answer.
    disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
    QTimer *deadline = m_screening.value(socket).deadline;
    disconnect(deadline, &QTimer::timeout, this, nullptr);
    if (!deadline->isActive())
        deadline->start(m_limits.headTimeoutMs);
    QPointer<QTcpSocket> guard(socket);
    auto *pending = new PendingAnswer(nullptr, this);
    pending->setResolver([this, guard, head, pending](const GateDecision &later) {
        pending->deleteLater();
        if (!guard || !m_screening.contains(guard))
            return;
        if (later.action == GateDecision::Action::Upgrade)
            upgrade(guard, later, head);
        else
            answer(guard, head, later);
    });
    // Gone with the socket; abandoned first when nobody resolved it.
    connect(socket, &QObject::destroyed, pending, [pending] {
        if (!pending->isResolved()) {
            Q_EMIT pending->abandoned();
            pending->deleteLater();
        }
    });
    connect(deadline, &QTimer::timeout, pending, [this, pending, head] {
        Q_EMIT pending->abandoned();
        pending->resolve(GateDecision::refuse(
            504, QStringLiteral("%1: no answer within %2 ms").arg(head.path).arg(m_limits.headTimeoutMs)));
    });
    decision.deferred(pending);
}

void FrontDoor::stream(QTcpSocket *socket, const GateDecision &decision, const HttpRequestHead &head)
{
    delete takeScreening(socket);
    disconnect(socket, nullptr, this, nullptr);
    socket->readAll(); // the head; nothing the client sends later is read as a request
    socket->write(decision.response.streamHead());
    Q_EMIT answered(socket->peerAddress(), head, decision.response.status);
    Q_EMIT streamOpened(socket, decision.routeIndex, head);
}

bool FrontDoor::readBody(QTcpSocket *socket, const HttpRequestHead &head, int maxBodyBytes, bool deadlinePassed,
                         RequestBody *body)
{
    const auto fail = [body](int status, const QString &why) {
        body->errorStatus = status;
        body->error = why;
        return true;
    };
    // Only Content-Length framing: a chunked decoder is more parser than a few JSON commands need,
    // and a request with both headers is the classic smuggling shape.
    if (head.hasHeader("transfer-encoding")) {
        return fail(411, QStringLiteral("chunked (Transfer-Encoding) request bodies are not accepted: "
                                        "send the body with a Content-Length (at most %1 bytes)")
                             .arg(maxBodyBytes));
    }
    if (!head.hasHeader("content-length")) {
        return fail(411, QStringLiteral("a Content-Length header is required (0 for an empty body, at most %1)")
                             .arg(maxBodyBytes));
    }
    const QByteArray value = head.header("content-length");
    const bool digitsOnly = !value.isEmpty() && value.size() <= 18
                            && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digitsOnly)
        return fail(400, QStringLiteral("invalid Content-Length '%1'").arg(QString::fromLatin1(value.left(40))));
    const qint64 length = value.toLongLong();
    if (length > maxBodyBytes) {
        return fail(413, QStringLiteral("the request body is %1 bytes; at most %2 are accepted")
                             .arg(length)
                             .arg(maxBodyBytes));
    }
    const qint64 total = head.headBytes + length;
    if (socket->bytesAvailable() < total) {
        if (deadlinePassed) {
            return fail(408, QStringLiteral("the request body was not complete within %1 ms")
                                 .arg(m_limits.headTimeoutMs));
        }
        // Room for exactly this request: still bounded, by the head limit plus the body limit.
        if (socket->readBufferSize() < total)
            socket->setReadBufferSize(total);
        // curl and others wait for this before sending a larger body; say it once per connection.
        static const char *const kContinueSent = "switchboard_continueSent";
        if (head.version == "HTTP/1.1" && head.headerHasToken("expect", "100-continue")
            && !socket->property(kContinueSent).toBool()) {
            socket->setProperty(kContinueSent, true);
            socket->write("HTTP/1.1 100 Continue\r\n\r\n");
        }
        return false;
    }
    body->bytes = socket->peek(total).mid(head.headBytes);
    return true;
}

void FrontDoor::answer(QTcpSocket *socket, const HttpRequestHead &head, const GateDecision &decision)
{
    if (decision.response.status >= 400) {
        qCInfo(lcFrontDoor).noquote() << socket->peerAddress().toString() << head.method << head.path
                                      << "->" << decision.response.status << decision.refusal;
        Q_EMIT refused(socket->peerAddress(), socket->peerPort(), head.path, decision.response.status,
                       decision.refusal);
    } else {
        Q_EMIT answered(socket->peerAddress(), head, decision.response.status);
    }
    // A body was announced: unless all of it was read, it may still be arriving.
    const bool announcedBody = head.hasHeader("transfer-encoding")
                               || head.header("content-length").toLongLong() > 0;
    respondAndClose(socket, decision.response.serialize(head.method == "HEAD"), announcedBody);
}

void FrontDoor::refuse(QTcpSocket *socket, const QString &path, int status, const QString &why)
{
    qCInfo(lcFrontDoor).noquote() << socket->peerAddress().toString() << "->" << status << why;
    Q_EMIT refused(socket->peerAddress(), socket->peerPort(), path, status, why);
    respondAndClose(socket, HttpResponse::text(status, why.toUtf8()).serialize());
}

void FrontDoor::respondAndClose(QTcpSocket *socket, const QByteArray &bytes, bool halfClose)
{
    if (QTimer *deadline = takeScreening(socket))
        deadline->stop();
    disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
    // Read what the client sent so closing does not turn into a reset that eats the answer.
    socket->readAll();
    connect(socket, &QTcpSocket::readyRead, socket, [socket] { socket->readAll(); });
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    QTimer::singleShot(kLingerMs, socket, [socket] { socket->abort(); });
    socket->write(bytes);
#ifdef Q_OS_UNIX
    if (halfClose) {
        // Lingering close: end our side once the answer is out, keep draining until the client
        // closes (or kLingerMs passes), so unread body bytes never turn into a reset.
        auto *tls = qobject_cast<QSslSocket *>(socket);
        const auto shutdownWhenWritten = [socket, tls] {
            // Over TLS the answer is out once it is encrypted and the encrypted bytes are sent.
            const qint64 waiting = socket->bytesToWrite() + (tls ? tls->encryptedBytesToWrite() : 0);
            if (waiting == 0 && socket->socketDescriptor() != -1)
                ::shutdown(static_cast<int>(socket->socketDescriptor()), SHUT_WR);
        };
        connect(socket, &QTcpSocket::bytesWritten, socket, shutdownWhenWritten);
        if (tls)
            connect(tls, &QSslSocket::encryptedBytesWritten, socket, shutdownWhenWritten);
        shutdownWhenWritten();
        return;
    }
#else
    (void)halfClose;
#endif
    socket->disconnectFromHost();
}

void FrontDoor::upgrade(QTcpSocket *socket, const GateDecision &decision, const HttpRequestHead &head)
{
    delete takeScreening(socket);
    disconnect(socket, nullptr, this, nullptr);
    if (m_qtAcceptor) {
        upgradeWithQt(socket, decision, head);
        return;
    }

    const QString &subprotocol = decision.subprotocol;
    std::unique_ptr<ByteTransport> transport;
    if (m_secure) {
        socket->read(head.headBytes); // what follows the head stays buffered for the transport
        transport = std::make_unique<QtSocketTransport>(socket);
    } else {
        // Plain TCP leaves Qt here: the descriptor is duplicated and the QTcpSocket (with its
        // buffers) goes, closing only its own copy. Bytes it had read past the head go along.
        const int descriptor = ::fcntl(int(socket->socketDescriptor()), F_DUPFD_CLOEXEC, 0);
        const QByteArray early = socket->readAll().mid(head.headBytes);
        const QHostAddress peer = socket->peerAddress();
        const quint16 peerPort = socket->peerPort();
        socket->abort();
        socket->deleteLater();
        if (descriptor < 0) {
            qCWarning(lcFrontDoor) << "cannot take over the connection from" << peer << ":" << qt_error_string(errno);
            return;
        }
        transport = std::make_unique<PlainTransport>(descriptor, peer, peerPort, early);
    }
    transport->write(WebSocketHandshake::response(head.header("sec-websocket-key"), subprotocol,
                                                  decision.deflate ? decision.deflate->responseHeader() : QByteArray()));
    transport->flush();
    auto *connection = new WebSocketConnection(std::move(transport), subprotocol, m_limits.maxMessageBytes);
    if (decision.deflate)
        connection->setDeflate(std::make_unique<PerMessageDeflate>(*decision.deflate, decision.deflateThresholdBytes));
    Q_EMIT upgraded(connection, decision.routeIndex, head, decision.context);
}

void FrontDoor::upgradeWithQt(QTcpSocket *socket, const GateDecision &decision, const HttpRequestHead &head)
{
    // The head was only peeked at: Qt reads it from the socket again. The gate's choice of
    // subprotocol stands (Qt is asked to support exactly it); no extension is offered to Qt.
    const quint64 ticket = m_nextQtTicket++;
    m_qtUpgrades.insert(ticket, QtUpgrade{decision.routeIndex, head, decision.context});
    m_qtAcceptor->handOver(socket, head.headBytes, decision.subprotocol, ticket);
}

void FrontDoor::onQtAccepted(QtWebSocketEndpoint *endpoint, quint64 ticket)
{
    const auto it = m_qtUpgrades.constFind(ticket);
    if (it == m_qtUpgrades.cend()) {
        endpoint->abort();
        endpoint->deleteLater();
        return;
    }
    const QtUpgrade upgrade = it.value();
    m_qtUpgrades.erase(it);
    Q_EMIT upgraded(endpoint, upgrade.routeIndex, upgrade.head, upgrade.context);
}
