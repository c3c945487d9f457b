// Scale-out through Redis (issue 8): two engines in this process, a real redis-server on a free
// loopback port, real WebSocket clients. Rooms and broadcasts cross instances exactly once, binary
// stays binary, presence follows instances coming and going, and a Redis that dies and comes back
// takes the cross-instance traffic with it while local traffic goes on.
#include "RedisServer.h"
#include "TestSupport.h"
#include "cluster/ClusterLink.h"
#include "cluster/ClusterMessage.h"
#include "cluster/RedisConnection.h"
#include "cluster/RedisEndpoint.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>
#include <QWebSocket>

using namespace TestSupport;

namespace {

// A WebSocket client that keeps every message it receives.
struct Client
{
    std::unique_ptr<QWebSocket> socket;
    QStringList texts;
    QList<QByteArray> binaries;

    static std::unique_ptr<Client> connect(Engine &engine, const QString &path)
    {
        auto client = std::make_unique<Client>();
        client->socket = connectClient(engine.webSocketUrl(path));
        if (!client->socket)
            return nullptr;
        Client *raw = client.get();
        QObject::connect(raw->socket.get(), &QWebSocket::textMessageReceived,
                         [raw](const QString &text) { raw->texts.append(text); });
        QObject::connect(raw->socket.get(), &QWebSocket::binaryMessageReceived,
                         [raw](const QByteArray &data) { raw->binaries.append(data); });
        return client;
    }
};

QJsonObject healthOf(Engine &engine)
{
    const QByteArray answer = rawExchange(engine.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    return QJsonDocument::fromJson(bodyOf(answer)).object();
}

QString linkOf(Engine &engine)
{
    return healthOf(engine).value(QStringLiteral("cluster")).toObject().value(QStringLiteral("link")).toString();
}

} // namespace

class TestCluster : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void roomMessagesCrossInstancesOnce();
    void operatorBroadcastsReachOtherInstancesOnce();
    void adminApiBroadcastsAcrossAndListsInstances();
    void binaryStaysBinary();
    void presenceFollowsInstances();
    void redisDownAndBack();
    void foreignPublicationsAreIgnoredAndCounted();
    void hostNamesAreResolved();
    void publicationsWaitingForRedisAreBounded();
    void withoutRedisNothingConnects();
    void badRedisUrlIsRefused();
    void badRedisFlagExits2();
    void redisUrls_data();
    void redisUrls();
    void envelopeRoundTrip_data();
    void envelopeRoundTrip();

private:
    std::unique_ptr<Engine> startMember();
    void startPair(); // check QTest::currentTestFailed() after it

    std::unique_ptr<RedisServer> m_redis;
    std::unique_ptr<Engine> m_a;
    std::unique_ptr<Engine> m_b;
};

void TestCluster::init()
{
    m_redis = std::make_unique<RedisServer>();
    QVERIFY2(m_redis->start(), qPrintable(m_redis->error()));
}

void TestCluster::cleanup()
{
    m_a.reset();
    m_b.reset();
    m_redis.reset(); // stops redis-server
}

std::unique_ptr<Engine> TestCluster::startMember()
{
    ServerConfig config;
    config.redisUrl = m_redis->url();
    config.clusterName = QStringLiteral("test");
    config.adminToken = QStringLiteral("cluster-admin");
    return startEngine(config);
}

void TestCluster::startPair()
{
    m_a = startMember();
    m_b = startMember();
    QVERIFY(m_a && m_b);
    // Up means subscribed: from here on every publication reaches both.
    QTRY_VERIFY_WITH_TIMEOUT(m_a->clusterStatus().linkUp && m_b->clusterStatus().linkUp, 10000);
}

