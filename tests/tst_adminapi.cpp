// The admin HTTP API: every endpoint and every error answer, over real HTTP against a real engine.
#include "TestSupport.h"

#include "cli/CommandLine.h"
#include "server/AdminApi.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>
#include <functional>

using namespace TestSupport;

namespace {

const QByteArray kToken = "s3cret-T0ken_for.tests";

struct Answer
{
    int status = -1;
    QByteArray body;
    QJsonObject json;
    QHash<QByteArray, QByteArray> headers; // names lower-cased
};


// Everything qDebug/qInfo/qWarning printed while the test ran, to prove the token never appears.
QStringList g_messages;
QtMessageHandler g_previousHandler = nullptr;
void captureMessages(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    g_messages.append(message);
    if (g_previousHandler)
        g_previousHandler(type, context, message);
}

} // namespace

class TestAdminApi : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void offWithoutAToken();
    void needsTheBearerToken_data();
    void needsTheBearerToken();
    void foreignOriginsAreAlwaysRefused();
    void listsClientsWithTheirMetadata();
    void oneClientAndUnknownClients();
    void routesStatsAndBans();
    void sendTextAndBinary();
    void sendRefusals_data();
    void sendRefusals();
    void broadcastToEveryoneRouteAndRoom();
    void broadcastRefusals_data();
    void broadcastRefusals();
    void pingRecordsTheRoundTrip();
    void closeWithCodeAndReason();
    void closeRefusalsSendNothing_data();
    void closeRefusalsSendNothing();
    void closeMany();
    void unknownPathAndWrongMethod();
    void bodyFraming_data();
    void bodyFraming();
    void bodyTooLargeThroughQNetworkAccessManager();
    void slowBodyGets408();
    void expect100Continue();
    void invalidJson();
    void everyActionIsLogged();
    void banAndUnban();
    void curlDrivesTheApi();
    void tokenIsNeverLogged();
    void adminTokenFromConfigFile_data();
    void adminTokenFromConfigFile();
    void adminTokenFlag();
    void cleanupTestCase();

private:
    Answer call(const QByteArray &method, const QString &path, const QByteArray &body = {},
                const QByteArray &token = kToken, const QList<QPair<QByteArray, QByteArray>> &headers = {});
    Answer post(const QString &path, const QJsonObject &body) { return call("POST", path, QJsonDocument(body).toJson()); }
    std::unique_ptr<QWebSocket> connectAndWait(const QString &path, quint64 *id);
    QString clientPath(quint64 id, const char *action = nullptr) const;

    std::unique_ptr<Engine> m_engine;
    QNetworkAccessManager m_network;
};

void TestAdminApi::initTestCase()
{
    // Tests talk to 127.0.0.1 only; an http_proxy in the environment must not get in the way.
    m_network.setProxy(QNetworkProxy::NoProxy);
    g_previousHandler = qInstallMessageHandler(captureMessages);
    QLoggingCategory::setFilterRules(QStringLiteral("switchboard.*.debug=true"));
}

void TestAdminApi::cleanupTestCase()
{
    qInstallMessageHandler(g_previousHandler);
}

void TestAdminApi::init()
{
    ServerConfig config;
    config.adminToken = QString::fromLatin1(kToken);
    config.headTimeoutMs = 500;
    config.allowedOrigins = QStringList{QStringLiteral("http://localhost:5173")};
    m_engine = startEngine(config);
    QVERIFY(m_engine);
}

void TestAdminApi::cleanup()
{
    m_engine.reset();
}

Answer TestAdminApi::call(const QByteArray &method, const QString &path, const QByteArray &body,
                          const QByteArray &token, const QList<QPair<QByteArray, QByteArray>> &headers)
{
    QUrl url = m_engine->httpUrl();
    url.setPath(path);
    QNetworkRequest request(url);
    if (!token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + token);
    if (method == "POST")
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
    for (const auto &header : headers)
        request.setRawHeader(header.first, header.second);
    QNetworkReply *reply = m_network.sendCustomRequest(request, method, body);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    Answer answer;
    if (!reply->isFinished() && !finished.wait(10000)) {
        reply->abort();
        reply->deleteLater();
        return answer;
    }
    answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    answer.body = reply->readAll();
    answer.json = QJsonDocument::fromJson(answer.body).object();
    for (const auto &pair : reply->rawHeaderPairs())
        answer.headers.insert(pair.first.toLower(), pair.second);
    reply->deleteLater();
    return answer;
}

QString TestAdminApi::clientPath(quint64 id, const char *action) const
{
    return QStringLiteral("/api/clients/%1").arg(id) + (action ? QLatin1Char('/') + QLatin1String(action) : QString());
}

std::unique_ptr<QWebSocket> TestAdminApi::connectAndWait(const QString &path, quint64 *id)
{
    const int before = m_engine->clients().size();
    auto client = connectClient(m_engine->webSocketUrl(path));
    if (!client)
        return nullptr;
    if (!QTest::qWaitFor([&] { return m_engine->clients().size() == before + 1; }, 5000))
        return nullptr;
    *id = m_engine->clients().constLast().id;
    return client;
}

void TestAdminApi::offWithoutAToken()
{
    m_engine = startEngine(ServerConfig());
    QVERIFY(m_engine);
    for (const QByteArray &token : {QByteArray(), kToken}) {
        const Answer answer = call("GET", QStringLiteral("/api/clients"), {}, token);
        QCOMPARE(answer.status, 403);
        QCOMPARE(answer.headers.value("content-type"), QByteArray("application/json"));
        QCOMPARE(answer.json.value(QStringLiteral("rule")).toString(), QStringLiteral("admin-token-required"));
        QVERIFY2(answer.json.value(QStringLiteral("error")).toString().contains(QLatin1String("--admin-token")),
                 answer.body.constData());
    }
    // A POST is refused on its head, before any body is read.
    QCOMPARE(post(QStringLiteral("/api/close"), {{QStringLiteral("all"), true}}).status, 403);
}

