#include "LogExporter.h"

#include "LogRecordJson.h"
#include "RecordingReader.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSaveFile>
#include <QThread>
#include <memory>

Q_LOGGING_CATEGORY(lcExport, "switchboard.log")

namespace {

constexpr qsizetype kChunkBytes = 1024 * 1024;

} // namespace

bool LogExporter::formatFromName(const QString &name, Format *format)
{
    const QString lower = name.toLower();
    if (lower == QLatin1String("csv")) {
        *format = Format::Csv;
        return true;
    }
    if (lower == QLatin1String("jsonl") || lower == QLatin1String("json") || lower == QLatin1String("ndjson")) {
        *format = Format::JsonLines;
        return true;
    }
    return false;
}

QString LogExporter::formatName(Format format)
{
    return format == Format::Csv ? QStringLiteral("csv") : QStringLiteral("jsonl");
}

LogExporter::Format LogExporter::formatForPath(const QString &path)
{
    return QFileInfo(path).suffix().compare(QLatin1String("csv"), Qt::CaseInsensitive) == 0 ? Format::Csv
                                                                                             : Format::JsonLines;
}

QByteArray LogExporter::csvHeader()
{
    return QByteArrayLiteral("sequence,timestamp_ms,time,client_id,route,direction,kind,size,fanout,close_code,"
                             "detail,truncated,encoding,payload\r\n");
}

void LogExporter::appendCsvField(QByteArray &out, QByteArrayView utf8)
{
    bool quote = false;
    for (const char c : utf8) {
        if (c == ',' || c == '"' || c == '\r' || c == '\n') {
            quote = true;
            break;
        }
    }
    // Leading or trailing spaces are data too; quoting keeps spreadsheet importers from trimming them.
    if (!utf8.isEmpty() && (utf8.front() == ' ' || utf8.back() == ' '))
        quote = true;
    if (!quote) {
        out.append(utf8.data(), utf8.size());
        return;
    }
    out.append('"');
    qsizetype runStart = 0;
    for (qsizetype i = 0; i < utf8.size(); ++i) {
        if (utf8[i] == '"') {
            out.append(utf8.data() + runStart, i + 1 - runStart);
            out.append('"');
            runStart = i + 1;
        }
    }
    out.append(utf8.data() + runStart, utf8.size() - runStart);
    out.append('"');
}

void LogExporter::appendCsvRow(QByteArray &out, const LogRecord &record)
{
    const bool text = record.kind == LogRecord::Kind::Text && QByteArrayView(record.payload).isValidUtf8();
    out.append(QByteArray::number(record.sequence)).append(',');
    out.append(QByteArray::number(record.timestampMs)).append(',');
    out.append(QDateTime::fromMSecsSinceEpoch(record.timestampMs, Qt::UTC).toString(Qt::ISODateWithMs).toLatin1());
    out.append(',');
    out.append(QByteArray::number(record.clientId)).append(',');
    appendCsvField(out, record.route.toUtf8());
    out.append(',').append(LogRecord::directionName(record.direction).toLatin1());
    out.append(',').append(LogRecord::kindName(record.kind).toLatin1());
    out.append(',').append(QByteArray::number(record.size));
    out.append(',').append(QByteArray::number(record.fanout));
    out.append(',').append(QByteArray::number(record.closeCode)).append(',');
    appendCsvField(out, record.detail.toUtf8());
    out.append(record.payloadTruncated() ? ",true" : ",false");
    out.append(text ? ",utf8," : ",base64,");
    if (text)
        appendCsvField(out, record.payload);
    else
        out.append(record.payload.toBase64()); // never needs quotes
    out.append("\r\n");
}

void LogExporter::appendRecord(QByteArray &out, const LogRecord &record, Format format)
{
    if (format == Format::Csv)
        appendCsvRow(out, record);
    else
        LogRecordJson::appendLine(out, record);
}

bool LogExporter::write(QIODevice &device, const LogRecordBatch &records, Format format, QString *error,
                        const std::atomic<bool> *cancel)
{
    QByteArray chunk;
    chunk.reserve(kChunkBytes + 4096);
    if (format == Format::Csv)
        chunk = csvHeader();
    const auto flush = [&] {
        if (device.write(chunk) != chunk.size()) {
            if (error)
                *error = device.errorString();
            return false;
        }
        chunk.clear();
        return true;
    };
    for (const LogRecord &record : records) {
        if (cancel && cancel->load()) {
            if (error)
                *error = QStringLiteral("canceled");
            return false;
        }
        appendRecord(chunk, record, format);
        if (chunk.size() >= kChunkBytes && !flush())
            return false;
    }
    return flush();
}

