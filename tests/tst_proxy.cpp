// Proxy routes: a real QWebSocket client through the engine to a QWebSocketServer upstream on 127.0.0.1.
#include "TestSupport.h"

#include <QFile>
#include <QHostAddress>
#include <QSslKey>
#include <QTemporaryDir>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketServer>

#include "websocket/WebSocketHandshake.h"

using namespace TestSupport;

namespace {
// The close code in the server's close frame on a raw client (Qt's QWebSocket turns 1014, which
// it does not know, into 1002, so the wire is read directly). -1 when none came in 5 s.
int closeCodeOnWire(QTcpSocket &socket)
{
    QByteArray bytes;
    for (int turn = 0; turn < 50; ++turn) {
        bytes += socket.readAll();
        const int at = bytes.indexOf(char(0x88));
        if (at >= 0 && bytes.size() >= at + 4)
            return (quint8(bytes.at(at + 2)) << 8) | quint8(bytes.at(at + 3));
        QSignalSpy ready(&socket, &QTcpSocket::readyRead); // the engine shares this thread's loop
        ready.wait(100);
    }
    return -1;
}
} // namespace

class TestProxy : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void relaysBothWaysWithKindAndQuery();
    void upstreamCloseCodeReachesClient();
    void clientCloseCodeReachesUpstream();
    void clientGoneGivesUpstream1001();
    void upstreamUnreachableGives1014();
    void upstreamDroppedGives1014();
    void sixteenMiBMessageThrough();
    void wssUpstreamTrustedByUpstreamCa();
    void subprotocolIsTheUpstreamsChoice();
    void upstreamRefusalReachesClientWithBody();
    void bothLegsLoggedWithLatency();
    void holdEditDropReleaseKeepsOrder();
    void holdQueueIsBounded();
    void injectBothWays();
    void routeHoldCoversNewClients();
    void slowUpstreamSlowsItsClient();

private:
    void startProxy(const QString &upstreamPath, qint64 maxMessageBytes = 1024 * 1024);
    QWebSocket *nextUpstream();
    // A proxy to "/socket", a client on it and that client's upstream leg.
    bool openPair(std::unique_ptr<QWebSocket> &client, QWebSocket *&upstream);

    std::unique_ptr<QWebSocketServer> m_upstream;
    std::unique_ptr<Engine> m_engine;
};

void TestProxy::init()
{
    m_upstream = std::make_unique<QWebSocketServer>(QStringLiteral("upstream"), QWebSocketServer::NonSecureMode);
    m_upstream->setSupportedSubprotocols({QStringLiteral("v2.proto")});
    QVERIFY(m_upstream->listen(QHostAddress::LocalHost, 0));
}

void TestProxy::cleanup()
{
    m_engine.reset();
    m_upstream.reset();
}

void TestProxy::startProxy(const QString &upstreamPath, qint64 maxMessageBytes)
{
    ServerConfig config;
    config.maxMessageBytes = maxMessageBytes;
    RouteSpec spec;
    spec.pattern = QStringLiteral("/live/:room");
    spec.behaviour = RouteBehaviourKind::Proxy;
    spec.upstream = QStringLiteral("ws://127.0.0.1:%1%2").arg(m_upstream->serverPort()).arg(upstreamPath);
    config.routes.add(spec);
    m_engine = startEngine(config);
}

QWebSocket *TestProxy::nextUpstream()
{
    if (!m_upstream->hasPendingConnections()) {
        QSignalSpy connection(m_upstream.get(), &QWebSocketServer::newConnection);
        if (!connection.wait(5000))
            return nullptr;
    }
    QWebSocket *socket = m_upstream->nextPendingConnection();
    socket->setParent(m_upstream.get());
    // An echo upstream: text as text, binary as binary.
    connect(socket, &QWebSocket::textMessageReceived, socket,
            [socket](const QString &text) { socket->sendTextMessage(QStringLiteral("up:") + text); });
    connect(socket, &QWebSocket::binaryMessageReceived, socket,
            [socket](const QByteArray &data) { socket->sendBinaryMessage(data); });
    return socket;
}

bool TestProxy::openPair(std::unique_ptr<QWebSocket> &client, QWebSocket *&upstream)
{
    startProxy(QStringLiteral("/socket"));
    if (!m_engine)
        return false;
    client = connectClient(m_engine->webSocketUrl(QStringLiteral("/live/a")));
    upstream = client ? nextUpstream() : nullptr;
    return upstream != nullptr;
}