void TestAdminApi::needsTheBearerToken_data()
{
    QTest::addColumn<QByteArray>("authorization");
    QTest::addColumn<int>("status");
    QTest::newRow("none") << QByteArray() << 401;
    QTest::newRow("wrong token") << QByteArray("Bearer nope") << 401;
    QTest::newRow("token prefix") << QByteArray("Bearer " + kToken.left(5)) << 401;
    QTest::newRow("token plus more") << QByteArray("Bearer " + kToken + "x") << 401;
    QTest::newRow("basic scheme") << QByteArray("Basic " + kToken.toBase64()) << 401;
    QTest::newRow("scheme only") << QByteArray("Bearer") << 401;
    QTest::newRow("right") << QByteArray("Bearer " + kToken) << 200;
    QTest::newRow("scheme is case-insensitive") << QByteArray("bearer " + kToken) << 200;
}

void TestAdminApi::needsTheBearerToken()
{
    QFETCH(QByteArray, authorization);
    QFETCH(int, status);
    QList<QPair<QByteArray, QByteArray>> headers;
    if (!authorization.isEmpty())
        headers.append({"Authorization", authorization});
    const Answer answer = call("GET", QStringLiteral("/api/stats"), {}, {}, headers);
    QCOMPARE(answer.status, status);
    if (status == 401) {
        QCOMPARE(answer.json.value(QStringLiteral("rule")).toString(), QStringLiteral("bearer-token"));
        QVERIFY(answer.headers.value("www-authenticate").startsWith("Bearer"));
    }
}

void TestAdminApi::foreignOriginsAreAlwaysRefused()
{
    const QByteArray own = "http://127.0.0.1:" + QByteArray::number(m_engine->port());
    QCOMPARE(call("GET", QStringLiteral("/api/clients"), {}, kToken, {{"Origin", own}}).status, 200);
    // Even with the right token, and even an Origin allow-listed for WebSockets.
    for (const QByteArray &origin : {QByteArray("https://evil.example"), QByteArray("http://localhost:5173"),
                                    QByteArray("http://127.0.0.1:1")}) {
        const Answer answer = call("GET", QStringLiteral("/api/clients"), {}, kToken, {{"Origin", origin}});
        QCOMPARE(answer.status, 403);
        QCOMPARE(answer.json.value(QStringLiteral("rule")).toString(), QStringLiteral("same-origin"));
        const Answer action = call("POST", QStringLiteral("/api/close"), R"({"all":true})", kToken, {{"Origin", origin}});
        QCOMPARE(action.status, 403);
    }
}

void TestAdminApi::listsClientsWithTheirMetadata()
{
    QCOMPARE(call("GET", QStringLiteral("/api/clients")).json.value(QStringLiteral("clients")).toArray().size(), 0);
    auto echo = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")), {QStringLiteral("soap")});
    QVERIFY(echo);
    QTRY_COMPARE(m_engine->clients().size(), 1);
    const quint64 echoId = m_engine->clients().first().id;
    auto chat = std::make_unique<QWebSocket>(QStringLiteral("http://127.0.0.1:%1").arg(m_engine->port()));
    QSignalSpy connected(chat.get(), &QWebSocket::connected);
    QNetworkRequest request(m_engine->webSocketUrl(QStringLiteral("/chat/lobby")));
    request.setRawHeader("User-Agent", "tst_adminapi/1.0");
    chat->open(request);
    QVERIFY(connected.wait(5000));
    QTRY_COMPARE(m_engine->clients().size(), 2);

    const Answer answer = call("GET", QStringLiteral("/api/clients"));
    QCOMPARE(answer.status, 200);
    const QJsonArray clients = answer.json.value(QStringLiteral("clients")).toArray();
    QCOMPARE(clients.size(), 2);
    const QStringList keys{"id", "peer", "route", "path", "room", "subprotocol", "origin", "userAgent",
                           "connectedAt", "messagesIn", "messagesOut", "bytesIn", "bytesOut", "bytesToWrite",
                           "lastRttMs", "state", "closeCode", "closeReason", "closedBy"};
    for (const QJsonValue &value : clients) {
        const QJsonObject client = value.toObject();
        for (const QString &key : keys)
            QVERIFY2(client.contains(key), qPrintable(key));
        QVERIFY(QDateTime::fromString(client.value(QStringLiteral("connectedAt")).toString(), Qt::ISODateWithMs).isValid());
        QVERIFY(client.value(QStringLiteral("peer")).toString().startsWith(QLatin1String("127.0.0.1:")));
        QCOMPARE(client.value(QStringLiteral("state")).toString(), QStringLiteral("open"));
        QVERIFY(client.value(QStringLiteral("closeCode")).isNull());
        QVERIFY(client.value(QStringLiteral("lastRttMs")).isNull());
    }
    const QJsonObject first = clients.at(0).toObject();
    QCOMPARE(first.value(QStringLiteral("id")).toInteger(), qint64(echoId));
    QCOMPARE(first.value(QStringLiteral("route")).toString(), QStringLiteral("/ws"));
    QVERIFY(first.value(QStringLiteral("room")).isNull());
    QCOMPARE(first.value(QStringLiteral("subprotocol")).toString(), QStringLiteral("soap"));
    QVERIFY(first.value(QStringLiteral("origin")).isNull());
    const QJsonObject second = clients.at(1).toObject();
    QCOMPARE(second.value(QStringLiteral("route")).toString(), QStringLiteral("/chat/:room"));
    QCOMPARE(second.value(QStringLiteral("path")).toString(), QStringLiteral("/chat/lobby"));
    QCOMPARE(second.value(QStringLiteral("room")).toString(), QStringLiteral("lobby"));
    QVERIFY(second.value(QStringLiteral("subprotocol")).isNull());
    QCOMPARE(second.value(QStringLiteral("userAgent")).toString(), QStringLiteral("tst_adminapi/1.0"));
    QCOMPARE(second.value(QStringLiteral("origin")).toString(), QStringLiteral("http://127.0.0.1:%1").arg(m_engine->port()));

    // Counters move with traffic.
    QSignalSpy echoed(echo.get(), &QWebSocket::textMessageReceived);
    echo->sendTextMessage(QStringLiteral("hello"));
    QVERIFY(echoed.wait(5000));
    const QJsonObject after = call("GET", clientPath(echoId)).json;
    QCOMPARE(after.value(QStringLiteral("messagesIn")).toInt(), 1);
    QCOMPARE(after.value(QStringLiteral("bytesIn")).toInt(), 5);
    QCOMPARE(after.value(QStringLiteral("messagesOut")).toInt(), 1);
    QCOMPARE(after.value(QStringLiteral("bytesOut")).toInt(), 5);
}

