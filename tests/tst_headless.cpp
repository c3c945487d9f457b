// The switchboard executable as users run it on a machine without a display.
#include "TestSupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>
#include <csignal>
#include <memory>
#include <sys/resource.h>
#include <unistd.h>

using TestSupport::environmentWithoutDisplay;

namespace {

TestSupport::ProcessRun runToEnd(const QStringList &arguments)
{
    return TestSupport::runToEnd(QStringLiteral(SWITCHBOARD_BIN), arguments, environmentWithoutDisplay());
}

// Starts `switchboard --headless --port 0`; *url: where it says it listens.
void startHeadless(QProcess &server, QUrl *url)
{
    server.setProcessEnvironment(environmentWithoutDisplay());
    server.start(QStringLiteral(SWITCHBOARD_BIN), {QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("0")});
    QVERIFY(server.waitForStarted(10000));
    QTRY_VERIFY_WITH_TIMEOUT(server.canReadLine(), 10000);
    const QByteArray firstLine = server.readLine().trimmed();
    QVERIFY2(firstLine.startsWith("Listening on http://127.0.0.1:"), firstLine.constData());
    *url = QUrl(QString::fromUtf8(firstLine.mid(int(qstrlen("Listening on ")))));
    QVERIFY(url->port() > 0);
}

// Runs `switchboard --headless --port 0` after the shell command `ulimit` (a descriptor limit), expects
// `line` on its stderr, then stops it with SIGTERM.
void expectStderrUnderLimit(const QString &ulimit, const QByteArray &line)
{
    QProcess server;
    server.setProcessEnvironment(environmentWithoutDisplay());
    server.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), ulimit + QStringLiteral(" && exec \"$0\" --headless --port 0"),
                                             QStringLiteral(SWITCHBOARD_BIN)});
    QVERIFY(server.waitForStarted(10000));
    QTRY_VERIFY_WITH_TIMEOUT(server.canReadLine(), 10000);
    QVERIFY(server.readLine().startsWith("Listening on "));
    QByteArray err;
    QTRY_VERIFY_WITH_TIMEOUT((err += server.readAllStandardError()).contains(line), 10000);
    QSignalSpy finished(&server, &QProcess::finished);
    ::kill(static_cast<pid_t>(server.processId()), SIGTERM);
    QVERIFY(finished.wait(10000));
    QCOMPARE(server.exitCode(), 0);
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
    void controlCharactersInLoggedPathsAreEscaped();
    void softDescriptorLimitIsRaisedToTheHardOne();
    void maxConnectionsIsClampedToTheDescriptorLimit();
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
    QUrl url;
    startHeadless(server, &url);
    if (QTest::currentTestFailed())
        return;

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

void TestHeadless::controlCharactersInLoggedPathsAreEscaped()
{
    // A path with CR LF and NUL (percent-decoded before it is logged) must not forge or cut a line.
    QProcess server;
    QUrl url;
    startHeadless(server, &url);
    if (QTest::currentTestFailed())
        return;
    const QByteArray answer = TestSupport::rawExchange(
        quint16(url.port()),
        "GET /x%0d%0aswitchboard.server:%20client%2042%20closed%201000%20FORGED%00tail HTTP/1.1\r\nHost: x\r\n\r\n");
    QCOMPARE(TestSupport::statusOf(answer), 404);
    QByteArray err;
    QTRY_VERIFY_WITH_TIMEOUT((err += server.readAllStandardError()).contains("FORGED"), 10000);
    QSignalSpy finished(&server, &QProcess::finished);
    ::kill(static_cast<pid_t>(server.processId()), SIGTERM);
    QVERIFY(finished.wait(10000));
    err += server.readAllStandardError();
    const QList<QByteArray> lines = err.split('\n');
    for (const QByteArray &line : lines)
        QVERIFY2(!line.startsWith("switchboard.server: client 42"), err.constData());
    QVERIFY2(err.contains("/x\\r\\nswitchboard.server: client 42 closed 1000 FORGED\\x00tail"), err.constData());
}

void TestHeadless::softDescriptorLimitIsRaisedToTheHardOne()
{
    // Started with a soft limit of 256 (as Debian's 1,024 but lower): the server raises it and says so.
    rlimit hard{};
    QCOMPARE(::getrlimit(RLIMIT_NOFILE, &hard), 0);
    const QByteArray hardText = hard.rlim_max == RLIM_INFINITY ? QByteArray("unlimited") : QByteArray::number(qulonglong(hard.rlim_max));
    expectStderrUnderLimit("ulimit -Sn 256", "descriptor limit: soft " + hardText + " (was 256), hard " + hardText);
}

void TestHeadless::maxConnectionsIsClampedToTheDescriptorLimit()
{
    // A hard limit of 256 leaves room for 192 clients: the default cap of 20,000 is clamped, and said so.
    expectStderrUnderLimit("ulimit -n 256", "--max-connections 20000 is more than the descriptor limit allows: clamped to 192");
}

#include "tst_headless.moc"
