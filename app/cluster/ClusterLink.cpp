#include "ClusterLink.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <algorithm>

Q_LOGGING_CATEGORY(lcCluster, "switchboard.cluster")

namespace {

// Invalid publications are counted; only the first few are also logged, so a foreign publisher
// on our channel cannot flood the log.
constexpr quint64 kInvalidLogged = 10;

QString newInstanceId()
{
    quint64 bits = QRandomGenerator::system()->generate64();
    return QString::number(bits & 0xffffffffffffULL, 16).rightJustified(12, QLatin1Char('0'));
}

} // namespace

ClusterLink::ClusterLink(Options options, std::function<int()> clientCount, QObject *parent)
    : QObject(parent), m_options(std::move(options)), m_clientCount(std::move(clientCount)), m_id(newInstanceId()),
      m_subscriber(QStringLiteral("cluster subscriber")), m_publisher(QStringLiteral("cluster publisher"))
{
    const QByteArray prefix = m_options.name.toUtf8();
    m_messagesChannel = prefix + ":messages";
    m_presenceChannel = prefix + ":presence";
    m_instanceKey = prefix + ":instance:" + m_id.toLatin1();
    m_backoffMs = m_options.reconnectMinMs;
    m_clock.start();

    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &ClusterLink::connectNow);
    m_tickTimer.setInterval(m_options.heartbeatMs);
    connect(&m_tickTimer, &QTimer::timeout, this, &ClusterLink::tick);

    connect(&m_publisher, &RedisConnection::connected, this, &ClusterLink::onPublisherConnected);
    connect(&m_publisher, &RedisConnection::disconnected, this, &ClusterLink::linkFailed);
    connect(&m_subscriber, &RedisConnection::connected, this, [this] {
        m_subscriber.subscribe({m_messagesChannel, m_presenceChannel});
    });
    connect(&m_subscriber, &RedisConnection::subscribed, this, &ClusterLink::onSubscribed);
    connect(&m_subscriber, &RedisConnection::message, this, &ClusterLink::onMessage);
    connect(&m_subscriber, &RedisConnection::disconnected, this, &ClusterLink::linkFailed);
}

ClusterLink::~ClusterLink() = default;

void ClusterLink::start(const QString &address)
{
    m_address = address;
    m_started = true;
    m_leaving = false;
    qCInfo(lcCluster).noquote() << "instance" << m_id << "joining cluster" << m_options.name << "through"
                                << m_options.endpoint.toString();
    connectNow();
    m_tickTimer.start();
}

void ClusterLink::connectNow()
{
    if (!m_started || m_leaving)
        return;
    m_publisherReady = false;
    m_channelsSubscribed = 0;
    m_subscriber.open(m_options.endpoint.host, m_options.endpoint.port, m_options.connectTimeoutMs);
    m_publisher.open(m_options.endpoint.host, m_options.endpoint.port, m_options.connectTimeoutMs);
}

void ClusterLink::onPublisherConnected()
{
    if (m_options.endpoint.database != 0) {
        // Commands are pipelined in order: the heartbeat keys that follow land in this database.
        m_publisher.command({"SELECT", QByteArray::number(m_options.endpoint.database)},
                            [this](bool ok, const QByteArray &value) {
                                if (!ok)
                                    linkFailed(QStringLiteral("SELECT %1 refused: %2")
                                                   .arg(m_options.endpoint.database)
                                                   .arg(QString::fromUtf8(value)));
                            });
    }
    m_publisherReady = true;
    checkReady();
}

void ClusterLink::onSubscribed(const QByteArray &channel)
{
    if (channel == m_messagesChannel || channel == m_presenceChannel)
        ++m_channelsSubscribed;
    checkReady();
}

