// The dashboard's File menu against a real engine (EngineHost on its own thread, 127.0.0.1,
// port 0) and real QWebSocket clients, under QT_QPA_PLATFORM=offscreen: recording, export,
// replaying a recording (and re-sending from it), saving the settings. Also the in-memory log's
// limits as the config sets them. No sleeps: signal spies and QTRY_*.
#include "ExportDialog.h"
#include "LogFilterProxyModel.h"
#include "LogPanel.h"
#include "DetailPane.h"
#include "MainWindow.h"
#include "ReplayWindow.h"
#include "ServerBar.h"
#include "cli/CommandLine.h"
#include "log/LogExporter.h"
#include "TestSupport.h"
#include "WidgetTestMain.h"
#include "log/LogRecorder.h"
#include "log/RecordingReader.h"
#include "model/ClientTableModel.h"
#include "model/MessageLogModel.h"
#include "server/EngineHost.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QFile>
#include <QCheckBox>
#include <QComboBox>
#include <QProgressBar>
#include <QElapsedTimer>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QTableView>
#include <QTimer>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QPlainTextEdit>
#include <QPointer>
#include <QWebSocket>
#include <algorithm>
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
    void exportWritesAllFilteredOrSelected();
    void exportOf100kRecordsKeepsTheWindowResponsive();
    void savedSettingsLoadBackWithConfig();
    void replayShowsARecordingAndResendsToALiveClient();
    void timedReplayKeepsTheSpacingAndPausesAndStops();

private:
    void startWindow(ServerConfig config = {});
    QUrl wsUrl(const QString &path) const;
    QAction *action(const char *objectName) const;

    QTemporaryDir m_dir;
    std::unique_ptr<EngineHost> m_host;
    std::unique_ptr<MainWindow> m_window;
    std::vector<std::unique_ptr<QAbstractItemModelTester>> m_testers;
};

namespace {
// Appends records to a recording as one recorder session (a header line, then the records).
bool recordTo(const QString &path, const LogRecordBatch &records)
{
    LogRecorder recorder;
    LogRecorder::Options options;
    options.path = path;
    QString error;
    if (!recorder.start(options, &error)) {
        qWarning().noquote() << error;
        return false;
    }
    recorder.append(records);
    recorder.stop();
    return true;
}
} // namespace

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

namespace {

LogRecordBatch syntheticRecords(int count)
{
    LogRecordBatch records;
    records.reserve(count);
    const QByteArray payload(200, 'p');
    for (int i = 0; i < count; ++i) {
        records.append(TestSupport::makeRecord(quint64(i + 1), i % 2 ? LogRecord::Direction::Out : LogRecord::Direction::In,
                                               LogRecord::Kind::Text, payload, quint64(i % 50 + 1)));
    }
    return records;
}

} // namespace

