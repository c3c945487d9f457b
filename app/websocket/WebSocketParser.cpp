#include "WebSocketParser.h"

#include "CloseCode.h"
#include "PerMessageDeflate.h"

#include <QByteArrayView>
#include <cstring>
#include <utility>

namespace {

enum Opcode : quint8 { Continuation = 0x0, TextFrame = 0x1, BinaryFrame = 0x2, CloseFrame = 0x8, PingFrame = 0x9, PongFrame = 0xA };

// Copies the payload while removing the client's mask, eight bytes at a time where it can.
void unmask(const char *payload, qsizetype size, const unsigned char mask[4], char *out)
{
    quint64 mask64 = 0;
    std::memcpy(&mask64, mask, 4);
    mask64 |= mask64 << 32;
    qsizetype i = 0;
    for (; i + 8 <= size; i += 8) {
        quint64 chunk;
        std::memcpy(&chunk, payload + i, 8);
        chunk ^= mask64;
        std::memcpy(out + i, &chunk, 8);
    }
    for (; i < size; ++i)
        out[i] = char(payload[i] ^ mask[i & 3]);
}

} // namespace

void WebSocketParser::feed(const char *data, qsizetype size)
{
    if (m_failed || size <= 0)
        return;
    if (m_tail.isEmpty()) {
        m_input = data;
        m_inputSize = size;
    } else {
        m_tail.append(data, size);
        m_input = m_tail.constData();
        m_inputSize = m_tail.size();
    }
    m_offset = 0;
}

void WebSocketParser::keepTail()
{
    const bool fromTail = !m_tail.isEmpty() && m_input == m_tail.constData();
    const qsizetype left = m_inputSize - m_offset;
    if (fromTail) {
        m_tail.remove(0, m_offset);
    } else if (left > 0) {
        m_tail = QByteArray(m_input + m_offset, left);
    }
    if (m_tail.isEmpty())
        m_tail = QByteArray(); // release the buffer: an idle connection keeps nothing
    m_input = nullptr;
    m_inputSize = 0;
    m_offset = 0;
}

WebSocketParser::Event WebSocketParser::fail(int code, const QString &reason)
{
    m_failed = true;
    m_tail = QByteArray();
    m_message = QByteArray();
    m_input = nullptr;
    m_inputSize = m_offset = 0;
    Event event;
    event.kind = Kind::Error;
    event.code = code;
    event.reason = reason;
    return event;
}

