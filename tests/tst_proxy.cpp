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

QTEST_GUILESS_MAIN(TestProxy)
#include "tst_proxy.moc"
