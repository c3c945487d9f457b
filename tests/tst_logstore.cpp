// The in-memory message log: ring buffer, payload cap, batching into the model, pause/hold-back,
// and the engine feeding it over real sockets.
#include "TestSupport.h"
#include "model/MessageLogModel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>
#include <QWebSocket>

namespace {

LogRecordBatch makeRecords(int count, quint64 firstSequence, int payloadBytes = 0)
{
    LogRecordBatch batch;
    batch.reserve(count);
    for (int i = 0; i < count; ++i) {
        LogRecord record;
        record.sequence = firstSequence + static_cast<quint64>(i);
        record.timestampMs = 1700000000000 + static_cast<qint64>(record.sequence);
        record.kind = LogRecord::Kind::Text;
        record.direction = LogRecord::Direction::In;
        record.clientId = 1;
        record.payload = payloadBytes > 0 ? QByteArray(payloadBytes, 'x') : QByteArray::number(record.sequence);
        record.size = record.payload.size();
        batch.append(record);
    }
    return batch;
}

QList<quint64> sequencesOf(const LogStore &store)
{
    QList<quint64> sequences;
    for (int i = 0; i < store.size(); ++i)
        sequences.append(store.at(i).sequence);
    return sequences;
}

QList<quint64> range(quint64 first, quint64 last)
{
    QList<quint64> out;
    for (quint64 s = first; s <= last; ++s)
        out.append(s);
    return out;
}

} // namespace

class TestLogStore : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void ringKeepsNewestInOrder_data();
    void ringKeepsNewestInOrder();
    void removeOldestAndClear();
    void setCapacityKeepsNewest();
    void payloadCapKeepsTrueSize();
    void smallPayloadsAreShared();
    void storedPayloadBytesIsBounded();
    void byteBudgetEvictsOldest();
    void recordOverBudgetStaysAlone();
    void modelEvictsByBytes();
    void pauseIsBoundedByBytes();

    void burstIsOneInsert();
    void evictionRemovesBeforeInserting();
    void testerAcrossOperations();
    void pauseHoldsRowsStill();
    void pauseIsBounded();
    void pauseCapsHeldPayloads();
    void recordsForRows();
    void replaceAllResetsOnce();

    void engineBurstArrivesInFewBatches();
    void engineKeepsFullPayloadModelCapsIt();
};

void TestLogStore::ringKeepsNewestInOrder_data()
{
    QTest::addColumn<int>("capacity");
    QTest::addColumn<QList<int>>("batches");
    QTest::addColumn<int>("expectedEvicted");
    QTest::newRow("under capacity") << 10 << QList<int>{3, 4} << 0;
    QTest::newRow("exactly full") << 10 << QList<int>{5, 5} << 0;
    QTest::newRow("one over") << 10 << QList<int>{5, 6} << 1;
    QTest::newRow("wraps many times") << 7 << QList<int>{3, 5, 2, 9, 1, 4} << 17;
    QTest::newRow("batch larger than capacity") << 5 << QList<int>{2, 12} << 9;
    QTest::newRow("capacity one") << 1 << QList<int>{1, 1, 3} << 4;
}

void TestLogStore::ringKeepsNewestInOrder()
{
    QFETCH(int, capacity);
    QFETCH(QList<int>, batches);
    QFETCH(int, expectedEvicted);
    LogStore store(capacity);
    quint64 next = 1;
    for (int count : batches) {
        store.append(makeRecords(count, next));
        next += static_cast<quint64>(count);
        QVERIFY(store.size() <= capacity);
    }
    const quint64 last = next - 1;
    const quint64 first = last - static_cast<quint64>(store.size()) + 1;
    QCOMPARE(sequencesOf(store), range(first, last));
    QCOMPARE(store.evictedTotal(), quint64(expectedEvicted));
    QCOMPARE(store.evictedTotal() + static_cast<quint64>(store.size()), last);
}

void TestLogStore::removeOldestAndClear()
{
    LogStore store(5);
    store.append(makeRecords(8, 1)); // 4..8 kept, 3 evicted
    store.removeOldest(2);            // 6..8
    QCOMPARE(sequencesOf(store), range(6, 8));
    QCOMPARE(store.evictedTotal(), quint64(5));
    store.append(makeRecords(4, 9));  // 8..12 after wrapping
    QCOMPARE(sequencesOf(store), range(8, 12));
    QCOMPARE(store.evictedTotal(), quint64(7));
    store.removeOldest(100);          // clamps to what is there
    QVERIFY(store.isEmpty());
    QCOMPARE(store.evictedTotal(), quint64(12));
    store.append(makeRecords(2, 13));
    QCOMPARE(sequencesOf(store), range(13, 14));
    store.clear();                    // the user's choice: not evictions
    QVERIFY(store.isEmpty());
    QCOMPARE(store.evictedTotal(), quint64(12));
    QCOMPARE(store.storedPayloadBytes(), qint64(0));
}

