#include "PlainTransport.h"

#include "../eventloop/BatchReadNotifier.h"

#include <QEvent>
#include <QSocketNotifier>
#include <array>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace {

// One read buffer per thread serves every connection on it: only an incomplete frame is copied
// out of it (by the WebSocket parser), so an idle connection holds no read memory.
constexpr qsizetype kReadChunk = 64 * 1024;
// How many frames one sendmsg() takes at most (IOV_MAX is 1024 on Linux).
constexpr int kMaxIov = SocketBatch::kMaxIov;
constexpr std::size_t kKeptQueueCapacity = 16;

} // namespace

// Calls its transport directly: a signal connection per notifier would cost an idle connection
// more memory than its socket state.
class PlainTransport::Notifier final : public QSocketNotifier
{
public:
    Notifier(int descriptor, Type type, PlainTransport *transport, void (PlainTransport::*handler)())
        : QSocketNotifier(qintptr(descriptor), type, transport), m_transport(transport), m_handler(handler)
    {
    }

protected:
    bool event(QEvent *event) override
    {
        if (event->type() != QEvent::SockAct && event->type() != QEvent::SockClose)
            return QSocketNotifier::event(event);
        if (isEnabled())
            (m_transport->*m_handler)();
        return true;
    }

private:
    PlainTransport *m_transport;
    void (PlainTransport::*m_handler)();
};

// Takes the bytes the dispatcher read for it; reads itself where the dispatcher does not batch.
class PlainTransport::ReadNotifier final : public BatchReadNotifier
{
public:
    ReadNotifier(int descriptor, PlainTransport *transport) : BatchReadNotifier(qintptr(descriptor), transport), m_transport(transport) {}

    void readBatched(const char *data, ssize_t size) override { m_transport->onReceived(data, size); }

protected:
    bool event(QEvent *event) override
    {
        if (event->type() != QEvent::SockAct && event->type() != QEvent::SockClose)
            return BatchReadNotifier::event(event);
        if (isEnabled())
            m_transport->onReadable();
        return true;
    }

private:
    PlainTransport *m_transport;
};

namespace {

QString errorText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

} // namespace

