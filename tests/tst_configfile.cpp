// The config file as users meet it: saved and loaded back whole, overridden by flags, errors named by
// their path with the server not started, and --help showing every flag's default.
#include "TestSupport.h"
#include "cli/CommandLine.h"
#include "server/ServerConfig.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

namespace {

// A config where every value differs from the default.
ServerConfig everythingChanged()
{
    ServerConfig config;
    config.host = QStringLiteral("0.0.0.0");
    config.port = 9123;
    config.allowedOrigins = {QStringLiteral("http://localhost:5173"), QStringLiteral("https://app.example")};
    config.token = QStringLiteral("client-token");
    config.adminToken = QStringLiteral("admin-token");
    config.slowConsumerPolicy = ServerConfig::SlowConsumerPolicy::Drop;
    config.redisUrl = QStringLiteral("redis://127.0.0.1:6390/2");
    config.clusterName = QStringLiteral("blue-team");
    config.maxHeadBytes = 8192;
    config.headTimeoutMs = 1234;
    config.upgradeTimeoutMs = 2345;
    config.maxMessageBytes = 4096;
    config.shutdownGraceMs = 345;
    config.maxConnections = 77;
    config.maxConnectionsPerIp = 7;
    config.messagesPerSecond = 55;
    config.messageBurst = 66;
    config.heartbeatIntervalMs = 0;
    config.heartbeatTimeoutMs = 999;
    config.maxBufferedBytes = 65536;
    config.logCapacity = 5000;
    config.logPayloadCapBytes = 1024;
    config.logMaxBytes = 3 << 20;
    config.recordPath = QStringLiteral("/tmp/switchboard-rec.jsonl");
    config.recordMaxBytes = 1 << 20;
    config.recordKeepFiles = 2;
    RouteTable routes;
    routes.add({QStringLiteral("/echo"), RouteBehaviourKind::Echo, {QStringLiteral("v1"), QStringLiteral("v2")}, 200, {}, 250});
    routes.add({QStringLiteral("/room/:room"), RouteBehaviourKind::Chat, {}, 200, {}, 250});
    routes.add({QStringLiteral("/tick"), RouteBehaviourKind::Clock, {}, 1500, {}, 250});
    routes.add({QStringLiteral("/op"), RouteBehaviourKind::Operator, {}, 200, {}, 250});
    config.routes = routes;
    return config;
}

TestSupport::ProcessRun runSwitchboard(const QStringList &arguments)
{
    return TestSupport::runToEnd(QStringLiteral(SWITCHBOARD_BIN), arguments, TestSupport::environmentWithoutDisplay());
}

} // namespace

class TestConfigFile : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void savedFileLoadsBackWhole();
    void savedFileWithTokensIsPrivate();
    void flagsOverrideTheFile();
    void badFileIsNamedAndNothingStarts_data();
    void badFileIsNamedAndNothingStarts();
    void helpListsEveryFlagWithItsDefault();
    void scriptRoutesFromFileAndFlags();
};

