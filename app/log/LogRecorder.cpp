#include "LogRecorder.h"

#include "LogRecordJson.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QThread>
#include <algorithm>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

Q_LOGGING_CATEGORY(lcRecorder, "switchboard.log")

namespace {

// The writer wakes early when this much is queued, so bursts do not wait for the interval.
constexpr qint64 kEagerWriteBytes = 1024 * 1024;
// Encoded lines are written in chunks of about this size: few syscalls, bounded extra memory.
constexpr qsizetype kChunkBytes = 1024 * 1024;
// What a queued record costs in memory besides its payload (the LogRecord and its strings).
constexpr qint64 kRecordOverheadBytes = 160;

qint64 queuedCost(const LogRecordBatch &records)
{
    qint64 bytes = 0;
    for (const LogRecord &record : records)
        bytes += record.payload.size() + kRecordOverheadBytes;
    return bytes;
}

void syncToDisk(QFile &file)
{
    // Records already survive a crash of the process once written; fsync on close and rotation
    // also makes finished parts survive a crash of the machine.
#ifdef Q_OS_UNIX
    if (file.isOpen())
        ::fsync(file.handle());
#else
    Q_UNUSED(file);
#endif
}

} // namespace

LogRecorder::LogRecorder(QObject *parent) : QObject(parent) {}

LogRecorder::~LogRecorder()
{
    stop();
}

QString LogRecorder::partPath(const QString &path, int part)
{
    if (part <= 0)
        return path;
    const QFileInfo info(path);
    const QString suffix = info.suffix();
    const QString number = QString::number(part);
    if (suffix.isEmpty() || info.completeBaseName().isEmpty())
        return path + QLatin1Char('.') + number;
    return path.left(path.size() - suffix.size()) + number + QLatin1Char('.') + suffix;
}

bool LogRecorder::start(const Options &options, QString *error)
{
    stop();
    const auto refuse = [error](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    if (options.path.isEmpty())
        return refuse(QStringLiteral("no recording file given"));
    if (options.maxBytes < 1024)
        return refuse(QStringLiteral("the recording size limit must be at least 1024 bytes"));
    if (options.keepFiles < 0 || options.flushIntervalMs <= 0 || options.maxQueuedBytes <= 0)
        return refuse(QStringLiteral("bad recording options"));

    m_options = options;
    m_failed = false;
    m_recordsWritten = 0;
    m_bytesWritten = 0;
    m_recordsLost = 0;
    m_rotations = 0;
    m_part = 0;
    m_queue.clear();
    m_queuedBytes = 0;
    m_stopping = false;
    m_warnedSlowDisk = false;

    m_file = std::make_unique<QFile>(options.path);
    if (!openLive(error)) {
        m_file.reset();
        return false;
    }
    m_recording = true;
    m_writer = QThread::create([this] { writerLoop(); });
    m_writer->setObjectName(QStringLiteral("switchboard-recorder"));
    m_writer->start();
    qCInfo(lcRecorder).noquote() << "recording to" << options.path;
    return true;
}

bool LogRecorder::openLive(QString *error)
{
    const QString path = m_options.path;
    // An existing recording is appended to (a restart must not wipe what was recorded), unless it
    // is already full: then it rotates away first.
    if (QFileInfo(path).size() >= m_options.maxBytes && !rotate()) {
        if (error)
            *error = QStringLiteral("cannot rotate %1").arg(path);
        return false;
    }
    if (!m_file->isOpen()) {
        m_file->setFileName(path);
        if (!m_file->open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered)) {
            if (error)
                *error = QStringLiteral("cannot open %1 for recording: %2").arg(path, m_file->errorString());
            return false;
        }
    }
    m_fileSize = m_file->size();
    const QByteArray header = LogRecordJson::headerLine(QDateTime::currentMSecsSinceEpoch(), m_part);
    if (m_file->write(header) != header.size()) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(path, m_file->errorString());
        m_file->close();
        return false;
    }
    m_fileSize += header.size();
    m_headerSize = m_fileSize; // rotation needs at least one record after this
    return true;
}

void LogRecorder::stop()
{
    if (!m_writer)
        return;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stopping = true;
    }
    m_wakeWriter.notify_all();
    m_spaceFreed.notify_all();
    m_writer->wait();
    delete m_writer;
    m_writer = nullptr;
    if (m_file) {
        syncToDisk(*m_file);
        m_file->close();
        m_file.reset();
    }
    m_recording = false;
    qCInfo(lcRecorder).noquote() << "recording to" << m_options.path << "stopped:" << m_recordsWritten.load()
                                 << "records written," << m_recordsLost.load() << "lost";
}

void LogRecorder::append(const LogRecordBatch &records)
{
    if (!m_recording || records.isEmpty())
        return;
    if (m_failed) {
        m_recordsLost += static_cast<quint64>(records.size());
        return;
    }
    const qint64 cost = queuedCost(records);
    std::unique_lock<std::mutex> lock(m_mutex);
    if (m_queuedBytes >= m_options.maxQueuedBytes) {
        if (!m_warnedSlowDisk) {
            m_warnedSlowDisk = true;
            qCWarning(lcRecorder) << "the disk is slower than the message flow: waiting for the recorder";
        }
        m_wakeWriter.notify_one();
        m_spaceFreed.wait(lock, [this] {
            return m_queuedBytes < m_options.maxQueuedBytes || m_failed || m_stopping;
        });
    }
    m_queue.push_back(records); // shared: no payload is copied
    m_queuedBytes += cost;
    if (m_queuedBytes >= std::min(kEagerWriteBytes, m_options.maxQueuedBytes))
        m_wakeWriter.notify_one();
}

