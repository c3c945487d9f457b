// Each route's behaviour, seen by real QWebSocket clients on 127.0.0.1.
#include "TestSupport.h"

#include <QDateTime>
#include <QSignalSpy>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketHandshakeOptions>

using namespace TestSupport;

class TestRoutes : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void echoText();
    void echoBinary();
    void echoEveryFrameLengthForm_data();
    void echoEveryFrameLengthForm();
    void operatorTextWithInvalidUtf8ArrivesRepaired();
    void chatRoomsAreIsolated();
    void chatKeepsDeliveringWhenAMemberVanishesMidStream();
    void clockPushesAtItsInterval();
    void clockStopsWhenTheClientGoes();
    void operatorRouteOnlyRecords();
    void subprotocolNegotiatedInClientOrder();
    void sessionMetadata();

private:
    std::unique_ptr<Engine> m_engine;
};

void TestRoutes::init()
{
    m_engine = startEngine();
    QVERIFY(m_engine);
}

void TestRoutes::cleanup()
{
    m_engine.reset();
}

void TestRoutes::echoText()
{
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    QSignalSpy text(client.get(), &QWebSocket::textMessageReceived);
    QSignalSpy binary(client.get(), &QWebSocket::binaryMessageReceived);
    const QString message = QStringLiteral("héllo, wörld ✓");
    client->sendTextMessage(message);
    QVERIFY(text.wait(5000));
    QCOMPARE(text.first().first().toString(), message);
    QCOMPARE(binary.count(), 0);
}

void TestRoutes::echoBinary()
{
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    QSignalSpy text(client.get(), &QWebSocket::textMessageReceived);
    QSignalSpy binary(client.get(), &QWebSocket::binaryMessageReceived);
    QByteArray payload;
    for (int i = 0; i < 70000; ++i)
        payload.append(static_cast<char>(i % 256));
    client->sendBinaryMessage(payload);
    QVERIFY(binary.wait(5000));
    QCOMPARE(binary.first().first().toByteArray(), payload);
    QCOMPARE(text.count(), 0);
}

void TestRoutes::echoEveryFrameLengthForm_data()
{
    // The server frames messages itself (WebSocketFrame): 7-bit, 16-bit and 64-bit lengths and
    // their edges, text and binary.
    QTest::addColumn<bool>("binary");
    QTest::addColumn<int>("size");
    for (const bool binary : {false, true}) {
        for (const int size : {0, 1, 125, 126, 127, 65535, 65536, 1000000}) {
            QTest::addRow("%s %d", binary ? "binary" : "text", size) << binary << size;
        }
    }
}

void TestRoutes::echoEveryFrameLengthForm()
{
    QFETCH(bool, binary);
    QFETCH(int, size);
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    QSignalSpy text(client.get(), &QWebSocket::textMessageReceived);
    QSignalSpy bytes(client.get(), &QWebSocket::binaryMessageReceived);
    QByteArray payload(size, Qt::Uninitialized);
    for (int i = 0; i < size; ++i)
        payload[i] = binary ? char(i * 7) : char('a' + i % 26);
    if (binary)
        client->sendBinaryMessage(payload);
    else
        client->sendTextMessage(QString::fromLatin1(payload));
    QSignalSpy &answer = binary ? bytes : text;
    QVERIFY(answer.wait(10000));
    QCOMPARE(answer.size(), 1);
    if (binary)
        QCOMPARE(answer.first().first().toByteArray(), payload);
    else
        QCOMPARE(answer.first().first().toString(), QString::fromLatin1(payload));
    QCOMPARE(client->state(), QAbstractSocket::ConnectedState);
}

void TestRoutes::operatorTextWithInvalidUtf8ArrivesRepaired()
{
    // Operator text is not a client's (already validated) message: bytes that are not UTF-8 are
    // replaced, never sent in a text frame the client would have to close with 1007.
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/operator")));
    QVERIFY(client);
    QSignalSpy text(client.get(), &QWebSocket::textMessageReceived);
    QSignalSpy disconnected(client.get(), &QWebSocket::disconnected);
    QTRY_COMPARE(m_engine->openClientCount(), 1);
    const CommandResult result = m_engine->broadcast(BroadcastTarget::everyone(), QByteArray("ok \xff\xfe end"), false);
    QVERIFY(result.ok);
    QVERIFY(text.wait(5000));
    QCOMPARE(text.first().first().toString(), QStringLiteral("ok \uFFFD\uFFFD end"));
    QCOMPARE(disconnected.count(), 0);
}

