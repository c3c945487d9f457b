#pragma once

#include <QByteArray>

// RFC 6455 frames as a server sends them: unmasked, FIN set, the whole message in one frame.
// Encoded once, the same bytes go to every recipient of a broadcast (Qt's QWebSocket would
// convert and frame the message again for each one).
namespace WebSocketFrame {

// A text frame's payload must be UTF-8; the caller has it from the client's own message.
QByteArray encode(bool binary, const QByteArray &payload);

} // namespace WebSocketFrame
