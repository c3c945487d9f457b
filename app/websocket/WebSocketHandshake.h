#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

// The server's half of the RFC 6455 opening handshake (§4.2.2), for a request the gate has
// already checked (GET, version 13, a valid key, a known route, an offered subprotocol it has).
// It takes header values, not a parsed request: the WebSocket layer knows nothing of HTTP parsing.
namespace WebSocketHandshake {

// The subprotocols a Sec-WebSocket-Protocol value offers (all its lines joined by ", "), in the
// client's order of preference.
QStringList offeredSubprotocols(const QByteArray &protocolHeader);

// The first offered subprotocol the route supports, or an empty string.
QString chooseSubprotocol(const QByteArray &protocolHeader, const QStringList &supported);

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.
QByteArray acceptKey(const QByteArray &clientKey);

// The complete "101 Switching Protocols" response to a client's Sec-WebSocket-Key; `extensions`,
// when not empty, is the Sec-WebSocket-Extensions answer (DeflateParameters::responseHeader()).
QByteArray response(const QByteArray &clientKey, const QString &subprotocol, const QByteArray &extensions = {});

} // namespace WebSocketHandshake
