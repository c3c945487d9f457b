// EpollEventDispatcher: this whole test runs on it (installed on the main thread before the
// application exists), so every QSignalSpy::wait and QTRY_COMPARE here is a nested loop on it too.
#include "eventloop/EpollEventDispatcher.h"
#include "server/EngineHost.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QSemaphore>
#include <QSocketNotifier>
#include <QTemporaryFile>
#include <QEventLoop>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <QWebSocket>
#include <map>
#include <memory>
#include <vector>

class TestEventDispatcher : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void installedOnThisThread();
    void singleShotTimersFireInDeadlineOrder();
    void repeatingTimerKeepsItsInterval();
    void timerStoppedByAnEarlierTimerDoesNotFire();
    void remainingTimeAndRegisteredTimers();
    void nestedLoopDoesNotReenterAnActiveTimer();
    void zeroTimerDoesNotStarveSockets();
    void otherThreadWakesABlockedLoop();
    void postFromTheLoopThreadIsDeliveredWithoutWaiting();
    void tcpEchoWithManyConnections();
    void descriptorsReusedAfterCloseStayCorrect();
    void engineHostThreadServesWebSocketClients();
    void regularFileIsAlwaysReadyAsWithPoll();
};

void TestEventDispatcher::installedOnThisThread()
{
    QVERIFY(qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance()));
}

void TestEventDispatcher::singleShotTimersFireInDeadlineOrder()
{
    QList<int> fired;
    QElapsedTimer clock;
    clock.start();
    for (int ms : {60, 20, 40, 0})
        QTimer::singleShot(ms, Qt::PreciseTimer, this, [&fired, &clock, ms] {
            QVERIFY2(clock.elapsed() >= ms, "a timer fired before its interval");
            fired.append(ms);
        });
    QTRY_COMPARE(fired.size(), 4);
    QCOMPARE(fired, (QList<int>{0, 20, 40, 60}));
}

void TestEventDispatcher::repeatingTimerKeepsItsInterval()
{
    QTimer timer;
    timer.setTimerType(Qt::PreciseTimer);
    timer.setInterval(20);
    QSignalSpy ticks(&timer, &QTimer::timeout);
    QElapsedTimer clock;
    clock.start();
    timer.start();
    QTRY_VERIFY(ticks.size() >= 5);
    timer.stop();
    QVERIFY2(clock.elapsed() >= 100, qPrintable(QString::number(clock.elapsed())));
    const int after = ticks.size();
    QTimer::singleShot(60, this, [] {});
    QVERIFY(!ticks.wait(60)); // stopped means stopped
    QCOMPARE(ticks.size(), after);
}

void TestEventDispatcher::timerStoppedByAnEarlierTimerDoesNotFire()
{
    // Both due in the same turn: the first one's slot stops the second before its turn comes.
    QTimer second;
    second.setSingleShot(true);
    QSignalSpy secondFired(&second, &QTimer::timeout);
    bool firstFired = false;
    QTimer first;
    first.setSingleShot(true);
    connect(&first, &QTimer::timeout, this, [&] {
        firstFired = true;
        second.stop();
    });
    first.start(0);
    second.start(0);
    QTRY_VERIFY(firstFired);
    QVERIFY(!secondFired.wait(50));
}

void TestEventDispatcher::remainingTimeAndRegisteredTimers()
{
    QTimer timer;
    timer.start(5000);
    const int left = timer.remainingTime();
    QVERIFY2(left > 4000 && left <= 5000, qPrintable(QString::number(left)));
    const auto timers = QAbstractEventDispatcher::instance()->registeredTimers(&timer);
    QCOMPARE(timers.size(), 1);
    QCOMPARE(timers.first().interval, 5000);
    QCOMPARE(timers.first().timerId, timer.timerId());
    timer.stop();
    QVERIFY(QAbstractEventDispatcher::instance()->registeredTimers(&timer).isEmpty());
    QCOMPARE(QAbstractEventDispatcher::instance()->remainingTime(123456), -1);
}

void TestEventDispatcher::nestedLoopDoesNotReenterAnActiveTimer()
{
    QTimer ticking;
    ticking.setInterval(5);
    int depth = 0;
    int maxDepth = 0;
    int ticks = 0;
    connect(&ticking, &QTimer::timeout, this, [&] {
        ++ticks;
        maxDepth = std::max(maxDepth, ++depth);
        if (ticks == 1) {
            // A nested loop inside the timer's own slot, longer than several intervals.
            QEventLoop nested;
            QTimer::singleShot(40, &nested, &QEventLoop::quit);
            nested.exec();
        }
        --depth;
    });
    ticking.start();
    QTRY_VERIFY(ticks >= 3);
    ticking.stop();
    QCOMPARE(maxDepth, 1);
}

