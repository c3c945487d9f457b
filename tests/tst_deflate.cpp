// permessage-deflate (RFC 7692) without sockets: negotiation of Sec-WebSocket-Extensions, zlib
// compression both ways with and without context takeover, the bound on inflation (a zip bomb),
// and the parser's rules for RSV1 and compressed messages.
#include "TestSupport.h"

#include "websocket/DeflateNegotiation.h"
#include "websocket/OutgoingMessage.h"
#include "websocket/PerMessageDeflate.h"
#include "websocket/WebSocketParser.h"

#include <QRandomGenerator>
#include <QTest>
#include <zlib.h>

using namespace TestSupport;
using Kind = WebSocketParser::Kind;
using InflateResult = PerMessageDeflate::InflateResult;

namespace {

constexpr quint8 kContinuation = 0x0, kText = 0x1, kBinary = 0x2, kPing = 0x9;
constexpr quint8 kFin = 0x80, kRsv1 = 0x40;
constexpr qint64 kLimit = 1024 * 1024;

// Compressible JSON, as a chat or a feed sends it.
QByteArray jsonPayload(qsizetype size)
{
    QByteArray json = "[";
    for (int i = 0; json.size() < size - 80; ++i)
        json += QByteArray(R"({"id":)") + QByteArray::number(i) + R"(,"user":"alice","text":"hello there"},)";
    json += R"({"end":true}])";
    return json.leftJustified(size, ' ', true);
}

QByteArray randomBytes(qsizetype size, quint32 seed)
{
    QByteArray bytes(size, Qt::Uninitialized);
    QRandomGenerator random(seed);
    for (qsizetype i = 0; i < size; ++i)
        bytes[i] = char(random.bounded(256));
    return bytes;
}

DeflateParameters noTakeover()
{
    return DeflateParameters();
}

DeflateParameters takeover(int bits)
{
    DeflateParameters parameters;
    parameters.serverNoContextTakeover = false;
    parameters.clientNoContextTakeover = false;
    parameters.serverMaxWindowBits = bits;
    parameters.clientMaxWindowBits = bits;
    return parameters;
}

// What a client sends: raw deflate with its own stream, tail stripped (zlib directly, so the
// server's code is checked against an independent compressor).
class ClientDeflater
{
public:
    explicit ClientDeflater(int windowBits = 15)
    {
        deflateInit2(&m_z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -windowBits, 8, Z_DEFAULT_STRATEGY);
    }
    ~ClientDeflater() { deflateEnd(&m_z); }
    QByteArray compress(const QByteArray &payload, bool reset)
    {
        if (reset)
            deflateReset(&m_z);
        QByteArray out(int(deflateBound(&m_z, uLong(payload.size()))) + 64, Qt::Uninitialized);
        m_z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(payload.constData()));
        m_z.avail_in = uInt(payload.size());
        m_z.next_out = reinterpret_cast<Bytef *>(out.data());
        m_z.avail_out = uInt(out.size());
        deflate(&m_z, Z_SYNC_FLUSH);
        out.resize(out.size() - int(m_z.avail_out));
        if (out.endsWith(QByteArray("\x00\x00\xff\xff", 4)))
            out.chop(4);
        return out;
    }

private:
    z_stream m_z{};
};

// What a client does with the server's compressed messages: inflate with the tail put back.
QByteArray clientInflate(z_stream &z, const QByteArray &deflated)
{
    const QByteArray input = deflated + QByteArray("\x00\x00\xff\xff", 4);
    QByteArray out(1 << 22, Qt::Uninitialized);
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(input.constData()));
    z.avail_in = uInt(input.size());
    z.next_out = reinterpret_cast<Bytef *>(out.data());
    z.avail_out = uInt(out.size());
    const int result = inflate(&z, Z_SYNC_FLUSH);
    if (result != Z_OK && result != Z_BUF_ERROR)
        return "inflate failed";
    out.resize(out.size() - int(z.avail_out));
    return out;
}

