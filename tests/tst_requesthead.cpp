#include "http/HttpRequestHead.h"

#include <QTest>

class TestRequestHead : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parsesStatus_data();
    void parsesStatus();
    void parsesFields();
    void webSocketUpgradeDetection();
    void neverReadsPastTheLimit();
};

void TestRequestHead::parsesStatus_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("status");
    using S = HttpRequestHead::Status;
    QTest::newRow("complete") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\n\r\n") << int(S::Complete);
    QTest::newRow("bare LF") << QByteArray("GET / HTTP/1.1\nHost: a\n\n") << int(S::Complete);
    QTest::newRow("http/1.0 without host") << QByteArray("GET / HTTP/1.0\r\n\r\n") << int(S::Complete);
    QTest::newRow("partial") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\n") << int(S::Incomplete);
    QTest::newRow("empty") << QByteArray() << int(S::Incomplete);
    QTest::newRow("tls hello") << QByteArray("\x16\x03\x01\x02\x00\x01", 6) << int(S::Malformed);
    QTest::newRow("two words") << QByteArray("GET /\r\n\r\n") << int(S::Malformed);
    QTest::newRow("http/2") << QByteArray("GET / HTTP/2.0\r\nHost: a\r\n\r\n") << int(S::Malformed);
    QTest::newRow("absolute target") << QByteArray("GET http://x/ HTTP/1.1\r\nHost: a\r\n\r\n") << int(S::Malformed);
    QTest::newRow("no host") << QByteArray("GET / HTTP/1.1\r\n\r\n") << int(S::Malformed);
    QTest::newRow("header without colon") << QByteArray("GET / HTTP/1.1\r\nHost a\r\n\r\n") << int(S::Malformed);
    QTest::newRow("space in name") << QByteArray("GET / HTTP/1.1\r\nHo st: a\r\n\r\n") << int(S::Malformed);
    QTest::newRow("folded") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n") << int(S::Malformed);
    QTest::newRow("bad method") << QByteArray("G(T / HTTP/1.1\r\nHost: a\r\n\r\n") << int(S::Malformed);
    QTest::newRow("bare CR in value") << QByteArray("GET / HTTP/1.1\r\nHost: a\rX-Injected: b\r\n\r\n") << int(S::Malformed);
    QTest::newRow("bare CR ending value") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\r\n\r\n") << int(S::Malformed);
    QTest::newRow("bare CR in target") << QByteArray("GET /ws\rX HTTP/1.1\r\nHost: a\r\n\r\n") << int(S::Malformed);
    QTest::newRow("control char in value") << QByteArray("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n") << int(S::Malformed);
    QTest::newRow("too large") << QByteArray("GET / HTTP/1.1\r\nX: ") + QByteArray(20000, 'a') << int(S::TooLarge);
}

void TestRequestHead::parsesStatus()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, status);
    const HttpRequestHead head = HttpRequestHead::parse(bytes, 16 * 1024);
    QCOMPARE(int(head.status), status);
    if (head.status == HttpRequestHead::Status::Malformed || head.status == HttpRequestHead::Status::TooLarge)
        QVERIFY(!head.error.isEmpty());
}

void TestRequestHead::parsesFields()
{
    const QByteArray bytes = "GET /chat/my%20room?token=abc&interval=50 HTTP/1.1\r\n"
                             "Host: 127.0.0.1:8080\r\n"
                             "X-Twice: one\r\n"
                             "x-twice: two\r\n"
                             "\r\n"
                             "trailing body bytes";
    const HttpRequestHead head = HttpRequestHead::parse(bytes);
    QCOMPARE(head.status, HttpRequestHead::Status::Complete);
    QCOMPARE(head.method, QByteArray("GET"));
    QCOMPARE(head.path, QStringLiteral("/chat/my room"));
    QCOMPARE(head.query.queryItemValue(QStringLiteral("interval")), QStringLiteral("50"));
    QCOMPARE(head.header("host"), QByteArray("127.0.0.1:8080"));
    QCOMPARE(head.header("x-twice"), QByteArray("one, two"));
    QCOMPARE(head.headBytes, bytes.indexOf("trailing"));
}

void TestRequestHead::webSocketUpgradeDetection()
{
    const HttpRequestHead upgrade = HttpRequestHead::parse(
        "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n\r\n");
    QVERIFY(upgrade.isWebSocketUpgrade());
    const HttpRequestHead plain = HttpRequestHead::parse("GET /ws HTTP/1.1\r\nHost: a\r\n\r\n");
    QVERIFY(!plain.isWebSocketUpgrade());
}

void TestRequestHead::neverReadsPastTheLimit()
{
    // A blank line after the limit does not count: the head is too large.
    QByteArray bytes = "GET / HTTP/1.1\r\nX: " + QByteArray(100, 'a') + "\r\n\r\n";
    QCOMPARE(HttpRequestHead::parse(bytes, 64).status, HttpRequestHead::Status::TooLarge);
    QCOMPARE(HttpRequestHead::parse(bytes.left(60), 64).status, HttpRequestHead::Status::Incomplete);
}

QTEST_GUILESS_MAIN(TestRequestHead)
#include "tst_requesthead.moc"
