// The dashboard on a proxied connection (issue 18, intercept and inject): the intercept dock holds
// one direction, lists what is held, forwards an edit made in the compose panel, drops, forwards
// all, holds a whole route (new clients too); the compose panel injects both ways. A real engine,
// a QWebSocketServer upstream and QWebSocket clients on 127.0.0.1; no sleeps.
#include "ClientsPanel.h"
#include "ComposePanel.h"
#include "DashboardFixture.h"
#include "InterceptPanel.h"
#include "TestSupport.h"
#include "WidgetTestMain.h"
#include "model/ClientTableModel.h"
#include "model/HeldMessageModel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QWebSocket>
#include <QWebSocketServer>

class TestDashboardIntercept : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void holdToUpstreamListsEditsForwardsAndDrops();
    void holdFromUpstreamThenForwardAll();
    void editsLargeAndBinaryHeldMessages();
    void routeHoldCoversNewClients();
    void composeInjectsBothWays();
    void fullHoldForwardsAndCounts();

private:
    // A client on /live, its upstream leg and its id.
    struct Proxied
    {
        std::unique_ptr<QWebSocket> client;
        QWebSocket *leg = nullptr;
        quint64 id = 0;
    };
    bool connectProxied(Proxied *proxied);
    // Ticks a hold box of the selected client and waits until the table and the dock show it.
    void holdAndWait(const char *boxName, const QString &direction);
    void select(quint64 id);
    QCheckBox *box(const char *name) const { return panel()->findChild<QCheckBox *>(QLatin1String(name)); }
    QPushButton *button(const char *name) const { return panel()->findChild<QPushButton *>(QLatin1String(name)); }
    InterceptPanel *panel() const { return m_window->interceptPanel(); }
    HeldMessageModel *held() const { return panel()->model(); }
    // The State column of a client's row in the clients table.
    QString stateOf(quint64 id) const
    {
        const ClientTableModel *clients = m_window->clientModel();
        return clients->data(clients->index(clients->rowOf(id), ClientTableModel::State)).toString();
    }
    // Sets the compose panel's target by its text.
    bool chooseTarget(const QString &text);

    std::unique_ptr<QWebSocketServer> m_upstream;
    std::unique_ptr<EngineHost> m_host;
    std::unique_ptr<MainWindow> m_window;
};

void TestDashboardIntercept::init()
{
    m_upstream = std::make_unique<QWebSocketServer>(QStringLiteral("upstream"), QWebSocketServer::NonSecureMode);
    QVERIFY(m_upstream->listen(QHostAddress::LocalHost, 0));
    const quint16 port = m_upstream->serverPort();
    QVERIFY(openListeningDashboard(m_host, m_window, {}, [port](ServerConfig &config) {
        RouteSpec route;
        route.pattern = QStringLiteral("/live");
        route.behaviour = RouteBehaviourKind::Proxy;
        route.upstream = QStringLiteral("ws://127.0.0.1:%1/socket").arg(port);
        config.routes.put(route);
    }));
}

void TestDashboardIntercept::cleanup()
{
    m_window.reset();
    m_host.reset();
    m_upstream.reset(); // its legs are its children
}

bool TestDashboardIntercept::connectProxied(Proxied *proxied)
{
    std::unique_ptr<QWebSocket> &client = proxied->client;
    QWebSocket *&leg = proxied->leg;
    quint64 *id = &proxied->id;
    QUrl url = m_host->url();
    url.setScheme(QStringLiteral("ws"));
    url.setPath(QStringLiteral("/live"));
    const int before = m_window->clientModel()->rowCount();
    client = TestSupport::connectClient(url);
    if (!client)
        return false;
    if (!m_upstream->hasPendingConnections()) {
        QSignalSpy connection(m_upstream.get(), &QWebSocketServer::newConnection);
        if (!connection.wait(5000))
            return false;
    }
    leg = m_upstream->nextPendingConnection();
    leg->setParent(m_upstream.get());
    if (!QTest::qWaitFor([&] { return m_window->clientModel()->rowCount() > before; }, 5000))
        return false;
    *id = m_window->clientModel()->client(m_window->clientModel()->rowCount() - 1).id;
    return true;
}