void TestRoutes::chatRoomsAreIsolated()
{
    auto alice = connectClient(m_engine->webSocketUrl(QStringLiteral("/chat/lobby")));
    auto bob = connectClient(m_engine->webSocketUrl(QStringLiteral("/chat/lobby")));
    auto carol = connectClient(m_engine->webSocketUrl(QStringLiteral("/chat/other")));
    QVERIFY(alice && bob && carol);
    QSignalSpy aliceGot(alice.get(), &QWebSocket::textMessageReceived);
    QSignalSpy bobGot(bob.get(), &QWebSocket::textMessageReceived);
    QSignalSpy carolGot(carol.get(), &QWebSocket::textMessageReceived);

    alice->sendTextMessage(QStringLiteral("hi lobby"));
    QTRY_COMPARE(bobGot.count(), 1);
    QTRY_COMPARE(aliceGot.count(), 1); // the sender included
    QCOMPARE(bobGot.first().first().toString(), QStringLiteral("hi lobby"));

    carol->sendTextMessage(QStringLiteral("hi other"));
    QTRY_COMPARE(carolGot.count(), 1);
    QCOMPARE(carolGot.first().first().toString(), QStringLiteral("hi other"));
    // Round-trip once more through the lobby so anything misrouted would have arrived by now.
    bob->sendTextMessage(QStringLiteral("sync"));
    QTRY_COMPARE(aliceGot.count(), 2);
    QCOMPARE(aliceGot.count(), 2);
    QCOMPARE(carolGot.count(), 1);
}

void TestRoutes::chatKeepsDeliveringWhenAMemberVanishesMidStream()
{
    // A member that resets its connection while broadcasts queue for it is struck out of the
    // write pass; everyone else still gets every message, in order.
    constexpr int kReceivers = 8;
    constexpr int kMessages = 300;
    std::vector<std::unique_ptr<QWebSocket>> receivers;
    std::vector<std::unique_ptr<QSignalSpy>> got;
    for (int i = 0; i < kReceivers; ++i) {
        receivers.push_back(connectClient(m_engine->webSocketUrl(QStringLiteral("/chat/lobby"))));
        QVERIFY(receivers.back());
        got.push_back(std::make_unique<QSignalSpy>(receivers.back().get(), &QWebSocket::textMessageReceived));
    }
    auto vanishing = rawWebSocket(quint16(m_engine->httpUrl().port()), "/chat/lobby");
    QVERIFY(vanishing);
    QTRY_COMPARE(m_engine->openClientCount(), kReceivers + 1);

    QWebSocket &sender = *receivers.front();
    for (int i = 0; i < kMessages; ++i) {
        if (i == kMessages / 3) {
            // The next message and the vanishing member's reset reach the server together: the
            // server queues the broadcast for the member, then finds it gone in the same turn.
            QTRY_VERIFY(vanishing->bytesAvailable() > 0); // unread data: closing sends a reset
            sender.sendTextMessage(QStringLiteral("message %1").arg(i));
            sender.flush();
            vanishing->abort();
            continue;
        }
        sender.sendTextMessage(QStringLiteral("message %1").arg(i));
    }
    QTRY_COMPARE(m_engine->openClientCount(), kReceivers);
    for (const auto &spy : got) {
        QTRY_COMPARE_WITH_TIMEOUT(spy->count(), kMessages, 10000);
        for (int i = 0; i < kMessages; ++i)
            QCOMPARE(spy->at(i).first().toString(), QStringLiteral("message %1").arg(i));
    }
}