void TestLogStore::setCapacityKeepsNewest()
{
    LogStore store(10);
    store.append(makeRecords(13, 1)); // 4..13
    store.setCapacity(4);
    QCOMPARE(sequencesOf(store), range(10, 13));
    QCOMPARE(store.evictedTotal(), quint64(9));
    store.setCapacity(6);
    store.append(makeRecords(3, 14));
    QCOMPARE(sequencesOf(store), range(11, 16));
    QCOMPARE(store.capacity(), 6);
}

void TestLogStore::payloadCapKeepsTrueSize()
{
    LogStore store(10); // default cap: 64 KiB
    QCOMPARE(store.payloadCap(), 64 * 1024);
    LogRecordBatch batch = makeRecords(3, 1);
    batch[0].payload = QByteArray(100 * 1024, 'a');
    batch[0].size = batch[0].payload.size();
    batch[1].payload = QByteArray(64 * 1024, 'b'); // exactly the cap: kept whole
    batch[1].size = batch[1].payload.size();
    batch[2].kind = LogRecord::Kind::Binary;
    batch[2].payload = QByteArray(70000, '\0');
    batch[2].size = 0; // a producer that forgot the size: the store still keeps the true one
    store.append(batch);

    QCOMPARE(store.at(0).payload.size(), 64 * 1024);
    QCOMPARE(store.at(0).size, qint64(100 * 1024));
    QVERIFY(store.at(0).payloadTruncated());
    QCOMPARE(store.at(1).payload.size(), 64 * 1024);
    QVERIFY(!store.at(1).payloadTruncated());
    QCOMPARE(store.at(2).payload.size(), 64 * 1024);
    QCOMPARE(store.at(2).size, qint64(70000));
    QVERIFY(store.at(2).payloadTruncated());
    // The caller's batch is untouched.
    QCOMPARE(batch.at(0).payload.size(), 100 * 1024);

    LogStore tiny(10, 4);
    tiny.append(makeRecords(1, 1, 10));
    QCOMPARE(tiny.at(0).payload, QByteArray("xxxx"));
    QCOMPARE(tiny.at(0).size, qint64(10));
    LogStore none(10, 0);
    none.append(makeRecords(1, 1, 10));
    QVERIFY(none.at(0).payload.isEmpty());
    QCOMPARE(none.at(0).size, qint64(10));
}

void TestLogStore::smallPayloadsAreShared()
{
    // Views and batches share payloads: storing one under the cap copies no bytes.
    const LogRecordBatch batch = makeRecords(2, 1, 1000);
    LogStore store(10);
    store.append(batch);
    QCOMPARE(store.at(0).payload.constData(), batch.at(0).payload.constData());
    MessageLogModel model(10);
    model.appendBatch(batch);
    QCOMPARE(model.record(1).payload.constData(), batch.at(1).payload.constData());
}

void TestLogStore::storedPayloadBytesIsBounded()
{
    LogStore store(100, 1000);
    for (quint64 i = 0; i < 50; ++i)
        store.append(makeRecords(20, 1 + i * 20, 5000));
    QCOMPARE(store.size(), 100);
    QCOMPARE(store.storedPayloadBytes(), qint64(100 * 1000));
    store.removeOldest(40);
    QCOMPARE(store.storedPayloadBytes(), qint64(60 * 1000));
}

void TestLogStore::byteBudgetEvictsOldest()
{
    // 100,000 records of 64 KiB would be 6 GiB: the byte budget keeps the newest that fit.
    LogStore store(1000, 1000, 10 * 1000);
    for (quint64 i = 0; i < 5; ++i)
        store.append(makeRecords(10, 1 + i * 10, 1000));
    QCOMPARE(store.size(), 10);
    QCOMPARE(store.storedPayloadBytes(), qint64(10 * 1000));
    QCOMPARE(store.evictedTotal(), quint64(40));
    QCOMPARE(store.at(0).sequence, quint64(41));
    QCOMPARE(store.at(9).sequence, quint64(50));
    // Capped payloads count as capped: 4000-byte messages keep 1000 bytes each.
    store.append(makeRecords(3, 51, 4000));
    QCOMPARE(store.size(), 10);
    QCOMPARE(store.at(9).size, qint64(4000));
    // One batch larger than the budget keeps its own newest.
    store.append(makeRecords(25, 54, 1000));
    QCOMPARE(store.size(), 10);
    QCOMPARE(store.at(0).sequence, quint64(69));
    QCOMPARE(store.evictedTotal(), quint64(68));
    // Lowering the budget lets the oldest go at once.
    store.setMaxBytes(4000);
    QCOMPARE(store.size(), 4);
    QCOMPARE(store.at(0).sequence, quint64(75));
    QCOMPARE(store.storedPayloadBytes(), qint64(4000));
}