void TestConfigFile::savedFileLoadsBackWhole()
{
    const ServerConfig saved = everythingChanged();
    ServerConfig loaded;
    QString error;
    QVERIFY2(loaded.loadJson(saved.toJson(), QStringLiteral("saved.json"), &error), qPrintable(error));
    QCOMPARE(loaded.host, saved.host);
    QCOMPARE(loaded.port, saved.port);
    QCOMPARE(loaded.allowedOrigins, saved.allowedOrigins);
    QCOMPARE(loaded.token, saved.token);
    QCOMPARE(loaded.adminToken, saved.adminToken);
    QCOMPARE(loaded.slowConsumerPolicy, saved.slowConsumerPolicy);
    QCOMPARE(loaded.redisUrl, saved.redisUrl);
    QCOMPARE(loaded.clusterName, saved.clusterName);
    QCOMPARE(loaded.maxHeadBytes, saved.maxHeadBytes);
    QCOMPARE(loaded.headTimeoutMs, saved.headTimeoutMs);
    QCOMPARE(loaded.maxMessageBytes, saved.maxMessageBytes);
    QCOMPARE(loaded.shutdownGraceMs, saved.shutdownGraceMs);
    QCOMPARE(loaded.maxConnections, saved.maxConnections);
    QCOMPARE(loaded.maxConnectionsPerIp, saved.maxConnectionsPerIp);
    QCOMPARE(loaded.messagesPerSecond, saved.messagesPerSecond);
    QCOMPARE(loaded.messageBurst, saved.messageBurst);
    QCOMPARE(loaded.heartbeatIntervalMs, saved.heartbeatIntervalMs);
    QCOMPARE(loaded.heartbeatTimeoutMs, saved.heartbeatTimeoutMs);
    QCOMPARE(loaded.maxBufferedBytes, saved.maxBufferedBytes);
    QCOMPARE(loaded.logCapacity, saved.logCapacity);
    QCOMPARE(loaded.logPayloadCapBytes, saved.logPayloadCapBytes);
    QCOMPARE(loaded.logMaxBytes, saved.logMaxBytes);
    QCOMPARE(loaded.recordPath, saved.recordPath);
    QCOMPARE(loaded.recordMaxBytes, saved.recordMaxBytes);
    QCOMPARE(loaded.recordKeepFiles, saved.recordKeepFiles);
    QCOMPARE(loaded.routes.routes().size(), 4);
    for (int i = 0; i < 4; ++i) {
        const RouteSpec &a = loaded.routes.routes().at(i);
        const RouteSpec &b = saved.routes.routes().at(i);
        QCOMPARE(a.pattern, b.pattern);
        QCOMPARE(a.behaviour, b.behaviour);
        QCOMPARE(a.subprotocols, b.subprotocols);
        if (b.behaviour == RouteBehaviourKind::Clock)
            QCOMPARE(a.clockIntervalMs, b.clockIntervalMs);
    }
    // A fixed point: saving what was loaded gives the same file.
    QCOMPARE(loaded.toJson(), saved.toJson());
    // Defaults round-trip too (no tokens: the keys are left out rather than written empty).
    ServerConfig defaults;
    QVERIFY2(defaults.loadJson(ServerConfig().toJson(), QStringLiteral("defaults.json"), &error), qPrintable(error));
    QVERIFY(!ServerConfig().toJson().contains("adminToken"));
    QVERIFY(!ServerConfig().toJson().contains("recordFile")); // not recording: no key
    QCOMPARE(defaults.recordPath, QString());
    // Keys the README calls obsolete are read from older files but never written again.
    QVERIFY(!saved.toJson().contains("upgradeTimeoutMs"));
    ServerConfig older;
    QVERIFY2(older.loadJson(R"({"limits": {"upgradeTimeoutMs": 3000, "headTimeoutMs": 4000}})", QStringLiteral("old.json"), &error),
             qPrintable(error));
    QCOMPARE(older.headTimeoutMs, 4000);
    QVERIFY(!older.toJson().contains("upgradeTimeoutMs"));
}

void TestConfigFile::savedFileWithTokensIsPrivate()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("switchboard.json"));
    QString error;
    QVERIFY2(everythingChanged().saveFile(path, &error), qPrintable(error));
    QCOMPARE(QFile(path).permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther), QFileDevice::Permissions());
    ServerConfig loaded;
    QVERIFY2(loaded.loadFile(path, &error), qPrintable(error));
    QCOMPARE(loaded.adminToken, QStringLiteral("admin-token"));
    QVERIFY(!ServerConfig().saveFile(dir.filePath(QStringLiteral("no/such/dir/x.json")), &error));
    QVERIFY2(error.contains(QLatin1String("x.json: cannot write")), qPrintable(error));
}

