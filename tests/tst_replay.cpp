// Replay: reading recordings back, with bad lines reported by number and skipped, into the
// log model the viewer shows.
#include "log/LogRecordJson.h"
#include "log/LogRecorder.h"
#include "log/RecordingReader.h"
#include "model/MessageLogModel.h"

#include <QAbstractItemModelTester>
#include <QBuffer>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

namespace {

LogRecord makeRecord(quint64 sequence, const QByteArray &payload = "payload")
{
    LogRecord record;
    record.sequence = sequence;
    record.timestampMs = 1718000000000 + static_cast<qint64>(sequence);
    record.clientId = 1;
    record.route = QStringLiteral("/ws");
    record.direction = LogRecord::Direction::In;
    record.kind = LogRecord::Kind::Text;
    record.payload = payload;
    record.size = payload.size();
    return record;
}

QByteArray lineFor(quint64 sequence, const QByteArray &payload = "payload")
{
    return LogRecordJson::toLine(makeRecord(sequence, payload));
}

QList<qint64> errorLines(const RecordingReader::Result &result)
{
    QList<qint64> lines;
    for (const RecordingLineError &error : result.errors)
        lines.append(error.line);
    return lines;
}

} // namespace

class TestReplay : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void corruptLineIsReportedAndSkipped();
    void badFieldsAreErrors_data();
    void badFieldsAreErrors();
    void loadsIntoTheModel();
    void keepsTheNewestWhenTooMany();
    void capsPayloadsOnLoad();
    void overlongLineIsSkipped();
    void blankLinesAndCrlfAreFine();
    void missingFileIsAFileError();
    void readsRotatedPartsInOrder();
    void loadsInTheBackground();
    void cancelStopsEarly();

private:
    QString writeFile(const QString &name, const QByteArray &content);
    QTemporaryDir m_dir;
};

QString TestReplay::writeFile(const QString &name, const QByteArray &content)
{
    const QString path = m_dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return {};
    file.write(content);
    return path;
}

void TestReplay::corruptLineIsReportedAndSkipped()
{
    QByteArray content = LogRecordJson::headerLine(1718000000000, 0); // line 1
    content += lineFor(1);                                             // 2
    content += lineFor(2);                                             // 3
    static const char corrupt[] = "{\"sequence\":3,\"timestampMs\":17180000\0\0\0garbage\n";
    content += QByteArray(corrupt, sizeof corrupt - 1);               // 4: corrupt (NUL bytes too)
    content += lineFor(4);                                             // 5
    content += lineFor(5);                                             // 6
    content += lineFor(6).left(40);                                    // 7: cut off by a crash
    const QString path = writeFile(QStringLiteral("corrupt.jsonl"), content);

    const RecordingReader::Result result = RecordingReader::read(path);
    QVERIFY(result.ok());
    QCOMPARE(result.records.size(), 4);
    QCOMPARE(result.records.at(2).sequence, quint64(4));
    QCOMPARE(result.recordsRead, qint64(4));
    QCOMPARE(result.lines, qint64(7));
    QCOMPARE(result.errorCount, qint64(2));
    QCOMPARE(errorLines(result), (QList<qint64>{4, 7}));
    QCOMPARE(result.errors.at(0).file, path);
    QVERIFY2(result.errors.at(0).message.startsWith(QStringLiteral("not JSON")), qPrintable(result.errors.at(0).message));
    QVERIFY2(result.errors.at(1).message.contains(QStringLiteral("truncated")), qPrintable(result.errors.at(1).message));
    QVERIFY(result.errors.at(0).toString().startsWith(path + QStringLiteral(":4: ")));
    QVERIFY2(result.summary().contains(QStringLiteral("2 bad lines skipped")), qPrintable(result.summary()));
}

