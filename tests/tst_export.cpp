// Exporting the log: JSON Lines and CSV (RFC 4180), whole log or chosen rows, in the background,
// and from the command line.
#include "TestSupport.h"
#include "log/LogExporter.h"
#include "log/LogRecordJson.h"
#include "log/LogRecorder.h"
#include "log/RecordingReader.h"
#include "model/MessageLogModel.h"

#include <QBuffer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

namespace {

LogRecord makeRecord(quint64 sequence, LogRecord::Kind kind, const QByteArray &payload, const QString &detail = {})
{
    LogRecord record = TestSupport::makeRecord(sequence, LogRecord::Direction::In, kind, payload, 2);
    record.detail = detail;
    return record;
}

// A strict RFC 4180 reader: rows of fields; quoted fields may hold commas, CRLF and "" for ".
// Returns false on anything RFC 4180 does not allow (bare quotes, LF line ends outside quotes).
bool parseCsv(const QByteArray &data, QList<QList<QByteArray>> *rows)
{
    QList<QByteArray> row;
    QByteArray field;
    bool quoted = false, inQuotes = false, fieldStarted = false;
    for (qsizetype i = 0; i < data.size(); ++i) {
        const char c = data.at(i);
        if (inQuotes) {
            if (c == '"') {
                if (i + 1 < data.size() && data.at(i + 1) == '"') {
                    field.append('"');
                    ++i;
                } else {
                    inQuotes = false;
                }
            } else {
                field.append(c);
            }
            continue;
        }
        if (c == '"') {
            if (fieldStarted)
                return false; // quote in the middle of an unquoted field
            quoted = inQuotes = fieldStarted = true;
        } else if (c == ',') {
            row.append(field);
            field.clear();
            quoted = fieldStarted = false;
        } else if (c == '\r') {
            if (i + 1 >= data.size() || data.at(i + 1) != '\n')
                return false;
            ++i;
            row.append(field);
            rows->append(row);
            row.clear();
            field.clear();
            quoted = fieldStarted = false;
        } else if (c == '\n') {
            return false; // RFC 4180 lines end with CRLF
        } else {
            if (quoted)
                return false; // text after a closing quote
            field.append(c);
            fieldStarted = true;
        }
    }
    return !inQuotes && row.isEmpty() && field.isEmpty(); // the last line ends with CRLF too
}

} // namespace

class TestExport : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void formats();
    void csvQuoting_data();
    void csvQuoting();
    void csvRowsAndBinary();
    void jsonLinesReadsBack();
    void exportChosenRowsFromTheModel();
    void failedExportLeavesNoFile();
    void exportInTheBackground();
    void commandLineConverts();
    void commandLineRefusesBadInput();

private:
    QTemporaryDir m_dir;
};

void TestExport::formats()
{
    LogExporter::Format format = LogExporter::Format::JsonLines;
    QVERIFY(LogExporter::formatFromName(QStringLiteral("CSV"), &format));
    QCOMPARE(format, LogExporter::Format::Csv);
    QVERIFY(LogExporter::formatFromName(QStringLiteral("ndjson"), &format));
    QCOMPARE(format, LogExporter::Format::JsonLines);
    QVERIFY(!LogExporter::formatFromName(QStringLiteral("xml"), &format));
    QCOMPARE(LogExporter::formatForPath(QStringLiteral("/tmp/a.CSV")), LogExporter::Format::Csv);
    QCOMPARE(LogExporter::formatForPath(QStringLiteral("/tmp/a.jsonl")), LogExporter::Format::JsonLines);
    QCOMPARE(LogExporter::formatForPath(QStringLiteral("/tmp/a")), LogExporter::Format::JsonLines);
    QCOMPARE(LogExporter::formatName(LogExporter::Format::Csv), QStringLiteral("csv"));
}