void TestDashboardIntercept::holdAndWait(const char *boxName, const QString &direction)
{
    const quint64 id = panel()->clientId();
    box(boxName)->click();
    QTRY_VERIFY_WITH_TIMEOUT(stateOf(id).contains(QStringLiteral("holding ") + direction), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(box(boxName)->isChecked(), 5000); // the dock's snapshot follows
}

void TestDashboardIntercept::select(quint64 id)
{
    m_window->clientsPanel()->selectClients({id});
    QTRY_COMPARE_WITH_TIMEOUT(panel()->clientId(), id, 5000);
}

bool TestDashboardIntercept::chooseTarget(const QString &text)
{
    auto *target = m_window->composePanel()->findChild<QComboBox *>(QStringLiteral("composeTarget"));
    const int index = target->findText(text);
    if (index < 0)
        return false;
    target->setCurrentIndex(index);
    return true;
}

void TestDashboardIntercept::holdToUpstreamListsEditsForwardsAndDrops()
{
    Proxied pair;
    QVERIFY(connectProxied(&pair));
    auto &[client, leg, id] = pair;
    QSignalSpy upstreamGot(leg, &QWebSocket::textMessageReceived);
    select(id);
    QVERIFY(panel()->isVisible()); // shown when a proxied client is first selected

    holdAndWait("holdToUpstream", QStringLiteral("client → upstream"));
    QVERIFY(!box("holdToClient")->isChecked());
    client->sendTextMessage(QStringLiteral("one"));
    client->sendTextMessage(QStringLiteral("two"));
    QTRY_COMPARE_WITH_TIMEOUT(held()->rowCount(), 2, 5000);
    QCOMPARE(held()->data(held()->index(0, HeldMessageModel::Direction)).toString(), QStringLiteral("client → upstream"));
    QCOMPARE(held()->data(held()->index(0, HeldMessageModel::Size)).toString(), QStringLiteral("3 B"));
    QCOMPARE(held()->data(held()->index(0, HeldMessageModel::Preview)).toString(), QStringLiteral("one"));
    QCOMPARE(held()->data(held()->index(1, HeldMessageModel::Preview)).toString(), QStringLiteral("two"));
    QCOMPARE(upstreamGot.count(), 0);

    // Edit the first in the compose panel; Send there (now "Forward") sends the edit upstream.
    panel()->table()->selectRow(0);
    QVERIFY(button("heldEdit")->isEnabled());
    button("heldEdit")->click();
    ComposePanel *compose = m_window->composePanel();
    QCOMPARE(compose->target(), ComposePanel::Target::HeldMessage);
    QCOMPARE(compose->editor()->toPlainText(), QStringLiteral("one"));
    QCOMPARE(compose->sendButton()->text(), QStringLiteral("&Forward"));
    compose->editor()->setPlainText(QStringLiteral("ONE, edited"));
    compose->sendButton()->click();
    QVERIFY(upstreamGot.wait(5000));
    QCOMPARE(upstreamGot.first().first().toString(), QStringLiteral("ONE, edited"));
    QCOMPARE(compose->target(), ComposePanel::Target::SelectedClients); // back to what it was
    QTRY_COMPARE_WITH_TIMEOUT(held()->rowCount(), 1, 5000);

    // Drop the other: it never reaches the upstream.
    panel()->table()->selectRow(0);
    button("heldDrop")->click();
    QTRY_COMPARE_WITH_TIMEOUT(held()->rowCount(), 0, 5000);
    box("holdToUpstream")->click(); // hold off
    QTRY_VERIFY_WITH_TIMEOUT(!stateOf(id).contains(QStringLiteral("holding")), 5000);
    client->sendTextMessage(QStringLiteral("three"));
    QTRY_COMPARE_WITH_TIMEOUT(upstreamGot.count(), 2, 5000);
    QCOMPARE(upstreamGot.at(1).first().toString(), QStringLiteral("three"));
}

void TestDashboardIntercept::holdFromUpstreamThenForwardAll()
{
    Proxied pair;
    QVERIFY(connectProxied(&pair));
    auto &[client, leg, id] = pair;
    QSignalSpy clientGot(client.get(), &QWebSocket::textMessageReceived);
    select(id);
    holdAndWait("holdToClient", QStringLiteral("upstream → client"));
    leg->sendTextMessage(QStringLiteral("a"));
    leg->sendTextMessage(QStringLiteral("b"));
    QTRY_COMPARE_WITH_TIMEOUT(held()->rowCount(), 2, 5000);
    QCOMPARE(held()->data(held()->index(1, HeldMessageModel::Direction)).toString(), QStringLiteral("upstream → client"));
    QCOMPARE(clientGot.count(), 0);
    QVERIFY(button("heldForwardAll")->isEnabled());
    button("heldForwardAll")->click();
    QTRY_COMPARE_WITH_TIMEOUT(clientGot.count(), 2, 5000);
    QCOMPARE(clientGot.at(0).first().toString(), QStringLiteral("a"));
    QCOMPARE(clientGot.at(1).first().toString(), QStringLiteral("b"));
    QTRY_COMPARE_WITH_TIMEOUT(held()->rowCount(), 0, 5000);
    QVERIFY(box("holdToClient")->isChecked()); // still holding

    // Release: stops holding and forwards what came meanwhile.
    leg->sendTextMessage(QStringLiteral("c"));
    QTRY_COMPARE_WITH_TIMEOUT(held()->rowCount(), 1, 5000);
    button("heldRelease")->click();
    QTRY_COMPARE_WITH_TIMEOUT(clientGot.count(), 3, 5000);
    QCOMPARE(clientGot.at(2).first().toString(), QStringLiteral("c"));
    QTRY_VERIFY_WITH_TIMEOUT(!box("holdToClient")->isChecked(), 5000);
}

void TestDashboardIntercept::editsLargeAndBinaryHeldMessages()
{
    Proxied pair;
    QVERIFY(connectProxied(&pair));
    auto &[client, leg, id] = pair;
    QSignalSpy upstreamText(leg, &QWebSocket::textMessageReceived);
    QSignalSpy upstreamBinary(leg, &QWebSocket::binaryMessageReceived);
    select(id);
    holdAndWait("holdToUpstream", QStringLiteral("client → upstream"));

    // Text too large for the editor: the compose panel holds it whole (shown cut short, read-only)
    // and forwards all of it.
    const QString big = QStringLiteral("{\"blob\":\"") + QString(300 * 1024, QLatin1Char('x')) + QStringLiteral("\"}");
    client->sendTextMessage(big);
    client->sendBinaryMessage(QByteArray("\x01\x02\xff", 3));
    QTRY_COMPARE_WITH_TIMEOUT(held()->rowCount(), 2, 5000);
    QCOMPARE(held()->data(held()->index(1, HeldMessageModel::Type)).toString(), QStringLiteral("binary"));
    QCOMPARE(held()->data(held()->index(1, HeldMessageModel::Preview)).toString(), QStringLiteral("01 02 ff"));
    panel()->table()->selectRow(0);
    button("heldEdit")->click();
    ComposePanel *compose = m_window->composePanel();
    QCOMPARE(compose->heldTextSize(), big.size());
    QVERIFY(compose->editor()->isReadOnly());
    compose->sendButton()->click();
    QVERIFY(upstreamText.wait(5000));
    QCOMPARE(upstreamText.first().first().toString(), big);

    // Binary is edited as hex and stays binary.
    QTRY_COMPARE_WITH_TIMEOUT(held()->rowCount(), 1, 5000);
    panel()->table()->selectRow(0);
    button("heldEdit")->click();
    QCOMPARE(compose->format(), ComposePanel::Format::Hex);
    QCOMPARE(compose->editor()->toPlainText(), QStringLiteral("01 02 ff"));
    compose->editor()->setPlainText(QStringLiteral("01 02 03"));
    compose->sendButton()->click();
    QVERIFY(upstreamBinary.wait(5000));
    QCOMPARE(upstreamBinary.first().first().toByteArray(), QByteArray("\x01\x02\x03", 3));
    QCOMPARE(upstreamText.count(), 1);
}

void TestDashboardIntercept::routeHoldCoversNewClients()
{
    Proxied first;
    QVERIFY(connectProxied(&first));
    select(first.id);
    QVERIFY(box("routeHoldToUpstream")->isEnabled());
    box("routeHoldToUpstream")->click();
    // The route's hold reaches its open client...
    QTRY_VERIFY_WITH_TIMEOUT(box("holdToUpstream")->isChecked(), 5000);
    QVERIFY(box("routeHoldToUpstream")->isChecked());

    // ...and a client that connects later.
    Proxied second;
    QVERIFY(connectProxied(&second));
    QSignalSpy upstreamGot(second.leg, &QWebSocket::textMessageReceived);
    select(second.id);
    QTRY_VERIFY_WITH_TIMEOUT(box("holdToUpstream")->isChecked() && box("routeHoldToUpstream")->isChecked(), 5000);
    second.client->sendTextMessage(QStringLiteral("late"));
    QTRY_COMPARE_WITH_TIMEOUT(held()->rowCount(), 1, 5000);
    QCOMPARE(upstreamGot.count(), 0);

    // Releasing the route forwards what its clients held.
    box("routeHoldToUpstream")->click();
    QVERIFY(upstreamGot.wait(5000));
    QCOMPARE(upstreamGot.first().first().toString(), QStringLiteral("late"));
    QTRY_VERIFY_WITH_TIMEOUT(!box("holdToUpstream")->isChecked(), 5000);
    QVERIFY(!box("routeHoldToUpstream")->isChecked());
}

void TestDashboardIntercept::composeInjectsBothWays()
{
    Proxied pair;
    QVERIFY(connectProxied(&pair));
    auto &[client, leg, id] = pair;
    QSignalSpy upstreamGot(leg, &QWebSocket::textMessageReceived);
    QSignalSpy clientGot(client.get(), &QWebSocket::textMessageReceived);
    ComposePanel *compose = m_window->composePanel();
    QVERIFY(!chooseTarget(QStringLiteral("Upstream, as if from the client"))); // nothing proxied selected
    select(id);

    QVERIFY(chooseTarget(QStringLiteral("Upstream, as if from the client")));
    compose->editor()->setPlainText(QStringLiteral("to the upstream"));
    QVERIFY(compose->problem().isEmpty());
    compose->sendButton()->click();
    QVERIFY(upstreamGot.wait(5000));
    QCOMPARE(upstreamGot.first().first().toString(), QStringLiteral("to the upstream"));
    QCOMPARE(clientGot.count(), 0);

    QVERIFY(chooseTarget(QStringLiteral("Client, as if from the upstream")));
    compose->editor()->setPlainText(QStringLiteral("to the client"));
    compose->sendButton()->click();
    QVERIFY(clientGot.wait(5000));
    QCOMPARE(clientGot.first().first().toString(), QStringLiteral("to the client"));
    QCOMPARE(upstreamGot.count(), 1);

    // A client of another route: the proxy targets go away.
    QUrl echo = m_host->url();
    echo.setScheme(QStringLiteral("ws"));
    echo.setPath(QStringLiteral("/ws"));
    auto plain = TestSupport::connectClient(echo);
    QVERIFY(plain);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->clientModel()->openCount(), 2, 5000);
    const quint64 plainId = m_window->clientModel()->client(m_window->clientModel()->rowCount() - 1).id;
    m_window->clientsPanel()->selectClients({plainId});
    QTRY_COMPARE_WITH_TIMEOUT(panel()->clientId(), quint64(0), 5000);
    QVERIFY(!chooseTarget(QStringLiteral("Client, as if from the upstream")));
    QCOMPARE(compose->target(), ComposePanel::Target::SelectedClients);
}

