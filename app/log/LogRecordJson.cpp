#include "LogRecordJson.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>
#include <climits>

namespace {

constexpr char kHex[] = "0123456789abcdef";

void appendNumber(QByteArray &out, const char *key, qint64 value)
{
    out.append(key);
    out.append(QByteArray::number(value));
}

void appendString(QByteArray &out, const char *key, QByteArrayView utf8)
{
    out.append(key);
    out.append('"');
    LogRecordJson::appendEscaped(out, utf8);
    out.append('"');
}

bool isUtf8Text(const LogRecord &record)
{
    return record.kind == LogRecord::Kind::Text && QByteArrayView(record.payload).isValidUtf8();
}

// JSON numbers are doubles: integers beyond 2^53 would not survive, and we never write them.
bool integerOf(const QJsonValue &value, qint64 *out)
{
    if (!value.isDouble())
        return false;
    const double d = value.toDouble();
    constexpr double kMaxExact = 9007199254740992.0; // 2^53
    if (d < -kMaxExact || d > kMaxExact || d != static_cast<double>(static_cast<qint64>(d)))
        return false;
    *out = static_cast<qint64>(d);
    return true;
}

} // namespace

void LogRecordJson::appendEscaped(QByteArray &out, QByteArrayView utf8)
{
    // Copy runs of plain bytes at once; only quotes, backslashes and control bytes need escapes.
    const char *data = utf8.data();
    const qsizetype size = utf8.size();
    qsizetype runStart = 0;
    for (qsizetype i = 0; i < size; ++i) {
        const auto c = static_cast<unsigned char>(data[i]);
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        out.append(data + runStart, i - runStart);
        runStart = i + 1;
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        default: {
            const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
            out.append(escaped, sizeof escaped);
        }
        }
    }
    out.append(data + runStart, size - runStart);
}

void LogRecordJson::appendLine(QByteArray &out, const LogRecord &record)
{
    const bool text = isUtf8Text(record);
    appendNumber(out, "{\"sequence\":", static_cast<qint64>(record.sequence));
    appendNumber(out, ",\"timestampMs\":", record.timestampMs);
    appendNumber(out, ",\"clientId\":", static_cast<qint64>(record.clientId));
    appendString(out, ",\"route\":", record.route.toUtf8());
    appendString(out, ",\"direction\":", LogRecord::directionName(record.direction).toLatin1());
    appendString(out, ",\"kind\":", LogRecord::kindName(record.kind).toLatin1());
    appendNumber(out, ",\"size\":", record.size);
    if (record.wireSize > 0)
        appendNumber(out, ",\"wireSize\":", record.wireSize);
    if (record.frames > 1) // one frame is the common case: left out
        appendNumber(out, ",\"frames\":", record.frames);
    appendNumber(out, ",\"fanout\":", record.fanout);
    appendNumber(out, ",\"closeCode\":", record.closeCode);
    appendString(out, ",\"detail\":", record.detail.toUtf8());
    if (record.payload.size() < record.size)
        out.append(",\"truncated\":true");
    out.append(text ? ",\"encoding\":\"utf8\",\"payload\":\"" : ",\"encoding\":\"base64\",\"payload\":\"");
    if (text)
        appendEscaped(out, record.payload);
    else
        out.append(record.payload.toBase64());
    out.append("\"}\n");
}

QByteArray LogRecordJson::toLine(const LogRecord &record)
{
    QByteArray line;
    line.reserve(160 + record.payload.size() * 4 / 3);
    appendLine(line, record);
    return line;
}

QByteArray LogRecordJson::headerLine(qint64 startedMs, int part)
{
    QByteArray line("{\"recording\":\"switchboard\"");
    appendNumber(line, ",\"format\":", kFormatVersion);
    appendString(line, ",\"version\":", SWITCHBOARD_VERSION);
    appendNumber(line, ",\"startedMs\":", startedMs);
    appendNumber(line, ",\"part\":", part);
    line.append("}\n");
    return line;
}

