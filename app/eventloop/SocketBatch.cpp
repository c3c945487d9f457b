#include "SocketBatch.h"

#include <QLoggingCategory>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <liburing.h>
#include <sys/socket.h>

Q_DECLARE_LOGGING_CATEGORY(lcEventLoop)

namespace {

thread_local SocketBatch *t_current = nullptr;

} // namespace

struct SocketBatch::Ring
{
    struct Completion
    {
        std::uint64_t tag;
        int result;
    };

    io_uring ring{};
    // What the submitted entries point at; the kernel reads them while it performs the sends.
    std::array<msghdr, kSubmitSize> messages{};
    std::array<std::array<iovec, kMaxIov>, kSubmitSize> iov{};
    std::array<Completion, kSubmitSize> completions{};
    // Receive slots, allocated at the first receive and never zeroed: untouched pages cost nothing.
    std::unique_ptr<char[]> receiveBuffers;
    std::array<ssize_t, kSubmitSize> receiveResults{};

    ~Ring() { io_uring_queue_exit(&ring); }
    char *slot(int index) const { return receiveBuffers.get() + index * kReceiveSize; }
};

std::unique_ptr<SocketBatch> SocketBatch::create()
{
    if (qEnvironmentVariable("SWITCHBOARD_IO_URING") == QLatin1String("0"))
        return nullptr;
    auto ring = std::make_unique<Ring>();
    // SUBMIT_ALL (Linux 5.18): without it a send failing inline (a reset peer) would stop the
    // submission, leaving the later entries queued in the ring with buffers that go stale.
    const int error = io_uring_queue_init(kSubmitSize, &ring->ring, IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN);
    if (error < 0) {
        // Containers often forbid io_uring; plain system calls do the same work, one per socket.
        qCInfo(lcEventLoop) << "io_uring unavailable, a system call per socket read and write:" << strerror(-error);
        ring.release(); // nothing to tear down: queue_init failed
        return nullptr;
    }
    return std::unique_ptr<SocketBatch>(new SocketBatch(std::move(ring)));
}

SocketBatch::SocketBatch(std::unique_ptr<Ring> ring) : m_ring(std::move(ring))
{
    m_queued.reserve(kSubmitSize);
}

SocketBatch::~SocketBatch()
{
    submit(); // what was queued still goes out
    if (t_current == this)
        t_current = nullptr;
}

SocketBatch *SocketBatch::current()
{
    return t_current && !t_current->m_broken ? t_current : nullptr;
}

void SocketBatch::setCurrent(SocketBatch *batch)
{
    t_current = batch;
}

// ---- sends ----

void SocketBatch::Sender::leaveSendBatch()
{
    if (m_batch)
        m_batch->forget(this);
}

void SocketBatch::queue(Sender *sender)
{
    if (sender->m_batch)
        return; // already queued, or in this round: its sendDone() queues it again if need be
    sender->m_batch = this;
    sender->m_slot = m_queued.size();
    sender->m_inFlight = false;
    m_queued.push_back(sender);
    if (m_queued.size() >= std::size_t(kSubmitSize) && !m_submitting)
        submit(); // a broadcast to thousands: send as the list grows, not all at the turn's end
}

void SocketBatch::forget(Sender *sender)
{
    std::vector<Sender *> &list = sender->m_inFlight ? m_inFlight : m_queued;
    if (sender->m_slot < list.size() && list[sender->m_slot] == sender)
        list[sender->m_slot] = nullptr;
    sender->m_batch = nullptr;
}

void SocketBatch::submit()
{
    if (m_submitting)
        return;
    m_submitting = true;
    // Completions may queue senders again (more than kMaxIov frames waiting), hence the loop.
    while (!m_queued.empty()) {
        m_inFlight.swap(m_queued);
        m_queued.clear();
        for (std::size_t slot = 0; slot < m_inFlight.size(); ++slot) {
            if (Sender *sender = m_inFlight[slot]) {
                sender->m_slot = slot;
                sender->m_inFlight = true;
            }
        }
        for (std::size_t begin = 0; begin < m_inFlight.size(); begin += kSubmitSize)
            submitChunk(begin, std::min(m_inFlight.size(), begin + kSubmitSize));
        m_inFlight.clear();
    }
    m_submitting = false;
}