QString kindName(Kind kind)
{
    static const char *const names[] = {"NeedMore", "Text", "Binary", "Ping", "Pong", "Close", "Error"};
    return QLatin1String(names[int(kind)]);
}

// Every event of the bytes, one line each ("Text 4096", "Error 1009"); stops at an error.
QStringList parse(WebSocketParser &parser, const QByteArray &bytes, QList<QByteArray> *payloads = nullptr)
{
    QStringList events;
    parser.feed(bytes.constData(), bytes.size());
    for (;;) {
        const WebSocketParser::Event event = parser.next();
        if (event.kind == Kind::NeedMore)
            break;
        if (event.kind == Kind::Error) {
            events.append(QStringLiteral("Error %1").arg(event.code));
            break;
        }
        events.append(QStringLiteral("%1 %2").arg(kindName(event.kind)).arg(event.payload.size()));
        if (payloads)
            payloads->append(event.payload);
    }
    return events;
}

} // namespace

class TestDeflate : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void negotiation_data();
    void negotiation();
    void roundTrip_data();
    void roundTrip();
    void contextTakeoverCarriesOver();
    void contextTakeoverMemoryIsAsDocumented_data();
    void contextTakeoverMemoryIsAsDocumented();
    void clientMessagesInflate_data();
    void clientMessagesInflate();
    void zipBombStopsAtTheLimit_data();
    void zipBombStopsAtTheLimit();
    void corruptDataIsRefused();
    void sharedStreamsHoldNothingPerConnection();
    void broadcastFrameIsSharedByWindowSize();
    void smallAndIncompressibleMessagesGoPlain_data();
    void smallAndIncompressibleMessagesGoPlain();
    void wireBytesCountTheFramesAsTheyArrived();
    void parserRules_data();
    void parserRules();
};

void TestDeflate::negotiation_data()
{
    QTest::addColumn<QByteArray>("offer");
    QTest::addColumn<bool>("enabled");
    QTest::addColumn<bool>("contextTakeover");
    QTest::addColumn<int>("maxWindowBits");
    QTest::addColumn<QByteArray>("answer"); // empty: declined

    const QByteArray both = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
    const auto row = [](const char *name, const QByteArray &offer, const QByteArray &answer, bool takeover = false,
                        int bits = 15, bool enabled = true) {
        QTest::newRow(name) << offer << enabled << takeover << bits << answer;
    };
    // The default answer: no context takeover either way, whatever the client offered.
    row("bare offer", "permessage-deflate", both);
    row("browser offer", "permessage-deflate; client_max_window_bits", both);
    row("ws offer", "permessage-deflate; client_max_window_bits", both);
    row("python offer", "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
        both + "; server_max_window_bits=12");
    row("client asks for no takeover", "permessage-deflate; client_no_context_takeover", both);
    row("quoted value", "permessage-deflate; server_max_window_bits=\"10\"", both + "; server_max_window_bits=10");
    row("spaces and case", "  Permessage-Deflate ;SERVER_MAX_WINDOW_BITS = 11 ", both + "; server_max_window_bits=11");
    row("two header lines joined", "x-webkit-deflate-frame, permessage-deflate", both);
    // Bad offers are declined and the next one is tried, in the client's order.
    row("unknown parameter", "permessage-deflate; foo", "");
    row("unknown parameter then good", "permessage-deflate; foo=1, permessage-deflate; server_max_window_bits=9",
        both + "; server_max_window_bits=9");
    row("window bits 16", "permessage-deflate; server_max_window_bits=16", "");
    row("window bits 7", "permessage-deflate; client_max_window_bits=7", "");
    row("server bits without value", "permessage-deflate; server_max_window_bits", "");
    row("leading zero", "permessage-deflate; server_max_window_bits=09", "");
    row("not a number", "permessage-deflate; client_max_window_bits=ten", "");
    row("value on a flag", "permessage-deflate; server_no_context_takeover=1", "");
    row("repeated parameter", "permessage-deflate; client_max_window_bits; client_max_window_bits", "");
    row("empty parameter", "permessage-deflate;;", "");
    row("unterminated quote", "permessage-deflate; server_max_window_bits=\"10", "");
    // zlib cannot compress raw deflate with a 256-byte window: 8 is declined, the fallback taken.
    row("server window 8", "permessage-deflate; server_max_window_bits=8", "");
    row("server window 8 then bare", "permessage-deflate; server_max_window_bits=8, permessage-deflate", both);
    row("other extension only", "x-webkit-deflate-frame", "");
    row("nothing offered", "", "");
    row("route says no", "permessage-deflate", "", false, 15, false);
    // Context takeover (opt-in per route): the route's window limit, the client's wishes kept.
    row("takeover, browser offer", "permessage-deflate; client_max_window_bits",
        "permessage-deflate; server_max_window_bits=10; client_max_window_bits=10", true, 10);
    row("takeover, bare offer", "permessage-deflate", "permessage-deflate; server_max_window_bits=10", true, 10);
    row("takeover, full window", "permessage-deflate; client_max_window_bits", "permessage-deflate; client_max_window_bits=15",
        true, 15);
    row("takeover, client wants none from us",
        "permessage-deflate; server_no_context_takeover; client_max_window_bits=12",
        "permessage-deflate; server_no_context_takeover; client_max_window_bits=12", true, 15);
    row("takeover, smaller client offer", "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9",
        "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9", true, 12);
}

