#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <QUrlQuery>

// The request line and header fields of one HTTP/1.x request, parsed from bytes that were only
// peeked at: the front door decides before it consumes anything, and a body or the first
// WebSocket frames that follow the head stay where they are.
struct HttpRequestHead
{
    enum class Status {
        Incomplete, // no blank line yet and still under the size limit: wait for more bytes
        Complete,   // a well-formed head; headBytes says how many bytes it spans
        Malformed,  // not HTTP/1.x: answer 400 with error
        TooLarge,   // the head passed the size limit before it ended: answer 431
    };

    Status status = Status::Incomplete;
    QString error; // why the head is Malformed or TooLarge
    int headBytes = 0;

    QByteArray method;
    QByteArray target;  // as sent: path plus query
    QString path;       // percent-decoded path
    QUrlQuery query;
    QByteArray version; // "HTTP/1.1" or "HTTP/1.0"
    QList<QPair<QByteArray, QByteArray>> headers; // names lower-cased, values trimmed

    // All values of a header joined by ", " (RFC 9110 §5.3); empty when absent.
    QByteArray header(const QByteArray &lowerCaseName) const;
    bool hasHeader(const QByteArray &lowerCaseName) const;
    // True when a comma-separated header (Connection, Upgrade...) lists the token, case-insensitively.
    bool headerHasToken(const QByteArray &lowerCaseName, const QByteArray &token) const;
    bool isWebSocketUpgrade() const;

    static constexpr int kDefaultMaxHeadBytes = 16 * 1024;
    static constexpr int kMaxHeaderFields = 100;

    // How far the looks at an incomplete head got: the next look at the same connection's bytes
    // (the same start, more of it) resumes there, so a head arriving a byte at a time costs each
    // byte once, not the whole head again.
    struct Progress
    {
        int requestLineChecked = 0; // bytes of the request line found to be HTTP text
        bool requestLineEnded = false;
        int endSearched = 0;        // bytes searched for the blank line
        qint64 bytesExamined = 0;   // every byte looked at, over all looks (tests read it)
    };

    // Parses the start of a connection's bytes. Never reads past maxHeadBytes.
    static HttpRequestHead parse(const QByteArray &bytes, int maxHeadBytes = kDefaultMaxHeadBytes);
    // The same, resuming where `progress` (kept per connection, between looks) says the last look stopped.
    static HttpRequestHead parse(const QByteArray &bytes, int maxHeadBytes, Progress &progress);
};