void TestConfigFile::flagsOverrideTheFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("cfg.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"port": 9001, "adminToken": "from-file", "allowedOrigins": ["http://a.example"],
                  "limits": {"maxMessageBytes": 2048},
                  "log": {"capacity": 500, "payloadCapBytes": 100, "maxBytes": 1048576, "recordFile": "from-file.jsonl",
                          "recordMaxBytes": 4096, "recordKeep": 1}})");
    file.close();

    CommandLineOptions fromFile;
    QCOMPARE(CommandLine::parse({QStringLiteral("switchboard"), QStringLiteral("--config"), path}, &fromFile),
             CommandLine::Outcome::Run);
    QCOMPARE(fromFile.config.port, quint16(9001));
    QCOMPARE(fromFile.config.adminToken, QStringLiteral("from-file"));
    QCOMPARE(fromFile.config.maxMessageBytes, qint64(2048));
    QCOMPARE(fromFile.config.logCapacity, 500);
    QCOMPARE(fromFile.config.logPayloadCapBytes, 100);
    QCOMPARE(fromFile.config.logMaxBytes, qint64(1048576));
    QCOMPARE(fromFile.config.recordPath, QStringLiteral("from-file.jsonl"));
    QCOMPARE(fromFile.config.recordMaxBytes, qint64(4096));
    QCOMPARE(fromFile.config.recordKeepFiles, 1);
    QCOMPARE(fromFile.configPath, path);

    CommandLineOptions overridden;
    QCOMPARE(CommandLine::parse({QStringLiteral("switchboard"), QStringLiteral("--config"), path, QStringLiteral("--port"),
                                 QStringLiteral("9002"), QStringLiteral("--admin-token"), QStringLiteral("from-flag"),
                                 QStringLiteral("--allow-origin"), QStringLiteral("http://b.example"),
                                 QStringLiteral("--log-capacity"), QStringLiteral("600"), QStringLiteral("--log-max-bytes"),
                                 QStringLiteral("2097152"), QStringLiteral("--record"),
                                 QStringLiteral("from-flag.jsonl"), QStringLiteral("--record-keep"), QStringLiteral("3")},
                                &overridden),
             CommandLine::Outcome::Run);
    QCOMPARE(overridden.config.port, quint16(9002));
    QCOMPARE(overridden.config.adminToken, QStringLiteral("from-flag"));
    QCOMPARE(overridden.config.maxMessageBytes, qint64(2048)); // not given as a flag: the file's
    QCOMPARE(overridden.config.logCapacity, 600);
    QCOMPARE(overridden.config.logMaxBytes, qint64(2097152));
    QCOMPARE(overridden.config.recordPath, QStringLiteral("from-flag.jsonl"));
    QCOMPARE(overridden.config.recordKeepFiles, 3);
    QCOMPARE(overridden.config.logPayloadCapBytes, 100);
    QCOMPARE(overridden.config.recordMaxBytes, qint64(4096));
    QCOMPARE(overridden.config.allowedOrigins, (QStringList{QStringLiteral("http://a.example"), QStringLiteral("http://b.example")}));
}

void TestConfigFile::badFileIsNamedAndNothingStarts_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("error");
    QTest::newRow("limit") << QByteArray(R"({"limits": {"maxHeadBytes": "big"}})") << QStringLiteral("limits.maxHeadBytes: must be a whole number");
    QTest::newRow("route") << QByteArray(R"({"routes": [{"path": "/a", "behaviour": "echo"}, {"path": "/b", "behaviour": "mirror"}]})")
                           << QStringLiteral("routes[1].behaviour: unknown behaviour 'mirror'");
    QTest::newRow("admin token") << QByteArray(R"({"port": 0, "adminToken": "has space"})") << QStringLiteral("adminToken: may only hold visible ASCII");
    QTest::newRow("upgrade timeout") << QByteArray(R"({"limits": {"upgradeTimeoutMs": 5}})") << QStringLiteral("limits.upgradeTimeoutMs: must be a whole number from 100");
    QTest::newRow("log capacity") << QByteArray(R"({"log": {"capacity": 0}})") << QStringLiteral("log.capacity: must be a whole number from 1");
    QTest::newRow("log max bytes") << QByteArray(R"({"log": {"maxBytes": 100}})") << QStringLiteral("log.maxBytes: must be a whole number from 65536");
    QTest::newRow("record file") << QByteArray(R"({"log": {"recordFile": ""}})") << QStringLiteral("log.recordFile: must name a file");
    QTest::newRow("log typo") << QByteArray(R"({"log": {"recordKeepFiles": 2}})") << QStringLiteral("log.recordKeepFiles: unknown key");
    QTest::newRow("script without file") << QByteArray(R"({"routes": [{"path": "/feed", "behaviour": "script"}]})")
                                         << QStringLiteral("routes[0].script: is required for a script route");
    QTest::newRow("typo") << QByteArray(R"({"admin_token": "x"})") << QStringLiteral("admin_token: unknown key");
}

void TestConfigFile::badFileIsNamedAndNothingStarts()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, error);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("bad.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(json);
    file.close();
    const TestSupport::ProcessRun run = runSwitchboard({QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("0"),
                                    QStringLiteral("--config"), path});
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(QString::fromUtf8(run.err).contains(path + QStringLiteral(": ") + error), run.err.constData());
    QVERIFY2(!run.out.contains("Listening"), run.out.constData()); // never started, not even half-configured
}