void TestDashboardFiles::exportWritesAllFilteredOrSelected()
{
    startWindow();
    ClientPtr client = TestSupport::connectClient(wsUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    QSignalSpy echoes(client.get(), &QWebSocket::textMessageReceived);
    for (const char *text : {"alpha", "beta", "gamma, with a comma"})
        client->sendTextMessage(QString::fromLatin1(text));
    QTRY_COMPARE(echoes.count(), 3);
    MessageLogModel *log = m_window->logModel();
    QTRY_COMPARE(log->rowCount(), 7); // open + 3 in + 3 out
    LogPanel *panel = m_window->logPanel();

    // The whole log as JSON Lines: it reads back as a recording.
    QAction *exportAction = action("actionExportLog");
    QVERIFY(exportAction->isEnabled());
    exportAction->trigger();
    auto *dialog = m_window->findChild<ExportDialog *>();
    QVERIFY(dialog && dialog->isVisible());
    QCOMPARE(dialog->scope(), ExportDialog::Scope::All);
    const QString jsonl = m_dir.filePath(QStringLiteral("all.jsonl"));
    dialog->findChild<QLineEdit *>(QStringLiteral("exportPath"))->setText(jsonl);
    QCOMPARE(dialog->format(), LogExporter::Format::JsonLines);
    QSignalSpy finished(m_window->exporter(), &LogExporter::finished);
    dialog->findChild<QPushButton *>(QStringLiteral("exportOk"))->click();
    QVERIFY(finished.wait(10000));
    QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(finished.at(0).at(1).toString()));
    QCOMPARE(finished.at(0).at(2).toInt(), 7);
    const RecordingReader::Result all = RecordingReader::read(jsonl);
    QCOMPARE(all.records.size(), 7);
    QCOMPARE(all.records.at(5).payload, QByteArray("gamma, with a comma"));

    // Filtered (text in): the dialog offers the filtered records; a .csv name picks CSV.
    panel->setDirectionFilter(1u << static_cast<quint32>(LogRecord::Direction::In));
    panel->setKindFilter(1u << static_cast<quint32>(LogRecord::Kind::Text));
    QCOMPARE(panel->filteredCount(), 3);
    QPointer<ExportDialog> filteredDialog = m_window->openExportDialog();
    QCOMPARE(filteredDialog->scope(), ExportDialog::Scope::Filtered);
    const QString csv = m_dir.filePath(QStringLiteral("in.csv"));
    filteredDialog->setPath(csv);
    QCOMPARE(filteredDialog->format(), LogExporter::Format::Csv);
    filteredDialog->findChild<QPushButton *>(QStringLiteral("exportOk"))->click();
    QVERIFY(finished.wait(10000));
    QVERIFY(finished.at(1).at(0).toBool());
    QList<QByteArray> lines = TestSupport::fileLines(csv);
    QCOMPARE(lines.size(), 1 + 3);
    QVERIFY(lines.at(0).startsWith("sequence,timestamp_ms"));
    QVERIFY2(lines.at(3).contains(",\"gamma, with a comma\""), lines.at(3).constData());
    for (int i = 1; i < lines.size(); ++i)
        QVERIFY2(lines.at(i).contains(",in,text,"), lines.at(i).constData());

    // Selected rows (two of the three shown); switching the format renames the file.
    QTableView *view = panel->view();
    view->selectionModel()->select(view->model()->index(0, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
    view->selectionModel()->select(view->model()->index(2, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
    ExportDialog *selectedDialog = m_window->openExportDialog();
    QCOMPARE(selectedDialog->scope(), ExportDialog::Scope::Selected);
    selectedDialog->setPath(m_dir.filePath(QStringLiteral("picked.jsonl")));
    auto *format = selectedDialog->findChild<QComboBox *>(QStringLiteral("exportFormat"));
    format->setCurrentIndex(format->findData(int(LogExporter::Format::Csv)));
    QCOMPARE(selectedDialog->path(), m_dir.filePath(QStringLiteral("picked.csv")));
    selectedDialog->findChild<QPushButton *>(QStringLiteral("exportOk"))->click();
    QVERIFY(finished.wait(10000));
    lines = TestSupport::fileLines(m_dir.filePath(QStringLiteral("picked.csv")));
    QCOMPARE(lines.size(), 1 + 2);
    QVERIFY(lines.at(1).endsWith(",alpha\r"));
    QVERIFY2(lines.at(2).endsWith(",\"gamma, with a comma\"\r"), lines.at(2).constData());

    // Nothing to export for a scope: that choice is disabled; a file that cannot be written
    // fails with the reason in the status bar and leaves no file.
    panel->setDirectionFilter(0);
    view->clearSelection();
    ExportDialog *emptyDialog = m_window->openExportDialog();
    QVERIFY(!emptyDialog->findChild<QRadioButton *>(QStringLiteral("exportFiltered"))->isEnabled());
    QVERIFY(!emptyDialog->findChild<QRadioButton *>(QStringLiteral("exportSelected"))->isEnabled());
    QCOMPARE(emptyDialog->scope(), ExportDialog::Scope::All);
    emptyDialog->setPath(QString());
    QVERIFY(!emptyDialog->findChild<QPushButton *>(QStringLiteral("exportOk"))->isEnabled());
    emptyDialog->setPath(m_dir.filePath(QStringLiteral("missing/dir/x.csv")));
    emptyDialog->findChild<QPushButton *>(QStringLiteral("exportOk"))->click();
    QVERIFY(finished.wait(10000));
    QVERIFY(!finished.at(3).at(0).toBool());
    QVERIFY(!finished.at(3).at(1).toString().isEmpty());
    QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("missing/dir/x.csv"))));
}

void TestDashboardFiles::exportOf100kRecordsKeepsTheWindowResponsive()
{
    startWindow();
    MessageLogModel *log = m_window->logModel();
    log->appendBatch(syntheticRecords(100000));
    QCOMPARE(log->rowCount(), 100000);
    // A filter that keeps half the rows: the dialog counts them, the export gathers them.
    m_window->logPanel()->setDirectionFilter(1u << static_cast<quint32>(LogRecord::Direction::In));
    QCOMPARE(m_window->logPanel()->filteredCount(), 50000);

    // The event loop keeps turning while the file is written: a 10 ms timer's worst gap is the
    // window's worst freeze.
    QTimer ticker;
    ticker.setInterval(10);
    QElapsedTimer sinceTick;
    qint64 worstGapMs = 0;
    connect(&ticker, &QTimer::timeout, this, [&] {
        worstGapMs = std::max(worstGapMs, sinceTick.restart());
    });

    QSignalSpy finished(m_window->exporter(), &LogExporter::finished);
    for (const auto &[name, scope] : {std::pair{"all.csv", ExportDialog::Scope::All},
                                      std::pair{"in.jsonl", ExportDialog::Scope::Filtered}}) {
        ExportDialog *dialog = m_window->openExportDialog();
        dialog->setScope(scope);
        dialog->setPath(m_dir.filePath(QLatin1String(name)));
        QElapsedTimer clock;
        clock.start();
        sinceTick.start();
        ticker.start();
        dialog->findChild<QPushButton *>(QStringLiteral("exportOk"))->click();
        const qint64 onGuiThreadMs = clock.elapsed();
        QVERIFY(finished.wait(60000));
        ticker.stop();
        QVERIFY(finished.last().at(0).toBool());
        qInfo().noquote() << QStringLiteral("export %1: %2 ms on the GUI thread, %3 ms in all, worst event-loop gap %4 ms")
                                 .arg(QLatin1String(name))
                                 .arg(onGuiThreadMs)
                                 .arg(clock.elapsed())
                                 .arg(worstGapMs);
        QVERIFY2(onGuiThreadMs < 500, "gathering the records must not freeze the window");
        QVERIFY2(worstGapMs < 500, "the file is written off the GUI thread");
    }
    QCOMPARE(finished.at(0).at(2).toInt(), 100000);
    QCOMPARE(finished.at(1).at(2).toInt(), 50000);
    QCOMPARE(TestSupport::fileLines(m_dir.filePath(QStringLiteral("all.csv"))).size(), 100001);
    QCOMPARE(RecordingReader::read(m_dir.filePath(QStringLiteral("in.jsonl"))).recordsRead, qint64(50000));
}

void TestDashboardFiles::savedSettingsLoadBackWithConfig()
{
    ServerConfig config;
    config.allowedOrigins = {QStringLiteral("http://localhost:5173")};
    config.token = QStringLiteral("client-secret");
    config.adminToken = QStringLiteral("admin-secret");
    config.maxConnections = 321;
    config.messagesPerSecond = 42;
    config.heartbeatIntervalMs = 0;
    config.logCapacity = 777;
    config.logPayloadCapBytes = 512;
    config.recordKeepFiles = 2;
    RouteTable routes;
    routes.add({QStringLiteral("/echo"), RouteBehaviourKind::Echo, {QStringLiteral("v1")}, 200, {}, 250});
    routes.add({QStringLiteral("/tick"), RouteBehaviourKind::Clock, {}, 1500, {}, 250});
    config.routes = routes;
    startWindow(config);
    // The operator typed another port; the file saves what the bar shows.
    m_window->serverBar()->setAddress(QStringLiteral("127.0.0.1"), 9555);
    const QString recording = m_dir.filePath(QStringLiteral("live.jsonl"));
    QVERIFY(m_window->startRecording(recording));

    QVERIFY(m_window->configPath().isEmpty());
    const QString path = m_dir.filePath(QStringLiteral("saved.json"));
    QString error;
    QVERIFY2(m_window->saveConfigTo(path, &error), qPrintable(error));
    QCOMPARE(m_window->configPath(), path); // "Save" writes there from now on
    QCOMPARE(QFile(path).permissions() & QFileDevice::ReadOther, QFileDevice::Permissions()); // tokens inside

    CommandLineOptions loaded;
    QCOMPARE(CommandLine::parse({QStringLiteral("switchboard"), QStringLiteral("--config"), path}, &loaded),
             CommandLine::Outcome::Run);
    const ServerConfig &back = loaded.config;
    QCOMPARE(back.host, QStringLiteral("127.0.0.1"));
    QCOMPARE(back.port, quint16(9555));
    QCOMPARE(back.allowedOrigins, config.allowedOrigins);
    QCOMPARE(back.token, config.token);
    QCOMPARE(back.adminToken, config.adminToken);
    QCOMPARE(back.maxConnections, 321);
    QCOMPARE(back.messagesPerSecond, 42.0);
    QCOMPARE(back.heartbeatIntervalMs, 0);
    QCOMPARE(back.logCapacity, 777);
    QCOMPARE(back.logPayloadCapBytes, 512);
    QCOMPARE(back.recordKeepFiles, 2);
    QCOMPARE(back.recordPath, recording);
    QCOMPARE(back.routes.routes().size(), 2);
    QCOMPARE(back.routes.routes().at(0).subprotocols, QStringList{QStringLiteral("v1")});
    QCOMPARE(back.routes.routes().at(1).clockIntervalMs, 1500);
    QCOMPARE(back.toJson(), m_window->currentConfig().toJson());

    // Save (Ctrl+S) rewrites the same file; no longer recording, the file stops asking for it.
    m_window->stopRecording();
    action("actionSaveSettings")->trigger();
    ServerConfig again;
    QVERIFY2(again.loadFile(path, &error), qPrintable(error));
    QVERIFY(again.recordPath.isEmpty());
    QCOMPARE(again.port, quint16(9555));

    // A place that cannot be written: refused with the reason.
    QVERIFY(!m_window->saveConfigTo(m_dir.filePath(QStringLiteral("no/dir/x.json")), &error));
    QVERIFY2(error.contains(QLatin1String("cannot write")), qPrintable(error));
    QCOMPARE(m_window->configPath(), path);
}

void TestDashboardFiles::replayShowsARecordingAndResendsToALiveClient()
{
    // A recording made in two sessions with a corrupt line between them (as a crash mid-write
    // or a hand edit leaves): header 1, records 2-4, garbage 5, header 6, records 7-8.
    const QString path = m_dir.filePath(QStringLiteral("replay.jsonl"));
    const auto recordSession = [&path](const LogRecordBatch &records) { QVERIFY(recordTo(path, records)); };
    const auto message = [](quint64 sequence, LogRecord::Kind kind, const QByteArray &payload) {
        return TestSupport::makeRecord(sequence, LogRecord::Direction::In, kind, payload, 7);
    };
    LogRecord open = message(1, LogRecord::Kind::Open, {});
    recordSession({open, message(2, LogRecord::Kind::Text, "{\"hello\":\"replay\"}"),
                   message(3, LogRecord::Kind::Binary, QByteArray("\x00\xff\x10", 3))});
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::Append));
        file.write("{\"seq\": 4, \"this line was cut\n");
    }
    recordSession({message(5, LogRecord::Kind::Text, "second session"), message(6, LogRecord::Kind::Text, "last")});

    startWindow();
    ClientPtr live = TestSupport::connectClient(wsUrl(QStringLiteral("/operator")));
    QVERIFY(live);
    QTRY_COMPARE(m_window->clientModel()->openCount(), 1);
    const quint64 liveId = m_window->clientModel()->client(0).id;

    QAction *openAction = action("actionOpenRecording");
    QVERIFY(openAction && openAction->isEnabled());
    QPointer<ReplayWindow> replay = m_window->openRecording(path);
    QSignalSpy loaded(replay.data(), &ReplayWindow::loaded);
    QVERIFY(loaded.wait(10000));
    QVERIFY(replay->isVisible());
    QCOMPARE(replay->model()->rowCount(), 5);
    QVERIFY2(replay->problems().contains(QStringLiteral("replay.jsonl:5: ")), qPrintable(replay->problems()));
    auto *banner = replay->findChild<QLabel *>(QStringLiteral("replayProblems"));
    QVERIFY(banner->isVisible());
    QVERIFY2(banner->text().contains(QLatin1String("1 bad line skipped")), qPrintable(banner->text()));
    QVERIFY2(replay->summary().contains(QLatin1String("5 records")), qPrintable(replay->summary()));
    QAbstractItemModelTester tester(replay->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester proxyTester(replay->logPanel()->proxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);

    // Filters work on the recording; the detail pane shows JSON pretty-printed.
    LogPanel *panel = replay->logPanel();
    auto *text = panel->findChild<QLineEdit *>(QStringLiteral("logFilterText"));
    text->setText(QStringLiteral("replay"));
    QTRY_COMPARE(panel->proxy()->rowCount(), 1);
    panel->view()->setCurrentIndex(panel->proxy()->index(0, 0));
    QVERIFY2(replay->detailPane()->text().contains(QLatin1String("\"hello\": \"replay\"")), qPrintable(replay->detailPane()->text()));

    // The detail pane's "Resend…" puts it in the dashboard's compose panel, to edit first.
    replay->detailPane()->findChild<QPushButton *>(QStringLiteral("detailResend"))->click();
    QCOMPARE(m_window->findChild<QPlainTextEdit *>(QStringLiteral("composeEditor"))->toPlainText(),
             QStringLiteral("{\"hello\":\"replay\"}"));

    // Re-send it to the live client, chosen in the picker.
    auto *send = replay->findChild<QPushButton *>(QStringLiteral("replaySend"));
    QVERIFY(replay->setResendClient(liveId));
    QVERIFY(send->isEnabled());
    QSignalSpy texts(live.get(), &QWebSocket::textMessageReceived);
    send->click();
    QVERIFY(texts.wait(5000));
    QCOMPARE(texts.at(0).at(0).toString(), QStringLiteral("{\"hello\":\"replay\"}"));
    // The window says where it went; a recording has no pause, auto-scroll or clear.
    QCOMPARE(replay->findChild<QLabel *>(QStringLiteral("replaySendNote"))->text(),
             QStringLiteral("Sent 18 B to client %1.").arg(liveId));
    QVERIFY(!panel->pauseAction()->isEnabled() && !panel->autoScrollAction()->isEnabled()
            && !panel->clearAction()->isEnabled());
    // The live log shows it as the operator's message to that client.
    QTRY_VERIFY(m_window->logModel()->rowCount() > 0
                && m_window->logModel()->record(m_window->logModel()->rowCount() - 1).direction == LogRecord::Direction::Out);

    // Binary goes as binary.
    text->clear();
    panel->setKindFilter(1u << static_cast<quint32>(LogRecord::Kind::Binary));
    QTRY_COMPARE(panel->proxy()->rowCount(), 1);
    panel->view()->setCurrentIndex(panel->proxy()->index(0, 0));
    QSignalSpy binaries(live.get(), &QWebSocket::binaryMessageReceived);
    send->click();
    QVERIFY(binaries.wait(5000));
    QCOMPARE(binaries.at(0).at(0).toByteArray(), QByteArray("\x00\xff\x10", 3));

    // An open record is no message: nothing to send, and the note says why.
    panel->setKindFilter(1u << static_cast<quint32>(LogRecord::Kind::Open));
    QTRY_COMPARE(panel->proxy()->rowCount(), 1);
    panel->view()->setCurrentIndex(panel->proxy()->index(0, 0));
    QVERIFY(!send->isEnabled());
    QVERIFY(!replay->findChild<QLabel *>(QStringLiteral("replaySendNote"))->text().isEmpty());

    // The recording's filtered records export like the live log's (here: the open record, as CSV).
    ExportDialog *exportDialog = replay->openExportDialog();
    QCOMPARE(exportDialog->scope(), ExportDialog::Scope::Filtered);
    const QString csv = m_dir.filePath(QStringLiteral("replay-open.csv"));
    exportDialog->setPath(csv);
    QSignalSpy exported(replay->exporter(), &LogExporter::finished);
    exportDialog->findChild<QPushButton *>(QStringLiteral("exportOk"))->click();
    QVERIFY(exported.wait(10000));
    QCOMPARE(exported.at(0).at(2).toInt(), 1);
    QCOMPARE(TestSupport::fileLines(csv).size(), 2);
    QVERIFY(TestSupport::fileLines(csv).at(1).contains(",in,open,"));

    // Once the client is gone there is nobody to send to.
    panel->setKindFilter(LogFilterProxyModel::kAllKinds);
    panel->view()->setCurrentIndex(panel->proxy()->index(1, 0));
    QVERIFY(send->isEnabled());
    live->close();
    QTRY_COMPARE(m_window->clientModel()->openCount(), 0);
    QTRY_VERIFY(!send->isEnabled());
    QCOMPARE(replay->resendClient(), quint64(0));

    // A file that is not there: the window says so instead of showing an empty log silently.
    QPointer<ReplayWindow> missing = m_window->openRecording(m_dir.filePath(QStringLiteral("nope.jsonl")));
    QSignalSpy missingLoaded(missing.data(), &ReplayWindow::loaded);
    QVERIFY(missingLoaded.wait(10000));
    QCOMPARE(missingLoaded.at(0).at(0).toBool(), false);
    QVERIFY2(missing->problems().contains(QLatin1String("nope.jsonl")), qPrintable(missing->problems()));
    missing->close();
    QTRY_VERIFY(missing.isNull()); // deleted on close
    replay->close();
}