void TestCluster::roomMessagesCrossInstancesOnce()
{
    startPair();
    QVERIFY(!QTest::currentTestFailed());
    auto aLobby = Client::connect(*m_a, QStringLiteral("/chat/lobby"));
    auto aOther = Client::connect(*m_a, QStringLiteral("/chat/other"));
    auto bLobby = Client::connect(*m_b, QStringLiteral("/chat/lobby"));
    auto bOther = Client::connect(*m_b, QStringLiteral("/chat/other"));
    QVERIFY(aLobby && aOther && bLobby && bOther);
    RecordCollector aRecords(m_a.get());

    bLobby->socket->sendTextMessage(QStringLiteral("hello from B"));
    bOther->socket->sendTextMessage(QStringLiteral("for the other room"));
    bLobby->socket->sendTextMessage(QStringLiteral("marker"));
    // One Redis channel keeps the order: once the marker is in, everything before it is too.
    QTRY_COMPARE(aLobby->texts, QStringList({QStringLiteral("hello from B"), QStringLiteral("marker")}));
    QTRY_COMPARE(aOther->texts, QStringList{QStringLiteral("for the other room")});
    // The sender's own instance delivered locally, once; its publication did not come back.
    // (Its own socket, not the cluster, carries these: they need not arrive before A's.)
    QTRY_COMPARE(bLobby->texts, QStringList({QStringLiteral("hello from B"), QStringLiteral("marker")}));

    // The other way round, and the receiving instance says the message came from the cluster.
    aLobby->socket->sendTextMessage(QStringLiteral("hello from A"));
    QTRY_COMPARE(bLobby->texts.size(), 3);
    QCOMPARE(bLobby->texts.last(), QStringLiteral("hello from A"));
    QTRY_VERIFY(aRecords.has([&](const LogRecord &r) {
        return r.direction == LogRecord::Direction::Broadcast && r.payload == "hello from B"
               && r.detail.startsWith(QLatin1String("cluster: room lobby from instance "))
               && r.detail.endsWith(m_b->clusterStatus().instanceId) && r.fanout == 1;
    }));
}

void TestCluster::operatorBroadcastsReachOtherInstancesOnce()
{
    startPair();
    QVERIFY(!QTest::currentTestFailed());
    auto bEcho = Client::connect(*m_b, QStringLiteral("/ws"));
    auto bLobby = Client::connect(*m_b, QStringLiteral("/chat/lobby"));
    auto aEcho = Client::connect(*m_a, QStringLiteral("/ws"));
    QVERIFY(bEcho && bLobby && aEcho);

    QCOMPARE(m_a->broadcast(BroadcastTarget::everyone(), "all hands", false).affected, 1); // A's own client
    QVERIFY(m_a->broadcast(BroadcastTarget::route(QStringLiteral("/ws")), "echo clients", false).ok);
    QVERIFY(m_a->broadcast(BroadcastTarget::room(QStringLiteral("lobby")), "lobby only", false).ok);
    QVERIFY(m_a->broadcast(BroadcastTarget::everyone(), "marker", false).ok);

    QTRY_COMPARE(bEcho->texts, QStringList({QStringLiteral("all hands"), QStringLiteral("echo clients"),
                                            QStringLiteral("marker")}));
    QTRY_COMPARE(bLobby->texts, QStringList({QStringLiteral("all hands"), QStringLiteral("lobby only"),
                                             QStringLiteral("marker")}));
    QCOMPARE(aEcho->texts, QStringList({QStringLiteral("all hands"), QStringLiteral("echo clients"),
                                        QStringLiteral("marker")}));
    QCOMPARE(m_a->clusterStatus().published, 4u);
    QTRY_COMPARE(m_b->clusterStatus().received, 4u);
}

