// The WebSocket protocol layer without sockets: WebSocketParser (what clients send, strictly per
// RFC 6455), WebSocketFrame (what the server sends) and WebSocketHandshake (the 101 answer).
#include "TestSupport.h"

#include "http/HttpRequestHead.h"
#include "websocket/WebSocketFrame.h"
#include "websocket/WebSocketHandshake.h"
#include "websocket/WebSocketParser.h"

#include <QRandomGenerator>
#include <QTest>

using namespace TestSupport;
using Kind = WebSocketParser::Kind;

namespace {

constexpr qint64 kLimit = 1024 * 1024;

// Opcodes, and first bytes with FIN cleared, for the frames the tests build.
constexpr quint8 kContinuation = 0x0, kText = 0x1, kBinary = 0x2, kClose = 0x8, kPing = 0x9, kPong = 0xA;
constexpr quint8 kFin = 0x80;

// Payload bytes that differ from their neighbours, so a mask applied at the wrong offset shows.
QByteArray binaryPayload(qsizetype size)
{
    QByteArray bytes(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i)
        bytes[i] = char((i * 7 + i / 251) & 0xFF);
    return bytes;
}

// Valid UTF-8 of exactly size bytes: mostly ASCII, with two- and three-byte characters where they fit.
QByteArray textPayload(qsizetype size)
{
    QByteArray text;
    text.reserve(size);
    for (qsizetype i = 0; text.size() < size; ++i) {
        const qsizetype left = size - text.size();
        if (i % 5 == 3 && left >= 3)
            text.append("\xe2\x82\xac"); // €
        else if (i % 5 == 1 && left >= 2)
            text.append("\xc3\xa9"); // é
        else
            text.append(char('a' + i % 26));
    }
    return text;
}

QByteArray closePayload(int code, const QByteArray &reason = {})
{
    QByteArray payload;
    payload.append(char((code >> 8) & 0xFF));
    payload.append(char(code & 0xFF));
    return payload + reason;
}

QString kindName(Kind kind)
{
    switch (kind) {
    case Kind::NeedMore: return QStringLiteral("NeedMore");
    case Kind::Text: return QStringLiteral("Text");
    case Kind::Binary: return QStringLiteral("Binary");
    case Kind::Ping: return QStringLiteral("Ping");
    case Kind::Pong: return QStringLiteral("Pong");
    case Kind::Close: return QStringLiteral("Close");
    case Kind::Error: return QStringLiteral("Error");
    }
    return QStringLiteral("?");
}

// An event as one comparable line: kind, code, reason, payload size and a digest of the payload
// (a 64 KiB payload in a failure message helps nobody).
QString describe(const WebSocketParser::Event &event)
{
    QString line = kindName(event.kind);
    if (event.kind == Kind::Close || event.kind == Kind::Error)
        line += QStringLiteral(" %1 \"%2\"").arg(event.code).arg(event.reason);
    if (event.kind != Kind::Error)
        line += QStringLiteral(" %1 bytes %2").arg(event.payload.size()).arg(qChecksum(event.payload));
    return line;
}

// Feeds the chunks one after the other, taking every event after each (as WebSocketConnection
// does), and returns the events. Stops at an Error. *maxBuffered: the most the parser held between
// two feeds.
QStringList parseChunks(WebSocketParser &parser, const QList<QByteArray> &chunks, qsizetype *maxBuffered = nullptr)
{
    QStringList events;
    for (const QByteArray &chunk : chunks) {
        parser.feed(chunk.constData(), chunk.size());
        for (;;) {
            const WebSocketParser::Event event = parser.next();
            if (event.kind == Kind::NeedMore)
                break;
            events.append(describe(event));
            if (event.kind == Kind::Error)
                return events;
        }
        if (maxBuffered)
            *maxBuffered = std::max(*maxBuffered, parser.bufferedBytes());
    }
    return events;
}

QStringList parseAll(const QByteArray &bytes, qint64 limit = kLimit)
{
    WebSocketParser parser(limit);
    return parseChunks(parser, {bytes});
}

QList<QByteArray> byteByByte(const QByteArray &bytes)
{
    QList<QByteArray> chunks;
    for (char c : bytes)
        chunks.append(QByteArray(1, c));
    return chunks;
}

// Random cuts with a fixed seed: the same chunks on every run.
QList<QByteArray> randomChunks(const QByteArray &bytes, quint32 seed, int maxChunk)
{
    QRandomGenerator random(seed);
    QList<QByteArray> chunks;
    for (qsizetype at = 0; at < bytes.size();) {
        const qsizetype size = std::min<qsizetype>(1 + random.bounded(maxChunk), bytes.size() - at);
        chunks.append(bytes.mid(at, size));
        at += size;
    }
    return chunks;
}

WebSocketParser::Event makeEvent(Kind kind, const QByteArray &payload = {}, int code = 0, const QString &reason = {})
{
    WebSocketParser::Event event;
    event.kind = kind;
    event.payload = payload;
    event.code = code;
    event.reason = reason;
    return event;
}

// Frames of every kind and length form in one stream, and the events they must give.
struct Stream
{
    QByteArray bytes;
    QStringList events;

