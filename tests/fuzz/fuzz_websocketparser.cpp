// libFuzzer target for WebSocketParser, which reads every byte a WebSocket client sends after the
// handshake. Input: two bytes choosing the message size limit (125 to 16384, as a config may set
// it), one byte seeding how the rest is cut into reads (its top bit: permessage-deflate negotiated,
// the next bit: with context takeover), then the client's bytes (the seeds in
// corpus/websocketparser use an all-zero mask key, so their payloads read as plain text).
// Besides "no crash, no sanitizer report", the contract WebSocketConnection relies on:
//   - an Error (1002, 1007 or 1009) or a Close is the last event: nothing is parsed after it;
//   - a message never exceeds the limit, inflated or not, a control frame never exceeds 125 bytes, text is UTF-8,
//     a close code is 1005 (none sent) or one that may be sent;
//   - between reads the parser holds at most the message so far plus one incomplete frame;
//   - the same bytes give the same events however they are cut into reads.
// A broken invariant aborts with the reason, which libFuzzer reports as a crash and saves.

#include "websocket/CloseCode.h"
#include "websocket/PerMessageDeflate.h"
#include "websocket/WebSocketParser.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <algorithm>
#include <memory>
#include <optional>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

using Kind = WebSocketParser::Kind;

[[noreturn]] void fail(const char *what, qsizetype inputSize)
{
    std::fprintf(stderr, "fuzz_websocketparser: invariant broken: %s (input of %lld bytes)\n", what,
                 static_cast<long long>(inputSize));
    std::abort();
}

#define CHECK(condition, input)                                                                    \
    do {                                                                                           \
        if (!(condition))                                                                          \
            fail(#condition, (input).size());                                                      \
    } while (0)

// An incomplete data frame adds at most its 14 header bytes to what the limit allows; an
// incomplete control frame (2 + 4 + 125 bytes whole) may sit next to a message already at the limit.
constexpr qint64 kMaxControlFrameBytes = 2 + 4 + 125;
qint64 maxHeldBytes(qint64 limit)
{
    return limit + std::max<qint64>(14, kMaxControlFrameBytes);
}

bool same(const WebSocketParser::Event &a, const WebSocketParser::Event &b)
{
    return a.kind == b.kind && a.code == b.code && a.reason == b.reason && a.payload == b.payload;
}

void checkEvent(const QByteArray &input, qint64 limit, const WebSocketParser::Event &event)
{
    switch (event.kind) {
    case Kind::Text:
        CHECK(QByteArrayView(event.payload).isValidUtf8(), input);
        CHECK(event.payload.size() <= limit, input);
        break;
    case Kind::Binary:
        CHECK(event.payload.size() <= limit, input);
        break;
    case Kind::Ping:
    case Kind::Pong:
        CHECK(event.payload.size() <= 125, input);
        break;
    case Kind::Close:
        CHECK(event.payload.isEmpty(), input);
        CHECK((event.code == CloseCode::NoStatusReceived && event.reason.isEmpty())
                  || CloseCode::isSendable(event.code),
              input);
        CHECK(event.reason.toUtf8().size() <= CloseCode::kMaxReasonBytes, input);
        break;
    case Kind::Error:
        CHECK(event.code == CloseCode::ProtocolError || event.code == CloseCode::InvalidPayload
                  || event.code == CloseCode::MessageTooBig,
              input);
        CHECK(!event.reason.isEmpty(), input);
        break;
    case Kind::NeedMore:
        fail("NeedMore reported as an event", input.size());
    }
}

// Feeds the chunks one by one, each from its own allocation that is freed once the parser said
// NeedMore (so ASan sees a read past a chunk or a pointer kept into it), and takes every event.
std::vector<WebSocketParser::Event> parse(const QByteArray &input, qint64 limit, const std::vector<QByteArray> &chunks,
                                          const std::optional<DeflateParameters> &deflateParameters)
{
    WebSocketParser parser(limit);
    std::unique_ptr<PerMessageDeflate> deflate;
    if (deflateParameters) {
        deflate = std::make_unique<PerMessageDeflate>(*deflateParameters, 0);
        parser.setDeflate(deflate.get());
    }
    std::vector<WebSocketParser::Event> events;
    bool ended = false;
    for (const QByteArray &original : chunks) {
        {
            const QByteArray chunk(original.constData(), original.size()); // a fresh allocation
            parser.feed(chunk.constData(), chunk.size());
            for (;;) {
                WebSocketParser::Event event = parser.next();
                if (event.kind == Kind::NeedMore)
                    break;
                CHECK(!ended, input); // nothing after an Error or a Close
                checkEvent(input, limit, event);
                ended = event.kind == Kind::Error || event.kind == Kind::Close;
                events.push_back(std::move(event));
            }
        }
        CHECK(parser.bufferedBytes() >= 0 && parser.bufferedBytes() <= maxHeldBytes(limit), input);
        if (ended) {
            CHECK(parser.bufferedBytes() == 0, input);
            CHECK(parser.next().kind == Kind::NeedMore, input);
        }
    }
    return events;
}

std::vector<QByteArray> cut(const QByteArray &bytes, quint32 seed, int maxChunk)
{
    std::vector<QByteArray> chunks;
    quint32 state = seed * 2654435761u + 1;
    for (qsizetype at = 0; at < bytes.size();) {
        state = state * 1664525u + 1013904223u; // a small LCG: the same cuts for the same input
        const qsizetype size = std::min<qsizetype>(1 + (state >> 8) % quint32(maxChunk), bytes.size() - at);
        chunks.push_back(bytes.mid(at, size));
        at += size;
    }
    return chunks;
}

void checkSameEvents(const QByteArray &input, const std::vector<WebSocketParser::Event> &a,
                     const std::vector<WebSocketParser::Event> &b)
{
    CHECK(a.size() == b.size(), input);
    for (std::size_t i = 0; i < a.size(); ++i)
        CHECK(same(a[i], b[i]), input);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    const qint64 limit = 125 + ((qint64(data[0]) << 8) | data[1]) % (16384 - 125 + 1);
    const quint32 seed = data[2];
    const QByteArray input(reinterpret_cast<const char *>(data) + 3, static_cast<qsizetype>(size - 3));

    std::optional<DeflateParameters> deflate;
    if (seed & 0x80) {
        deflate.emplace();
        const bool takeover = seed & 0x40;
        deflate->serverNoContextTakeover = deflate->clientNoContextTakeover = !takeover;
        deflate->clientMaxWindowBits = 9 + seed % 7;
    }

    const std::vector<WebSocketParser::Event> whole = parse(input, limit, {input}, deflate);
    // However the bytes are cut into reads, the events are the same.
    checkSameEvents(input, whole, parse(input, limit, cut(input, seed, 1 + seed % 64), deflate));
    checkSameEvents(input, whole, parse(input, limit, cut(input, seed + 1, 4096), deflate));
    if (input.size() <= 4096)
        checkSameEvents(input, whole, parse(input, limit, cut(input, 0, 1), deflate)); // byte by byte
    return 0;
}