void SocketBatch::submitChunk(std::size_t begin, std::size_t end)
{
    if (m_broken) {
        // Left to the senders' own write path: -EAGAIN makes them wait for writability.
        for (std::size_t slot = begin; slot < end; ++slot) {
            if (Sender *sender = std::exchange(m_inFlight[slot], nullptr)) {
                sender->m_batch = nullptr;
                sender->sendDone(-EAGAIN);
            }
        }
        return;
    }
    unsigned prepared = 0;
    for (std::size_t slot = begin; slot < end; ++slot) {
        Sender *sender = m_inFlight[slot];
        if (!sender)
            continue;
        iovec *iov = m_ring->iov[prepared].data();
        const int count = sender->prepareSend(iov, kMaxIov);
        if (count <= 0) {
            m_inFlight[slot] = nullptr;
            sender->m_batch = nullptr;
            continue;
        }
        msghdr &message = m_ring->messages[prepared];
        message = msghdr{};
        message.msg_iov = iov;
        message.msg_iovlen = std::size_t(count);
        io_uring_sqe *entry = io_uring_get_sqe(&m_ring->ring);
        // MSG_NOSIGNAL: a vanished peer is an error, not a SIGPIPE. MSG_DONTWAIT: a full socket
        // answers -EAGAIN instead of io_uring waiting for it.
        io_uring_prep_sendmsg(entry, sender->sendDescriptor(), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        io_uring_sqe_set_data64(entry, slot);
        ++prepared;
    }
    if (prepared == 0)
        return;
    const unsigned reaped = submitAndReap(prepared);
    if (reaped == 0 && m_broken) {
        submitChunk(begin, end); // nothing was sent: the senders write the plain way
        return;
    }
    // Only now call out: a completion may end or queue other senders of this round.
    for (unsigned i = 0; i < reaped; ++i) {
        const Ring::Completion &done = m_ring->completions[i];
        Sender *sender = std::exchange(m_inFlight[std::size_t(done.tag)], nullptr);
        if (!sender)
            continue; // ended or destroyed by an earlier completion's receiver
        sender->m_batch = nullptr;
        sender->sendDone(done.result);
    }
    if (reaped < prepared) {
        // Never seen: whether these went out is unknown, and sending them again could put a frame
        // on the wire twice, so their connections end.
        for (std::size_t slot = begin; slot < end; ++slot) {
            if (Sender *sender = std::exchange(m_inFlight[slot], nullptr)) {
                sender->m_batch = nullptr;
                sender->sendDone(-EIO);
            }
        }
    }
}

// ---- receives ----

void SocketBatch::receive(const int *descriptors, int count)
{
    Q_ASSERT(count <= kSubmitSize);
    if (!m_ring->receiveBuffers)
        m_ring->receiveBuffers.reset(new char[std::size_t(kSubmitSize * kReceiveSize)]);
    if (!m_broken) {
        for (int slot = 0; slot < count; ++slot) {
            io_uring_sqe *entry = io_uring_get_sqe(&m_ring->ring);
            io_uring_prep_recv(entry, descriptors[slot], m_ring->slot(slot), std::size_t(kReceiveSize), MSG_DONTWAIT);
            io_uring_sqe_set_data64(entry, std::uint64_t(slot));
        }
        // Never seen (io_uring failed while waiting): whether they read is unknown, so those
        // streams cannot go on.
        for (int slot = 0; slot < count; ++slot)
            m_ring->receiveResults[std::size_t(slot)] = -EIO;
        const unsigned reaped = submitAndReap(unsigned(count));
        for (unsigned i = 0; i < reaped; ++i)
            m_ring->receiveResults[std::size_t(m_ring->completions[i].tag)] = m_ring->completions[i].result;
        if (reaped > 0 || !m_broken)
            return;
        // The submission failed: nothing was read, so read the plain way.
    }
    for (int slot = 0; slot < count; ++slot) {
        const ssize_t got = ::recv(descriptors[slot], m_ring->slot(slot), std::size_t(kReceiveSize), MSG_DONTWAIT);
        m_ring->receiveResults[std::size_t(slot)] = got < 0 ? -errno : got;
    }
}

const char *SocketBatch::received(int slot) const
{
    return m_ring->slot(slot);
}

ssize_t SocketBatch::receivedResult(int slot) const
{
    return m_ring->receiveResults[std::size_t(slot)];
}

// ---- the ring ----

unsigned SocketBatch::submitAndReap(unsigned count)
{
    io_uring &ring = m_ring->ring;
    int submitted;
    do {
        submitted = io_uring_submit_and_wait(&ring, count);
    } while (submitted == -EINTR);
    if (submitted < 0) {
        giveUp("submit", -submitted); // nothing was performed
        return 0;
    }
    // SUBMIT_ALL takes every entry or fails the call; should the kernel take fewer, waiting for
    // the rest would block for ever, so only what it took is waited for and the batch is given up.
    const unsigned taken = std::min(unsigned(submitted), count);
    if (taken < count)
        giveUp("submit", EAGAIN);
    // Every operation answers during the submission (MSG_DONTWAIT), so all completions are here.
    unsigned reaped = 0;
    while (reaped < taken) {
        io_uring_cqe *completion = nullptr;
        const int error = io_uring_wait_cqe(&ring, &completion);
        if (error == -EINTR)
            continue;
        if (error < 0) {
            giveUp("wait", -error);
            break;
        }
        m_ring->completions[reaped++] = {io_uring_cqe_get_data64(completion), completion->res};
        io_uring_cqe_seen(&ring, completion);
    }
    return reaped;
}

void SocketBatch::giveUp(const char *what, int error)
{
    if (!m_broken)
        qCWarning(lcEventLoop) << "io_uring" << what << "failed, a system call per socket from now on:" << strerror(error);
    m_broken = true;
}