void TestDeflate::negotiation()
{
    QFETCH(QByteArray, offer);
    QFETCH(bool, enabled);
    QFETCH(bool, contextTakeover);
    QFETCH(int, maxWindowBits);
    QFETCH(QByteArray, answer);
    DeflatePolicy policy;
    policy.enabled = enabled;
    policy.contextTakeover = contextTakeover;
    policy.maxWindowBits = maxWindowBits;
    const std::optional<DeflateParameters> agreed = DeflateNegotiation::negotiate(offer, policy);
    QCOMPARE(agreed ? agreed->responseHeader() : QByteArray(), answer);
}

void TestDeflate::roundTrip_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<bool>("takeover");
    QTest::addColumn<bool>("shrinks");
    for (const bool takeoverMode : {false, true}) {
        const char *mode = takeoverMode ? "takeover" : "no takeover";
        QTest::addRow("%s, 4 KiB JSON", mode) << jsonPayload(4096) << takeoverMode << true;
        QTest::addRow("%s, 1 MiB JSON", mode) << jsonPayload(1024 * 1024) << takeoverMode << true;
        QTest::addRow("%s, 64 KiB random", mode) << randomBytes(65536, 7) << takeoverMode << false;
        QTest::addRow("%s, one byte", mode) << QByteArray("x") << takeoverMode << false;
        QTest::addRow("%s, empty", mode) << QByteArray() << takeoverMode << false;
    }
}

void TestDeflate::roundTrip()
{
    QFETCH(QByteArray, payload);
    QFETCH(bool, takeover);
    QFETCH(bool, shrinks);
    // The server's compressor against its own inflater (both ends of the same negotiation).
    const DeflateParameters parameters = takeover ? ::takeover(15) : noTakeover();
    PerMessageDeflate server(parameters, 0);
    PerMessageDeflate peer(parameters, 0);
    const QByteArray deflated = server.compress(payload);
    QVERIFY(!deflated.isEmpty() || payload.isEmpty());
    if (shrinks)
        QVERIFY2(deflated.size() * 4 < payload.size(), qPrintable(QString::number(deflated.size())));
    QByteArray inflated;
    QCOMPARE(peer.inflate(deflated, kLimit, &inflated), InflateResult::Ok);
    QCOMPARE(inflated.size(), payload.size());
    QVERIFY(inflated == payload);

    // And against plain zlib, as a client inflates it.
    z_stream z{};
    inflateInit2(&z, -15);
    PerMessageDeflate another(parameters, 0);
    QVERIFY(clientInflate(z, another.compress(payload)) == payload);
    inflateEnd(&z);
}

