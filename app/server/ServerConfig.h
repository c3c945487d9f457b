#pragma once

#include "RouteTable.h"

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
    int upgradeTimeoutMs = 5000;  // a socket handed to Qt that is not upgraded by then is dropped

    // Origins allowed besides the server's own (exact match, "*" allows every origin).
    QStringList allowedOrigins;

    // Sessions
    qint64 maxMessageBytes = 1024 * 1024; // larger messages close the client with 1009
    int shutdownGraceMs = 2000;           // how long stop() waits for close handshakes

    // Loads a JSON config file over these values. On error returns false and sets *error to a
    // message naming the file and the JSON path of the offending key; *this is then unchanged.
    bool loadFile(const QString &path, QString *error);
    bool loadJson(const QByteArray &json, const QString &sourceName, QString *error);
};
