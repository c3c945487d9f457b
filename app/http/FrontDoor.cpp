#include "FrontDoor.h"

#include "HttpGate.h"
#include "PendingAnswer.h"
#include "TlsServer.h"
#include "../websocket/PerMessageDeflate.h"
#include "../websocket/PlainTransport.h"
#include "../websocket/QtSocketTransport.h"
#include "../websocket/WebSocketConnection.h"
#include "../websocket/WebSocketHandshake.h"

#include <QLoggingCategory>
#include <QPointer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <algorithm>

#include <fcntl.h>
#include <sys/socket.h>

Q_LOGGING_CATEGORY(lcFrontDoor, "switchboard.http")

namespace {
// A refused or answered client gets this long to read the answer before the socket is dropped.
constexpr int kLingerMs = 10000;
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
        connect(sslServer.get(), &TlsServer::handshakeFailed, this,
                [this](const QString &peer, const QString &reason, const QString &why) {
                    qCInfo(lcFrontDoor).noquote() << peer << "dropped:" << why;
                    Q_EMIT tlsFailed(peer, reason, why);
                });
        m_tcpServer = std::move(sslServer);
    } else {
        m_tcpServer = std::make_unique<QTcpServer>();
        connect(m_tcpServer.get(), &QTcpServer::newConnection, this, &FrontDoor::onNewConnection);
    }
    m_tcpServer->setMaxPendingConnections(1000);
}

FrontDoor::~FrontDoor()
{
    close();
}

bool FrontDoor::listen(const QHostAddress &address, quint16 port, int backlog)
{
    m_tcpServer->setListenBacklogSize(backlog);
    return m_tcpServer->listen(address, port);
}

int FrontDoor::listenBacklog() const
{
    return m_tcpServer->listenBacklogSize();
}

void FrontDoor::close()
{
    m_tcpServer->close();
    const auto screening = m_screening.keys();
    for (QTcpSocket *socket : screening)
        socket->abort();
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

void FrontDoor::onNewConnection()
{
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
        auto *deadline = new QTimer(socket);
        deadline->setSingleShot(true);
        connect(deadline, &QTimer::timeout, this, [this, socket] { screen(socket, true); });
        deadline->start(m_limits.headTimeoutMs);
        m_screening.insert(socket, deadline);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { screen(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            if (m_screening.remove(socket))
                socket->deleteLater();
        });
        if (socket->bytesAvailable() > 0)
            screen(socket);
    }
}

void FrontDoor::screen(QTcpSocket *socket, bool deadlinePassed)
{
    if (!m_screening.contains(socket))
        return;
    const QByteArray bytes = socket->peek(m_limits.maxHeadBytes);
    HttpRequestHead head = HttpRequestHead::parse(bytes, m_limits.maxHeadBytes);
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
        if (readBody(socket, head, maxBodyBytes, deadlinePassed, &body))
            answer(socket, head, m_gate.decideWithBody(head, body, socket->peerAddress()));
        return;
    }

    GateDecision decision = m_gate.decide(head, socket->peerAddress());
    if (decision.action == GateDecision::Action::Upgrade) {
        upgrade(socket, decision, head);
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
    QTimer *deadline = m_screening.value(socket);
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
    if (QTimer *deadline = m_screening.take(socket))
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
    delete m_screening.take(socket);
    disconnect(socket, nullptr, this, nullptr);

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
    Q_EMIT upgraded(connection, decision.routeIndex, head);
}
