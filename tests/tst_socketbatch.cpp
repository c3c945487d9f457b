// SocketBatch: the io_uring batches of socket reads and writes (app/eventloop), on real TCP
// connections over 127.0.0.1, and the EpollEventDispatcher handing batched reads to
// BatchReadNotifiers. This whole test runs on that dispatcher.
#include "eventloop/BatchReadNotifier.h"
#include "eventloop/EpollEventDispatcher.h"
#include "eventloop/SocketBatch.h"

#include <QCoreApplication>
#include <QTest>

#include <algorithm>

#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {

// One TCP connection over loopback: `near` is ours (non-blocking, as the server's), `far` the peer.
struct Connection
{
    int near = -1;
    int far = -1;
    Connection() = default;
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;
    ~Connection()
    {
        if (near >= 0)
            ::close(near);
        if (far >= 0)
            ::close(far);
    }
    std::string readFar(std::size_t size) const
    {
        std::string got;
        while (got.size() < size) {
            char buffer[65536];
            const ssize_t n = ::recv(far, buffer, std::min(sizeof buffer, size - got.size()), 0);
            if (n <= 0)
                break;
            got.append(buffer, std::size_t(n));
        }
        return got;
    }
    void resetFar()
    {
        linger hard{1, 0};
        ::setsockopt(far, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        ::close(far);
        far = -1;
    }
};

std::vector<std::unique_ptr<Connection>> openConnections(int count)
{
    std::vector<std::unique_ptr<Connection>> connections;
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 || ::listen(listener, count) != 0
        || ::getsockname(listener, reinterpret_cast<sockaddr *>(&address), &length) != 0) {
        ::close(listener);
        return connections;
    }
    for (int i = 0; i < count; ++i) {
        auto connection = std::make_unique<Connection>();
        connection->far = ::socket(AF_INET, SOCK_STREAM, 0);
        if (::connect(connection->far, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
            break;
        connection->near = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
        if (connection->near < 0)
            break;
        connections.push_back(std::move(connection));
    }
    ::close(listener);
    return connections;
}

// Sends its bytes through the batch, as PlainTransport does, and keeps what it was told.
class TestSender final : public SocketBatch::Sender
{
public:
    TestSender(int descriptor, std::string bytes) : m_descriptor(descriptor), m_bytes(std::move(bytes)) {}
    ~TestSender() { leaveSendBatch(); }

    int sendDescriptor() const override { return m_descriptor; }
    int prepareSend(iovec *iov, int maxIov) override
    {
        ++prepared;
        if (maxIov < 1 || m_bytes.empty())
            return 0;
        iov[0].iov_base = m_bytes.data();
        iov[0].iov_len = m_bytes.size();
        return 1;
    }
    void sendDone(ssize_t result) override
    {
        results.push_back(result);
        if (onDone)
            onDone();
    }
    void leave() { leaveSendBatch(); }
    bool queued() const { return inSendBatch(); }

    int prepared = 0;
    std::vector<ssize_t> results;
    std::function<void()> onDone;

private:
    int m_descriptor;
    std::string m_bytes;
};

// Keeps what the dispatcher reads for it; counts activations where it had to read itself.
class TestReader final : public BatchReadNotifier
{
public:
    explicit TestReader(int descriptor) : BatchReadNotifier(descriptor, nullptr) {}
    void readBatched(const char *data, ssize_t size) override
    {
        if (size > 0)
            bytes.append(data, std::size_t(size));
        else if (size == 0)
            ended = true;
        else if (size != -EAGAIN)
            error = int(-size);
    }

    std::string bytes;
    bool ended = false;
    int error = 0;
    int selfReads = 0;

protected:
    bool event(QEvent *event) override
    {
        if (event->type() == QEvent::SockAct)
            ++selfReads;
        return BatchReadNotifier::event(event);
    }
};

std::string payloadFor(int index, std::size_t size)
{
    std::string payload = "connection " + std::to_string(index) + " ";
    payload.resize(size, char('a' + index % 26));
    return payload;
}

} // namespace

class TestSocketBatch : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void sendsForManySocketsInOneRound();
    void resetPeerFailsOnlyItsOwnSend();
    void fullSocketAnswersEagainInsteadOfWaiting();
    void senderLeavingBeforeItsTurnIsNotCalled();
    void completionMayQueueItsSenderAgain();
    void receivesForEveryReadySocket();
    void dispatcherHandsBatchReadersTheirBytes();
    void dispatcherEndsAStreamWithZero();

private:
    std::unique_ptr<SocketBatch> m_batch;
};

void TestSocketBatch::initTestCase()
{
    // The batch is what these tests are about: a machine without io_uring fails them rather than
    // passing them on the plain path (which tst_routes_epoll_plain covers).
    m_batch = SocketBatch::create();
    QVERIFY2(m_batch, "io_uring is not available here (SWITCHBOARD_IO_URING=0, or the kernel or a seccomp filter refuses it)");
}

