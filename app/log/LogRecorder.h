#pragma once

#include "LogRecord.h"

#include <QObject>
#include <QString>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

class QFile;
class QThread;

// Appends every log record, full payload, to a JSON Lines file (see LogRecordJson for the line
// format). append() only queues the batch (payloads stay shared, nothing is serialised on the
// caller's thread); a writer thread encodes and writes it, so the engine or GUI thread never waits
// for the disk. Every batch reaches the file (the kernel) within one flush interval of arriving,
// so a crash of the process loses at most that much.
//
// Rotation: when the next line would grow FILE past maxBytes, FILE becomes FILE.1 (FILE.1 becomes
// FILE.2 ...; with "rec.jsonl" the parts are "rec.1.jsonl", "rec.2.jsonl") and only keepFiles
// rotated parts are kept. A line is never split across parts.
//
// Back-pressure: at most maxQueuedBytes of payload wait for the writer. Past that, append() waits
// for the disk rather than dropping records or growing without bound.
class LogRecorder : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QString path;
        qint64 maxBytes = 100LL * 1024 * 1024; // rotate past this size
        int keepFiles = 5;                     // rotated parts kept besides the live file
        int flushIntervalMs = 250;             // the longest a queued batch waits for the writer
        qint64 maxQueuedBytes = 64LL * 1024 * 1024;
    };

    explicit LogRecorder(QObject *parent = nullptr);
    ~LogRecorder() override; // stops: everything queued is written first

    // Opens (appending to) options.path and starts the writer. On failure returns false with
    // *error set and records nothing. Starting while recording stops the old recording first.
    bool start(const Options &options, QString *error = nullptr);
    // Writes everything queued, closes the file. Blocks until done; safe to call twice.
    void stop();

    // False once stopped, or once the file has failed (failed() said why).
    bool isRecording() const { return m_recording && !m_failed; }
    Options options() const { return m_options; }

    // Counters, safe to read from any thread.
    quint64 recordsWritten() const { return m_recordsWritten.load(); }
    quint64 bytesWritten() const { return m_bytesWritten.load(); }
    // Records that could not be written because the file failed (disk full, removed directory).
    quint64 recordsLost() const { return m_recordsLost.load(); }
    int rotations() const { return m_rotations.load(); }

    // "dir/rec.jsonl", 2 -> "dir/rec.2.jsonl"; part 0 is the path itself.
    static QString partPath(const QString &path, int part);

public Q_SLOTS:
    void append(const LogRecordBatch &records);

Q_SIGNALS:
    // The file could not be written; recording has stopped (records from now on are lost).
    void failed(const QString &error);
    void rotated(const QString &rotatedTo);

private:
    void writerLoop();
    bool writeChunk(const QByteArray &chunk);
    bool rotate();
    bool openLive(QString *error);
    void fail(const QString &error);

    Options m_options;
    bool m_recording = false;
    bool m_warnedSlowDisk = false;

    // Shared with the writer thread, under m_mutex.
    std::mutex m_mutex;
    std::condition_variable m_wakeWriter;
    std::condition_variable m_spaceFreed;
    std::deque<LogRecordBatch> m_queue;
    qint64 m_queuedBytes = 0;
    bool m_stopping = false;

    // Writer thread only (after start()).
    std::unique_ptr<QFile> m_file;
    qint64 m_fileSize = 0;
    qint64 m_headerSize = 0;
    int m_part = 0;

    std::atomic<bool> m_failed{false};
    std::atomic<quint64> m_recordsWritten{0};
    std::atomic<quint64> m_bytesWritten{0};
    std::atomic<quint64> m_recordsLost{0};
    std::atomic<int> m_rotations{0};
    QThread *m_writer = nullptr;
};