    void add(const QByteArray &frame, const WebSocketParser::Event &expected)
    {
        bytes += frame;
        events.append(describe(expected));
    }
    void addFrameOnly(const QByteArray &frame) { bytes += frame; }
};

Stream mixedStream(bool withLargeFrames)
{
    Stream stream;
    stream.add(clientFrame(kText, {}), makeEvent(Kind::Text));
    stream.add(clientFrame(kText, textPayload(125)), makeEvent(Kind::Text, textPayload(125)));
    stream.add(clientFrame(kBinary, binaryPayload(126)), makeEvent(Kind::Binary, binaryPayload(126)));
    stream.add(clientFrame(kPing, "p1"), makeEvent(Kind::Ping, "p1"));
    stream.add(clientFrame(kPong, binaryPayload(125)), makeEvent(Kind::Pong, binaryPayload(125)));
    // A fragmented message with a ping between its fragments.
    stream.addFrameOnly(clientFrame(kText, "Hello", kText));
    stream.add(clientFrame(kPing, {}), makeEvent(Kind::Ping));
    stream.addFrameOnly(clientFrame(kContinuation, ", w\xc3", kContinuation)); // é split between fragments
    stream.add(clientFrame(kContinuation, "\xa9rld", kFin | kContinuation),
               makeEvent(Kind::Text, "Hello, w\xc3\xa9rld"));
    stream.add(clientFrame(kBinary, binaryPayload(3)), makeEvent(Kind::Binary, binaryPayload(3)));
    if (withLargeFrames) {
        stream.add(clientFrame(kBinary, binaryPayload(65535)), makeEvent(Kind::Binary, binaryPayload(65535)));
        stream.add(clientFrame(kText, textPayload(65536)), makeEvent(Kind::Text, textPayload(65536)));
        stream.addFrameOnly(clientFrame(kBinary, binaryPayload(70000), kBinary));
        stream.add(clientFrame(kContinuation, binaryPayload(1), kFin | kContinuation),
                   makeEvent(Kind::Binary, binaryPayload(70000) + binaryPayload(1)));
    }
    stream.add(clientFrame(kText, "last"), makeEvent(Kind::Text, "last"));
    return stream;
}

} // namespace

class TestWebSocketParser : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void singleFrameInEachLengthForm_data();
    void singleFrameInEachLengthForm();
    void everySplitGivesTheSameEvents_data();
    void everySplitGivesTheSameEvents();
    void everyTwoWaySplitGivesTheSameEvents();
    void severalFramesInOneFeed();
    void pingBetweenFragmentsComesFirst();
    void messageAtTheLimitPasses_data();
    void messageAtTheLimitPasses();
    void heldBytesAreBounded();
    void violationsEndParsing_data();
    void violationsEndParsing();
    void invalidUtf8FailsOnItsFragment_data();
    void invalidUtf8FailsOnItsFragment();
    void oversizeIsRefusedFromTheHeader_data();
    void oversizeIsRefusedFromTheHeader();
    void closeFrame_data();
    void closeFrame();
    void nothingAfterACloseFrameIsParsed();
    void serverFramesHaveExactBytes_data();
    void serverFramesHaveExactBytes();
    void acceptKeyOfTheRfcExample();
    void chooseSubprotocol_data();
    void chooseSubprotocol();
    void handshakeResponse();
};

void TestWebSocketParser::singleFrameInEachLengthForm_data()
{
    QTest::addColumn<bool>("binary");
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("headerSize");
    for (const bool binary : {false, true}) {
        for (const auto &[size, headerSize] :
             std::initializer_list<std::pair<int, int>>{{0, 6}, {125, 6}, {126, 8}, {65535, 8}, {65536, 14}})
            QTest::addRow("%s %d", binary ? "binary" : "text", size) << binary << size << headerSize;
    }
}

void TestWebSocketParser::singleFrameInEachLengthForm()
{
    QFETCH(bool, binary);
    QFETCH(int, size);
    QFETCH(int, headerSize);
    const QByteArray payload = binary ? binaryPayload(size) : textPayload(size);
    const QByteArray frame = clientFrame(binary ? kBinary : kText, payload);
    QCOMPARE(frame.size(), headerSize + size); // the length form under test

    WebSocketParser parser(kLimit);
    parser.feed(frame.constData(), frame.size());
    const WebSocketParser::Event event = parser.next();
    QCOMPARE(kindName(event.kind), kindName(binary ? Kind::Binary : Kind::Text));
    QCOMPARE(event.payload.size(), payload.size());
    QVERIFY(event.payload == payload);
    QCOMPARE(kindName(parser.next().kind), kindName(Kind::NeedMore));
    // An idle connection holds nothing.
    QCOMPARE(parser.bufferedBytes(), 0);
}

