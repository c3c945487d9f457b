#include "WebSocketConnection.h"

#include "OutgoingMessage.h"
#include "PerMessageDeflate.h"
#include "WebSocketFrame.h"
#include "CloseCode.h"

#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QTimerEvent>
#include <utility>

Q_LOGGING_CATEGORY(lcWebSocket, "switchboard.websocket")

WebSocketConnection::WebSocketConnection(std::unique_ptr<ByteTransport> transport, QString subprotocol,
                                         qint64 maxMessageBytes, QObject *parent)
    : QObject(parent), m_transport(std::move(transport)), m_parser(maxMessageBytes),
      m_subprotocol(std::move(subprotocol))
{
    m_transport->setReceiver(this);
}

WebSocketConnection::~WebSocketConnection()
{
    m_transport->setReceiver(nullptr);
}

void WebSocketConnection::start()
{
    m_transport->start();
}

void WebSocketConnection::setClientRole()
{
    m_clientRole = true;
    m_parser.setReadingServerFrames(true);
}

void WebSocketConnection::write(const QByteArray &frame)
{
    m_transport->write(m_clientRole ? WebSocketFrame::masked(frame, QRandomGenerator::global()->generate()) : frame);
}

void WebSocketConnection::setDeflate(std::unique_ptr<PerMessageDeflate> deflate)
{
    m_deflate = std::move(deflate);
    m_parser.setDeflate(m_deflate.get());
}

QString WebSocketConnection::extensions() const
{
    if (!m_deflate)
        return {};
    // The default answer, shared: each client's row would otherwise hold its own copy of it.
    static const QString defaultAnswer = QString::fromLatin1(DeflateParameters().responseHeader());
    const QByteArray answer = m_deflate->parameters().responseHeader();
    return QLatin1String(answer) == defaultAnswer ? defaultAnswer : QString::fromLatin1(answer);
}

qint64 WebSocketConnection::queueMessage(OutgoingMessage &message)
{
    if (m_state != State::Open)
        return 0;
    const QByteArray frame = message.frameFor(m_deflate.get());
    write(frame);
    return frame.size();
}

void WebSocketConnection::queueFrame(const QByteArray &frame)
{
    if (m_state == State::Open)
        write(frame);
}

void WebSocketConnection::flush()
{
    if (m_state != State::Closed)
        m_transport->flush();
}

void WebSocketConnection::ping(const QByteArray &payload)
{
    if (m_state != State::Open)
        return;
    m_pingSent.start();
    write(WebSocketFrame::ping(payload.left(125)));
    m_transport->flush();
}

void WebSocketConnection::close(int code, const QString &reason)
{
    if (m_state != State::Open)
        return;
    // Our close frame is out; the connection ends when the peer answers with its own.
    sendClose(code, reason, CloseInitiator::Local);
}

void WebSocketConnection::abort()
{
    if (m_state != State::Closed)
        m_transport->abort();
}

void WebSocketConnection::sendClose(int code, const QString &reason, CloseInitiator initiator)
{
    m_state = State::Closing;
    m_closeCode = code;
    m_closeReason = reason;
    // Answering a close frame echoes its code (RFC 6455 §5.5.1), an empty one with an empty one.
    write(WebSocketFrame::close(code, reason));
    if (initiator == CloseInitiator::Local)
        m_transport->flush();
    else
        m_transport->shutdownWhenWritten(); // the server ends the TCP connection first (§7.1.1)
    m_closeTimerId = startTimer(m_closeTimeoutMs);
    if (m_handler)
        m_handler->onClosing(initiator);
}

void WebSocketConnection::onBytesReceived(const char *data, qsizetype size)
{
    if (m_parsing) {
        m_deferredInput.append(data, size); // parsed once the run in progress is done
        return;
    }
    m_parsing = true;
    parse(data, size);
    while (!m_deferredInput.isEmpty() && m_state != State::Closed) {
        const QByteArray more = std::exchange(m_deferredInput, QByteArray());
        parse(more.constData(), more.size());
    }
    m_deferredInput = QByteArray();
    m_parsing = false;
    if (m_pongDue) {
        m_pongDue = false;
        if (m_state == State::Open) {
            write(WebSocketFrame::pong(std::exchange(m_pongPayload, QByteArray())));
            m_transport->flush();
        }
    }
}

void WebSocketConnection::parse(const char *data, qsizetype size)
{
    m_parser.feed(data, size);
    while (m_state != State::Closed) {
        WebSocketParser::Event event = m_parser.next();
        switch (event.kind) {
        case WebSocketParser::Kind::NeedMore:
            return;
        case WebSocketParser::Kind::Text:
            m_messageWireBytes = event.wireBytes;
            m_messageFrames = event.frames;
            if (m_state == State::Open && m_handler)
                m_handler->onTextMessage(event.payload);
            break;
        case WebSocketParser::Kind::Binary:
            m_messageWireBytes = event.wireBytes;
            m_messageFrames = event.frames;
            if (m_state == State::Open && m_handler)
                m_handler->onBinaryMessage(event.payload);
            break;
        case WebSocketParser::Kind::Ping:
            if (m_state == State::Open) {
                m_pongPayload = event.payload;
                m_pongDue = true;
            }
            break;
        case WebSocketParser::Kind::Pong:
            if (m_state == State::Open && m_pingSent.isValid()) {
                const qint64 rttMs = m_pingSent.elapsed();
                m_pingSent.invalidate();
                if (m_handler)
                    m_handler->onPong(rttMs);
            }
            break;
        case WebSocketParser::Kind::Close:
            if (m_state == State::Open)
                sendClose(event.code, event.reason, CloseInitiator::Peer);
            else
                m_transport->shutdownWhenWritten(); // the answer to our close frame
            return;
        case WebSocketParser::Kind::Error:
            qCDebug(lcWebSocket) << peerAddress() << "failed the protocol:" << event.code << event.reason;
            if (m_state == State::Open)
                sendClose(event.code, event.reason, CloseInitiator::Violation);
            else
                m_transport->abort();
            return;
        }
    }
}

void WebSocketConnection::onTransportEnded(ByteTransport::End how, const QString &error)
{
    const State before = m_state;
    m_state = State::Closed;
    if (m_closeTimerId) {
        killTimer(m_closeTimerId);
        m_closeTimerId = 0;
    }
    if (!m_handler) {
        deleteLater();
        return;
    }
    if (before == State::Open && how != ByteTransport::End::Aborted)
        m_handler->onFailed(error.isEmpty() ? QStringLiteral("The remote host closed the connection") : error);
    m_handler->onDisconnected();
}

void WebSocketConnection::onBytesWritten()
{
    if (m_handler)
        m_handler->onBytesWritten();
}

void WebSocketConnection::timerEvent(QTimerEvent *event)
{
    if (event->timerId() != m_closeTimerId)
        return QObject::timerEvent(event);
    killTimer(m_closeTimerId);
    m_closeTimerId = 0;
    qCDebug(lcWebSocket) << peerAddress() << "did not finish the closing handshake in" << m_closeTimeoutMs << "ms";
    abort();
}