void TestExport::csvQuoting_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("plain") << QByteArray("hello") << QByteArray("hello");
    QTest::newRow("empty") << QByteArray() << QByteArray();
    QTest::newRow("comma") << QByteArray("a,b") << QByteArray("\"a,b\"");
    QTest::newRow("quote") << QByteArray("say \"hi\"") << QByteArray("\"say \"\"hi\"\"\"");
    QTest::newRow("crlf") << QByteArray("one\r\ntwo") << QByteArray("\"one\r\ntwo\"");
    QTest::newRow("lf") << QByteArray("one\ntwo") << QByteArray("\"one\ntwo\"");
    QTest::newRow("leading space") << QByteArray(" x") << QByteArray("\" x\"");
    QTest::newRow("only quotes") << QByteArray("\"\"") << QByteArray("\"\"\"\"\"\"");
    QTest::newRow("utf8") << QByteArray("h\xC3\xA9") << QByteArray("h\xC3\xA9");
}

void TestExport::csvQuoting()
{
    QFETCH(QByteArray, value);
    QFETCH(QByteArray, expected);
    QByteArray out;
    LogExporter::appendCsvField(out, value);
    QCOMPARE(out, expected);
    QList<QList<QByteArray>> rows;
    QVERIFY(parseCsv(out + "\r\n", &rows));
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows.first().first(), value);
}

void TestExport::csvRowsAndBinary()
{
    LogRecordBatch records;
    records << makeRecord(1, LogRecord::Kind::Text, "{\"a\":1,\"b\":\"x, y\"}\nline two", QStringLiteral("a \"detail\""));
    records << makeRecord(2, LogRecord::Kind::Binary, QByteArray("\x00\x01\xfe\xff,\"\r\n", 8));
    records << makeRecord(3, LogRecord::Kind::Close, {}, QStringLiteral("going, away"));
    records.last().closeCode = 1001;
    records.last().direction = LogRecord::Direction::Out;
    records << makeRecord(4, LogRecord::Kind::Text, "cut");
    records.last().size = 1000; // kept 3 of 1000 bytes in memory
    records << makeRecord(5, LogRecord::Kind::Text, "to all");
    records.last().direction = LogRecord::Direction::Broadcast;
    records.last().fanout = 42;

    QBuffer buffer;
    QVERIFY(buffer.open(QIODevice::WriteOnly));
    QString error;
    QVERIFY2(LogExporter::write(buffer, records, LogExporter::Format::Csv, &error), qPrintable(error));
    QList<QList<QByteArray>> rows;
    QVERIFY2(parseCsv(buffer.data(), &rows), buffer.data().constData());
    QCOMPARE(rows.size(), 1 + records.size());
    const QList<QByteArray> header = rows.first();
    QCOMPARE(header.join(','), QByteArray("sequence,timestamp_ms,time,client_id,route,direction,kind,size,fanout,"
                                          "close_code,detail,truncated,encoding,payload"));
    for (const auto &row : rows)
        QCOMPARE(row.size(), header.size());
    const auto column = [&header](const char *name) { return int(header.indexOf(QByteArray(name))); };

    const QList<QByteArray> &text = rows.at(1);
    QCOMPARE(text.at(column("sequence")), QByteArray("1"));
    QCOMPARE(text.at(column("timestamp_ms")), QByteArray("1718000000001"));
    QCOMPARE(text.at(column("time")), QByteArray("2024-06-10T06:13:20.001Z"));
    QCOMPARE(text.at(column("direction")), QByteArray("in"));
    QCOMPARE(text.at(column("kind")), QByteArray("text"));
    QCOMPARE(text.at(column("encoding")), QByteArray("utf8"));
    QCOMPARE(text.at(column("payload")), records.at(0).payload);
    QCOMPARE(text.at(column("detail")), QByteArray("a \"detail\""));
    QCOMPARE(text.at(column("truncated")), QByteArray("false"));

    const QList<QByteArray> &binary = rows.at(2);
    QCOMPARE(binary.at(column("encoding")), QByteArray("base64"));
    QCOMPARE(QByteArray::fromBase64(binary.at(column("payload"))), records.at(1).payload);
    QCOMPARE(binary.at(column("size")), QByteArray("8"));

    QCOMPARE(rows.at(3).at(column("close_code")), QByteArray("1001"));
    QCOMPARE(rows.at(3).at(column("detail")), QByteArray("going, away"));
    QCOMPARE(rows.at(3).at(column("direction")), QByteArray("out"));
    QCOMPARE(rows.at(4).at(column("truncated")), QByteArray("true"));
    QCOMPARE(rows.at(4).at(column("size")), QByteArray("1000"));
    QCOMPARE(rows.at(5).at(column("fanout")), QByteArray("42"));
    QCOMPARE(rows.at(5).at(column("direction")), QByteArray("broadcast"));
}