void TestCluster::adminApiBroadcastsAcrossAndListsInstances()
{
    startPair();
    QVERIFY(!QTest::currentTestFailed());
    auto bLobby = Client::connect(*m_b, QStringLiteral("/chat/lobby"));
    QVERIFY(bLobby);
    const QByteArray body = "{\"text\":\"from the api\",\"room\":\"lobby\"}";
    const QByteArray post = "POST /api/broadcast HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer cluster-admin\r\n"
                            "Content-Type: application/json\r\nContent-Length: "
                            + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    const QByteArray answer = rawExchange(m_a->port(), post);
    QCOMPARE(statusOf(answer), 200);
    QCOMPARE(QJsonDocument::fromJson(bodyOf(answer)).object().value(QStringLiteral("delivered")).toInt(), 0); // none on A
    QTRY_COMPARE(bLobby->texts, QStringList{QStringLiteral("from the api")});

    const QByteArray get = "GET /api/cluster HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer cluster-admin\r\n"
                           "Connection: close\r\n\r\n";
    QJsonObject cluster;
    QTRY_VERIFY_WITH_TIMEOUT((cluster = QJsonDocument::fromJson(bodyOf(rawExchange(m_a->port(), get))).object())
                                     .value(QStringLiteral("instances")).toArray().size() == 2, 5000);
    QCOMPARE(cluster.value(QStringLiteral("link")).toString(), QStringLiteral("up"));
    QCOMPARE(cluster.value(QStringLiteral("name")).toString(), QStringLiteral("test"));
    QCOMPARE(cluster.value(QStringLiteral("instanceId")).toString(), m_a->clusterStatus().instanceId);
    QCOMPARE(cluster.value(QStringLiteral("published")).toInt(), 1);
    const QJsonObject self = cluster.value(QStringLiteral("instances")).toArray().first().toObject();
    QVERIFY(self.value(QStringLiteral("self")).toBool());
    QCOMPARE(self.value(QStringLiteral("address")).toString(), QStringLiteral("127.0.0.1:%1").arg(m_a->port()));
}

void TestCluster::binaryStaysBinary()
{
    startPair();
    QVERIFY(!QTest::currentTestFailed());
    auto aLobby = Client::connect(*m_a, QStringLiteral("/chat/lobby"));
    auto bLobby = Client::connect(*m_b, QStringLiteral("/chat/lobby"));
    QVERIFY(aLobby && bLobby);
    QByteArray bytes;
    for (int i = 0; i < 256; ++i)
        bytes.append(static_cast<char>(i)); // NUL, '\n' and invalid UTF-8 included
    bLobby->socket->sendBinaryMessage(bytes);
    QTRY_COMPARE(aLobby->binaries, QList<QByteArray>{bytes});
    QVERIFY(m_b->broadcast(BroadcastTarget::room(QStringLiteral("lobby")), QByteArray("\xff\x00\n", 3), true).ok);
    bLobby->socket->sendTextMessage(QStringLiteral("text stays text: ü\n"));
    QTRY_COMPARE(aLobby->binaries, QList<QByteArray>({bytes, QByteArray("\xff\x00\n", 3)}));
    QTRY_COMPARE(aLobby->texts, QStringList{QStringLiteral("text stays text: ü\n")});
}

void TestCluster::presenceFollowsInstances()
{
    startPair();
    QVERIFY(!QTest::currentTestFailed());
    const QString bId = m_b->clusterStatus().instanceId;
    auto bClient = Client::connect(*m_b, QStringLiteral("/ws"));
    QVERIFY(bClient);
    // A lists itself first, then B with B's address and client count (heartbeats every second).
    const auto bAsSeenByA = [&]() -> ClusterInstance {
        const ClusterStatus status = m_a->clusterStatus();
        for (const ClusterInstance &instance : status.instances) {
            if (instance.id == bId)
                return instance;
        }
        return {};
    };
    QTRY_COMPARE_WITH_TIMEOUT(bAsSeenByA().clients, 1, 5000);
    QCOMPARE(bAsSeenByA().address, QStringLiteral("127.0.0.1:%1").arg(m_b->port()));
    const ClusterStatus a = m_a->clusterStatus();
    QCOMPARE(a.instances.size(), 2);
    QVERIFY(a.instances.first().self);
    QCOMPARE(a.instances.first().id, a.instanceId);
    QCOMPARE(healthOf(*m_a).value(QStringLiteral("cluster")).toObject().value(QStringLiteral("instances")).toInt(), 2);

    // A stopping instance says goodbye: gone at once, not after the timeout.
    QSignalSpy stopped(m_b.get(), &Engine::stopped);
    m_b->stop();
    QVERIFY(stopped.count() == 1 || stopped.wait(5000));
    QTRY_COMPARE_WITH_TIMEOUT(m_a->clusterStatus().instances.size(), 1, 2000);

    // One that vanishes without a goodbye (its process died) disappears within a few seconds.
    auto c = startMember();
    QVERIFY(c);
    QTRY_COMPARE_WITH_TIMEOUT(m_a->clusterStatus().instances.size(), 2, 5000);
    QSignalSpy changed(m_a.get(), &Engine::clusterChanged);
    c.reset(); // no stop(): no goodbye
    QTRY_COMPARE_WITH_TIMEOUT(m_a->clusterStatus().instances.size(), 1, 8000);
    // The dashboard hears of it through the batched signal.
    QTRY_VERIFY(!changed.isEmpty() && changed.last().first().value<ClusterStatus>().instances.size() == 1);
}