void TestLogStore::recordOverBudgetStaysAlone()
{
    // The newest record always stays, however large: the log never goes blank on a big message.
    LogStore store(100, 1 << 20, 1000);
    store.append(makeRecords(5, 1, 100));
    store.append(makeRecords(1, 6, 5000));
    QCOMPARE(store.size(), 1);
    QCOMPARE(store.at(0).sequence, quint64(6));
    store.append(makeRecords(1, 7, 100));
    QCOMPARE(store.size(), 1);
    QCOMPARE(store.at(0).sequence, quint64(7));
    QCOMPARE(store.storedPayloadBytes(), qint64(100));
}

void TestLogStore::modelEvictsByBytes()
{
    MessageLogModel model(1000);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setMaxBytes(10 * 100);
    QCOMPARE(model.maxBytes(), qint64(1000));
    model.appendBatch(makeRecords(8, 1, 100));
    QStringList order;
    connect(&model, &QAbstractItemModel::rowsAboutToBeRemoved, this,
            [&](const QModelIndex &, int first, int last) { order << QStringLiteral("remove %1-%2").arg(first).arg(last); });
    connect(&model, &QAbstractItemModel::rowsAboutToBeInserted, this,
            [&](const QModelIndex &, int first, int last) { order << QStringLiteral("insert %1-%2").arg(first).arg(last); });
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    model.appendBatch(makeRecords(5, 9, 100)); // 13 records of 100 bytes, 10 fit
    QCOMPARE(order, (QStringList{QStringLiteral("remove 0-2"), QStringLiteral("insert 5-9")}));
    QCOMPARE(model.rowCount(), 10);
    QCOMPARE(model.record(0).sequence, quint64(4));
    QCOMPARE(model.evictedTotal(), quint64(3));
    model.appendBatch(makeRecords(12, 14, 100)); // more than the budget on its own: one reset
    QCOMPARE(resets.count(), 1);
    QCOMPARE(model.rowCount(), 10);
    QCOMPARE(model.record(0).sequence, quint64(16));
    QCOMPARE(model.evictedTotal(), quint64(15));
    model.appendBatch(makeRecords(1, 26, 5000)); // one record over the budget replaces every row
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.record(0).sequence, quint64(26));
}

void TestLogStore::pauseIsBoundedByBytes()
{
    MessageLogModel model(1000);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setMaxBytes(10 * 100);
    model.appendBatch(makeRecords(10, 1, 100));
    model.pause();
    for (int i = 0; i < 10; ++i)
        model.appendBatch(makeRecords(7, 11 + static_cast<quint64>(i) * 7, 100)); // 11..80
    QCOMPARE(model.heldBackCount(), 10); // never more than the log could keep
    QCOMPARE(model.rowCount(), 10);
    QCOMPARE(model.evictedTotal(), quint64(60));
    model.resume();
    QCOMPARE(model.rowCount(), 10);
    QCOMPARE(model.record(0).sequence, quint64(71));
    QCOMPARE(model.record(9).sequence, quint64(80));
    QCOMPARE(model.evictedTotal(), quint64(70));
    QCOMPARE(model.store().storedPayloadBytes(), qint64(1000));
}