void TestAdminApi::oneClientAndUnknownClients()
{
    quint64 id = 0;
    auto client = connectAndWait(QStringLiteral("/operator"), &id);
    QVERIFY(client);
    const Answer one = call("GET", clientPath(id));
    QCOMPARE(one.status, 200);
    QCOMPARE(one.json.value(QStringLiteral("id")).toInteger(), qint64(id));
    QCOMPARE(one.json.value(QStringLiteral("route")).toString(), QStringLiteral("/operator"));
    for (const QString &path : {clientPath(id + 100), QStringLiteral("/api/clients/abc"),
                                QStringLiteral("/api/clients/-1"), QStringLiteral("/api/clients/99999999999999999999999")}) {
        const Answer missing = call("GET", path);
        QCOMPARE(missing.status, 404);
        QCOMPARE(missing.json.value(QStringLiteral("rule")).toString(), QStringLiteral("unknown-client"));
    }
}

void TestAdminApi::routesStatsAndBans()
{
    quint64 id = 0;
    auto client = connectAndWait(QStringLiteral("/ws"), &id);
    QVERIFY(client);
    const Answer routes = call("GET", QStringLiteral("/api/routes"));
    QCOMPARE(routes.status, 200);
    const QJsonArray list = routes.json.value(QStringLiteral("routes")).toArray();
    QCOMPARE(list.size(), 4);
    QCOMPARE(list.at(0).toObject().value(QStringLiteral("path")).toString(), QStringLiteral("/ws"));
    QCOMPARE(list.at(0).toObject().value(QStringLiteral("behaviour")).toString(), QStringLiteral("echo"));
    QCOMPARE(list.at(0).toObject().value(QStringLiteral("clients")).toInt(), 1);
    QCOMPARE(list.at(0).toObject().value(QStringLiteral("subprotocols")).toArray().size(), 3);
    QCOMPARE(list.at(2).toObject().value(QStringLiteral("intervalMs")).toInt(), 200);

    const Answer stats = call("GET", QStringLiteral("/api/stats"));
    QCOMPARE(stats.status, 200);
    QCOMPARE(stats.json.value(QStringLiteral("clientsOpen")).toInt(), 1);
    QCOMPARE(stats.json.value(QStringLiteral("connectionsAccepted")).toInt(), 1);
    for (const char *key : {"uptimeMs", "requestsRefused", "messagesIn", "messagesOut", "bytesIn", "bytesOut"})
        QVERIFY2(stats.json.contains(QLatin1String(key)), key);

    const Answer bans = call("GET", QStringLiteral("/api/bans"));
    QCOMPARE(bans.status, 200);
    QCOMPARE(bans.json.value(QStringLiteral("banned")).toArray().size(), 0);

    // HEAD works on the read endpoints: same headers, no body.
    const QByteArray head = rawExchange(m_engine->port(), "HEAD /api/stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                                                              + kToken + "\r\n\r\n");
    QCOMPARE(statusOf(head), 200);
    QVERIFY(bodyOf(head).isEmpty());
}

void TestAdminApi::sendTextAndBinary()
{
    quint64 id = 0;
    auto client = connectAndWait(QStringLiteral("/operator"), &id);
    QVERIFY(client);
    QSignalSpy texts(client.get(), &QWebSocket::textMessageReceived);
    QSignalSpy binaries(client.get(), &QWebSocket::binaryMessageReceived);

    const Answer text = post(clientPath(id, "send"), {{QStringLiteral("text"), QStringLiteral("héllo ✓")}});
    QCOMPARE(text.status, 200);
    QCOMPARE(text.json.value(QStringLiteral("sent")).toInt(), 1);
    QCOMPARE(text.json.value(QStringLiteral("bytes")).toInt(), QStringLiteral("héllo ✓").toUtf8().size());
    QTRY_COMPARE(texts.size(), 1);
    QCOMPARE(texts.first().first().toString(), QStringLiteral("héllo ✓"));

    const QByteArray bytes("\x00\xff\x10\x80zz", 6);
    const Answer binary = post(clientPath(id, "send"), {{QStringLiteral("binary"), QString::fromLatin1(bytes.toBase64())}});
    QCOMPARE(binary.status, 200);
    QTRY_COMPARE(binaries.size(), 1);
    QCOMPARE(binaries.first().first().toByteArray(), bytes);
    QCOMPARE(texts.size(), 1);
}

void TestAdminApi::sendRefusals_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("rule");
    QTest::newRow("neither") << QByteArray("{}") << QStringLiteral("message-payload");
    QTest::newRow("empty body") << QByteArray() << QStringLiteral("message-payload");
    QTest::newRow("both") << QByteArray(R"({"text":"a","binary":"YQ=="})") << QStringLiteral("message-payload");
    QTest::newRow("text not a string") << QByteArray(R"({"text":5})") << QStringLiteral("message-payload");
    QTest::newRow("bad base64") << QByteArray(R"({"binary":"%%%"})") << QStringLiteral("message-payload");
    QTest::newRow("unknown key") << QByteArray(R"({"text":"a","txet":"b"})") << QStringLiteral("message-payload");
}

