// The window's server control (issue 19 items 3, 10, 13): a restart onto a bad host or a busy
// port keeps serving where it was and says why; out-of-range ports are refused visibly; Enter
// applies; restart closes clients with a code the operator picks (1012 by default); Quit with
// clients asks once; a non-loopback address warns. Real sockets on 127.0.0.1, no sleeps.
#include "BansDialog.h"
#include "ClientsPanel.h"
#include "CloseDialog.h"
#include "ConfigErrorDialog.h"
#include "DashboardFixture.h"
#include "cli/CommandLine.h"
#include "MainWindow.h"
#include "ServerBar.h"
#include "TestSupport.h"
#include "WidgetTestMain.h"
#include "model/ClientTableModel.h"
#include "server/EngineHost.h"
#include "server/NetworkExposure.h"

#include <QAction>
#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QWebSocket>

class TestDashboardServer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void restartOntoABusyPortKeepsServing();
    void restartOntoABadHostKeepsServing();
    void restartOntoAFreePortMovesTheClients();
    void outOfRangePortIsRefusedVisibly();
    void enterInPortApplies();
    void restartClosesWithTheChosenCode();
    void quitWithClientsAsksOnce();
    void nonLoopbackAddressWarns();
    void banAndUnbanFromTheDashboard();
    void badConfigFileOffersDefaults();
    void serverBarNamesTheQtBackend();

private:
    QUrl wsUrl() const;
    QAction *action(const char *objectName) const { return m_window->findChild<QAction *>(QLatin1String(objectName)); }
    QLabel *errorLabel() const { return m_window->serverBar()->findChild<QLabel *>(QStringLiteral("serverError")); }
    QLineEdit *portEdit() const { return m_window->serverBar()->findChild<QLineEdit *>(QStringLiteral("serverPort")); }
    static quint16 freePort();

    std::unique_ptr<EngineHost> m_host;
    std::unique_ptr<MainWindow> m_window;
};

void TestDashboardServer::init()
{
    QVERIFY(openListeningDashboard(m_host, m_window));
}

void TestDashboardServer::cleanup()
{
    m_window.reset();
    m_host.reset();
}

QUrl TestDashboardServer::wsUrl() const
{
    QUrl url = m_host->url();
    url.setScheme(QStringLiteral("ws"));
    url.setPath(QStringLiteral("/ws"));
    return url;
}

quint16 TestDashboardServer::freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

void TestDashboardServer::restartOntoABusyPortKeepsServing()
{
    const QUrl before = m_host->url();
    std::unique_ptr<QWebSocket> client = TestSupport::connectClient(wsUrl());
    QVERIFY(client);
    QTcpServer squatter;
    QVERIFY(squatter.listen(QHostAddress::LocalHost, 0));
    m_window->serverBar()->setAddress(QStringLiteral("127.0.0.1"), squatter.serverPort());
    QSignalSpy failed(m_host.get(), &EngineHost::replaceFailed);
    action("actionRestart")->trigger();
    QVERIFY(failed.wait(5000));
    // Still serving where it was, and the bar says why the move did not happen.
    ServerBar *bar = m_window->serverBar();
    QCOMPARE(bar->state(), ServerBar::State::Listening);
    QCOMPARE(bar->url(), before);
    QCOMPARE(m_host->url(), before);
    QVERIFY(errorLabel()->isVisibleTo(bar));
    QVERIFY2(errorLabel()->toolTip().contains(QStringLiteral("cannot listen")), qPrintable(errorLabel()->toolTip()));
    QVERIFY(errorLabel()->toolTip().contains(QStringLiteral("still serving on %1").arg(before.toString())));
    QVERIFY(bar->findChild<QLabel *>(QStringLiteral("addressHint"))->isVisibleTo(bar)); // the typed port is not applied
    QCOMPARE(client->state(), QAbstractSocket::ConnectedState);
    TestSupport::expectServed(*client);
    QVERIFY(!QSettings().contains(QStringLiteral("server/port")));
}