void TestWebSocketParser::everySplitGivesTheSameEvents_data()
{
    QTest::addColumn<int>("seed");    // 0: byte by byte
    QTest::addColumn<int>("maxChunk");
    QTest::newRow("byte by byte") << 0 << 1;
    QTest::newRow("random 1-3, seed 1") << 1 << 3;
    QTest::newRow("random 1-16, seed 2") << 2 << 16;
    QTest::newRow("random 1-200, seed 3") << 3 << 200;
    QTest::newRow("random 1-5000, seed 4") << 4 << 5000;
    QTest::newRow("random 1-70000, seed 5") << 5 << 70000;
    QTest::newRow("random 1-70000, seed 6") << 6 << 70000;
}

void TestWebSocketParser::everySplitGivesTheSameEvents()
{
    QFETCH(int, seed);
    QFETCH(int, maxChunk);
    const Stream stream = mixedStream(true);
    const QList<QByteArray> chunks = seed == 0 ? byteByByte(stream.bytes) : randomChunks(stream.bytes, seed, maxChunk);
    WebSocketParser parser(kLimit);
    qsizetype maxBuffered = 0;
    QCOMPARE(parseChunks(parser, chunks, &maxBuffered), stream.events);
    QCOMPARE(parser.bufferedBytes(), 0);
    // Between feeds it held at most one incomplete frame plus the message so far.
    QVERIFY2(maxBuffered <= 70001 + 14, qPrintable(QString::number(maxBuffered)));
}

void TestWebSocketParser::everyTwoWaySplitGivesTheSameEvents()
{
    const Stream stream = mixedStream(false);
    QCOMPARE(parseAll(stream.bytes), stream.events);
    for (qsizetype cut = 0; cut <= stream.bytes.size(); ++cut) {
        WebSocketParser parser(kLimit);
        const QStringList events = parseChunks(parser, {stream.bytes.left(cut), stream.bytes.mid(cut)});
        QVERIFY2(events == stream.events, qPrintable(QStringLiteral("cut at %1").arg(cut)));
        QCOMPARE(parser.bufferedBytes(), 0);
    }
}

void TestWebSocketParser::severalFramesInOneFeed()
{
    // Each complete frame straight from the caller's bytes, in order, with nothing kept.
    QByteArray bytes;
    QStringList expected;
    for (int i = 0; i < 50; ++i) {
        const QByteArray payload = QByteArray("message ") + QByteArray::number(i);
        bytes += clientFrame(i % 2 ? kBinary : kText, payload);
        expected.append(describe(makeEvent(i % 2 ? Kind::Binary : Kind::Text, payload)));
    }
    WebSocketParser parser(kLimit);
    parser.feed(bytes.constData(), bytes.size());
    QStringList events;
    for (WebSocketParser::Event next = parser.next(); next.kind != Kind::NeedMore; next = parser.next()) {
        events.append(describe(next));
        QCOMPARE(parser.bufferedBytes(), 0);
    }
    QCOMPARE(events, expected);
    QCOMPARE(parser.bufferedBytes(), 0);
}

void TestWebSocketParser::pingBetweenFragmentsComesFirst()
{
    WebSocketParser parser(kLimit);
    const QByteArray first = clientFrame(kText, "frag-1 ", kText);
    parser.feed(first.constData(), first.size());
    QCOMPARE(kindName(parser.next().kind), kindName(Kind::NeedMore));
    QCOMPARE(parser.bufferedBytes(), 7); // the message so far, nothing else

    const QByteArray rest = clientFrame(kPing, "are you there") + clientFrame(kContinuation, "frag-2 ", kContinuation)
                            + clientFrame(kContinuation, "frag-3", kFin | kContinuation);
    parser.feed(rest.constData(), rest.size());
    WebSocketParser::Event ping = parser.next();
    QCOMPARE(kindName(ping.kind), kindName(Kind::Ping));
    QCOMPARE(ping.payload, QByteArray("are you there"));
    WebSocketParser::Event text = parser.next();
    QCOMPARE(kindName(text.kind), kindName(Kind::Text));
    QCOMPARE(text.payload, QByteArray("frag-1 frag-2 frag-3"));
    QCOMPARE(kindName(parser.next().kind), kindName(Kind::NeedMore));
    QCOMPARE(parser.bufferedBytes(), 0);

    // A binary message stays binary through its continuations; the next message may then begin.
    const QByteArray binary = clientFrame(kBinary, QByteArray("\x00\x01", 2), kBinary) + clientFrame(kPong, "x")
                              + clientFrame(kContinuation, "\x02", kFin | kContinuation) + clientFrame(kText, "after");
    parser.feed(binary.constData(), binary.size());
    QCOMPARE(kindName(parser.next().kind), kindName(Kind::Pong));
    text = parser.next();
    QCOMPARE(kindName(text.kind), kindName(Kind::Binary));
    QCOMPARE(text.payload, QByteArray("\x00\x01\x02", 3));
    QCOMPARE(parser.next().payload, QByteArray("after"));
    QCOMPARE(kindName(parser.next().kind), kindName(Kind::NeedMore));
}