void TestCluster::redisDownAndBack()
{
    startPair();
    QVERIFY(!QTest::currentTestFailed());
    QCOMPARE(linkOf(*m_a), QStringLiteral("up"));
    auto aLobby = Client::connect(*m_a, QStringLiteral("/chat/lobby"));
    auto aLobby2 = Client::connect(*m_a, QStringLiteral("/chat/lobby"));
    auto bLobby = Client::connect(*m_b, QStringLiteral("/chat/lobby"));
    QVERIFY(aLobby && aLobby2 && bLobby);
    RecordCollector aRecords(m_a.get());

    m_redis->kill();
    QTRY_COMPARE_WITH_TIMEOUT(linkOf(*m_a), QStringLiteral("down"), 5000);
    QTRY_VERIFY(!m_b->clusterStatus().linkUp);
    QTRY_VERIFY(aRecords.has([](const LogRecord &r) { return r.detail.startsWith(QLatin1String("cluster link down")); }));

    // Local traffic goes on; what could not be published is counted.
    aLobby->socket->sendTextMessage(QStringLiteral("local while down"));
    QTRY_COMPARE(aLobby2->texts, QStringList{QStringLiteral("local while down")});
    QCOMPARE(m_a->clusterStatus().droppedLinkDown, 1u);
    QVERIFY(m_a->metricsText().contains("switchboard_cluster_dropped_total{reason=\"link_down\"} 1\n"));
    QVERIFY(m_a->metricsText().contains("switchboard_cluster_link_up 0\n"));

    QVERIFY2(m_redis->start(), qPrintable(m_redis->error())); // same port
    QTRY_COMPARE_WITH_TIMEOUT(linkOf(*m_a), QStringLiteral("up"), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(m_b->clusterStatus().linkUp, 15000);
    QTRY_VERIFY(aRecords.has([](const LogRecord &r) { return r.detail.startsWith(QLatin1String("cluster link up")); }));
    QCOMPARE(m_a->clusterStatus().linkLosses, 1u);

    bLobby->socket->sendTextMessage(QStringLiteral("back again"));
    QTRY_COMPARE(aLobby->texts, QStringList({QStringLiteral("local while down"), QStringLiteral("back again")}));
    // B never saw what A could not publish.
    QCOMPARE(bLobby->texts, QStringList{QStringLiteral("back again")});
}

void TestCluster::foreignPublicationsAreIgnoredAndCounted()
{
    startPair();
    QVERIFY(!QTest::currentTestFailed());
    auto aLobby = Client::connect(*m_a, QStringLiteral("/chat/lobby"));
    auto bLobby = Client::connect(*m_b, QStringLiteral("/chat/lobby"));
    QVERIFY(aLobby && bLobby);
    // Someone else publishes on the cluster's channels: no envelope, a bad header, a bad heartbeat.
    RedisConnection intruder(QStringLiteral("intruder"));
    QSignalSpy connected(&intruder, &RedisConnection::connected);
    intruder.open(QStringLiteral("127.0.0.1"), m_redis->port(), 5000);
    QVERIFY(connected.wait(5000));
    int replies = 0;
    const auto counted = [&replies](bool ok, const QByteArray &) { replies += ok ? 1 : 0; };
    QVERIFY(intruder.command({"PUBLISH", "test:messages", "no envelope at all"}, counted));
    QVERIFY(intruder.command({"PUBLISH", "test:messages", "{\"v\":2}\npayload"}, counted));
    QVERIFY(intruder.command({"PUBLISH", "test:presence", "\xff\xfe"}, counted));
    QTRY_COMPARE(replies, 3);
    QTRY_COMPARE(m_a->clusterStatus().invalid, 3u);
    QVERIFY(m_a->metricsText().contains("switchboard_cluster_invalid_total 3\n"));
    // Both keep serving, locally and across.
    bLobby->socket->sendTextMessage(QStringLiteral("still here"));
    QTRY_COMPARE(aLobby->texts, QStringList{QStringLiteral("still here")});
}

void TestCluster::hostNamesAreResolved()
{
    ServerConfig config;
    config.redisUrl = QStringLiteral("redis://localhost:%1").arg(m_redis->port());
    auto engine = startEngine(config);
    QVERIFY(engine);
    QTRY_VERIFY_WITH_TIMEOUT(engine->clusterStatus().linkUp, 10000);
    QCOMPARE(engine->clusterStatus().name, QStringLiteral("switchboard")); // the default cluster
}

void TestCluster::publicationsWaitingForRedisAreBounded()
{
    ClusterLink::Options options;
    QString error;
    QVERIFY(RedisEndpoint::parse(m_redis->url(), &options.endpoint, &error));
    options.maxPendingPublishes = 5;
    ClusterLink link(options, [] { return 0; });
    link.start(QStringLiteral("127.0.0.1:1"));
    QTRY_VERIFY_WITH_TIMEOUT(link.isUp(), 10000);
    // Redis stops answering for a moment: what waits for it is capped, the rest dropped and counted.
    RedisConnection admin(QStringLiteral("admin"));
    QSignalSpy connected(&admin, &RedisConnection::connected);
    admin.open(QStringLiteral("127.0.0.1"), m_redis->port(), 5000);
    QVERIFY(connected.wait(5000));
    bool paused = false;
    QVERIFY(admin.command({"CLIENT", "PAUSE", "1000", "ALL"}, [&paused](bool ok, const QByteArray &) { paused = ok; }));
    QTRY_VERIFY(paused);
    ClusterMessage message;
    message.payload = "x";
    int accepted = 0;
    for (int i = 0; i < 20; ++i)
        accepted += link.publish(message) ? 1 : 0;
    QVERIFY2(accepted <= 5, qPrintable(QString::number(accepted)));
    QCOMPARE(link.status().droppedBacklog, quint64(20 - accepted));
    // Once Redis answers again, publishing works again.
    QTRY_VERIFY_WITH_TIMEOUT(link.publish(message), 5000);
    QVERIFY(link.isUp());
}

void TestCluster::withoutRedisNothingConnects()
{
    auto engine = startEngine();
    QVERIFY(engine);
    QVERIFY(!engine->clusterStatus().enabled);
    QVERIFY(!healthOf(*engine).contains(QStringLiteral("cluster")));
    QVERIFY(!engine->metricsText().contains("switchboard_cluster_"));
}

void TestCluster::badRedisUrlIsRefused()
{
    ServerConfig config;
    QString error;
    QVERIFY(!config.loadJson("{\"redis\": \"http://127.0.0.1:6379\"}", QStringLiteral("cfg.json"), &error));
    QVERIFY2(error.startsWith(QLatin1String("cfg.json: redis: ")), qPrintable(error));
    QVERIFY(!config.loadJson("{\"redis\": \"redis://127.0.0.1:6379/99\"}", QStringLiteral("cfg.json"), &error));
    QVERIFY2(error.contains(QLatin1String("0 to 15")), qPrintable(error));
    QVERIFY(!config.loadJson("{\"cluster\": \"no spaces\"}", QStringLiteral("cfg.json"), &error));
    QVERIFY2(error.startsWith(QLatin1String("cfg.json: cluster: ")), qPrintable(error));
    QVERIFY2(config.loadJson("{\"redis\": \"redis://localhost/3\", \"cluster\": \"blue\"}", QStringLiteral("cfg.json"), &error),
             qPrintable(error));
    QCOMPARE(config.redisUrl, QStringLiteral("redis://localhost/3"));
    QCOMPARE(config.clusterName, QStringLiteral("blue"));
}

void TestCluster::badRedisFlagExits2()
{
    QProcess process;
    process.start(QStringLiteral(SWITCHBOARD_BIN),
                  {QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--redis"),
                   QStringLiteral("127.0.0.1:6379")});
    QSignalSpy finished(&process, &QProcess::finished);
    QVERIFY(finished.wait(10000));
    QCOMPARE(process.exitCode(), 2);
    const QByteArray err = process.readAllStandardError();
    QVERIFY2(err.contains("--redis: '127.0.0.1:6379' is not a Redis URL"), err.constData());
    QVERIFY(!process.readAllStandardOutput().contains("Listening"));
}

void TestCluster::redisUrls_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<int>("database");
    QTest::newRow("full") << "redis://10.0.0.7:6380/4" << true << "10.0.0.7" << 6380 << 4;
    QTest::newRow("defaults") << "redis://cache.internal" << true << "cache.internal" << 6379 << 0;
    QTest::newRow("slash") << "redis://127.0.0.1:7000/" << true << "127.0.0.1" << 7000 << 0;
    QTest::newRow("no scheme") << "127.0.0.1:6379" << false << "" << 0 << 0;
    QTest::newRow("wrong scheme") << "rediss://127.0.0.1" << false << "" << 0 << 0;
    QTest::newRow("no host") << "redis://:6379" << false << "" << 0 << 0;
    QTest::newRow("port 0") << "redis://127.0.0.1:0" << false << "" << 0 << 0;
    QTest::newRow("database 16") << "redis://127.0.0.1/16" << false << "" << 0 << 0;
    QTest::newRow("database word") << "redis://127.0.0.1/zero" << false << "" << 0 << 0;
    QTest::newRow("password") << "redis://user:secret@127.0.0.1" << false << "" << 0 << 0;
    QTest::newRow("query") << "redis://127.0.0.1?timeout=1" << false << "" << 0 << 0;
}

