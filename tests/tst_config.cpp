#include "server/ServerConfig.h"

#include <QTest>

class TestConfig : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void defaults();
    void loadsRoutes();
    void loadsDeflate_data();
    void loadsDeflate();
    void errorsNameTheirPath_data();
    void errorsNameTheirPath();
    void routeMatching();
};

void TestConfig::defaults()
{
    const ServerConfig config;
    QCOMPARE(config.host, QStringLiteral("127.0.0.1"));
    QCOMPARE(config.port, quint16(8080));
    QCOMPARE(config.maxHeadBytes, 16 * 1024);
    QCOMPARE(config.headTimeoutMs, 5000);
    QCOMPARE(config.routes.routes().size(), 4);
    QCOMPARE(config.routes.routes().at(0).subprotocols,
             (QStringList{QStringLiteral("chat"), QStringLiteral("soap"), QStringLiteral("wamp")}));
}

void TestConfig::loadsRoutes()
{
    ServerConfig config;
    QString error;
    QVERIFY2(config.loadJson(R"({"port": 9001, "routes": [
        {"path": "/echo", "behaviour": "echo", "subprotocols": ["v1"]},
        {"path": "/room/:room", "behaviour": "chat"},
        {"path": "/tick", "behaviour": "clock", "intervalMs": 1000},
        {"path": "/live/:room", "behaviour": "proxy", "upstream": "ws:\/\/127.0.0.1:9000/rooms/:room",
         "forwardOrigin": true, "script": "hooks.js", "budgetMs": 100}]})",
                             QStringLiteral("test.json"), &error),
             qPrintable(error));
    QCOMPARE(config.port, quint16(9001));
    QCOMPARE(config.routes.routes().size(), 4);
    QCOMPARE(config.routes.routes().at(3).behaviour, RouteBehaviourKind::Proxy);
    QCOMPARE(config.routes.routes().at(3).upstream, QStringLiteral("ws://127.0.0.1:9000/rooms/:room"));
    QVERIFY(config.routes.routes().at(3).forwardOrigin);
    QCOMPARE(config.routes.routes().at(3).script, QStringLiteral("hooks.js")); // a proxy route's hooks
    QCOMPARE(config.routes.routes().at(3).scriptBudgetMs, 100);
    ServerConfig again; // and they survive a save
    QVERIFY2(again.loadJson(config.toJson(), QStringLiteral("saved.json"), &error), qPrintable(error));
    QCOMPARE(again.routes.routes().at(3).script, QStringLiteral("hooks.js"));
    QCOMPARE(again.routes.routes().at(3).scriptBudgetMs, 100);
    QCOMPARE(config.routes.routes().at(2).clockIntervalMs, 1000);
    QCOMPARE(config.routes.match(QStringLiteral("/room/lobby")).params.value(QStringLiteral("room")),
             QStringLiteral("lobby"));
}

void TestConfig::loadsDeflate_data()
{
    QTest::addColumn<QByteArray>("deflate"); // the route's "deflate" value; empty: no key
    QTest::addColumn<bool>("enabled");
    QTest::addColumn<bool>("contextTakeover");
    QTest::addColumn<int>("maxWindowBits");
    QTest::addColumn<int>("thresholdBytes");
    QTest::newRow("default") << QByteArray() << true << false << 15 << 1024;
    QTest::newRow("true") << QByteArray("true") << true << false << 15 << 1024;
    QTest::newRow("false") << QByteArray("false") << false << false << 15 << 1024;
    QTest::newRow("context takeover") << QByteArray(R"({"contextTakeover": true, "maxWindowBits": 10})") << true << true
                                      << 10 << 1024;
    QTest::newRow("threshold") << QByteArray(R"({"thresholdBytes": 0})") << true << false << 15 << 0;
}

void TestConfig::loadsDeflate()
{
    QFETCH(QByteArray, deflate);
    QFETCH(bool, enabled);
    QFETCH(bool, contextTakeover);
    QFETCH(int, maxWindowBits);
    QFETCH(int, thresholdBytes);
    const QByteArray key = deflate.isEmpty() ? QByteArray() : ", \"deflate\": " + deflate;
    ServerConfig config;
    QString error;
    QVERIFY2(config.loadJson(R"({"routes": [{"path": "/a", "behaviour": "echo")" + key + "}]}", QStringLiteral("test.json"),
                             &error),
             qPrintable(error));
    const DeflatePolicy &policy = config.routes.routes().at(0).deflate;
    QCOMPARE(policy.enabled, enabled);
    QCOMPARE(policy.contextTakeover, contextTakeover);
    QCOMPARE(policy.maxWindowBits, maxWindowBits);
    QCOMPARE(policy.thresholdBytes, thresholdBytes);
    // What the dashboard saves reads back the same.
    ServerConfig reread;
    QVERIFY2(reread.loadJson(config.toJson(), QStringLiteral("saved.json"), &error), qPrintable(error));
    QVERIFY(reread.routes.routes().at(0).deflate == policy);
}