void TestWebSocketParser::messageAtTheLimitPasses_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("size");
    QTest::newRow("one frame of 1000") << clientFrame(kBinary, binaryPayload(1000)) << 1000;
    QTest::newRow("fragments 600 + 400") << clientFrame(kBinary, binaryPayload(600), kBinary)
                                                + clientFrame(kContinuation, binaryPayload(400), kFin | kContinuation)
                                         << 1000;
    // Control frames do not count towards the message.
    QTest::newRow("fragments 999 + ping + 1") << clientFrame(kText, textPayload(999), kText)
                                                     + clientFrame(kPing, binaryPayload(125))
                                                     + clientFrame(kContinuation, "z", kFin | kContinuation)
                                              << 1000;
}

void TestWebSocketParser::messageAtTheLimitPasses()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, size);
    for (const bool split : {false, true}) {
        WebSocketParser parser(1000);
        const QStringList events = parseChunks(parser, split ? byteByByte(bytes) : QList<QByteArray>{bytes});
        QVERIFY2(!events.isEmpty() && !events.last().startsWith(QLatin1String("Error")), qPrintable(events.join('\n')));
        QVERIFY(events.last().contains(QStringLiteral(" %1 bytes").arg(size)));
    }
}

void TestWebSocketParser::heldBytesAreBounded()
{
    // At most the message so far plus one incomplete frame: a data frame's header and what it may
    // still add to the message (limit + 14 in all), or a control frame of up to 6 + 125 bytes.
    constexpr qint64 limit = 1000;
    WebSocketParser parser(limit);
    const QByteArray fragment = clientFrame(kBinary, binaryPayload(1000), kBinary); // FIN clear
    const QByteArray almost = fragment.chopped(1);
    QCOMPARE(parseChunks(parser, {almost}), QStringList());
    QCOMPARE(parser.bufferedBytes(), almost.size());
    QCOMPARE(parser.bufferedBytes(), limit + 8 - 1); // a 16-bit length and the mask key: 8 header bytes
    const QByteArray ping = clientFrame(kPing, binaryPayload(125));
    const QByteArray rest = fragment.right(1) + ping.left(130);
    QCOMPARE(parseChunks(parser, {rest}), QStringList());
    QCOMPARE(parser.bufferedBytes(), limit + 130); // the whole message, and a ping one byte short
    QCOMPARE(parseChunks(parser, {ping.right(1), clientFrame(kContinuation, {}, kFin | kContinuation)}),
             QStringList({describe(makeEvent(Kind::Ping, binaryPayload(125))),
                          describe(makeEvent(Kind::Binary, binaryPayload(1000)))}));
    QCOMPARE(parser.bufferedBytes(), 0);
}

void TestWebSocketParser::invalidUtf8FailsOnItsFragment_data()
{
    // Fragments of one text message, the final one never sent: `failsAt` is the fragment whose
    // bytes make the text invalid (-1: still valid so far). Characters split between fragments
    // are judged by the bytes seen so far, not by where the fragment ends.
    QTest::addColumn<QList<QByteArray>>("fragments");
    QTest::addColumn<int>("failsAt");
    QTest::newRow("invalid in the first fragment") << QList<QByteArray>{"ok \xff", "more"} << 0;
    QTest::newRow("invalid in the second") << QList<QByteArray>{"κόσμε", "\xf4\x90\x80\x80" "edited"} << 1;
    QTest::newRow("euro split, valid") << QList<QByteArray>{"price \xe2", "\x82", "\xac"} << -1;
    QTest::newRow("start of an out-of-range character") << QList<QByteArray>{"κόσμε\xf4", "\x90"} << 1;
    QTest::newRow("surrogate start") << QList<QByteArray>{"a\xed", "\xa0"} << 1;
    QTest::newRow("overlong start") << QList<QByteArray>{"\xe0", "\x80"} << 1;
    QTest::newRow("lone continuation byte") << QList<QByteArray>{"a", "\x80"} << 1;
    QTest::newRow("unfinished, then ASCII") << QList<QByteArray>{"\xc3", "a"} << 1;
    QTest::newRow("C0 is never valid") << QList<QByteArray>{"\xc0"} << 0;
}