void TestDashboardServer::restartOntoABadHostKeepsServing()
{
    const QUrl before = m_host->url();
    std::unique_ptr<QWebSocket> client = TestSupport::connectClient(wsUrl());
    QVERIFY(client);
    m_window->serverBar()->setAddress(QStringLiteral("no such host"), before.port());
    action("actionRestart")->trigger();
    QCOMPARE(m_window->serverBar()->state(), ServerBar::State::Listening);
    QVERIFY(errorLabel()->isVisibleTo(m_window->serverBar()));
    QVERIFY2(errorLabel()->toolTip().contains(QStringLiteral("not an IP address")), qPrintable(errorLabel()->toolTip()));
    QCOMPARE(m_host->url(), before);
    TestSupport::expectServed(*client);
}

void TestDashboardServer::restartOntoAFreePortMovesTheClients()
{
    std::unique_ptr<QWebSocket> client = TestSupport::connectClient(wsUrl());
    QVERIFY(client);
    QTRY_COMPARE(m_window->clientModel()->openCount(), 1);
    const quint16 port = freePort();
    QVERIFY(port != 0);
    m_window->serverBar()->setAddress(QStringLiteral("127.0.0.1"), port);
    QSignalSpy listening(m_host.get(), &EngineHost::listening);
    QSignalSpy stopped(m_host.get(), &EngineHost::stopped);
    QSignalSpy disconnected(client.get(), &QWebSocket::disconnected);
    action("actionRestart")->trigger();
    QVERIFY(listening.wait(5000));
    QCOMPARE(m_host->url().port(), int(port));
    QVERIFY(disconnected.count() || disconnected.wait(5000));
    // The old clients were closed with 1012 only once the new address was bound; the server never
    // went through Stopped.
    QCOMPARE(stopped.count(), 0);
    const ClientTableModel *model = m_window->clientModel();
    QTRY_COMPARE(model->client(0).closeCode, 1012);
    std::unique_ptr<QWebSocket> again = TestSupport::connectClient(wsUrl());
    QVERIFY(again);
    QTRY_COMPARE(model->openCount(), 1);
    QVERIFY(model->client(1).id > model->client(0).id);
    QCOMPARE(QSettings().value(QStringLiteral("server/port")).toInt(), int(port));
}

void TestDashboardServer::outOfRangePortIsRefusedVisibly()
{
    const QUrl before = m_host->url();
    QLineEdit *port = portEdit();
    port->clear();
    QTest::keyClicks(port, QStringLiteral("70000"));
    QCOMPARE(port->text(), QStringLiteral("70000")); // not silently 7000
    ServerBar *bar = m_window->serverBar();
    QVERIFY(!bar->addressProblem().isEmpty());
    QVERIFY(errorLabel()->isVisibleTo(bar));
    QVERIFY(errorLabel()->toolTip().contains(QStringLiteral("70000")));
    QVERIFY(port->styleSheet().contains(QStringLiteral("#d03a2f")));
    QTest::keyClick(port, Qt::Key_Return); // refused: nothing restarts
    action("actionRestart")->trigger();
    QCOMPARE(bar->state(), ServerBar::State::Listening);
    QCOMPARE(m_host->url(), before);
    QVERIFY(errorLabel()->isVisibleTo(bar));
    QTest::keyClick(port, Qt::Key_Backspace); // 7000 is a port: the refusal goes
    QVERIFY(bar->addressProblem().isEmpty());
    QVERIFY(!errorLabel()->isVisibleTo(bar));
}