void TestAdminApi::sendRefusals()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, rule);
    quint64 id = 0;
    auto client = connectAndWait(QStringLiteral("/operator"), &id);
    QVERIFY(client);
    QSignalSpy received(client.get(), &QWebSocket::textMessageReceived);
    const Answer answer = call("POST", clientPath(id, "send"), body);
    QCOMPARE(answer.status, 400);
    QCOMPARE(answer.json.value(QStringLiteral("rule")).toString(), rule);
    QVERIFY(!answer.json.value(QStringLiteral("error")).toString().isEmpty());
    const Answer unknown = call("POST", clientPath(id + 1, "send"), R"({"text":"x"})");
    QCOMPARE(unknown.status, 404);
    QCOMPARE(unknown.json.value(QStringLiteral("rule")).toString(), QStringLiteral("unknown-client"));
    // Nothing was sent: the next message the client sees is this one.
    QVERIFY(m_engine->sendToClient(id, "marker", false).ok);
    QVERIFY(received.wait(5000));
    QCOMPARE(received.first().first().toString(), QStringLiteral("marker"));
}

void TestAdminApi::broadcastToEveryoneRouteAndRoom()
{
    quint64 id = 0;
    auto lobbyA = connectAndWait(QStringLiteral("/chat/lobby"), &id);
    auto lobbyB = connectAndWait(QStringLiteral("/chat/lobby"), &id);
    auto other = connectAndWait(QStringLiteral("/chat/other"), &id);
    auto op = connectAndWait(QStringLiteral("/operator"), &id);
    QVERIFY(lobbyA && lobbyB && other && op);
    std::vector<std::unique_ptr<QSignalSpy>> spies;
    for (QWebSocket *client : {lobbyA.get(), lobbyB.get(), other.get(), op.get()})
        spies.push_back(std::make_unique<QSignalSpy>(client, &QWebSocket::textMessageReceived));

    const Answer room = post(QStringLiteral("/api/broadcast"),
                             {{QStringLiteral("text"), QStringLiteral("to lobby")}, {QStringLiteral("room"), QStringLiteral("lobby")}});
    QCOMPARE(room.status, 200);
    QCOMPARE(room.json.value(QStringLiteral("delivered")).toInt(), 2);
    const Answer route = post(QStringLiteral("/api/broadcast"),
                              {{QStringLiteral("text"), QStringLiteral("to operator")}, {QStringLiteral("route"), QStringLiteral("/operator")}});
    QCOMPARE(route.json.value(QStringLiteral("delivered")).toInt(), 1);
    const Answer everyone = post(QStringLiteral("/api/broadcast"), {{QStringLiteral("binary"), QStringLiteral("AAE=")}});
    QCOMPARE(everyone.json.value(QStringLiteral("delivered")).toInt(), 4);

    QTRY_COMPARE(spies.at(0)->size(), 1);
    QTRY_COMPARE(spies.at(1)->size(), 1);
    QTRY_COMPARE(spies.at(3)->size(), 1);
    QCOMPARE(spies.at(0)->first().first().toString(), QStringLiteral("to lobby"));
    QCOMPARE(spies.at(3)->first().first().toString(), QStringLiteral("to operator"));
    QCOMPARE(spies.at(2)->size(), 0); // the other room heard nothing but the binary
}

void TestAdminApi::broadcastRefusals_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("rule");
    QTest::newRow("route and room") << QByteArray(R"({"text":"a","route":"/ws","room":"lobby"})") << QStringLiteral("broadcast-target");
    QTest::newRow("unknown route") << QByteArray(R"({"text":"a","route":"/nope"})") << QStringLiteral("broadcast-target");
    QTest::newRow("route is a path, not a pattern") << QByteArray(R"({"text":"a","route":"/chat/lobby"})") << QStringLiteral("broadcast-target");
    QTest::newRow("empty room") << QByteArray(R"({"text":"a","room":""})") << QStringLiteral("broadcast-target");
    QTest::newRow("no payload") << QByteArray(R"({"room":"lobby"})") << QStringLiteral("message-payload");
}

void TestAdminApi::broadcastRefusals()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, rule);
    const Answer answer = call("POST", QStringLiteral("/api/broadcast"), body);
    QCOMPARE(answer.status, 400);
    QCOMPARE(answer.json.value(QStringLiteral("rule")).toString(), rule);
}

void TestAdminApi::pingRecordsTheRoundTrip()
{
    quint64 id = 0;
    auto client = connectAndWait(QStringLiteral("/ws"), &id);
    QVERIFY(client);
    const Answer ping = call("POST", clientPath(id, "ping"), {}); // Content-Length: 0
    QCOMPARE(ping.status, 200);
    QCOMPARE(ping.json.value(QStringLiteral("pinged")).toInt(), 1);
    // Qt's client answers the ping by itself; the round trip shows up on the client.
    QTRY_VERIFY_WITH_TIMEOUT(!call("GET", clientPath(id)).json.value(QStringLiteral("lastRttMs")).isNull(), 5000);
    QCOMPARE(call("POST", clientPath(id + 1, "ping"), "{}").status, 404);
}

