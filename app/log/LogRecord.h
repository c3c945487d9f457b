#pragma once

#include <QByteArray>
#include <QMetaType>
#include <QString>
#include <QVector>

// One event in the message log: an open, a message, a ping, a close, a refused request...
// The payload is an implicitly shared QByteArray, so views and batches never copy it.
struct LogRecord
{
    // ToUpstream, FromUpstream: a proxy route's upstream leg (Switchboard -> upstream and back);
    // In and Out are always the client's leg.
    enum class Direction : quint8 { In, Out, Broadcast, System, ToUpstream, FromUpstream };
    // Script: a script route's console output and errors (issue 17).
    enum class Kind : quint8 { Text, Binary, Ping, Pong, Open, Close, Error, Refused, Script };

    quint64 sequence = 0;
    qint64 timestampMs = 0; // milliseconds since the Unix epoch
    quint64 clientId = 0;   // 0 when the record belongs to no client (e.g. a refused request)
    QString route;          // the request path, e.g. "/chat/lobby"
    Direction direction = Direction::System;
    Kind kind = Kind::Text;
    qint64 size = 0;        // true payload size, even when the stored payload is capped
    qint64 wireSize = 0;    // the message's frames on the wire (compressed where deflated; a broadcast's: all
                            // recipients' together); 0: not known
    int frames = 0;         // incoming messages: how many frames it came in (0: not known)
    QByteArray payload;
    int fanout = 0;         // broadcasts: how many clients it was delivered to
    int closeCode = 0;      // closes: the close code; refusals: the HTTP status
    QString detail;         // close reason, error text, why a request was refused

    // The detail of the server's keepalive pings and of the pongs that answer them.
    static constexpr char kHeartbeatDetail[] = "heartbeat";
    // A keepalive ping or its pong (the log hides them unless the "heartbeats" type is shown).
    bool isHeartbeat() const
    {
        return (kind == Kind::Ping || kind == Kind::Pong) && detail.startsWith(QLatin1String(kHeartbeatDetail));
    }

    // True when payload holds only the first bytes of the message (the in-memory cap): re-sending
    // it would not send the original.
    bool payloadTruncated() const { return payload.size() < size; }

    static QString directionName(Direction direction);
    static QString kindName(Kind kind);
    static bool directionFromName(const QString &name, Direction *direction);
    static bool kindFromName(const QString &name, Kind *kind);
};

using LogRecordBatch = QVector<LogRecord>;

Q_DECLARE_METATYPE(LogRecord)
Q_DECLARE_METATYPE(LogRecordBatch)