void TestCluster::redisUrls()
{
    QFETCH(QString, url);
    QFETCH(bool, valid);
    RedisEndpoint endpoint;
    QString error;
    QCOMPARE(RedisEndpoint::parse(url, &endpoint, &error), valid);
    if (!valid) {
        QVERIFY2(error.contains(QLatin1String("expected redis://HOST:PORT[/DB]")), qPrintable(error));
        return;
    }
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(int, database);
    QCOMPARE(endpoint.host, host);
    QCOMPARE(int(endpoint.port), port);
    QCOMPARE(endpoint.database, database);
}

void TestCluster::envelopeRoundTrip_data()
{
    QTest::addColumn<BroadcastTarget>("target");
    QTest::addColumn<bool>("binary");
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("room text") << BroadcastTarget::room(QStringLiteral("lobby")) << false << QByteArray("hi\nthere");
    QTest::newRow("route binary") << BroadcastTarget::route(QStringLiteral("/ws")) << true << QByteArray("\0\n\xff", 3);
    QTest::newRow("everyone empty") << BroadcastTarget::everyone() << false << QByteArray();
    QTest::newRow("room with newline in its name") << BroadcastTarget::room(QStringLiteral("a\nb")) << true
                                                    << QByteArray("{\"v\":1}\n");
}

void TestCluster::envelopeRoundTrip()
{
    QFETCH(BroadcastTarget, target);
    QFETCH(bool, binary);
    QFETCH(QByteArray, payload);
    ClusterMessage message;
    message.origin = QStringLiteral("abc123");
    message.target = target;
    message.binary = binary;
    message.payload = payload;
    message.detail = QStringLiteral("room lobby");
    ClusterMessage decoded;
    QString error;
    QVERIFY2(ClusterMessage::decode(message.encode(), &decoded, &error), qPrintable(error));
    QCOMPARE(decoded.origin, message.origin);
    QCOMPARE(decoded.target.scope, target.scope);
    QCOMPARE(decoded.target.name, target.name);
    QCOMPARE(decoded.binary, binary);
    QCOMPARE(decoded.payload, payload);
    QCOMPARE(decoded.detail, message.detail);
    // Truncated or foreign bytes are refused with a reason, never half-read.
    QVERIFY(!ClusterMessage::decode(message.encode().left(10), &decoded, &error));
    QVERIFY(!error.isEmpty());
}

QTEST_GUILESS_MAIN(TestCluster)
#include "tst_cluster.moc"
