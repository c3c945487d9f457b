// Recording to disk: round trip, flush timing, appending, rotation, failures, full payloads from
// the engine, and crash safety of the real switchboard process.
#include "TestSupport.h"
#include "log/LogRecordJson.h"
#include "log/LogRecorder.h"
#include "log/RecordingReader.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

namespace {

LogRecord makeRecord(quint64 sequence, LogRecord::Direction direction, LogRecord::Kind kind,
                     const QByteArray &payload = {})
{
    return TestSupport::makeRecord(sequence, direction, kind, payload, sequence % 7, QStringLiteral("/chat/lobby"));
}

LogRecordBatch textRecords(int count, quint64 first, int payloadBytes = 40)
{
    LogRecordBatch batch;
    for (int i = 0; i < count; ++i) {
        const quint64 sequence = first + static_cast<quint64>(i);
        QByteArray payload = QByteArray::number(sequence).rightJustified(payloadBytes, '.');
        batch.append(makeRecord(sequence, LogRecord::Direction::In, LogRecord::Kind::Text, payload));
    }
    return batch;
}

void compareRecords(const LogRecord &actual, const LogRecord &expected)
{
    QCOMPARE(actual.sequence, expected.sequence);
    QCOMPARE(actual.timestampMs, expected.timestampMs);
    QCOMPARE(actual.clientId, expected.clientId);
    QCOMPARE(actual.route, expected.route);
    QCOMPARE(actual.direction, expected.direction);
    QCOMPARE(actual.kind, expected.kind);
    QCOMPARE(actual.size, expected.size);
    QCOMPARE(actual.wireSize, expected.wireSize);
    QCOMPARE(actual.frames, expected.frames);
    QCOMPARE(actual.payload, expected.payload);
    QCOMPARE(actual.fanout, expected.fanout);
    QCOMPARE(actual.closeCode, expected.closeCode);
    QCOMPARE(actual.detail, expected.detail);
}

} // namespace

class TestRecorder : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTrip();
    void lineFormatIsPlainJson();
    void reachesTheFileWithinASecond();
    void appendsToAnExistingRecording();
    void rotatesAndKeepsN();
    void rotationWithKeepZero();
    void oversizedLineGetsItsOwnPart();
    void fullFileRotatesAtStart();
    void backPressureLosesNothing();
    void refusesBadOptions();
    void recordsFullPayloadsFromTheEngine();
    void survivesKillNine();
    void cleanShutdownWritesTheCloses();
    void dashboardRecordsWithTheFlagToo();

private:
    QTemporaryDir m_dir;
};

