#include "WebSocketFrame.h"

#include "CloseCode.h"

#include <cstring>

namespace WebSocketFrame {

namespace {

enum Opcode : char { TextFrame = 0x1, BinaryFrame = 0x2, CloseFrame = 0x8, PingFrame = 0x9, PongFrame = 0xA };

QByteArray frame(char opcode, const char *payload, qsizetype payloadSize)
{
    constexpr char kFin = char(0x80);
    const auto size = quint64(payloadSize);
    QByteArray frame;
    frame.reserve(payloadSize + 10);
    frame.append(char(kFin | opcode));
    // The shortest length form is required (RFC 6455 5.2); no mask bit from a server.
    if (size < 126) {
        frame.append(char(size));
    } else if (size <= 0xFFFF) {
        frame.append(char(126));
        frame.append(char(size >> 8));
        frame.append(char(size & 0xFF));
    } else {
        frame.append(char(127));
        for (int shift = 56; shift >= 0; shift -= 8)
            frame.append(char((size >> shift) & 0xFF));
    }
    frame.append(payload, payloadSize);
    return frame;
}

} // namespace

QByteArray encode(bool binary, const QByteArray &payload)
{
    return frame(binary ? BinaryFrame : TextFrame, payload.constData(), payload.size());
}

QByteArray encodeCompressed(bool binary, const QByteArray &deflated)
{
    constexpr char kRsv1 = 0x40;
    return frame(char(kRsv1 | (binary ? BinaryFrame : TextFrame)), deflated.constData(), deflated.size());
}

QByteArray ping(const QByteArray &payload)
{
    return frame(PingFrame, payload.constData(), payload.size());
}

QByteArray pong(const QByteArray &payload)
{
    return frame(PongFrame, payload.constData(), payload.size());
}

QByteArray close(int code, const QString &reason)
{
    if (code == CloseCode::NoStatusReceived)
        return frame(CloseFrame, nullptr, 0);
    QByteArray payload;
    payload.append(char((code >> 8) & 0xFF));
    payload.append(char(code & 0xFF));
    payload.append(reason.toUtf8());
    return frame(CloseFrame, payload.constData(), payload.size());
}

QByteArray masked(const QByteArray &serverFrame, quint32 maskKey)
{
    if (serverFrame.size() < 2)
        return serverFrame;
    const quint8 lengthByte = quint8(serverFrame.at(1)) & 0x7F;
    const qsizetype headerSize = lengthByte == 127 ? 10 : lengthByte == 126 ? 4 : 2;
    const qsizetype payloadSize = serverFrame.size() - headerSize;
    const unsigned char key[4] = {quint8(maskKey >> 24), quint8(maskKey >> 16), quint8(maskKey >> 8), quint8(maskKey)};
    QByteArray frame(headerSize + 4 + payloadSize, Qt::Uninitialized);
    char *out = frame.data();
    std::memcpy(out, serverFrame.constData(), size_t(headerSize));
    out[1] = char(out[1] | 0x80);
    std::memcpy(out + headerSize, key, 4);
    const char *payload = serverFrame.constData() + headerSize;
    char *maskedPayload = out + headerSize + 4;
    for (qsizetype i = 0; i < payloadSize; ++i)
        maskedPayload[i] = char(payload[i] ^ key[i & 3]);
    return frame;
}

} // namespace WebSocketFrame
