// The switchboard executable as users run it on a machine without a display.
#include "TestSupport.h"

#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>
#include <csignal>

using TestSupport::environmentWithoutDisplay;

namespace {

TestSupport::ProcessRun runToEnd(const QStringList &arguments)
{
    return TestSupport::runToEnd(QStringLiteral(SWITCHBOARD_BIN), arguments, environmentWithoutDisplay());
}

} // namespace

class TestHeadless : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void printsListeningFirstAndStopsWith1001OnSigterm_data();
    void printsListeningFirstAndStopsWith1001OnSigterm();
    void help();
    void version();
    void badPort();
    void portInUseIsAClearError();
    void noDisplayPointsToHeadless();
    void badConfigFileSaysLineAndColumn();
};

void TestHeadless::printsListeningFirstAndStopsWith1001OnSigterm_data()
{
    QTest::addColumn<int>("signalNumber");
    QTest::newRow("SIGTERM") << int(SIGTERM);
    QTest::newRow("SIGINT") << int(SIGINT);
}

void TestHeadless::printsListeningFirstAndStopsWith1001OnSigterm()
{
    QFETCH(int, signalNumber);
    QProcess server;
    server.setProcessEnvironment(environmentWithoutDisplay());
    server.start(QStringLiteral(SWITCHBOARD_BIN), {QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("0")});
    QVERIFY(server.waitForStarted(10000));
    QTRY_VERIFY_WITH_TIMEOUT(server.canReadLine(), 10000);
    const QByteArray firstLine = server.readLine().trimmed();
    QVERIFY2(firstLine.startsWith("Listening on http://127.0.0.1:"), firstLine.constData());
    const QUrl url(QString::fromUtf8(firstLine.mid(int(qstrlen("Listening on ")))));
    QVERIFY(url.port() > 0);

    QWebSocket client;
    QSignalSpy connected(&client, &QWebSocket::connected);
    QUrl wsUrl = url;
    wsUrl.setScheme(QStringLiteral("ws"));
    wsUrl.setPath(QStringLiteral("/ws"));
    client.open(wsUrl);
    QVERIFY(connected.wait(10000));

    QSignalSpy disconnected(&client, &QWebSocket::disconnected);
    QSignalSpy finished(&server, &QProcess::finished);
    ::kill(static_cast<pid_t>(server.processId()), signalNumber);
    QVERIFY(disconnected.wait(10000));
    QCOMPARE(int(client.closeCode()), 1001);
    QVERIFY(finished.count() == 1 || finished.wait(10000));
    QCOMPARE(server.exitStatus(), QProcess::NormalExit);
    QCOMPARE(server.exitCode(), 0);
}

void TestHeadless::help()
{
    const TestSupport::ProcessRun run = runToEnd({QStringLiteral("--help")});
    QCOMPARE(run.exitCode, 0);
    for (const char *flag : {"--headless", "--host", "--port", "--config", "--allow-origin", "--version"})
        QVERIFY2(run.out.contains(flag), flag);
}

void TestHeadless::version()
{
    const TestSupport::ProcessRun run = runToEnd({QStringLiteral("--version")});
    QCOMPARE(run.exitCode, 0);
    QVERIFY(run.out.startsWith("switchboard " SWITCHBOARD_VERSION));
}

void TestHeadless::badPort()
{
    const TestSupport::ProcessRun run = runToEnd({QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("http")});
    QCOMPARE(run.exitCode, 2);
    QVERIFY(run.err.contains("--port must be a number from 0 to 65535"));
    const TestSupport::ProcessRun unknown = runToEnd({QStringLiteral("--headless"), QStringLiteral("--colour")});
    QCOMPARE(unknown.exitCode, 2);
    QVERIFY(unknown.err.contains("Unknown option 'colour'"));
}

void TestHeadless::portInUseIsAClearError()
{
    QTcpServer occupant;
    QVERIFY(occupant.listen(QHostAddress::LocalHost, 0));
    const TestSupport::ProcessRun run = runToEnd({QStringLiteral("--headless"), QStringLiteral("--port"), QString::number(occupant.serverPort())});
    QCOMPARE(run.exitCode, 1);
    QVERIFY2(run.err.contains("cannot listen on 127.0.0.1:" + QByteArray::number(occupant.serverPort())), run.err.constData());
}

void TestHeadless::noDisplayPointsToHeadless()
{
    const TestSupport::ProcessRun run = runToEnd({});
    QCOMPARE(run.exitCode, 2);
    QVERIFY(run.err.contains("no display found"));
    QVERIFY(run.err.contains("switchboard --headless --port 8080"));
}

void TestHeadless::badConfigFileSaysLineAndColumn()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("broken.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("{\n  \"port\": 9000,\n  \"host\": \"127.0.0.1\"\n  \"token\": \"x\"\n}\n"); // a comma missing
    file.close();
    const TestSupport::ProcessRun run = runToEnd({QStringLiteral("--headless"), QStringLiteral("--config"), path});
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(path.toUtf8() + ": line 4, column 4: "), run.err.constData());
}

QTEST_GUILESS_MAIN(TestHeadless)
#include "tst_headless.moc"
