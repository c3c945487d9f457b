#include "RecordingReader.h"

#include "LogRecordJson.h"
#include "LogRecorder.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QThread>
#include <vector>

Q_LOGGING_CATEGORY(lcReplay, "switchboard.log")

namespace {

constexpr qint64 kReadBufferBytes = 64 * 1024;
constexpr qint64 kProgressEveryBytes = 4 * 1024 * 1024;
// Rotation keeps at most this many parts worth looking for.
constexpr int kMaxParts = 1000;

} // namespace

QString RecordingLineError::toString() const
{
    return QStringLiteral("%1:%2: %3").arg(file).arg(line).arg(message);
}

QString RecordingReader::Result::summary() const
{
    QString text = QStringLiteral("%1 records").arg(recordsRead);
    if (recordsDropped > 0)
        text += QStringLiteral(" (%1 oldest not loaded)").arg(recordsDropped);
    if (errorCount > 0) {
        text += QStringLiteral(", %1 bad line%2 skipped").arg(errorCount).arg(errorCount == 1 ? "" : "s");
        if (!errors.isEmpty())
            text += QStringLiteral(" (first: %1)").arg(errors.constFirst().toString());
    }
    if (!fileError.isEmpty())
        text += QStringLiteral("; %1").arg(fileError);
    if (canceled)
        text += QStringLiteral("; canceled");
    return text;
}

bool RecordingReader::scan(QIODevice &device, const QString &name, const RecordSink &onRecord,
                           const ErrorSink &onError, qint64 maxLineBytes, QString *deviceError, qint64 *lines,
                           const std::atomic<bool> *cancel, const ProgressSink &onProgress)
{
    // readLine(char *, max) into one reused buffer: QIODevice::readLine(max) would allocate max
    // bytes for every line.
    std::vector<char> buffer(static_cast<std::size_t>(kReadBufferBytes));
    QByteArray line;
    qint64 lineNumber = 0;
    qint64 bytesRead = 0;
    qint64 nextProgress = kProgressEveryBytes;
    for (;;) {
        if (cancel && cancel->load())
            break;
        line.clear();
        qint64 lineBytes = 0;
        bool complete = false;
        for (;;) {
            const qint64 n = device.readLine(buffer.data(), kReadBufferBytes);
            if (n <= 0) {
                if (n < 0 && !device.atEnd()) {
                    if (deviceError)
                        *deviceError = QStringLiteral("cannot read %1: %2").arg(name, device.errorString());
                    if (lines)
                        *lines += lineNumber;
                    return false;
                }
                break; // end of the device
            }
            // Past the limit, keep reading to find the line's end but stop keeping its bytes.
            if (lineBytes + n <= maxLineBytes)
                line.append(buffer.data(), n);
            lineBytes += n;
            if (buffer[static_cast<std::size_t>(n - 1)] == '\n') {
                complete = true;
                break;
            }
        }
        if (lineBytes == 0)
            break;
        ++lineNumber;
        bytesRead += lineBytes;
        if (onProgress && bytesRead >= nextProgress) {
            onProgress(bytesRead);
            nextProgress = bytesRead + kProgressEveryBytes;
        }
        if (lineBytes > maxLineBytes) {
            onError({name, lineNumber, QStringLiteral("line of %1 bytes is longer than the %2-byte limit; skipped")
                                           .arg(lineBytes)
                                           .arg(maxLineBytes)});
            continue;
        }
        if (line.trimmed().isEmpty())
            continue;
        LogRecord record;
        QString error;
        switch (LogRecordJson::fromLine(line, &record, &error)) {
        case LogRecordJson::Parsed::Record:
            onRecord(record);
            break;
        case LogRecordJson::Parsed::Header:
            break;
        case LogRecordJson::Parsed::Error:
            if (!complete) {
                error = QStringLiteral("truncated last line (%1 bytes, no newline): the file was cut off while "
                                       "being written")
                            .arg(lineBytes);
            }
            onError({name, lineNumber, error});
            break;
        }
    }
    if (onProgress)
        onProgress(bytesRead);
    if (lines)
        *lines += lineNumber;
    return true;
}

