#include "QtWebSocketAcceptor.h"

#include "QtWebSocketEndpoint.h"

#include <QLoggingCategory>
#include <QTcpSocket>
#include <QWebSocket>
#include <QWebSocketServer>

Q_DECLARE_LOGGING_CATEGORY(lcQtBackend)

QtWebSocketAcceptor::QtWebSocketAcceptor(qint64 maxMessageBytes, QObject *parent)
    : QObject(parent), m_maxMessageBytes(maxMessageBytes)
{
}

QtWebSocketAcceptor::~QtWebSocketAcceptor()
{
    for (auto it = m_pending.cbegin(); it != m_pending.cend(); ++it)
        disconnect(it.key(), nullptr, this, nullptr);
}

QWebSocketServer *QtWebSocketAcceptor::serverFor(const QString &subprotocol)
{
    auto found = m_servers.find(subprotocol);
    if (found != m_servers.end())
        return found->second;
    auto *server = new QWebSocketServer(QStringLiteral("Switchboard"), QWebSocketServer::NonSecureMode, this);
    if (!subprotocol.isEmpty())
        server->setSupportedSubprotocols({subprotocol});
    connect(server, &QWebSocketServer::newConnection, this, [this, server] { takeConnections(server); });
    connect(server, &QWebSocketServer::serverError, this, [server](QWebSocketProtocol::CloseCode code) {
        qCInfo(lcQtBackend) << "Qt refused an upgrade:" << code << server->errorString();
    });
    m_servers.emplace(subprotocol, server);
    return server;
}

void QtWebSocketAcceptor::handOver(QTcpSocket *socket, const QString &subprotocol, quint64 ticket)
{
    m_pending.insert(socket, ticket);
    // Qt deletes a socket that disconnects before or during its handshake.
    connect(socket, &QObject::destroyed, this, [this, socket] {
        const auto it = m_pending.constFind(socket);
        if (it == m_pending.cend())
            return;
        const quint64 lost = it.value();
        m_pending.erase(it);
        Q_EMIT abandoned(lost);
    });
    serverFor(subprotocol)->handleConnection(socket);
}

void QtWebSocketAcceptor::takeConnections(QWebSocketServer *server)
{
    while (QWebSocket *webSocket = server->nextPendingConnection()) {
        // Qt names no socket: the one with the QWebSocket's peer is the one it upgraded.
        QTcpSocket *socket = nullptr;
        quint64 ticket = 0;
        for (auto it = m_pending.cbegin(); it != m_pending.cend(); ++it) {
            if (it.key()->peerPort() == webSocket->peerPort() && it.key()->peerAddress() == webSocket->peerAddress()) {
                socket = it.key();
                ticket = it.value();
                m_pending.erase(it);
                break;
            }
        }
        if (!socket) {
            qCWarning(lcQtBackend) << "Qt upgraded a connection nobody handed over:" << webSocket->peerAddress();
            webSocket->abort();
            webSocket->deleteLater();
            continue;
        }
        disconnect(socket, nullptr, this, nullptr);
        // The endpoint owns the socket from here; Qt's server would delete it on disconnect.
        disconnect(socket, nullptr, server, nullptr);
        Q_EMIT accepted(new QtWebSocketEndpoint(webSocket, socket, m_maxMessageBytes), ticket);
    }
}
