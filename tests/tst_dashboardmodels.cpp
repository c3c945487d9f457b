// The dashboard's Qt Core pieces: payload formatting and parsing, traffic rates, the clients model.
#include "model/ClientTableModel.h"
#include "model/PayloadFormatter.h"
#include "model/TrafficRates.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

class TestDashboardModels : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void jsonIsPrettyPrinted();
    void prettyJsonKeepsTheBytesAsSent();
    void malformedJsonIsNotPrettyPrinted_data();
    void malformedJsonIsNotPrettyPrinted();
    void nonJsonTextIsShownAsIs_data();
    void nonJsonTextIsShownAsIs();
    void binaryIsAHexDump();
    void closeShowsCodeNameAndReason_data();
    void closeShowsCodeNameAndReason();
    void cappedPayloadSaysSo();
    void parseHex_data();
    void parseHex();
    void parseBase64_data();
    void parseBase64();

    void ratesComeFromDeltas();
    void ratesHistoryIsBounded();
    void ratesRestartAtZeroWhenTotalsGoBack();

    void clientRowsInsertOncePerBatchAndCoalesceChanges();
    void closedClientsStayUntilCleared();
    void sortRoleIsNumeric();
    void detailsNameEverything();
    void headingShowsTheWireSize();
    void compressionColumn_data();
    void compressionColumn();
    void detailsAndPathNameTheUpstream();
};

namespace {

LogRecord textRecord(const QByteArray &payload)
{
    LogRecord record;
    record.sequence = 7;
    record.timestampMs = 1700000000123;
    record.clientId = 3;
    record.route = QStringLiteral("/ws");
    record.direction = LogRecord::Direction::In;
    record.kind = LogRecord::Kind::Text;
    record.payload = payload;
    record.size = payload.size();
    return record;
}

ClientInfo client(quint64 id, qint64 messagesIn = 0)
{
    ClientInfo info;
    info.id = id;
    info.peerAddress = QStringLiteral("127.0.0.1");
    info.peerPort = static_cast<quint16>(40000 + id);
    info.route = QStringLiteral("/ws");
    info.path = QStringLiteral("/ws");
    info.messagesIn = messagesIn;
    return info;
}

} // namespace

void TestDashboardModels::jsonIsPrettyPrinted()
{
    const auto formatted = PayloadFormatter::format(textRecord(R"({"hello":"world","list":[1,2]})"));
    QCOMPARE(formatted.format, PayloadFormatter::Format::Json);
    QCOMPARE(formatted.body, QStringLiteral("{\n    \"hello\": \"world\",\n    \"list\": [\n        1,\n        2\n    ]\n}"));
    QVERIFY(formatted.heading.contains(QStringLiteral("#7")));
    QVERIFY(formatted.heading.contains(QStringLiteral("client 3")));
    QVERIFY(formatted.note.isEmpty());
}

void TestDashboardModels::prettyJsonKeepsTheBytesAsSent()
{
    // Key order, big integers, trailing zeros and exponents exactly as on the wire (issue 19 item 2).
    const QByteArray sent = R"({"z":1,"a":2,"id":12345678901234567890,"price":1.50,"big":1e3})";
    const auto formatted = PayloadFormatter::format(textRecord(sent));
    QCOMPARE(formatted.format, PayloadFormatter::Format::Json);
    QCOMPARE(formatted.body, QStringLiteral("{\n    \"z\": 1,\n    \"a\": 2,\n    \"id\": 12345678901234567890,\n"
                                            "    \"price\": 1.50,\n    \"big\": 1e3\n}"));
    // Removing the indentation gives the bytes back.
    QString compact = formatted.body;
    compact.remove(QLatin1Char('\n')).replace(QStringLiteral("    "), QString()).replace(QStringLiteral(": "), QStringLiteral(":"));
    QCOMPARE(compact.toUtf8(), sent);

    // Escapes, unicode, empty containers and nesting pass through untouched.
    QCOMPARE(PayloadFormatter::prettyJson(R"([ {}, [], "a\"b\u00e9, [x]", -0.0E+2, null ])"),
             QStringLiteral("[\n    {},\n    [],\n    \"a\\\"b\\u00e9, [x]\",\n    -0.0E+2,\n    null\n]"));
    QVERIFY(PayloadFormatter::isJson("42"));
    QVERIFY(PayloadFormatter::isJson(" \"x\" "));
    QVERIFY(!PayloadFormatter::isJson("{\"a\":}"));
}