void TestWebSocketParser::invalidUtf8FailsOnItsFragment()
{
    QFETCH(QList<QByteArray>, fragments);
    QFETCH(int, failsAt);
    WebSocketParser parser(kLimit);
    for (int i = 0; i < fragments.size(); ++i) {
        const QByteArray frame = clientFrame(i == 0 ? kText : kContinuation, fragments.at(i), i == 0 ? kText : kContinuation);
        parser.feed(frame.constData(), frame.size());
        const WebSocketParser::Event event = parser.next();
        if (i == failsAt) {
            QCOMPARE(kindName(event.kind), kindName(Kind::Error));
            QCOMPARE(event.code, 1007);
            return;
        }
        QCOMPARE(kindName(event.kind), kindName(Kind::NeedMore));
    }
    QCOMPARE(failsAt, -1);
    // A valid split character completes the message at its final (empty) fragment.
    const QByteArray last = clientFrame(kContinuation, {}, kFin | kContinuation);
    parser.feed(last.constData(), last.size());
    QCOMPARE(kindName(parser.next().kind), kindName(Kind::Text));
}

void TestWebSocketParser::violationsEndParsing_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("code");
    QTest::addColumn<qint64>("limit");

    QTest::newRow("unmasked text") << clientFrame(kText, "hi", std::nullopt, FrameMask::Unmasked) << 1002 << kLimit;
    QTest::newRow("unmasked empty close") << clientFrame(kClose, {}, std::nullopt, FrameMask::Unmasked) << 1002
                                          << kLimit;
    QTest::newRow("RSV1") << clientFrame(kText, "hi", 0xC1) << 1002 << kLimit;
    QTest::newRow("RSV2") << clientFrame(kText, "hi", 0xA1) << 1002 << kLimit;
    QTest::newRow("RSV3") << clientFrame(kText, "hi", 0x91) << 1002 << kLimit;
    QTest::newRow("RSV1 on a ping") << clientFrame(kPing, "hi", 0xC9) << 1002 << kLimit;
    for (const quint8 opcode : {0x3, 0x7, 0xB, 0xF})
        QTest::addRow("opcode %x", opcode) << clientFrame(opcode, "hi") << 1002 << kLimit;
    QTest::newRow("ping without FIN") << clientFrame(kPing, "hi", kPing) << 1002 << kLimit;
    QTest::newRow("close without FIN") << clientFrame(kClose, closePayload(1000), kClose) << 1002 << kLimit;
    QTest::newRow("ping of 126 bytes") << clientFrame(kPing, binaryPayload(126)) << 1002 << kLimit;
    QTest::newRow("pong of 126 bytes") << clientFrame(kPong, binaryPayload(126)) << 1002 << kLimit;
    QTest::newRow("close of 126 bytes") << clientFrame(kClose, closePayload(1000, textPayload(124))) << 1002 << kLimit;
    QTest::newRow("continuation without a start") << clientFrame(kContinuation, "x") << 1002 << kLimit;
    QTest::newRow("continuation without FIN or a start") << clientFrame(kContinuation, "x", kContinuation) << 1002
                                                         << kLimit;
    QTest::newRow("text while a text message is open")
        << clientFrame(kText, "a", kText) + clientFrame(kText, "b") << 1002 << kLimit;
    QTest::newRow("binary while a text message is open")
        << clientFrame(kText, "a", kText) + clientFrame(kBinary, "b", kBinary) << 1002 << kLimit;
    QTest::newRow("64-bit length with the top bit set")
        << clientFrameHeader(kFin | kBinary, quint64(1) << 63) << 1002 << kLimit;
    QTest::newRow("64-bit length all ones") << clientFrameHeader(kFin | kText, ~quint64(0)) << 1002 << kLimit;
    QTest::newRow("close with a 1-byte payload") << clientFrame(kClose, "\x03") << 1002 << kLimit;
    for (const int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535})
        QTest::addRow("close code %d", code) << clientFrame(kClose, closePayload(code, "why")) << 1002 << kLimit;
    QTest::newRow("close reason not UTF-8") << clientFrame(kClose, closePayload(1000, "\xc3\x28")) << 1007 << kLimit;
    QTest::newRow("text not UTF-8") << clientFrame(kText, "\xc3\x28 not utf-8") << 1007 << kLimit;
    QTest::newRow("text with a surrogate") << clientFrame(kText, "\xed\xa0\x80") << 1007 << kLimit;
    QTest::newRow("text with an overlong slash") << clientFrame(kText, "\xc0\xaf") << 1007 << kLimit;
    QTest::newRow("text past U+10FFFF") << clientFrame(kText, "\xf4\x90\x80\x80") << 1007 << kLimit;
    QTest::newRow("text cut in its last character") << clientFrame(kText, "caf\xc3") << 1007 << kLimit;
    QTest::newRow("text not UTF-8 across fragments")
        << clientFrame(kText, "ok \xc3", kText) + clientFrame(kContinuation, "(", kFin | kContinuation) << 1007
        << kLimit;
    QTest::newRow("text message ending mid-character")
        << clientFrame(kText, "ok", kText) + clientFrame(kContinuation, "\xe2\x82", kFin | kContinuation) << 1007
        << kLimit;
    QTest::newRow("one frame over the limit") << clientFrame(kBinary, binaryPayload(1001)) << 1009 << qint64(1000);
    QTest::newRow("text frame over the limit") << clientFrame(kText, textPayload(1001)) << 1009 << qint64(1000);
    QTest::newRow("fragments over the limit only in sum")
        << clientFrame(kBinary, binaryPayload(600), kBinary)
               + clientFrame(kContinuation, binaryPayload(401), kFin | kContinuation)
        << 1009 << qint64(1000);
    QTest::newRow("three fragments over the limit")
        << clientFrame(kText, textPayload(400), kText) + clientFrame(kContinuation, textPayload(400), kContinuation)
               + clientFrame(kContinuation, textPayload(201), kFin | kContinuation)
        << 1009 << qint64(1000);
}

