#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <liburing.h>
#include <sys/socket.h>
#include <utility>
#include <vector>

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
        io_uring_sqe_set_data64(entry, tag);
        ++m_count;
    }
    void addSend(int fd, const void *buffer, std::size_t length, std::uint64_t tag)
    {
        io_uring_sqe *entry = io_uring_get_sqe(&m_ring);
        io_uring_prep_send(entry, fd, buffer, length, MSG_DONTWAIT | MSG_NOSIGNAL);
        io_uring_sqe_set_data64(entry, tag);
        ++m_count;
    }

    // Submits what was added and calls done(tag, result) for each: bytes, or -errno.
    template <typename Done>
    void run(Done &&done)
    {
        if (m_count == 0)
            return;
        int submitted;
        do {
            submitted = io_uring_submit_and_wait(&m_ring, m_count);
        } while (submitted == -EINTR);
        m_results.clear();
        for (unsigned reaped = 0; reaped < m_count;) {
            io_uring_cqe *completion = nullptr;
            const int error = io_uring_wait_cqe(&m_ring, &completion);
            if (error == -EINTR)
                continue;
            if (error < 0)
                break;
            m_results.emplace_back(io_uring_cqe_get_data64(completion), completion->res);
            io_uring_cqe_seen(&m_ring, completion);
            ++reaped;
        }
        m_count = 0;
        // Called after reaping, so a callback may add to the next batch.
        for (const auto &[tag, result] : m_results)
            done(tag, result);
    }

private:
    io_uring m_ring{};
    bool m_ready = false;
    unsigned m_count = 0;
    std::vector<std::pair<std::uint64_t, int>> m_results;
};

} // namespace loadgen