void TestDashboardServer::enterInPortApplies()
{
    const quint16 free = freePort();
    QVERIFY(free != 0);
    QLineEdit *port = portEdit();
    port->setFocus();
    port->clear();
    QTest::keyClicks(port, QString::number(free));
    QSignalSpy listening(m_host.get(), &EngineHost::listening);
    QTest::keyClick(port, Qt::Key_Return);
    QVERIFY(listening.wait(5000));
    QCOMPARE(m_host->url().port(), int(free));
    // Enter in Host applies too (while stopped it starts).
    QSignalSpy stopped(m_host.get(), &EngineHost::stopped);
    action("actionStartStop")->trigger();
    QVERIFY(stopped.wait(5000));
    QLineEdit *host = m_window->serverBar()->findChild<QLineEdit *>(QStringLiteral("serverHost"));
    QTest::keyClick(host, Qt::Key_Return);
    QVERIFY(listening.wait(5000));
    QCOMPARE(m_window->serverBar()->state(), ServerBar::State::Listening);
}

void TestDashboardServer::restartClosesWithTheChosenCode()
{
    std::unique_ptr<QWebSocket> client = TestSupport::connectClient(wsUrl());
    QVERIFY(client);
    CloseDialog *dialog = m_window->openRestartDialog();
    QVERIFY(dialog);
    QCOMPARE(dialog->code(), 1012); // the default for a restart
    dialog->setCode(4001);
    dialog->setReason(QStringLiteral("reconnect test"));
    QSignalSpy disconnected(client.get(), &QWebSocket::disconnected);
    QSignalSpy listening(m_host.get(), &EngineHost::listening);
    dialog->accept();
    QVERIFY(disconnected.wait(5000));
    QCOMPARE(int(client->closeCode()), 4001);
    QCOMPARE(client->closeReason(), QStringLiteral("reconnect test"));
    QVERIFY(listening.count() || listening.wait(5000)); // same address: stopped, then started again

    // Ctrl+R: 1012 Service Restart (the server's record; QWebSocket 6.4 reports 1012 as 1002).
    std::unique_ptr<QWebSocket> second = TestSupport::connectClient(wsUrl());
    QVERIFY(second);
    QTRY_COMPARE(m_window->clientModel()->openCount(), 1);
    const ClientTableModel *model = m_window->clientModel();
    const int row = model->rowCount() - 1;
    action("actionRestart")->trigger();
    QTRY_COMPARE(model->client(row).state, ClientInfo::State::Closed);
    QCOMPARE(model->client(row).closeCode, 1012);
}

void TestDashboardServer::quitWithClientsAsksOnce()
{
    std::unique_ptr<QWebSocket> client = TestSupport::connectClient(wsUrl());
    QVERIFY(client);
    QTRY_COMPARE(m_window->clientModel()->openCount(), 1);
    QVERIFY(!m_window->close());
    QMessageBox *ask = m_window->findChild<QMessageBox *>(QStringLiteral("quitConfirmation"));
    QVERIFY(ask);
    QVERIFY(ask->text().contains(QStringLiteral("1 client is connected")));
    // Cancel: nothing happens, the client is still served.
    ask->button(QMessageBox::Cancel)->click();
    QTRY_VERIFY(!m_window->findChild<QMessageBox *>(QStringLiteral("quitConfirmation")));
    QVERIFY(m_window->isVisible());
    TestSupport::expectServed(*client);
    // Quit with "don't ask again": remembered, and the window goes after the server stopped.
    QVERIFY(!m_window->close());
    ask = m_window->findChild<QMessageBox *>(QStringLiteral("quitConfirmation"));
    QVERIFY(ask);
    ask->checkBox()->setChecked(true);
    QSignalSpy disconnected(client.get(), &QWebSocket::disconnected);
    ask->defaultButton()->click();
    QVERIFY(disconnected.wait(5000));
    QCOMPARE(int(client->closeCode()), 1001);
    QTRY_VERIFY(!m_window->isVisible());
    QCOMPARE(QSettings().value(QStringLiteral("confirm/quitWithClients")).toBool(), false);

    // The next window does not ask.
    cleanup();
    m_host = std::make_unique<EngineHost>();
    m_window = std::make_unique<MainWindow>(*m_host);
    m_window->show();
    QSignalSpy listening(m_host.get(), &EngineHost::listening);
    m_window->startServer();
    QVERIFY(listening.wait(5000));
    std::unique_ptr<QWebSocket> other = TestSupport::connectClient(wsUrl());
    QVERIFY(other);
    QTRY_COMPARE(m_window->clientModel()->openCount(), 1);
    QSignalSpy otherGone(other.get(), &QWebSocket::disconnected);
    m_window->close();
    QVERIFY(!m_window->findChild<QMessageBox *>(QStringLiteral("quitConfirmation")));
    QVERIFY(otherGone.wait(5000));
}