void TestEventDispatcher::zeroTimerDoesNotStarveSockets()
{
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QTimer busy; // a zero timer fires every turn; sockets must still get their turn
    int spins = 0;
    connect(&busy, &QTimer::timeout, this, [&spins] { ++spins; });
    busy.start(0);
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, server.serverPort());
    QVERIFY(server.waitForNewConnection(5000));
    std::unique_ptr<QTcpSocket> accepted(server.nextPendingConnection());
    QVERIFY(client.waitForConnected(5000));
    accepted->write("ping");
    QTRY_COMPARE(client.bytesAvailable(), qint64(4));
    QCOMPARE(client.readAll(), QByteArray("ping"));
    busy.stop();
    QVERIFY(spins > 0);
}

void TestEventDispatcher::otherThreadWakesABlockedLoop()
{
    // Once this loop blocks in epoll_wait with nothing due for 5 s, a post from another thread
    // must end the wait at once (the eventfd), not when the guard timer fires.
    QEventLoop loop;
    QTimer guard;
    guard.setSingleShot(true);
    connect(&guard, &QTimer::timeout, &loop, &QEventLoop::quit);
    QSemaphore blocked;
    const auto blocking = connect(QAbstractEventDispatcher::instance(), &QAbstractEventDispatcher::aboutToBlock,
                                  this, [&blocked] { blocked.release(); }, Qt::DirectConnection);
    QElapsedTimer clock;
    qint64 wokenAfterMs = -1;
    std::unique_ptr<QThread> poster(QThread::create([&] {
        blocked.acquire();
        QMetaObject::invokeMethod(&loop, [&] {
            wokenAfterMs = clock.elapsed();
            loop.quit();
        }, Qt::QueuedConnection);
    }));
    clock.start();
    guard.start(5000);
    poster->start();
    loop.exec();
    disconnect(blocking);
    QVERIFY(poster->wait(5000));
    QVERIFY2(wokenAfterMs >= 0 && wokenAfterMs < 1000, qPrintable(QString::number(wokenAfterMs)));
}

void TestEventDispatcher::tcpEchoWithManyConnections()
{
    constexpr int kClients = 200;
    constexpr int kRounds = 20;
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    std::vector<std::unique_ptr<QTcpSocket>> accepted;
    connect(&server, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *socket = server.nextPendingConnection()) {
            connect(socket, &QTcpSocket::readyRead, socket, [socket] { socket->write(socket->readAll()); });
            accepted.emplace_back(socket);
        }
    });
    std::vector<std::unique_ptr<QTcpSocket>> clients;
    int finished = 0;
    for (int i = 0; i < kClients; ++i) {
        auto client = std::make_unique<QTcpSocket>();
        QTcpSocket *raw = client.get();
        auto *rounds = new int(0);
        connect(raw, &QObject::destroyed, raw, [rounds] { delete rounds; });
        connect(raw, &QTcpSocket::connected, raw, [raw] { raw->write("0123456789"); });
        connect(raw, &QTcpSocket::readyRead, raw, [raw, rounds, &finished] {
            if (raw->bytesAvailable() < 10)
                return;
            QCOMPARE(raw->read(10), QByteArray("0123456789"));
            if (++*rounds == kRounds)
                ++finished;
            else
                raw->write("0123456789");
        });
        raw->connectToHost(QHostAddress::LocalHost, server.serverPort());
        clients.push_back(std::move(client));
    }
    QTRY_COMPARE_WITH_TIMEOUT(finished, kClients, 20000);
}

void TestEventDispatcher::descriptorsReusedAfterCloseStayCorrect()
{
    // Connect, exchange and close again and again: the kernel hands out the same descriptor
    // numbers, and changes applied lazily must never leave one deaf or aimed at a dead socket.
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    connect(&server, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *socket = server.nextPendingConnection()) {
            connect(socket, &QTcpSocket::readyRead, socket, [socket] {
                socket->write(socket->readAll());
                socket->disconnectFromHost();
            });
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        }
    });
    for (int i = 0; i < 150; ++i) {
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        QSignalSpy disconnected(&client, &QTcpSocket::disconnected);
        const QByteArray message = QByteArray::number(i);
        connect(&client, &QTcpSocket::connected, &client, [&] { client.write(message); });
        QVERIFY2(disconnected.wait(5000), qPrintable(QStringLiteral("round %1").arg(i)));
        QCOMPARE(client.readAll(), message);
    }
}

