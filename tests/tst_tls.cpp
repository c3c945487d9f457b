// TLS: https and wss on the one port with a certificate made by scripts/make-dev-cert.sh at test
// time, clear startup errors for bad files, and handshake failures that disturb nobody else.
#include "TestSupport.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>
#include <array>
#include <csignal>

using namespace TestSupport;

namespace {

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

bool hasRecord(RecordCollector &records, LogRecord::Kind kind, const QString &detailPart)
{
    return records.has([&](const LogRecord &record) {
        return record.kind == kind && record.detail.contains(detailPart);
    });
}

void expectEcho(QWebSocket &client, const QString &text = QStringLiteral("still served"))
{
    QSignalSpy echoed(&client, &QWebSocket::textMessageReceived);
    client.sendTextMessage(text);
    QVERIFY(echoed.wait(5000));
    QCOMPARE(echoed.first().first().toString(), text);
}

} // namespace

class TestTls : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void wssEchoAndSecureUrls();
    void httpsPagesAndHealth();
    void ownHttpsOriginsPassForeignGets403();
    void plainHttpOnTlsPortIsDroppedAndLogged();
    void distrustingClientFailsAloneAndIsLogged();
    void stalledHandshakeTimesOut();
    void handshakesCountAgainstTheCaps();
    void slowConsumerCountsEncryptedBytes();
    void badFilesFailStartClearly_data();
    void badFilesFailStartClearly();
    void headlessServesHttpsAndWss();
    void headlessBadCertExitsWithClearError_data();
    void headlessBadCertExitsWithClearError();
    void configFileKeysAreRelativeToTheFile();

private:
    ServerConfig tlsConfig() const;
    QByteArray httpsGet(const QUrl &url, int *status);
    // The failures of this reason that the engine's /metrics counts.
    QByteArray tlsFailureSample(const Engine &engine, const char *reason);

    QTemporaryDir m_dir;
    QString m_cert, m_key;           // the trusted development certificate
    QString m_otherCert, m_otherKey; // a second pair, for mismatches
};

void TestTls::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QString error;
    for (const QString &name : {QStringLiteral("dev"), QStringLiteral("other")})
        QVERIFY2(makeDevCert(m_dir.filePath(name), &error), qPrintable(error));
    m_cert = m_dir.filePath(QStringLiteral("dev/cert.pem"));
    m_key = m_dir.filePath(QStringLiteral("dev/key.pem"));
    m_otherCert = m_dir.filePath(QStringLiteral("other/cert.pem"));
    m_otherKey = m_dir.filePath(QStringLiteral("other/key.pem"));
    QCOMPARE(QFile::permissions(m_key) & (QFile::ReadGroup | QFile::ReadOther), QFile::Permissions());
    // The script never overwrites a key.
    QVERIFY(!makeDevCert(m_dir.filePath(QStringLiteral("dev")), &error));
    QVERIFY2(error.contains(QStringLiteral("exists")), qPrintable(error));

    // Trust the development certificate the way a user adds it to a client: as a CA.
    const QList<QSslCertificate> trusted = QSslCertificate::fromPath(m_cert);
    QCOMPARE(trusted.size(), 1);
    QSslConfiguration defaults = QSslConfiguration::defaultConfiguration();
    defaults.addCaCertificates(trusted);
    QSslConfiguration::setDefaultConfiguration(defaults);
}

ServerConfig TestTls::tlsConfig() const
{
    ServerConfig config;
    config.tlsCertPath = m_cert;
    config.tlsKeyPath = m_key;
    return config;
}

QByteArray TestTls::httpsGet(const QUrl &url, int *status)
{
    QNetworkAccessManager manager;
    std::unique_ptr<QNetworkReply> reply(manager.get(QNetworkRequest(url)));
    QSignalSpy finished(reply.get(), &QNetworkReply::finished);
    if (!finished.wait(10000))
        return {};
    if (reply->error() != QNetworkReply::NoError)
        qWarning() << url << reply->errorString();
    *status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    return reply->readAll();
}