void TestConfigFile::helpListsEveryFlagWithItsDefault()
{
    const TestSupport::ProcessRun run = runSwitchboard({QStringLiteral("--help")});
    QCOMPARE(run.exitCode, 0);
    // Each option starts a line with "  -"; its description runs until the next one.
    static const QRegularExpression optionLine(QStringLiteral("^  (-\\w, )?--([\\w-]+)"));
    QString option;
    QString description;
    QStringList withoutDefault;
    int options = 0;
    const auto finish = [&] {
        const bool builtIn = QStringList{"help", "help-all", "version"}.contains(option);
        if (!option.isEmpty() && !builtIn && !description.contains(QLatin1String("default"), Qt::CaseInsensitive))
            withoutDefault.append(QStringLiteral("--") + option);
    };
    for (const QByteArray &raw : run.out.split('\n')) {
        const QString line = QString::fromUtf8(raw);
        const QRegularExpressionMatch match = optionLine.match(line);
        if (match.hasMatch()) {
            finish();
            option = match.captured(2);
            description = line;
            ++options;
        } else if (!option.isEmpty()) {
            description += QLatin1Char(' ') + line.trimmed();
        }
    }
    finish();
    QVERIFY(options > 10);
    QVERIFY2(run.out.contains("--admin-token <secret>"), run.out.constData());
    QVERIFY2(withoutDefault.isEmpty(), qPrintable(QStringLiteral("no default shown for ") + withoutDefault.join(QLatin1String(", "))));
}


// "script" is relative to the config file; --script adds or replaces routes, --script-budget sets budgets.
void TestConfigFile::scriptRoutesFromFileAndFlags()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("cfg.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"routes": [{"path": "/feed/:symbol", "behaviour": "script", "script": "mocks/feed.js", "budgetMs": 80, "heapMb": 64},
                              {"path": "/ws", "behaviour": "echo"}]})");
    file.close();
    CommandLineOptions fromFile;
    QCOMPARE(CommandLine::parse({QStringLiteral("switchboard"), QStringLiteral("--config"), path}, &fromFile),
             CommandLine::Outcome::Run);
    const RouteSpec feed = fromFile.config.routes.routes().at(0);
    QCOMPARE(feed.behaviour, RouteBehaviourKind::Script);
    QCOMPARE(feed.script, dir.filePath(QStringLiteral("mocks/feed.js")));
    QCOMPARE(feed.scriptBudgetMs, 80);
    QCOMPARE(feed.scriptHeapMb, 64);

    CommandLineOptions flags;
    QCOMPARE(CommandLine::parse({QStringLiteral("switchboard"), QStringLiteral("--config"), path, QStringLiteral("--script"),
                                 QStringLiteral("/ws=/srv/echo.js"), QStringLiteral("--script"), QStringLiteral("/new=/srv/new.js"),
                                 QStringLiteral("--script-budget"), QStringLiteral("40"), QStringLiteral("--script-heap"),
                                 QStringLiteral("48")},
                                &flags),
             CommandLine::Outcome::Run);
    const QVector<RouteSpec> routes = flags.config.routes.routes();
    QCOMPARE(routes.size(), 3);
    QCOMPARE(routes.at(1).behaviour, RouteBehaviourKind::Script); // /ws replaced in place
    QCOMPARE(routes.at(1).script, QStringLiteral("/srv/echo.js"));
    QCOMPARE(routes.at(2).pattern, QStringLiteral("/new"));
    QCOMPARE(routes.at(0).scriptBudgetMs, 40);
    QCOMPARE(routes.at(0).scriptHeapMb, 48);
    QCOMPARE(routes.at(2).scriptHeapMb, 48);

    CommandLineOptions bad;
    QCOMPARE(CommandLine::parse({QStringLiteral("switchboard"), QStringLiteral("--script"), QStringLiteral("/nofile")}, &bad),
             CommandLine::Outcome::ExitError);

    // On a proxy route's path, --script gives that proxy its hooks instead of replacing it.
    CommandLineOptions hooked;
    QCOMPARE(CommandLine::parse({QStringLiteral("switchboard"), QStringLiteral("--proxy"), QStringLiteral("/live=ws://127.0.0.1:9000/s"),
                                 QStringLiteral("--script"), QStringLiteral("/live=/srv/hooks.js")},
                                &hooked),
             CommandLine::Outcome::Run);
    const RouteSpec live = hooked.config.routes.routes().constLast();
    QCOMPARE(live.behaviour, RouteBehaviourKind::Proxy);
    QCOMPARE(live.upstream, QStringLiteral("ws://127.0.0.1:9000/s"));
    QCOMPARE(live.script, QStringLiteral("/srv/hooks.js"));
}

QTEST_GUILESS_MAIN(TestConfigFile)
#include "tst_configfile.moc"
