#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QVector>

// One Switchboard instance of the cluster, as its last heartbeat described it.
struct ClusterInstance
{
    QString id;          // random per start
    QString address;     // host:port it serves on
    int clients = 0;     // WebSocket clients open there
    qint64 lastSeenMs = 0;
    bool self = false;
};

// What the cluster link knows: for /healthz, /api/cluster, /metrics and the dashboard.
struct ClusterStatus
{
    bool enabled = false; // false: started without --redis
    bool linkUp = false;
    QString name;         // --cluster
    QString redis;        // redis://host:port/db
    QString instanceId;
    QString lastError;    // why the link last went down
    QVector<ClusterInstance> instances; // this one first, then the others by id
    quint64 published = 0;      // broadcasts sent to the other instances
    quint64 received = 0;       // broadcasts from other instances delivered here
    quint64 droppedLinkDown = 0; // not published: the link was down
    quint64 droppedBacklog = 0;  // not published: too much still waiting for Redis
    quint64 invalid = 0;         // publications on our channel that were no envelope
    quint64 linkLosses = 0;      // times the link went down

    QJsonObject toJson() const;
};

Q_DECLARE_METATYPE(ClusterStatus)
