#pragma once

#include "LogStore.h"

#include <QObject>
#include <QStringList>
#include <QVector>
#include <atomic>
#include <functional>

class QIODevice;
class QThread;

// One line of a recording that could not be read.
struct RecordingLineError
{
    QString file;    // the file's path as given
    qint64 line = 0; // 1-based
    QString message;

    QString toString() const; // "rec.jsonl:12: not JSON (...)"
};

// Reads recordings (and JSON Lines exports: same format) back into LogRecords for the replay
// viewer and the CLI converter. A bad line (corrupt, truncated by a crash, too long) is reported
// with its line number and skipped; everything else loads.
//
// Bounded: read() keeps only the newest maxRecords records (the older ones are counted in
// recordsDropped), each with at most payloadCap payload bytes (LogRecord::size keeps the true size;
// LogRecord::payloadTruncated() tells the viewer a re-send would not be the original message),
// and at most maxErrorsKept error descriptions. Lines longer than maxLineBytes are skipped unread.
//
// Synchronous use: RecordingReader::read(path). In a GUI, use an instance: start() parses on a
// worker thread, progress() reports, finished() says takeResult() is ready. Then, for example:
//     model->replaceAll(result.records);
class RecordingReader : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        int maxRecords = LogStore::kDefaultCapacity;
        int payloadCap = LogStore::kDefaultPayloadCap;
        qint64 maxLineBytes = 64LL * 1024 * 1024;
        int maxErrorsKept = 1000;
        qint64 maxBytes = LogStore::kDefaultMaxBytes; // payload bytes kept in all (the newest records stay)
    };

    struct Result
    {
        LogRecordBatch records; // oldest first
        QVector<RecordingLineError> errors; // the first Options::maxErrorsKept of them
        qint64 errorCount = 0;
        qint64 lines = 0;         // lines read, blank and header lines included
        qint64 recordsRead = 0;   // good records, including dropped ones
        quint64 recordsDropped = 0;
        QString fileError;        // a file could not be opened or read; empty when all were
        bool canceled = false;

        bool ok() const { return fileError.isEmpty() && !canceled; }
        // "1200 records from 1 file, 2 bad lines skipped (first: rec.jsonl:7: not JSON ...)"
        QString summary() const;
    };

    using RecordSink = std::function<void(const LogRecord &record)>;
    using ErrorSink = std::function<void(const RecordingLineError &error)>;
    using ProgressSink = std::function<void(qint64 bytesRead)>;

    // Streams one device line by line, calling onRecord in file order. Returns false with
    // *deviceError set only when the device itself fails; bad lines go to onError.
    static bool scan(QIODevice &device, const QString &name, const RecordSink &onRecord, const ErrorSink &onError,
                     qint64 maxLineBytes, QString *deviceError, qint64 *lines = nullptr,
                     const std::atomic<bool> *cancel = nullptr, const ProgressSink &onProgress = {});

    // (Overloads rather than "= Options()": GCC rejects that default inside the enclosing class.)
    static Result read(const QString &path);
    static Result read(const QString &path, const Options &options);
    static Result read(const QStringList &paths, const Options &options, const std::atomic<bool> *cancel = nullptr,
                       const ProgressSink &onProgress = {});

    // The parts of a rotated recording, oldest first: rec.3.jsonl, rec.2.jsonl, rec.1.jsonl, rec.jsonl
    // (only those that exist; the live file last).
    static QStringList recordingParts(const QString &path);

    explicit RecordingReader(QObject *parent = nullptr);
    ~RecordingReader() override; // cancels and waits for the worker

    // Starts reading on a worker thread; a read already running is canceled first.
    void start(const QStringList &paths);
    void start(const QStringList &paths, const Options &options);
    void cancel();
    bool isRunning() const { return m_worker != nullptr; }
    // The result of the finished read (empty before finished()).
    Result takeResult();

Q_SIGNALS:
    void progress(qint64 bytesRead, qint64 bytesTotal);
    void finished();

private:
    void onWorkerFinished();

    QThread *m_worker = nullptr;
    std::atomic<bool> m_cancel{false};
    std::atomic<qint64> m_bytesRead{0};
    qint64 m_bytesTotal = 0;
    Result m_result;
};
