#pragma once

#include <QMetaType>
#include <QString>
#include <QVector>

// A snapshot of one client session, as the dashboard, the admin API and tests see it.
struct ClientInfo
{
    enum class State : quint8 { Open, Closing, Closed };
    enum class ClosedBy : quint8 { Nobody, Client, Server, Network };

    quint64 id = 0;
    QString peerAddress;
    quint16 peerPort = 0;
    QString route;       // the route pattern that matched, e.g. "/chat/:room"
    QString path;        // the request path and query as sent (secrets redacted)
    QString room;        // chat routes: the room joined
    QString subprotocol; // negotiated, empty when none
    QString extensions;  // negotiated (the Sec-WebSocket-Extensions answer), empty when none
    QString origin;
    QString userAgent;
    qint64 connectedAtMs = 0;
    qint64 messagesIn = 0;
    qint64 messagesOut = 0;
    qint64 bytesIn = 0;
    qint64 bytesOut = 0;     // payload bytes
    qint64 wireBytesOut = 0; // frame bytes as sent (compressed where permessage-deflate applied)
    qint64 bytesToWrite = 0; // our bufferedAmount
    qint64 messagesDropped = 0; // not sent because the client was too slow to read
    qint64 lastRttMs = -1;   // -1 until a ping has been answered
    State state = State::Open;
    int closeCode = 0;
    QString closeReason;
    ClosedBy closedBy = ClosedBy::Nobody;
    qint64 closedAtMs = 0;
    QString upstreamUrl;   // proxy routes: the upstream leg's URL (empty on other routes)
    QString upstreamState; // proxy routes: "connecting", "open" or "closed"
    int holding = 0;       // proxy routes: the directions held (ProxyHoldQueue::Direction bits)
    int heldMessages = 0;  // ...and how many messages, bytes wait in the hold queue
    qint64 heldBytes = 0;

    static QString stateName(State state);
    static QString closedByName(ClosedBy closedBy);
};

using ClientInfoList = QVector<ClientInfo>;

Q_DECLARE_METATYPE(ClientInfo)
Q_DECLARE_METATYPE(ClientInfoList)