void LogRecorder::writerLoop()
{
    std::unique_lock<std::mutex> lock(m_mutex);
    const auto interval = std::chrono::milliseconds(m_options.flushIntervalMs);
    // Early when a burst has queued a lot, or when append() is waiting for room.
    const qint64 wakeAt = std::min(kEagerWriteBytes, m_options.maxQueuedBytes);
    for (;;) {
        m_wakeWriter.wait_for(lock, interval, [this, wakeAt] { return m_stopping || m_queuedBytes >= wakeAt; });
        if (m_queue.empty()) {
            if (m_stopping)
                break;
            continue;
        }
        std::deque<LogRecordBatch> work;
        work.swap(m_queue);
        const qint64 cost = m_queuedBytes;
        lock.unlock();

        QByteArray chunk;
        chunk.reserve(kChunkBytes + 4096);
        quint64 inChunk = 0; // records whose lines are in chunk
        const auto writeOut = [&] {
            if (writeChunk(chunk))
                m_recordsWritten += inChunk;
            else
                m_recordsLost += inChunk;
            inChunk = 0;
            chunk.clear();
        };
        for (const LogRecordBatch &batch : work) {
            for (const LogRecord &record : batch) {
                if (m_failed) {
                    ++m_recordsLost;
                    continue;
                }
                const qsizetype lineStart = chunk.size();
                LogRecordJson::appendLine(chunk, record);
                const qint64 sizeBefore = m_fileSize + lineStart;
                if (sizeBefore + (chunk.size() - lineStart) > m_options.maxBytes && sizeBefore > m_headerSize) {
                    // This line goes to a fresh part: what came before it finishes the current one.
                    QByteArray line = chunk.mid(lineStart);
                    chunk.truncate(lineStart);
                    writeOut();
                    if (m_failed || !rotate()) {
                        ++m_recordsLost;
                        continue;
                    }
                    chunk = std::move(line);
                }
                ++inChunk;
                if (chunk.size() >= kChunkBytes)
                    writeOut();
            }
        }
        if (!chunk.isEmpty())
            writeOut();

        lock.lock();
        m_queuedBytes -= cost;
        m_spaceFreed.notify_all();
    }
}

bool LogRecorder::writeChunk(const QByteArray &chunk)
{
    if (m_failed)
        return false;
    if (chunk.isEmpty())
        return true;
    // Unbuffered: this is one write() straight to the kernel, so a crash right after keeps it.
    const qint64 written = m_file->write(chunk);
    if (written != chunk.size()) {
        fail(QStringLiteral("cannot write %1: %2").arg(m_file->fileName(), m_file->errorString()));
        return false;
    }
    m_fileSize += written;
    m_bytesWritten += static_cast<quint64>(written);
    return true;
}

bool LogRecorder::rotate()
{
    const QString path = m_options.path;
    if (m_file->isOpen()) {
        syncToDisk(*m_file);
        m_file->close();
    }
    const int keep = m_options.keepFiles;
    QFile::remove(partPath(path, keep + 1)); // left by an earlier run with a larger keepFiles
    if (keep > 0) {
        QFile::remove(partPath(path, keep));
        for (int part = keep - 1; part >= 1; --part) {
            if (QFile::exists(partPath(path, part)) && !QFile::rename(partPath(path, part), partPath(path, part + 1))) {
                fail(QStringLiteral("cannot rename %1").arg(partPath(path, part)));
                return false;
            }
        }
        if (QFile::exists(path) && !QFile::rename(path, partPath(path, 1))) {
            fail(QStringLiteral("cannot rename %1 to %2").arg(path, partPath(path, 1)));
            return false;
        }
    } else {
        QFile::remove(path);
    }
    m_file->setFileName(path);
    if (!m_file->open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Unbuffered)) {
        fail(QStringLiteral("cannot open %1 for recording: %2").arg(path, m_file->errorString()));
        return false;
    }
    ++m_part;
    ++m_rotations;
    m_fileSize = 0;
    if (m_recording) { // not while opening: openLive() writes the header itself
        const QByteArray header = LogRecordJson::headerLine(QDateTime::currentMSecsSinceEpoch(), m_part);
        if (!writeChunk(header))
            return false;
        m_headerSize = m_fileSize;
    }
    qCDebug(lcRecorder).noquote() << "rotated" << path << "to" << partPath(path, 1);
    Q_EMIT rotated(partPath(path, keep > 0 ? 1 : 0));
    return true;
}

void LogRecorder::fail(const QString &error)
{
    if (m_failed.exchange(true))
        return;
    qCWarning(lcRecorder).noquote() << error << "- recording stopped";
    m_spaceFreed.notify_all();
    Q_EMIT failed(error);
}
