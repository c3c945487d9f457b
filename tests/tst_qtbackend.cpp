// The qt backend (--websocket-backend qt) next to the native one: what the running backend says about
// itself, and where Qt 6.4's QWebSocket differs by design (README: "Qt WebSockets as a second
// backend"). Everything else runs on both backends through the *_qt CTest variants of the suites.
#include "TestSupport.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>

using namespace TestSupport;

namespace {

constexpr quint8 kContinuation = 0x0, kText = 0x1;

ServerConfig configFor(const QString &backend)
{
    ServerConfig config;
    WebSocketBackends::parse(backend, &config.websocketBackend);
    config.adminToken = QStringLiteral("admin-secret");
    return config;
}

QJsonObject getJson(quint16 port, const QByteArray &path)
{
    const QByteArray answer = rawExchange(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                "Authorization: Bearer admin-secret\r\nConnection: close\r\n\r\n");
    return QJsonDocument::fromJson(bodyOf(answer)).object();
}

// The close frame's code the server sent on raw, or 0 when none came within 5 s.
int closeCodeFrom(QTcpSocket &raw)
{
    QSignalSpy readable(&raw, &QTcpSocket::readyRead);
    QByteArray bytes = raw.readAll();
    while (bytes.size() < 4 && (raw.state() == QAbstractSocket::ConnectedState || raw.bytesAvailable() > 0)) {
        if (!raw.bytesAvailable() && !readable.wait(5000))
            break;
        bytes += raw.readAll();
    }
    if (bytes.size() < 4 || (quint8(bytes.at(0)) & 0x0F) != 0x8)
        return 0;
    return (quint8(bytes.at(2)) << 8) | quint8(bytes.at(3));
}

} // namespace

class TestQtBackend : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void cleanup();
    void backendIsReported_data();
    void backendIsReported();
    void deflateDeclinedOnlyByQt_data();
    void deflateDeclinedOnlyByQt();
    void subprotocolIsTheGatesChoice_data();
    void subprotocolIsTheGatesChoice();
    void utf8SplitAcrossFrames_data();
    void utf8SplitAcrossFrames();
    void messageLimitIsQtsLimitToo();
    void badBackendNameIsRefused();

private:
    std::unique_ptr<Engine> m_engine;
};

void TestQtBackend::cleanup()
{
    m_engine.reset();
}

// One row per backend, by name.
void addBackendRows()
{
    QTest::addColumn<QString>("backend");
    QTest::newRow("native") << QStringLiteral("native");
    QTest::newRow("qt") << QStringLiteral("qt");
}

void TestQtBackend::backendIsReported_data()
{
    addBackendRows();
}

void TestQtBackend::backendIsReported()
{
    QFETCH(QString, backend);
    m_engine = startEngine(configFor(backend));
    QVERIFY(m_engine);
    QCOMPARE(getJson(m_engine->port(), "/healthz").value(QStringLiteral("websocketBackend")).toString(), backend);
    QCOMPARE(getJson(m_engine->port(), "/api/routes").value(QStringLiteral("websocketBackend")).toString(), backend);
    // And it serves: a Qt client echoes through it.
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    expectServed(*client);
}

void TestQtBackend::deflateDeclinedOnlyByQt_data()
{
    QTest::addColumn<QString>("backend");
    QTest::addColumn<bool>("negotiated");
    QTest::newRow("native") << QStringLiteral("native") << true;
    // Qt 6.4's QWebSocket has no permessage-deflate: the answer carries no extension, and the
    // client then sends uncompressed frames, which are echoed.
    QTest::newRow("qt") << QStringLiteral("qt") << false;
}