void TestProxy::relaysBothWaysWithKindAndQuery()
{
    startProxy(QStringLiteral("/rooms/:room"));
    QVERIFY(m_engine);
    QUrl url = m_engine->webSocketUrl(QStringLiteral("/live/blue"));
    url.setQuery(QStringLiteral("user=ada"));
    auto client = connectClient(url);
    QVERIFY(client);
    QWebSocket *upstream = nextUpstream();
    QVERIFY(upstream);
    QCOMPARE(upstream->requestUrl().path(), QStringLiteral("/rooms/blue"));
    QCOMPARE(upstream->requestUrl().query(), QStringLiteral("user=ada"));
    QCOMPARE(upstream->origin(), QStringLiteral("http://127.0.0.1:%1").arg(m_upstream->serverPort()));

    QSignalSpy text(client.get(), &QWebSocket::textMessageReceived);
    QSignalSpy binary(client.get(), &QWebSocket::binaryMessageReceived);
    client->sendTextMessage(QStringLiteral("héllo"));
    client->sendBinaryMessage(QByteArray("\x00\x01\xff", 3));
    QTRY_COMPARE_WITH_TIMEOUT(text.count() + binary.count(), 2, 5000);
    QCOMPARE(text.count(), 1);
    QCOMPARE(text.first().first().toString(), QStringLiteral("up:héllo"));
    QCOMPARE(binary.first().first().toByteArray(), QByteArray("\x00\x01\xff", 3));
}

void TestProxy::upstreamCloseCodeReachesClient()
{
    std::unique_ptr<QWebSocket> client;
    QWebSocket *upstream = nullptr;
    QVERIFY(openPair(client, upstream));
    QSignalSpy closed(client.get(), &QWebSocket::disconnected);
    upstream->close(static_cast<QWebSocketProtocol::CloseCode>(4001), QStringLiteral("shift over"));
    QVERIFY(closed.wait(5000));
    QCOMPARE(int(client->closeCode()), 4001);
    QCOMPARE(client->closeReason(), QStringLiteral("shift over"));
}

void TestProxy::clientCloseCodeReachesUpstream()
{
    std::unique_ptr<QWebSocket> client;
    QWebSocket *upstream = nullptr;
    QVERIFY(openPair(client, upstream));
    QSignalSpy closed(upstream, &QWebSocket::disconnected);
    client->close(static_cast<QWebSocketProtocol::CloseCode>(4002), QStringLiteral("done here"));
    QVERIFY(closed.wait(5000));
    QCOMPARE(int(upstream->closeCode()), 4002);
    QCOMPARE(upstream->closeReason(), QStringLiteral("done here"));
}

void TestProxy::clientGoneGivesUpstream1001()
{
    std::unique_ptr<QWebSocket> client;
    QWebSocket *upstream = nullptr;
    QVERIFY(openPair(client, upstream));
    QSignalSpy closed(upstream, &QWebSocket::disconnected);
    client->abort();
    QVERIFY(closed.wait(5000));
    QCOMPARE(int(upstream->closeCode()), 1001);
}

void TestProxy::upstreamUnreachableGives1014()
{
    // A port that was free a moment ago: nothing listens there.
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 deadPort = probe.serverPort();
    probe.close();
    ServerConfig config;
    RouteSpec spec;
    spec.pattern = QStringLiteral("/live");
    spec.behaviour = RouteBehaviourKind::Proxy;
    spec.upstream = QStringLiteral("ws://127.0.0.1:%1/socket").arg(deadPort);
    config.routes.add(spec);
    m_engine = startEngine(config);
    QVERIFY(m_engine);
    auto client = rawWebSocket(m_engine->port(), "/live");
    QVERIFY(client);
    QCOMPARE(closeCodeOnWire(*client), 1014);
}

void TestProxy::upstreamDroppedGives1014()
{
    startProxy(QStringLiteral("/socket"));
    QVERIFY(m_engine);
    auto client = rawWebSocket(m_engine->port(), "/live/a");
    QVERIFY(client);
    QWebSocket *upstream = nextUpstream();
    QVERIFY(upstream);
    QTRY_COMPARE_WITH_TIMEOUT(upstream->state(), QAbstractSocket::ConnectedState, 5000);
    upstream->abort(); // gone without a close frame
    QCOMPARE(closeCodeOnWire(*client), 1014);
}