void TestDashboardModels::malformedJsonIsNotPrettyPrinted_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("trailing comma") << QByteArray("[1,2,]");
    QTest::newRow("leading zero") << QByteArray("[01]");
    QTest::newRow("bare word") << QByteArray("{\"a\": yes}");
    QTest::newRow("unterminated string") << QByteArray("[\"abc]");
    QTest::newRow("two values") << QByteArray("{} {}");
    QTest::newRow("missing colon") << QByteArray("{\"a\" 1}");
    QTest::newRow("control char in string") << QByteArray("[\"a\tb\"]");
    QTest::newRow("deep nesting") << QByteArray(100000, '[');
}

void TestDashboardModels::malformedJsonIsNotPrettyPrinted()
{
    QFETCH(QByteArray, payload);
    QVERIFY(PayloadFormatter::prettyJson(payload).isEmpty());
    QVERIFY(!PayloadFormatter::isJson(payload));
    QCOMPARE(PayloadFormatter::format(textRecord(payload)).format, PayloadFormatter::Format::Text);
}

void TestDashboardModels::nonJsonTextIsShownAsIs_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("plain") << QByteArray("hello there");
    QTest::newRow("scalar json") << QByteArray("42");
    QTest::newRow("broken json") << QByteArray("{\"a\": ");
    QTest::newRow("multi-line") << QByteArray("line 1\nline 2");
    QTest::newRow("utf-8") << QByteArray("gr\xc3\xbc\xc3\x9f");
}

void TestDashboardModels::nonJsonTextIsShownAsIs()
{
    QFETCH(QByteArray, payload);
    const auto formatted = PayloadFormatter::format(textRecord(payload));
    QCOMPARE(formatted.format, PayloadFormatter::Format::Text);
    QCOMPARE(formatted.body, QString::fromUtf8(payload));
}

void TestDashboardModels::binaryIsAHexDump()
{
    LogRecord record = textRecord(QByteArray("\xde\xad\xbe\xef" "Hello, world!\x00\x01" "more", 23));
    record.kind = LogRecord::Kind::Binary;
    const auto formatted = PayloadFormatter::format(record);
    QCOMPARE(formatted.format, PayloadFormatter::Format::Hex);
    const QStringList lines = formatted.body.split(QLatin1Char('\n'));
    QCOMPARE(lines.size(), 2);
    QCOMPARE(lines.at(0), QStringLiteral("00000000  de ad be ef 48 65 6c 6c  6f 2c 20 77 6f 72 6c 64  |....Hello, world|"));
    QCOMPARE(lines.at(1), QStringLiteral("00000010  21 00 01 6d 6f 72 65                              |!..more|"));
}

void TestDashboardModels::closeShowsCodeNameAndReason_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<int>("direction");
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("closedBy");
    QTest::newRow("4001 by client") << 4001 << int(LogRecord::Direction::In) << "application-defined" << "client";
    QTest::newRow("1001 by server") << 1001 << int(LogRecord::Direction::Out) << "Going Away" << "server";
    QTest::newRow("3008") << 3008 << int(LogRecord::Direction::In) << "registered for libraries and frameworks"
                          << "client";
    QTest::newRow("1006 dropped") << 1006 << int(LogRecord::Direction::System) << "Abnormal Closure" << "network";
}

