// Operator commands and how sessions end: close codes and reasons exactly as clients see them.
#include "TestSupport.h"

#include "websocket/CloseCode.h"

#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>

using namespace TestSupport;

namespace {
quint64 onlyClientId(const Engine &engine)
{
    const ClientInfoList clients = engine.clients();
    return clients.size() == 1 ? clients.first().id : 0;
}

} // namespace

class TestOperator : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void closeWithCodeAndReason();
    void invalidCodesAreRefusedAndNothingIsSent_data();
    void invalidCodesAreRefusedAndNothingIsSent();
    void longReasonsArriveAsValidUtf8_data();
    void longReasonsArriveAsValidUtf8();
    void clientCloseIsRecordedAsTheClients();
    void abruptDropIsReportedAs1006();
    void sendReachesOnlyThatClient();
    void broadcastToEveryoneRouteAndRoom();
    void pingRecordsTheRoundTrip();
    void shutdownClosesEveryoneWith1001();

private:
    std::unique_ptr<Engine> m_engine;
};

void TestOperator::init()
{
    m_engine = startEngine();
    QVERIFY(m_engine);
}

void TestOperator::cleanup()
{
    m_engine.reset();
}

void TestOperator::closeWithCodeAndReason()
{
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/operator")));
    QVERIFY(client);
    QTRY_VERIFY(onlyClientId(*m_engine) != 0);
    QSignalSpy disconnected(client.get(), &QWebSocket::disconnected);
    RecordCollector records(m_engine.get());
    const CommandResult result = m_engine->closeClients({onlyClientId(*m_engine)}, 4001, QStringLiteral("kicked by operator"));
    QVERIFY(result.ok);
    QCOMPARE(result.affected, 1);
    QVERIFY(disconnected.wait(5000));
    QCOMPARE(int(client->closeCode()), 4001);
    QCOMPARE(client->closeReason(), QStringLiteral("kicked by operator"));
    QTRY_VERIFY([&] {
        const LogRecordBatch all = records.all();
        return std::any_of(all.begin(), all.end(), [](const LogRecord &r) {
            return r.kind == LogRecord::Kind::Close && r.closeCode == 4001
                   && r.direction == LogRecord::Direction::Out && r.detail == QLatin1String("kicked by operator");
        });
    }());
}

void TestOperator::invalidCodesAreRefusedAndNothingIsSent_data()
{
    QTest::addColumn<int>("code");
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 2000, 2999, 5000, 65535})
        QTest::addRow("%d", code) << code;
}

void TestOperator::invalidCodesAreRefusedAndNothingIsSent()
{
    QFETCH(int, code);
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    QTRY_VERIFY(onlyClientId(*m_engine) != 0);
    const CommandResult result = m_engine->closeClients({onlyClientId(*m_engine)}, code, QStringLiteral("x"));
    QVERIFY(!result.ok);
    QVERIFY(result.error.contains(QString::number(code)));
    // Still open and served.
    QSignalSpy echoed(client.get(), &QWebSocket::textMessageReceived);
    client->sendTextMessage(QStringLiteral("still open"));
    QVERIFY(echoed.wait(5000));
    QCOMPARE(client->state(), QAbstractSocket::ConnectedState);
}

void TestOperator::longReasonsArriveAsValidUtf8_data()
{
    QTest::addColumn<QString>("reason");
    QTest::addColumn<QString>("expected");
    QTest::newRow("200 bytes") << QString(200, QLatin1Char('r')) << QString(123, QLatin1Char('r'));
    QTest::newRow("62 e-acute") << QString(62, QChar(0xE9)) << QString(61, QChar(0xE9));
}

void TestOperator::longReasonsArriveAsValidUtf8()
{
    QFETCH(QString, reason);
    QFETCH(QString, expected);
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    QTRY_VERIFY(onlyClientId(*m_engine) != 0);
    QSignalSpy disconnected(client.get(), &QWebSocket::disconnected);
    QVERIFY(m_engine->closeClients({onlyClientId(*m_engine)}, 4002, reason).ok);
    QVERIFY(disconnected.wait(5000));
    // A reason cut mid-character would make the client fail the connection with 1006 instead.
    QCOMPARE(int(client->closeCode()), 4002);
    QCOMPARE(client->closeReason(), expected);
    QVERIFY(client->closeReason().toUtf8().size() <= 123);
}

void TestOperator::clientCloseIsRecordedAsTheClients()
{
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    QTRY_VERIFY(onlyClientId(*m_engine) != 0);
    QSignalSpy changes(m_engine.get(), &Engine::clientsChanged);
    client->close(QWebSocketProtocol::CloseCodeGoingAway, QStringLiteral("tab closed"));
    const ClientInfo last = waitUntilClosed(changes);
    QCOMPARE(last.state, ClientInfo::State::Closed);
    QCOMPARE(last.closeCode, 1001);
    QCOMPARE(last.closeReason, QStringLiteral("tab closed"));
    QCOMPARE(last.closedBy, ClientInfo::ClosedBy::Client);
}

void TestOperator::abruptDropIsReportedAs1006()
{
    // A raw client that upgrades and then vanishes without a close frame.
    QTcpSocket raw;
    raw.connectToHost(QHostAddress::LocalHost, m_engine->port());
    QVERIFY(raw.waitForConnected(5000));
    raw.write(upgradeRequest("/ws"));
    QTRY_VERIFY(raw.bytesAvailable() > 0 || raw.waitForReadyRead(100));
    QVERIFY(raw.readAll().startsWith("HTTP/1.1 101"));
    QTRY_COMPARE(m_engine->openClientCount(), 1);
    QSignalSpy changes(m_engine.get(), &Engine::clientsChanged);
    raw.abort();
    const ClientInfo last = waitUntilClosed(changes);
    QCOMPARE(last.state, ClientInfo::State::Closed);
    QCOMPARE(last.closeCode, 1006);
    QCOMPARE(last.closedBy, ClientInfo::ClosedBy::Network);
    // The server keeps serving.
    auto next = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(next);
}