void TestProxy::sixteenMiBMessageThrough()
{
    startProxy(QStringLiteral("/socket"), 32 * 1024 * 1024);
    QVERIFY(m_engine);
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/live/a")));
    QVERIFY(client);
    client->setMaxAllowedIncomingMessageSize(32 * 1024 * 1024);
    QWebSocket *upstream = nextUpstream();
    QVERIFY(upstream);
    upstream->setMaxAllowedIncomingMessageSize(32 * 1024 * 1024);
    QByteArray big(16 * 1024 * 1024, 'x');
    for (int i = 0; i < big.size(); i += 4096)
        big[i] = char(i / 4096);
    QSignalSpy binary(client.get(), &QWebSocket::binaryMessageReceived);
    client->sendBinaryMessage(big);
    QVERIFY(binary.wait(30000));
    QCOMPARE(binary.first().first().toByteArray(), big);
}

void TestProxy::wssUpstreamTrustedByUpstreamCa()
{
    QTemporaryDir dir;
    QString error;
    QVERIFY2(makeDevCert(dir.path(), &error), qPrintable(error));
    const QString certPath = dir.filePath(QStringLiteral("cert.pem"));
    QFile keyFile(dir.filePath(QStringLiteral("key.pem")));
    QVERIFY(keyFile.open(QIODevice::ReadOnly));
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setLocalCertificateChain(QSslCertificate::fromPath(certPath));
    const QByteArray pem = keyFile.readAll();
    QSslKey key(pem, QSsl::Rsa);
    if (key.isNull())
        key = QSslKey(pem, QSsl::Ec);
    tls.setPrivateKey(key);
    QVERIFY(!tls.privateKey().isNull());
    m_upstream = std::make_unique<QWebSocketServer>(QStringLiteral("upstream"), QWebSocketServer::SecureMode);
    m_upstream->setSslConfiguration(tls);
    QVERIFY(m_upstream->listen(QHostAddress::LocalHost, 0));

    ServerConfig config;
    config.upstreamCaPath = certPath; // without it the system's CAs refuse the development certificate
    RouteSpec spec;
    spec.pattern = QStringLiteral("/secure");
    spec.behaviour = RouteBehaviourKind::Proxy;
    spec.upstream = QStringLiteral("wss://127.0.0.1:%1/socket").arg(m_upstream->serverPort());
    config.routes.add(spec);
    m_engine = startEngine(config);
    QVERIFY(m_engine);
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/secure")));
    QVERIFY(client);
    QWebSocket *upstream = nextUpstream();
    QVERIFY(upstream);
    QSignalSpy text(client.get(), &QWebSocket::textMessageReceived);
    client->sendTextMessage(QStringLiteral("over tls"));
    QVERIFY(text.wait(5000));
    QCOMPARE(text.first().first().toString(), QStringLiteral("up:over tls"));
}

void TestProxy::subprotocolIsTheUpstreamsChoice()
{
    // The route lists no subprotocols: the upstream's choice is the one answered.
    startProxy(QStringLiteral("/socket"));
    QVERIFY(m_engine);
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/live/a")),
                                {QStringLiteral("v1.proto"), QStringLiteral("v2.proto")});
    QVERIFY(client);
    QCOMPARE(client->subprotocol(), QStringLiteral("v2.proto"));
    QWebSocket *upstream = nextUpstream();
    QVERIFY(upstream);
    QCOMPARE(upstream->subprotocol(), QStringLiteral("v2.proto"));
}

void TestProxy::upstreamRefusalReachesClientWithBody()
{
    // An upstream that refuses every upgrade with 403 and a body of its own.
    QTcpServer refuser;
    QVERIFY(refuser.listen(QHostAddress::LocalHost, 0));
    connect(&refuser, &QTcpServer::newConnection, &refuser, [&refuser] {
        QTcpSocket *socket = refuser.nextPendingConnection();
        connect(socket, &QTcpSocket::readyRead, socket, [socket] {
            if (!socket->peek(4096).contains("\r\n\r\n"))
                return;
            socket->readAll();
            socket->write("HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: 24\r\n\r\n"
                          "{\"error\":\"members only\"}");
            socket->disconnectFromHost();
        });
    });
    ServerConfig config;
    RouteSpec spec;
    spec.pattern = QStringLiteral("/live");
    spec.behaviour = RouteBehaviourKind::Proxy;
    spec.upstream = QStringLiteral("ws://127.0.0.1:%1/socket").arg(refuser.serverPort());
    config.routes.add(spec);
    m_engine = startEngine(config);
    QVERIFY(m_engine);
    QSignalSpy records(m_engine.get(), &Engine::recordsAppended);
    const QByteArray answer = rawExchange(m_engine->port(), upgradeRequest("/live"));
    QCOMPARE(statusOf(answer), 403);
    QVERIFY2(answer.contains("Content-Type: application/json"), answer.constData());
    QCOMPARE(bodyOf(answer), QByteArray("{\"error\":\"members only\"}"));
    bool logged = false;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        for (const QList<QVariant> &batch : records)
            for (const LogRecord &record : batch.first().value<LogRecordBatch>())
                logged = logged || (record.kind == LogRecord::Kind::Refused && record.closeCode == 403
                                    && record.detail.contains(QLatin1String("upstream")));
        return logged;
    }()), 5000);
}