void TestDashboardModels::closeShowsCodeNameAndReason()
{
    QFETCH(int, code);
    QFETCH(int, direction);
    QFETCH(QString, name);
    QFETCH(QString, closedBy);
    LogRecord record = textRecord({});
    record.kind = LogRecord::Kind::Close;
    record.direction = static_cast<LogRecord::Direction>(direction);
    record.closeCode = code;
    record.detail = QStringLiteral("see you");
    const auto formatted = PayloadFormatter::format(record);
    QCOMPARE(formatted.format, PayloadFormatter::Format::Close);
    QVERIFY2(formatted.body.contains(QStringLiteral("Code:      %1 (%2)").arg(code).arg(name)), qPrintable(formatted.body));
    QVERIFY(formatted.body.contains(QStringLiteral("Reason:    see you")));
    QVERIFY(formatted.body.contains(QStringLiteral("Closed by: ") + closedBy));
}

void TestDashboardModels::cappedPayloadSaysSo()
{
    LogRecord record = textRecord(QByteArray(100, 'x'));
    record.size = 1000000;
    const auto formatted = PayloadFormatter::format(record);
    QVERIFY2(formatted.note.contains(QStringLiteral("first 100 of 1,000,000 bytes")), qPrintable(formatted.note));
}

void TestDashboardModels::parseHex_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("errorContains");
    QTest::newRow("spaced") << "de ad be ef" << true << QByteArray("\xde\xad\xbe\xef") << QString();
    QTest::newRow("compact upper") << "DEADBEEF" << true << QByteArray("\xde\xad\xbe\xef") << QString();
    QTest::newRow("colons") << "de:ad:be:ef" << true << QByteArray("\xde\xad\xbe\xef") << QString();
    QTest::newRow("0x, commas, lines") << "0xde, 0xad,\n0xbe 0xef" << true << QByteArray("\xde\xad\xbe\xef") << QString();
    QTest::newRow("zero byte") << "00 01" << true << QByteArray("\x00\x01", 2) << QString();
    QTest::newRow("empty") << "" << true << QByteArray() << QString();
    QTest::newRow("odd") << "abc" << false << QByteArray() << "odd number";
    QTest::newRow("not hex") << "de zz" << false << QByteArray() << "'z' at character 4";
}

void TestDashboardModels::parseHex()
{
    QFETCH(QString, input);
    QFETCH(bool, ok);
    QFETCH(QByteArray, bytes);
    QFETCH(QString, errorContains);
    QByteArray out;
    QString error;
    QCOMPARE(PayloadFormatter::parseHex(input, &out, &error), ok);
    if (ok)
        QCOMPARE(out, bytes);
    else
        QVERIFY2(error.contains(errorContains), qPrintable(error));
}

void TestDashboardModels::parseBase64_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("standard") << "SGVsbG8=" << true << QByteArray("Hello");
    QTest::newRow("with whitespace") << "SGVs\n bG8=" << true << QByteArray("Hello");
    QTest::newRow("url alphabet") << "-_8=" << true << QByteArray("\xfb\xff");
    QTest::newRow("garbage") << "SGV*bG8=" << false << QByteArray();
    QTest::newRow("non-ascii") << QString::fromUtf8("SGV\xc3\xa9") << false << QByteArray();
}

void TestDashboardModels::parseBase64()
{
    QFETCH(QString, input);
    QFETCH(bool, ok);
    QFETCH(QByteArray, bytes);
    QByteArray out;
    QString error;
    QCOMPARE(PayloadFormatter::parseBase64(input, &out, &error), ok);
    if (ok)
        QCOMPARE(out, bytes);
    else
        QVERIFY(!error.isEmpty());
}

void TestDashboardModels::ratesComeFromDeltas()
{
    TrafficRates rates;
    EngineStats totals;
    totals.clientsOpen = 2;
    QCOMPARE(rates.addSample(totals, 1000).messagesInPerSecond, 0.0); // nothing to compare with yet
    totals.messagesIn = 50;
    totals.messagesOut = 100;
    totals.bytesIn = 5000;
    totals.bytesOut = 1000;
    const RateSample sample = rates.addSample(totals, 3000); // two seconds later
    QCOMPARE(sample.clients, 2);
    QCOMPARE(sample.messagesInPerSecond, 25.0);
    QCOMPARE(sample.messagesOutPerSecond, 50.0);
    QCOMPARE(sample.messagesPerSecond(), 75.0);
    QCOMPARE(sample.bytesInPerSecond, 2500.0);
    QCOMPARE(sample.bytesOutPerSecond, 500.0);
    QCOMPARE(rates.peakMessagesPerSecond(), 75.0);
    QCOMPARE(rates.latest().atMs, 3000);
}

