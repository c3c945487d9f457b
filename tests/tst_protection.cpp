// Every limit crossed, with a defined answer, while a well-behaved client keeps being served.
#include "TestSupport.h"

#include <QNetworkRequest>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>

using namespace TestSupport;

class TestProtection : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void allowListedOriginPasses();
    void tokenIsRequired();
    void tokenByQueryHeaderAndCookie_data();
    void tokenByQueryHeaderAndCookie();
    void oversizeMessageGets1009();
    void invalidUtf8Gets1007();
    void perIpCapGets429();
    void capacityGets503();
    void rateLimitGets1008();
    void heartbeatDropsASilentClient();
    void slowConsumerIsClosedWith1013();
    void slowConsumerDropPolicyBoundsMemory();
    void banAndUnban();
};

void TestProtection::allowListedOriginPasses()
{
    ServerConfig config;
    config.allowedOrigins = {QStringLiteral("https://app.example")};
    auto engine = startEngine(config);
    QVERIFY(engine);
    QVERIFY(connectClient(engine->webSocketUrl(QStringLiteral("/ws")), {}, "https://app.example"));
    QCOMPARE(statusOf(rawExchange(engine->port(), upgradeRequest("/ws", "Origin: https://other.example\r\n"))), 403);
}

void TestProtection::tokenIsRequired()
{
    ServerConfig config;
    config.token = QStringLiteral("s3cret");
    auto engine = startEngine(config);
    QVERIFY(engine);
    const QByteArray none = rawExchange(engine->port(), upgradeRequest("/ws"));
    QCOMPARE(statusOf(none), 401);
    QVERIFY(bodyOf(none).contains("token"));
    QCOMPARE(statusOf(rawExchange(engine->port(), upgradeRequest("/ws?token=wrong"))), 401);
    QCOMPARE(statusOf(rawExchange(engine->port(), upgradeRequest("/ws", "Authorization: Bearer s3cre\r\n"))), 401);
    // The page and health stay reachable: the page passes the token on to its WebSocket.
    QCOMPARE(statusOf(rawExchange(engine->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")), 200);
}

void TestProtection::tokenByQueryHeaderAndCookie_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QByteArray>("value");
    QTest::newRow("query") << QStringLiteral("token=s3cret&x=1") << QByteArray() << QByteArray();
    QTest::newRow("bearer") << QString() << QByteArray("Authorization") << QByteArray("Bearer s3cret");
    QTest::newRow("cookie") << QString() << QByteArray("Cookie") << QByteArray("theme=dark; switchboard_token=s3cret");
}

void TestProtection::tokenByQueryHeaderAndCookie()
{
    QFETCH(QString, query);
    QFETCH(QByteArray, header);
    QFETCH(QByteArray, value);
    ServerConfig config;
    config.token = QStringLiteral("s3cret");
    auto engine = startEngine(config);
    QVERIFY(engine);
    QUrl url = engine->webSocketUrl(QStringLiteral("/ws"));
    url.setQuery(query);
    QNetworkRequest request(url);
    if (!header.isEmpty())
        request.setRawHeader(header, value);
    QWebSocket client;
    QSignalSpy connected(&client, &QWebSocket::connected);
    client.open(request);
    QVERIFY(connected.wait(5000));
    QTRY_COMPARE(engine->clients().size(), 1);
    // The token never shows in what the operator sees.
    QVERIFY(!engine->clients().first().path.contains(QStringLiteral("s3cret")));
    if (!query.isEmpty())
        QVERIFY(engine->clients().first().path.contains(QStringLiteral("token=REDACTED")));
}

void TestProtection::oversizeMessageGets1009()
{
    ServerConfig config;
    config.maxMessageBytes = 1024;
    auto engine = startEngine(config);
    QVERIFY(engine);
    auto bystander = connectClient(engine->webSocketUrl(QStringLiteral("/ws")));
    auto client = connectClient(engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client && bystander);
    QSignalSpy disconnected(client.get(), &QWebSocket::disconnected);
    client->sendBinaryMessage(QByteArray(2048, 'x'));
    QVERIFY(disconnected.wait(5000));
    QCOMPARE(int(client->closeCode()), 1009);
    expectServed(*bystander);
}

void TestProtection::invalidUtf8Gets1007()
{
    auto engine = startEngine();
    QVERIFY(engine);
    auto bystander = connectClient(engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(bystander);
    auto raw = rawWebSocket(engine->port(), "/ws");
    QVERIFY(raw);
    raw->write(clientFrame(0x1, QByteArray("\xc3\x28 not utf-8", 12)));
    QSignalSpy readable(raw.get(), &QTcpSocket::readyRead);
    QByteArray answer;
    while (answer.size() < 4 && (raw->bytesAvailable() > 0 || readable.wait(5000)))
        answer += raw->readAll();
    QVERIFY(answer.size() >= 4);
    QCOMPARE(quint8(answer.at(0)), quint8(0x88)); // a close frame
    const int code = (quint8(answer.at(2)) << 8) | quint8(answer.at(3));
    QCOMPARE(code, 1007);
    expectServed(*bystander);
}

void TestProtection::perIpCapGets429()
{
    ServerConfig config;
    config.maxConnectionsPerIp = 2;
    auto engine = startEngine(config);
    QVERIFY(engine);
    auto first = connectClient(engine->webSocketUrl(QStringLiteral("/ws")));
    auto second = connectClient(engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(first && second);
    QTRY_COMPARE(engine->openClientCount(), 2);
    const QByteArray third = rawExchange(engine->port(), upgradeRequest("/ws"));
    QCOMPARE(statusOf(third), 429);
    QVERIFY(bodyOf(third).contains("already has 2 connections"));
    expectServed(*first);
    // A slot frees when a client goes.
    second->close();
    QTRY_COMPARE(engine->clients().size(), 1);
    QVERIFY(connectClient(engine->webSocketUrl(QStringLiteral("/ws"))));
}

void TestProtection::capacityGets503()
{
    ServerConfig config;
    config.maxConnections = 1;
    auto engine = startEngine(config);
    QVERIFY(engine);
    auto first = connectClient(engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(first);
    QTRY_COMPARE(engine->openClientCount(), 1);
    const QByteArray refused = rawExchange(engine->port(), upgradeRequest("/chat/a"));
    QCOMPARE(statusOf(refused), 503);
    QVERIFY(bodyOf(refused).contains("capacity of 1"));
    expectServed(*first);
}

void TestProtection::rateLimitGets1008()
{
    ServerConfig config;
    config.messagesPerSecond = 5;
    config.messageBurst = 5;
    auto engine = startEngine(config);
    QVERIFY(engine);
    auto bystander = connectClient(engine->webSocketUrl(QStringLiteral("/ws")));
    auto flooder = connectClient(engine->webSocketUrl(QStringLiteral("/operator")));
    QVERIFY(bystander && flooder);
    QSignalSpy disconnected(flooder.get(), &QWebSocket::disconnected);
    for (int i = 0; i < 50; ++i)
        flooder->sendTextMessage(QStringLiteral("flood %1").arg(i));
    QVERIFY(disconnected.wait(5000));
    QCOMPARE(int(flooder->closeCode()), 1008);
    QCOMPARE(flooder->closeReason(), QStringLiteral("rate limit"));
    expectServed(*bystander);
}

void TestProtection::heartbeatDropsASilentClient()
{
    ServerConfig config;
    config.heartbeatIntervalMs = 100;
    config.heartbeatTimeoutMs = 200;
    auto engine = startEngine(config);
    QVERIFY(engine);
    // QWebSocket answers pings by itself: it must survive several heartbeat rounds.
    auto healthy = connectClient(engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(healthy);
    QSignalSpy changes(engine.get(), &Engine::clientsChanged);
    auto silent = rawWebSocket(engine->port(), "/operator"); // never reads, never answers a ping
    QVERIFY(silent);
    const ClientInfo dropped = waitUntilClosed(changes);
    QCOMPARE(dropped.state, ClientInfo::State::Closed);
    QCOMPARE(dropped.closeCode, 1006);
    QCOMPARE(dropped.closeReason, QStringLiteral("heartbeat timeout"));
    QCOMPARE(dropped.closedBy, ClientInfo::ClosedBy::Server);
    QCOMPARE(healthy->state(), QAbstractSocket::ConnectedState);
    QTRY_VERIFY(engine->clients().value(0).lastRttMs >= 0); // the healthy one answered pings
    expectServed(*healthy);
}

void TestProtection::slowConsumerIsClosedWith1013()
{
    ServerConfig config;
    config.maxBufferedBytes = 256 * 1024;
    config.shutdownGraceMs = 300;
    auto engine = startEngine(config);
    QVERIFY(engine);
    auto healthy = connectClient(engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(healthy);
    QSignalSpy changes(engine.get(), &Engine::clientsChanged);
    auto stalled = rawWebSocket(engine->port(), "/operator"); // stops reading after the upgrade
    QVERIFY(stalled);
    stalled->setReadBufferSize(1); // really stops: else Qt would keep reading into memory here
    QTRY_COMPARE(engine->openClientCount(), 2);
    const quint64 stalledId = clientIdOnRoute(*engine, QStringLiteral("/operator"));
    const QByteArray chunk(64 * 1024, 'z');
    for (int i = 0; i < 400 && engine->clients().size() == 2; ++i) {
        engine->sendToClient(stalledId, chunk, true);
        QCoreApplication::processEvents();
    }
    const ClientInfo closed = waitUntilClosed(changes, stalledId);
    QCOMPARE(closed.closeCode, 1013);
    QCOMPARE(closed.closedBy, ClientInfo::ClosedBy::Server);
    QVERIFY(closed.closeReason.startsWith(QStringLiteral("slow consumer")));
    expectServed(*healthy);
}

void TestProtection::slowConsumerDropPolicyBoundsMemory()
{
    ServerConfig config;
    config.maxBufferedBytes = 256 * 1024;
    config.slowConsumerPolicy = ServerConfig::SlowConsumerPolicy::Drop;
    auto engine = startEngine(config);
    QVERIFY(engine);
    auto stalled = rawWebSocket(engine->port(), "/operator");
    QVERIFY(stalled);
    stalled->setReadBufferSize(1); // really stops: else Qt would keep reading into memory here
    QTRY_COMPARE(engine->openClientCount(), 1);
    const quint64 id = engine->clients().first().id;
    const QByteArray chunk(64 * 1024, 'z');
    qint64 peakWaiting = 0;
    for (int i = 0; i < 400; ++i) {
        engine->sendToClient(id, chunk, true);
        QCoreApplication::processEvents();
        peakWaiting = std::max(peakWaiting, engine->clients().first().bytesToWrite);
    }
    const ClientInfo info = engine->clients().first();
    QVERIFY(info.messagesDropped > 0);
    QCOMPARE(info.state, ClientInfo::State::Open);
    // Never more than the limit plus the one message that crossed it.
    QVERIFY2(peakWaiting <= config.maxBufferedBytes + chunk.size() + 64,
             qPrintable(QString::number(peakWaiting)));
}

void TestProtection::banAndUnban()
{
    auto engine = startEngine();
    QVERIFY(engine);
    auto client = connectClient(engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    QSignalSpy disconnected(client.get(), &QWebSocket::disconnected);
    QCOMPARE(engine->banAddress(QStringLiteral("127.0.0.1")).affected, 1);
    QVERIFY(disconnected.wait(5000));
    QCOMPARE(int(client->closeCode()), 1008);
    const QByteArray refused = rawExchange(engine->port(), upgradeRequest("/ws"));
    QCOMPARE(statusOf(refused), 403);
    QVERIFY(bodyOf(refused).contains("banned"));
    QVERIFY(engine->unbanAddress(QStringLiteral("127.0.0.1")).ok);
    QVERIFY(connectClient(engine->webSocketUrl(QStringLiteral("/ws"))));
    QVERIFY(!engine->unbanAddress(QStringLiteral("127.0.0.1")).ok);
}

QTEST_GUILESS_MAIN(TestProtection)
#include "tst_protection.moc"
