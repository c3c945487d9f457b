#include "TestSupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>
#include <csignal>
#include <memory>
#include <unistd.h>
#include <vector>

using TestSupport::environmentWithoutDisplay;

// The headless server out of descriptors (issue 21 item 3). A binary of its own: under the sanitizers
// it runs without UBSan's vptr check, which needs descriptors itself (tests/CMakeLists.txt).
class TestDescriptorLimit : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void outOfDescriptorsRefusesWith503AndRecovers();
};

// CPU seconds (user + system) the process has used so far, from /proc/PID/stat.
static double cpuSeconds(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray line = stat.readAll();
    // Fields after the command name in parentheses: state is field 3, utime 14, stime 15.
    const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
    return double(fields.at(11).toLongLong() + fields.at(12).toLongLong()) / double(::sysconf(_SC_CLK_TCK));
}

void TestDescriptorLimit::outOfDescriptorsRefusesWith503AndRecovers()
{
    // A hard limit of 128 descriptors (room for 64 clients). The hogs announce a body the server
    // does not read: each is answered (404) and kept half-open until it closes or 10 s pass, outside
    // the caps, so 240 of them use every descriptor up. The server must not spin on the failing
    // accept(), must answer the waiting connections with 503 through its reserve descriptor, say so
    // once, count it in /metrics, and serve new clients once the hogs are gone.
    QProcess server;
    server.setProcessEnvironment(environmentWithoutDisplay());
    server.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), QStringLiteral("ulimit -n 128 && exec \"$0\" --headless --port 0"),
                                             QStringLiteral(SWITCHBOARD_BIN)});
    QVERIFY(server.waitForStarted(10000));
    QTRY_VERIFY_WITH_TIMEOUT(server.canReadLine(), 10000);
    const QByteArray firstLine = server.readLine().trimmed();
    QVERIFY2(firstLine.startsWith("Listening on http://127.0.0.1:"), firstLine.constData());
    const quint16 port = quint16(QUrl(QString::fromUtf8(firstLine.mid(int(qstrlen("Listening on "))))).port());

    constexpr int kHogs = 240;
    std::vector<std::unique_ptr<QTcpSocket>> hogs;
    std::vector<bool> heard(kHogs, false); // an answer, a close or a reset
    int heardCount = 0;
    QByteArray answers;
    for (int i = 0; i < kHogs; ++i) {
        auto hog = std::make_unique<QTcpSocket>();
        QTcpSocket *raw = hog.get();
        const auto hear = [i, &heard, &heardCount] {
            if (!heard[std::size_t(i)]) {
                heard[std::size_t(i)] = true;
                ++heardCount;
            }
        };
        connect(raw, &QTcpSocket::connected, this, [raw] {
            raw->write("GET /hog HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
        });
        connect(raw, &QTcpSocket::readyRead, this, [raw, &answers, hear] {
            answers += raw->readAll();
            hear();
        });
        connect(raw, &QTcpSocket::disconnected, this, hear);
        connect(raw, &QTcpSocket::errorOccurred, this, hear);
        raw->connectToHost(QHostAddress::LocalHost, port);
        hogs.push_back(std::move(hog));
    }
    QByteArray err;
    const QByteArray limitLine = "cannot accept: Too many open files (open-file limit 128)";
    QTRY_VERIFY_WITH_TIMEOUT((err += server.readAllStandardError()).contains(limitLine), 15000);
    const double cpuBefore = cpuSeconds(server.processId());
    QElapsedTimer window;
    window.start();
    // Every hog hears back: its 404, the 503 of the reserve descriptor, or a close.
    QTRY_VERIFY_WITH_TIMEOUT(heardCount == kHogs, 20000);
    QVERIFY2(answers.contains("HTTP/1.1 503 Service Unavailable"), answers.left(400).constData());
    QVERIFY2(answers.contains("out of file descriptors"), answers.left(400).constData());
    // A sanity bound, not a benchmark: a spinning accept() costs a whole core.
    const double cpuUsed = cpuSeconds(server.processId()) - cpuBefore;
    const double wall = double(window.elapsed()) / 1000.0;
    QVERIFY2(cpuUsed < 0.5 * wall + 0.2, qPrintable(QStringLiteral("%1 s CPU in %2 s").arg(cpuUsed).arg(wall)));

    hogs.clear();
    // Served again: the metrics page (through a fresh connection) and a WebSocket echo.
    QByteArray metrics;
    QTRY_VERIFY_WITH_TIMEOUT(TestSupport::statusOf(metrics = TestSupport::rawExchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")) == 200, 15000);
    QVERIFY2(metrics.contains("switchboard_accept_errors_total{reason=\"emfile\"} "), metrics.constData());
    // Logged once per burst (a burst ends when an accept succeeds again; hogs closing can make a few),
    // not once per failed accept: every warning has its end line, with the counts.
    QTRY_VERIFY_WITH_TIMEOUT((err += server.readAllStandardError()).count("accepting again: ") == err.count(limitLine), 10000);
    QVERIFY2(err.count(limitLine) <= 10, err.constData());
    std::unique_ptr<QWebSocket> client = TestSupport::connectClient(QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(port)));
    QVERIFY(client);
    QSignalSpy echoed(client.get(), &QWebSocket::textMessageReceived);
    client->sendTextMessage(QStringLiteral("after the descriptor limit"));
    QVERIFY(echoed.wait(10000));
    QCOMPARE(echoed.first().first().toString(), QStringLiteral("after the descriptor limit"));
    client->close();

    QSignalSpy finished(&server, &QProcess::finished);
    ::kill(static_cast<pid_t>(server.processId()), SIGTERM);
    QVERIFY(finished.wait(10000));
    QCOMPARE(server.exitCode(), 0);
}


QTEST_GUILESS_MAIN(TestDescriptorLimit)
#include "tst_descriptorlimit.moc"