void TestDashboardServer::nonLoopbackAddressWarns()
{
    QVERIFY(NetworkExposure::warning(QStringLiteral("127.0.0.1")).isEmpty());
    QVERIFY(NetworkExposure::warning(QStringLiteral("localhost")).isEmpty());
    QVERIFY(NetworkExposure::warning(QStringLiteral("::1")).isEmpty());
    QVERIFY(NetworkExposure::warning(QStringLiteral("0.0.0.0")).contains(QStringLiteral("every machine on the network")));
    QVERIFY(!NetworkExposure::warning(QStringLiteral("192.168.1.20")).isEmpty());
    // 0.0.0.0: one URL per IPv4 address of this machine, loopback among them.
    const QStringList urls = NetworkExposure::reachableUrls(QUrl(QStringLiteral("http://0.0.0.0:8080")));
    QVERIFY2(urls.contains(QStringLiteral("http://127.0.0.1:8080")), qPrintable(urls.join(u' ')));
    // The loopback server shows no warning; the bar shows one when told.
    ServerBar *bar = m_window->serverBar();
    QLabel *warning = bar->findChild<QLabel *>(QStringLiteral("exposureWarning"));
    QVERIFY(!warning->isVisibleTo(bar));
    bar->showExposure(NetworkExposure::warning(QStringLiteral("0.0.0.0")), urls);
    QVERIFY(warning->isVisibleTo(bar));
    QVERIFY(warning->toolTip().contains(QStringLiteral("http://127.0.0.1:8080")));
}

void TestDashboardServer::banAndUnbanFromTheDashboard()
{
    std::unique_ptr<QWebSocket> client = TestSupport::connectClient(wsUrl());
    QVERIFY(client);
    QTRY_COMPARE(m_window->clientModel()->openCount(), 1);
    const quint64 id = m_window->clientModel()->client(0).id;
    m_window->clientsPanel()->selectClients({id});
    // The table's context menu offers it (the menu lists the window's actions).
    QAction *ban = action("actionBan");
    QTRY_VERIFY(ban->isEnabled());
    QSignalSpy disconnected(client.get(), &QWebSocket::disconnected);
    QSignalSpy bansChanged(m_host.get(), &EngineHost::bansChanged);
    ban->trigger();
    QVERIFY(disconnected.wait(5000));
    QCOMPARE(int(client->closeCode()), 1008);
    QVERIFY(bansChanged.count() || bansChanged.wait(5000));
    QCOMPARE(m_host->bans(), QStringList{QStringLiteral("127.0.0.1")});
    // Refused while banned: 403.
    const QByteArray refused = TestSupport::rawExchange(quint16(m_host->url().port()), TestSupport::upgradeRequest("/ws"));
    QCOMPARE(TestSupport::statusOf(refused), 403);

    // The bans list shows it; Unban lets the address in again.
    BansDialog *dialog = m_window->openBansDialog();
    QTRY_COMPARE(dialog->shownBans(), QStringList{QStringLiteral("127.0.0.1")});
    auto *list = dialog->findChild<QListWidget *>(QStringLiteral("bansList"));
    list->item(0)->setSelected(true);
    auto *unban = dialog->findChild<QPushButton *>(QStringLiteral("unbanButton"));
    QVERIFY(unban->isEnabled());
    unban->click();
    QTRY_VERIFY(dialog->shownBans().isEmpty());
    std::unique_ptr<QWebSocket> again = TestSupport::connectClient(wsUrl());
    QVERIFY(again);
    TestSupport::expectServed(*again);

    // Ban typed into the dialog; it survives a restart onto a new port.
    auto *address = dialog->findChild<QLineEdit *>(QStringLiteral("banAddress"));
    QTest::keyClicks(address, QStringLiteral("192.0.2.7"));
    QTest::keyClick(address, Qt::Key_Return);
    QTRY_COMPARE(dialog->shownBans(), QStringList{QStringLiteral("192.0.2.7")});
    const quint16 port = freePort();
    m_window->serverBar()->setAddress(QStringLiteral("127.0.0.1"), port);
    QSignalSpy listening(m_host.get(), &EngineHost::listening);
    action("actionRestart")->trigger();
    QVERIFY(listening.wait(5000));
    m_host->refreshBans();
    QVERIFY(bansChanged.wait(5000));
    QCOMPARE(m_host->bans(), QStringList{QStringLiteral("192.0.2.7")});
}