void TestWebSocketParser::violationsEndParsing()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, code);
    QFETCH(qint64, limit);
    const QByteArray valid = clientFrame(kText, "valid") + clientFrame(kPing, "p") + clientFrame(kClose, {});
    for (const bool split : {false, true}) {
        WebSocketParser parser(limit);
        // Valid frames after the violation, in the same feed and later: none of them is parsed.
        const QByteArray all = bytes + valid;
        const QStringList events = parseChunks(parser, split ? byteByByte(all) : QList<QByteArray>{all});
        QCOMPARE(events.size(), 1);
        QVERIFY2(events.first().startsWith(QStringLiteral("Error %1 ").arg(code)), qPrintable(events.first()));
        QCOMPARE(parser.bufferedBytes(), 0);
        QCOMPARE(kindName(parser.next().kind), kindName(Kind::NeedMore));
        parser.feed(valid.constData(), valid.size());
        QCOMPARE(kindName(parser.next().kind), kindName(Kind::NeedMore));
        QCOMPARE(parser.bufferedBytes(), 0);
    }
}

void TestWebSocketParser::oversizeIsRefusedFromTheHeader_data()
{
    // What is fed: everything before the payload that crosses the limit, and no byte of it.
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<qint64>("limit");
    QTest::newRow("16-bit length") << clientFrameHeader(kFin | kBinary, 1001) << qint64(1000);
    QTest::newRow("64-bit length, 1 GiB") << clientFrameHeader(kFin | kBinary, quint64(1) << 30) << kLimit;
    QTest::newRow("64-bit length, 2^62") << clientFrameHeader(kFin | kText, quint64(1) << 62) << kLimit;
    QTest::newRow("first fragment") << clientFrameHeader(kText, 1001) << qint64(1000);
    QTest::newRow("second fragment") << clientFrame(kBinary, binaryPayload(600), kBinary)
                                            + clientFrameHeader(kFin | kContinuation, 401)
                                     << qint64(1000);
    QTest::newRow("64-bit second fragment") << clientFrame(kBinary, binaryPayload(1000), kBinary)
                                                   + clientFrameHeader(kContinuation, 65536)
                                            << qint64(65536);
}

void TestWebSocketParser::oversizeIsRefusedFromTheHeader()
{
    QFETCH(QByteArray, bytes);
    QFETCH(qint64, limit);
    WebSocketParser parser(limit);
    QStringList events = parseChunks(parser, {bytes});
    QCOMPARE(events.size(), 1);
    QVERIFY2(events.first().startsWith(QLatin1String("Error 1009 ")), qPrintable(events.first()));
    QCOMPARE(parser.bufferedBytes(), 0);

    // Byte by byte, the verdict comes from the length field, before the mask key has arrived.
    WebSocketParser byByte(limit);
    const QList<QByteArray> bytesOneByOne = byteByByte(bytes);
    events = parseChunks(byByte, bytesOneByOne.mid(0, bytesOneByOne.size() - 4));
    QCOMPARE(events.size(), 1);
    QVERIFY2(events.first().startsWith(QLatin1String("Error 1009 ")), qPrintable(events.first()));
}

