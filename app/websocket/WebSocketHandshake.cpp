#include "WebSocketHandshake.h"

#include <QCryptographicHash>

namespace WebSocketHandshake {

QStringList offeredSubprotocols(const QByteArray &protocolHeader)
{
    QStringList offered;
    if (protocolHeader.isEmpty())
        return offered;
    for (const QByteArray &protocol : protocolHeader.split(',')) {
        const QByteArray name = protocol.trimmed();
        if (!name.isEmpty())
            offered.append(QString::fromUtf8(name));
    }
    return offered;
}

QString chooseSubprotocol(const QByteArray &protocolHeader, const QStringList &supported)
{
    const QStringList offered = offeredSubprotocols(protocolHeader);
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

QByteArray response(const QByteArray &clientKey, const QString &subprotocol, const QByteArray &extensions)
{
    QByteArray bytes = "HTTP/1.1 101 Switching Protocols\r\n"
                       "Server: Switchboard\r\n"
                       "Upgrade: websocket\r\n"
                       "Connection: Upgrade\r\n"
                       "Sec-WebSocket-Accept: ";
    bytes += acceptKey(clientKey);
    bytes += "\r\n";
    if (!subprotocol.isEmpty())
        bytes += "Sec-WebSocket-Protocol: " + subprotocol.toUtf8() + "\r\n";
    if (!extensions.isEmpty())
        bytes += "Sec-WebSocket-Extensions: " + extensions + "\r\n";
    bytes += "\r\n";
    return bytes;
}

} // namespace WebSocketHandshake
