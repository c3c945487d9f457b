#pragma once

#include "ClusterMessage.h"
#include "ClusterStatus.h"
#include "RedisConnection.h"
#include "RedisEndpoint.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QTimer>
#include <functional>

// Joins this instance to a cluster of Switchboard instances sharing one Redis: broadcasts are
// published once on the channel "<cluster>:messages" and every instance delivers them to its own
// clients; presence heartbeats go on "<cluster>:presence" (and an expiring key
// "<cluster>:instance:<id>" for outside tools). Two hiredis connections on this thread's event
// loop: one subscribed, one for PUBLISH and SET. When Redis is away the link says so, drops (and
// counts) what it cannot publish, and reconnects with capped exponential backoff; local traffic
// never waits for it.
class ClusterLink : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        RedisEndpoint endpoint;
        QString name = QStringLiteral("switchboard");
        int heartbeatMs = 1000;        // presence heartbeat and key refresh
        int instanceTimeoutMs = 3000;  // an instance not heard from this long is gone
        int connectTimeoutMs = 2000;
        int reconnectMinMs = 100;      // backoff doubles from here...
        int reconnectMaxMs = 5000;     // ...up to here
        int maxPendingPublishes = 10000;            // replies Redis still owes us, and...
        qint64 maxPendingBytes = 32 * 1024 * 1024;  // ...bytes not yet written: past either, drop
    };

    ClusterLink(Options options, std::function<int()> clientCount, QObject *parent = nullptr);
    ~ClusterLink() override;

    // Starts connecting; address (host:port) is what the presence heartbeat announces.
    void start(const QString &address);
    // Says goodbye (the others drop this instance at once) and disconnects. Returns true when
    // left() will follow once the goodbye is written, false when there was nothing to say.
    bool leave();

    // Publishes to the other instances (origin set here). False when dropped, and counted: the
    // link is down, or Redis is too far behind.
    bool publish(ClusterMessage message);

    bool isUp() const { return m_up; }
    QString instanceId() const { return m_id; }
    ClusterStatus status() const;

Q_SIGNALS:
    // A broadcast from another instance: deliver it to the local clients. Never our own.
    void messageReceived(const ClusterMessage &message);
    void linkChanged(bool up, const QString &why);
    // Instances came, went or changed their client counts.
    void instancesChanged();
    void left();

private:
    void connectNow();
    void onPublisherConnected();
    void onSubscribed(const QByteArray &channel);
    void checkReady();
    void linkFailed(const QString &why);
    void onMessage(const QByteArray &channel, const QByteArray &payload);
    void onPresence(const QByteArray &payload);
    void tick();
    QByteArray heartbeat(const char *state) const;

    Options m_options;
    std::function<int()> m_clientCount;
    QString m_id;
    QString m_address;
    QByteArray m_messagesChannel;
    QByteArray m_presenceChannel;
    QByteArray m_instanceKey;

    RedisConnection m_subscriber;
    RedisConnection m_publisher;
    bool m_started = false;
    bool m_leaving = false;
    bool m_up = false;
    bool m_publisherReady = false;
    int m_channelsSubscribed = 0;
    bool m_downReported = false; // said "down" since the last "up"
    bool m_dropReported = false; // said "dropping" since the last "up"
    QString m_lastError;
    int m_backoffMs = 0;
    QTimer m_reconnectTimer;
    QTimer m_tickTimer;
    QElapsedTimer m_clock;
    qint64 m_lastEchoMs = 0; // our own heartbeat last came back through Redis
    int m_lastClientCount = -1;

    QHash<QString, ClusterInstance> m_others;
    ClusterStatus m_counters; // only the counters are used
};