PlainTransport::PlainTransport(int descriptor, QHostAddress peerAddress, quint16 peerPort,
                               QByteArray alreadyReceived, QObject *parent)
    : QObject(parent), ByteTransport(std::move(peerAddress), peerPort), m_descriptor(descriptor),
      m_alreadyReceived(std::move(alreadyReceived))
{
    // Writes are already gathered per loop turn; Nagle's algorithm would only hold the next
    // small frame back until the client's delayed ACK (up to 40 ms on Linux).
    const int on = 1;
    ::setsockopt(m_descriptor, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

PlainTransport::~PlainTransport()
{
    leaveSendBatch();
    if (m_descriptor >= 0) {
        // Notifiers must leave the dispatcher before the descriptor number can be reused.
        delete m_readNotifier;
        delete m_writeNotifier;
        ::close(m_descriptor);
    }
}

void PlainTransport::start()
{
    if (m_started)
        return;
    m_started = true;
    if (m_ended) {
        // It failed before anyone listened (writing the handshake answer, say): say so now.
        if (m_receiver)
            m_receiver->onTransportEnded(m_endedHow, m_endError);
        return;
    }
    m_readNotifier = new ReadNotifier(m_descriptor, this);
    if (!m_alreadyReceived.isEmpty()) {
        const QByteArray early = std::exchange(m_alreadyReceived, QByteArray());
        if (m_receiver)
            m_receiver->onBytesReceived(early.constData(), early.size());
    }
}

void PlainTransport::onReadable()
{
    static thread_local std::array<char, kReadChunk> buffer;
    // A full buffer may mean more is waiting; a bounded number of rounds keeps one busy client
    // from holding the thread.
    for (int round = 0; round < 4 && !m_ended && !m_readingPaused; ++round) {
        const ssize_t got = ::read(m_descriptor, buffer.data(), buffer.size());
        if (!onReceived(buffer.data(), got < 0 ? -errno : got))
            return;
        if (got >= 0 && got < kReadChunk)
            return;
    }
}

bool PlainTransport::onReceived(const char *data, ssize_t size)
{
    if (m_ended)
        return false;
    if (size > 0) {
        if (!m_shutdownDone && m_receiver) // after our close frame only the peer's end matters
            m_receiver->onBytesReceived(data, size);
        if (m_readingPaused && !m_ended && m_readNotifier) {
            m_readNotifier->setEnabled(false);
            return false;
        }
        return !m_ended;
    }
    if (size == 0) {
        end(End::PeerClosed, QString());
        return false;
    }
    if (size == -EINTR)
        return true;
    if (size != -EAGAIN && size != -EWOULDBLOCK)
        end(End::Failed, errorText(int(-size)));
    return false;
}

void PlainTransport::setReadingPaused(bool paused)
{
    m_readingPaused = paused;
    // Pausing waits for the next delivery (onReceived); resuming turns the notifier on at once.
    if (!paused && !m_ended && m_readNotifier && !m_readNotifier->isEnabled())
        m_readNotifier->setEnabled(true);
}

void PlainTransport::write(const QByteArray &bytes)
{
    if (m_ended || m_shutdownRequested || bytes.isEmpty())
        return;
    m_queue.push_back(bytes);
    m_queuedBytes += bytes.size();
}

void PlainTransport::flush()
{
    if (m_ended)
        return;
    if (m_queueHead < m_queue.size()) {
        if (SocketBatch *batch = SocketBatch::current()) {
            batch->queue(this); // sent with the turn's other writes; sendDone() settles
            return;
        }
    }
    while (!m_ended && m_queueHead < m_queue.size()) {
        std::array<iovec, kMaxIov> iov;
        msghdr message{};
        message.msg_iov = iov.data();
        message.msg_iovlen = std::size_t(gatherQueued(iov.data(), kMaxIov));
        // MSG_NOSIGNAL: a peer that vanished must be an error here, not a SIGPIPE for the process.
        const ssize_t sent = ::sendmsg(m_descriptor, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            end(End::Failed, errorText(errno));
            return;
        }
        consumeWritten(sent);
    }
    if (!m_ended)
        settle();
}

int PlainTransport::gatherQueued(iovec *iov, int maxIov) const
{
    int count = 0;
    for (std::size_t i = m_queueHead; i < m_queue.size() && count < maxIov; ++i, ++count) {
        const qsizetype skip = i == m_queueHead ? m_headOffset : 0;
        iov[count].iov_base = const_cast<char *>(m_queue[i].constData() + skip);
        iov[count].iov_len = std::size_t(m_queue[i].size() - skip);
    }
    return count;
}

void PlainTransport::consumeWritten(qsizetype written)
{
    m_queuedBytes -= written;
    while (written > 0) {
        const qsizetype rest = m_queue[m_queueHead].size() - m_headOffset;
        if (written < rest) {
            m_headOffset += written;
            break;
        }
        written -= rest;
        m_queue[m_queueHead] = QByteArray(); // release our share of the frame now
        ++m_queueHead;
        m_headOffset = 0;
    }
}

void PlainTransport::settle()
{
    const bool drained = m_queueHead == m_queue.size();
    if (drained) {
        // A busy connection keeps a small queue's storage (no allocation per write); a big one is
        // given back, so a quiet connection never holds more than kKeptQueueCapacity entries.
        if (m_queue.capacity() > kKeptQueueCapacity)
            std::vector<QByteArray>().swap(m_queue);
        else
            m_queue.clear();
        m_queueHead = 0;
        m_headOffset = 0;
    }
    if (!drained && !m_writeNotifier) {
        m_writeNotifier = new Notifier(m_descriptor, QSocketNotifier::Write, this, &PlainTransport::onWritable);
    } else if (m_writeNotifier) {
        m_writeNotifier->setEnabled(!drained);
    }
    if (drained)
        shutdownIfDrained();
}

int PlainTransport::prepareSend(iovec *iov, int maxIov)
{
    if (m_ended)
        return 0;
    const int count = gatherQueued(iov, maxIov);
    m_sendOffered = 0;
    for (int i = 0; i < count; ++i)
        m_sendOffered += qint64(iov[i].iov_len);
    return count;
}

void PlainTransport::sendDone(ssize_t result)
{
    if (m_ended)
        return;
    if (result < 0) {
        if (result == -EINTR) {
            flush();
        } else if (result == -EAGAIN || result == -EWOULDBLOCK) {
            settle(); // bytes remain: wait for writability
        } else {
            end(End::Failed, errorText(int(-result)));
        }
        return;
    }
    consumeWritten(result);
    if (result == m_sendOffered && m_queueHead < m_queue.size())
        flush(); // more frames than one send takes: queue for the batch's next round
    else
        settle();
    // The flush() that queued this send returned before it was made: this is the news.
    if (!m_ended && result > 0 && m_receiver)
        m_receiver->onBytesWritten();
}

void PlainTransport::onWritable()
{
    const qint64 before = m_queuedBytes;
    flush();
    // Only bytes that had to wait are news: whoever calls flush() reads bytesToWrite() itself.
    if (!m_ended && m_queuedBytes < before && m_receiver)
        m_receiver->onBytesWritten();
}

void PlainTransport::shutdownWhenWritten()
{
    if (m_ended || m_shutdownRequested)
        return;
    m_shutdownRequested = true;
    flush();
}

void PlainTransport::shutdownIfDrained()
{
    if (!m_shutdownRequested || m_shutdownDone || m_ended || m_queuedBytes > 0)
        return;
    m_shutdownDone = true;
    ::shutdown(m_descriptor, SHUT_WR);
}

void PlainTransport::abort()
{
    end(End::Aborted, QString());
}

void PlainTransport::end(End how, const QString &error)
{
    if (m_ended)
        return;
    m_ended = true;
    leaveSendBatch(); // before the descriptor number can be reused
    if (m_readNotifier)
        m_readNotifier->setEnabled(false);
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(false);
    ::close(m_descriptor);
    m_descriptor = -1;
    m_queue.clear();
    m_queue.shrink_to_fit();
    m_queueHead = 0;
    m_queuedBytes = 0;
    m_endedHow = how;
    m_endError = error;
    if (m_started && m_receiver)
        m_receiver->onTransportEnded(how, error);
}
