// The message log model: a bounded ring buffer fed in batches.
#include "model/ClientTableModel.h"
#include "model/MessageLogModel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

namespace {
LogRecordBatch makeRecords(int count, quint64 firstSequence)
{
    LogRecordBatch batch;
    for (int i = 0; i < count; ++i) {
        LogRecord record;
        record.sequence = firstSequence + static_cast<quint64>(i);
        record.kind = LogRecord::Kind::Text;
        record.direction = LogRecord::Direction::In;
        record.payload = QByteArray::number(record.sequence);
        record.size = record.payload.size();
        batch.append(record);
    }
    return batch;
}
} // namespace

class TestLogModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void ringKeepsTheNewest();
    void batchIsOneInsert();
    void evictionRemovesBeforeInserting();
    void hugeBatchResets();
    void clientModelAppliesChanges();
};

void TestLogModel::ringKeepsTheNewest()
{
    LogStore store(5);
    store.append(makeRecords(3, 1));
    store.append(makeRecords(4, 4));
    QCOMPARE(store.size(), 5);
    QCOMPARE(store.at(0).sequence, quint64(3));
    QCOMPARE(store.at(4).sequence, quint64(7));
    QCOMPARE(store.evictedTotal(), quint64(2));
}

void TestLogModel::batchIsOneInsert()
{
    MessageLogModel model(1000);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy inserts(&model, &QAbstractItemModel::rowsInserted);
    model.appendBatch(makeRecords(300, 1));
    model.appendBatch(makeRecords(300, 301));
    QCOMPARE(inserts.count(), 2);
    QCOMPARE(model.rowCount(), 600);
    QCOMPARE(model.data(model.index(0, MessageLogModel::Preview)).toString(), QStringLiteral("1"));
}

void TestLogModel::evictionRemovesBeforeInserting()
{
    MessageLogModel model(100);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy removes(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy evicted(&model, &MessageLogModel::evictedTotalChanged);
    model.appendBatch(makeRecords(80, 1));
    model.appendBatch(makeRecords(50, 81));
    QCOMPARE(removes.count(), 1);
    QCOMPARE(removes.first().at(2).toInt(), 29); // rows 0..29
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(model.record(0).sequence, quint64(31));
    QCOMPARE(model.record(99).sequence, quint64(130));
    QCOMPARE(evicted.last().first().toULongLong(), quint64(30));
}

void TestLogModel::hugeBatchResets()
{
    MessageLogModel model(100);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.appendBatch(makeRecords(10, 1));
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    model.appendBatch(makeRecords(10000, 11));
    QCOMPARE(resets.count(), 1);
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(model.record(99).sequence, quint64(10010));
}

void TestLogModel::clientModelAppliesChanges()
{
    ClientTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    ClientInfo a;
    a.id = 1;
    a.path = QStringLiteral("/ws");
    ClientInfo b = a;
    b.id = 2;
    model.applyChanges({a, b});
    QCOMPARE(model.rowCount(), 2);
    b.state = ClientInfo::State::Closed;
    b.closeCode = 1000;
    model.applyChanges({b});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.openCount(), 1);
    model.clearClosed();
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.rowOf(1), 0);
}

QTEST_GUILESS_MAIN(TestLogModel)
#include "tst_logmodel.moc"