void TestProxy::bothLegsLoggedWithLatency()
{
    std::unique_ptr<QWebSocket> client;
    QWebSocket *upstream = nullptr;
    QVERIFY(openPair(client, upstream));
    const quint64 id = clientIdOnRoute(*m_engine, QStringLiteral("/live/:room"));
    const ClientInfoList clients = m_engine->clients();
    QCOMPARE(clients.size(), 1);
    QCOMPARE(clients.first().upstreamUrl, QStringLiteral("ws://127.0.0.1:%1/socket").arg(m_upstream->serverPort()));
    QCOMPARE(clients.first().upstreamState, QStringLiteral("open"));

    QSignalSpy records(m_engine.get(), &Engine::recordsAppended);
    QSignalSpy text(client.get(), &QWebSocket::textMessageReceived);
    client->sendTextMessage(QStringLiteral("leg"));
    QVERIFY(text.wait(5000));
    // One record per message per leg: in (client), to_upstream, from_upstream, out (client).
    QList<LogRecord> legs;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        legs.clear();
        for (const QList<QVariant> &batch : records)
            for (const LogRecord &record : batch.first().value<LogRecordBatch>())
                if (record.clientId == id && record.kind == LogRecord::Kind::Text)
                    legs.append(record);
        return legs.size() >= 4;
    }()), 5000);
    QCOMPARE(legs.size(), 4);
    QCOMPARE(legs.at(0).direction, LogRecord::Direction::In);
    QCOMPARE(legs.at(1).direction, LogRecord::Direction::ToUpstream);
    QCOMPARE(legs.at(1).payload, QByteArray("leg"));
    QVERIFY2(legs.at(1).detail.startsWith(QLatin1String("proxy added ")), qPrintable(legs.at(1).detail));
    QCOMPARE(legs.at(2).direction, LogRecord::Direction::FromUpstream);
    QCOMPARE(legs.at(2).payload, QByteArray("up:leg"));
    QCOMPARE(legs.at(3).direction, LogRecord::Direction::Out);
    QVERIFY2(legs.at(3).detail.startsWith(QLatin1String("proxy added ")), qPrintable(legs.at(3).detail));

    QSignalSpy changed(m_engine.get(), &Engine::clientsChanged);
    upstream->close();
    const ClientInfo closed = waitUntilClosed(changed, id);
    QCOMPARE(closed.upstreamState, QStringLiteral("closed"));
}

void TestProxy::holdEditDropReleaseKeepsOrder()
{
    std::unique_ptr<QWebSocket> client;
    QWebSocket *upstream = nullptr;
    QVERIFY(openPair(client, upstream));
    const quint64 id = clientIdOnRoute(*m_engine, QStringLiteral("/live/:room"));
    QVERIFY(m_engine->proxyHold(id, ProxyHoldQueue::ToUpstream).ok);
    for (const char *word : {"a", "b", "c", "d"})
        client->sendTextMessage(QString::fromLatin1(word));
    QTRY_COMPARE_WITH_TIMEOUT(m_engine->proxyOf(id)->held().messages().size(), 4, 5000);
    const QList<ProxyHoldQueue::Held> held = m_engine->proxyOf(id)->held().messages();
    QCOMPARE(held.at(1).message.data, QByteArray("b"));

    QSignalSpy text(client.get(), &QWebSocket::textMessageReceived);
    const IncomingMessage edited{false, "B!"};
    QVERIFY(m_engine->proxyForwardHeld(id, held.at(1).id, &edited).ok);
    QVERIFY(m_engine->proxyDropHeld(id, held.at(2).id).ok);
    QVERIFY(!m_engine->proxyDropHeld(id, held.at(2).id).ok); // gone already
    QVERIFY(m_engine->proxyRelease(id, ProxyHoldQueue::Both).ok);
    QTRY_COMPARE_WITH_TIMEOUT(text.count(), 3, 5000);
    QCOMPARE(text.at(0).first().toString(), QStringLiteral("up:B!"));
    QCOMPARE(text.at(1).first().toString(), QStringLiteral("up:a"));
    QCOMPARE(text.at(2).first().toString(), QStringLiteral("up:d"));
    QVERIFY(m_engine->proxyOf(id)->held().messages().isEmpty());

    // Holding what comes from the upstream, then releasing it.
    QVERIFY(m_engine->proxyHold(id, ProxyHoldQueue::ToClient).ok);
    client->sendTextMessage(QStringLiteral("e"));
    QTRY_COMPARE_WITH_TIMEOUT(m_engine->proxyOf(id)->held().messages().size(), 1, 5000);
    QCOMPARE(text.count(), 3);
    QVERIFY(m_engine->proxyRelease(id, ProxyHoldQueue::ToClient).ok);
    QTRY_COMPARE_WITH_TIMEOUT(text.count(), 4, 5000);
    QCOMPARE(text.at(3).first().toString(), QStringLiteral("up:e"));
}