void TestRecorder::roundTrip()
{
    QByteArray allBytes;
    for (int i = 0; i < 256; ++i)
        allBytes.append(static_cast<char>(i));
    LogRecordBatch records;
    records << makeRecord(1, LogRecord::Direction::In, LogRecord::Kind::Open);
    records.last().detail = QStringLiteral("from 127.0.0.1, subprotocol chat.v1");
    records << makeRecord(2, LogRecord::Direction::In, LogRecord::Kind::Text,
                          QStringLiteral("héllo \"wörld\" \\ tab\t nl\n cr\r ctl\x01 € 𝄞").toUtf8());
    records << makeRecord(3, LogRecord::Direction::Out, LogRecord::Kind::Binary, allBytes);
    records.last().wireSize = 140; // a compressed frame, as permessage-deflate sent it
    records.last().frames = 2;
    records << makeRecord(4, LogRecord::Direction::In, LogRecord::Kind::Text, QByteArray()); // empty text
    // A text record whose bytes are not UTF-8 (e.g. cut mid-character) survives via base64.
    records << makeRecord(5, LogRecord::Direction::Out, LogRecord::Kind::Text, QByteArray("ab\xE2\x82", 4));
    records << makeRecord(6, LogRecord::Direction::Broadcast, LogRecord::Kind::Text, "to everyone");
    records.last().fanout = 12345;
    records.last().detail = QStringLiteral("room lobby");
    records << makeRecord(7, LogRecord::Direction::Out, LogRecord::Kind::Ping);
    records << makeRecord(8, LogRecord::Direction::In, LogRecord::Kind::Pong);
    records.last().detail = QStringLiteral("round trip 3 ms");
    records << makeRecord(9, LogRecord::Direction::In, LogRecord::Kind::Close);
    records.last().closeCode = 4000;
    records.last().detail = QStringLiteral("bye, \"friend\"");
    records << makeRecord(10, LogRecord::Direction::Out, LogRecord::Kind::Close);
    records.last().closeCode = 1001;
    records.last().detail = QStringLiteral("server shutting down");
    records << makeRecord(11, LogRecord::Direction::System, LogRecord::Kind::Close);
    records.last().closeCode = 1006;
    records << makeRecord(12, LogRecord::Direction::System, LogRecord::Kind::Error);
    records.last().detail = QStringLiteral("The remote host closed the connection");
    records << makeRecord(13, LogRecord::Direction::System, LogRecord::Kind::Refused);
    records.last().clientId = 0;
    records.last().closeCode = 429;
    records.last().detail = QStringLiteral("127.0.0.1:5555 refused: too many connections from this address");
    // A record as the in-memory log keeps it: 10 bytes of a 1000-byte message.
    records << makeRecord(14, LogRecord::Direction::In, LogRecord::Kind::Binary, QByteArray(10, 'z'));
    records.last().size = 1000;

    const QString path = m_dir.filePath(QStringLiteral("roundtrip.jsonl"));
    LogRecorder recorder;
    QString error;
    QVERIFY2(recorder.start({path}, &error), qPrintable(error));
    QVERIFY(recorder.isRecording());
    recorder.append(records.mid(0, 5));
    recorder.append(records.mid(5));
    recorder.stop();
    QVERIFY(!recorder.isRecording());
    QCOMPARE(recorder.recordsWritten(), quint64(records.size()));
    QCOMPARE(recorder.recordsLost(), quint64(0));
    QCOMPARE(recorder.bytesWritten() + quint64(TestSupport::fileLines(path).first().size() + 1), quint64(QFileInfo(path).size()));

    const RecordingReader::Result result = RecordingReader::read(path);
    QVERIFY2(result.ok(), qPrintable(result.summary()));
    QCOMPARE(result.errorCount, qint64(0));
    QCOMPARE(result.records.size(), records.size());
    for (int i = 0; i < records.size(); ++i)
        compareRecords(result.records.at(i), records.at(i));
    QVERIFY(result.records.last().payloadTruncated());
}

void TestRecorder::lineFormatIsPlainJson()
{
    // The documented format, so jq and friends can read recordings.
    LogRecord text = makeRecord(7, LogRecord::Direction::In, LogRecord::Kind::Text, "hi");
    text.clientId = 3;
    text.route = QStringLiteral("/ws");
    QCOMPARE(LogRecordJson::toLine(text),
             QByteArray("{\"sequence\":7,\"timestampMs\":1718000000007,\"clientId\":3,\"route\":\"/ws\","
                        "\"direction\":\"in\",\"kind\":\"text\",\"size\":2,\"fanout\":0,\"closeCode\":0,"
                        "\"detail\":\"\",\"encoding\":\"utf8\",\"payload\":\"hi\"}\n"));
    LogRecord binary = makeRecord(8, LogRecord::Direction::Out, LogRecord::Kind::Binary, QByteArray("\x00\xff", 2));
    QVERIFY(LogRecordJson::toLine(binary).contains("\"encoding\":\"base64\",\"payload\":\"AP8=\""));
    const QByteArray header = LogRecordJson::headerLine(1, 0);
    LogRecord unused;
    QCOMPARE(LogRecordJson::fromLine(header, &unused, nullptr), LogRecordJson::Parsed::Header);
}

void TestRecorder::reachesTheFileWithinASecond()
{
    const QString path = m_dir.filePath(QStringLiteral("timely.jsonl"));
    LogRecorder recorder;
    QVERIFY(recorder.start({path}));
    recorder.append(textRecords(3, 1));
    QElapsedTimer clock;
    clock.start();
    // No stop(), no flush call: the writer's own schedule must get it to the file.
    QTRY_COMPARE_WITH_TIMEOUT(RecordingReader::read(path).recordsRead, qint64(3), 1000);
    qInfo() << "on disk after" << clock.elapsed() << "ms";
    recorder.append(textRecords(2, 4));
    QTRY_COMPARE_WITH_TIMEOUT(RecordingReader::read(path).recordsRead, qint64(5), 1000);
}