RecordingReader::Result RecordingReader::read(const QString &path)
{
    return read(QStringList{path}, Options());
}

RecordingReader::Result RecordingReader::read(const QString &path, const Options &options)
{
    return read(QStringList{path}, options);
}

RecordingReader::Result RecordingReader::read(const QStringList &paths, const Options &options,
                                              const std::atomic<bool> *cancel, const ProgressSink &onProgress)
{
    Result result;
    LogStore kept(std::max(1, options.maxRecords), options.payloadCap, options.maxBytes);
    const auto onRecord = [&](const LogRecord &record) {
        ++result.recordsRead;
        kept.append(record);
    };
    const auto onError = [&](const RecordingLineError &error) {
        ++result.errorCount;
        if (result.errors.size() < options.maxErrorsKept)
            result.errors.append(error);
        qCDebug(lcReplay).noquote() << error.toString();
    };
    qint64 bytesBefore = 0;
    for (const QString &path : paths) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            result.fileError = QStringLiteral("cannot open %1: %2").arg(path, file.errorString());
            break;
        }
        const ProgressSink progress = onProgress ? ProgressSink([&](qint64 bytes) { onProgress(bytesBefore + bytes); })
                                                 : ProgressSink();
        QString error;
        if (!scan(file, path, onRecord, onError, options.maxLineBytes, &error, &result.lines, cancel, progress)) {
            result.fileError = error;
            break;
        }
        bytesBefore += file.size();
        if (cancel && cancel->load()) {
            result.canceled = true;
            break;
        }
    }
    if (options.maxRecords <= 0) {
        result.recordsDropped = static_cast<quint64>(result.recordsRead);
        return result;
    }
    result.recordsDropped = kept.evictedTotal();
    result.records = kept.records();
    return result;
}

QStringList RecordingReader::recordingParts(const QString &path)
{
    QStringList parts;
    for (int part = kMaxParts; part >= 1; --part) {
        const QString candidate = LogRecorder::partPath(path, part);
        if (QFileInfo::exists(candidate))
            parts.append(candidate);
    }
    if (QFileInfo::exists(path))
        parts.append(path);
    return parts;
}

RecordingReader::RecordingReader(QObject *parent) : QObject(parent) {}

RecordingReader::~RecordingReader()
{
    cancel();
    if (m_worker) {
        m_worker->wait();
        delete m_worker;
        m_worker = nullptr;
    }
}

void RecordingReader::start(const QStringList &paths)
{
    start(paths, Options());
}

void RecordingReader::start(const QStringList &paths, const Options &options)
{
    if (m_worker) {
        cancel();
        m_worker->disconnect(this);
        m_worker->wait();
        delete m_worker;
        m_worker = nullptr;
    }
    m_cancel = false;
    m_result = Result();
    m_bytesRead = 0;
    m_bytesTotal = 0;
    for (const QString &path : paths)
        m_bytesTotal += QFileInfo(path).size();

    // The worker writes m_result only; this thread reads it only after the worker has finished.
    m_worker = QThread::create([this, paths, options] {
        m_result = read(paths, options, &m_cancel, [this](qint64 bytes) {
            m_bytesRead = bytes;
            QMetaObject::invokeMethod(this, [this, bytes] { Q_EMIT progress(bytes, m_bytesTotal); },
                                      Qt::QueuedConnection);
        });
    });
    m_worker->setObjectName(QStringLiteral("switchboard-replay"));
    connect(m_worker, &QThread::finished, this, &RecordingReader::onWorkerFinished);
    m_worker->start();
}

void RecordingReader::cancel()
{
    m_cancel = true;
}

void RecordingReader::onWorkerFinished()
{
    if (!m_worker)
        return;
    m_worker->wait();
    m_worker->deleteLater();
    m_worker = nullptr;
    qCInfo(lcReplay).noquote() << "replay loaded:" << m_result.summary();
    Q_EMIT finished();
}

RecordingReader::Result RecordingReader::takeResult()
{
    if (m_worker)
        return {};
    Result result = std::move(m_result);
    m_result = Result();
    return result;
}