void TestRoutes::clockPushesAtItsInterval()
{
    auto client = connectClient(QUrl(m_engine->webSocketUrl(QStringLiteral("/clock")).toString() + QStringLiteral("?interval=50")));
    QVERIFY(client);
    QSignalSpy ticks(client.get(), &QWebSocket::textMessageReceived);
    QElapsedTimer timer;
    timer.start();
    QTRY_VERIFY_WITH_TIMEOUT(ticks.count() >= 5, 5000);
    // Five ticks at 50 ms cannot arrive much sooner than 200 ms after the first.
    QVERIFY2(timer.elapsed() >= 180, qPrintable(QString::number(timer.elapsed())));
    const QDateTime stamp = QDateTime::fromString(ticks.first().first().toString(), Qt::ISODateWithMs);
    QVERIFY(stamp.isValid());
    QVERIFY(qAbs(stamp.msecsTo(QDateTime::currentDateTimeUtc())) < 5000);
}

void TestRoutes::clockStopsWhenTheClientGoes()
{
    auto client = connectClient(QUrl(m_engine->webSocketUrl(QStringLiteral("/clock")).toString() + QStringLiteral("?interval=10")));
    QVERIFY(client);
    QTRY_COMPARE(m_engine->openClientCount(), 1);
    client->close();
    QTRY_COMPARE(m_engine->clients().size(), 0);
}

void TestRoutes::operatorRouteOnlyRecords()
{
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/operator")));
    QVERIFY(client);
    QSignalSpy replies(client.get(), &QWebSocket::textMessageReceived);
    QSignalSpy records(m_engine.get(), &Engine::recordsAppended);
    client->sendTextMessage(QStringLiteral("anyone there?"));
    LogRecordBatch seen;
    QTRY_VERIFY([&] {
        for (const auto &args : records)
            seen += args.first().value<LogRecordBatch>();
        records.clear();
        return std::any_of(seen.begin(), seen.end(), [](const LogRecord &r) {
            return r.direction == LogRecord::Direction::In && r.payload == "anyone there?";
        });
    }());
    QCOMPARE(replies.count(), 0);
    // The operator answers by hand.
    const quint64 id = m_engine->clients().first().id;
    QVERIFY(m_engine->sendToClient(id, "yes", false).ok);
    QVERIFY(replies.wait(5000));
    QCOMPARE(replies.first().first().toString(), QStringLiteral("yes"));
}

void TestRoutes::subprotocolNegotiatedInClientOrder()
{
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")),
                                {QStringLiteral("soap"), QStringLiteral("wamp")});
    QVERIFY(client);
    QCOMPARE(client->subprotocol(), QStringLiteral("soap"));
    auto second = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")),
                                {QStringLiteral("mqtt"), QStringLiteral("wamp"), QStringLiteral("chat")});
    QVERIFY(second);
    QCOMPARE(second->subprotocol(), QStringLiteral("wamp"));
    // Nothing supported: refused with 400 before any upgrade, so the client never connects.
    QWebSocket refused;
    QSignalSpy errors(&refused, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error));
    QWebSocketHandshakeOptions options;
    options.setSubprotocols({QStringLiteral("mqtt")});
    refused.open(QNetworkRequest(m_engine->webSocketUrl(QStringLiteral("/ws"))), options);
    QVERIFY(errors.wait(5000));
    QVERIFY(refused.state() != QAbstractSocket::ConnectedState);
}

void TestRoutes::sessionMetadata()
{
    auto client = connectClient(QUrl(m_engine->webSocketUrl(QStringLiteral("/chat/lobby")).toString() + QStringLiteral("?x=1")));
    QVERIFY(client);
    client->sendTextMessage(QStringLiteral("12345"));
    QTRY_COMPARE(m_engine->clients().value(0).messagesIn, qint64(1));
    const ClientInfo info = m_engine->clients().first();
    QCOMPARE(info.route, QStringLiteral("/chat/:room"));
    QCOMPARE(info.path, QStringLiteral("/chat/lobby?x=1"));
    QCOMPARE(info.room, QStringLiteral("lobby"));
    QCOMPARE(info.peerAddress, QStringLiteral("127.0.0.1"));
    QCOMPARE(info.peerPort, client->localPort());
    QCOMPARE(info.bytesIn, qint64(5));
    QCOMPARE(info.state, ClientInfo::State::Open);
    QVERIFY(info.connectedAtMs > 0);
}

QTEST_GUILESS_MAIN(TestRoutes)
#include "tst_routes.moc"