void TestSocketBatch::sendsForManySocketsInOneRound()
{
    // 200 connections: more than one submission (64), each with its own payload.
    const auto connections = openConnections(200);
    QCOMPARE(int(connections.size()), 200);
    std::vector<std::unique_ptr<TestSender>> senders;
    for (int i = 0; i < 200; ++i) {
        senders.push_back(std::make_unique<TestSender>(connections[std::size_t(i)]->near, payloadFor(i, 100 + i)));
        m_batch->queue(senders.back().get()); // every 64th queued submits the list so far
    }
    m_batch->submit();
    QVERIFY(!m_batch->hasQueued());
    for (int i = 0; i < 200; ++i) {
        const TestSender &sender = *senders[std::size_t(i)];
        QCOMPARE(sender.prepared, 1);
        QCOMPARE(sender.results, std::vector<ssize_t>{ssize_t(100 + i)});
        QVERIFY(!sender.queued());
        QCOMPARE(connections[std::size_t(i)]->readFar(std::size_t(100 + i)), payloadFor(i, 100 + i));
    }
}

void TestSocketBatch::resetPeerFailsOnlyItsOwnSend()
{
    const auto connections = openConnections(3);
    QCOMPARE(int(connections.size()), 3);
    // The middle peer resets; our first send to it may still be taken (the reset arrives with
    // it), so write until the kernel reports the reset.
    connections[1]->resetFar();
    TestSender first(connections[0]->near, "first");
    TestSender middle(connections[1]->near, "to a peer that reset");
    TestSender last(connections[2]->near, "last");
    ssize_t middleResult = 0;
    for (int round = 0; round < 10 && middleResult >= 0; ++round) {
        middle.results.clear();
        m_batch->queue(&first);
        m_batch->queue(&middle);
        m_batch->queue(&last);
        m_batch->submit();
        QCOMPARE(middle.results.size(), std::size_t(1));
        middleResult = middle.results.front();
    }
    QVERIFY2(middleResult == -ECONNRESET || middleResult == -EPIPE, qPrintable(QString::number(middleResult)));
    for (const ssize_t result : first.results)
        QCOMPARE(result, ssize_t(5));
    for (const ssize_t result : last.results)
        QCOMPARE(result, ssize_t(4));
    QCOMPARE(connections[2]->readFar(4), std::string("last"));
}

void TestSocketBatch::fullSocketAnswersEagainInsteadOfWaiting()
{
    // The peer never reads: the kernel takes bytes until its buffers are full, then the send must
    // come back with -EAGAIN (MSG_DONTWAIT), never wait inside the submission.
    const auto connections = openConnections(1);
    QCOMPARE(int(connections.size()), 1);
    TestSender sender(connections[0]->near, std::string(1 << 20, 'x'));
    ssize_t total = 0;
    bool refused = false;
    for (int round = 0; round < 1000 && !refused; ++round) {
        sender.results.clear();
        m_batch->queue(&sender);
        m_batch->submit();
        QCOMPARE(sender.results.size(), std::size_t(1));
        const ssize_t result = sender.results.front();
        QVERIFY2(result > 0 || result == -EAGAIN, qPrintable(QString::number(result)));
        refused = result == -EAGAIN;
        total += std::max<ssize_t>(result, 0);
    }
    QVERIFY(refused);
    QVERIFY(total > 0);
}

void TestSocketBatch::senderLeavingBeforeItsTurnIsNotCalled()
{
    // A completion's receiver ends another connection of the same round (a chat member resets):
    // that sender leaves the batch and must not hear of a send it no longer owns.
    const auto connections = openConnections(2);
    QCOMPARE(int(connections.size()), 2);
    auto first = std::make_unique<TestSender>(connections[0]->near, "one");
    auto second = std::make_unique<TestSender>(connections[1]->near, "two");
    TestSender *secondRaw = second.get();
    first->onDone = [&second] { second.reset(); }; // its destructor leaves the batch
    m_batch->queue(first.get());
    m_batch->queue(secondRaw);
    m_batch->submit();
    QCOMPARE(first->results, std::vector<ssize_t>{3});
    QVERIFY(!second);

    // And one that leaves while still waiting for the next submission is not sent at all.
    TestSender third(connections[1]->near, "three");
    m_batch->queue(&third);
    QVERIFY(third.queued());
    third.leave();
    QVERIFY(!third.queued());
    m_batch->submit();
    QCOMPARE(third.prepared, 0);
    QVERIFY(third.results.empty());
}

