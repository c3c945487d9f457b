#include "ClientSession.h"

#include "../websocket/CloseCode.h"
#include "../routes/RouteBehaviour.h"
#include "../websocket/OutgoingMessage.h"

#include <QDateTime>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcSession, "switchboard.session")

ClientSession::ClientSession(quint64 id, WebSocketEndpoint *connection, ClientInfo info, QObject *parent)
    : QObject(parent), m_info(std::move(info)), m_connection(connection)
{
    m_info.id = id;
    m_connection->setParent(this);
    m_connection->setHandler(this);
    m_lastHeardMs = m_info.connectedAtMs;
}

void ClientSession::onTextMessage(const QByteArray &utf8)
{
    received(IncomingMessage{false, utf8});
}

void ClientSession::onBinaryMessage(const QByteArray &data)
{
    received(IncomingMessage{true, data});
}

void ClientSession::received(const IncomingMessage &message)
{
    if (!admitIncoming())
        return;
    ++m_info.messagesIn;
    m_info.bytesIn += message.data.size();
    if (m_observer)
        m_observer->sessionMessage(this, message);
}

void ClientSession::onPong(qint64 rttMs)
{
    m_info.lastRttMs = rttMs;
    m_lastHeardMs = QDateTime::currentMSecsSinceEpoch();
    const bool heartbeat = m_pingSentAtMs > 0;
    m_pingSentAtMs = 0;
    if (m_observer)
        m_observer->sessionPong(this, rttMs, heartbeat);
    changed();
}

void ClientSession::onBytesWritten()
{
    syncBytesToWrite();
    changed();
    if (m_behaviour)
        m_behaviour->onWritten(*this);
}

void ClientSession::onOutgoingBudgetExceeded()
{
    syncBytesToWrite();
    if (m_observer)
        m_observer->sessionOverBudget(this);
}

void ClientSession::leaveOpen(ClientInfo::State next)
{
    const bool wasOpen = isOpen();
    m_info.state = next;
    if (wasOpen && m_observer)
        m_observer->sessionLeftOpen(this);
}

void ClientSession::changed()
{
    if (m_observer)
        m_observer->sessionChanged(this);
}

ClientSession::~ClientSession()
{
    m_connection->setHandler(nullptr);
    // The behaviour may still reference the host; drop it before the connection goes.
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

bool ClientSession::checkHeartbeat(qint64 nowMs, int intervalMs, int timeoutMs)
{
    if (!isOpen())
        return false;
    if (m_pingSentAtMs > 0) {
        if (nowMs - m_pingSentAtMs >= timeoutMs)
            abort(QStringLiteral("heartbeat timeout"));
        return false;
    }
    if (nowMs - m_lastHeardMs >= intervalMs) {
        m_pingSentAtMs = nowMs;
        m_connection->ping();
        return true;
    }
    return false;
}

void ClientSession::setBehaviour(std::unique_ptr<RouteBehaviour> behaviour)
{
    m_behaviour = std::move(behaviour);
}

void ClientSession::send(OutgoingMessage &message)
{
    const qint64 wireBytes = m_connection->queueMessage(message);
    message.noteQueued(wireBytes);
    ++m_info.messagesOut;
    m_info.bytesOut += message.payload().size();
    m_info.wireBytesOut += wireBytes;
    m_info.bytesToWrite += wireBytes; // flushWrites() reads the true figure back
}

void ClientSession::flushWrites()
{
    // Everything queued this turn in one send where the kernel takes it (batched with the other
    // clients' sends where the thread has a SocketBatch: then onBytesWritten() tells when it went);
    // what it does not take stays queued and goes out when the socket is writable.
    m_connection->flush();
    syncBytesToWrite();
}

bool ClientSession::ping(const QByteArray &payload)
{
    if (!isOpen())
        return false;
    m_connection->ping(payload);
    return true;
}

void ClientSession::close(int code, const QString &reason)
{
    if (!isOpen())
        return;
    m_info.closeCode = code;
    m_info.closeReason = reason;
    m_info.closedBy = ClientInfo::ClosedBy::Server;
    leaveOpen(ClientInfo::State::Closing);
    // A client that never answers (or never reads) is dropped after the close grace time.
    m_connection->close(code, reason);
    changed();
}

void ClientSession::abort(const QString &why)
{
    if (m_info.state == ClientInfo::State::Closed)
        return;
    m_abortReason = why;
    m_connection->abort();
}

void ClientSession::onClosing(WebSocketEndpoint::CloseInitiator initiator)
{
    m_closeFrameSeen = true;
    if (initiator == WebSocketEndpoint::CloseInitiator::Local)
        return; // close() has recorded it
    m_info.closeCode = m_connection->closeCode();
    m_info.closeReason = m_connection->closeReason();
    // A violation is the server failing the connection (1002, 1007, 1009).
    m_info.closedBy = initiator == WebSocketEndpoint::CloseInitiator::Violation ? ClientInfo::ClosedBy::Server
                                                                                 : ClientInfo::ClosedBy::Client;
    leaveOpen(ClientInfo::State::Closing);
    changed();
}

void ClientSession::onFailed(const QString &error)
{
    qCDebug(lcSession) << "client" << m_info.id << "error:" << error;
    if (m_behaviour)
        m_behaviour->onError(*this, error);
    if (m_observer)
        m_observer->sessionError(this, error);
}

void ClientSession::onDisconnected()
{
    if (m_info.state == ClientInfo::State::Closed)
        return;
    if (!m_closeFrameSeen) {
        // No close frame went either way: an abrupt drop.
        m_info.closeCode = CloseCode::AbnormalClosure;
        m_info.closeReason = m_abortReason;
        m_info.closedBy = m_abortReason.isEmpty() ? ClientInfo::ClosedBy::Network : ClientInfo::ClosedBy::Server;
    }
    leaveOpen(ClientInfo::State::Closed);
    m_info.closedAtMs = QDateTime::currentMSecsSinceEpoch();
    m_info.bytesToWrite = 0;
    if (m_behaviour)
        m_behaviour->onClose(*this);
    if (m_observer)
        m_observer->sessionEnded(this);
}