void ClusterLink::checkReady()
{
    if (m_up || !m_publisherReady || m_channelsSubscribed < 2)
        return;
    m_up = true;
    m_downReported = false;
    m_dropReported = false;
    m_backoffMs = m_options.reconnectMinMs;
    m_lastEchoMs = m_clock.elapsed();
    qCInfo(lcCluster).noquote() << "cluster link up: instance" << m_id << "in cluster" << m_options.name << "via"
                                << m_options.endpoint.toString();
    Q_EMIT linkChanged(true, {});
    tick(); // announce ourselves now, not a heartbeat later
}

void ClusterLink::linkFailed(const QString &why)
{
    m_subscriber.close();
    m_publisher.close();
    m_publisherReady = false;
    m_channelsSubscribed = 0;
    if (m_leaving) {
        if (m_started) {
            m_started = false;
            Q_EMIT left();
        }
        return;
    }
    if (!m_started || m_reconnectTimer.isActive())
        return; // the other connection's news of the same outage
    const bool wasUp = m_up;
    m_up = false;
    m_lastError = why;
    if (wasUp)
        ++m_counters.linkLosses;
    // Say "down" once per outage (or once after start when Redis is not there), not per attempt.
    const bool firstFailure = !m_downReported;
    m_downReported = true;
    if (firstFailure) {
        qCWarning(lcCluster).noquote() << "cluster link down:" << why << "- local clients are still served;"
                                       << "reconnecting with backoff up to" << m_options.reconnectMaxMs << "ms";
    } else {
        qCDebug(lcCluster).noquote() << "reconnect failed:" << why << "- next try in" << m_backoffMs << "ms";
    }
    if (wasUp || firstFailure)
        Q_EMIT linkChanged(false, why);
    if (!m_reconnectTimer.isActive()) {
        m_reconnectTimer.start(m_backoffMs);
        m_backoffMs = std::min(m_backoffMs * 2, m_options.reconnectMaxMs);
    }
}

bool ClusterLink::leave()
{
    m_tickTimer.stop();
    m_reconnectTimer.stop();
    m_leaving = true;
    if (!m_up) {
        m_started = false;
        m_subscriber.close();
        m_publisher.close();
        return false;
    }
    m_up = false;
    m_subscriber.close();
    m_publisher.command({"PUBLISH", m_presenceChannel, heartbeat("leaving")});
    m_publisher.command({"DEL", m_instanceKey});
    m_publisher.closeGracefully(); // disconnected() -> linkFailed() -> left()
    qCInfo(lcCluster).noquote() << "instance" << m_id << "left cluster" << m_options.name;
    return true;
}

bool ClusterLink::publish(ClusterMessage message)
{
    if (!m_up) {
        ++m_counters.droppedLinkDown;
        if (!m_dropReported && m_started && !m_leaving) {
            m_dropReported = true;
            qCWarning(lcCluster) << "cluster link down: broadcasts reach local clients only; the others are"
                                    " dropped and counted (switchboard_cluster_dropped_total)";
        }
        return false;
    }
    if (m_publisher.pendingReplies() >= m_options.maxPendingPublishes
        || m_publisher.pendingOutputBytes() >= m_options.maxPendingBytes) {
        ++m_counters.droppedBacklog;
        return false;
    }
    message.origin = m_id;
    if (!m_publisher.command({"PUBLISH", m_messagesChannel, message.encode()})) {
        ++m_counters.droppedLinkDown;
        return false;
    }
    ++m_counters.published;
    return true;
}

void ClusterLink::onMessage(const QByteArray &channel, const QByteArray &payload)
{
    if (channel == m_presenceChannel) {
        onPresence(payload);
        return;
    }
    ClusterMessage message;
    QString error;
    if (!ClusterMessage::decode(payload, &message, &error)) {
        if (++m_counters.invalid <= kInvalidLogged)
            qCWarning(lcCluster).noquote() << "ignored a publication on" << channel << ":" << error
                                           << (m_counters.invalid == kInvalidLogged ? "(further ones are only counted)" : "");
        return;
    }
    if (message.origin == m_id)
        return; // delivered locally when it was sent
    ++m_counters.received;
    Q_EMIT messageReceived(message);
}

