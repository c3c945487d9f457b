#pragma once

#include "LogRecord.h"

#include <QObject>
#include <atomic>

class QIODevice;
class QThread;

// Writes log records to JSON Lines (the recording format, see LogRecordJson, so an export can be
// opened in the replay viewer) or CSV (RFC 4180: comma-separated, CRLF line ends, fields with
// commas, quotes or line breaks quoted, quotes doubled; binary payloads base64).
//
// CSV columns: sequence,timestamp_ms,time,client_id,route,direction,kind,size,fanout,close_code,
//              detail,truncated,encoding,payload
// "time" is ISO 8601 UTC with milliseconds; "truncated" is true when the payload holds fewer bytes
// than "size" (records exported from the in-memory log keep at most its payload cap); "encoding"
// is utf8 or base64.
//
// Files are written through QSaveFile: a failed or canceled export leaves no half-written file.
// Synchronous use: exportToFile(). In a GUI, an instance's start() writes on a worker thread
// (records are implicitly shared, so handing over 100,000 of them copies no payload).
class LogExporter : public QObject
{
    Q_OBJECT
public:
    enum class Format { JsonLines, Csv };

    // "csv" or "jsonl" (also "json", "ndjson"); case-insensitive.
    static bool formatFromName(const QString &name, Format *format);
    static QString formatName(Format format); // "csv", "jsonl"
    // By the file's extension: .csv is CSV, anything else JSON Lines.
    static Format formatForPath(const QString &path);

    static QByteArray csvHeader(); // the header line, CRLF included
    static void appendCsvRow(QByteArray &out, const LogRecord &record);
    static void appendCsvField(QByteArray &out, QByteArrayView utf8);
    static void appendRecord(QByteArray &out, const LogRecord &record, Format format);

    // Writes the CSV header (for Csv) then every record. False with *error on a write error.
    static bool write(QIODevice &device, const LogRecordBatch &records, Format format, QString *error = nullptr,
                      const std::atomic<bool> *cancel = nullptr);
    static bool exportToFile(const QString &path, const LogRecordBatch &records, Format format,
                             QString *error = nullptr, const std::atomic<bool> *cancel = nullptr);

    // Converts recordings (or JSON Lines exports) to outputPath ("-" for stdout) in format,
    // streaming: memory does not grow with the input. Bad input lines are skipped and described
    // in *lineErrors (at most maxLineErrors of them; *badLines counts all). False with *error
    // when a file cannot be read or written; then no output file is left behind.
    static bool convert(const QStringList &inputPaths, const QString &outputPath, Format format,
                        qint64 *recordCount, qint64 *badLines, QStringList *lineErrors, QString *error,
                        int maxLineErrors = 100);

    explicit LogExporter(QObject *parent = nullptr);
    ~LogExporter() override; // cancels a running export (its file is not created) and waits

    // Exports on a worker thread; finished() follows. An export already running is canceled.
    void start(const QString &path, const LogRecordBatch &records, Format format);
    void cancel() { m_cancel = true; }
    bool isRunning() const { return m_worker != nullptr; }

Q_SIGNALS:
    void finished(bool ok, const QString &error, int recordCount);

private:
    QThread *m_worker = nullptr;
    std::atomic<bool> m_cancel{false};
    bool m_ok = false;
    QString m_error;
    int m_count = 0;
};