void TestDashboardFiles::timedReplayKeepsTheSpacingAndPausesAndStops()
{
    // Four messages recorded 150, 50 and 200 ms apart, between records that are not messages.
    const QString path = m_dir.filePath(QStringLiteral("timed.jsonl"));
    const qint64 gaps[] = {150, 50, 200};
    LogRecordBatch records;
    qint64 at = 1718000000000;
    for (int i = 0; i < 4; ++i) {
        if (i > 0)
            at += gaps[i - 1];
        LogRecord message = TestSupport::makeRecord(2 * i + 1, LogRecord::Direction::Out, LogRecord::Kind::Text,
                                                    QStringLiteral("timed %1").arg(i).toUtf8(), 7);
        message.timestampMs = at;
        LogRecord pong = TestSupport::makeRecord(2 * i + 2, LogRecord::Direction::In, LogRecord::Kind::Pong, {}, 7);
        pong.timestampMs = at;
        records << message << pong;
    }
    QVERIFY(recordTo(path, records));
    startWindow();
    ClientPtr live = TestSupport::connectClient(wsUrl(QStringLiteral("/operator")));
    QVERIFY(live);
    QTRY_COMPARE(m_window->clientModel()->openCount(), 1);
    const quint64 liveId = m_window->clientModel()->client(0).id;
    QPointer<ReplayWindow> replay = m_window->openRecording(path);
    QSignalSpy loaded(replay.data(), &ReplayWindow::loaded);
    QVERIFY(loaded.wait(10000));
    QVERIFY(replay->setResendClient(liveId));
    auto *play = replay->findChild<QPushButton *>(QStringLiteral("replayPlay"));
    auto *pause = replay->findChild<QPushButton *>(QStringLiteral("replayPause"));
    auto *stop = replay->findChild<QPushButton *>(QStringLiteral("replayStop"));
    auto *progress = replay->findChild<QProgressBar *>(QStringLiteral("replayProgress"));
    auto *note = replay->findChild<QLabel *>(QStringLiteral("replayNote"));
    QVERIFY(play && pause && stop && progress && note);
    QVERIFY(play->isEnabled());
    QVERIFY(!pause->isEnabled() && !stop->isEnabled());

    // Recorded spacing: every gap within 20 ms of the recording's, measured where the client gets them.
    // A loaded machine can hold any one delivery back on its own, so the best of three runs counts
    // (every run's worst gap is in the failure message).
    QElapsedTimer clock;
    QList<qint64> arrivals;
    QStringList texts;
    connect(live.get(), &QWebSocket::textMessageReceived, this, [&](const QString &text) {
        arrivals.append(clock.elapsed());
        texts.append(text);
    });
    clock.start();
    QStringList worstGaps;
    for (int attempt = 0; attempt < 3; ++attempt) {
        arrivals.clear();
        texts.clear();
        play->click();
        QTRY_COMPARE_WITH_TIMEOUT(texts.size(), 4, 10000);
        QCOMPARE(texts, (QStringList{QStringLiteral("timed 0"), QStringLiteral("timed 1"), QStringLiteral("timed 2"),
                                     QStringLiteral("timed 3")}));
        qint64 worst = 0;
        QString worstText;
        for (int i = 1; i < 4; ++i) {
            const qint64 gap = arrivals.at(i) - arrivals.at(i - 1);
            if (qAbs(gap - gaps[i - 1]) >= worst) {
                worst = qAbs(gap - gaps[i - 1]);
                worstText = QStringLiteral("gap %1: %2 ms, recorded %3 ms").arg(i).arg(gap).arg(gaps[i - 1]);
            }
        }
        QTRY_COMPARE(note->text(), QStringLiteral("Sent 4 messages to client %1.").arg(liveId));
        if (worst <= 20)
            break;
        worstGaps.append(worstText);
    }
    QVERIFY2(worstGaps.size() < 3, qPrintable(worstGaps.join(QStringLiteral("; "))));
    QCOMPARE(progress->value(), 4);
    QCOMPARE(progress->maximum(), 4);

    // Back-to-back in a loop: pause holds it, resume goes on, stop ends it.
    replay->findChild<QComboBox *>(QStringLiteral("replayTiming"))->setCurrentIndex(1);
    QVERIFY(!replay->findChild<QWidget *>(QStringLiteral("replaySpeed"))->isEnabled());
    replay->findChild<QCheckBox *>(QStringLiteral("replayLoop"))->setChecked(true);
    texts.clear();
    play->click();
    QTRY_VERIFY(texts.size() >= 8);
    QTRY_VERIFY(pause->isEnabled());
    pause->click();
    QTRY_VERIFY2(note->text().startsWith(QStringLiteral("Paused:")), qPrintable(note->text()));
    QCOMPARE(pause->text(), QStringLiteral("Res&ume"));
    pause->click();
    QTRY_VERIFY2(note->text().startsWith(QStringLiteral("Replaying:")), qPrintable(note->text()));
    stop->click();
    QTRY_VERIFY2(note->text().startsWith(QStringLiteral("Stopped after")), qPrintable(note->text()));
    QVERIFY(!stop->isEnabled());

    // Closing the window stops the replay it started.
    play->click();
    QTRY_VERIFY2(note->text().startsWith(QStringLiteral("Replaying:")), qPrintable(note->text()));
    QSignalSpy replayChanged(m_host.get(), &EngineHost::replayChanged);
    replay->close();
    QTRY_VERIFY(!replayChanged.isEmpty()
                && replayChanged.last().first().value<ReplayStatus>().state == ReplayStatus::State::Stopped);
    disconnect(live.get(), &QWebSocket::textMessageReceived, this, nullptr);
}

SWITCHBOARD_WIDGET_TEST_MAIN(TestDashboardFiles, "tst_dashboardfiles")

#include "tst_dashboardfiles.moc"