QByteArray ClusterLink::heartbeat(const char *state) const
{
    const QJsonObject beat{{QStringLiteral("v"), 1},
                           {QStringLiteral("id"), m_id},
                           {QStringLiteral("address"), m_address},
                           {QStringLiteral("clients"), m_clientCount ? m_clientCount() : 0},
                           {QStringLiteral("state"), QLatin1String(state)}};
    return QJsonDocument(beat).toJson(QJsonDocument::Compact);
}

void ClusterLink::onPresence(const QByteArray &payload)
{
    const QJsonObject beat = QJsonDocument::fromJson(payload).object();
    const QString id = beat.value(QStringLiteral("id")).toString();
    if (id.isEmpty() || beat.value(QStringLiteral("v")).toInt() != 1) {
        ++m_counters.invalid;
        return;
    }
    if (id == m_id) {
        m_lastEchoMs = m_clock.elapsed();
        return;
    }
    if (beat.value(QStringLiteral("state")).toString() == QLatin1String("leaving")) {
        if (m_others.remove(id) > 0) {
            qCInfo(lcCluster).noquote() << "instance" << id << "left the cluster";
            Q_EMIT instancesChanged();
        }
        return;
    }
    ClusterInstance instance;
    instance.id = id;
    instance.address = beat.value(QStringLiteral("address")).toString();
    instance.clients = beat.value(QStringLiteral("clients")).toInt();
    instance.lastSeenMs = m_clock.elapsed();
    const auto known = m_others.constFind(id);
    const bool changed = known == m_others.constEnd() || known->clients != instance.clients
                         || known->address != instance.address;
    if (known == m_others.constEnd())
        qCInfo(lcCluster).noquote() << "instance" << id << "at" << instance.address << "joined the cluster";
    m_others.insert(id, instance);
    if (changed)
        Q_EMIT instancesChanged();
}

void ClusterLink::tick()
{
    const qint64 now = m_clock.elapsed();
    bool changed = false;
    for (auto it = m_others.begin(); it != m_others.end();) {
        if (now - it->lastSeenMs > m_options.instanceTimeoutMs) {
            qCInfo(lcCluster).noquote() << "instance" << it->id << "at" << it->address << "is gone (no heartbeat for"
                                        << m_options.instanceTimeoutMs << "ms)";
            it = m_others.erase(it);
            changed = true;
        } else {
            ++it;
        }
    }
    const int clients = m_clientCount ? m_clientCount() : 0;
    if (clients != m_lastClientCount) {
        m_lastClientCount = clients;
        changed = true;
    }
    if (changed)
        Q_EMIT instancesChanged();
    if (!m_up)
        return;
    // Our own heartbeat comes back through Redis: when it stops, the link is dead even if no
    // socket said so (a half-open connection, a Redis that stopped answering).
    if (now - m_lastEchoMs > m_options.instanceTimeoutMs) {
        linkFailed(QStringLiteral("no heartbeat came back from Redis in %1 ms").arg(m_options.instanceTimeoutMs));
        return;
    }
    const QByteArray beat = heartbeat("up");
    m_publisher.command({"PUBLISH", m_presenceChannel, beat});
    m_publisher.command({"SET", m_instanceKey, beat, "PX", QByteArray::number(m_options.instanceTimeoutMs)});
}

ClusterStatus ClusterLink::status() const
{
    ClusterStatus status = m_counters;
    status.enabled = true;
    status.linkUp = m_up;
    status.name = m_options.name;
    status.redis = m_options.endpoint.toString();
    status.instanceId = m_id;
    status.lastError = m_lastError;
    ClusterInstance self;
    self.id = m_id;
    self.address = m_address;
    self.clients = m_clientCount ? m_clientCount() : 0;
    self.self = true;
    QVector<ClusterInstance> others(m_others.cbegin(), m_others.cend());
    std::sort(others.begin(), others.end(), [](const ClusterInstance &a, const ClusterInstance &b) { return a.id < b.id; });
    status.instances = {self};
    status.instances += others;
    return status;
}
