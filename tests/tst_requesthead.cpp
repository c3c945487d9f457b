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
    void byteAtATimeResumes_data();
    void byteAtATimeResumes();
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

void TestRequestHead::byteAtATimeResumes_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("maxHeadBytes");
    QByteArray fields;
    for (int i = 0; i < 90; ++i)
        fields += "X-Field-" + QByteArray::number(i) + ": " + QByteArray(60, 'v') + "\r\n";
    QTest::newRow("CRLF, 90 fields") << QByteArray("GET /chat/a?x=1 HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n") << 16384;
    QTest::newRow("bare LF") << QByteArray("GET / HTTP/1.1\nHost: a\nUpgrade: websocket\n\n") << 16384;
    QTest::newRow("binary request line") << QByteArray("GET /\x16\x03 HTTP/1.1\r\n\r\n") << 16384;
    QTest::newRow("CR inside a line") << QByteArray("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n") << 16384;
    QTest::newRow("too large") << QByteArray("GET / HTTP/1.1\r\nX: " + QByteArray(3000, 'a') + "\r\n\r\n") << 2048;
}

void TestRequestHead::byteAtATimeResumes()
{
    // The front door looks again whenever a segment arrives; one byte per segment must cost each
    // byte once (not the whole head again) and decide exactly as one look at the whole would.
    QFETCH(QByteArray, bytes);
    QFETCH(int, maxHeadBytes);
    HttpRequestHead::Progress progress;
    HttpRequestHead head;
    int looks = 0;
    for (int n = 1; n <= bytes.size(); ++n) {
        ++looks;
        head = HttpRequestHead::parse(bytes.left(n), maxHeadBytes, progress);
        const HttpRequestHead whole = HttpRequestHead::parse(bytes.left(n), maxHeadBytes);
        QCOMPARE(head.status, whole.status);
        QCOMPARE(head.error, whole.error);
        if (head.status != HttpRequestHead::Status::Incomplete) {
            QCOMPARE(head.headBytes, whole.headBytes);
            QCOMPARE(head.path, whole.path);
            QCOMPARE(head.headers, whole.headers);
            break;
        }
    }
    QVERIFY(head.status != HttpRequestHead::Status::Incomplete);
    // Looked at again while a body arrives after a complete head: the same head.
    if (head.status == HttpRequestHead::Status::Complete) {
        const HttpRequestHead again = HttpRequestHead::parse(bytes + "body\r\n\r\n", maxHeadBytes, progress);
        QCOMPARE(again.status, HttpRequestHead::Status::Complete);
        QCOMPARE(again.headBytes, head.headBytes);
    }
    // Each looked-at byte is examined about twice (request line, blank-line search) plus two
    // bytes of overlap per look; looking from the start each time would be quadratic.
    QVERIFY2(progress.bytesExamined <= 4LL * looks + 8,
             qPrintable(QStringLiteral("%1 bytes examined over %2 looks").arg(progress.bytesExamined).arg(looks)));
}

QTEST_GUILESS_MAIN(TestRequestHead)
#include "tst_requesthead.moc"