void TestRecorder::appendsToAnExistingRecording()
{
    const QString path = m_dir.filePath(QStringLiteral("twice.jsonl"));
    {
        LogRecorder recorder;
        QVERIFY(recorder.start({path}));
        recorder.append(textRecords(4, 1));
    } // the destructor writes what is queued
    LogRecorder recorder;
    QVERIFY(recorder.start({path}));
    recorder.append(textRecords(3, 1)); // a new run starts its sequence again
    recorder.stop();
    const RecordingReader::Result result = RecordingReader::read(path);
    QCOMPARE(result.errorCount, qint64(0));
    QCOMPARE(result.records.size(), 7);
    QCOMPARE(result.records.at(3).sequence, quint64(4));
    QCOMPARE(result.records.at(4).sequence, quint64(1));
    int headers = 0;
    for (const QByteArray &line : TestSupport::fileLines(path))
        headers += line.startsWith("{\"recording\"") ? 1 : 0;
    QCOMPARE(headers, 2);
}

void TestRecorder::rotatesAndKeepsN()
{
    const QString path = m_dir.filePath(QStringLiteral("rot.jsonl"));
    LogRecorder::Options options;
    options.path = path;
    options.maxBytes = 4096;
    options.keepFiles = 2;
    LogRecorder recorder;
    QSignalSpy rotated(&recorder, &LogRecorder::rotated);
    QVERIFY(recorder.start(options));
    constexpr int kRecords = 400; // ~200 bytes a line: ~20 lines a part, ~20 parts
    for (int i = 0; i < kRecords; i += 10)
        recorder.append(textRecords(10, 1 + static_cast<quint64>(i), 60));
    recorder.stop();
    QVERIFY(recorder.rotations() >= 10);
    QTRY_COMPARE(rotated.count(), recorder.rotations());
    QCOMPARE(rotated.first().first().toString(), m_dir.filePath(QStringLiteral("rot.1.jsonl")));

    QVERIFY(QFileInfo::exists(path));
    QVERIFY(QFileInfo::exists(m_dir.filePath(QStringLiteral("rot.1.jsonl"))));
    QVERIFY(QFileInfo::exists(m_dir.filePath(QStringLiteral("rot.2.jsonl"))));
    QVERIFY(!QFileInfo::exists(m_dir.filePath(QStringLiteral("rot.3.jsonl"))));
    const QStringList parts = RecordingReader::recordingParts(path);
    QCOMPARE(parts, (QStringList{m_dir.filePath(QStringLiteral("rot.2.jsonl")),
                                 m_dir.filePath(QStringLiteral("rot.1.jsonl")), path}));
    for (const QString &part : parts) {
        QVERIFY2(QFileInfo(part).size() <= options.maxBytes, qPrintable(part));
        QVERIFY(TestSupport::fileLines(part).first().startsWith("{\"recording\"")); // every part says what it is
    }
    // The kept parts hold the newest records, contiguous, ending with the last one.
    const RecordingReader::Result result = RecordingReader::read(parts, RecordingReader::Options());
    QCOMPARE(result.errorCount, qint64(0));
    QVERIFY(result.records.size() > 20);
    QCOMPARE(result.records.last().sequence, quint64(kRecords));
    for (int i = 1; i < result.records.size(); ++i)
        QCOMPARE(result.records.at(i).sequence, result.records.at(i - 1).sequence + 1);
    QCOMPARE(recorder.recordsWritten(), quint64(kRecords));
}

void TestRecorder::rotationWithKeepZero()
{
    const QString path = m_dir.filePath(QStringLiteral("nokeep.jsonl"));
    LogRecorder::Options options;
    options.path = path;
    options.maxBytes = 2048;
    options.keepFiles = 0;
    LogRecorder recorder;
    QVERIFY(recorder.start(options));
    recorder.append(textRecords(100, 1));
    recorder.stop();
    QVERIFY(recorder.rotations() > 0);
    QCOMPARE(RecordingReader::recordingParts(path), QStringList{path});
    QVERIFY(QFileInfo(path).size() <= options.maxBytes);
    QCOMPARE(RecordingReader::read(path).records.last().sequence, quint64(100));
}