void TestProxy::holdQueueIsBounded()
{
    std::unique_ptr<QWebSocket> client;
    QWebSocket *upstream = nullptr;
    QVERIFY(openPair(client, upstream));
    const quint64 id = clientIdOnRoute(*m_engine, QStringLiteral("/live/:room"));
    QVERIFY(m_engine->proxyHold(id, ProxyHoldQueue::ToUpstream).ok);
    QSignalSpy text(client.get(), &QWebSocket::textMessageReceived);
    const int extra = 3;
    for (int i = 0; i < ProxyHoldQueue::kMaxMessages + extra; ++i)
        client->sendTextMessage(QString::number(i));
    // Past the bound, messages are forwarded (and counted) instead of held.
    QTRY_COMPARE_WITH_TIMEOUT(text.count(), extra, 5000);
    QCOMPARE(m_engine->proxyOf(id)->held().messages().size(), ProxyHoldQueue::kMaxMessages);
    QCOMPARE(m_engine->proxyOf(id)->held().overflowed(), qint64(extra));
    QCOMPARE(text.first().first().toString(), QStringLiteral("up:%1").arg(ProxyHoldQueue::kMaxMessages));
}

void TestProxy::injectBothWays()
{
    std::unique_ptr<QWebSocket> client;
    QWebSocket *upstream = nullptr;
    QVERIFY(openPair(client, upstream));
    const quint64 id = clientIdOnRoute(*m_engine, QStringLiteral("/live/:room"));
    QSignalSpy text(client.get(), &QWebSocket::textMessageReceived);
    QSignalSpy upstreamText(upstream, &QWebSocket::textMessageReceived);
    QVERIFY(m_engine->proxyInject(id, false, "as if from upstream", false).ok);
    QVERIFY(text.wait(5000));
    QCOMPARE(text.first().first().toString(), QStringLiteral("as if from upstream"));
    QVERIFY(m_engine->proxyInject(id, true, "as if from client", false).ok);
    QTRY_COMPARE_WITH_TIMEOUT(upstreamText.count(), 1, 5000);
    QCOMPARE(upstreamText.first().first().toString(), QStringLiteral("as if from client"));
    QVERIFY(!m_engine->proxyInject(id, true, QByteArray("\xff", 1), false).ok); // text must be UTF-8
    QVERIFY(!m_engine->proxyInject(id + 100, true, "nobody", false).ok);
}

