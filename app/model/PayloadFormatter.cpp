#include "PayloadFormatter.h"

#include "../websocket/CloseCode.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QLocale>

namespace PayloadFormatter {

namespace {

QString closedByFor(LogRecord::Direction direction)
{
    switch (direction) {
    case LogRecord::Direction::In: return QStringLiteral("client");
    case LogRecord::Direction::Out: return QStringLiteral("server");
    default: return QStringLiteral("network (no close handshake completed)");
    }
}

QString heading(const LogRecord &record)
{
    QStringList parts;
    if (record.sequence)
        parts << QStringLiteral("#%1").arg(record.sequence);
    parts << QDateTime::fromMSecsSinceEpoch(record.timestampMs).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
    parts << LogRecord::directionName(record.direction) << LogRecord::kindName(record.kind);
    if (record.direction == LogRecord::Direction::Broadcast)
        parts << QStringLiteral("to %1 client%2")
                     .arg(record.fanout)
                     .arg(record.fanout == 1 ? QLatin1String() : QLatin1String("s"));
    else if (record.clientId)
        parts << QStringLiteral("client %1").arg(record.clientId);
    if (!record.route.isEmpty())
        parts << record.route;
    if (record.kind == LogRecord::Kind::Text || record.kind == LogRecord::Kind::Binary) {
        QStringList wire;
        if (record.wireSize > 0)
            wire << QStringLiteral("%1 on the wire").arg(record.wireSize);
        if (record.frames > 1)
            wire << QStringLiteral("in %1 frames").arg(record.frames);
        parts << (wire.isEmpty() ? QStringLiteral("%1 bytes").arg(record.size)
                                 : QStringLiteral("%1 bytes (%2)").arg(record.size).arg(wire.join(QStringLiteral(", "))));
    }
    if (record.direction == LogRecord::Direction::Broadcast && !record.detail.isEmpty())
        parts << record.detail;
    return parts.join(QStringLiteral(" · "));
}

QString truncationNote(const LogRecord &record)
{
    if (record.size <= record.payload.size())
        return {};
    QLocale c = QLocale::c();
    c.setNumberOptions(QLocale::DefaultNumberOptions); // "1,048,576": group the digits
    return QStringLiteral("Showing the first %1 of %2 bytes: the log keeps a bounded prefix of each message.")
        .arg(c.toString(record.payload.size()), c.toString(record.size));
}

bool isHexDigit(QChar c)
{
    return (c >= QLatin1Char('0') && c <= QLatin1Char('9')) || (c >= QLatin1Char('a') && c <= QLatin1Char('f'))
           || (c >= QLatin1Char('A') && c <= QLatin1Char('F'));
}

bool isHexSeparator(QChar c)
{
    return c.isSpace() || c == QLatin1Char(':') || c == QLatin1Char('-') || c == QLatin1Char(',');
}

} // namespace

QString prettyJson(const QByteArray &utf8)
{
    // Only objects and arrays: a bare "42" or "true" gains nothing from pretty-printing.
    const QByteArray trimmed = utf8.trimmed();
    if (!trimmed.startsWith('{') && !trimmed.startsWith('['))
        return {};
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(trimmed, &error);
    if (error.error != QJsonParseError::NoError || document.isNull())
        return {};
    QString text = QString::fromUtf8(document.toJson(QJsonDocument::Indented));
    if (text.endsWith(QLatin1Char('\n')))
        text.chop(1);
    return text;
}

QString hexDump(const QByteArray &data)
{
    static const char digits[] = "0123456789abcdef";
    constexpr int kBytesPerLine = 16;
    QByteArray out;
    out.reserve((data.size() / kBytesPerLine + 1) * 80);
    for (int offset = 0; offset < data.size(); offset += kBytesPerLine) {
        out += QByteArray::number(offset, 16).rightJustified(8, '0');
        out += "  ";
        for (int i = 0; i < kBytesPerLine; ++i) {
            if (offset + i < data.size()) {
                const auto byte = static_cast<unsigned char>(data.at(offset + i));
                out += digits[byte >> 4];
                out += digits[byte & 0x0f];
                out += ' ';
            } else {
                out += "   ";
            }
            if (i == 7)
                out += ' ';
        }
        out += " |";
        for (int i = offset; i < data.size() && i < offset + kBytesPerLine; ++i) {
            const char c = data.at(i);
            out += (c >= 0x20 && c < 0x7f) ? c : '.';
        }
        out += "|\n";
    }
    if (out.endsWith('\n'))
        out.chop(1);
    return QString::fromLatin1(out);
}

QString describeCloseCode(int code)
{
    const QString name = CloseCode::name(code);
    if (!name.isEmpty())
        return name;
    if (code >= 4000 && code <= 4999)
        return QStringLiteral("application-defined");
    if (code >= 3000 && code <= 3999)
        return QStringLiteral("registered for libraries and frameworks");
    if (code == 0)
        return QStringLiteral("no code");
    return QStringLiteral("unassigned");
}

Formatted format(const LogRecord &record)
{
    Formatted result;
    result.heading = heading(record);
    result.note = truncationNote(record);
    switch (record.kind) {
    case LogRecord::Kind::Text: {
        const QString pretty = prettyJson(record.payload);
        if (!pretty.isEmpty()) {
            result.format = Format::Json;
            result.body = pretty;
        } else {
            result.format = Format::Text;
            result.body = QString::fromUtf8(record.payload);
        }
        break;
    }
    case LogRecord::Kind::Binary:
        result.format = Format::Hex;
        result.body = record.payload.isEmpty() ? QStringLiteral("(empty binary message)") : hexDump(record.payload);
        break;
    case LogRecord::Kind::Close:
        result.format = Format::Close;
        result.body = QStringLiteral("Code:      %1 (%2)\nReason:    %3\nClosed by: %4")
                          .arg(record.closeCode)
                          .arg(describeCloseCode(record.closeCode),
                               record.detail.isEmpty() ? QStringLiteral("(none)") : record.detail,
                               closedByFor(record.direction));
        break;
    case LogRecord::Kind::Refused:
        result.format = Format::Info;
        result.body = QStringLiteral("HTTP status: %1\n%2").arg(record.closeCode).arg(record.detail);
        break;
    default:
        // Open, ping, pong, error: the detail, then any payload (ping payloads are bytes).
        result.format = Format::Info;
        result.body = record.detail;
        if (!record.payload.isEmpty()) {
            if (!result.body.isEmpty())
                result.body += QStringLiteral("\n\n");
            result.body += hexDump(record.payload);
        }
        break;
    }
    return result;
}

bool parseHex(const QString &input, QByteArray *out, QString *error)
{
    QByteArray bytes;
    bytes.reserve(input.size() / 2);
    int pendingNibble = -1;
    for (int i = 0; i < input.size(); ++i) {
        const QChar c = input.at(i);
        if (isHexSeparator(c))
            continue;
        if (pendingNibble < 0 && c == QLatin1Char('0') && i + 1 < input.size()
            && (input.at(i + 1) == QLatin1Char('x') || input.at(i + 1) == QLatin1Char('X'))) {
            ++i; // a "0x" prefix
            continue;
        }
        if (!isHexDigit(c)) {
            if (error)
                *error = QStringLiteral("'%1' at character %2 is not a hex digit").arg(c).arg(i + 1);
            return false;
        }
        const int nibble = c.digitValue() >= 0 ? c.digitValue() : c.toLower().unicode() - 'a' + 10;
        if (pendingNibble < 0) {
            pendingNibble = nibble;
        } else {
            bytes.append(static_cast<char>((pendingNibble << 4) | nibble));
            pendingNibble = -1;
        }
    }
    if (pendingNibble >= 0) {
        if (error)
            *error = QStringLiteral("odd number of hex digits: the last byte has only one");
        return false;
    }
    *out = bytes;
    return true;
}

bool parseBase64(const QString &input, QByteArray *out, QString *error)
{
    QByteArray compact;
    compact.reserve(input.size());
    for (int i = 0; i < input.size(); ++i) {
        const QChar c = input.at(i);
        if (c.isSpace())
            continue;
        if (c.unicode() > 0x7f) {
            if (error)
                *error = QStringLiteral("'%1' at character %2 is not base64").arg(c).arg(i + 1);
            return false;
        }
        compact.append(static_cast<char>(c.unicode()));
    }
    for (auto alphabet : {QByteArray::Base64Encoding, QByteArray::Base64UrlEncoding}) {
        const auto decoded = QByteArray::fromBase64Encoding(compact, alphabet | QByteArray::AbortOnBase64DecodingErrors);
        if (decoded) {
            *out = decoded.decoded;
            return true;
        }
    }
    if (error)
        *error = QStringLiteral("not valid base64 (check the characters and the '=' padding)");
    return false;
}

} // namespace PayloadFormatter