void TestOperator::sendReachesOnlyThatClient()
{
    auto first = connectClient(m_engine->webSocketUrl(QStringLiteral("/operator")));
    auto second = connectClient(m_engine->webSocketUrl(QStringLiteral("/operator")));
    QVERIFY(first && second);
    QTRY_COMPARE(m_engine->openClientCount(), 2);
    QSignalSpy firstGot(first.get(), &QWebSocket::binaryMessageReceived);
    QSignalSpy secondGot(second.get(), &QWebSocket::binaryMessageReceived);
    const ClientInfoList clients = m_engine->clients();
    const quint64 secondId = clients.at(0).peerPort == second->localPort() ? clients.at(0).id : clients.at(1).id;
    QVERIFY(m_engine->sendToClient(secondId, QByteArray("\x00\xff", 2), true).ok);
    QVERIFY(secondGot.wait(5000));
    QCOMPARE(secondGot.first().first().toByteArray(), QByteArray("\x00\xff", 2));
    QVERIFY(!m_engine->sendToClient(9999, "x", false).ok);
    // A marker sent to the first client afterwards: anything misrouted would arrive before it.
    QSignalSpy firstMarker(first.get(), &QWebSocket::textMessageReceived);
    const quint64 firstId = clients.at(0).id == secondId ? clients.at(1).id : clients.at(0).id;
    QVERIFY(m_engine->sendToClient(firstId, "marker", false).ok);
    QVERIFY(firstMarker.wait(5000));
    QCOMPARE(firstGot.count(), 0);
    QCOMPARE(secondGot.count(), 1);
}

void TestOperator::broadcastToEveryoneRouteAndRoom()
{
    auto echo = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")));
    auto lobby = connectClient(m_engine->webSocketUrl(QStringLiteral("/chat/lobby")));
    auto other = connectClient(m_engine->webSocketUrl(QStringLiteral("/chat/other")));
    QVERIFY(echo && lobby && other);
    QTRY_COMPARE(m_engine->openClientCount(), 3);
    QSignalSpy echoGot(echo.get(), &QWebSocket::textMessageReceived);
    QSignalSpy lobbyGot(lobby.get(), &QWebSocket::textMessageReceived);
    QSignalSpy otherGot(other.get(), &QWebSocket::textMessageReceived);
    RecordCollector records(m_engine.get());

    QCOMPARE(m_engine->broadcast(BroadcastTarget::everyone(), "all", false).affected, 3);
    QTRY_VERIFY(echoGot.count() == 1 && lobbyGot.count() == 1 && otherGot.count() == 1);
    QCOMPARE(m_engine->broadcast(BroadcastTarget::room(QStringLiteral("lobby")), "room", false).affected, 1);
    QTRY_COMPARE(lobbyGot.count(), 2);
    QCOMPARE(m_engine->broadcast(BroadcastTarget::route(QStringLiteral("/chat/:room")), "route", false).affected, 2);
    QTRY_VERIFY(lobbyGot.count() == 3 && otherGot.count() == 2);
    QCOMPARE(echoGot.count(), 1);
    QCOMPARE(lobbyGot.last().first().toString(), QStringLiteral("route"));

    // One log record per broadcast, with its fan-out, not one per client.
    QTRY_VERIFY([&] {
        const LogRecordBatch all = records.all();
        return std::count_if(all.begin(), all.end(), [](const LogRecord &r) {
                   return r.direction == LogRecord::Direction::Broadcast;
               }) == 3;
    }());
    const LogRecordBatch all = records.all();
    auto first = std::find_if(all.begin(), all.end(), [](const LogRecord &r) {
        return r.direction == LogRecord::Direction::Broadcast;
    });
    QCOMPARE(first->fanout, 3);
    QCOMPARE(first->payload, QByteArray("all"));
}

void TestOperator::pingRecordsTheRoundTrip()
{
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    QTRY_VERIFY(onlyClientId(*m_engine) != 0);
    QVERIFY(m_engine->ping(onlyClientId(*m_engine)).ok);
    QTRY_VERIFY(m_engine->clients().first().lastRttMs >= 0);
}

void TestOperator::shutdownClosesEveryoneWith1001()
{
    auto first = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")));
    auto second = connectClient(m_engine->webSocketUrl(QStringLiteral("/chat/lobby")));
    QVERIFY(first && second);
    QTRY_COMPARE(m_engine->openClientCount(), 2);
    QSignalSpy firstGone(first.get(), &QWebSocket::disconnected);
    QSignalSpy secondGone(second.get(), &QWebSocket::disconnected);
    QSignalSpy stopped(m_engine.get(), &Engine::stopped);
    m_engine->stop();
    QTRY_COMPARE(stopped.count(), 1);
    QTRY_COMPARE(firstGone.count(), 1);
    QTRY_COMPARE(secondGone.count(), 1);
    QCOMPARE(int(first->closeCode()), 1001);
    QCOMPARE(int(second->closeCode()), 1001);
    QVERIFY(!m_engine->isListening());
    QCOMPARE(m_engine->clients().size(), 0);
}

QTEST_GUILESS_MAIN(TestOperator)
#include "tst_operator.moc"