void TestDashboardModels::ratesHistoryIsBounded()
{
    TrafficRates rates;
    EngineStats totals;
    for (int second = 0; second < 200; ++second) {
        totals.messagesIn += second;
        totals.clientsOpen = second;
        rates.addSample(totals, second * 1000);
    }
    QCOMPARE(rates.size(), TrafficRates::kHistorySeconds);
    QCOMPARE(rates.at(0).clients, 200 - TrafficRates::kHistorySeconds); // the oldest kept
    QCOMPARE(rates.latest().clients, 199);
    QCOMPARE(rates.latest().messagesInPerSecond, 199.0);
    QCOMPARE(rates.peakClients(), 199);
}

void TestDashboardModels::ratesRestartAtZeroWhenTotalsGoBack()
{
    TrafficRates rates;
    EngineStats totals;
    totals.messagesIn = 1000;
    rates.addSample(totals, 0);
    totals.messagesIn = 3; // a new engine counts from zero
    QCOMPARE(rates.addSample(totals, 1000).messagesInPerSecond, 0.0);
    totals.messagesIn = 13;
    QCOMPARE(rates.addSample(totals, 2000).messagesInPerSecond, 10.0);
    rates.reset(3000); // a new engine started: traffic before the first sample counts
    QVERIFY(rates.isEmpty());
    QCOMPARE(rates.addSample(totals, 4000).messagesInPerSecond, 13.0);
}

void TestDashboardModels::clientRowsInsertOncePerBatchAndCoalesceChanges()
{
    ClientTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

    ClientInfoList batch;
    for (quint64 id = 1; id <= 100; ++id)
        batch.append(client(id));
    model.applyChanges(batch);
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(inserted.count(), 1);

    // Every client changed, plus a separate run: two dataChanged, not 51.
    ClientInfoList updates;
    for (quint64 id = 1; id <= 50; ++id)
        updates.append(client(id, 5));
    updates.append(client(80, 9));
    model.applyChanges(updates);
    QCOMPARE(changed.count(), 2);
    QCOMPARE(changed.at(0).at(0).value<QModelIndex>().row(), 0);
    QCOMPARE(changed.at(0).at(1).value<QModelIndex>().row(), 49);
    QCOMPARE(changed.at(1).at(0).value<QModelIndex>().row(), 79);
    QCOMPARE(model.client(model.rowOf(80)).messagesIn, 9);
}

void TestDashboardModels::closedClientsStayUntilCleared()
{
    ClientTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.applyChanges({client(1), client(2), client(3)});
    ClientInfo closed = client(2);
    closed.state = ClientInfo::State::Closed;
    closed.closeCode = 4001;
    closed.closeReason = QStringLiteral("bye");
    closed.closedBy = ClientInfo::ClosedBy::Client;
    model.applyChanges({closed});
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.openCount(), 2);
    const QModelIndex state = model.index(model.rowOf(2), ClientTableModel::State);
    QVERIFY(state.data(ClientTableModel::IsClosedRole).toBool());
    QCOMPARE(state.data().toString(), QStringLiteral("closed 4001 by client: bye"));
    model.clearClosed();
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.rowOf(2), -1);
    QCOMPARE(model.rowOf(3), 1);
}

void TestDashboardModels::sortRoleIsNumeric()
{
    ClientTableModel model;
    model.applyChanges({client(1, 9), client(2, 10)});
    const QVariant nine = model.index(0, ClientTableModel::MessagesIn).data(ClientTableModel::SortRole);
    const QVariant ten = model.index(1, ClientTableModel::MessagesIn).data(ClientTableModel::SortRole);
    QVERIFY(QVariant::compare(nine, ten) == QPartialOrdering::Less); // as text "9" > "10"
}