QByteArray TestTls::tlsFailureSample(const Engine &engine, const char *reason)
{
    QUrl url = engine.httpUrl();
    url.setPath(QStringLiteral("/metrics"));
    int status = 0;
    const QByteArray prefix = QByteArray("switchboard_tls_handshake_failures_total{reason=\"") + reason + "\"} ";
    for (const QByteArray &line : httpsGet(url, &status).split('\n')) {
        if (line.startsWith(prefix))
            return line;
    }
    return {};
}

void TestTls::wssEchoAndSecureUrls()
{
    auto engine = startEngine(tlsConfig());
    QVERIFY(engine);
    QCOMPARE(engine->httpUrl().scheme(), QStringLiteral("https"));
    const QUrl wss = engine->webSocketUrl(QStringLiteral("/ws"));
    QCOMPARE(wss.scheme(), QStringLiteral("wss"));
    for (const QString &host : {QStringLiteral("127.0.0.1"), QStringLiteral("localhost")}) {
        QUrl url = wss;
        url.setHost(host); // the certificate names both
        auto client = connectClient(url);
        QVERIFY2(client, qPrintable(url.toString()));
        const QSsl::SslProtocol protocol = client->sslConfiguration().sessionProtocol();
        QVERIFY(protocol == QSsl::TlsV1_2 || protocol == QSsl::TlsV1_3);
        expectEcho(*client, QStringLiteral("hello over wss via ") + host);
    }
    // The server speaks TLS only: a plain ws:// client does not get through.
    QUrl plain = wss;
    plain.setScheme(QStringLiteral("ws"));
    QVERIFY(!connectClient(plain));
}

