#include "WebSocketDialer.h"

#include "../websocket/QtSocketTransport.h"
#include "../websocket/WebSocketConnection.h"
#include "../websocket/WebSocketHandshake.h"

#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>

Q_LOGGING_CATEGORY(lcDialer, "switchboard.http.dialer")

namespace {

// The value of a header in a response head ("name: value" lines), names compared case-insensitively;
// several lines are joined by ", ".
QByteArray headerValue(const QList<QByteArray> &lines, const QByteArray &name)
{
    QByteArray value;
    for (const QByteArray &line : lines) {
        const int colon = line.indexOf(':');
        if (colon <= 0 || line.left(colon).trimmed().compare(name, Qt::CaseInsensitive) != 0)
            continue;
        if (!value.isEmpty())
            value += ", ";
        value += line.mid(colon + 1).trimmed();
    }
    return value;
}

bool hasToken(const QByteArray &value, const QByteArray &token)
{
    for (const QByteArray &part : value.split(','))
        if (part.trimmed().compare(token, Qt::CaseInsensitive) == 0)
            return true;
    return false;
}

} // namespace

WebSocketDialer::WebSocketDialer(Request request, QObject *parent) : QObject(parent), m_request(std::move(request))
{
}

WebSocketDialer::~WebSocketDialer()
{
    if (m_socket) {
        disconnect(m_socket, nullptr, this, nullptr);
        m_socket->abort();
    }
}

void WebSocketDialer::start()
{
    const bool secure = m_request.url.scheme() == QLatin1String("wss");
    const quint16 port = quint16(m_request.url.port(secure ? 443 : 80));
    if (secure) {
        auto *tls = new QSslSocket(this);
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        if (!m_request.extraCa.isEmpty())
            ssl.addCaCertificates(m_request.extraCa);
        tls->setSslConfiguration(ssl);
        connect(tls, &QSslSocket::encrypted, this, &WebSocketDialer::onConnected);
        m_socket = tls;
    } else {
        m_socket = new QTcpSocket(this);
        connect(m_socket, &QTcpSocket::connected, this, &WebSocketDialer::onConnected);
    }
    connect(m_socket, &QTcpSocket::readyRead, this, &WebSocketDialer::onReadyRead);
    connect(m_socket, &QAbstractSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
        if (error == QAbstractSocket::RemoteHostClosedError && m_headBytes > 0)
            return; // a refusal's body ends with the connection
        fail(m_socket->errorString());
    });
    connect(m_socket, &QTcpSocket::disconnected, this, [this] {
        if (m_headBytes > 0)
            finishRefusal();
        else
            fail(QStringLiteral("the upstream closed the connection before answering the handshake"));
    });
    m_deadline = new QTimer(this);
    m_deadline->setSingleShot(true);
    connect(m_deadline, &QTimer::timeout, this, [this] {
        if (m_headBytes > 0)
            finishRefusal(); // a refusal whose body never ended: what came is enough
        else
            fail(QStringLiteral("no handshake answer within %1 ms").arg(m_request.timeoutMs));
    });
    m_deadline->start(m_request.timeoutMs);
    if (auto *tls = qobject_cast<QSslSocket *>(m_socket))
        tls->connectToHostEncrypted(m_request.url.host(), port);
    else
        m_socket->connectToHost(m_request.url.host(), port);
}

void WebSocketDialer::onConnected()
{
    QByteArray nonce(16, Qt::Uninitialized);
    QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(nonce.data()), 4);
    m_key = nonce.toBase64();
    QByteArray target = m_request.url.path(QUrl::FullyEncoded).toLatin1();
    if (target.isEmpty())
        target = "/";
    if (m_request.url.hasQuery())
        target += '?' + m_request.url.query(QUrl::FullyEncoded).toLatin1();
    QByteArray host = m_request.url.host(QUrl::FullyEncoded).toLatin1();
    if (m_request.url.port() != -1)
        host += ':' + QByteArray::number(m_request.url.port());
    QByteArray head = "GET " + target + " HTTP/1.1\r\nHost: " + host
                      + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                        "Sec-WebSocket-Key: " + m_key + "\r\n";
    if (!m_request.subprotocols.isEmpty())
        head += "Sec-WebSocket-Protocol: " + m_request.subprotocols.join(QLatin1String(", ")).toLatin1() + "\r\n";
    if (!m_request.origin.isEmpty())
        head += "Origin: " + m_request.origin.toUtf8() + "\r\n";
    for (const auto &header : m_request.headers)
        head += header.first + ": " + header.second + "\r\n";
    head += "\r\n";
    m_socket->write(head);
}

