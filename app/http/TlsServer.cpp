#include "TlsServer.h"

#include <QSslSocket>

namespace {
// QSslServer disconnects a timed-out socket before reporting it, which forgets the peer.
const char *const kPeerProperty = "switchboard_peer";
} // namespace

TlsServer::TlsServer(QObject *parent) : QSslServer(parent)
{
    connect(this, &QSslServer::errorOccurred, this, &TlsServer::onError);
}

void TlsServer::onError(QSslSocket *socket, QAbstractSocket::SocketError error)
{
    if (socket->isEncrypted())
        return; // after the handshake, errors belong to whoever has the socket now
    const QString peer = socket->property(kPeerProperty).toString();
    if (error == QAbstractSocket::SocketTimeoutError) {
        Q_EMIT handshakeFailed(peer, QStringLiteral("timeout"),
                               QStringLiteral("no TLS handshake within %1 ms").arg(handshakeTimeout()));
    } else {
        Q_EMIT handshakeFailed(peer, QStringLiteral("error"),
                               QStringLiteral("TLS handshake failed: %1").arg(socket->errorString()));
    }
    // QSslServer deletes the socket itself.
}

QSslSocket *TlsServer::takeConnection(qintptr descriptor)
{
    incomingConnection(descriptor);
    return newestSocket(descriptor);
}

QSslSocket *TlsServer::newestSocket(qintptr descriptor) const
{
    // QSslServer makes the socket as its newest child (none if the descriptor was bad).
    const QObjectList &sockets = children();
    auto *socket = sockets.isEmpty() ? nullptr : qobject_cast<QSslSocket *>(sockets.constLast());
    return socket && socket->socketDescriptor() == descriptor ? socket : nullptr;
}

void TlsServer::incomingConnection(qintptr descriptor)
{
    QSslServer::incomingConnection(descriptor);
    QSslSocket *socket = newestSocket(descriptor);
    if (!socket)
        return;
    const QString peer = QStringLiteral("%1:%2").arg(socket->peerAddress().toString()).arg(socket->peerPort());
    socket->setProperty(kPeerProperty, peer);
    // Connected after QSslServer's own first-byte check, so this runs once it has decided: a
    // socket it did not start encrypting was not speaking TLS and is being closed.
    auto watch = std::make_shared<QMetaObject::Connection>();
    *watch = connect(socket, &QSslSocket::readyRead, this, [this, socket, peer, watch] {
        if (socket->mode() == QSslSocket::UnencryptedMode && socket->state() == QAbstractSocket::ConnectedState)
            return; // no byte to judge yet
        disconnect(*watch);
        if (socket->mode() == QSslSocket::UnencryptedMode)
            Q_EMIT handshakeFailed(peer, QStringLiteral("not_tls"),
                                   QStringLiteral("not a TLS handshake (plain http:// sent to this https:// port?)"));
    });
}