void TestDeflate::contextTakeoverCarriesOver()
{
    // The same message twice through a kept context: the second refers back to the first.
    PerMessageDeflate server(takeover(10), 0);
    // (zlib reaches back at most the window less 262 bytes: 762 with 10 bits.)
    const QByteArray message = jsonPayload(300) + randomBytes(300, 3);
    const QByteArray first = server.compress(message);
    const QByteArray second = server.compress(message);
    QVERIFY2(second.size() * 3 < first.size(), qPrintable(QStringLiteral("%1 then %2").arg(first.size()).arg(second.size())));
    z_stream z{};
    inflateInit2(&z, -10);
    QVERIFY(clientInflate(z, first) == message);
    QVERIFY(clientInflate(z, second) == message); // only with the first one's window
    inflateEnd(&z);
    QVERIFY(server.heldBytes() > 0);
    QVERIFY2(server.heldBytes() < 64 * 1024, qPrintable(QString::number(server.heldBytes())));

    // Without takeover the same two messages are independent and equal.
    PerMessageDeflate fresh(noTakeover(), 0);
    QCOMPARE(fresh.compress(message), fresh.compress(message));
    QCOMPARE(fresh.heldBytes(), 0);
}

void TestDeflate::contextTakeoverMemoryIsAsDocumented_data()
{
    // README: "about 22 KiB per connection at 10 window bits, about 300 KiB at 15" (both directions).
    QTest::addColumn<int>("bits");
    QTest::addColumn<qint64>("atMost");
    QTest::newRow("10 bits") << 10 << qint64(24 * 1024);
    QTest::newRow("15 bits") << 15 << qint64(320 * 1024);
}

void TestDeflate::contextTakeoverMemoryIsAsDocumented()
{
    QFETCH(int, bits);
    QFETCH(qint64, atMost);
    PerMessageDeflate connection(takeover(bits), 0);
    QCOMPARE(connection.heldBytes(), 0); // nothing until the first compressed message
    ClientDeflater client(bits);
    QByteArray inflated;
    QCOMPARE(connection.inflate(client.compress(jsonPayload(4096), false), kLimit, &inflated), InflateResult::Ok);
    QVERIFY(!connection.compress(inflated).isEmpty());
    qInfo("context takeover, %d window bits: %lld bytes of zlib state held", bits, connection.heldBytes());
    QVERIFY2(connection.heldBytes() <= atMost, qPrintable(QString::number(connection.heldBytes())));
    QVERIFY(connection.heldBytes() > atMost / 4);
}

void TestDeflate::clientMessagesInflate_data()
{
    QTest::addColumn<bool>("takeover");
    QTest::newRow("client resets per message") << false;
    QTest::newRow("client keeps its context") << true;
}

void TestDeflate::clientMessagesInflate()
{
    QFETCH(bool, takeover);
    // Three messages from an independent zlib compressor, as a client sends them.
    PerMessageDeflate server(takeover ? ::takeover(15) : noTakeover(), 0);
    ClientDeflater client;
    for (int i = 0; i < 3; ++i) {
        const QByteArray payload = jsonPayload(3000 + i);
        QByteArray inflated;
        QCOMPARE(server.inflate(client.compress(payload, !takeover), kLimit, &inflated), InflateResult::Ok);
        QVERIFY(inflated == payload);
    }
}

void TestDeflate::zipBombStopsAtTheLimit_data()
{
    QTest::addColumn<qint64>("size");
    QTest::addColumn<qint64>("limit");
    QTest::addColumn<int>("result");
    QTest::newRow("exactly the limit") << qint64(kLimit) << kLimit << int(InflateResult::Ok);
    QTest::newRow("one byte over") << qint64(kLimit + 1) << kLimit << int(InflateResult::TooBig);
    QTest::newRow("64 MiB of zeros") << qint64(64) * 1024 * 1024 << kLimit << int(InflateResult::TooBig);
    QTest::newRow("small limit") << qint64(4096) << qint64(125) << int(InflateResult::TooBig);
}