void TestAdminApi::closeWithCodeAndReason()
{
    quint64 id = 0;
    auto client = connectAndWait(QStringLiteral("/ws"), &id);
    QVERIFY(client);
    QSignalSpy disconnected(client.get(), &QWebSocket::disconnected);
    const QString reason = QStringLiteral("kicked by the API ✓");
    const Answer answer = post(clientPath(id, "close"), {{QStringLiteral("code"), 4001}, {QStringLiteral("reason"), reason}});
    QCOMPARE(answer.status, 200);
    QCOMPARE(answer.json.value(QStringLiteral("closed")).toInt(), 1);
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(int(client->closeCode()), 4001);
    QCOMPARE(client->closeReason(), reason);
    // Closed clients are no longer open: a second close is a 404.
    QTRY_COMPARE(post(clientPath(id, "close"), {{QStringLiteral("code"), 4001}}).status, 404);

    // A reason of exactly 123 bytes is fine; the code defaults to 1000.
    auto second = connectAndWait(QStringLiteral("/ws"), &id);
    QVERIFY(second);
    QSignalSpy secondGone(second.get(), &QWebSocket::disconnected);
    const QString longest(123, QLatin1Char('r'));
    QCOMPARE(post(clientPath(id, "close"), {{QStringLiteral("reason"), longest}}).status, 200);
    QTRY_COMPARE(secondGone.size(), 1);
    QCOMPARE(int(second->closeCode()), 1000);
    QCOMPARE(second->closeReason(), longest);
}

void TestAdminApi::closeRefusalsSendNothing_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("rule");
    QTest::addColumn<QString>("errorContains");
    QTest::newRow("1005") << QByteArray(R"({"code":1005,"reason":"x"})") << QStringLiteral("close-code") << QStringLiteral("1005 is reserved");
    QTest::newRow("1006") << QByteArray(R"({"code":1006})") << QStringLiteral("close-code") << QStringLiteral("1006");
    QTest::newRow("1004") << QByteArray(R"({"code":1004})") << QStringLiteral("close-code") << QStringLiteral("1004");
    QTest::newRow("2999") << QByteArray(R"({"code":2999})") << QStringLiteral("close-code") << QStringLiteral("3000-4999");
    QTest::newRow("5000") << QByteArray(R"({"code":5000})") << QStringLiteral("close-code") << QStringLiteral("3000-4999");
    QTest::newRow("not a number") << QByteArray(R"({"code":"4001"})") << QStringLiteral("close-code") << QStringLiteral("whole number");
    QTest::newRow("fraction") << QByteArray(R"({"code":4001.5})") << QStringLiteral("close-code") << QStringLiteral("whole number");
    QTest::newRow("reason 124 bytes") << QByteArray(R"({"code":4001,"reason":")" + QByteArray(124, 'r') + "\"}")
                                      << QStringLiteral("close-reason-length") << QStringLiteral("124 UTF-8 bytes");
    // 62 two-byte characters: 62 characters, but 124 bytes.
    QTest::newRow("reason 62 e-acute") << QString(QStringLiteral(R"({"code":4001,"reason":"%1"})")).arg(QString(62, QChar(0xE9))).toUtf8()
                                       << QStringLiteral("close-reason-length") << QStringLiteral("at most 123");
    QTest::newRow("reason not a string") << QByteArray(R"({"code":4001,"reason":7})") << QStringLiteral("close-reason") << QStringLiteral("string");
    QTest::newRow("unknown key") << QByteArray(R"({"code":4001,"reson":"typo"})") << QStringLiteral("json-body") << QStringLiteral("reson");
}

void TestAdminApi::closeRefusalsSendNothing()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, rule);
    QFETCH(QString, errorContains);
    quint64 id = 0;
    auto client = connectAndWait(QStringLiteral("/ws"), &id);
    QVERIFY(client);
    const Answer answer = call("POST", clientPath(id, "close"), body);
    QCOMPARE(answer.status, 400);
    QCOMPARE(answer.json.value(QStringLiteral("rule")).toString(), rule);
    QVERIFY2(answer.json.value(QStringLiteral("error")).toString().contains(errorContains), answer.body.constData());
    // The same refusal for many clients at once.
    QByteArray many = body;
    many.insert(1, "\"all\":true,");
    QCOMPARE(call("POST", QStringLiteral("/api/close"), many).status, 400);
    // Still open and served.
    QSignalSpy echoed(client.get(), &QWebSocket::textMessageReceived);
    client->sendTextMessage(QStringLiteral("still open"));
    QVERIFY(echoed.wait(5000));
    QCOMPARE(client->state(), QAbstractSocket::ConnectedState);
}

void TestAdminApi::closeMany()
{
    quint64 a = 0, b = 0, c = 0;
    auto clientA = connectAndWait(QStringLiteral("/ws"), &a);
    auto clientB = connectAndWait(QStringLiteral("/chat/x"), &b);
    auto clientC = connectAndWait(QStringLiteral("/operator"), &c);
    QVERIFY(clientA && clientB && clientC);
    QSignalSpy goneA(clientA.get(), &QWebSocket::disconnected);
    QSignalSpy goneB(clientB.get(), &QWebSocket::disconnected);
    QSignalSpy goneC(clientC.get(), &QWebSocket::disconnected);

    const Answer none = post(QStringLiteral("/api/close"), {{QStringLiteral("code"), 4000}});
    QCOMPARE(none.status, 400);
    QCOMPARE(none.json.value(QStringLiteral("rule")).toString(), QStringLiteral("close-targets"));
    QCOMPARE(call("POST", QStringLiteral("/api/close"), R"({"ids":"1"})").status, 400);
    QCOMPARE(call("POST", QStringLiteral("/api/close"), R"({"ids":[1.5]})").status, 400);
    const Answer missing = post(QStringLiteral("/api/close"), {{QStringLiteral("ids"), QJsonArray{999, 998}}});
    QCOMPARE(missing.status, 404);
    QCOMPARE(missing.json.value(QStringLiteral("rule")).toString(), QStringLiteral("unknown-client"));

    const Answer two = post(QStringLiteral("/api/close"),
                            {{QStringLiteral("ids"), QJsonArray{double(a), double(b), 999}},
                             {QStringLiteral("code"), 4002},
                             {QStringLiteral("reason"), QStringLiteral("two of you")}});
    QCOMPARE(two.status, 200);
    QCOMPARE(two.json.value(QStringLiteral("closed")).toInt(), 2);
    QCOMPARE(two.json.value(QStringLiteral("missing")).toArray(), QJsonArray{999});
    QTRY_COMPARE(goneA.size(), 1);
    QTRY_COMPARE(goneB.size(), 1);
    QCOMPARE(int(clientA->closeCode()), 4002);
    QCOMPARE(clientB->closeReason(), QStringLiteral("two of you"));
    QCOMPARE(goneC.size(), 0);

    const Answer all = post(QStringLiteral("/api/close"), {{QStringLiteral("all"), true}, {QStringLiteral("code"), 4005}});
    QCOMPARE(all.status, 200);
    QCOMPARE(all.json.value(QStringLiteral("closed")).toInt(), 1);
    QTRY_COMPARE(goneC.size(), 1);
    QCOMPARE(int(clientC->closeCode()), 4005); // not 1012: Qt 6.4's own client rejects 1012-1014 as 1002
    // "all" with nobody left is not an error.
    QTRY_COMPARE(m_engine->openClientCount(), 0);
    QCOMPARE(post(QStringLiteral("/api/close"), {{QStringLiteral("all"), true}}).json.value(QStringLiteral("closed")).toInt(), 0);
}

