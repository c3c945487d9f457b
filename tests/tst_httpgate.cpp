// The front door: plain HTTP answers, refusals before any upgrade, and limits on request heads.
#include "TestSupport.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>

using namespace TestSupport;

class TestHttpGate : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void servesTheBrowserClientPage();
    void headRequestHasNoBody();
    void healthz();
    void answers_data();
    void answers();
    void stalledHeadGets408AndOthersAreStillServed();
    void hugeHeadGets431();
    void garbageGets400AtOnce();
    void refusalsAreLogged();
    void foreignOriginIsRefused();
    void allowedOriginIgnoresCaseOfSchemeAndHost();
    void bearerSchemeInAnyCase_data();
    void bearerSchemeInAnyCase();
    void listenBacklog_data();
    void listenBacklog();

private:
    std::unique_ptr<Engine> m_engine;
};

void TestHttpGate::init()
{
    ServerConfig config;
    config.headTimeoutMs = 300;
    config.upgradeTimeoutMs = 300;
    m_engine = startEngine(config);
    QVERIFY(m_engine);
}

void TestHttpGate::cleanup()
{
    m_engine.reset();
}

void TestHttpGate::servesTheBrowserClientPage()
{
    const QByteArray answer = rawExchange(m_engine->port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    QCOMPARE(statusOf(answer), 200);
    QVERIFY(answer.contains("Content-Type: text/html"));
    QVERIFY(bodyOf(answer).contains("<html"));
    const QByteArray script = rawExchange(m_engine->port(), "GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n");
    QCOMPARE(statusOf(script), 200);
    QVERIFY(script.contains("Content-Type: text/javascript"));
}

void TestHttpGate::headRequestHasNoBody()
{
    const QByteArray answer = rawExchange(m_engine->port(), "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    QCOMPARE(statusOf(answer), 200);
    QVERIFY(answer.contains("Content-Length: "));
    QVERIFY(bodyOf(answer).isEmpty());
}

void TestHttpGate::healthz()
{
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    QTRY_COMPARE(m_engine->openClientCount(), 1);
    const QByteArray answer = rawExchange(m_engine->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    QCOMPARE(statusOf(answer), 200);
    const QJsonObject health = QJsonDocument::fromJson(bodyOf(answer)).object();
    QCOMPARE(health.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QCOMPARE(health.value(QStringLiteral("clients")).toInt(), 1);
    QVERIFY(health.contains(QStringLiteral("uptimeSeconds")));
}

void TestHttpGate::answers_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("bodyContains");
    QTest::newRow("unknown path") << QByteArray("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n") << 404 << QByteArray("nothing at /nope");
    QTest::newRow("POST") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc") << 405 << QByteArray("use GET or HEAD");
    QTest::newRow("DELETE") << QByteArray("DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n") << 405 << QByteArray("DELETE");
    QTest::newRow("malformed") << QByteArray("GET /\r\n\r\n") << 400 << QByteArray("malformed request");
    QTest::newRow("no host") << QByteArray("GET / HTTP/1.1\r\n\r\n") << 400 << QByteArray("Host");
    QTest::newRow("ws route without upgrade") << QByteArray("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n") << 426 << QByteArray("ws://");
    QTest::newRow("upgrade to unknown path") << upgradeRequest("/nope") << 404 << QByteArray("no WebSocket route at /nope");
    QTest::newRow("upgrade to empty room") << upgradeRequest("/chat/") << 404 << QByteArray("no WebSocket route");
    QTest::newRow("unsupported subprotocol") << upgradeRequest("/ws", "Sec-WebSocket-Protocol: mqtt\r\n") << 400
                                             << QByteArray("supported: chat, soap, wamp");
    QTest::newRow("subprotocol on a route without any") << upgradeRequest("/clock", "Sec-WebSocket-Protocol: chat\r\n") << 400
                                                         << QByteArray("supported: none");
    QTest::newRow("clock interval too small") << upgradeRequest("/clock?interval=5") << 400 << QByteArray("interval");
    QTest::newRow("clock interval not a number") << upgradeRequest("/clock?interval=soon") << 400 << QByteArray("interval");
    QTest::newRow("wrong version") << QByteArray(upgradeRequest("/ws").replace("Version: 13", "Version: 8")) << 426 << QByteArray("version 13");
    QTest::newRow("bad key") << QByteArray(upgradeRequest("/ws").replace("dGhlIHNhbXBsZSBub25jZQ==", "short")) << 400 << QByteArray("Sec-WebSocket-Key");
    QTest::newRow("upgrade over HTTP/1.0") << QByteArray(upgradeRequest("/ws").replace("HTTP/1.1", "HTTP/1.0")) << 400
                                           << QByteArray("needs HTTP/1.1");
    QTest::newRow("upgrade with POST") << QByteArray(upgradeRequest("/ws").replace("GET", "POST")) << 400 << QByteArray("must use GET");
}

void TestHttpGate::answers()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    QFETCH(QByteArray, bodyContains);
    const QByteArray answer = rawExchange(m_engine->port(), request);
    QCOMPARE(statusOf(answer), status);
    QVERIFY2(bodyOf(answer).contains(bodyContains), bodyOf(answer).constData());
    QVERIFY(answer.contains("Connection: close"));
}

void TestHttpGate::stalledHeadGets408AndOthersAreStillServed()
{
    QTcpSocket stalled;
    stalled.connectToHost(QHostAddress::LocalHost, m_engine->port());
    QVERIFY(stalled.waitForConnected(5000));
    stalled.write("GET / HTTP/1.1\r\nHost: x\r\n"); // never finished
    // Meanwhile another client is served normally.
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    QSignalSpy closed(&stalled, &QTcpSocket::disconnected);
    QVERIFY(closed.wait(5000));
    const QByteArray answer = stalled.readAll();
    QCOMPARE(statusOf(answer), 408);
    QVERIFY(bodyOf(answer).contains("not complete within 300 ms"));
    QSignalSpy echoed(client.get(), &QWebSocket::textMessageReceived);
    client->sendTextMessage(QStringLiteral("still here"));
    QVERIFY(echoed.wait(5000));
}

void TestHttpGate::hugeHeadGets431()
{
    const QByteArray huge = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + QByteArray(32 * 1024, 'a') + "\r\n\r\n";
    const QByteArray answer = rawExchange(m_engine->port(), huge);
    QCOMPARE(statusOf(answer), 431);
    QVERIFY(bodyOf(answer).contains("larger than 16384 bytes"));
    // The server still serves everyone else.
    QCOMPARE(statusOf(rawExchange(m_engine->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")), 200);
}

void TestHttpGate::garbageGets400AtOnce()
{
    // A TLS ClientHello on the plain port: refused without waiting for the head timeout.
    QElapsedTimer timer;
    timer.start();
    const QByteArray answer = rawExchange(m_engine->port(), QByteArray("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
    QCOMPARE(statusOf(answer), 400);
    QVERIFY(timer.elapsed() < 300);
}

void TestHttpGate::refusalsAreLogged()
{
    QSignalSpy records(m_engine.get(), &Engine::recordsAppended);
    QCOMPARE(statusOf(rawExchange(m_engine->port(), upgradeRequest("/missing"))), 404);
    QVERIFY(records.wait(5000));
    const auto batch = records.first().first().value<LogRecordBatch>();
    QCOMPARE(batch.size(), 1);
    QCOMPARE(batch.first().kind, LogRecord::Kind::Refused);
    QCOMPARE(batch.first().closeCode, 404);
    QCOMPARE(batch.first().route, QStringLiteral("/missing"));
    QVERIFY(batch.first().detail.contains(QStringLiteral("no WebSocket route")));
}

void TestHttpGate::foreignOriginIsRefused()
{
    const QByteArray foreign = rawExchange(m_engine->port(), upgradeRequest("/ws", "Origin: https://evil.example\r\n"));
    QCOMPARE(statusOf(foreign), 403);
    QVERIFY(bodyOf(foreign).contains("https://evil.example is not allowed"));
    const QByteArray own = "Origin: http://127.0.0.1:" + QByteArray::number(m_engine->port());
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")), {}, own.mid(8));
    QVERIFY(client);
}

void TestHttpGate::allowedOriginIgnoresCaseOfSchemeAndHost()
{
    ServerConfig config;
    config.allowedOrigins = {QStringLiteral("https://App.Example.com:5173")};
    m_engine = startEngine(config);
    QVERIFY(m_engine);
    for (const QByteArray &origin : {QByteArray("https://app.example.com:5173"), QByteArray("HTTPS://APP.EXAMPLE.COM:5173")}) {
        auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")), {}, origin);
        QVERIFY2(client, origin.constData());
    }
    const QByteArray other = rawExchange(m_engine->port(), upgradeRequest("/ws", "Origin: https://app.example.com:5174\r\n"));
    QCOMPARE(statusOf(other), 403);
}

void TestHttpGate::bearerSchemeInAnyCase_data()
{
    QTest::addColumn<QByteArray>("authorization");
    QTest::addColumn<int>("status");
    QTest::newRow("Bearer") << QByteArray("Bearer s3cret") << 101;
    QTest::newRow("bearer") << QByteArray("bearer s3cret") << 101;
    QTest::newRow("BEARER") << QByteArray("BEARER s3cret") << 101;
    QTest::newRow("wrong token") << QByteArray("bearer nope") << 401;
    QTest::newRow("Basic") << QByteArray("Basic s3cret") << 401;
}

void TestHttpGate::bearerSchemeInAnyCase()
{
    // RFC 7235: the scheme is case-insensitive, on an upgrade as in the admin API.
    QFETCH(QByteArray, authorization);
    QFETCH(int, status);
    ServerConfig config;
    config.token = QStringLiteral("s3cret");
    m_engine = startEngine(config);
    QVERIFY(m_engine);
    QByteArray head;
    auto raw = rawWebSocket(m_engine->port(), "/ws", "Authorization: " + authorization + "\r\n", &head);
    if (status == 101)
        QVERIFY2(raw, head.constData());
    else
        QCOMPARE(statusOf(head), status);
}

void TestHttpGate::listenBacklog_data()
{
    QFile somaxconn(QStringLiteral("/proc/sys/net/core/somaxconn"));
    QVERIFY(somaxconn.open(QIODevice::ReadOnly));
    QTest::addColumn<int>("configured");
    QTest::addColumn<int>("expected");
    QTest::newRow("default: the system's maximum") << 0 << somaxconn.readAll().trimmed().toInt();
    QTest::newRow("--listen-backlog 123") << 123 << 123;
}

void TestHttpGate::listenBacklog()
{
    // Qt's default of 50 made every ~51st of a burst of connects wait for a SYN retransmit.
    QFETCH(int, configured);
    QFETCH(int, expected);
    ServerConfig config;
    config.listenBacklog = configured;
    m_engine = startEngine(config);
    QVERIFY(m_engine);
    QCOMPARE(m_engine->listenBacklog(), expected);
    // What the kernel was told, as ss shows it: Send-Q of a listening socket is its backlog.
    const ProcessRun ss = runToEnd(QStringLiteral("ss"), {QStringLiteral("-ltnH"),
                                                          QStringLiteral("sport = :%1").arg(m_engine->port())});
    QCOMPARE(ss.exitCode, 0);
    const QList<QByteArray> fields = ss.out.simplified().split(' ');
    QVERIFY2(fields.size() >= 3, ss.out.constData());
    QCOMPARE(fields.at(2).toInt(), expected);
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
}

QTEST_GUILESS_MAIN(TestHttpGate)
#include "tst_httpgate.moc"