void TestSocketBatch::completionMayQueueItsSenderAgain()
{
    {
        // Queued once however often it asks before the submission.
        const auto connections = openConnections(1);
        QCOMPARE(int(connections.size()), 1);
        TestSender sender(connections[0]->near, "once");
        m_batch->queue(&sender);
        m_batch->queue(&sender);
        m_batch->submit();
        QCOMPARE(sender.prepared, 1);
        QCOMPARE(sender.results, std::vector<ssize_t>{4});
    }
    // PlainTransport queues itself again when more frames wait than one send takes; the same
    // submit() sends that next round too.
    const auto connections = openConnections(1);
    QCOMPARE(int(connections.size()), 1);
    TestSender sender(connections[0]->near, "again");
    sender.onDone = [this, &sender] {
        if (sender.results.size() < 3)
            m_batch->queue(&sender);
    };
    m_batch->queue(&sender);
    m_batch->submit();
    QCOMPARE(sender.results, (std::vector<ssize_t>{5, 5, 5}));
    QCOMPARE(connections[0]->readFar(15), std::string("againagainagain"));
}

void TestSocketBatch::receivesForEveryReadySocket()
{
    const auto connections = openConnections(SocketBatch::kSubmitSize);
    QCOMPARE(int(connections.size()), SocketBatch::kSubmitSize);
    std::vector<int> descriptors;
    for (int i = 0; i < SocketBatch::kSubmitSize; ++i) {
        const Connection &connection = *connections[std::size_t(i)];
        descriptors.push_back(connection.near);
        if (i % 3 == 0) {
            const std::string payload = payloadFor(i, 50);
            QCOMPARE(::send(connection.far, payload.data(), payload.size(), 0), ssize_t(50));
        }
    }
    ::shutdown(connections[1]->far, SHUT_WR); // i % 3 == 1: end of stream; i % 3 == 2: nothing sent
    // Loopback delivers during send(): everything sent is readable now.
    m_batch->receive(descriptors.data(), int(descriptors.size()));
    for (int i = 0; i < SocketBatch::kSubmitSize; ++i) {
        const ssize_t result = m_batch->receivedResult(i);
        if (i % 3 == 0) {
            QCOMPARE(result, ssize_t(50));
            QCOMPARE(std::string(m_batch->received(i), 50), payloadFor(i, 50));
        } else if (i == 1) {
            QCOMPARE(result, ssize_t(0));
        } else {
            QCOMPARE(result, ssize_t(-EAGAIN));
        }
    }
}

void TestSocketBatch::dispatcherHandsBatchReadersTheirBytes()
{
    // 150 readers, all ready in the same turn: the dispatcher reads for them in batches of 64
    // and each gets exactly its own bytes, none reading for itself.
    const auto connections = openConnections(150);
    QCOMPARE(int(connections.size()), 150);
    std::vector<std::unique_ptr<TestReader>> readers;
    for (const auto &connection : connections)
        readers.push_back(std::make_unique<TestReader>(connection->near));
    std::size_t expectedTotal = 0;
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 150; ++i) {
            const std::string payload = payloadFor(i + round, 40 + std::size_t(i));
            QCOMPARE(::send(connections[std::size_t(i)]->far, payload.data(), payload.size(), 0), ssize_t(payload.size()));
            expectedTotal += payload.size();
        }
        const auto received = [&readers] {
            std::size_t total = 0;
            for (const auto &reader : readers)
                total += reader->bytes.size();
            return total;
        };
        QTRY_COMPARE_WITH_TIMEOUT(received(), expectedTotal, 5000);
    }
    for (int i = 0; i < 150; ++i) {
        std::string expected;
        for (int round = 0; round < 3; ++round)
            expected += payloadFor(i + round, 40 + std::size_t(i));
        QCOMPARE(readers[std::size_t(i)]->bytes, expected);
        QCOMPARE(readers[std::size_t(i)]->selfReads, 0);
    }
}

void TestSocketBatch::dispatcherEndsAStreamWithZero()
{
    const auto connections = openConnections(2);
    QCOMPARE(int(connections.size()), 2);
    TestReader closing(connections[0]->near);
    TestReader quiet(connections[1]->near);
    QCOMPARE(::send(connections[0]->far, "bye", 3, 0), ssize_t(3));
    ::shutdown(connections[0]->far, SHUT_WR);
    QTRY_VERIFY_WITH_TIMEOUT(closing.ended, 5000);
    closing.setEnabled(false); // the stream is over: stop hearing of it
    QCOMPARE(closing.bytes, std::string("bye"));
    QCOMPARE(closing.error, 0);
    QVERIFY(quiet.bytes.empty());
    QVERIFY(!quiet.ended);
}

int main(int argc, char **argv)
{
    // SWITCHBOARD_IO_URING=0 turns the batches off for the server; this test is about them.
    qunsetenv("SWITCHBOARD_IO_URING");
    QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    TestSocketBatch test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_socketbatch.moc"
