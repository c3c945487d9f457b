#include "WebSocketHandshake.h"

#include "../server/HttpRequestHead.h"

#include <QCryptographicHash>

namespace WebSocketHandshake {

QStringList offeredSubprotocols(const HttpRequestHead &head)
{
    QStringList offered;
    const QByteArray header = head.header("sec-websocket-protocol");
    if (header.isEmpty())
        return offered;
    for (const QByteArray &protocol : header.split(',')) {
        const QByteArray name = protocol.trimmed();
        if (!name.isEmpty())
            offered.append(QString::fromUtf8(name));
    }
    return offered;
}

QString chooseSubprotocol(const HttpRequestHead &head, const QStringList &supported)
{
    const QStringList offered = offeredSubprotocols(head);
    for (const QString &protocol : offered) {
        if (supported.contains(protocol))
            return protocol;
    }
    return {};
}

QByteArray acceptKey(const QByteArray &clientKey)
{
    static const QByteArray kGuid("258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    return QCryptographicHash::hash(clientKey.trimmed() + kGuid, QCryptographicHash::Sha1).toBase64();
}

QByteArray response(const HttpRequestHead &head, const QString &subprotocol)
{
    QByteArray bytes = "HTTP/1.1 101 Switching Protocols\r\n"
                       "Server: Switchboard\r\n"
                       "Upgrade: websocket\r\n"
                       "Connection: Upgrade\r\n"
                       "Sec-WebSocket-Accept: ";
    bytes += acceptKey(head.header("sec-websocket-key"));
    bytes += "\r\n";
    if (!subprotocol.isEmpty())
        bytes += "Sec-WebSocket-Protocol: " + subprotocol.toUtf8() + "\r\n";
    bytes += "\r\n";
    return bytes;
}

} // namespace WebSocketHandshake