void TestReplay::badFieldsAreErrors_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QString>("message");
    QTest::newRow("array") << QByteArray("[1,2]") << QStringLiteral("not a JSON object");
    QTest::newRow("no sequence") << QByteArray("{\"timestampMs\":1,\"direction\":\"in\",\"kind\":\"text\"}")
                                 << QStringLiteral("\"sequence\"");
    QTest::newRow("fractional sequence")
        << QByteArray("{\"sequence\":1.5,\"timestampMs\":1,\"direction\":\"in\",\"kind\":\"text\"}")
        << QStringLiteral("\"sequence\"");
    QTest::newRow("unknown kind") << QByteArray("{\"sequence\":1,\"timestampMs\":1,\"direction\":\"in\",\"kind\":\"smoke\"}")
                                  << QStringLiteral("\"kind\"");
    QTest::newRow("unknown direction")
        << QByteArray("{\"sequence\":1,\"timestampMs\":1,\"direction\":\"sideways\",\"kind\":\"text\"}")
        << QStringLiteral("\"direction\"");
    QTest::newRow("bad base64") << QByteArray("{\"sequence\":1,\"timestampMs\":1,\"direction\":\"in\",\"kind\":\"binary\","
                                              "\"encoding\":\"base64\",\"payload\":\"@@@\"}")
                                << QStringLiteral("base64");
    QTest::newRow("unknown encoding") << QByteArray("{\"sequence\":1,\"timestampMs\":1,\"direction\":\"in\",\"kind\":\"text\","
                                                    "\"encoding\":\"rot13\",\"payload\":\"x\"}")
                                      << QStringLiteral("rot13");
    QTest::newRow("size below payload") << QByteArray("{\"sequence\":1,\"timestampMs\":1,\"direction\":\"in\",\"kind\":\"text\","
                                                      "\"size\":1,\"payload\":\"abc\"}")
                                        << QStringLiteral("\"size\"");
    QTest::newRow("future format") << QByteArray("{\"recording\":\"switchboard\",\"format\":99}") << QStringLiteral("format");
}

void TestReplay::badFieldsAreErrors()
{
    QFETCH(QByteArray, line);
    QFETCH(QString, message);
    LogRecord record;
    QString error;
    QCOMPARE(LogRecordJson::fromLine(line, &record, &error), LogRecordJson::Parsed::Error);
    QVERIFY2(error.contains(message), qPrintable(error));

    // Minimal hand-written lines are fine: optional fields default.
    QCOMPARE(LogRecordJson::fromLine("{\"sequence\":9,\"timestampMs\":5,\"direction\":\"out\",\"kind\":\"ping\"}",
                                     &record, &error),
             LogRecordJson::Parsed::Record);
    QCOMPARE(record.sequence, quint64(9));
    QCOMPARE(record.kind, LogRecord::Kind::Ping);
    QCOMPARE(record.size, qint64(0));
}

void TestReplay::loadsIntoTheModel()
{
    QByteArray content;
    for (quint64 i = 1; i <= 300; ++i)
        content += i == 150 ? QByteArray("not json at all\n") : lineFor(i);
    const QString path = writeFile(QStringLiteral("model.jsonl"), content);
    const RecordingReader::Result result = RecordingReader::read(path);
    QCOMPARE(errorLines(result), QList<qint64>{150});

    MessageLogModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.appendBatch({makeRecord(1000)}); // whatever the viewer showed before
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    model.replaceAll(result.records);
    QCOMPARE(resets.count(), 1);
    QCOMPARE(model.rowCount(), 299);
    QCOMPARE(model.record(148).sequence, quint64(149));
    QCOMPARE(model.record(149).sequence, quint64(151));
    QCOMPARE(model.data(model.index(0, MessageLogModel::Preview)).toString(), QStringLiteral("payload"));
    QCOMPARE(model.data(model.index(0, MessageLogModel::Kind)).toString(), QStringLiteral("text"));
}

void TestReplay::keepsTheNewestWhenTooMany()
{
    QByteArray content;
    for (quint64 i = 1; i <= 1000; ++i)
        content += lineFor(i);
    const QString path = writeFile(QStringLiteral("many.jsonl"), content);
    RecordingReader::Options options;
    options.maxRecords = 100;
    const RecordingReader::Result result = RecordingReader::read(path, options);
    QCOMPARE(result.records.size(), 100);
    QCOMPARE(result.records.first().sequence, quint64(901));
    QCOMPARE(result.recordsRead, qint64(1000));
    QCOMPARE(result.recordsDropped, quint64(900));
    QVERIFY(result.summary().contains(QStringLiteral("900 oldest not loaded")));
}

void TestReplay::capsPayloadsOnLoad()
{
    const QByteArray big(200000, 'q');
    const QString path = writeFile(QStringLiteral("big.jsonl"), lineFor(1, big) + lineFor(2, "small"));
    RecordingReader::Result result = RecordingReader::read(path);
    QCOMPARE(result.records.at(0).payload.size(), LogStore::kDefaultPayloadCap);
    QCOMPARE(result.records.at(0).size, qint64(big.size()));
    QVERIFY(result.records.at(0).payloadTruncated()); // the viewer must not re-send this as the message
    QVERIFY(!result.records.at(1).payloadTruncated());

    RecordingReader::Options whole;
    whole.payloadCap = 1 << 20;
    result = RecordingReader::read(path, whole);
    QCOMPARE(result.records.at(0).payload, big);
}

