#include "server/ServerConfig.h"

#include <QTest>

class TestConfig : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void defaults();
    void loadsRoutes();
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
        {"path": "/tick", "behaviour": "clock", "intervalMs": 1000}]})",
                             QStringLiteral("test.json"), &error),
             qPrintable(error));
    QCOMPARE(config.port, quint16(9001));
    QCOMPARE(config.routes.routes().size(), 3);
    QCOMPARE(config.routes.routes().at(2).clockIntervalMs, 1000);
    QCOMPARE(config.routes.match(QStringLiteral("/room/lobby")).params.value(QStringLiteral("room")),
             QStringLiteral("lobby"));
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
    QTest::newRow("route key") << QByteArray(R"({"routes": [{"path": "/a", "behaviour": "echo", "x": 1}]})")
                               << QStringLiteral("test.json: routes[0].x: unknown key");
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