void TestTls::httpsPagesAndHealth()
{
    auto engine = startEngine(tlsConfig());
    QVERIFY(engine);
    QUrl url = engine->httpUrl();
    int status = 0;
    url.setPath(QStringLiteral("/healthz"));
    const QJsonObject health = QJsonDocument::fromJson(httpsGet(url, &status)).object();
    QCOMPARE(status, 200);
    QCOMPARE(health.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    url.setPath(QStringLiteral("/"));
    QVERIFY(httpsGet(url, &status).contains("<html"));
    QCOMPARE(status, 200);
    url.setPath(QStringLiteral("/nope"));
    httpsGet(url, &status);
    QCOMPARE(status, 404);
}

void TestTls::ownHttpsOriginsPassForeignGets403()
{
    auto engine = startEngine(tlsConfig());
    QVERIFY(engine);
    RecordCollector records(engine.get());
    const QByteArray port = QByteArray::number(engine->port());
    for (const QByteArray &origin : {"https://127.0.0.1:" + port, "https://localhost:" + port})
        QVERIFY2(connectClient(engine->webSocketUrl(QStringLiteral("/ws")), {}, origin), origin.constData());
    QVERIFY(!connectClient(engine->webSocketUrl(QStringLiteral("/ws")), {}, "https://evil.example"));
    QTRY_VERIFY(records.has([](const LogRecord &record) {
        return record.kind == LogRecord::Kind::Refused && record.closeCode == 403;
    }));
}

void TestTls::plainHttpOnTlsPortIsDroppedAndLogged()
{
    auto engine = startEngine(tlsConfig());
    QVERIFY(engine);
    auto served = connectClient(engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(served);
    RecordCollector records(engine.get());
    // No answer in clear text: the port speaks TLS only, and says why in the log.
    QCOMPARE(rawExchange(engine->port(), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), QByteArray());
    QTRY_VERIFY(hasRecord(records, LogRecord::Kind::Error, QStringLiteral("plain http:// sent to this https:// port")));
    QCOMPARE(tlsFailureSample(*engine, "not_tls"), QByteArray("switchboard_tls_handshake_failures_total{reason=\"not_tls\"} 1"));
    expectEcho(*served);
}

void TestTls::distrustingClientFailsAloneAndIsLogged()
{
    auto engine = startEngine(tlsConfig());
    QVERIFY(engine);
    auto served = connectClient(engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(served);
    RecordCollector records(engine.get());

    QWebSocket distrusting;
    QSslConfiguration noTrust = QSslConfiguration::defaultConfiguration();
    noTrust.setCaCertificates({});
    distrusting.setSslConfiguration(noTrust);
    QSignalSpy sslErrors(&distrusting, &QWebSocket::sslErrors);
    QSignalSpy disconnected(&distrusting, &QWebSocket::disconnected);
    distrusting.open(engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(disconnected.wait(5000));
    QVERIFY(!sslErrors.isEmpty());
    QTRY_VERIFY(hasRecord(records, LogRecord::Kind::Error, QStringLiteral("TLS handshake failed")));
    QCOMPARE(tlsFailureSample(*engine, "error"), QByteArray("switchboard_tls_handshake_failures_total{reason=\"error\"} 1"));
    expectEcho(*served);
}

void TestTls::stalledHandshakeTimesOut()
{
    ServerConfig config = tlsConfig();
    config.headTimeoutMs = 300;
    auto engine = startEngine(config);
    QVERIFY(engine);
    RecordCollector records(engine.get());
    QTcpSocket silent; // connects and never says hello
    QSignalSpy dropped(&silent, &QTcpSocket::disconnected);
    silent.connectToHost(QHostAddress::LocalHost, engine->port());
    QVERIFY(dropped.wait(5000));
    QTRY_VERIFY(hasRecord(records, LogRecord::Kind::Error, QStringLiteral("no TLS handshake within 300 ms")));
    QCOMPARE(tlsFailureSample(*engine, "timeout"), QByteArray("switchboard_tls_handshake_failures_total{reason=\"timeout\"} 1"));
}

void TestTls::handshakesCountAgainstTheCaps()
{
    // Issue 21: a connection that has not finished its TLS handshake holds a place in the caps, as one
    // that has not finished its request head does; otherwise silent sockets hold descriptors uncounted.
    ServerConfig config = tlsConfig();
    config.maxConnectionsPerIp = 2;
    config.headTimeoutMs = 30000;
    auto engine = startEngine(config);
    QVERIFY(engine);
    RecordCollector records(engine.get());
    std::array<QTcpSocket, 2> silent; // connect and never say hello
    for (QTcpSocket &socket : silent) {
        QSignalSpy connected(&socket, &QTcpSocket::connected);
        socket.connectToHost(QHostAddress::LocalHost, engine->port());
        QVERIFY(connected.wait(5000));
    }
    // The third is closed before its handshake (no HTTP answer can be read without TLS), and logged.
    QSslSocket third;
    QSignalSpy thirdDropped(&third, &QSslSocket::disconnected);
    third.connectToHostEncrypted(QStringLiteral("127.0.0.1"), engine->port());
    QVERIFY(thirdDropped.wait(5000));
    QVERIFY(!third.isEncrypted());
    QTRY_VERIFY(hasRecord(records, LogRecord::Kind::Refused, QStringLiteral("closed before the TLS handshake")));
    QVERIFY(hasRecord(records, LogRecord::Kind::Refused, QStringLiteral("already has 2 connections")));
    // A silent one leaving gives its place back: a wss client gets in.
    silent[0].abort();
    QTRY_VERIFY(hasRecord(records, LogRecord::Kind::Error, QStringLiteral("TLS handshake failed")));
    std::unique_ptr<QWebSocket> client = connectClient(engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    expectEcho(*client);
}

void TestTls::slowConsumerCountsEncryptedBytes()
{
    // Over TLS the queue grows as encrypted bytes, which QWebSocket::bytesToWrite() does not see.
    ServerConfig config = tlsConfig();
    config.maxBufferedBytes = 256 * 1024;
    config.shutdownGraceMs = 300;
    auto engine = startEngine(config);
    QVERIFY(engine);
    auto healthy = connectClient(engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(healthy);

    QSslSocket stalled;
    QSignalSpy encrypted(&stalled, &QSslSocket::encrypted);
    stalled.connectToHostEncrypted(QStringLiteral("127.0.0.1"), engine->port());
    QVERIFY(encrypted.wait(5000));
    stalled.write(upgradeRequest("/operator"));
    QTRY_VERIFY_WITH_TIMEOUT(stalled.canReadLine(), 5000);
    QVERIFY(stalled.readLine().startsWith("HTTP/1.1 101"));
    stalled.setReadBufferSize(16 * 1024); // and from now on never reads

    QSignalSpy changes(engine.get(), &Engine::clientsChanged);
    QTRY_COMPARE(engine->openClientCount(), 2);
    const quint64 stalledId = clientIdOnRoute(*engine, QStringLiteral("/operator"));
    const QByteArray chunk(64 * 1024, 'z');
    for (int i = 0; i < 400 && engine->openClientCount() == 2; ++i) {
        engine->sendToClient(stalledId, chunk, true);
        QCoreApplication::processEvents();
    }
    const ClientInfo closed = waitUntilClosed(changes, stalledId);
    QCOMPARE(closed.closeCode, 1013);
    QVERIFY(closed.closeReason.startsWith(QStringLiteral("slow consumer")));
    expectEcho(*healthy);
}

void TestTls::badFilesFailStartClearly_data()
{
    QTest::addColumn<QString>("cert");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("named"); // the file the message must name
    QTest::addColumn<QString>("why");

    const QString garbage = m_dir.filePath(QStringLiteral("garbage.pem"));
    QVERIFY(writeFile(garbage, "this is not PEM\n"));
    const QString encrypted = m_dir.filePath(QStringLiteral("encrypted-key.pem"));
    const ProcessRun pkey = runToEnd(QStringLiteral("openssl"), {QStringLiteral("pkey"), QStringLiteral("-in"), m_key,
                                                          QStringLiteral("-aes256"), QStringLiteral("-passout"),
                                                          QStringLiteral("pass:secret"), QStringLiteral("-out"), encrypted});
    QVERIFY2(pkey.exitCode == 0, pkey.err.constData());
    const QString missing = m_dir.filePath(QStringLiteral("missing.pem"));

    QTest::newRow("missing cert") << missing << m_key << missing << "cannot read the TLS certificate";
    QTest::newRow("garbage cert") << garbage << m_key << garbage << "no PEM certificate";
    QTest::newRow("key as cert") << m_key << m_key << m_key << "no PEM certificate";
    QTest::newRow("missing key") << m_cert << missing << missing << "cannot read the TLS private key";
    QTest::newRow("garbage key") << m_cert << garbage << garbage << "not a PEM private key";
    QTest::newRow("cert as key") << m_cert << m_cert << m_cert << "not a PEM private key";
    QTest::newRow("encrypted key") << m_cert << encrypted << encrypted << "encrypted with a passphrase";
    QTest::newRow("mismatched key") << m_cert << m_otherKey << m_otherKey << "does not belong to the certificate";
    QTest::newRow("cert without key") << m_cert << QString() << QString() << "both a certificate and its private key";
}

void TestTls::badFilesFailStartClearly()
{
    QFETCH(QString, cert);
    QFETCH(QString, key);
    QFETCH(QString, named);
    QFETCH(QString, why);
    ServerConfig config;
    config.port = 0;
    config.tlsCertPath = cert;
    config.tlsKeyPath = key;
    Engine engine(config);
    QSignalSpy failed(&engine, &Engine::startFailed);
    QVERIFY(!engine.start());
    QVERIFY(!engine.isListening());
    QCOMPARE(failed.size(), 1);
    const QString message = failed.first().first().toString();
    QVERIFY2(message.contains(why), qPrintable(message));
    QVERIFY2(message.contains(named), qPrintable(message));
}

void TestTls::headlessServesHttpsAndWss()
{
    QProcess server;
    server.start(QStringLiteral(SWITCHBOARD_BIN), {QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("0"),
                                                   QStringLiteral("--tls-cert"), m_cert, QStringLiteral("--tls-key"), m_key});
    QVERIFY(server.waitForStarted(10000));
    QTRY_VERIFY_WITH_TIMEOUT(server.canReadLine(), 10000);
    const QByteArray firstLine = server.readLine().trimmed();
    QVERIFY2(firstLine.startsWith("Listening on https://127.0.0.1:"), firstLine.constData());
    QTRY_VERIFY_WITH_TIMEOUT(server.canReadLine(), 10000);
    QVERIFY(server.readLine().startsWith("Browser client: https://127.0.0.1:"));
    QUrl url(QString::fromUtf8(firstLine.mid(int(qstrlen("Listening on ")))));
    url.setPath(QStringLiteral("/healthz"));
    int status = 0;
    QVERIFY(httpsGet(url, &status).contains("\"ok\""));
    QCOMPARE(status, 200);

    url.setScheme(QStringLiteral("wss"));
    url.setPath(QStringLiteral("/ws"));
    auto client = connectClient(url);
    QVERIFY(client);
    expectEcho(*client);
    QSignalSpy disconnected(client.get(), &QWebSocket::disconnected);
    QSignalSpy finished(&server, &QProcess::finished);
    ::kill(static_cast<pid_t>(server.processId()), SIGTERM);
    QVERIFY(disconnected.wait(10000));
    QCOMPARE(int(client->closeCode()), 1001);
    QVERIFY(finished.count() == 1 || finished.wait(10000));
    QCOMPARE(server.exitCode(), 0);
}

void TestTls::headlessBadCertExitsWithClearError_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    const QString missing = m_dir.filePath(QStringLiteral("nowhere/cert.pem"));
    QTest::newRow("missing cert") << QStringList{QStringLiteral("--tls-cert"), missing, QStringLiteral("--tls-key"), m_key}
                                  << 1 << missing + QStringLiteral(": cannot read the TLS certificate");
    QTest::newRow("mismatched key") << QStringList{QStringLiteral("--tls-cert"), m_cert, QStringLiteral("--tls-key"), m_otherKey}
                                    << 1 << m_otherKey + QStringLiteral(": the private key does not belong to the certificate in ") + m_cert;
    QTest::newRow("cert only") << QStringList{QStringLiteral("--tls-cert"), m_cert} << 2
                               << QStringLiteral("--tls-cert needs --tls-key");
    QTest::newRow("key only") << QStringList{QStringLiteral("--tls-key"), m_key} << 2
                              << QStringLiteral("--tls-key needs --tls-cert");
    QTest::newRow("empty cert") << QStringList{QStringLiteral("--tls-cert="), QStringLiteral("--tls-key"), m_key} << 2
                                << QStringLiteral("--tls-cert needs a file name");
}

void TestTls::headlessBadCertExitsWithClearError()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    const ProcessRun run = runToEnd(QStringLiteral(SWITCHBOARD_BIN),
                             QStringList{QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("0")} + arguments);
    QCOMPARE(run.exitCode, exitCode);
    QVERIFY2(run.err.contains(message.toUtf8()), run.err.constData());
    QVERIFY2(!run.out.contains("Listening"), run.out.constData());
}

void TestTls::configFileKeysAreRelativeToTheFile()
{
    const QString configPath = m_dir.filePath(QStringLiteral("dev/switchboard.json"));
    QVERIFY(writeFile(configPath, R"({"tlsCert": "cert.pem", "tlsKey": "key.pem"})"));
    ServerConfig config;
    QString error;
    QVERIFY2(config.loadFile(configPath, &error), qPrintable(error));
    QCOMPARE(config.tlsCertPath, m_cert);
    QCOMPARE(config.tlsKeyPath, m_key);
    ServerConfig reread;
    QVERIFY(reread.loadJson(config.toJson(), QStringLiteral("saved"), &error));
    QCOMPARE(reread.tlsCertPath, m_cert);
    QVERIFY(!reread.loadJson(R"({"tlsCert": ""})", QStringLiteral("empty"), &error));
    QVERIFY2(error.contains(QStringLiteral("tlsCert: must name a PEM file")), qPrintable(error));

    // Started from elsewhere, the binary still finds them.
    QProcess server;
    server.setWorkingDirectory(QDir::rootPath());
    server.start(QStringLiteral(SWITCHBOARD_BIN),
                 {QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--config"), configPath});
    QVERIFY(server.waitForStarted(10000));
    QTRY_VERIFY_WITH_TIMEOUT(server.canReadLine(), 10000);
    const QByteArray firstLine = server.readLine();
    QVERIFY2(firstLine.startsWith("Listening on https://127.0.0.1:"), firstLine.constData());
    QSignalSpy finished(&server, &QProcess::finished);
    server.terminate();
    QVERIFY(finished.wait(10000));
    QCOMPARE(server.exitCode(), 0);
}

QTEST_GUILESS_MAIN(TestTls)
#include "tst_tls.moc"
