#pragma once

#include "RouteTable.h"
#include "../websocket/WebSocketBackend.h"

#include <QString>
#include <QStringList>

// Everything the engine needs to start: where to listen, which routes, which limits.
// Defaults are the documented ones; the CLI and a config file override them.
struct ServerConfig
{
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 8080;
    RouteTable routes = RouteTable::defaults();

    // Front door
    int maxHeadBytes = 16 * 1024; // larger request heads get 431
    int headTimeoutMs = 5000;     // heads not complete by then get 408
    int upgradeTimeoutMs = 5000;  // unused: the upgrade completes with the head; still read from older config files

    // Origins allowed besides the server's own (exact match, "*" allows every origin).
    QStringList allowedOrigins;

    // WebSocket clients must present this token (?token=, Authorization: Bearer, or the cookie
    // switchboard_token) when it is set; otherwise 401.
    QString token;

    // The admin HTTP API (/api/*) is on only when this is set, and then needs
    // "Authorization: Bearer <adminToken>". Visible ASCII, at most 256 bytes.
    QString adminToken;
    // Empty when token is usable as an admin token, else why not.
    static QString whyInvalidAdminToken(const QString &token);

    // TLS: with both set, the port serves https:// and wss:// only (PEM files; see TlsCredentials).
    // Relative paths in a config file are relative to that file's folder.
    QString tlsCertPath;
    QString tlsKeyPath;
    bool tlsEnabled() const { return !tlsCertPath.isEmpty() || !tlsKeyPath.isEmpty(); }
    // Proxy routes: a PEM file of certificates trusted for wss:// upstreams besides the system's.
    QString upstreamCaPath;

    // Admission (before any upgrade)
    int maxConnections = 20000;     // more get 503
    int maxConnectionsPerIp = 1000; // more from one address get 429
    int listenBacklog = 0; // connections the kernel queues before accept; 0: the system's maximum

    // permessage-deflate (RFC 7692): false (--no-deflate, or "deflate": false) turns it off on every
    // route; otherwise each route's "deflate" says (RouteSpec::deflate).
    bool deflate = true;

    // Who speaks RFC 6455 (--websocket-backend, "websocketBackend"): our own layer, or Qt's
    // QWebSocketServer (no permessage-deflate; see the README's caveats).
    WebSocketBackend websocketBackend = WebSocketBackend::Native;

    // Sessions
    qint64 maxMessageBytes = 1024 * 1024; // larger messages (or frames) close the client with 1009
    int shutdownGraceMs = 2000;           // how long stop() and operator closes wait for close handshakes
    double messagesPerSecond = 1000;      // per-client rate; faster clients are closed with 1008
    int messageBurst = 2000;              // messages a client may send at once before the rate applies
    int heartbeatIntervalMs = 30000;      // ping a client silent this long; 0 turns heartbeats off
    int heartbeatTimeoutMs = 10000;       // no pong within this: drop, recorded as 1006 "heartbeat timeout"

    // Slow consumers: when bytes waiting to be written to a client pass maxBufferedBytes...
    enum class SlowConsumerPolicy { Drop, Close };
    qint64 maxBufferedBytes = 8 * 1024 * 1024;
    SlowConsumerPolicy slowConsumerPolicy = SlowConsumerPolicy::Close; // ...close it with 1013, or drop

    // Scale-out: with a Redis URL (redis://HOST:PORT[/DB]) the instance joins the cluster named
    // clusterName and shares broadcasts and presence with its other instances. Empty: no cluster.
    QString redisUrl;
    QString clusterName = QStringLiteral("switchboard");

    // Message log (the dashboard's in-memory log and the recording)
    int logCapacity = 100000;            // records kept in memory; older ones are evicted (and counted)
    int logPayloadCapBytes = 64 * 1024;  // payload bytes kept per in-memory record; the true size is kept
    qint64 logMaxBytes = 128LL * 1024 * 1024; // payload bytes kept in memory in all; the oldest records leave first
    QString recordPath;                  // non-empty: append every record, full payload, to this JSON Lines file
    qint64 recordMaxBytes = 100LL * 1024 * 1024; // the recording rotates (FILE -> FILE.1 ...) past this size
    int recordKeepFiles = 5;             // rotated parts kept besides the live file
    // Ranges the config file ("log" object) and the flags accept.
    static constexpr qint64 kMaxLogCapacity = 10000000;
    static constexpr qint64 kMaxLogPayloadCapBytes = 1LL << 30;
    static constexpr qint64 kMinLogMaxBytes = 64 * 1024;
    static constexpr qint64 kMaxLogMaxBytes = 1LL << 40;
    static constexpr qint64 kMinRecordMaxBytes = 1024;
    static constexpr qint64 kMaxRecordMaxBytes = 1LL << 40;
    static constexpr qint64 kMaxRecordKeepFiles = 1000;

    // Loads a JSON config file over these values. On error returns false and sets *error to a
    // message naming the file and the JSON path of the offending key; *this is then unchanged.
    bool loadFile(const QString &path, QString *error);
    bool loadJson(const QByteArray &json, const QString &sourceName, QString *error);

    // The JSON that loadJson() reads back to these values, every key it knows included, so a saved
    // file also documents them (the dashboard saves its settings with this).
    QByteArray toJson() const;
    // Writes toJson() atomically; owner-only permissions when the file holds a token.
    bool saveFile(const QString &path, QString *error) const;
};
