#include "QtWebSocketEndpoint.h"

#include "CloseCode.h"
#include "OutgoingMessage.h"

#include <QLoggingCategory>
#include <QSslSocket>
#include <QTcpSocket>
#include <QWebSocket>

Q_LOGGING_CATEGORY(lcQtBackend, "switchboard.websocket.qt")

namespace {
// A frame from a client as it crossed the wire: header, mask and payload.
qint64 clientFrameBytes(qint64 payloadBytes)
{
    return 2 + 4 + payloadBytes + (payloadBytes > 0xffff ? 8 : payloadBytes > 125 ? 2 : 0);
}

// The same for a frame we send (unmasked).
qint64 serverFrameBytes(qint64 payloadBytes)
{
    return clientFrameBytes(payloadBytes) - 4;
}

// Qt fails a connection with these itself (QWebSocketDataProcessor); it tells no other way
// whether a close frame it sent answered the peer's or failed the protocol.
bool isViolationCode(int code)
{
    return code == CloseCode::ProtocolError || code == CloseCode::InvalidPayload || code == CloseCode::MessageTooBig;
}
} // namespace

QtWebSocketEndpoint::QtWebSocketEndpoint(QWebSocket *webSocket, QTcpSocket *socket, qint64 maxMessageBytes,
                                         QByteArray early, QObject *parent)
    : WebSocketEndpoint(parent), m_webSocket(webSocket), m_socket(socket), m_early(std::move(early)),
      m_peerAddress(webSocket->peerAddress()), m_peerPort(webSocket->peerPort())
{
    // Destroyed in this order: the QWebSocket first, while the socket it uses still exists.
    m_webSocket->setParent(this);
    m_socket->setParent(this);
    m_webSocket->setMaxAllowedIncomingMessageSize(quint64(maxMessageBytes));
    m_webSocket->setMaxAllowedIncomingFrameSize(quint64(maxMessageBytes));
    // Qt reads a frame once all of it is buffered: room for the largest allowed one, and no more.
    m_socket->setReadBufferSize(clientFrameBytes(maxMessageBytes) + 64 * 1024);
    // Connected after Qt's own reader: what Qt wrote in answer to this read (pongs) is queued by now.
    connect(m_socket, &QTcpSocket::readyRead, this, [this] {
        if (m_state == State::Closed || m_outgoingBudget <= 0 || bytesToWrite() <= m_outgoingBudget)
            return;
        // Pongs Qt wrote itself, or answers to a burst it read in one go: either way Qt cannot stop reading.
        m_dropReason = QStringLiteral("%1 bytes waiting to be written, answers to pings included: the client does not read")
                           .arg(bytesToWrite());
        m_aborting = true;
        m_webSocket->abort();
        onDisconnected();
    });

    // Connected at once: Qt may deliver a message that came with the handshake before start().
    connect(m_webSocket, &QWebSocket::textFrameReceived, this, [this](const QString &frame, bool isLastFrame) {
        // A whole message in one frame is measured from the message (no second conversion).
        onFrame(isLastFrame && m_partialFrames == 0 ? -1 : frame.toUtf8().size(), isLastFrame);
    });
    connect(m_webSocket, &QWebSocket::binaryFrameReceived, this,
            [this](const QByteArray &frame, bool isLastFrame) { onFrame(frame.size(), isLastFrame); });
    connect(m_webSocket, &QWebSocket::textMessageReceived, this, [this](const QString &message) {
        const QByteArray utf8 = message.toUtf8();
        if (m_messageWireBytes < 0)
            m_messageWireBytes = clientFrameBytes(utf8.size());
        if (m_state == State::Open && m_handler)
            m_handler->onTextMessage(utf8);
    });
    connect(m_webSocket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &message) {
        if (m_state == State::Open && m_handler)
            m_handler->onBinaryMessage(message);
    });
    connect(m_webSocket, &QWebSocket::pong, this, [this](quint64 elapsedMs, const QByteArray &) {
        // Unsolicited pongs are allowed (RFC 6455 §5.5.3) and carry no round trip.
        if (m_state != State::Open || !m_pingSent.isValid())
            return;
        m_pingSent.invalidate();
        if (m_handler)
            m_handler->onPong(qint64(elapsedMs));
    });
    const auto written = [this] {
        if (!m_handler)
            return;
        m_inBytesWritten = true;
        m_handler->onBytesWritten();
        m_inBytesWritten = false;
    };
    connect(m_webSocket, &QWebSocket::bytesWritten, this, written);
    if (auto *tls = qobject_cast<QSslSocket *>(m_socket))
        connect(tls, &QSslSocket::encryptedBytesWritten, this, written);
    connect(m_webSocket, &QWebSocket::aboutToClose, this, &QtWebSocketEndpoint::onAboutToClose);
    connect(m_webSocket, &QWebSocket::disconnected, this, &QtWebSocketEndpoint::onDisconnected);
}

QtWebSocketEndpoint::~QtWebSocketEndpoint()
{
    disconnect(m_webSocket, nullptr, this, nullptr);
}

