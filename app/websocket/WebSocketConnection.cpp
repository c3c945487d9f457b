#include "WebSocketConnection.h"

#include "OutgoingMessage.h"
#include "PerMessageDeflate.h"
#include "WebSocketFrame.h"
#include "CloseCode.h"

#include <QLoggingCategory>
#include <QRandomGenerator>
#include <utility>

Q_DECLARE_LOGGING_CATEGORY(lcWebSocket)

WebSocketConnection::WebSocketConnection(std::unique_ptr<ByteTransport> transport, QString subprotocol,
                                         qint64 maxMessageBytes, QObject *parent)
    : WebSocketEndpoint(parent), m_transport(std::move(transport)), m_parser(maxMessageBytes),
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
    queueBytes(frame);
    return frame.size();
}

void WebSocketConnection::queueFrame(const QByteArray &frame)
{
    if (m_state == State::Open)
        queueBytes(frame);
}

void WebSocketConnection::queueBytes(const QByteArray &bytes)
{
    // Every frame goes out through here: masked in the client role.
    const QByteArray wire = m_clientRole ? WebSocketFrame::masked(bytes, QRandomGenerator::global()->generate()) : bytes;
    m_bytesQueued += wire.size();
    m_transport->write(wire);
}

void WebSocketConnection::setClientRole()
{
    m_clientRole = true;
    m_parser.setReadingServerFrames(true);
}

void WebSocketConnection::pauseReading(bool paused)
{
    m_readingHeld = paused;
    m_transport->setReadingPaused(m_readingHeld || m_readingPaused);
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
    queueBytes(WebSocketFrame::ping(payload.left(125)));
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
    // It is written whatever the budget: one frame, and nothing follows it.
    queueBytes(WebSocketFrame::close(code, reason));
    if (initiator == CloseInitiator::Local)
        m_transport->flush();
    else
        m_transport->shutdownWhenWritten(); // the server ends the TCP connection first (§7.1.1)
    startCloseTimer();
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
    answerPing();
    checkBudget();
}

bool WebSocketConnection::pongInFlight() const
{
    // Written so far = queued - still waiting. Over TLS the waiting count includes encryption
    // overhead, so this errs towards "still waiting" and is exact once the queue is empty.
    return m_pongEnd > m_bytesQueued - m_transport->bytesToWrite();
}

void WebSocketConnection::answerPing()
{
    if (!m_pongDue || m_state != State::Open || m_parsing || pongInFlight())
        return;
    if (m_outgoingBudget > 0 && m_transport->bytesToWrite() > m_outgoingBudget)
        return; // a pong counts against the budget like any frame: it waits for the drain
    m_pongDue = false;
    queueBytes(WebSocketFrame::pong(std::exchange(m_pongPayload, QByteArray())));
    m_pongEnd = m_bytesQueued;
    m_transport->flush();
}

void WebSocketConnection::checkBudget()
{
    if (m_outgoingBudget <= 0 || m_state == State::Closed)
        return;
    const qint64 waiting = m_transport->bytesToWrite();
    if (!m_readingPaused && waiting > m_outgoingBudget) {
        m_readingPaused = true;
        m_transport->setReadingPaused(true);
        qCDebug(lcWebSocket) << peerAddress() << "not read while" << waiting << "bytes wait to be written";
        if (m_handler)
            m_handler->onOutgoingBudgetExceeded();
    } else if (m_readingPaused && waiting <= m_outgoingBudget / 2) {
        m_readingPaused = false;
        m_transport->setReadingPaused(m_readingHeld);
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
    const bool failed = before == State::Open && how != ByteTransport::End::Aborted;
    finish(!failed ? QString() : error.isEmpty() ? QStringLiteral("The remote host closed the connection") : error);
}

void WebSocketConnection::onBytesWritten()
{
    answerPing();
    checkBudget();
    if (m_handler)
        m_handler->onBytesWritten();
}