void TestExport::jsonLinesReadsBack()
{
    LogRecordBatch records;
    for (quint64 i = 1; i <= 50; ++i)
        records << makeRecord(i, i % 2 ? LogRecord::Kind::Text : LogRecord::Kind::Binary, QByteArray::number(i * i));
    const QString path = m_dir.filePath(QStringLiteral("export.jsonl"));
    QString error;
    QVERIFY2(LogExporter::exportToFile(path, records, LogExporter::Format::JsonLines, &error), qPrintable(error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 50); // one object a line, no header in an export
    // An export is a recording: the replay viewer opens it.
    const RecordingReader::Result result = RecordingReader::read(path);
    QCOMPARE(result.errorCount, qint64(0));
    QCOMPARE(result.records.size(), 50);
    for (int i = 0; i < 50; ++i) {
        QCOMPARE(result.records.at(i).sequence, records.at(i).sequence);
        QCOMPARE(result.records.at(i).kind, records.at(i).kind);
        QCOMPARE(result.records.at(i).payload, records.at(i).payload);
    }
}

void TestExport::exportChosenRowsFromTheModel()
{
    MessageLogModel model(100);
    model.setPayloadCap(4);
    LogRecordBatch batch;
    for (quint64 i = 1; i <= 10; ++i)
        batch << makeRecord(i, LogRecord::Kind::Text, "payload " + QByteArray::number(i));
    model.appendBatch(batch);

    // Rows as the view has them selected (e.g. mapped from a filter proxy), in that order.
    const QString path = m_dir.filePath(QStringLiteral("chosen.csv"));
    QVERIFY(LogExporter::exportToFile(path, model.records({7, 2, 5}), LogExporter::formatForPath(path)));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QList<QList<QByteArray>> rows;
    QVERIFY(parseCsv(file.readAll(), &rows));
    QCOMPARE(rows.size(), 4);
    QCOMPARE(rows.at(1).first(), QByteArray("8"));
    QCOMPARE(rows.at(2).first(), QByteArray("3"));
    QCOMPARE(rows.at(3).first(), QByteArray("6"));
    // From memory the payload is what the log kept: marked so nobody mistakes it for the message.
    QCOMPARE(rows.at(1).at(13), QByteArray("payl"));
    QCOMPARE(rows.at(1).at(11), QByteArray("true"));
    QCOMPARE(rows.at(1).at(7), QByteArray("9"));

    QVERIFY(LogExporter::exportToFile(m_dir.filePath(QStringLiteral("all.jsonl")), model.records(),
                                      LogExporter::Format::JsonLines));
    QCOMPARE(RecordingReader::read(m_dir.filePath(QStringLiteral("all.jsonl"))).records.size(), 10);
}

void TestExport::failedExportLeavesNoFile()
{
    QString error;
    const QString path = m_dir.filePath(QStringLiteral("missing/dir/out.csv"));
    QVERIFY(!LogExporter::exportToFile(path, {makeRecord(1, LogRecord::Kind::Text, "x")}, LogExporter::Format::Csv, &error));
    QVERIFY2(error.contains(path), qPrintable(error));
    QVERIFY(!QFileInfo::exists(path));

    // Canceled halfway: the target keeps its old content.
    const QString existing = m_dir.filePath(QStringLiteral("keep.csv"));
    {
        QFile file(existing);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("old");
    }
    std::atomic<bool> cancel{true};
    QVERIFY(!LogExporter::exportToFile(existing, {makeRecord(1, LogRecord::Kind::Text, "x")}, LogExporter::Format::Csv,
                                       &error, &cancel));
    QFile file(existing);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), QByteArray("old"));
}