void TestDashboardIntercept::fullHoldForwardsAndCounts()
{
    // Past the hold's bound a message goes on at once, and the dock says how many did.
    Proxied pair;
    QVERIFY(connectProxied(&pair));
    auto &[client, leg, id] = pair;
    QSignalSpy upstreamGot(leg, &QWebSocket::textMessageReceived);
    select(id);
    holdAndWait("holdToUpstream", QStringLiteral("client → upstream"));
    auto *status = panel()->findChild<QLabel *>(QStringLiteral("heldStatus"));
    QVERIFY(status);
    const int past = 3;
    for (int i = 0; i < ProxyHoldQueue::kMaxMessages + past; ++i)
        client->sendTextMessage(QStringLiteral("m%1").arg(i));
    QTRY_COMPARE_WITH_TIMEOUT(upstreamGot.count(), past, 5000);
    QCOMPARE(upstreamGot.first().first().toString(), QStringLiteral("m%1").arg(ProxyHoldQueue::kMaxMessages));
    QTRY_COMPARE_WITH_TIMEOUT(held()->rowCount(), ProxyHoldQueue::kMaxMessages, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(status->text().contains(QStringLiteral("3 went on unheld")), 5000);
    QVERIFY2(status->text().startsWith(QStringLiteral("256 held")), qPrintable(status->text()));
}

SWITCHBOARD_WIDGET_TEST_MAIN(TestDashboardIntercept, "tst_dashboardintercept")
#include "tst_dashboardintercept.moc"
