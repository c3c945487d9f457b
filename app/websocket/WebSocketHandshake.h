#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

struct HttpRequestHead;

// The server's half of the RFC 6455 opening handshake (§4.2.2), for a request the gate has
// already checked (GET, version 13, a valid key, a known route, an offered subprotocol it has).
namespace WebSocketHandshake {

// The subprotocols the client offered, in its order of preference.
QStringList offeredSubprotocols(const HttpRequestHead &head);

// The first offered subprotocol the route supports, or an empty string.
QString chooseSubprotocol(const HttpRequestHead &head, const QStringList &supported);

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.
QByteArray acceptKey(const QByteArray &clientKey);

// The complete "101 Switching Protocols" response.
QByteArray response(const HttpRequestHead &head, const QString &subprotocol);

} // namespace WebSocketHandshake
