#include "QtSocketTransport.h"

#include <QSslSocket>
#include <QTcpSocket>

QtSocketTransport::QtSocketTransport(QTcpSocket *socket, QObject *parent)
    : QObject(parent), ByteTransport(socket->peerAddress(), socket->peerPort()), m_socket(socket),
      m_tls(qobject_cast<QSslSocket *>(socket))
{
    m_socket->setParent(this);
    m_socket->setReadBufferSize(0);
    // As PlainTransport: no Nagle delay on top of the engine's own write gathering.
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    connect(m_socket, &QTcpSocket::readyRead, this, &QtSocketTransport::onReadyRead);
    connect(m_socket, &QTcpSocket::disconnected, this, &QtSocketTransport::onDisconnected);
    connect(m_socket, &QTcpSocket::bytesWritten, this, [this] {
        if (m_receiver && !m_ended)
            m_receiver->onBytesWritten();
    });
    if (m_tls) {
        connect(m_tls, &QSslSocket::encryptedBytesWritten, this, [this] {
            if (m_receiver && !m_ended)
                m_receiver->onBytesWritten();
        });
    }
    connect(m_socket, &QAbstractSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
        if (error != QAbstractSocket::RemoteHostClosedError)
            m_error = m_socket->errorString();
    });
}

QtSocketTransport::~QtSocketTransport()
{
    // The socket goes with us; its disconnected() must not reach a receiver that is gone.
    m_ended = true;
    disconnect(m_socket, nullptr, this, nullptr);
}

void QtSocketTransport::start()
{
    m_started = true;
    if (m_socket->bytesAvailable() > 0)
        onReadyRead();
    if (m_socket->state() != QAbstractSocket::ConnectedState)
        onDisconnected();
}

void QtSocketTransport::onReadyRead()
{
    if (!m_started || m_ended || m_readingPaused)
        return;
    if (m_delivering) {
        // A flush() our receiver made decrypted more: it stays in the socket until this
        // delivery is done, so the receiver never gets bytes nested inside its own.
        m_readAgain = true;
        return;
    }
    m_delivering = true;
    do {
        m_readAgain = false;
        const QByteArray bytes = m_socket->readAll();
        if (m_receiver && !bytes.isEmpty())
            m_receiver->onBytesReceived(bytes.constData(), bytes.size());
    } while (m_readAgain && !m_ended && !m_readingPaused);
    m_delivering = false;
}

void QtSocketTransport::setReadingPaused(bool paused)
{
    if (m_ended || paused == m_readingPaused)
        return;
    m_readingPaused = paused;
    // Paused, Qt reads (and decrypts) only until its buffer holds kPausedBufferBytes, then stops
    // reading the descriptor; unbounded again once resumed.
    constexpr qint64 kPausedBufferBytes = 64 * 1024;
    m_socket->setReadBufferSize(paused ? kPausedBufferBytes : 0);
    // What waited in the buffer is delivered from the loop, never nested in the caller.
    if (!paused)
        QMetaObject::invokeMethod(this, &QtSocketTransport::onReadyRead, Qt::QueuedConnection);
}

void QtSocketTransport::write(const QByteArray &bytes)
{
    if (!m_ended)
        m_socket->write(bytes);
}

void QtSocketTransport::flush()
{
    if (!m_ended)
        m_socket->flush();
}

qint64 QtSocketTransport::bytesToWrite() const
{
    // Over TLS the encrypted bytes queue in the socket, out of sight of bytesToWrite().
    return m_socket->bytesToWrite() + (m_tls ? m_tls->encryptedBytesToWrite() : 0);
}

void QtSocketTransport::shutdownWhenWritten()
{
    // Qt writes what is queued, then closes.
    if (!m_ended)
        m_socket->disconnectFromHost();
}

void QtSocketTransport::abort()
{
    if (m_ended)
        return;
    m_abortRequested = true;
    m_socket->abort();
    onDisconnected(); // abort() emits disconnected() only from the connected state
}

void QtSocketTransport::onDisconnected()
{
    if (m_ended || !m_started)
        return;
    m_ended = true;
    const End how = m_abortRequested ? End::Aborted : m_error.isEmpty() ? End::PeerClosed : End::Failed;
    if (m_receiver)
        m_receiver->onTransportEnded(how, m_error);
}