bool LogExporter::exportToFile(const QString &path, const LogRecordBatch &records, Format format, QString *error,
                               const std::atomic<bool> *cancel)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    QString writeError;
    if (!write(file, records, format, &writeError, cancel)) {
        file.cancelWriting();
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(path, writeError);
        return false;
    }
    if (!file.commit()) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

bool LogExporter::convert(const QStringList &inputPaths, const QString &outputPath, Format format,
                          qint64 *recordCount, qint64 *badLines, QStringList *lineErrors, QString *error,
                          int maxLineErrors)
{
    const auto failWith = [error](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    std::unique_ptr<QIODevice> output;
    QSaveFile *saveFile = nullptr;
    if (outputPath == QLatin1String("-")) {
        auto out = std::make_unique<QFile>();
        if (!out->open(stdout, QIODevice::WriteOnly))
            return failWith(QStringLiteral("cannot write to standard output"));
        output = std::move(out);
    } else {
        auto file = std::make_unique<QSaveFile>(outputPath);
        if (!file->open(QIODevice::WriteOnly))
            return failWith(QStringLiteral("cannot write %1: %2").arg(outputPath, file->errorString()));
        saveFile = file.get();
        output = std::move(file);
    }

    qint64 records = 0, bad = 0;
    QByteArray chunk = format == Format::Csv ? csvHeader() : QByteArray();
    QString writeError;
    const auto flush = [&] {
        if (!writeError.isEmpty() || chunk.isEmpty())
            return;
        if (output->write(chunk) != chunk.size())
            writeError = QStringLiteral("cannot write %1: %2").arg(outputPath, output->errorString());
        chunk.clear();
    };
    const auto onRecord = [&](const LogRecord &record) {
        ++records;
        appendRecord(chunk, record, format);
        if (chunk.size() >= kChunkBytes)
            flush();
    };
    const auto onError = [&](const RecordingLineError &lineError) {
        ++bad;
        if (lineErrors && lineErrors->size() < maxLineErrors)
            lineErrors->append(lineError.toString());
    };
    QString readError;
    for (const QString &input : inputPaths) {
        QFile file(input);
        if (!file.open(QIODevice::ReadOnly)) {
            readError = QStringLiteral("cannot open %1: %2").arg(input, file.errorString());
            break;
        }
        if (!RecordingReader::scan(file, input, onRecord, onError, RecordingReader::Options().maxLineBytes,
                                   &readError))
            break;
        if (!writeError.isEmpty())
            break;
    }
    flush();
    if (recordCount)
        *recordCount = records;
    if (badLines)
        *badLines = bad;
    if (!readError.isEmpty() || !writeError.isEmpty()) {
        if (saveFile)
            saveFile->cancelWriting();
        return failWith(readError.isEmpty() ? writeError : readError);
    }
    if (saveFile && !saveFile->commit())
        return failWith(QStringLiteral("cannot write %1: %2").arg(outputPath, saveFile->errorString()));
    if (!saveFile)
        output->close();
    return true;
}

LogExporter::LogExporter(QObject *parent) : QObject(parent) {}

LogExporter::~LogExporter()
{
    m_cancel = true;
    if (m_worker) {
        m_worker->disconnect(this);
        m_worker->wait();
        delete m_worker;
    }
}

void LogExporter::start(const QString &path, const LogRecordBatch &records, Format format)
{
    if (m_worker) {
        m_cancel = true;
        m_worker->disconnect(this);
        m_worker->wait();
        delete m_worker;
        m_worker = nullptr;
    }
    m_cancel = false;
    m_ok = false;
    m_error.clear();
    m_count = static_cast<int>(records.size());
    // The worker writes m_ok and m_error only; this thread reads them after it has finished.
    m_worker = QThread::create([this, path, records, format] {
        m_ok = exportToFile(path, records, format, &m_error, &m_cancel);
    });
    m_worker->setObjectName(QStringLiteral("switchboard-export"));
    connect(m_worker, &QThread::finished, this, [this] {
        m_worker->wait();
        m_worker->deleteLater();
        m_worker = nullptr;
        if (m_ok)
            qCInfo(lcExport).noquote() << "exported" << m_count << "records";
        else
            qCWarning(lcExport).noquote() << "export failed:" << m_error;
        Q_EMIT finished(m_ok, m_error, m_ok ? m_count : 0);
    });
    m_worker->start();
}
