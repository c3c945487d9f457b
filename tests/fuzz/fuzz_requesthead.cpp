// libFuzzer target for HttpRequestHead::parse, the first code that reads a stranger's bytes.
// The input is the raw start of a connection (the seed corpus in corpus/requesthead holds real and
// nasty request heads). Besides "no crash, no sanitizer report", every parse must keep the
// contract HttpGate relies on; a broken invariant aborts with the reason, which libFuzzer reports
// as a crash and saves as an artifact.

#include "http/HttpRequestHead.h"

#include <QByteArray>
#include <QString>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

using Status = HttpRequestHead::Status;

[[noreturn]] void fail(const char *what, const QByteArray &input)
{
    std::fprintf(stderr, "fuzz_requesthead: invariant broken: %s (input of %lld bytes)\n", what,
                 static_cast<long long>(input.size()));
    std::abort();
}

#define CHECK(condition, input)                                                                    \
    do {                                                                                           \
        if (!(condition))                                                                          \
            fail(#condition, input);                                                               \
    } while (0)

bool isTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return QByteArray("!#$%&'*+-.^_`|~").contains(c);
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

// Controls other than tab (CR and LF included) and DEL never reach a parsed field.
bool hasControl(const QByteArray &bytes)
{
    for (char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f)
            return true;
    }
    return false;
}

bool isOptionalWhitespace(char c)
{
    return c == ' ' || c == '\t';
}

bool same(const HttpRequestHead &a, const HttpRequestHead &b)
{
    return a.status == b.status && a.error == b.error && a.headBytes == b.headBytes
        && a.method == b.method && a.target == b.target && a.path == b.path
        && a.query == b.query && a.version == b.version && a.headers == b.headers;
}

// What any parse result promises, whatever the input.
void checkResult(const QByteArray &input, int maxHeadBytes, const HttpRequestHead &head)
{
    switch (head.status) {
    case Status::Incomplete:
        // Waiting for more bytes is only allowed while under the limit.
        CHECK(head.error.isEmpty(), input);
        CHECK(input.size() < maxHeadBytes, input);
        CHECK(head.headBytes == 0 && head.headers.isEmpty(), input);
        return;
    case Status::Malformed:
        CHECK(!head.error.isEmpty(), input);
        return;
    case Status::TooLarge:
        CHECK(!head.error.isEmpty(), input);
        CHECK(input.size() >= maxHeadBytes, input);
        return;
    case Status::Complete:
        break;
    default:
        fail("status is not one of the four values", input);
    }

    CHECK(head.error.isEmpty(), input);
    // The head ends at a blank line inside the bytes and inside the limit.
    CHECK(head.headBytes > 0 && head.headBytes <= input.size() && head.headBytes <= maxHeadBytes, input);
    CHECK(input.at(head.headBytes - 1) == '\n', input);
    CHECK(input.left(head.headBytes).endsWith("\n\n") || input.left(head.headBytes).endsWith("\n\r\n"),
          input);
    // The request line.
    CHECK(isToken(head.method), input);
    CHECK(head.version == "HTTP/1.1" || head.version == "HTTP/1.0", input);
    CHECK(head.target.startsWith('/'), input);
    CHECK(!head.target.contains(' ') && !hasControl(head.target), input);
    CHECK(input.startsWith(head.method + ' ' + head.target + ' ' + head.version), input);
    CHECK(head.path.startsWith(QLatin1Char('/')), input);
    // The header fields: at most kMaxHeaderFields, lower-case token names, trimmed values.
    CHECK(head.headers.size() <= HttpRequestHead::kMaxHeaderFields, input);
    for (const auto &field : head.headers) {
        CHECK(isToken(field.first), input);
        CHECK(field.first == field.first.toLower(), input);
        CHECK(!hasControl(field.second), input);
        CHECK(field.second.isEmpty()
                  || (!isOptionalWhitespace(field.second.front())
                      && !isOptionalWhitespace(field.second.back())),
              input);
        CHECK(head.hasHeader(field.first), input);
        CHECK(head.header(field.first).contains(field.second), input);
    }
    CHECK(head.version == "HTTP/1.0" || head.hasHeader("host"), input);
    // The helpers HttpGate calls never crash on whatever was parsed.
    (void)head.isWebSocketUpgrade();
    (void)head.headerHasToken("connection", "upgrade");
    (void)head.header("sec-websocket-protocol").split(',');
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // QByteArray::fromRawData would not own the bytes; a copy keeps the input's lifetime simple.
    const QByteArray input(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));

    const HttpRequestHead head = HttpRequestHead::parse(input);
    checkResult(input, HttpRequestHead::kDefaultMaxHeadBytes, head);
    // Deterministic: the same bytes give the same result.
    CHECK(same(head, HttpRequestHead::parse(input)), input);
    // Looked at in two pieces (the front door resumes where its last look stopped): the same result.
    if (!input.isEmpty()) {
        HttpRequestHead::Progress progress;
        const HttpRequestHead first = HttpRequestHead::parse(input.left(size / 2), HttpRequestHead::kDefaultMaxHeadBytes, progress);
        if (first.status == Status::Incomplete)
            CHECK(same(head, HttpRequestHead::parse(input, HttpRequestHead::kDefaultMaxHeadBytes, progress)), input);
    }

    if (head.status == Status::Complete || head.status == Status::Malformed) {
        // The gate peeks at a growing buffer: bytes after the head (a body, the next request,
        // WebSocket frames) never change the verdict on the head, and a 400 is never premature.
        const int decidedAt = head.status == Status::Complete ? head.headBytes : int(input.size());
        CHECK(same(head, HttpRequestHead::parse(input + "\r\nX: y\r\n\r\n\x81\x85")), input);
        if (head.status == Status::Complete) {
            CHECK(same(head, HttpRequestHead::parse(input.left(decidedAt))), input);
            // Every shorter prefix of a good head is still waiting for bytes, never refused.
            for (const int cut : {decidedAt - 1, decidedAt / 2, 1}) {
                if (cut <= 0 || cut >= decidedAt)
                    continue;
                const HttpRequestHead prefix = HttpRequestHead::parse(input.left(cut));
                CHECK(prefix.status == Status::Incomplete, input);
            }
        }
    }

    // A smaller limit (the config allows 1 KiB and up) is honoured too.
    if (input.size() > 1) {
        const int smallLimit = std::min(int(input.size() / 2), HttpRequestHead::kDefaultMaxHeadBytes);
        const HttpRequestHead limited = HttpRequestHead::parse(input, smallLimit);
        checkResult(input, smallLimit, limited);
        if (limited.status == Status::Complete)
            CHECK(same(limited, head), input);
    }
    return 0;
}