void TestWebSocketParser::closeFrame_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("reason");
    QTest::newRow("empty") << QByteArray() << 1005 << QString();
    QTest::newRow("1000 without reason") << closePayload(1000) << 1000 << QString();
    QTest::newRow("4000 and a UTF-8 reason") << closePayload(4000, "bye \xc3\xa9\xe2\x82\xac") << 4000
                                             << QString::fromUtf8("bye \xc3\xa9\xe2\x82\xac");
    QTest::newRow("1001") << closePayload(1001, "going") << 1001 << QStringLiteral("going");
    QTest::newRow("1014") << closePayload(1014, "x") << 1014 << QStringLiteral("x");
    QTest::newRow("3000") << closePayload(3000) << 3000 << QString();
    QTest::newRow("4999, 123-byte reason") << closePayload(4999, textPayload(123)) << 4999
                                           << QString::fromUtf8(textPayload(123));
}

void TestWebSocketParser::closeFrame()
{
    QFETCH(QByteArray, payload);
    QFETCH(int, code);
    QFETCH(QString, reason);
    const QByteArray frame = clientFrame(kClose, payload);
    for (const bool split : {false, true}) {
        WebSocketParser parser(kLimit);
        const QList<QByteArray> chunks = split ? byteByByte(frame) : QList<QByteArray>{frame};
        WebSocketParser::Event close;
        for (const QByteArray &chunk : chunks) {
            parser.feed(chunk.constData(), chunk.size());
            close = parser.next();
            if (close.kind != Kind::NeedMore)
                break;
        }
        QCOMPARE(kindName(close.kind), kindName(Kind::Close));
        QCOMPARE(close.code, code);
        QCOMPARE(close.reason, reason);
        QCOMPARE(kindName(parser.next().kind), kindName(Kind::NeedMore));
        QCOMPARE(parser.bufferedBytes(), 0);
    }
}

void TestWebSocketParser::nothingAfterACloseFrameIsParsed()
{
    // Anything after the close frame, valid or not, in the same feed or later, is ignored.
    const QByteArray after = clientFrame(kText, "after") + clientFrame(kText, "x", 0xF1);
    const QByteArray bytes = clientFrame(kText, "before") + clientFrame(kClose, closePayload(4000, "bye")) + after;
    WebSocketParser parser(kLimit);
    QCOMPARE(parseChunks(parser, {bytes, after}),
             QStringList({describe(makeEvent(Kind::Text, "before")),
                          describe(makeEvent(Kind::Close, {}, 4000, "bye"))}));
    QCOMPARE(kindName(parser.next().kind), kindName(Kind::NeedMore));
    QCOMPARE(parser.bufferedBytes(), 0);

    // Also when the close frame ends a feed and what follows comes alone.
    WebSocketParser second(kLimit);
    const QByteArray close = clientFrame(kClose, {});
    QCOMPARE(parseChunks(second, {close, clientFrame(kText, "late")}),
             QStringList({describe(makeEvent(Kind::Close, {}, 1005))}));
    QCOMPARE(second.bufferedBytes(), 0);

    // A close frame in the middle of a fragmented message: the fragments so far are dropped too.
    WebSocketParser third(kLimit);
    QCOMPARE(parseChunks(third, {clientFrame(kBinary, binaryPayload(5000), kBinary)}), QStringList());
    QCOMPARE(third.bufferedBytes(), 5000);
    QCOMPARE(parseChunks(third, {close + clientFrame(kContinuation, "z", kFin | kContinuation)}),
             QStringList({describe(makeEvent(Kind::Close, {}, 1005))}));
    QCOMPARE(third.bufferedBytes(), 0);
}

void TestWebSocketParser::serverFramesHaveExactBytes_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("empty text") << WebSocketFrame::encode(false, {}) << QByteArray("\x81\x00", 2);
    QTest::newRow("text") << WebSocketFrame::encode(false, "hi") << QByteArray("\x81\x02hi");
    QTest::newRow("binary 125") << WebSocketFrame::encode(true, binaryPayload(125))
                                << QByteArray("\x82\x7d") + binaryPayload(125);
    QTest::newRow("binary 126") << WebSocketFrame::encode(true, binaryPayload(126))
                                << QByteArray("\x82\x7e\x00\x7e", 4) + binaryPayload(126);
    QTest::newRow("text 65535") << WebSocketFrame::encode(false, textPayload(65535))
                                << QByteArray("\x81\x7e\xff\xff") + textPayload(65535);
    QTest::newRow("binary 65536") << WebSocketFrame::encode(true, binaryPayload(65536))
                                  << QByteArray("\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10) + binaryPayload(65536);
    QTest::newRow("ping") << WebSocketFrame::ping("p1") << QByteArray("\x89\x02p1");
    QTest::newRow("empty ping") << WebSocketFrame::ping({}) << QByteArray("\x89\x00", 2);
    QTest::newRow("pong") << WebSocketFrame::pong("p1") << QByteArray("\x8a\x02p1");
    QTest::newRow("pong 125") << WebSocketFrame::pong(binaryPayload(125))
                              << QByteArray("\x8a\x7d") + binaryPayload(125);
    QTest::newRow("close 1000") << WebSocketFrame::close(1000, {}) << QByteArray("\x88\x02\x03\xe8");
    QTest::newRow("close 4000 bye") << WebSocketFrame::close(4000, QStringLiteral("bye"))
                                    << QByteArray("\x88\x05\x0f\xa0" "bye");
    QTest::newRow("close 1002 UTF-8") << WebSocketFrame::close(1002, QString::fromUtf8("\xc3\xa9"))
                                      << QByteArray("\x88\x04\x03\xea\xc3\xa9");
    QTest::newRow("close 1005 is empty") << WebSocketFrame::close(1005, QStringLiteral("ignored"))
                                         << QByteArray("\x88\x00", 2);
}