void TestDeflate::zipBombStopsAtTheLimit()
{
    QFETCH(qint64, size);
    QFETCH(qint64, limit);
    QFETCH(int, result);
    ClientDeflater client;
    const QByteArray bomb = client.compress(QByteArray(qsizetype(size), '\0'), true);
    QVERIFY2(bomb.size() * 100 < size, qPrintable(QString::number(bomb.size()))); // it is a bomb
    PerMessageDeflate server(noTakeover(), 0);
    QByteArray inflated;
    QCOMPARE(int(server.inflate(bomb, limit, &inflated)), result);
    if (result == int(InflateResult::Ok))
        QCOMPARE(inflated.size(), size);
    // Bounded while inflating: never more room than the limit plus one byte.
    QVERIFY(inflated.capacity() <= limit + 1);
}

void TestDeflate::corruptDataIsRefused()
{
    PerMessageDeflate server(noTakeover(), 0);
    QByteArray inflated;
    // A block type of 3 does not exist.
    QCOMPARE(server.inflate(QByteArray("\xff\xff\xff\xff", 4), kLimit, &inflated), InflateResult::Corrupt);
    // The shared stream is usable again for the next connection's message.
    ClientDeflater client;
    QCOMPARE(server.inflate(client.compress("hello", true), kLimit, &inflated), InflateResult::Ok);
    QCOMPARE(inflated, QByteArray("hello"));
}

void TestDeflate::sharedStreamsHoldNothingPerConnection()
{
    std::vector<std::unique_ptr<PerMessageDeflate>> connections;
    ClientDeflater client;
    const QByteArray compressed = client.compress(jsonPayload(8192), true);
    for (int i = 0; i < 100; ++i) {
        connections.push_back(std::make_unique<PerMessageDeflate>(noTakeover(), 1024));
        QByteArray inflated;
        QCOMPARE(connections.back()->inflate(compressed, kLimit, &inflated), InflateResult::Ok);
        QVERIFY(!connections.back()->compress(inflated).isEmpty());
        QCOMPARE(connections.back()->heldBytes(), 0);
    }
}

void TestDeflate::broadcastFrameIsSharedByWindowSize()
{
    OutgoingMessage message(false, jsonPayload(4096));
    PerMessageDeflate a(noTakeover(), 1024), b(noTakeover(), 1024);
    DeflateParameters small = noTakeover();
    small.serverMaxWindowBits = 9;
    PerMessageDeflate c(small, 1024);
    PerMessageDeflate own(takeover(15), 1024);
    const QByteArray frameA = message.frameFor(&a);
    const QByteArray frameB = message.frameFor(&b);
    QCOMPARE(frameA.constData(), frameB.constData()); // the very same bytes, compressed once
    QCOMPARE(quint8(frameA.at(0)), quint8(kFin | kRsv1 | kText));
    QVERIFY(frameA.size() < 1024);
    QVERIFY(message.frameFor(&c).constData() != frameA.constData()); // another window, another frame
    const QByteArray plain = message.frameFor(nullptr);
    QCOMPARE(quint8(plain.at(0)), quint8(kFin | kText));
    QCOMPARE(plain.constData(), message.frameFor(nullptr).constData());
    QCOMPARE(quint8(message.frameFor(&own).at(0)), quint8(kFin | kRsv1 | kText));
}

void TestDeflate::smallAndIncompressibleMessagesGoPlain_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<bool>("compressed");
    QTest::newRow("under the threshold") << jsonPayload(1023) << false;
    QTest::newRow("at the threshold") << jsonPayload(1024) << true;
    QTest::newRow("random bytes") << randomBytes(4096, 11) << false;
}

void TestDeflate::smallAndIncompressibleMessagesGoPlain()
{
    QFETCH(QByteArray, payload);
    QFETCH(bool, compressed);
    PerMessageDeflate deflate(noTakeover(), 1024);
    OutgoingMessage message(true, payload);
    QCOMPARE(bool(message.frameFor(&deflate).at(0) & kRsv1), compressed);
}

