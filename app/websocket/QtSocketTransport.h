#pragma once

#include "ByteTransport.h"

#include <QAbstractSocket>
#include <QObject>

class QSslSocket;
class QTcpSocket;

// A connection Qt has to carry: TLS, where QSslSocket does the encryption. Bytes past the HTTP
// request head are still in the socket's read buffer and are delivered first by start().
class QtSocketTransport final : public QObject, public ByteTransport
{
    Q_OBJECT
public:
    // Takes ownership of the socket.
    explicit QtSocketTransport(QTcpSocket *socket, QObject *parent = nullptr);
    ~QtSocketTransport() override;

    void start() override;
    void write(const QByteArray &bytes) override;
    void flush() override;
    qint64 bytesToWrite() const override;
    void setReadingPaused(bool paused) override;
    void shutdownWhenWritten() override;
    void abort() override;

private:
    void onReadyRead();
    void onDisconnected();

    QTcpSocket *m_socket = nullptr; // child of this transport
    QSslSocket *m_tls = nullptr;    // the same socket when it is a TLS one
    QString m_error;                // the last socket error, if any
    bool m_abortRequested = false;
    bool m_started = false;
    bool m_ended = false;
    bool m_delivering = false; // inside the receiver's onBytesReceived()
    bool m_readAgain = false;  // readyRead came meanwhile
    bool m_readingPaused = false;
};