LogRecordJson::Parsed LogRecordJson::fromLine(const QByteArray &line, LogRecord *record, QString *error)
{
    const auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return Parsed::Error;
    };
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(line, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return fail(QStringLiteral("not JSON (%1 at byte %2)").arg(parseError.errorString()).arg(parseError.offset));
    if (!document.isObject())
        return fail(QStringLiteral("not a JSON object"));
    const QJsonObject object = document.object();
    if (object.contains(QLatin1String("recording"))) {
        qint64 format = 0;
        if (!integerOf(object.value(QLatin1String("format")), &format) || format > kFormatVersion)
            return fail(QStringLiteral("recording header with an unsupported format"));
        return Parsed::Header;
    }

    LogRecord parsed;
    qint64 number = 0;
    if (!integerOf(object.value(QLatin1String("sequence")), &number) || number < 0)
        return fail(QStringLiteral("missing or bad \"sequence\""));
    parsed.sequence = static_cast<quint64>(number);
    if (!integerOf(object.value(QLatin1String("timestampMs")), &parsed.timestampMs))
        return fail(QStringLiteral("missing or bad \"timestampMs\""));
    if (!LogRecord::directionFromName(object.value(QLatin1String("direction")).toString(), &parsed.direction))
        return fail(QStringLiteral("missing or unknown \"direction\""));
    if (!LogRecord::kindFromName(object.value(QLatin1String("kind")).toString(), &parsed.kind))
        return fail(QStringLiteral("missing or unknown \"kind\""));

    // The rest is optional, so hand-written lines (and future additions) stay readable.
    const auto optionalInteger = [&object](const char *key, qint64 *out) {
        const QJsonValue value = object.value(QLatin1String(key));
        return value.isUndefined() || integerOf(value, out);
    };
    qint64 clientId = 0, size = -1, wireSize = 0, frames = 0, fanout = 0, closeCode = 0;
    if (!optionalInteger("clientId", &clientId) || clientId < 0)
        return fail(QStringLiteral("bad \"clientId\""));
    if (!optionalInteger("size", &size))
        return fail(QStringLiteral("bad \"size\""));
    if (!optionalInteger("wireSize", &wireSize) || wireSize < 0)
        return fail(QStringLiteral("bad \"wireSize\""));
    if (!optionalInteger("frames", &frames) || frames < 0 || frames > INT_MAX)
        return fail(QStringLiteral("bad \"frames\""));
    if (!optionalInteger("fanout", &fanout) || fanout < 0 || fanout > INT_MAX)
        return fail(QStringLiteral("bad \"fanout\""));
    if (!optionalInteger("closeCode", &closeCode) || closeCode < INT_MIN || closeCode > INT_MAX)
        return fail(QStringLiteral("bad \"closeCode\""));
    parsed.clientId = static_cast<quint64>(clientId);
    parsed.wireSize = wireSize;
    parsed.frames = static_cast<int>(frames);
    parsed.fanout = static_cast<int>(fanout);
    parsed.closeCode = static_cast<int>(closeCode);
    parsed.route = object.value(QLatin1String("route")).toString();
    parsed.detail = object.value(QLatin1String("detail")).toString();

    const QJsonValue payload = object.value(QLatin1String("payload"));
    if (!payload.isUndefined() && !payload.isString())
        return fail(QStringLiteral("bad \"payload\""));
    const QString encoding = object.value(QLatin1String("encoding")).toString(QStringLiteral("utf8"));
    if (encoding == QLatin1String("base64")) {
        const auto decoded = QByteArray::fromBase64Encoding(payload.toString().toLatin1(),
                                                            QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded)
            return fail(QStringLiteral("\"payload\" is not valid base64"));
        parsed.payload = decoded.decoded;
    } else if (encoding == QLatin1String("utf8")) {
        parsed.payload = payload.toString().toUtf8();
    } else {
        return fail(QStringLiteral("unknown \"encoding\" '%1'").arg(encoding));
    }
    parsed.size = size >= 0 ? size : parsed.payload.size();
    if (parsed.size < parsed.payload.size())
        return fail(QStringLiteral("\"size\" is smaller than the payload"));
    *record = std::move(parsed);
    return Parsed::Record;
}