void TestDashboardModels::detailsNameEverything()
{
    ClientInfo info = client(4);
    info.subprotocol = QStringLiteral("chat");
    info.extensions = QStringLiteral("permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    info.wireBytesOut = 321;
    info.origin = QStringLiteral("http://127.0.0.1:8080");
    info.state = ClientInfo::State::Closed;
    info.closeCode = 1008;
    info.closeReason = QStringLiteral("rate limit");
    info.closedBy = ClientInfo::ClosedBy::Server;
    const QString details = ClientTableModel::details(info);
    for (const char *line : {"Client 4", "Peer: 127.0.0.1:40004", "Subprotocol: chat", "Origin: http://127.0.0.1:8080",
                             "Close code: 1008", "Close reason: rate limit", "Closed by: server",
                             "Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover",
                             "Bytes out on the wire: 321"}) {
        QVERIFY2(details.contains(QLatin1String(line)), line);
    }
}

void TestDashboardModels::headingShowsTheWireSize()
{
    LogRecord record = textRecord("x");
    record.size = 4096;
    record.wireSize = 310;
    QVERIFY2(PayloadFormatter::format(record).heading.contains(QLatin1String("4096 bytes (310 on the wire)")),
             qPrintable(PayloadFormatter::format(record).heading));
    record.frames = 3;
    QVERIFY2(PayloadFormatter::format(record).heading.contains(QLatin1String("4096 bytes (310 on the wire, in 3 frames)")),
             qPrintable(PayloadFormatter::format(record).heading));
    record.frames = 0;
    record.direction = LogRecord::Direction::Broadcast; // every recipient's frames together
    record.fanout = 3;
    QVERIFY2(PayloadFormatter::format(record).heading.contains(QLatin1String("4096 bytes (310 on the wire in all)")),
             qPrintable(PayloadFormatter::format(record).heading));
    record.wireSize = 0; // not known: the payload size alone
    QVERIFY(!PayloadFormatter::format(record).heading.contains(QLatin1String("on the wire")));
}

void TestDashboardModels::compressionColumn_data()
{
    QTest::addColumn<QString>("extensions");
    QTest::addColumn<QString>("shown");
    QTest::newRow("none") << QString() << QStringLiteral("none");
    QTest::newRow("default answer") << QStringLiteral("permessage-deflate; server_no_context_takeover; client_no_context_takeover")
                                    << QStringLiteral("deflate");
    QTest::newRow("context takeover") << QStringLiteral("permessage-deflate; server_max_window_bits=10")
                                      << QStringLiteral("deflate, context kept");
}

void TestDashboardModels::compressionColumn()
{
    QFETCH(QString, extensions);
    QFETCH(QString, shown);
    ClientTableModel model;
    ClientInfo info = client(1);
    info.extensions = extensions;
    model.applyChanges({info});
    QCOMPARE(model.index(0, ClientTableModel::Compression).data().toString(), shown);
    QCOMPARE(model.index(0, ClientTableModel::Compression).data(Qt::ToolTipRole).toString(), extensions);
}

void TestDashboardModels::detailsAndPathNameTheUpstream()
{
    ClientInfo info = client(1);
    QVERIFY(!ClientTableModel::details(info).contains(QLatin1String("Upstream")));
    info.upstreamUrl = QStringLiteral("ws://127.0.0.1:9000/socket");
    info.upstreamState = QStringLiteral("open");
    QVERIFY(ClientTableModel::details(info).contains(QLatin1String("Upstream: ws://127.0.0.1:9000/socket (open)")));
    ClientTableModel model;
    model.applyChanges({info});
    QCOMPARE(model.index(0, ClientTableModel::Path).data().toString(),
             info.path + QStringLiteral(" \u2192 ws://127.0.0.1:9000/socket (open)"));
}

QTEST_GUILESS_MAIN(TestDashboardModels)
#include "tst_dashboardmodels.moc"
