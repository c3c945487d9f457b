// The dashboard's File menu against a real engine (EngineHost on its own thread, 127.0.0.1,
// port 0) and real QWebSocket clients, under QT_QPA_PLATFORM=offscreen: recording, export,
// replaying a recording (and re-sending from it), saving the settings. Also the in-memory log's
// limits as the config sets them. No sleeps: signal spies and QTRY_*.
#include "MainWindow.h"
#include "TestSupport.h"
#include "log/LogRecorder.h"
#include "log/RecordingReader.h"
#include "model/ClientTableModel.h"
#include "model/MessageLogModel.h"
#include "server/EngineHost.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QFile>
#include <QLabel>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>
#include <memory>

using ClientPtr = std::unique_ptr<QWebSocket>;

class TestDashboardFiles : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();

    void recordingToggleWritesEveryRecord();
    void logCapacityFromTheConfigAndEvictionsInMetrics();

private:
    void startWindow(ServerConfig config = {});
    QUrl wsUrl(const QString &path) const;
    QAction *action(const char *objectName) const;

    QTemporaryDir m_dir;
    std::unique_ptr<EngineHost> m_host;
    std::unique_ptr<MainWindow> m_window;
    std::vector<std::unique_ptr<QAbstractItemModelTester>> m_testers;
};

void TestDashboardFiles::init()
{
    QSettings().clear();
    QVERIFY(m_dir.isValid());
}

void TestDashboardFiles::cleanup()
{
    m_testers.clear();
    m_window.reset();
    m_host.reset();
}

void TestDashboardFiles::startWindow(ServerConfig config)
{
    m_host = std::make_unique<EngineHost>();
    m_window = std::make_unique<MainWindow>(*m_host);
    for (QAbstractItemModel *model : std::initializer_list<QAbstractItemModel *>{m_window->clientModel(), m_window->logModel()}) {
        m_testers.push_back(std::make_unique<QAbstractItemModelTester>(
            model, QAbstractItemModelTester::FailureReportingMode::QtTest));
    }
    config.host = QStringLiteral("127.0.0.1");
    config.port = 0;
    m_window->setServerConfig(config);
    m_window->show();
    QSignalSpy listening(m_host.get(), &EngineHost::listening);
    m_window->startServer();
    QVERIFY(listening.wait(5000));
}

QUrl TestDashboardFiles::wsUrl(const QString &path) const
{
    QUrl url = m_host->url();
    url.setScheme(QStringLiteral("ws"));
    url.setPath(path);
    return url;
}

QAction *TestDashboardFiles::action(const char *objectName) const
{
    return m_window->findChild<QAction *>(QLatin1String(objectName));
}

void TestDashboardFiles::recordingToggleWritesEveryRecord()
{
    startWindow();
    QAction *record = action("actionRecord");
    QVERIFY(record && record->isCheckable() && !record->isChecked());
    auto *indicator = m_window->findChild<QLabel *>(QStringLiteral("recordStatus"));
    QVERIFY(indicator && !indicator->isVisible());

    const QString path = m_dir.filePath(QStringLiteral("toggle.jsonl"));
    QString error;
    QVERIFY2(m_window->startRecording(path, &error), qPrintable(error));
    QVERIFY(record->isChecked());
    QVERIFY(indicator->isVisible());
    QVERIFY2(indicator->text().contains(QLatin1String("toggle.jsonl")), qPrintable(indicator->text()));

    ClientPtr client = TestSupport::connectClient(wsUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    QSignalSpy echoes(client.get(), &QWebSocket::binaryMessageReceived);
    client->sendBinaryMessage(QByteArray("\x00\x01\xfe\xff", 4));
    QVERIFY(echoes.wait(5000));
    // While the log view is paused the recording still gets everything.
    m_window->logModel()->pause();
    client->sendTextMessage(QStringLiteral("while paused"));
    QTRY_VERIFY(m_window->logModel()->heldBackCount() >= 2);
    // The indicator shows the bytes written, refreshed every second.
    QTRY_VERIFY_WITH_TIMEOUT(m_window->recorder()->bytesWritten() > 0, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(!indicator->text().contains(QLatin1String(" 0 B")), 3000);

    // Unchecking the action stops: everything so far is in the file.
    record->trigger();
    QVERIFY(!m_window->isRecording());
    QVERIFY(!record->isChecked());
    QVERIFY(!indicator->isVisible());
    const RecordingReader::Result result = RecordingReader::read(path);
    QVERIFY2(result.ok() && result.errorCount == 0, qPrintable(result.summary()));
    QStringList seen;
    for (const LogRecord &r : result.records)
        seen.append(LogRecord::directionName(r.direction) + QLatin1Char(' ') + LogRecord::kindName(r.kind));
    QVERIFY2(seen.size() >= 5, qPrintable(seen.join(QLatin1String(", "))));
    QCOMPARE(result.records.at(0).kind, LogRecord::Kind::Open);
    QCOMPARE(result.records.at(1).payload, QByteArray("\x00\x01\xfe\xff", 4));
    QCOMPARE(result.records.at(1).kind, LogRecord::Kind::Binary);
    QCOMPARE(result.records.at(3).payload, QByteArray("while paused"));

    // A file that cannot be written is refused with the reason, and the toggle stays off.
    QVERIFY(!m_window->startRecording(m_dir.filePath(QStringLiteral("no/such/dir/x.jsonl")), &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(!record->isChecked());
}

void TestDashboardFiles::logCapacityFromTheConfigAndEvictionsInMetrics()
{
    ServerConfig config;
    config.logCapacity = 10;
    config.logPayloadCapBytes = 4;
    startWindow(config);
    MessageLogModel *log = m_window->logModel();
    QCOMPARE(log->capacity(), 10);
    QCOMPARE(log->payloadCap(), 4);

    ClientPtr client = TestSupport::connectClient(wsUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    QSignalSpy echoes(client.get(), &QWebSocket::textMessageReceived);
    for (int i = 0; i < 20; ++i)
        client->sendTextMessage(QStringLiteral("message %1").arg(i));
    QTRY_COMPARE(echoes.count(), 20);
    // open + 20 in + 20 out = 41 records; 10 stay.
    QTRY_COMPARE(log->evictedTotal(), quint64(31));
    QCOMPARE(log->rowCount(), 10);
    QCOMPARE(log->record(9).payload, QByteArray("mess")); // capped ...
    QCOMPARE(log->record(9).size, qint64(10));            // ... the true size kept
    auto *status = m_window->findChild<QLabel *>(QStringLiteral("logStatus"));
    QTRY_VERIFY2(status->text().contains(QLatin1String("31 left memory")), qPrintable(status->text()));

    // The same count reaches /metrics.
    QByteArray metrics;
    QTRY_VERIFY_WITH_TIMEOUT(
        (metrics = TestSupport::bodyOf(TestSupport::rawExchange(
             quint16(m_host->url().port()), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")))
            .contains("\nswitchboard_log_records_dropped_total 31\n"),
        5000);
}

int main(int argc, char **argv)
{
    // Settings go to a throwaway directory, never the user's.
    QTemporaryDir config;
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(config.path()));
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("SwitchboardTests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_dashboardfiles"));
    TestDashboardFiles test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}
#include "tst_dashboardfiles.moc"
