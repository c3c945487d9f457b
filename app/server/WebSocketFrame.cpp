#include "WebSocketFrame.h"

namespace WebSocketFrame {

QByteArray encode(bool binary, const QByteArray &payload)
{
    constexpr char kFin = char(0x80);
    constexpr char kText = 0x1;
    constexpr char kBinary = 0x2;
    const quint64 size = quint64(payload.size());
    QByteArray frame;
    frame.reserve(payload.size() + 10);
    frame.append(char(kFin | (binary ? kBinary : kText)));
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
    frame.append(payload);
    return frame;
}

} // namespace WebSocketFrame