void TestReplay::overlongLineIsSkipped()
{
    const QString path = writeFile(QStringLiteral("long.jsonl"),
                                   lineFor(1) + lineFor(2, QByteArray(300000, 'L')) + lineFor(3));
    RecordingReader::Options options;
    options.maxLineBytes = 100000;
    const RecordingReader::Result result = RecordingReader::read(path, options);
    QCOMPARE(result.records.size(), 2);
    QCOMPARE(result.records.at(1).sequence, quint64(3));
    QCOMPARE(errorLines(result), QList<qint64>{2});
    QVERIFY(result.errors.first().message.contains(QStringLiteral("longer than")));
}

void TestReplay::blankLinesAndCrlfAreFine()
{
    QByteArray crlf = lineFor(2);
    crlf.insert(crlf.size() - 1, '\r');
    const QString path = writeFile(QStringLiteral("blank.jsonl"), "\n" + lineFor(1) + "\n   \n" + crlf
                                                                      + lineFor(3).chopped(1)); // no final newline
    const RecordingReader::Result result = RecordingReader::read(path);
    QCOMPARE(result.errorCount, qint64(0));
    QCOMPARE(result.records.size(), 3);
}

void TestReplay::missingFileIsAFileError()
{
    const RecordingReader::Result result = RecordingReader::read(m_dir.filePath(QStringLiteral("nope.jsonl")));
    QVERIFY(!result.ok());
    QVERIFY(result.fileError.contains(QStringLiteral("nope.jsonl")));
    QVERIFY(result.records.isEmpty());
}

void TestReplay::readsRotatedPartsInOrder()
{
    const QString path = m_dir.filePath(QStringLiteral("parts.jsonl"));
    LogRecorder::Options options;
    options.path = path;
    options.maxBytes = 2048;
    options.keepFiles = 20;
    {
        LogRecorder recorder;
        QVERIFY(recorder.start(options));
        LogRecordBatch batch;
        for (quint64 i = 1; i <= 60; ++i)
            batch << makeRecord(i);
        recorder.append(batch);
    }
    const QStringList parts = RecordingReader::recordingParts(path);
    QVERIFY(parts.size() > 3);
    QCOMPARE(parts.last(), path);
    const RecordingReader::Result result = RecordingReader::read(parts, RecordingReader::Options());
    QCOMPARE(result.errorCount, qint64(0));
    QCOMPARE(result.records.size(), 60);
    for (int i = 0; i < 60; ++i)
        QCOMPARE(result.records.at(i).sequence, quint64(i + 1));
}

void TestReplay::loadsInTheBackground()
{
    QByteArray content;
    for (quint64 i = 1; i <= 50000; ++i)
        content += i == 777 ? QByteArray("{oops\n") : lineFor(i, "background load");
    const QString path = writeFile(QStringLiteral("background.jsonl"), content);
    RecordingReader reader;
    QSignalSpy finished(&reader, &RecordingReader::finished);
    QSignalSpy progress(&reader, &RecordingReader::progress);
    reader.start({path});
    QVERIFY(reader.isRunning());
    QVERIFY(reader.takeResult().records.isEmpty()); // nothing until finished
    QVERIFY(finished.wait(30000));
    QVERIFY(!reader.isRunning());
    QVERIFY(!progress.isEmpty());
    QCOMPARE(progress.last().at(0).toLongLong(), qint64(content.size()));
    QCOMPARE(progress.last().at(1).toLongLong(), qint64(content.size()));
    const RecordingReader::Result result = reader.takeResult();
    QCOMPARE(result.records.size(), 49999);
    QCOMPARE(errorLines(result), QList<qint64>{777});
}

void TestReplay::cancelStopsEarly()
{
    QByteArray content;
    for (quint64 i = 1; i <= 200000; ++i)
        content += lineFor(i);
    const QString path = writeFile(QStringLiteral("cancel.jsonl"), content);
    std::atomic<bool> cancel{true};
    const RecordingReader::Result result = RecordingReader::read({path}, RecordingReader::Options(), &cancel);
    QVERIFY(result.canceled);
    QVERIFY(!result.ok());
    QVERIFY(result.recordsRead < 200000);

    RecordingReader reader;
    QSignalSpy finished(&reader, &RecordingReader::finished);
    reader.start({path});
    reader.cancel();
    QVERIFY(finished.wait(30000));
    QVERIFY(reader.takeResult().canceled);
    reader.start({path}); // destroyed while running: must not crash or leak the worker
}

QTEST_GUILESS_MAIN(TestReplay)
#include "tst_replay.moc"