void TestEventDispatcher::engineHostThreadServesWebSocketClients()
{
    // The dashboard's engine thread runs on this dispatcher too; records cross to this thread.
    EngineHost host;
    QSignalSpy listening(&host, &EngineHost::listening);
    qint64 records = 0;
    connect(&host, &EngineHost::recordsAppended, this,
            [&records](const LogRecordBatch &batch) { records += batch.size(); });
    ServerConfig config;
    config.port = 0;
    host.start(config);
    QVERIFY(listening.wait(5000));
    QUrl url = host.url();
    url.setScheme(QStringLiteral("ws"));
    url.setPath(QStringLiteral("/ws"));

    constexpr int kClients = 20;
    constexpr int kMessages = 10;
    std::vector<std::unique_ptr<QWebSocket>> clients;
    std::map<QWebSocket *, int> echoedTo;
    int echoed = 0;
    for (int i = 0; i < kClients; ++i) {
        auto client = std::make_unique<QWebSocket>();
        QWebSocket *raw = client.get();
        connect(raw, &QWebSocket::connected, raw, [raw] { raw->sendTextMessage(QStringLiteral("m")); });
        connect(raw, &QWebSocket::textMessageReceived, raw, [raw, &echoed, &echoedTo](const QString &text) {
            QCOMPARE(text, QStringLiteral("m"));
            ++echoed;
            if (++echoedTo[raw] < kMessages)
                raw->sendTextMessage(text); // one message in flight per client
        });
        raw->open(url);
        clients.push_back(std::move(client));
    }
    QTRY_COMPARE_WITH_TIMEOUT(echoed, kClients * kMessages, 20000);
    // Each client: open, then kMessages in and kMessages out.
    QTRY_COMPARE_WITH_TIMEOUT(records, qint64(kClients * (1 + 2 * kMessages)), 5000);
    clients.clear();
}

void TestEventDispatcher::regularFileIsAlwaysReadyAsWithPoll()
{
    // epoll refuses regular files; poll() (Qt's dispatcher) reports them always readable, and a
    // notifier on one (stdin redirected from a file, say) must still fire.
    QTemporaryFile file;
    QVERIFY(file.open());
    file.write("data");
    file.flush();
    QSocketNotifier notifier(file.handle(), QSocketNotifier::Read);
    QSignalSpy activated(&notifier, &QSocketNotifier::activated);
    QVERIFY(activated.wait(5000));
    notifier.setEnabled(false);
    const int seen = activated.size();
    QTimer::singleShot(30, this, [] {});
    QVERIFY(!activated.wait(50)); // disabled means quiet again
    QCOMPARE(activated.size(), seen);
}

void TestEventDispatcher::postFromTheLoopThreadIsDeliveredWithoutWaiting()
{
    // A post made on the loop's own thread wakes nothing (no eventfd write: the thread is running,
    // not waiting), so the next turn must not block before delivering it. The engine's write pass
    // re-posts itself this way; a 2 s timer is the only other event that could end the wait.
    QAbstractEventDispatcher *dispatcher = QAbstractEventDispatcher::instance();
    QObject receiver;
    int delivered = 0;
    qint64 secondDeliveredAtMs = -1;
    QElapsedTimer clock;
    QTimer::singleShot(0, &receiver, [&] {
        QMetaObject::invokeMethod(&receiver, [&] {
            ++delivered;
            QMetaObject::invokeMethod(&receiver, [&] {
                ++delivered;
                secondDeliveredAtMs = clock.elapsed();
                dispatcher->interrupt(); // the turn that delivered it returns instead of waiting on
            }, Qt::QueuedConnection);
        }, Qt::QueuedConnection);
    });
    QTimer guard;
    guard.setSingleShot(true);
    guard.start(2000);
    clock.start();
    while (delivered < 2 && guard.isActive())
        dispatcher->processEvents(QEventLoop::WaitForMoreEvents);
    QCOMPARE(delivered, 2);
    QVERIFY2(secondDeliveredAtMs < 1000, qPrintable(QStringLiteral("took %1 ms").arg(secondDeliveredAtMs)));
}

int main(int argc, char **argv)
{
    QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    TestEventDispatcher test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_eventdispatcher.moc"