void TestRecorder::oversizedLineGetsItsOwnPart()
{
    const QString path = m_dir.filePath(QStringLiteral("big.jsonl"));
    LogRecorder::Options options;
    options.path = path;
    options.maxBytes = 4096;
    LogRecorder recorder;
    QVERIFY(recorder.start(options));
    LogRecordBatch batch = textRecords(3, 1);
    batch[1].payload = QByteArray(10000, 'B'); // a line can't be split: it goes whole
    batch[1].size = batch[1].payload.size();
    recorder.append(batch);
    recorder.stop();
    const RecordingReader::Result result = RecordingReader::read(RecordingReader::recordingParts(path),
                                                                 RecordingReader::Options());
    QCOMPARE(result.errorCount, qint64(0));
    QCOMPARE(result.records.size(), 3);
    QCOMPARE(result.records.at(1).payload.size(), 10000);
    QCOMPARE(RecordingReader::read(path).records.size(), 1); // the record after it starts a new part
}

void TestRecorder::fullFileRotatesAtStart()
{
    const QString path = m_dir.filePath(QStringLiteral("full.jsonl"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(5000, '\n'));
    }
    LogRecorder::Options options;
    options.path = path;
    options.maxBytes = 4096;
    LogRecorder recorder;
    QVERIFY(recorder.start(options));
    recorder.append(textRecords(1, 1));
    recorder.stop();
    QCOMPARE(QFileInfo(m_dir.filePath(QStringLiteral("full.1.jsonl"))).size(), qint64(5000));
    QCOMPARE(RecordingReader::read(path).records.size(), 1);
}

void TestRecorder::backPressureLosesNothing()
{
    const QString path = m_dir.filePath(QStringLiteral("pressure.jsonl"));
    LogRecorder::Options options;
    options.path = path;
    options.maxQueuedBytes = 4096; // tiny: append() has to wait for the writer again and again
    options.flushIntervalMs = 50;
    LogRecorder recorder;
    QVERIFY(recorder.start(options));
    constexpr int kBatches = 200;
    for (int i = 0; i < kBatches; ++i)
        recorder.append(textRecords(50, 1 + static_cast<quint64>(i) * 50, 100));
    recorder.stop();
    QCOMPARE(recorder.recordsWritten(), quint64(kBatches * 50));
    const RecordingReader::Result result = RecordingReader::read(path, RecordingReader::Options{20000, 1024, 1 << 20, 10});
    QCOMPARE(result.records.size(), kBatches * 50);
    QCOMPARE(result.records.last().sequence, quint64(kBatches * 50));
}

void TestRecorder::refusesBadOptions()
{
    LogRecorder recorder;
    QString error;
    QVERIFY(!recorder.start({m_dir.filePath(QStringLiteral("no/such/dir/rec.jsonl"))}, &error));
    QVERIFY2(error.contains(QStringLiteral("no/such/dir/rec.jsonl")), qPrintable(error));
    QVERIFY(!recorder.isRecording());
    recorder.append(textRecords(1, 1)); // not recording: ignored, no crash
    QVERIFY(!recorder.start({QString()}, &error));
    LogRecorder::Options tooSmall;
    tooSmall.path = m_dir.filePath(QStringLiteral("small.jsonl"));
    tooSmall.maxBytes = 100;
    QVERIFY(!recorder.start(tooSmall, &error));
    QVERIFY(error.contains(QStringLiteral("1024")));
    if (QFileInfo::exists(QStringLiteral("/dev/full"))) { // a disk that is always full
        QVERIFY(!recorder.start({QStringLiteral("/dev/full")}, &error));
        QVERIFY2(error.contains(QStringLiteral("cannot write /dev/full")), qPrintable(error));
        QVERIFY(!recorder.isRecording());
    }
    QCOMPARE(LogRecorder::partPath(QStringLiteral("/a/rec.jsonl"), 3), QStringLiteral("/a/rec.3.jsonl"));
    QCOMPARE(LogRecorder::partPath(QStringLiteral("/a/rec"), 2), QStringLiteral("/a/rec.2"));
    QCOMPARE(LogRecorder::partPath(QStringLiteral("/a/.hidden"), 1), QStringLiteral("/a/.hidden.1"));
    QCOMPARE(LogRecorder::partPath(QStringLiteral("/a/rec.jsonl"), 0), QStringLiteral("/a/rec.jsonl"));
}

