#include "QtWebSocketAcceptor.h"

#include "QtWebSocketEndpoint.h"

#include <QLoggingCategory>
#include <QTcpSocket>
#include <QWebSocket>
#include <QWebSocketServer>
#include <algorithm>

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

void QtWebSocketAcceptor::handOver(QTcpSocket *socket, qint64 headBytes, const QString &subprotocol, quint64 ticket)
{
    // Qt 6.4 lets the new QWebSocket read what follows the head before it announces the
    // connection: messages that came with the handshake would be emitted before anyone listens.
    // So the socket's buffer keeps only the head, and stops filling (its size: the head); the
    // rest goes back in once the endpoint listens (QtWebSocketEndpoint::start()).
    const QByteArray buffered = socket->readAll();
    for (qint64 i = std::min<qint64>(headBytes, buffered.size()) - 1; i >= 0; --i)
        socket->ungetChar(buffered.at(i));
    socket->setReadBufferSize(headBytes);
    m_pending.insert(socket, Pending{ticket, buffered.mid(headBytes)});
    // Qt deletes a socket that disconnects before or during its handshake.
    connect(socket, &QObject::destroyed, this, [this, socket] {
        const auto it = m_pending.constFind(socket);
        if (it == m_pending.cend())
            return;
        const quint64 lost = it.value().ticket;
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
        Pending pending{};
        for (auto it = m_pending.cbegin(); it != m_pending.cend(); ++it) {
            if (it.key()->peerPort() == webSocket->peerPort() && it.key()->peerAddress() == webSocket->peerAddress()) {
                socket = it.key();
                pending = it.value();
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
        Q_EMIT accepted(new QtWebSocketEndpoint(webSocket, socket, m_maxMessageBytes, pending.early), pending.ticket);
    }
}
