#include "ClientSession.h"

#include "CloseCode.h"
#include "RouteBehaviour.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>

Q_LOGGING_CATEGORY(lcSession, "switchboard.session")

ClientSession::ClientSession(quint64 id, QWebSocket *socket, ClientInfo info, QObject *parent)
    : QObject(parent), m_info(std::move(info)), m_socket(socket)
{
    m_info.id = id;
    m_socket->setParent(this);
    // FrontDoor hands over the transport as the WebSocket's child; over TLS its encrypted bytes
    // queue there, out of sight of QWebSocket::bytesToWrite().
    m_transport = m_socket->findChild<QTcpSocket *>(QString(), Qt::FindDirectChildrenOnly);
    m_tls = qobject_cast<QSslSocket *>(m_transport);
    m_lastHeardMs = m_info.connectedAtMs;
    connect(m_socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        if (!admitIncoming())
            return;
        const QByteArray utf8 = text.toUtf8();
        ++m_info.messagesIn;
        m_info.bytesIn += utf8.size();
        Q_EMIT textReceived(this, text, utf8);
    });
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &data) {
        if (!admitIncoming())
            return;
        ++m_info.messagesIn;
        m_info.bytesIn += data.size();
        Q_EMIT binaryReceived(this, data);
    });
    connect(m_socket, &QWebSocket::pong, this, [this](quint64 elapsedMs, const QByteArray &) {
        m_info.lastRttMs = static_cast<qint64>(elapsedMs);
        m_lastHeardMs = QDateTime::currentMSecsSinceEpoch();
        m_pingSentAtMs = 0;
        Q_EMIT pongReceived(this, m_info.lastRttMs);
        Q_EMIT changed(this);
    });
    connect(m_socket, &QWebSocket::bytesWritten, this, [this](qint64) {
        m_info.bytesToWrite = bytesToWrite();
        Q_EMIT changed(this);
    });
    connect(m_socket, &QWebSocket::aboutToClose, this, &ClientSession::onAboutToClose);
    connect(m_socket, &QWebSocket::disconnected, this, &ClientSession::onDisconnected);
    connect(m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            &ClientSession::onError);
}

ClientSession::~ClientSession()
{
    // The behaviour may still reference the host; drop it before the socket goes.
    m_behaviour.reset();
}

bool ClientSession::admitIncoming()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    m_lastHeardMs = now;
    if (!isOpen())
        return false;
    if (m_rateLimit && !m_rateLimit->take(now)) {
        close(CloseCode::PolicyViolation, QStringLiteral("rate limit"));
        return false;
    }
    return true;
}

qint64 ClientSession::bytesToWrite() const
{
    return m_socket->bytesToWrite() + (m_tls ? m_tls->encryptedBytesToWrite() : 0);
}

void ClientSession::checkHeartbeat(qint64 nowMs, int intervalMs, int timeoutMs)
{
    if (!isOpen())
        return;
    if (m_pingSentAtMs > 0) {
        if (nowMs - m_pingSentAtMs >= timeoutMs)
            abort(QStringLiteral("heartbeat timeout"));
        return;
    }
    if (nowMs - m_lastHeardMs >= intervalMs) {
        m_pingSentAtMs = nowMs;
        m_socket->ping();
    }
}

void ClientSession::setBehaviour(std::unique_ptr<RouteBehaviour> behaviour)
{
    m_behaviour = std::move(behaviour);
}

qint64 ClientSession::send(const IncomingMessage &message, const QByteArray &frame)
{
    if (!isOpen())
        return -1;
    // QWebSocket writes each message to the same connection in one go, so a whole frame of ours
    // never lands inside one of its own (pings, pongs, the close frame).
    if (m_transport)
        m_transport->write(frame);
    else if (message.binary)
        m_socket->sendBinaryMessage(message.data);
    else
        m_socket->sendTextMessage(message.text);
    ++m_info.messagesOut;
    m_info.bytesOut += message.data.size();
    m_info.bytesToWrite = bytesToWrite();
    return message.data.size();
}

void ClientSession::flushWrites()
{
    // Everything queued this turn in one send() where the kernel takes it; what it does not take
    // stays queued and goes out when the socket is writable (Qt's write notification).
    if (m_info.state != ClientInfo::State::Closed)
        m_socket->flush();
}

bool ClientSession::ping(const QByteArray &payload)
{
    if (!isOpen())
        return false;
    m_socket->ping(payload);
    return true;
}

void ClientSession::close(int code, const QString &reason)
{
    if (!isOpen())
        return;
    m_closeInitiatedHere = true;
    m_info.closeCode = code;
    m_info.closeReason = reason;
    m_info.closedBy = ClientInfo::ClosedBy::Server;
    m_info.state = ClientInfo::State::Closing;
    m_socket->close(static_cast<QWebSocketProtocol::CloseCode>(code), reason);
    // A client that never answers (or never reads) must not keep its socket and buffers forever.
    QTimer::singleShot(m_closeGraceMs, this, [this] {
        if (m_info.state != ClientInfo::State::Closed)
            m_socket->abort();
    });
    Q_EMIT changed(this);
}

void ClientSession::abort(const QString &why)
{
    if (m_info.state == ClientInfo::State::Closed)
        return;
    m_abortReason = why;
    m_socket->abort();
}

void ClientSession::onAboutToClose()
{
    // Qt emits aboutToClose whenever it sends a close frame: when we close, when it answers the
    // client's close frame, and when it rejects a bad frame itself (1002, 1007, 1009).
    if (!m_abortReason.isEmpty())
        return; // QWebSocket::abort() emits aboutToClose too, though no close frame is sent
    m_closeFrameSeen = true;
    if (m_closeInitiatedHere)
        return;
    m_info.closeCode = m_socket->closeCode();
    m_info.closeReason = m_socket->closeReason();
    const bool rejectedByQt = m_info.closeCode == CloseCode::ProtocolError
                              || m_info.closeCode == CloseCode::InvalidPayload
                              || m_info.closeCode == CloseCode::MessageTooBig;
    m_info.closedBy = rejectedByQt ? ClientInfo::ClosedBy::Server : ClientInfo::ClosedBy::Client;
    m_info.state = ClientInfo::State::Closing;
    Q_EMIT changed(this);
}

void ClientSession::onError(QAbstractSocket::SocketError error)
{
    if (error == QAbstractSocket::RemoteHostClosedError && m_closeFrameSeen)
        return; // the normal end of a close handshake
    const QString text = m_socket->errorString();
    qCDebug(lcSession) << "client" << m_info.id << "error:" << text;
    if (m_behaviour)
        m_behaviour->onError(*this, text);
    Q_EMIT errorOccurred(this, text);
}

void ClientSession::onDisconnected()
{
    if (m_info.state == ClientInfo::State::Closed)
        return;
    if (!m_closeFrameSeen) {
        // No close frame went either way: an abrupt drop. Qt's closeCode() would claim 1000.
        m_info.closeCode = CloseCode::AbnormalClosure;
        m_info.closeReason = m_abortReason;
        m_info.closedBy = m_abortReason.isEmpty() ? ClientInfo::ClosedBy::Network
                                                  : ClientInfo::ClosedBy::Server;
    }
    m_info.state = ClientInfo::State::Closed;
    m_info.closedAtMs = QDateTime::currentMSecsSinceEpoch();
    m_info.bytesToWrite = 0;
    if (m_behaviour)
        m_behaviour->onClose(*this);
    Q_EMIT ended(this);
}