void TestWebSocketParser::serverFramesHaveExactBytes()
{
    QFETCH(QByteArray, frame);
    QFETCH(QByteArray, expected);
    QCOMPARE(frame.size(), expected.size());
    QCOMPARE(frame.left(16).toHex(' '), expected.left(16).toHex(' '));
    QVERIFY(frame == expected);
}

void TestWebSocketParser::acceptKeyOfTheRfcExample()
{
    // RFC 6455 §1.3.
    QCOMPARE(WebSocketHandshake::acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), QByteArray("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
}

void TestWebSocketParser::chooseSubprotocol_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<QStringList>("supported");
    QTest::addColumn<QString>("chosen");
    const QStringList wsRoute{QStringLiteral("chat"), QStringLiteral("soap"), QStringLiteral("wamp")};
    QTest::newRow("x, chat") << QByteArray("Sec-WebSocket-Protocol: x, chat\r\n") << wsRoute << QStringLiteral("chat");
    QTest::newRow("the client's order wins") << QByteArray("Sec-WebSocket-Protocol: wamp, soap, chat\r\n") << wsRoute
                                             << QStringLiteral("wamp");
    QTest::newRow("spaces around names") << QByteArray("Sec-WebSocket-Protocol:  x ,soap , chat\r\n") << wsRoute
                                         << QStringLiteral("soap");
    QTest::newRow("over two header lines")
        << QByteArray("Sec-WebSocket-Protocol: x\r\nSec-WebSocket-Protocol: soap\r\n") << wsRoute
        << QStringLiteral("soap");
    QTest::newRow("case matters") << QByteArray("Sec-WebSocket-Protocol: CHAT\r\n") << wsRoute << QString();
    QTest::newRow("none supported") << QByteArray("Sec-WebSocket-Protocol: x, y\r\n") << wsRoute << QString();
    QTest::newRow("none offered") << QByteArray() << wsRoute << QString();
    QTest::newRow("route without subprotocols") << QByteArray("Sec-WebSocket-Protocol: chat\r\n") << QStringList()
                                                << QString();
}

void TestWebSocketParser::chooseSubprotocol()
{
    QFETCH(QByteArray, headers);
    QFETCH(QStringList, supported);
    QFETCH(QString, chosen);
    const HttpRequestHead head = HttpRequestHead::parse(upgradeRequest("/ws", headers));
    QCOMPARE(int(head.status), int(HttpRequestHead::Status::Complete));
    QCOMPARE(WebSocketHandshake::chooseSubprotocol(head.header("sec-websocket-protocol"), supported), chosen);
}

void TestWebSocketParser::handshakeResponse()
{
    const HttpRequestHead head = HttpRequestHead::parse(upgradeRequest("/ws"));
    const QByteArray withProtocol = WebSocketHandshake::response(head.header("sec-websocket-key"), QStringLiteral("chat"));
    QVERIFY(withProtocol.startsWith("HTTP/1.1 101 Switching Protocols\r\n"));
    QVERIFY(withProtocol.contains("\r\nUpgrade: websocket\r\n"));
    QVERIFY(withProtocol.contains("\r\nConnection: Upgrade\r\n"));
    QVERIFY(withProtocol.contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    QVERIFY(withProtocol.contains("\r\nSec-WebSocket-Protocol: chat\r\n"));
    QVERIFY(withProtocol.endsWith("\r\n\r\n"));
    QCOMPARE(withProtocol.count("\r\n\r\n"), 1);
    const QByteArray without = WebSocketHandshake::response(head.header("sec-websocket-key"), {});
    QVERIFY(!without.contains("Sec-WebSocket-Protocol"));
    QVERIFY(without.endsWith("\r\n\r\n"));
}

QTEST_GUILESS_MAIN(TestWebSocketParser)
#include "tst_websocketparser.moc"