void TestAdminApi::unknownPathAndWrongMethod()
{
    for (const QString &path : {QStringLiteral("/api"), QStringLiteral("/api/"), QStringLiteral("/api/nope"),
                                QStringLiteral("/api/clients/1/explode"), QStringLiteral("/api/clients/1/close/x")}) {
        const Answer answer = call("GET", path);
        QCOMPARE(answer.status, 404);
        QCOMPARE(answer.json.value(QStringLiteral("rule")).toString(), QStringLiteral("not-found"));
        QVERIFY(answer.json.value(QStringLiteral("error")).toString().contains(QLatin1String("GET /api/clients")));
    }
    const Answer getOnPost = call("GET", QStringLiteral("/api/close"));
    QCOMPARE(getOnPost.status, 405);
    QCOMPARE(getOnPost.headers.value("allow"), QByteArray("POST"));
    QCOMPARE(getOnPost.json.value(QStringLiteral("rule")).toString(), QStringLiteral("method-not-allowed"));
    const Answer postOnGet = call("POST", QStringLiteral("/api/clients"), "{}");
    QCOMPARE(postOnGet.status, 405);
    QCOMPARE(postOnGet.headers.value("allow"), QByteArray("GET, HEAD"));
    const Answer deleteClient = call("DELETE", QStringLiteral("/api/clients/1"));
    QCOMPARE(deleteClient.status, 405);
    QCOMPARE(deleteClient.headers.value("content-type"), QByteArray("application/json"));
}

void TestAdminApi::bodyFraming_data()
{
    const QByteArray auth = "Authorization: Bearer " + kToken + "\r\n";
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("errorContains");
    QTest::newRow("no Content-Length") << QByteArray("POST /api/close HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n") << 411
                                       << QStringLiteral("Content-Length header is required");
    QTest::newRow("chunked") << QByteArray("POST /api/close HTTP/1.1\r\nHost: x\r\n" + auth
                                           + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n0\r\n\r\n")
                             << 411 << QStringLiteral("chunked");
    QTest::newRow("chunked and Content-Length") << QByteArray("POST /api/close HTTP/1.1\r\nHost: x\r\n" + auth
                                                              + "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}")
                                                << 411 << QStringLiteral("chunked");
    QTest::newRow("Content-Length not a number") << QByteArray("POST /api/close HTTP/1.1\r\nHost: x\r\n" + auth
                                                               + "Content-Length: two\r\n\r\n{}")
                                                 << 400 << QStringLiteral("invalid Content-Length");
    QTest::newRow("negative Content-Length") << QByteArray("POST /api/close HTTP/1.1\r\nHost: x\r\n" + auth
                                                           + "Content-Length: -2\r\n\r\n{}")
                                             << 400 << QStringLiteral("invalid Content-Length");
    QTest::newRow("two Content-Lengths") << QByteArray("POST /api/close HTTP/1.1\r\nHost: x\r\n" + auth
                                                       + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}")
                                         << 400 << QStringLiteral("invalid Content-Length");
    QTest::newRow("too large, refused on the head") << QByteArray("POST /api/close HTTP/1.1\r\nHost: x\r\n" + auth
                                                                  + "Content-Length: 65537\r\n\r\n")
                                                    << 413 << QStringLiteral("at most 65536");
    QTest::newRow("exactly the limit is read") << QByteArray("POST /api/close HTTP/1.1\r\nHost: x\r\n" + auth
                                                             + "Content-Length: 65536\r\n\r\n" + QByteArray(65536, ' '))
                                               << 400 << QStringLiteral("\"all\": true");
    QTest::newRow("body over two reads") << QByteArray("POST /api/close HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: "
                                                       + QByteArray::number(40000 + 12) + "\r\n\r\n{\"all\":true}" + QByteArray(40000, '\n'))
                                         << 200 << QString();
}

void TestAdminApi::bodyFraming()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    QFETCH(QString, errorContains);
    const QByteArray answer = rawExchange(m_engine->port(), request);
    QCOMPARE(statusOf(answer), status);
    QVERIFY(answer.contains("Content-Type: application/json"));
    const QJsonObject json = QJsonDocument::fromJson(bodyOf(answer)).object();
    if (!errorContains.isEmpty())
        QVERIFY2(json.value(QStringLiteral("error")).toString().contains(errorContains), bodyOf(answer).constData());
    // The server is fine afterwards.
    QCOMPARE(call("GET", QStringLiteral("/api/stats")).status, 200);
}

void TestAdminApi::bodyTooLargeThroughQNetworkAccessManager()
{
    // The client is still uploading when the 413 comes: it must get the answer, not a reset.
    const Answer answer = call("POST", QStringLiteral("/api/broadcast"), QByteArray(1024 * 1024, 'x'));
    QCOMPARE(answer.status, 413);
    QCOMPARE(answer.json.value(QStringLiteral("rule")).toString(), QStringLiteral("body-size"));
    QVERIFY(answer.json.value(QStringLiteral("error")).toString().contains(QLatin1String("1048576 bytes")));
}