void TestRecorder::recordsFullPayloadsFromTheEngine()
{
    const QString path = m_dir.filePath(QStringLiteral("engine.jsonl"));
    LogRecorder recorder;
    QVERIFY(recorder.start({path}));
    auto engine = TestSupport::startEngine();
    QVERIFY(engine);
    connect(engine.get(), &Engine::recordsAppended, &recorder, &LogRecorder::append);

    auto client = TestSupport::connectClient(engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    QByteArray binary(300 * 1024, '\0');
    for (int i = 0; i < binary.size(); ++i)
        binary[i] = static_cast<char>((i * 31) ^ (i >> 8));
    const QString text = QString(100 * 1024, QChar(0x00E9)); // 200 KiB of UTF-8
    QSignalSpy binaryEcho(client.get(), &QWebSocket::binaryMessageReceived);
    QSignalSpy textEcho(client.get(), &QWebSocket::textMessageReceived);
    client->sendBinaryMessage(binary);
    client->sendTextMessage(text);
    QTRY_COMPARE_WITH_TIMEOUT(binaryEcho.count(), 1, 5000);
    QTRY_COMPARE(textEcho.count(), 1);
    client->close(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("done"));
    QSignalSpy stopped(engine.get(), &Engine::stopped);
    QTRY_COMPARE(engine->openClientCount(), 0);
    engine->stop();
    QTRY_COMPARE(stopped.count(), 1);
    recorder.stop();

    const RecordingReader::Result result = RecordingReader::read(path, RecordingReader::Options{1000, 1 << 20, 1 << 24, 10});
    QCOMPARE(result.errorCount, qint64(0));
    // open, binary in, binary out, text in, text out, close
    QCOMPARE(result.records.size(), 6);
    QCOMPARE(result.records.at(1).payload, binary); // every byte, not the 64 KiB the dashboard keeps
    QCOMPARE(result.records.at(2).payload, binary);
    QCOMPARE(result.records.at(3).payload, text.toUtf8());
    QCOMPARE(result.records.at(3).size, qint64(text.toUtf8().size()));
    QCOMPARE(result.records.at(5).kind, LogRecord::Kind::Close);
    QCOMPARE(result.records.at(5).closeCode, 1000);
    QCOMPARE(result.records.at(5).detail, QStringLiteral("done"));
}

void TestRecorder::survivesKillNine()
{
    const QString path = m_dir.filePath(QStringLiteral("crash.jsonl"));
    QProcess server;
    server.setProcessChannelMode(QProcess::SeparateChannels);
    server.start(QStringLiteral(SWITCHBOARD_BIN),
                 {QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--record"), path});
    QVERIFY(server.waitForStarted(10000));
    QTRY_VERIFY_WITH_TIMEOUT(server.canReadLine(), 10000);
    const QByteArray first = server.readLine().trimmed();
    QVERIFY2(first.startsWith("Listening on http://127.0.0.1:"), first.constData());
    const QUrl url(QString::fromLatin1(first.mid(int(qstrlen("Listening on ")))) + QStringLiteral("/ws"));
    QUrl wsUrl = url;
    wsUrl.setScheme(QStringLiteral("ws"));

    auto client = TestSupport::connectClient(wsUrl);
    QVERIFY(client);
    int echoes = 0;
    connect(client.get(), &QWebSocket::textMessageReceived, this, [&echoes] { ++echoes; });
    constexpr int kMessages = 200;
    for (int i = 0; i < kMessages; ++i)
        client->sendTextMessage(QStringLiteral("message %1").arg(i));
    QTRY_COMPARE_WITH_TIMEOUT(echoes, kMessages, 10000);
    // The server has handled every message; within a second they must be on disk.
    QTRY_COMPARE_WITH_TIMEOUT(RecordingReader::read(path).recordsRead, qint64(1 + 2 * kMessages), 1000);

    server.kill(); // SIGKILL: no destructors, no flush
    QVERIFY(server.waitForFinished(10000));
    QCOMPARE(server.exitStatus(), QProcess::CrashExit);

    const RecordingReader::Result result = RecordingReader::read(path);
    QVERIFY2(result.errorCount == 0, qPrintable(result.summary()));
    QCOMPARE(result.records.size(), 1 + 2 * kMessages);
    QCOMPARE(result.records.first().kind, LogRecord::Kind::Open);
    QCOMPARE(result.records.last().payload, QByteArray("message 199"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(file.readAll().endsWith('\n')); // whole lines only
}

void TestRecorder::cleanShutdownWritesTheCloses()
{
    const QString path = m_dir.filePath(QStringLiteral("sigterm.jsonl"));
    QProcess server;
    server.start(QStringLiteral(SWITCHBOARD_BIN),
                 {QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--record"),
                  path, QStringLiteral("--record-max-bytes"), QStringLiteral("2048"), QStringLiteral("--record-keep"),
                  QStringLiteral("100")});
    QVERIFY(server.waitForStarted(10000));
    QTRY_VERIFY_WITH_TIMEOUT(server.canReadLine(), 10000);
    QUrl url(QString::fromLatin1(server.readLine().trimmed().mid(int(qstrlen("Listening on ")))));
    url.setScheme(QStringLiteral("ws"));
    url.setPath(QStringLiteral("/ws"));
    auto client = TestSupport::connectClient(url);
    QVERIFY(client);
    QSignalSpy echoes(client.get(), &QWebSocket::textMessageReceived);
    for (int i = 0; i < 50; ++i)
        client->sendTextMessage(QStringLiteral("before shutdown %1").arg(i));
    QTRY_COMPARE(echoes.count(), 50);
    server.terminate(); // SIGTERM: close every client with 1001, write everything, exit 0
    // Not waitForFinished(): the client must answer the close handshake from this event loop.
    QTRY_COMPARE_WITH_TIMEOUT(server.state(), QProcess::NotRunning, 10000);
    QCOMPARE(server.exitStatus(), QProcess::NormalExit);
    QCOMPARE(server.exitCode(), 0);

    const QStringList parts = RecordingReader::recordingParts(path);
    QVERIFY2(parts.size() > 1, "the 2 KiB limit should have rotated");
    const RecordingReader::Result result = RecordingReader::read(parts, RecordingReader::Options());
    QCOMPARE(result.errorCount, qint64(0));
    QCOMPARE(result.records.size(), 1 + 2 * 50 + 1);
    const LogRecord &close = result.records.last();
    QCOMPARE(close.kind, LogRecord::Kind::Close);
    QCOMPARE(close.closeCode, 1001);
    for (int i = 1; i < result.records.size(); ++i)
        QCOMPARE(result.records.at(i).sequence, result.records.at(i - 1).sequence + 1);
}

void TestRecorder::dashboardRecordsWithTheFlagToo()
{
    // No --headless: the dashboard opens (offscreen here) and records as the headless server does.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config"))); // no saved port
    const QString path = m_dir.filePath(QStringLiteral("dashboard.jsonl"));
    QProcess dashboard;
    dashboard.setProcessEnvironment(env);
    dashboard.start(QStringLiteral(SWITCHBOARD_BIN), {QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--record"), path});
    QVERIFY(dashboard.waitForStarted(10000));
    // The recording starts before the server listens: its header line is the first sign.
    QTRY_VERIFY_WITH_TIMEOUT(RecordingReader::read(path).lines >= 1, 10000);
    dashboard.terminate(); // SIGTERM closes the window gracefully
    QTRY_COMPARE_WITH_TIMEOUT(dashboard.state(), QProcess::NotRunning, 15000);
    QCOMPARE(dashboard.exitStatus(), QProcess::NormalExit);
    QCOMPARE(dashboard.exitCode(), 0);
    const RecordingReader::Result result = RecordingReader::read(path);
    QVERIFY2(result.ok() && result.errorCount == 0, qPrintable(result.summary()));

    // A file that cannot be written is an error before any window opens, as in headless mode.
    QProcess refused;
    refused.setProcessEnvironment(env);
    refused.start(QStringLiteral(SWITCHBOARD_BIN), {QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--record"),
                                                    m_dir.filePath(QStringLiteral("no/such/dir/rec.jsonl"))});
    QTRY_COMPARE_WITH_TIMEOUT(refused.state(), QProcess::NotRunning, 15000);
    QCOMPARE(refused.exitCode(), 1);
    QVERIFY2(refused.readAllStandardError().contains("rec.jsonl"), "the error names the file");
}

QTEST_GUILESS_MAIN(TestRecorder)
#include "tst_recorder.moc"
