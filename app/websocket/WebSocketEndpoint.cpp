#include "WebSocketEndpoint.h"

#include <QLoggingCategory>
#include <QTimerEvent>

Q_LOGGING_CATEGORY(lcWebSocket, "switchboard.websocket")

void WebSocketEndpoint::startCloseTimer()
{
    if (!m_closeTimerId)
        m_closeTimerId = startTimer(m_closeTimeoutMs);
}

void WebSocketEndpoint::finish(const QString &failure)
{
    if (m_closeTimerId) {
        killTimer(m_closeTimerId);
        m_closeTimerId = 0;
    }
    if (!m_handler) {
        deleteLater();
        return;
    }
    if (!failure.isEmpty())
        m_handler->onFailed(failure);
    m_handler->onDisconnected();
}

void WebSocketEndpoint::timerEvent(QTimerEvent *event)
{
    if (event->timerId() != m_closeTimerId)
        return QObject::timerEvent(event);
    killTimer(m_closeTimerId);
    m_closeTimerId = 0;
    qCDebug(lcWebSocket) << peerAddress() << "did not finish the closing handshake in" << m_closeTimeoutMs << "ms";
    abort();
}