void TestAdminApi::slowBodyGets408()
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_engine->port());
    QVERIFY(socket.waitForConnected(5000));
    socket.write("POST /api/close HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken
                 + "\r\nContent-Length: 20\r\n\r\n{\"all\":");
    QSignalSpy closed(&socket, &QTcpSocket::disconnected);
    QVERIFY(closed.wait(5000));
    const QByteArray answer = socket.readAll();
    QCOMPARE(statusOf(answer), 408);
    const QJsonObject json = QJsonDocument::fromJson(bodyOf(answer)).object();
    QCOMPARE(json.value(QStringLiteral("rule")).toString(), QStringLiteral("body-timeout"));
    QVERIFY(json.value(QStringLiteral("error")).toString().contains(QLatin1String("body was not complete within 500 ms")));
}

void TestAdminApi::expect100Continue()
{
    quint64 id = 0;
    auto client = connectAndWait(QStringLiteral("/ws"), &id);
    QVERIFY(client);
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_engine->port());
    QVERIFY(socket.waitForConnected(5000));
    const QByteArray body = R"({"code":4003})";
    socket.write("POST /api/clients/" + QByteArray::number(id) + "/close HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                 + kToken + "\r\nExpect: 100-continue\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n");
    QByteArray received;
    QSignalSpy readable(&socket, &QTcpSocket::readyRead);
    while (!received.contains("\r\n\r\n")) {
        QVERIFY(readable.wait(5000));
        received += socket.readAll();
    }
    QCOMPARE(received, QByteArray("HTTP/1.1 100 Continue\r\n\r\n"));
    QSignalSpy closed(&socket, &QTcpSocket::disconnected);
    socket.write(body);
    QVERIFY(closed.wait(5000));
    const QByteArray answer = socket.readAll();
    QCOMPARE(statusOf(answer), 200);
    QTRY_COMPARE(int(client->closeCode()), 4003);
}

void TestAdminApi::invalidJson()
{
    for (const QByteArray &body : {QByteArray("{"), QByteArray("[1,2]"), QByteArray("\"text\""), QByteArray("nul")}) {
        const Answer answer = call("POST", QStringLiteral("/api/broadcast"), body);
        QCOMPARE(answer.status, 400);
        QCOMPARE(answer.json.value(QStringLiteral("rule")).toString(), QStringLiteral("json-body"));
    }
}

void TestAdminApi::everyActionIsLogged()
{
    quint64 id = 0;
    auto client = connectAndWait(QStringLiteral("/operator"), &id);
    QVERIFY(client);
    RecordCollector records(m_engine.get());
    QCOMPARE(post(clientPath(id, "send"), {{QStringLiteral("text"), QStringLiteral("hi")}}).status, 200);
    QCOMPARE(post(QStringLiteral("/api/broadcast"), {{QStringLiteral("text"), QStringLiteral("all")}}).status, 200);
    QCOMPARE(call("POST", clientPath(id, "ping"), "").status, 200);
    QCOMPARE(post(clientPath(id, "close"), {{QStringLiteral("code"), 1005}}).status, 400);
    QCOMPARE(post(clientPath(id, "close"), {{QStringLiteral("code"), 4001}, {QStringLiteral("reason"), QStringLiteral("bye")}}).status, 200);

    const auto action = [&](LogRecord::Kind kind, const QString &prefix) {
        return [=](const LogRecord &r) {
            return r.direction == LogRecord::Direction::System && r.kind == kind && r.detail.startsWith(prefix);
        };
    };
    QTRY_VERIFY(records.has(action(LogRecord::Kind::Text, QStringLiteral("api: send 2 bytes of text to client %1").arg(id))));
    QVERIFY(records.has(action(LogRecord::Kind::Text, QStringLiteral("api: broadcast 3 bytes of text to everyone"))));
    QVERIFY(records.has(action(LogRecord::Kind::Ping, QStringLiteral("api: ping client %1").arg(id))));
    QVERIFY(records.has(action(LogRecord::Kind::Close, QStringLiteral("api: close client %1 with 4001 \"bye\"").arg(id))));
    // The refused close is in the log too, as a refusal with the API's reason.
    QVERIFY(records.has([](const LogRecord &r) {
        return r.kind == LogRecord::Kind::Refused && r.closeCode == 400 && r.detail.contains(QLatin1String("api: close code 1005"));
    }));
    // And the client's own records carry the client id.
    QVERIFY(records.has([id](const LogRecord &r) {
        return r.clientId == id && r.kind == LogRecord::Kind::Close && r.direction == LogRecord::Direction::System;
    }));
}

void TestAdminApi::banAndUnban()
{
    quint64 id = 0;
    auto client = connectAndWait(QStringLiteral("/ws"), &id);
    QVERIFY(client);
    QSignalSpy gone(client.get(), &QWebSocket::disconnected);
    QCOMPARE(post(QStringLiteral("/api/ban"), {{QStringLiteral("address"), QStringLiteral("not an ip")}}).status, 400);
    const Answer banned = post(QStringLiteral("/api/ban"), {{QStringLiteral("address"), QStringLiteral("127.0.0.1")}});
    QCOMPARE(banned.status, 200);
    QCOMPARE(banned.json.value(QStringLiteral("closed")).toInt(), 1);
    QTRY_COMPARE(gone.size(), 1);
    QCOMPARE(int(client->closeCode()), 1008);
    QCOMPARE(call("GET", QStringLiteral("/api/bans")).json.value(QStringLiteral("banned")).toArray(),
             QJsonArray{QStringLiteral("127.0.0.1")});
    // The API itself stays reachable from a banned address: the ban is about WebSockets.
    QCOMPARE(post(QStringLiteral("/api/unban"), {{QStringLiteral("address"), QStringLiteral("127.0.0.1")}}).status, 200);
    QCOMPARE(post(QStringLiteral("/api/unban"), {{QStringLiteral("address"), QStringLiteral("127.0.0.1")}}).status, 404);
    QVERIFY(connectClient(m_engine->webSocketUrl(QStringLiteral("/ws"))));
}

