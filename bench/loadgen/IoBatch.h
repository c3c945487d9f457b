#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <liburing.h>
#include <sys/socket.h>
#include <utility>

namespace loadgen {

// Socket receives and sends of one loop turn gathered into io_uring submissions: one system call
// for up to kCapacity sockets instead of one each, so the generator's own cost per message stays
// well below the servers' (a system call costs ~1 µs on the VMs this runs on). Every operation is
// issued with MSG_DONTWAIT on a socket epoll has reported ready (or that has room), so all of them
// complete during the submission and none stays in flight.
class IoBatch
{
public:
    static constexpr unsigned kCapacity = 64;

    IoBatch() = default;
    IoBatch(const IoBatch &) = delete;
    IoBatch &operator=(const IoBatch &) = delete;
    ~IoBatch()
    {
        if (m_ready)
            io_uring_queue_exit(&m_ring);
    }

    // false where io_uring is not available (old kernel, seccomp): use plain system calls then.
    bool init()
    {
        m_ready = io_uring_queue_init(kCapacity, &m_ring, IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN) == 0;
        return m_ready;
    }
    bool full() const { return m_count == kCapacity; }
    bool empty() const { return m_count == 0; }

    void addRecv(int fd, void *buffer, std::size_t length, std::uint64_t tag)
    {
        io_uring_sqe *entry = io_uring_get_sqe(&m_ring);
        io_uring_prep_recv(entry, fd, buffer, length, MSG_DONTWAIT);
        add(entry, tag);
    }
    void addSend(int fd, const void *buffer, std::size_t length, std::uint64_t tag)
    {
        io_uring_sqe *entry = io_uring_get_sqe(&m_ring);
        io_uring_prep_send(entry, fd, buffer, length, MSG_DONTWAIT | MSG_NOSIGNAL);
        add(entry, tag);
    }

    // Submits what was added and calls done(tag, result) for each, in the order added: bytes, or
    // -errno. Should io_uring itself fail, the operations it did not answer get -EIO (so their
    // connections end and the RESULT line says so) rather than a wait that never ends.
    template <typename Done>
    void run(Done &&done)
    {
        if (m_count == 0)
            return;
        int submitted;
        do {
            submitted = io_uring_submit_and_wait(&m_ring, m_count);
        } while (submitted == -EINTR);
        const unsigned taken = submitted < 0 ? 0 : std::min(unsigned(submitted), m_count);
        for (unsigned reaped = 0; reaped < taken;) {
            io_uring_cqe *completion = nullptr;
            const int error = io_uring_wait_cqe(&m_ring, &completion);
            if (error == -EINTR)
                continue;
            if (error < 0)
                break;
            m_entries[io_uring_cqe_get_data64(completion)].second = completion->res;
            io_uring_cqe_seen(&m_ring, completion);
            ++reaped;
        }
        const unsigned count = std::exchange(m_count, 0);
        // Called after reaping, so a callback may add to the next batch.
        for (unsigned i = 0; i < count; ++i)
            done(m_entries[i].first, m_entries[i].second);
    }

private:
    io_uring m_ring{};
    bool m_ready = false;
    unsigned m_count = 0;
    std::pair<std::uint64_t, int> m_entries[kCapacity]; // (caller's tag, result) by position

    void add(io_uring_sqe *entry, std::uint64_t tag)
    {
        m_entries[m_count] = {tag, -EIO};
        io_uring_sqe_set_data64(entry, m_count);
        ++m_count;
    }
};

} // namespace loadgen