void TestQtBackend::deflateDeclinedOnlyByQt()
{
    QFETCH(QString, backend);
    QFETCH(bool, negotiated);
    m_engine = startEngine(configFor(backend));
    QVERIFY(m_engine);
    QByteArray head;
    auto raw = rawWebSocket(m_engine->port(), "/ws",
                            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n", &head);
    QVERIFY2(raw, head.constData());
    QCOMPARE(head.toLower().contains("sec-websocket-extensions: permessage-deflate"), negotiated);
    raw->write(clientFrame(kText, "plain"));
    QSignalSpy readable(raw.get(), &QTcpSocket::readyRead);
    QByteArray echo = raw->readAll();
    while (echo.size() < 7 && readable.wait(5000))
        echo += raw->readAll();
    QCOMPARE(echo, QByteArray("\x81\x05plain", 7));
}

void TestQtBackend::subprotocolIsTheGatesChoice_data()
{
    addBackendRows();
}

void TestQtBackend::subprotocolIsTheGatesChoice()
{
    // /ws speaks chat, soap and wamp: the first the client offers wins, on both backends (Qt alone
    // would pick by its own list's order).
    QFETCH(QString, backend);
    m_engine = startEngine(configFor(backend));
    QVERIFY(m_engine);
    for (const auto &[offered, chosen] : {std::pair{QStringList{"wamp", "chat"}, QStringLiteral("wamp")},
                                          std::pair{QStringList{"x", "soap", "chat"}, QStringLiteral("soap")},
                                          std::pair{QStringList{}, QString()}}) {
        auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")), offered);
        QVERIFY(client);
        QCOMPARE(client->subprotocol(), chosen);
        expectServed(*client);
    }
}

void TestQtBackend::utf8SplitAcrossFrames_data()
{
    QTest::addColumn<QString>("backend");
    QTest::addColumn<int>("closeCode"); // 0: echoed whole
    QTest::newRow("native") << QStringLiteral("native") << 0;
    // Qt 6.4 checks each frame's UTF-8 on its own: "é" cut between two frames is refused with 1007
    // although the message is valid (RFC 6455 §8.1 asks for the whole message). Documented.
    QTest::newRow("qt") << QStringLiteral("qt") << 1007;
}

void TestQtBackend::utf8SplitAcrossFrames()
{
    QFETCH(QString, backend);
    QFETCH(int, closeCode);
    m_engine = startEngine(configFor(backend));
    QVERIFY(m_engine);
    auto raw = rawWebSocket(m_engine->port(), "/ws");
    QVERIFY(raw);
    const QByteArray e = QStringLiteral("é").toUtf8();
    raw->write(clientFrame(kText, "caf" + e.left(1), quint8(kText)) + clientFrame(kContinuation, e.mid(1)));
    if (closeCode) {
        QCOMPARE(closeCodeFrom(*raw), closeCode);
        return;
    }
    QSignalSpy readable(raw.get(), &QTcpSocket::readyRead);
    QByteArray echo = raw->readAll();
    while (echo.size() < 7 && readable.wait(5000))
        echo += raw->readAll();
    QCOMPARE(echo.mid(2), "caf" + e);
}

void TestQtBackend::messageLimitIsQtsLimitToo()
{
    // --max-message-bytes sets QWebSocket's incoming limits: one byte over is closed with 1009 and
    // the log says the server closed it; one at the limit is echoed.
    ServerConfig config = configFor(QStringLiteral("qt"));
    config.maxMessageBytes = 100 * 1024;
    m_engine = startEngine(config);
    QVERIFY(m_engine);
    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    QSignalSpy binary(client.get(), &QWebSocket::binaryMessageReceived);
    client->sendBinaryMessage(QByteArray(100 * 1024, 'a'));
    QVERIFY(binary.wait(5000));
    QCOMPARE(binary.first().first().toByteArray().size(), 100 * 1024);
    QSignalSpy closed(client.get(), &QWebSocket::disconnected);
    client->sendBinaryMessage(QByteArray(100 * 1024 + 1, 'a'));
    QVERIFY(closed.wait(5000));
    QCOMPARE(int(client->closeCode()), 1009);
}

void TestQtBackend::badBackendNameIsRefused()
{
    ServerConfig config;
    QString error;
    QVERIFY(!config.loadJson(R"({"websocketBackend": "libwebsockets"})", QStringLiteral("cfg.json"), &error));
    QVERIFY2(error.contains(QLatin1String("websocketBackend")) && error.contains(QLatin1String("\"qt\"")), qPrintable(error));
    QVERIFY(config.loadJson(R"({"websocketBackend": "qt"})", QStringLiteral("cfg.json"), &error));
    QCOMPARE(config.websocketBackend, WebSocketBackend::Qt);
}

QTEST_GUILESS_MAIN(TestQtBackend)
#include "tst_qtbackend.moc"
