#pragma once

#include <QSslServer>

// QSslServer that reports every failed handshake with the peer it came from: a TLS error, a
// handshake timeout, and a client that does not speak TLS at all (typically plain http:// sent
// to the https:// port), which QSslServer itself closes without any signal.
class TlsServer : public QSslServer
{
    Q_OBJECT
public:
    explicit TlsServer(QObject *parent = nullptr);
    // A descriptor the front door accepted itself: handshake, then pendingConnectionAvailable().
    // The socket doing the handshake (deleted by QSslServer if it fails), or null if none was made.
    QSslSocket *takeConnection(qintptr descriptor);

Q_SIGNALS:
    // peer is "address:port"; reason is "not_tls", "timeout" or "error"; the connection is closed
    // already or about to be.
    void handshakeFailed(const QString &peer, const QString &reason, const QString &why);

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    // The socket QSslServer::incomingConnection() just made for descriptor, or null.
    QSslSocket *newestSocket(qintptr descriptor) const;
    void onError(QSslSocket *socket, QAbstractSocket::SocketError error);
};