void TestDashboardServer::badConfigFileOffersDefaults()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("bad.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("{\n  \"port\": 9000,\n  \"limits\": {\"maxHeadBytes\": \"big\"}\n}\n");
    file.close();
    // The dashboard parses on: the defaults stay, the error says file, key path, line and column.
    CommandLineOptions options;
    QCOMPARE(CommandLine::parse({QStringLiteral("switchboard"), QStringLiteral("--config"), path}, &options,
                                CommandLine::ConfigErrors::Report),
             CommandLine::Outcome::Run);
    QVERIFY2(options.configError.startsWith(path + QStringLiteral(": limits.maxHeadBytes: ")), qPrintable(options.configError));
    QVERIFY2(options.configError.contains(QStringLiteral("line 3, column 14")), qPrintable(options.configError));
    QCOMPARE(options.config.port, quint16(8080));
    QVERIFY(options.configPath.isEmpty()); // "Save Settings" does not overwrite the broken file
    // Headless still refuses it.
    CommandLineOptions headless;
    QCOMPARE(CommandLine::parse({QStringLiteral("switchboard"), QStringLiteral("--config"), path}, &headless),
             CommandLine::Outcome::ExitError);

    ConfigErrorDialog dialog(options.configError, m_window.get());
    QVERIFY(dialog.informativeText().contains(path));
    QVERIFY(dialog.informativeText().contains(QStringLiteral("line 3, column 14")));
    QCOMPARE(dialog.defaultButton(), dialog.quitButton());
    dialog.open();
    dialog.startWithDefaultsButton()->click();
    QVERIFY(dialog.startWithDefaults());
}

void TestDashboardServer::serverBarNamesTheQtBackend()
{
    // The default (native) backend reads plain "Listening"; its tooltip names it.
    ServerBar *bar = m_window->serverBar();
    QVERIFY2(!bar->stateText().contains(QLatin1String("backend")), qPrintable(bar->stateText()));

    auto host = std::make_unique<EngineHost>();
    auto window = std::make_unique<MainWindow>(*host);
    ServerConfig config;
    config.host = QStringLiteral("127.0.0.1");
    config.port = 0;
    config.websocketBackend = WebSocketBackend::Qt;
    window->setServerConfig(config);
    window->show();
    QSignalSpy listening(host.get(), &EngineHost::listening);
    window->startServer();
    QVERIFY(listening.wait(5000));
    QTRY_VERIFY2(window->serverBar()->stateText().contains(QStringLiteral("Listening · qt backend")),
                 qPrintable(window->serverBar()->stateText()));
    // And Qt's QWebSocketServer serves its clients.
    QUrl url = host->url();
    url.setScheme(QStringLiteral("ws"));
    url.setPath(QStringLiteral("/ws"));
    auto client = TestSupport::connectClient(url);
    QVERIFY(client);
    TestSupport::expectServed(*client);
    client.reset();
    window.reset();
}

SWITCHBOARD_WIDGET_TEST_MAIN(TestDashboardServer, "tst_dashboardserver")

#include "tst_dashboardserver.moc"
