#pragma once

#include <QHash>
#include <QObject>
#include <QString>
#include <map>

class QTcpSocket;
class QWebSocketServer;
class QtWebSocketEndpoint;

// The qt backend's way in: takes a socket whose upgrade request the front door has admitted (and
// only peeked at, so the head is still unread) and hands it to a QWebSocketServer in
// NonSecureMode with handleConnection(). Qt reads the head again, answers it and makes the
// QWebSocket. For TLS the socket is the QSslSocket: Qt reads and writes it like any QTcpSocket.
//
// Qt picks the subprotocol itself from the ones its server supports; the front door has already
// chosen one, so there is one server per chosen subprotocol (supporting exactly it, or none).
class QtWebSocketAcceptor : public QObject
{
    Q_OBJECT
public:
    explicit QtWebSocketAcceptor(qint64 maxMessageBytes, QObject *parent = nullptr);
    ~QtWebSocketAcceptor() override;

    // headBytes: the request head's size (what Qt reads); ticket names this hand-over in
    // accepted() or abandoned().
    void handOver(QTcpSocket *socket, qint64 headBytes, const QString &subprotocol, quint64 ticket);
    int pendingCount() const { return int(m_pending.size()); }

Q_SIGNALS:
    // The receiver takes the endpoint (no parent) and calls start() once it is ready for messages.
    void accepted(QtWebSocketEndpoint *endpoint, quint64 ticket);
    // The socket went before Qt upgraded it (Qt refused the head, or the peer left).
    void abandoned(quint64 ticket);

private:
    QWebSocketServer *serverFor(const QString &subprotocol);
    void takeConnections(QWebSocketServer *server);

    qint64 m_maxMessageBytes;
    std::map<QString, QWebSocketServer *> m_servers; // children of this
    struct Pending
    {
        quint64 ticket;
        QByteArray early; // what the client sent after the head, kept from Qt until someone listens
    };
    QHash<QTcpSocket *, Pending> m_pending; // handed over, not upgraded yet
};