void WebSocketDialer::onReadyRead()
{
    if (m_done)
        return;
    if (m_headBytes > 0) { // a refusal's body
        m_refusal.body += m_socket->read(kMaxRefusalBodyBytes - m_refusal.body.size());
        m_socket->readAll(); // past the bound: not kept
        if (m_refusal.body.size() >= kMaxRefusalBodyBytes
            || (m_bodyLength >= 0 && m_refusal.body.size() >= m_bodyLength))
            finishRefusal();
        return;
    }
    // Peek: bytes after the head (the first frames) stay in the socket for the connection.
    const QByteArray bytes = m_socket->peek(kMaxHeadBytes);
    const int end = bytes.indexOf("\r\n\r\n");
    if (end < 0) {
        if (bytes.size() >= kMaxHeadBytes)
            fail(QStringLiteral("the upstream's handshake answer is over %1 bytes").arg(kMaxHeadBytes));
        return;
    }
    m_headBytes = end + 4;
    m_socket->read(m_headBytes);
    QList<QByteArray> lines = bytes.left(end).split('\n');
    const QByteArray statusText = lines.value(0).trimmed();
    for (QByteArray &line : lines)
        line = line.trimmed();
    const QList<QByteArray> statusLine = statusText.split(' ');
    bool statusOk = false;
    const int status = statusLine.value(1).toInt(&statusOk);
    if (!statusLine.value(0).startsWith("HTTP/1.") || !statusOk || status < 100 || status > 999) {
        fail(QStringLiteral("the upstream did not answer with HTTP: %1")
                 .arg(QString::fromLatin1(lines.value(0).left(80))));
        return;
    }
    lines.removeFirst();
    if (status != 101) {
        m_refusal.status = status;
        m_refusal.reasonPhrase = statusLine.mid(2).join(' ');
        m_refusal.contentType = headerValue(lines, "content-type");
        const QByteArray length = headerValue(lines, "content-length");
        bool lengthOk = false;
        m_bodyLength = length.toLongLong(&lengthOk);
        if (!lengthOk)
            m_bodyLength = -1;
        m_refusal.error = QStringLiteral("the upstream refused the upgrade with %1 %2")
                              .arg(status)
                              .arg(QString::fromLatin1(m_refusal.reasonPhrase));
        if (m_bodyLength == 0 || m_socket->state() != QAbstractSocket::ConnectedState)
            finishRefusal();
        else if (m_socket->bytesAvailable() > 0)
            onReadyRead();
        return;
    }
    if (!hasToken(headerValue(lines, "upgrade"), "websocket") || !hasToken(headerValue(lines, "connection"), "upgrade")) {
        fail(QStringLiteral("the upstream answered 101 without Upgrade: websocket"));
        return;
    }
    if (headerValue(lines, "sec-websocket-accept") != WebSocketHandshake::acceptKey(m_key)) {
        fail(QStringLiteral("the upstream's Sec-WebSocket-Accept does not match the key"));
        return;
    }
    if (!headerValue(lines, "sec-websocket-extensions").isEmpty()) {
        fail(QStringLiteral("the upstream answered with extensions that were not offered"));
        return;
    }
    const QString subprotocol = QString::fromLatin1(headerValue(lines, "sec-websocket-protocol"));
    if (!subprotocol.isEmpty() && !m_request.subprotocols.contains(subprotocol)) {
        fail(QStringLiteral("the upstream chose subprotocol %1, which was not offered").arg(subprotocol));
        return;
    }
    m_done = true;
    m_deadline->stop();
    disconnect(m_socket, nullptr, this, nullptr);
    QTcpSocket *socket = std::exchange(m_socket, nullptr);
    auto *connection = new WebSocketConnection(std::make_unique<QtSocketTransport>(socket), subprotocol,
                                               m_request.maxMessageBytes);
    connection->setClientRole();
    qCDebug(lcDialer) << m_request.url << "open, subprotocol" << subprotocol;
    Q_EMIT opened(connection, subprotocol);
}

void WebSocketDialer::fail(const QString &error)
{
    if (m_done)
        return;
    m_refusal = Refusal();
    m_refusal.error = error;
    m_done = true;
    m_deadline->stop();
    qCDebug(lcDialer) << m_request.url << "failed:" << error;
    Q_EMIT refused(m_refusal);
}

void WebSocketDialer::finishRefusal()
{
    if (m_done)
        return;
    if (m_socket->bytesAvailable() > 0 && m_refusal.body.size() < kMaxRefusalBodyBytes)
        m_refusal.body += m_socket->read(kMaxRefusalBodyBytes - m_refusal.body.size());
    m_done = true;
    m_deadline->stop();
    qCDebug(lcDialer) << m_request.url << m_refusal.error;
    Q_EMIT refused(m_refusal);
}
