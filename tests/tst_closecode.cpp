#include "websocket/CloseCode.h"

#include <QTest>

class TestCloseCode : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sendable_data();
    void sendable();
    void reasonIsCutOnACharacterBoundary_data();
    void reasonIsCutOnACharacterBoundary();
};

void TestCloseCode::sendable_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<bool>("ok");
    for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4001, 4999})
        QTest::addRow("%d", code) << code << true;
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535, -1})
        QTest::addRow("%d", code) << code << false;
}

void TestCloseCode::sendable()
{
    QFETCH(int, code);
    QFETCH(bool, ok);
    QCOMPARE(CloseCode::isSendable(code), ok);
    QCOMPARE(CloseCode::whyNotSendable(code).isEmpty(), ok);
}

void TestCloseCode::reasonIsCutOnACharacterBoundary_data()
{
    QTest::addColumn<QString>("reason");
    QTest::addColumn<int>("expectedBytes");
    QTest::newRow("short") << QStringLiteral("bye") << 3;
    QTest::newRow("200 ascii") << QString(200, QLatin1Char('x')) << 123;
    QTest::newRow("62 e-acute") << QString(62, QChar(0x00E9)) << 122; // 2 bytes each: 61 fit
    QTest::newRow("euro signs") << QString(50, QChar(0x20AC)) << 123;  // 3 bytes each: 41 fit
    QTest::newRow("emoji") << QString::fromUtf8(QByteArray("\xF0\x9F\x98\x80").repeated(40)) << 120;
}

void TestCloseCode::reasonIsCutOnACharacterBoundary()
{
    QFETCH(QString, reason);
    QFETCH(int, expectedBytes);
    const QString cut = CloseCode::truncateReason(reason);
    const QByteArray utf8 = cut.toUtf8();
    QCOMPARE(utf8.size(), expectedBytes);
    QVERIFY(reason.startsWith(cut));
    QCOMPARE(QString::fromUtf8(utf8), cut); // round-trips: valid UTF-8
}

QTEST_GUILESS_MAIN(TestCloseCode)
#include "tst_closecode.moc"