void TestConfig::errorsNameTheirPath_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("expected");
    QTest::newRow("not json") << QByteArray("{") << QStringLiteral("test.json: line 1, column 2: ");
    QTest::newRow("not json, line 3") << QByteArray("{\n  \"port\": 1,\n  \"host\" \"x\"\n}")
                                      << QStringLiteral("test.json: line 3, column 11: ");
    QTest::newRow("key on line 2") << QByteArray("{\"host\": \"127.0.0.1\",\n \"limits\": {\"maxHeadBytes\": \"big\"}}")
                                   << QStringLiteral("test.json: limits.maxHeadBytes: must be a whole number");
    QTest::newRow("unknown key") << QByteArray(R"({"prot": 1})") << QStringLiteral("test.json: prot: unknown key");
    QTest::newRow("port range") << QByteArray(R"({"port": 70000})") << QStringLiteral("test.json: port: must be a whole number from 0 to 65535");
    QTest::newRow("behaviour") << QByteArray(R"({"routes": [{"path": "/a", "behaviour": "mirror"}]})")
                               << QStringLiteral("test.json: routes[0].behaviour: unknown behaviour 'mirror'");
    QTest::newRow("path") << QByteArray(R"({"routes": [{"path": "a", "behaviour": "echo"}]})")
                          << QStringLiteral("test.json: routes[0].path: a route path must start with '/'");
    QTest::newRow("limit") << QByteArray(R"({"limits": {"maxHeadBytes": "big"}})")
                           << QStringLiteral("test.json: limits.maxHeadBytes: must be a whole number");
    QTest::newRow("proxy upstream") << QByteArray(R"({"routes": [{"path": "/a", "behaviour": "proxy", "upstream": "http://x/"}]})")
                                    << QStringLiteral("test.json: routes[0].upstream: must be a ws:// or wss:// URL with a host");
    QTest::newRow("proxy no upstream") << QByteArray(R"({"routes": [{"path": "/a", "behaviour": "proxy"}]})")
                                       << QStringLiteral("test.json: routes[0].upstream: is required for a proxy route");
    QTest::newRow("route key") << QByteArray(R"({"routes": [{"path": "/a", "behaviour": "echo", "x": 1}]})")
                               << QStringLiteral("test.json: routes[0].x: unknown key");
    QTest::newRow("deflate type") << QByteArray(R"({"routes": [{"path": "/a", "behaviour": "echo", "deflate": "yes"}]})")
                                  << QStringLiteral("test.json: routes[0].deflate: must be true, false or an object");
    QTest::newRow("deflate window") << QByteArray(R"({"routes": [{"path": "/a", "behaviour": "echo", "deflate": {"maxWindowBits": 8}}]})")
                                    << QStringLiteral("test.json: routes[0].deflate.maxWindowBits: must be a whole number from 9 to 15");
    QTest::newRow("deflate takeover") << QByteArray(R"({"routes": [{"path": "/a", "behaviour": "echo", "deflate": {"contextTakeover": 1}}]})")
                                      << QStringLiteral("test.json: routes[0].deflate.contextTakeover: must be true or false");
    QTest::newRow("deflate key") << QByteArray(R"({"routes": [{"path": "/a", "behaviour": "echo", "deflate": {"level": 9}}]})")
                                 << QStringLiteral("test.json: routes[0].deflate.level: unknown key");
    QTest::newRow("deflate everywhere") << QByteArray(R"({"deflate": "off"})")
                                        << QStringLiteral("test.json: deflate: must be true or false");
}

void TestConfig::errorsNameTheirPath()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, expected);
    ServerConfig config;
    QString error;
    QVERIFY(!config.loadJson(json, QStringLiteral("test.json"), &error));
    QVERIFY2(error.startsWith(expected), qPrintable(error));
    QCOMPARE(config.port, quint16(8080)); // nothing half-applied
    QCOMPARE(config.routes.routes().size(), 4);
}

void TestConfig::routeMatching()
{
    const RouteTable table = RouteTable::defaults();
    QCOMPARE(table.match(QStringLiteral("/ws")).index, 0);
    QCOMPARE(table.match(QStringLiteral("/chat/a")).index, 1);
    QVERIFY(!table.match(QStringLiteral("/chat/")).isValid());
    QVERIFY(!table.match(QStringLiteral("/chat/a/b")).isValid());
    QVERIFY(!table.match(QStringLiteral("/ws/")).isValid());
    QVERIFY(!table.match(QStringLiteral("/nope")).isValid());
}

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