WebSocketParser::Event WebSocketParser::next()
{
    for (;;) {
        if (m_failed)
            return {};
        const auto *bytes = reinterpret_cast<const unsigned char *>(m_input + m_offset);
        const qsizetype available = m_inputSize - m_offset;
        if (available < 2) {
            keepTail();
            return {};
        }
        const bool fin = bytes[0] & 0x80;
        const quint8 opcode = bytes[0] & 0x0F;
        const bool control = opcode & 0x08;
        const bool rsv1 = bytes[0] & 0x40;
        if (bytes[0] & 0x30)
            return fail(CloseCode::ProtocolError, QStringLiteral("reserved bits set, but no extension was negotiated"));
        if (rsv1 && !m_deflate)
            return fail(CloseCode::ProtocolError, QStringLiteral("RSV1 set, but permessage-deflate was not negotiated"));
        // RFC 7692 §6.1: only the first frame of a data message may say it is compressed.
        if (rsv1 && (control || opcode == Continuation))
            return fail(CloseCode::ProtocolError, QStringLiteral("RSV1 set on a control or continuation frame"));
        const bool masked = bytes[1] & 0x80;
        if (!masked && !m_serverFrames)
            return fail(CloseCode::ProtocolError, QStringLiteral("a client frame was not masked"));
        if (masked && m_serverFrames)
            return fail(CloseCode::ProtocolError, QStringLiteral("a server frame was masked"));
        if (opcode != Continuation && opcode != TextFrame && opcode != BinaryFrame && opcode != CloseFrame
            && opcode != PingFrame && opcode != PongFrame) {
            return fail(CloseCode::ProtocolError, QStringLiteral("unknown opcode %1").arg(opcode));
        }
        quint64 length = bytes[1] & 0x7F;
        qsizetype headerSize = 2;
        if (length == 126) {
            if (available < 4) {
                keepTail();
                return {};
            }
            length = (quint64(bytes[2]) << 8) | bytes[3];
            headerSize = 4;
        } else if (length == 127) {
            if (available < 10) {
                keepTail();
                return {};
            }
            length = 0;
            for (int i = 2; i < 10; ++i)
                length = (length << 8) | bytes[i];
            headerSize = 10;
            if (length >> 63)
                return fail(CloseCode::ProtocolError, QStringLiteral("frame length has its most significant bit set"));
        }
        if (control && (!fin || length > 125))
            return fail(CloseCode::ProtocolError, QStringLiteral("a control frame was fragmented or longer than 125 bytes"));
        if (!control) {
            if (opcode == Continuation && !m_inMessage)
                return fail(CloseCode::ProtocolError, QStringLiteral("a continuation frame without a message to continue"));
            if (opcode != Continuation && m_inMessage)
                return fail(CloseCode::ProtocolError, QStringLiteral("a new message began before the last one ended"));
            // Refuse before buffering anything: a client cannot make us hold more than the limit.
            if (length + quint64(m_message.size()) > quint64(m_maxMessageBytes)) { // length < 2^63
                return fail(CloseCode::MessageTooBig,
                            QStringLiteral("message over the %1-byte limit").arg(m_maxMessageBytes));
            }
        }
        static const unsigned char kNoMask[4] = {0, 0, 0, 0}; // unmasking with zeros copies
        if (masked)
            headerSize += 4;
        if (quint64(available) < quint64(headerSize) + length) {
            keepTail();
            return {};
        }
        const unsigned char *mask = masked ? bytes + headerSize - 4 : kNoMask;
        const char *payload = reinterpret_cast<const char *>(bytes + headerSize);
        const auto size = qsizetype(length);
        m_offset += headerSize + size;

        if (control) {
            Event event;
            event.payload.resize(size);
            unmask(payload, size, mask, event.payload.data());
            if (opcode == PingFrame) {
                event.kind = Kind::Ping;
            } else if (opcode == PongFrame) {
                event.kind = Kind::Pong;
            } else {
                event.kind = Kind::Close;
                if (size == 0) {
                    event.code = CloseCode::NoStatusReceived;
                } else if (size == 1) {
                    return fail(CloseCode::ProtocolError, QStringLiteral("a close frame with a one-byte payload"));
                } else {
                    event.code = (quint8(event.payload.at(0)) << 8) | quint8(event.payload.at(1));
                    if (!CloseCode::isSendable(event.code))
                        return fail(CloseCode::ProtocolError, QStringLiteral("invalid close code %1").arg(event.code));
                    const QByteArrayView reason = QByteArrayView(event.payload).sliced(2);
                    if (!reason.isValidUtf8())
                        return fail(CloseCode::InvalidPayload, QStringLiteral("the close reason is not UTF-8"));
                    event.reason = QString::fromUtf8(reason);
                }
                event.payload.clear();
                m_failed = true; // nothing after a close frame counts
                m_tail = QByteArray();
                m_message = QByteArray(); // nor the message it interrupted
            }
            return event;
        }

        if (fin && opcode != Continuation) {
            // The common case: a whole message in one frame, copied once.
            QByteArray whole(size, Qt::Uninitialized);
            unmask(payload, size, mask, whole.data());
            return message(opcode == BinaryFrame, std::move(whole), rsv1, false, headerSize + size, 1);
        }
        if (opcode != Continuation) {
            m_inMessage = true;
            m_messageBinary = opcode == BinaryFrame;
            m_messageCompressed = rsv1;
            m_messageWireBytes = 0;
            m_messageFrames = 0;
            m_utf8.reset();
        }
        m_messageWireBytes += headerSize + size;
        ++m_messageFrames;
        const qsizetype start = m_message.size();
        m_message.resize(start + size);
        unmask(payload, size, mask, m_message.data() + start);
        const bool checkFragment = !m_messageBinary && !m_messageCompressed;
        if (checkFragment && !m_utf8.feed(m_message.constData() + start, size))
            return fail(CloseCode::InvalidPayload, QStringLiteral("a text message that is not UTF-8"));
        if (!fin)
            continue;
        m_inMessage = false;
        if (checkFragment && !m_utf8.isComplete())
            return fail(CloseCode::InvalidPayload, QStringLiteral("a text message that is not UTF-8"));
        return message(m_messageBinary, std::exchange(m_message, QByteArray()), m_messageCompressed, checkFragment,
                       m_messageWireBytes, m_messageFrames);
    }
}

WebSocketParser::Event WebSocketParser::message(bool binary, QByteArray payload, bool compressed, bool utf8Checked,
                                               qint64 wireBytes, int frames)
{
    Event event;
    event.kind = binary ? Kind::Binary : Kind::Text;
    event.wireBytes = wireBytes;
    event.frames = frames;
    if (compressed) {
        switch (m_deflate->inflate(payload, m_maxMessageBytes, &event.payload)) {
        case PerMessageDeflate::InflateResult::Ok:
            break;
        case PerMessageDeflate::InflateResult::TooBig:
            return fail(CloseCode::MessageTooBig,
                        QStringLiteral("message inflates past the %1-byte limit").arg(m_maxMessageBytes));
        case PerMessageDeflate::InflateResult::Corrupt:
            return fail(CloseCode::InvalidPayload, QStringLiteral("a compressed message that does not inflate"));
        }
    } else {
        event.payload = std::move(payload);
    }
    if (event.kind == Kind::Text && !utf8Checked && !QByteArrayView(event.payload).isValidUtf8())
        return fail(CloseCode::InvalidPayload, QStringLiteral("a text message that is not UTF-8"));
    return event;
}
