// The dashboard's cluster dock against real instances: the window's own engine (EngineHost on its
// thread) and a second engine in this thread share a real redis-server on a free loopback port.
#include "ClusterPanel.h"
#include "MainWindow.h"
#include "RedisServer.h"
#include "TestSupport.h"
#include "WidgetTestMain.h"
#include "model/ClusterInstanceModel.h"
#include "server/EngineHost.h"

#include <QAbstractItemModelTester>
#include <QSettings>
#include <QSignalSpy>
#include <QTest>
#include <QWebSocket>

using namespace TestSupport;

class TestClusterPanel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void listsInstancesAndTheirClientsAndSaysWhenTheLinkIsDown();
    void hiddenWithoutACluster();
};

void TestClusterPanel::listsInstancesAndTheirClientsAndSaysWhenTheLinkIsDown()
{
    QSettings().clear();
    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.error()));
    EngineHost host;
    MainWindow window(host);
    auto *panel = window.findChild<ClusterPanel *>(QStringLiteral("clusterPanel"));
    QVERIFY(panel);
    QAbstractItemModelTester tester(panel->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    ServerConfig config;
    config.host = QStringLiteral("127.0.0.1");
    config.port = 0;
    config.redisUrl = redis.url();
    config.clusterName = QStringLiteral("ui");
    window.setServerConfig(config);
    window.show();
    QSignalSpy listening(&host, &EngineHost::listening);
    window.startServer();
    QVERIFY(listening.wait(5000));

    QTRY_VERIFY(panel->isVisible());
    QTRY_VERIFY2(panel->summary().contains(QLatin1String("link up")), qPrintable(panel->summary()));
    QCOMPARE(panel->model()->rowCount(), 1);
    QVERIFY(panel->model()->data(panel->model()->index(0, ClusterInstanceModel::Instance)).toString().contains(
        QLatin1String("this one")));

    // Another instance with a client of its own joins: a second row with its count.
    auto other = startEngine(config);
    QVERIFY(other);
    auto client = connectClient(other->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    QTRY_COMPARE_WITH_TIMEOUT(panel->model()->rowCount(), 2, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(panel->model()->data(panel->model()->index(1, ClusterInstanceModel::Clients)).toInt(), 1, 5000);
    QCOMPARE(panel->model()->data(panel->model()->index(1, ClusterInstanceModel::Address)).toString(),
             QStringLiteral("127.0.0.1:%1").arg(other->port()));

    redis.kill();
    QTRY_VERIFY2(panel->summary().contains(QLatin1String("link DOWN")), qPrintable(panel->summary()));

    QSignalSpy stopped(&host, &EngineHost::stopped);
    window.stopServer();
    QVERIFY(stopped.count() == 1 || stopped.wait(5000));
    QCOMPARE(panel->model()->rowCount(), 0);
}

void TestClusterPanel::hiddenWithoutACluster()
{
    QSettings().clear();
    EngineHost host;
    MainWindow window(host);
    auto *panel = window.findChild<ClusterPanel *>(QStringLiteral("clusterPanel"));
    QVERIFY(panel);
    ServerConfig config;
    config.host = QStringLiteral("127.0.0.1");
    config.port = 0;
    window.setServerConfig(config);
    window.show();
    QSignalSpy listening(&host, &EngineHost::listening);
    window.startServer();
    QVERIFY(listening.wait(5000));
    QVERIFY(!panel->isVisible());
    QSignalSpy stopped(&host, &EngineHost::stopped);
    window.stopServer();
    QVERIFY(stopped.count() == 1 || stopped.wait(5000));
}

SWITCHBOARD_WIDGET_TEST_MAIN(TestClusterPanel, "tst_clusterpanel")
#include "tst_clusterpanel.moc"
