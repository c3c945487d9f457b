#include "HttpRequestHead.h"

#include <QUrl>
#include <algorithm>

namespace {

bool isTokenChar(char c)
{
    // RFC 9110 tchar
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

bool isToken(const QByteArray &bytes)
{
    if (bytes.isEmpty())
        return false;
    for (char c : bytes) {
        if (!isTokenChar(c))
            return false;
    }
    return true;
}

// Bytes that may never appear in a request line or header field: controls other than tab, and DEL.
bool isForbiddenByte(char c)
{
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t' && c != '\r' && c != '\n') || u == 0x7f;
}

HttpRequestHead malformed(QString why)
{
    HttpRequestHead head;
    head.status = HttpRequestHead::Status::Malformed;
    head.error = std::move(why);
    return head;
}

// Finds the blank line that ends the head; accepts bare LF line ends as RFC 9112 §2.2 allows.
// Returns the index just past it, or -1. Starts at `from`: the bytes before it held no end.
int findHeadEnd(const QByteArray &bytes, int limit, int from = 0)
{
    const int end = std::min<int>(bytes.size(), limit);
    for (int i = from; i < end; ++i) {
        if (bytes.at(i) != '\n')
            continue;
        if (i + 1 < end && bytes.at(i + 1) == '\n')
            return i + 2;
        if (i + 2 < end && bytes.at(i + 1) == '\r' && bytes.at(i + 2) == '\n')
            return i + 3;
    }
    return -1;
}

} // namespace

QByteArray HttpRequestHead::header(const QByteArray &lowerCaseName) const
{
    QByteArray joined;
    for (const auto &field : headers) {
        if (field.first != lowerCaseName)
            continue;
        if (!joined.isEmpty())
            joined += ", ";
        joined += field.second;
    }
    return joined;
}

bool HttpRequestHead::hasHeader(const QByteArray &lowerCaseName) const
{
    for (const auto &field : headers) {
        if (field.first == lowerCaseName)
            return true;
    }
    return false;
}

bool HttpRequestHead::headerHasToken(const QByteArray &lowerCaseName, const QByteArray &token) const
{
    const QList<QByteArray> parts = header(lowerCaseName).split(',');
    for (const QByteArray &part : parts) {
        if (part.trimmed().compare(token, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

bool HttpRequestHead::isWebSocketUpgrade() const
{
    return headerHasToken("upgrade", "websocket") && headerHasToken("connection", "upgrade");
}

HttpRequestHead HttpRequestHead::parse(const QByteArray &bytes, int maxHeadBytes)
{
    Progress fresh;
    return parse(bytes, maxHeadBytes, fresh);
}

HttpRequestHead HttpRequestHead::parse(const QByteArray &bytes, int maxHeadBytes, Progress &progress)
{
    const int scanned = std::min<int>(bytes.size(), maxHeadBytes);
    // Reject binary garbage (a TLS ClientHello on the plain port, a port scanner) at once
    // instead of letting it sit until the head timeout.
    if (!progress.requestLineEnded) {
        const int from = std::min(progress.requestLineChecked, scanned);
        int i = from;
        for (; i < scanned; ++i) {
            const char c = bytes.at(i);
            if (c == '\n') {
                progress.requestLineEnded = true;
                break;
            }
            if (isForbiddenByte(c) || static_cast<unsigned char>(c) >= 0x80)
                return malformed(QStringLiteral("the request line is not HTTP text"));
        }
        progress.bytesExamined += i - from;
        progress.requestLineChecked = i;
    }

    // A blank line's last byte may be the one that arrived: the two before it are looked at again.
    const int searchFrom = std::clamp(progress.endSearched - 2, 0, scanned);
    const int headEnd = findHeadEnd(bytes, maxHeadBytes, searchFrom);
    progress.bytesExamined += (headEnd < 0 ? scanned : headEnd) - searchFrom;
    // Once found, the search stays where it found the end: a look while a body arrives finds it again.
    if (headEnd < 0)
        progress.endSearched = scanned;
    if (headEnd < 0) {
        HttpRequestHead head;
        if (bytes.size() >= maxHeadBytes) {
            head.status = Status::TooLarge;
            head.error = QStringLiteral("the request head is larger than %1 bytes").arg(maxHeadBytes);
        }
        return head;
    }

    QList<QByteArray> lines = bytes.left(headEnd).split('\n');
    for (QByteArray &line : lines) {
        if (line.endsWith('\r'))
            line.chop(1);
        // A CR that does not end a line is invalid (RFC 9112 §2.2): a parser behind this one
        // could see a line break there, and it must never reach a path or a header value.
        if (line.contains('\r'))
            return malformed(QStringLiteral("a CR inside a line of the request head"));
    }
    while (!lines.isEmpty() && lines.constLast().isEmpty())
        lines.removeLast();
    if (lines.isEmpty())
        return malformed(QStringLiteral("the request line is empty"));

    HttpRequestHead head;
    head.headBytes = headEnd;

    const QList<QByteArray> requestLine = lines.first().split(' ');
    if (requestLine.size() != 3)
        return malformed(QStringLiteral("the request line must be 'METHOD /path HTTP/1.1'"));
    head.method = requestLine.at(0);
    head.target = requestLine.at(1);
    head.version = requestLine.at(2);
    if (!isToken(head.method))
        return malformed(QStringLiteral("the method is not a valid token"));
    if (head.version != "HTTP/1.1" && head.version != "HTTP/1.0")
        return malformed(QStringLiteral("only HTTP/1.0 and HTTP/1.1 are served"));
    if (!head.target.startsWith('/'))
        return malformed(QStringLiteral("the request target must be a path starting with '/'"));

    const int queryStart = head.target.indexOf('?');
    const QByteArray rawPath = queryStart < 0 ? head.target : head.target.left(queryStart);
    head.path = QUrl::fromPercentEncoding(rawPath);
    if (queryStart >= 0)
        head.query.setQuery(QString::fromUtf8(head.target.mid(queryStart + 1)));

    if (lines.size() - 1 > kMaxHeaderFields)
        return malformed(QStringLiteral("more than %1 header fields").arg(kMaxHeaderFields));
    for (int i = 1; i < lines.size(); ++i) {
        const QByteArray &line = lines.at(i);
        if (line.startsWith(' ') || line.startsWith('\t'))
            return malformed(QStringLiteral("folded header lines are not accepted"));
        const int colon = line.indexOf(':');
        if (colon <= 0)
            return malformed(QStringLiteral("header line %1 has no 'name: value' form").arg(i));
        const QByteArray name = line.left(colon);
        if (!isToken(name))
            return malformed(QStringLiteral("header line %1 has an invalid name").arg(i));
        const QByteArray value = line.mid(colon + 1).trimmed();
        for (char c : value) {
            if (isForbiddenByte(c))
                return malformed(QStringLiteral("header '%1' holds a control character")
                                     .arg(QString::fromLatin1(name)));
        }
        head.headers.append({name.toLower(), value});
    }
    if (head.version == "HTTP/1.1" && !head.hasHeader("host"))
        return malformed(QStringLiteral("an HTTP/1.1 request needs a Host header"));

    head.status = Status::Complete;
    return head;
}
