#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QString>

// The byte stream under one WebSocket connection: a plain TCP descriptor (PlainTransport) or a
// Qt socket, for TLS (QtSocketTransport). Writes are queued and go out at flush(), so the engine
// can gather everything one loop turn sends to a client into one send.
class ByteTransport
{
public:
    enum class End {
        PeerClosed, // the peer closed its side (after our shutdown, or on its own)
        Aborted,    // abort() was called
        Failed,     // a socket error; the text says which
    };

    // Told what arrives and when the stream is gone; set before start().
    class Receiver
    {
    public:
        virtual ~Receiver() = default;
        // Never called again before it returns (a write inside it may not deliver nested bytes).
        virtual void onBytesReceived(const char *data, qsizetype size) = 0;
        // Queued bytes went out on their own (not during a flush() the receiver called).
        virtual void onBytesWritten() = 0;
        // Called once; after it no other call reaches the receiver.
        virtual void onTransportEnded(End how, const QString &error) = 0;
    };

    virtual ~ByteTransport() = default;

    void setReceiver(Receiver *receiver) { m_receiver = receiver; }
    QHostAddress peerAddress() const { return m_peerAddress; }
    quint16 peerPort() const { return m_peerPort; }

    // Begins reading; bytes already received with the handshake are delivered first.
    virtual void start() = 0;
    virtual void write(const QByteArray &bytes) = 0;
    virtual void flush() = 0;
    virtual qint64 bytesToWrite() const = 0;
    // Stops (true) or resumes reading from the peer: a client whose replies pile up unread is not
    // read further until they drain. Bytes already read when it stops are still delivered.
    virtual void setReadingPaused(bool paused) = 0;
    // Ends our side once everything queued is written, and keeps reading until the peer ends its
    // side too, so our last bytes (a close frame) are never lost to a reset.
    virtual void shutdownWhenWritten() = 0;
    // Drops the connection now; onTransportEnded(Aborted) is called before this returns.
    virtual void abort() = 0;

protected:
    ByteTransport(QHostAddress peerAddress, quint16 peerPort)
        : m_peerAddress(std::move(peerAddress)), m_peerPort(peerPort)
    {
    }

    Receiver *m_receiver = nullptr;

private:
    QHostAddress m_peerAddress;
    quint16 m_peerPort = 0;
};