void TestLogStore::burstIsOneInsert()
{
    MessageLogModel model(100000);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy inserts(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    model.appendBatch(makeRecords(10000, 1));
    QCOMPARE(inserts.count(), 1);
    QCOMPARE(inserts.first().at(1).toInt(), 0);
    QCOMPARE(inserts.first().at(2).toInt(), 9999);
    QCOMPARE(resets.count(), 0);
    QCOMPARE(model.rowCount(), 10000);
    QCOMPARE(model.data(model.index(9999, MessageLogModel::Preview)).toString(), QStringLiteral("10000"));
    model.appendBatch({}); // nothing to say: no signal
    QCOMPARE(inserts.count(), 1);
}

void TestLogStore::evictionRemovesBeforeInserting()
{
    MessageLogModel model(100);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.appendBatch(makeRecords(90, 1));
    QStringList order;
    connect(&model, &QAbstractItemModel::rowsAboutToBeRemoved, this,
            [&](const QModelIndex &, int first, int last) { order << QStringLiteral("remove %1-%2").arg(first).arg(last); });
    connect(&model, &QAbstractItemModel::rowsAboutToBeInserted, this,
            [&](const QModelIndex &, int first, int last) { order << QStringLiteral("insert %1-%2").arg(first).arg(last); });
    QSignalSpy evicted(&model, &MessageLogModel::evictedTotalChanged);
    model.appendBatch(makeRecords(25, 91));
    QCOMPARE(order, (QStringList{QStringLiteral("remove 0-14"), QStringLiteral("insert 75-99")}));
    QCOMPARE(model.record(0).sequence, quint64(16));
    QCOMPARE(model.record(99).sequence, quint64(115));
    QCOMPARE(evicted.count(), 1);
    QCOMPARE(evicted.first().first().toULongLong(), quint64(15));
    QCOMPARE(model.evictedTotal(), quint64(15));
}

void TestLogStore::testerAcrossOperations()
{
    MessageLogModel model(50);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    quint64 next = 1;
    for (int count : {1, 7, 30, 49, 50, 51, 3, 120, 2}) {
        model.appendBatch(makeRecords(count, next));
        next += static_cast<quint64>(count);
        QCOMPARE(model.record(model.rowCount() - 1).sequence, next - 1);
    }
    model.setCapacity(10);
    QCOMPARE(model.rowCount(), 10);
    model.pause();
    model.appendBatch(makeRecords(5, next));
    next += 5;
    model.resume();
    QCOMPARE(model.record(9).sequence, next - 1);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
    for (int column = 0; column < MessageLogModel::ColumnCount; ++column)
        QVERIFY(!model.headerData(column, Qt::Horizontal).toString().isEmpty());
}

void TestLogStore::pauseHoldsRowsStill()
{
    MessageLogModel model(1000);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.appendBatch(makeRecords(10, 1));
    QSignalSpy inserts(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy paused(&model, &MessageLogModel::pausedChanged);
    QSignalSpy held(&model, &MessageLogModel::heldBackCountChanged);

    model.setPaused(true);
    QVERIFY(model.isPaused());
    QCOMPARE(paused.count(), 1);
    for (int i = 0; i < 5; ++i)
        model.appendBatch(makeRecords(100, 11 + static_cast<quint64>(i) * 100));
    QCOMPARE(model.rowCount(), 10); // what the operator reads does not move
    QCOMPARE(inserts.count(), 0);
    QCOMPARE(model.heldBackCount(), 500);
    QCOMPARE(held.last().first().toInt(), 500);

    model.setPaused(false);
    QCOMPARE(inserts.count(), 1); // everything held lands as one batch
    QCOMPARE(model.rowCount(), 510);
    QCOMPARE(model.heldBackCount(), 0);
    QCOMPARE(held.last().first().toInt(), 0);
    QCOMPARE(model.record(509).sequence, quint64(510));
    QCOMPARE(model.evictedTotal(), quint64(0));
    model.setPaused(false); // no change, no signal
    QCOMPARE(paused.count(), 2);
}

void TestLogStore::pauseIsBounded()
{
    MessageLogModel model(100);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.appendBatch(makeRecords(100, 1));
    model.pause();
    QSignalSpy evicted(&model, &MessageLogModel::evictedTotalChanged);
    for (int i = 0; i < 10; ++i)
        model.appendBatch(makeRecords(35, 101 + static_cast<quint64>(i) * 35)); // 101..450
    QCOMPARE(model.heldBackCount(), 100); // never more than the log could show
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(model.record(0).sequence, quint64(1));
    QCOMPARE(model.evictedTotal(), quint64(250)); // 101..350 left memory while paused
    QVERIFY(!evicted.isEmpty());
    QCOMPARE(evicted.last().first().toULongLong(), quint64(250));

    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    model.resume();
    QCOMPARE(resets.count(), 1); // a full log's worth replaces every row
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(model.record(0).sequence, quint64(351));
    QCOMPARE(model.record(99).sequence, quint64(450));
    QCOMPARE(model.evictedTotal(), quint64(350));
}

void TestLogStore::pauseCapsHeldPayloads()
{
    MessageLogModel model(10);
    model.setPayloadCap(16);
    model.pause();
    const LogRecordBatch batch = makeRecords(3, 1, 1000);
    model.appendBatch(batch);
    model.resume();
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.record(0).payload.size(), 16);
    QCOMPARE(model.record(0).size, qint64(1000));
    QCOMPARE(model.store().storedPayloadBytes(), qint64(48));
}

void TestLogStore::recordsForRows()
{
    MessageLogModel model(10);
    model.appendBatch(makeRecords(15, 1)); // rows hold 6..15
    const LogRecordBatch all = model.records();
    QCOMPARE(all.size(), 10);
    QCOMPARE(all.first().sequence, quint64(6));
    const LogRecordBatch picked = model.records({3, 0, 42, -1, 9});
    QCOMPARE(picked.size(), 3);
    QCOMPARE(picked.at(0).sequence, quint64(9));
    QCOMPARE(picked.at(1).sequence, quint64(6));
    QCOMPARE(picked.at(2).sequence, quint64(15));
}

void TestLogStore::replaceAllResetsOnce()
{
    MessageLogModel model(100);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.appendBatch(makeRecords(30, 1));
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    QSignalSpy inserts(&model, &QAbstractItemModel::rowsInserted);
    model.replaceAll(makeRecords(150, 1000));
    QCOMPARE(resets.count(), 1);
    QCOMPARE(inserts.count(), 0);
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(model.record(0).sequence, quint64(1050));
    QCOMPARE(model.evictedTotal(), quint64(50));
}

void TestLogStore::engineBurstArrivesInFewBatches()
{
    ServerConfig config;
    config.messagesPerSecond = 1e7; // the burst is the point here, not the rate limit
    config.messageBurst = 1000000;
    auto engine = TestSupport::startEngine(config);
    QVERIFY(engine);
    MessageLogModel model(100000);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    connect(engine.get(), &Engine::recordsAppended, &model, &MessageLogModel::appendBatch);
    QSignalSpy inserts(&model, &QAbstractItemModel::rowsInserted);

    auto client = TestSupport::connectClient(engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    int echoes = 0;
    connect(client.get(), &QWebSocket::textMessageReceived, this, [&echoes] { ++echoes; });
    constexpr int kBurst = 10000;
    for (int i = 0; i < kBurst; ++i)
        client->sendTextMessage(QStringLiteral("burst %1").arg(i));
    QTRY_COMPARE_WITH_TIMEOUT(echoes, kBurst, 30000);
    // open + 10,000 in + 10,000 echoed out
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 2 * kBurst + 1, 5000);
    qInfo() << "20,001 records arrived in" << inserts.count() << "inserts";
    // Batched every ~50 ms, not per record: thousands of records per insert.
    QVERIFY2(inserts.count() <= 2 * kBurst / 500,
             qPrintable(QStringLiteral("%1 inserts for %2 records").arg(inserts.count()).arg(2 * kBurst + 1)));
    // In order, nothing lost.
    for (int row = 1; row < model.rowCount(); ++row)
        QCOMPARE(model.record(row).sequence, model.record(row - 1).sequence + 1);
}

void TestLogStore::engineKeepsFullPayloadModelCapsIt()
{
    auto engine = TestSupport::startEngine();
    QVERIFY(engine);
    MessageLogModel model; // default 64 KiB cap
    LogRecordBatch seen;
    connect(engine.get(), &Engine::recordsAppended, &model, &MessageLogModel::appendBatch);
    connect(engine.get(), &Engine::recordsAppended, this, [&seen](const LogRecordBatch &batch) { seen += batch; });
    auto client = TestSupport::connectClient(engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    QByteArray big(200 * 1024, '\0');
    for (int i = 0; i < big.size(); ++i)
        big[i] = static_cast<char>(i * 7);
    client->sendBinaryMessage(big);
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 3, 5000); // open, in, echoed out

    // The engine hands over the whole message (the recorder needs it)...
    QCOMPARE(seen.size(), 3);
    QCOMPARE(seen.at(1).kind, LogRecord::Kind::Binary);
    QCOMPARE(seen.at(1).payload, big);
    QCOMPARE(seen.at(2).payload, big);
    // ...and the in-memory log keeps the first 64 KiB with the true size.
    QCOMPARE(model.record(1).size, qint64(big.size()));
    QCOMPARE(model.record(1).payload, big.left(64 * 1024));
    QCOMPARE(model.record(2).payload.size(), 64 * 1024);
}

QTEST_GUILESS_MAIN(TestLogStore)
#include "tst_logstore.moc"
