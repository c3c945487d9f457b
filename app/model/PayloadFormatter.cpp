#include "PayloadFormatter.h"

#include "../websocket/CloseCode.h"

#include <QDateTime>
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
        // A broadcast's: every recipient's frames together (each may have agreed to other compression).
        if (record.wireSize > 0)
            wire << (record.direction == LogRecord::Direction::Broadcast
                         ? QStringLiteral("%1 on the wire in all").arg(record.wireSize)
                         : QStringLiteral("%1 on the wire").arg(record.wireSize));
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

namespace {

// Re-indents JSON token by token: key order, string escapes and every number's literal text stay
// exactly as sent (a parse into QJsonDocument would sort keys and round 12345678901234567890).
// Also the validator: any grammar error makes it give up.
class JsonIndenter
{
public:
    explicit JsonIndenter(const QByteArray &in) : m_in(in) { m_out.reserve(in.size() + in.size() / 2); }

    bool run()
    {
        skipSpace();
        if (!value(0))
            return false;
        skipSpace();
        return m_pos == m_in.size();
    }
    QByteArray take() { return std::move(m_out); }

private:
    static constexpr int kMaxDepth = 256; // bounded recursion for hostile input
    static constexpr int kIndent = 4;

    char peek() const { return m_pos < m_in.size() ? m_in.at(m_pos) : '\0'; }
    void skipSpace()
    {
        while (m_pos < m_in.size()) {
            const char c = m_in.at(m_pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
                break;
            ++m_pos;
        }
    }
    void newline(int depth)
    {
        m_out += '\n';
        m_out.append(depth * kIndent, ' ');
    }

    bool value(int depth)
    {
        if (depth > kMaxDepth)
            return false;
        switch (peek()) {
        case '{': return container(depth, '}', true);
        case '[': return container(depth, ']', false);
        case '"': return string();
        case 't': return literal("true");
        case 'f': return literal("false");
        case 'n': return literal("null");
        default: return number();
        }
    }

    bool container(int depth, char close, bool object)
    {
        m_out += m_in.at(m_pos++);
        skipSpace();
        if (peek() == close) {
            m_out += m_in.at(m_pos++);
            return true;
        }
        for (;;) {
            newline(depth + 1);
            if (object) {
                if (peek() != '"' || !string())
                    return false;
                skipSpace();
                if (peek() != ':')
                    return false;
                ++m_pos;
                m_out += ": ";
                skipSpace();
            }
            if (!value(depth + 1))
                return false;
            skipSpace();
            const char c = peek();
            ++m_pos;
            if (c == ',') {
                m_out += ',';
                skipSpace();
                continue;
            }
            if (c != close)
                return false;
            newline(depth);
            m_out += close;
            return true;
        }
    }

    bool string()
    {
        const qsizetype start = m_pos++;
        while (m_pos < m_in.size()) {
            const auto c = static_cast<unsigned char>(m_in.at(m_pos));
            if (c == '"') {
                ++m_pos;
                m_out.append(m_in.constData() + start, m_pos - start);
                return true;
            }
            if (c < 0x20)
                return false;
            m_pos += c == '\\' ? 2 : 1;
        }
        return false;
    }

    bool literal(const char *word)
    {
        const qsizetype length = qsizetype(qstrlen(word));
        if (m_in.mid(m_pos, length) != word)
            return false;
        m_out.append(word, length);
        m_pos += length;
        return true;
    }

    bool digits()
    {
        const qsizetype start = m_pos;
        while (m_pos < m_in.size() && m_in.at(m_pos) >= '0' && m_in.at(m_pos) <= '9')
            ++m_pos;
        return m_pos > start;
    }

    bool number()
    {
        const qsizetype start = m_pos;
        if (peek() == '-')
            ++m_pos;
        if (peek() == '0')
            ++m_pos;
        else if (!digits())
            return false;
        if (peek() == '.') {
            ++m_pos;
            if (!digits())
                return false;
        }
        if (peek() == 'e' || peek() == 'E') {
            ++m_pos;
            if (peek() == '+' || peek() == '-')
                ++m_pos;
            if (!digits())
                return false;
        }
        m_out.append(m_in.constData() + start, m_pos - start);
        return true;
    }

    const QByteArray m_in; // a shared copy: callers may pass a temporary
    QByteArray m_out;
    qsizetype m_pos = 0;
};

} // namespace

QString prettyJson(const QByteArray &utf8)
{
    // Only objects and arrays: a bare "42" or "true" gains nothing from pretty-printing.
    const QByteArray trimmed = utf8.trimmed();
    if (!trimmed.startsWith('{') && !trimmed.startsWith('['))
        return {};
    JsonIndenter indenter(trimmed);
    if (!indenter.run())
        return {};
    return QString::fromUtf8(indenter.take());
}

bool isJson(const QByteArray &utf8)
{
    const QByteArray trimmed = utf8.trimmed();
    if (trimmed.isEmpty())
        return false;
    if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) {
        // A scalar: wrap it so the same grammar checks it.
        JsonIndenter indenter('[' + trimmed + ']');
        return indenter.run();
    }
    JsonIndenter indenter(trimmed);
    return indenter.run();
}

int hexBytesPerLine(int columns)
{
    // offset (8) + 2 + 3 per byte + 1 per 8-byte group + " |" + 1 per byte + "|"
    const auto width = [](int n) { return 8 + 2 + 3 * n + (n - 1) / 8 + 2 + n + 1; };
    int n = 64;
    while (n > 4 && width(n) > columns)
        n -= 4;
    return n;
}

QString hexDump(const QByteArray &data, int bytesPerLine)
{
    static const char digits[] = "0123456789abcdef";
    const int kBytesPerLine = qMax(1, bytesPerLine);
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
            if (i % 8 == 7 && i + 1 < kBytesPerLine)
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

Formatted format(const LogRecord &record, int bytesPerLine)
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
        result.body = record.payload.isEmpty() ? QStringLiteral("(empty binary message)")
                                                 : hexDump(record.payload, bytesPerLine);
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
            result.body += hexDump(record.payload, bytesPerLine);
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
