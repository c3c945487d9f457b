#pragma once

#include <QString>

// Where the cluster's Redis is: redis://HOST:PORT[/DB] (port 6379 and database 0 when left out).
struct RedisEndpoint
{
    QString host;
    quint16 port = 6379;
    int database = 0;

    // Parses url; on error returns false and sets *error to a message naming what is wrong.
    static bool parse(const QString &url, RedisEndpoint *endpoint, QString *error);
    // Empty when url parses, else why not.
    static QString whyInvalidUrl(const QString &url);
    // Empty when name can name a cluster (Redis channel and key prefix), else why not.
    static QString whyInvalidClusterName(const QString &name);
    QString toString() const;
};
