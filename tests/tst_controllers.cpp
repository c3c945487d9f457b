// The dashboard's controllers without the window: ServerController starts, restarts and stops a
// real EngineHost; ClientActions sends, pings and closes real QWebSocket clients with a chosen
// code; RecordingController records what the engine reports. Real sockets on 127.0.0.1, no sleeps.
#include "ClientActions.h"
#include "RecordingController.h"
#include "ServerController.h"
#include "TestSupport.h"
#include "server/EngineHost.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>
#include <algorithm>

class TestControllers : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void serverStartsRestartsOnTheNewPortAndStops();
    void serverThatCannotListenFails();
    void clientActionsReachTheClient();
    void recordingWritesWhatTheEngineReports();

private:
    static ServerConfig loopback(quint16 port = 0)
    {
        ServerConfig config;
        config.host = QStringLiteral("127.0.0.1");
        config.port = port;
        return config;
    }
};

void TestControllers::serverStartsRestartsOnTheNewPortAndStops()
{
    EngineHost host;
    ServerController server(host);
    ServerConfig config = loopback();
    server.setConfigSource([&config] { return config; });
    QSignalSpy listening(&server, &ServerController::listening);
    QSignalSpy stopped(&server, &ServerController::stopped);

    server.start();
    QCOMPARE(server.state(), ServerState::Starting);
    QVERIFY(listening.wait(5000));
    QCOMPARE(server.state(), ServerState::Listening);
    const QUrl first = listening.takeFirst().at(0).toUrl();

    std::unique_ptr<QWebSocket> client = TestSupport::connectClient(QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(first.port())));
    QVERIFY(client);
    QSignalSpy clientClosed(client.get(), &QWebSocket::disconnected);

    // A restart onto a new port binds it, then closes the old clients (1012 Service Restart, which
    // QWebSocket 6.4 reports as 1002) without going through Stopped.
    QTcpServer probe; // a port that is free now
    QVERIFY(probe.listen(QHostAddress::LocalHost));
    config.port = probe.serverPort();
    probe.close();
    server.restart();
    QVERIFY(listening.wait(10000));
    QCOMPARE(listening.takeFirst().at(0).toUrl().port(), int(config.port));
    QTRY_COMPARE_WITH_TIMEOUT(clientClosed.size(), 1, 5000);
    QCOMPARE(stopped.size(), 0);
    QCOMPARE(server.state(), ServerState::Listening);

    server.stop();
    QCOMPARE(server.state(), ServerState::Stopping);
    QVERIFY(stopped.wait(5000));
    QCOMPARE(server.state(), ServerState::Stopped);
    QVERIFY(server.isDown());
}

void TestControllers::serverThatCannotListenFails()
{
    QTcpServer busy;
    QVERIFY(busy.listen(QHostAddress::LocalHost));
    EngineHost host;
    ServerController server(host);
    server.setConfigSource([&busy] { return loopback(busy.serverPort()); });
    QSignalSpy failed(&server, &ServerController::startFailed);
    QSignalSpy states(&server, &ServerController::stateChanged);
    server.start();
    QVERIFY(failed.wait(5000));
    QCOMPARE(server.state(), ServerState::Failed);
    QVERIFY(failed.at(0).at(0).toString().contains(QString::number(busy.serverPort())));
    QCOMPARE(states.last().at(2).toString(), failed.at(0).at(0).toString());
}

void TestControllers::clientActionsReachTheClient()
{
    EngineHost host;
    ServerController server(host);
    server.setConfigSource([] { return loopback(); });
    QSignalSpy listening(&server, &ServerController::listening);
    QSignalSpy clients(&host, &EngineHost::clientsChanged);
    server.start();
    QVERIFY(listening.wait(5000));
    const quint16 port = quint16(listening.at(0).at(0).toUrl().port());

    std::unique_ptr<QWebSocket> client = TestSupport::connectClient(QUrl(QStringLiteral("ws://127.0.0.1:%1/operator").arg(port)));
    QVERIFY(client);
    QTRY_VERIFY_WITH_TIMEOUT(!clients.isEmpty(), 5000);
    const quint64 id = qvariant_cast<ClientInfoList>(clients.last().at(0)).first().id;

    ClientActions actions(host);
    QSignalSpy done(&actions, &ClientActions::done);
    QSignalSpy received(client.get(), &QWebSocket::textMessageReceived);
    QSignalSpy pong(client.get(), &QWebSocket::pong);
    actions.send({id}, "from the operator", false);
    QVERIFY(received.wait(5000));
    QCOMPARE(received.at(0).at(0).toString(), QStringLiteral("from the operator"));
    QCOMPARE(done.last().at(0).toString(), QStringLiteral("Sent 17 B to 1 client"));

    // The client answers pings by itself; the pong reaches the engine (RTT), not the client's spy.
    actions.ping({id});
    QCOMPARE(done.last().at(0).toString(), QStringLiteral("Pinged 1 client"));

    QSignalSpy closed(client.get(), &QWebSocket::disconnected);
    actions.close({id}, 4001, QStringLiteral("done here"));
    QVERIFY(closed.wait(5000));
    QCOMPARE(int(client->closeCode()), 4001);
    QCOMPARE(client->closeReason(), QStringLiteral("done here"));
    QCOMPARE(actions.lastCloseCode(), 4001);
    QCOMPARE(actions.lastCloseReason(), QStringLiteral("done here"));
    QCOMPARE(done.last().at(0).toString(), QStringLiteral("Closing 1 client with 4001"));
}

void TestControllers::recordingWritesWhatTheEngineReports()
{
    QTemporaryDir dir;
    EngineHost host;
    ServerController server(host);
    server.setConfigSource([] { return loopback(); });
    RecordingController recording(host);
    QSignalSpy changed(&recording, &RecordingController::recordingChanged);
    LogRecorder::Options options;
    options.path = dir.filePath(QStringLiteral("rec.jsonl"));
    QVERIFY(recording.start(options));
    QVERIFY(recording.isRecording());
    QCOMPARE(changed.size(), 1);

    QSignalSpy listening(&server, &ServerController::listening);
    server.start();
    QVERIFY(listening.wait(5000));
    std::unique_ptr<QWebSocket> client = TestSupport::connectClient(
        QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(listening.at(0).at(0).toUrl().port())));
    QVERIFY(client);
    TestSupport::expectServed(*client);
    QTRY_VERIFY_WITH_TIMEOUT(recording.recorder()->recordsWritten() >= 3, 5000); // open, in, out

    recording.stop();
    QVERIFY(!recording.isRecording());
    const QList<QByteArray> lines = TestSupport::fileLines(options.path);
    QVERIFY(lines.size() >= 3);
    QVERIFY(std::any_of(lines.begin(), lines.end(), [](const QByteArray &line) { return line.contains("\"kind\":\"open\""); }));

    QString error;
    LogRecorder::Options unwritable;
    unwritable.path = dir.filePath(QStringLiteral("no/such/folder/rec.jsonl"));
    QSignalSpy message(&recording, &RecordingController::message);
    QVERIFY(!recording.start(unwritable, &error));
    QVERIFY(!error.isEmpty());
    QCOMPARE(message.last().at(1).toBool(), true);
}

QTEST_MAIN(TestControllers)
#include "tst_controllers.moc"
