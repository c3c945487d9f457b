#pragma once

#include <QByteArray>
#include <QString>

// RFC 6455 frames as a server sends them: unmasked, FIN set, the whole message in one frame.
// Encoded once, the same bytes go to every recipient of a broadcast.
namespace WebSocketFrame {

// A text frame's payload must be UTF-8; the caller has it from the client's own message.
QByteArray encode(bool binary, const QByteArray &payload);
// The same with RSV1 set: `deflated` is the message compressed by permessage-deflate.
QByteArray encodeCompressed(bool binary, const QByteArray &deflated);

// Control frames: the payload must be at most 125 bytes (the caller keeps it so).
QByteArray ping(const QByteArray &payload);
QByteArray pong(const QByteArray &payload);
// A close frame with the code and reason, or an empty one for code 1005 (no status).
// The reason must already fit (CloseCode::truncateReason).
QByteArray close(int code, const QString &reason);

// The same frame as a client must send it (RFC 6455 §5.3): mask bit set, `maskKey` inserted
// after the length and the payload XORed with it. `serverFrame` is one of the frames above.
QByteArray masked(const QByteArray &serverFrame, quint32 maskKey);

} // namespace WebSocketFrame