void TestAdminApi::curlDrivesTheApi()
{
    const QString curl = QStandardPaths::findExecutable(QStringLiteral("curl"));
    // scripts/install-deps.sh test installs curl: its absence is a broken set-up, not a skip.
    QVERIFY2(!curl.isEmpty(), "curl is not installed; run scripts/install-deps.sh test");
    quint64 id = 0;
    auto client = connectAndWait(QStringLiteral("/chat/lobby"), &id);
    QVERIFY(client);
    QSignalSpy received(client.get(), &QWebSocket::textMessageReceived);

    // The README's example, nearly verbatim. Run asynchronously: the server lives on this thread.
    QProcess process;
    process.start(curl, {QStringLiteral("--silent"), QStringLiteral("--show-error"), QStringLiteral("--noproxy"),
                         QStringLiteral("*"), QStringLiteral("--write-out"), QStringLiteral("\n%{http_code}"),
                         QStringLiteral("-H"), QStringLiteral("Authorization: Bearer %1").arg(QString::fromLatin1(kToken)),
                         QStringLiteral("-H"), QStringLiteral("Content-Type: application/json"),
                         QStringLiteral("-d"), QStringLiteral(R"({"text":"hello from curl","room":"lobby"})"),
                         QStringLiteral("http://127.0.0.1:%1/api/broadcast").arg(m_engine->port())});
    QSignalSpy finished(&process, &QProcess::finished);
    QVERIFY(finished.wait(20000));
    QCOMPARE(process.exitCode(), 0);
    const QList<QByteArray> lines = process.readAllStandardOutput().split('\n');
    QCOMPARE(lines.constLast(), QByteArray("200"));
    QCOMPARE(QJsonDocument::fromJson(lines.first()).object().value(QStringLiteral("delivered")).toInt(), 1);
    QTRY_COMPARE(received.size(), 1);
    QCOMPARE(received.first().first().toString(), QStringLiteral("hello from curl"));
}

void TestAdminApi::tokenIsNeverLogged()
{
    quint64 id = 0;
    auto client = connectAndWait(QStringLiteral("/ws"), &id);
    QVERIFY(client);
    RecordCollector records(m_engine.get());
    g_messages.clear();
    QCOMPARE(call("GET", QStringLiteral("/api/clients")).status, 200);
    QCOMPARE(call("GET", QStringLiteral("/api/clients"), {}, "wrong-" + kToken).status, 401);
    QCOMPARE(post(clientPath(id, "close"), {{QStringLiteral("code"), 1005}}).status, 400);
    QCOMPARE(post(clientPath(id, "close"), {{QStringLiteral("code"), 4000}}).status, 200);
    QTRY_VERIFY(records.has([](const LogRecord &r) { return r.kind == LogRecord::Kind::Close && r.closeCode == 4000; }));
    QVERIFY(!g_messages.isEmpty()); // the API did log (switchboard.* debug is on)
    for (const QString &message : std::as_const(g_messages))
        QVERIFY2(!message.contains(QLatin1String(kToken)), qPrintable(message));
    for (const LogRecord &record : records.all()) {
        QVERIFY(!record.detail.contains(QLatin1String(kToken)));
        QVERIFY(!record.payload.contains(kToken));
    }
}

void TestAdminApi::adminTokenFromConfigFile_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("error");
    QTest::newRow("set") << QByteArray(R"({"adminToken": "abc-123"})") << QString();
    QTest::newRow("not a string") << QByteArray(R"({"adminToken": 123})") << QStringLiteral("api.json: adminToken: must be a string");
    QTest::newRow("empty") << QByteArray(R"({"adminToken": ""})") << QStringLiteral("api.json: adminToken: must not be empty");
    QTest::newRow("space") << QByteArray(R"({"adminToken": "two words"})") << QStringLiteral("api.json: adminToken: may only hold visible ASCII");
    QTest::newRow("misspelt") << QByteArray(R"({"admintoken": "x"})") << QStringLiteral("api.json: admintoken: unknown key");
    QTest::newRow("later error") << QByteArray(R"({"adminToken": "ok", "port": -1})") << QStringLiteral("api.json: port:");
}

void TestAdminApi::adminTokenFromConfigFile()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, error);
    ServerConfig config;
    QString message;
    const bool loaded = config.loadJson(json, QStringLiteral("api.json"), &message);
    if (error.isEmpty()) {
        QVERIFY2(loaded, qPrintable(message));
        QCOMPARE(config.adminToken, QStringLiteral("abc-123"));
        return;
    }
    QVERIFY(!loaded);
    QVERIFY2(message.startsWith(error), qPrintable(message));
    QVERIFY(config.adminToken.isEmpty()); // nothing half-applied
}

void TestAdminApi::adminTokenFlag()
{
    CommandLineOptions options;
    QCOMPARE(CommandLine::parse({QStringLiteral("switchboard"), QStringLiteral("--admin-token"), QStringLiteral("T")}, &options),
             CommandLine::Outcome::Run);
    QCOMPARE(options.config.adminToken, QStringLiteral("T"));
    CommandLineOptions none;
    QCOMPARE(CommandLine::parse({QStringLiteral("switchboard")}, &none), CommandLine::Outcome::Run);
    QVERIFY(none.config.adminToken.isEmpty());
    QCOMPARE(CommandLine::parse({QStringLiteral("switchboard"), QStringLiteral("--admin-token"), QStringLiteral("a b")}, &options),
             CommandLine::Outcome::ExitError);
}

QTEST_GUILESS_MAIN(TestAdminApi)
#include "tst_adminapi.moc"