void QtWebSocketEndpoint::start()
{
    if (m_socket->state() != QAbstractSocket::ConnectedState) {
        onDisconnected();
        return;
    }
    // Frames that came in the same packets as the handshake go back into the socket's buffer
    // (QtWebSocketAcceptor kept them from Qt), and Qt reads only on readyRead: tell it.
    for (qsizetype i = m_early.size() - 1; i >= 0; --i)
        m_socket->ungetChar(m_early.at(i));
    m_early = QByteArray();
    if (m_socket->bytesAvailable() > 0)
        Q_EMIT m_socket->readyRead();
}

QString QtWebSocketEndpoint::subprotocol() const
{
    return m_webSocket->subprotocol();
}

void QtWebSocketEndpoint::onFrame(qint64 payloadBytes, bool isLastFrame)
{
    ++m_partialFrames;
    if (payloadBytes >= 0)
        m_partialWireBytes += clientFrameBytes(payloadBytes);
    if (!isLastFrame)
        return;
    // -1: a single text frame, measured when its message arrives.
    m_messageWireBytes = payloadBytes < 0 ? -1 : m_partialWireBytes;
    m_messageFrames = m_partialFrames;
    m_partialWireBytes = 0;
    m_partialFrames = 0;
}

qint64 QtWebSocketEndpoint::queueMessage(OutgoingMessage &message)
{
    if (m_state != State::Open)
        return 0;
    const QByteArray &payload = message.payload();
    if (message.isBinary())
        m_webSocket->sendBinaryMessage(payload);
    else
        m_webSocket->sendTextMessage(QString::fromUtf8(payload));
    // Qt splits messages past its outgoing frame size (512 KiB) into frames of that size.
    const qint64 frameSize = qint64(m_webSocket->outgoingFrameSize());
    const qint64 fullFrames = payload.isEmpty() ? 0 : (payload.size() - 1) / frameSize;
    return fullFrames * serverFrameBytes(frameSize) + serverFrameBytes(payload.size() - fullFrames * frameSize);
}

void QtWebSocketEndpoint::flush()
{
    // Qt does not emit bytesWritten for what is written while it emits bytesWritten: a handler that
    // refills the socket there (an event-stream follower) and flushed it all at once would never
    // hear of it again. Qt writes it at the socket's next write notification instead.
    if (m_state != State::Closed && !m_inBytesWritten)
        m_webSocket->flush();
}

qint64 QtWebSocketEndpoint::bytesToWrite() const
{
    if (m_state == State::Closed)
        return 0;
    // Over TLS what waits is mostly already encrypted, queued below QSslSocket's own buffer.
    const auto *tls = qobject_cast<const QSslSocket *>(m_socket);
    return m_webSocket->bytesToWrite() + (tls ? tls->encryptedBytesToWrite() : 0);
}

void QtWebSocketEndpoint::ping(const QByteArray &payload)
{
    if (m_state != State::Open)
        return;
    m_pingSent.start();
    m_webSocket->ping(payload.left(125));
}

void QtWebSocketEndpoint::close(int code, const QString &reason)
{
    if (m_state != State::Open)
        return;
    m_closingLocally = true;
    m_closeCode = code;
    m_closeReason = reason;
    m_webSocket->close(QWebSocketProtocol::CloseCode(code), reason);
}

void QtWebSocketEndpoint::abort()
{
    if (m_state == State::Closed)
        return;
    m_aborting = true;
    m_webSocket->abort();
    onDisconnected(); // in case Qt reports it later (or not at all)
}

void QtWebSocketEndpoint::onAboutToClose()
{
    // QWebSocket also passes on its socket's aboutToClose (an abort, the peer vanishing): only a
    // close frame leaves it connected when it says so.
    if (m_state != State::Open || m_aborting || m_webSocket->state() != QAbstractSocket::ConnectedState)
        return;
    m_state = State::Closing;
    // Qt ends the TCP connection once its close frame is written; a peer that never reads is
    // dropped after the close timeout.
    startCloseTimer();
    CloseInitiator initiator = CloseInitiator::Local;
    if (!m_closingLocally) {
        m_closeCode = int(m_webSocket->closeCode());
        m_closeReason = m_webSocket->closeReason();
        initiator = isViolationCode(m_closeCode) ? CloseInitiator::Violation : CloseInitiator::Peer;
        qCDebug(lcQtBackend) << m_peerAddress << "closing:" << m_closeCode << m_closeReason;
    }
    if (m_handler)
        m_handler->onClosing(initiator);
}

void QtWebSocketEndpoint::onDisconnected()
{
    if (m_state == State::Closed)
        return;
    const State before = m_state;
    m_state = State::Closed;
    QString failure = m_dropReason;
    if (before == State::Open && !m_aborting) {
        failure = m_socket->error() != QAbstractSocket::UnknownSocketError
                      ? m_socket->errorString()
                      : QStringLiteral("The remote host closed the connection");
    }
    finish(failure);
}