void TestProxy::routeHoldCoversNewClients()
{
    std::unique_ptr<QWebSocket> first;
    QWebSocket *firstUpstream = nullptr;
    QVERIFY(openPair(first, firstUpstream));
    const QString route = QStringLiteral("/live/:room");
    QVERIFY(!m_engine->proxyHoldRoute(QStringLiteral("/ws"), ProxyHoldQueue::Both).ok); // not a proxy route
    const CommandResult held = m_engine->proxyHoldRoute(route, ProxyHoldQueue::ToUpstream);
    QVERIFY(held.ok);
    QCOMPARE(held.affected, 1);
    QCOMPARE(m_engine->routeHolding(route), int(ProxyHoldQueue::ToUpstream));
    const quint64 firstId = clientIdOnRoute(*m_engine, route);
    QCOMPARE(m_engine->proxyOf(firstId)->held().holding(), int(ProxyHoldQueue::ToUpstream));

    auto second = connectClient(m_engine->webSocketUrl(QStringLiteral("/live/b")));
    QVERIFY(second);
    QVERIFY(nextUpstream());
    HeldMessages later;
    QTRY_VERIFY_WITH_TIMEOUT((later = m_engine->heldMessages(firstId + 1)).proxied, 5000);
    QCOMPARE(later.holding, int(ProxyHoldQueue::ToUpstream)); // a new client holds what its route holds
    QCOMPARE(later.routeHolding, int(ProxyHoldQueue::ToUpstream));
    QSignalSpy firstText(first.get(), &QWebSocket::textMessageReceived);
    QSignalSpy secondText(second.get(), &QWebSocket::textMessageReceived);
    first->sendTextMessage(QStringLiteral("one"));
    second->sendTextMessage(QStringLiteral("two"));
    QTRY_COMPARE_WITH_TIMEOUT(m_engine->heldMessages(firstId + 1).messages.size(), 1, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(m_engine->heldMessages(firstId).messages.size(), 1, 5000);

    // Releasing the route releases each of its clients, in order.
    const CommandResult released = m_engine->proxyReleaseRoute(route, ProxyHoldQueue::ToUpstream);
    QCOMPARE(released.affected, 2);
    QCOMPARE(m_engine->routeHolding(route), 0);
    QTRY_COMPARE_WITH_TIMEOUT(firstText.count() + secondText.count(), 2, 5000);
    QCOMPARE(firstText.first().first().toString(), QStringLiteral("up:one"));
    QCOMPARE(secondText.first().first().toString(), QStringLiteral("up:two"));
    QCOMPARE(m_engine->heldMessages(firstId).holding, 0);
}

void TestProxy::slowUpstreamSlowsItsClient()
{
    // An upstream that completes the handshake by hand, then reads nothing until told to.
    QTcpServer stalled;
    QVERIFY(stalled.listen(QHostAddress::LocalHost, 0));
    QTcpSocket *leg = nullptr;
    bool reading = false;
    qint64 received = 0;
    connect(&stalled, &QTcpServer::newConnection, &stalled, [&] {
        leg = stalled.nextPendingConnection();
        leg->setReadBufferSize(64 * 1024); // unread, Qt stops taking bytes from the kernel
        connect(leg, &QTcpSocket::readyRead, leg, [&] {
            if (reading) {
                received += leg->readAll().size();
                return;
            }
            const QByteArray head = leg->peek(4096);
            if (leg->property("open").toBool() || !head.contains("\r\n\r\n"))
                return;
            leg->read(head.indexOf("\r\n\r\n") + 4);
            const int keyAt = head.indexOf("Sec-WebSocket-Key: ") + 19;
            const QByteArray key = head.mid(keyAt, head.indexOf('\r', keyAt) - keyAt);
            leg->write(WebSocketHandshake::response(key, QString()));
            leg->setProperty("open", true);
        });
    });
    ServerConfig config;
    config.maxMessageBytes = 2 * 1024 * 1024;
    RouteSpec spec;
    spec.pattern = QStringLiteral("/live");
    spec.behaviour = RouteBehaviourKind::Proxy;
    spec.upstream = QStringLiteral("ws://127.0.0.1:%1/socket").arg(stalled.serverPort());
    config.routes.add(spec);
    m_engine = startEngine(config);
    QVERIFY(m_engine);
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/live")));
    QVERIFY(client);
    const quint64 id = clientIdOnRoute(*m_engine, QStringLiteral("/live"));

    const int messages = 40;
    const QByteArray chunk(1024 * 1024, 'p');
    for (int i = 0; i < messages; ++i)
        client->sendBinaryMessage(chunk);
    // The proxy stops reading the client: the client's own socket keeps what it could not send.
    QTRY_VERIFY_WITH_TIMEOUT(m_engine->proxyOf(id) && m_engine->proxyOf(id)->clientReadingPaused(), 10000);
    QVERIFY(client->bytesToWrite() > 0);
    QVERIFY(m_engine->clients().value(0).state == ClientInfo::State::Open);

    // The upstream reads again: everything arrives (1 MiB payloads in masked frames with 14-byte headers).
    reading = true;
    leg->setReadBufferSize(0);
    received += leg->readAll().size();
    QTRY_COMPARE_WITH_TIMEOUT(received, qint64(messages) * (chunk.size() + 14), 30000);
    QTRY_VERIFY_WITH_TIMEOUT(!m_engine->proxyOf(id)->clientReadingPaused(), 5000);
    QCOMPARE(client->bytesToWrite(), qint64(0));
}

QTEST_GUILESS_MAIN(TestProxy)
#include "tst_proxy.moc"