void TestDeflate::parserRules_data()
{
    QTest::addColumn<bool>("negotiated");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QStringList>("events");

    ClientDeflater client;
    const QByteArray text = jsonPayload(5000);
    const QByteArray deflated = client.compress(text, true);
    const QByteArray bomb = client.compress(QByteArray(8 * 1024 * 1024, 'a'), true);
    const QByteArray notUtf8 = client.compress(QByteArray(2000, 'a') + "\xc0\xaf", true);

    QTest::newRow("RSV1 without the extension") << false << clientFrame(kText, "hi", kFin | kRsv1 | kText)
                                                << QStringList{"Error 1002"};
    QTest::newRow("compressed text") << true << clientFrame(kText, deflated, kFin | kRsv1 | kText)
                                     << QStringList{QStringLiteral("Text %1").arg(text.size())};
    QTest::newRow("compressed binary") << true << clientFrame(kBinary, deflated, kFin | kRsv1 | kBinary)
                                       << QStringList{QStringLiteral("Binary %1").arg(text.size())};
    QTest::newRow("uncompressed text on a deflate connection") << true << clientFrame(kText, "plain") << QStringList{"Text 5"};
    const qsizetype half = deflated.size() / 2;
    QTest::newRow("compressed in two fragments, a ping between")
        << true
        << clientFrame(kText, deflated.left(half), kRsv1 | kText) + clientFrame(kPing, "p")
               + clientFrame(kContinuation, deflated.mid(half), kFin | kContinuation)
        << QStringList{"Ping 1", QStringLiteral("Text %1").arg(text.size())};
    QTest::newRow("RSV1 on a continuation")
        << true << clientFrame(kText, deflated.left(half), kRsv1 | kText)
                       + clientFrame(kContinuation, deflated.mid(half), kFin | kRsv1 | kContinuation)
        << QStringList{"Error 1002"};
    QTest::newRow("RSV1 on a ping") << true << clientFrame(kPing, "hi", kFin | kRsv1 | kPing) << QStringList{"Error 1002"};
    QTest::newRow("RSV2 with the extension") << true << clientFrame(kText, "hi", kFin | 0x20 | kText)
                                             << QStringList{"Error 1002"};
    QTest::newRow("zip bomb") << true << clientFrame(kBinary, bomb, kFin | kRsv1 | kBinary) << QStringList{"Error 1009"};
    QTest::newRow("compressed text not UTF-8") << true << clientFrame(kText, notUtf8, kFin | kRsv1 | kText)
                                               << QStringList{"Error 1007"};
    QTest::newRow("garbage with RSV1") << true << clientFrame(kBinary, "\xff\xff\xff", kFin | kRsv1 | kBinary)
                                       << QStringList{"Error 1007"};
}

void TestDeflate::wireBytesCountTheFramesAsTheyArrived()
{
    ClientDeflater client;
    const QByteArray text = jsonPayload(5000);
    const QByteArray deflated = client.compress(text, true);
    const qsizetype half = deflated.size() / 2;
    const QByteArray first = clientFrame(kText, deflated.left(half), kRsv1 | kText);
    const QByteArray last = clientFrame(kContinuation, deflated.mid(half), kFin | kContinuation);
    PerMessageDeflate deflate(noTakeover(), 1024);
    WebSocketParser parser(kLimit);
    parser.setDeflate(&deflate);
    const QByteArray bytes = first + clientFrame(kPing, "p") + last; // the ping is no part of the message
    parser.feed(bytes.constData(), bytes.size());
    QCOMPARE(parser.next().kind, Kind::Ping);
    const WebSocketParser::Event event = parser.next();
    QCOMPARE(event.payload.size(), text.size());
    QCOMPARE(event.wireBytes, first.size() + last.size());
    QCOMPARE(event.frames, 2);
}

void TestDeflate::parserRules()
{
    QFETCH(bool, negotiated);
    QFETCH(QByteArray, bytes);
    QFETCH(QStringList, events);
    PerMessageDeflate deflate(noTakeover(), 1024);
    WebSocketParser parser(kLimit);
    if (negotiated)
        parser.setDeflate(&deflate);
    QCOMPARE(parse(parser, bytes), events);
}

QTEST_GUILESS_MAIN(TestDeflate)
#include "tst_deflate.moc"