void TestExport::exportInTheBackground()
{
    LogRecordBatch records;
    for (quint64 i = 1; i <= 100000; ++i)
        records << makeRecord(i, LogRecord::Kind::Text, "message number " + QByteArray::number(i));
    const QString path = m_dir.filePath(QStringLiteral("background.csv"));
    LogExporter exporter;
    QSignalSpy finished(&exporter, &LogExporter::finished);
    exporter.start(path, records, LogExporter::Format::Csv);
    QVERIFY(exporter.isRunning());
    QVERIFY(finished.wait(30000));
    QVERIFY(!exporter.isRunning());
    QCOMPARE(finished.first().at(0).toBool(), true);
    QCOMPARE(finished.first().at(2).toInt(), 100000);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll().count("\r\n"), 100001);

    exporter.start(m_dir.filePath(QStringLiteral("nope/x.csv")), records, LogExporter::Format::Csv);
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.last().at(0).toBool(), false);
    QVERIFY(!finished.last().at(1).toString().isEmpty());
}

void TestExport::commandLineConverts()
{
    // A recording with one corrupt line in the middle.
    const QString recording = m_dir.filePath(QStringLiteral("cli.jsonl"));
    {
        LogRecorder recorder;
        QVERIFY(recorder.start({recording}));
        LogRecordBatch batch;
        for (quint64 i = 1; i <= 5; ++i)
            batch << makeRecord(i, LogRecord::Kind::Text, "cli " + QByteArray::number(i));
        recorder.append(batch);
    }
    {
        QFile file(recording);
        QVERIFY(file.open(QIODevice::Append));
        file.write("{\"sequence\":6,\"broken\n");
        file.write(LogRecordJson::toLine(makeRecord(7, LogRecord::Kind::Text, "after the bad line")));
    }
    const QString csv = m_dir.filePath(QStringLiteral("cli.csv"));
    QProcess process;
    process.start(QStringLiteral(SWITCHBOARD_BIN), {QStringLiteral("--export"), csv, recording});
    QVERIFY(process.waitForFinished(30000));
    const QByteArray err = process.readAllStandardError();
    QVERIFY2(process.exitCode() == 0, err.constData());
    QVERIFY2(err.contains(recording.toUtf8() + ":7:"), err.constData()); // header is line 1
    QVERIFY2(err.contains("Exported 6 records"), err.constData());
    QFile file(csv);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QList<QList<QByteArray>> rows;
    QVERIFY(parseCsv(file.readAll(), &rows));
    QCOMPARE(rows.size(), 7);
    QCOMPARE(rows.last().first(), QByteArray("7"));

    // To stdout, format named explicitly.
    process.start(QStringLiteral(SWITCHBOARD_BIN),
                  {QStringLiteral("--export"), QStringLiteral("-"), QStringLiteral("--export-format"),
                   QStringLiteral("jsonl"), recording});
    QVERIFY(process.waitForFinished(30000));
    QCOMPARE(process.exitCode(), 0);
    QCOMPARE(process.readAllStandardOutput().count('\n'), 6);
}

void TestExport::commandLineRefusesBadInput()
{
    QProcess process;
    const QString out = m_dir.filePath(QStringLiteral("never.csv"));
    process.start(QStringLiteral(SWITCHBOARD_BIN),
                  {QStringLiteral("--export"), out, m_dir.filePath(QStringLiteral("does-not-exist.jsonl"))});
    QVERIFY(process.waitForFinished(30000));
    QVERIFY(process.exitCode() != 0);
    QVERIFY(process.readAllStandardError().contains("does-not-exist.jsonl"));
    QVERIFY(!QFileInfo::exists(out));

    process.start(QStringLiteral(SWITCHBOARD_BIN), {QStringLiteral("--export"), out});
    QVERIFY(process.waitForFinished(30000));
    QVERIFY(process.exitCode() != 0);
    QVERIFY(process.readAllStandardError().contains("--export needs"));

    process.start(QStringLiteral(SWITCHBOARD_BIN),
                  {QStringLiteral("--export"), out, QStringLiteral("--export-format"), QStringLiteral("xml"), out});
    QVERIFY(process.waitForFinished(30000));
    QVERIFY(process.exitCode() != 0);
    QVERIFY(process.readAllStandardError().contains("--export-format"));
}

QTEST_GUILESS_MAIN(TestExport)
#include "tst_export.moc"
