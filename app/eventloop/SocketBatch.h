#pragma once

#include <QtGlobal>
#include <cstdint>
#include <memory>
#include <sys/types.h>
#include <sys/uio.h>
#include <vector>

// Socket reads and writes of one thread gathered into io_uring submissions: one system call for up
// to kSubmitSize sockets. On this project's machines a system call costs about a microsecond
// before it does anything, and a busy echo turn or a broadcast makes one read() or sendmsg() per
// client; batched, a send cost a third to a half as much here (bench/README.md).
//
// Every operation is issued with MSG_DONTWAIT on a socket that is ready (epoll said readable) or
// may take bytes, so the kernel performs it during the submission or answers -EAGAIN: each one is
// complete when the call returns and nothing stays in flight.
//
// The thread's EpollEventDispatcher owns one: it receives for the read notifiers that take batched
// data (BatchReadNotifier) and submits the queued sends at the end of every loop turn. current()
// is nullptr on threads without one (Qt's dispatchers, SWITCHBOARD_IO_URING=0, a kernel without
// io_uring), where senders write with sendmsg() themselves.
class SocketBatch
{
public:
    static constexpr int kSubmitSize = 64; // operations per system call
    static constexpr int kMaxIov = 64;     // buffers per send (IOV_MAX is 1024)

    class Sender
    {
    public:
        virtual int sendDescriptor() const = 0;
        // Just before the submission: up to maxIov buffers that stay valid until sendDone().
        // 0: nothing to send any more.
        virtual int prepareSend(iovec *iov, int maxIov) = 0;
        // Bytes written, or -errno. May queue the sender again.
        virtual void sendDone(ssize_t result) = 0;

    protected:
        ~Sender() = default;
        // Must be called before the descriptor closes and before the sender is destroyed.
        void leaveSendBatch();
        bool inSendBatch() const { return m_batch != nullptr; }

    private:
        friend class SocketBatch;
        SocketBatch *m_batch = nullptr;
        std::size_t m_slot = 0;
        bool m_inFlight = false;
    };

    // nullptr when io_uring cannot be set up here (or SWITCHBOARD_IO_URING=0): write directly.
    static std::unique_ptr<SocketBatch> create();
    ~SocketBatch();

    // The batch of the thread's event loop, if it has one.
    static SocketBatch *current();
    static void setCurrent(SocketBatch *batch);

    // Queues sender once (again after its sendDone()); it is sent at the next submit().
    void queue(Sender *sender);
    // Sends everything queued, including what completions queue meanwhile; re-entry is a no-op.
    void submit();
    bool hasQueued() const { return !m_queued.empty(); }

    // Receives on up to kSubmitSize descriptors at once into slots 0..count-1, replacing what
    // the slots held; then received(slot) holds the data and receivedResult(slot) the count of
    // bytes, 0 at end of stream or -errno.
    void receive(const int *descriptors, int count);
    const char *received(int slot) const;
    ssize_t receivedResult(int slot) const;
    static constexpr qsizetype kReceiveSize = 64 * 1024; // per slot

private:
    struct Ring;
    explicit SocketBatch(std::unique_ptr<Ring> ring);
    void forget(Sender *sender);
    void submitChunk(std::size_t begin, std::size_t end);
    // Submits count prepared entries and collects their completions into the ring's list; returns
    // how many came back (fewer only when io_uring failed, which breaks the batch).
    unsigned submitAndReap(unsigned count);
    void giveUp(const char *what, int error);

    std::unique_ptr<Ring> m_ring; // the io_uring and the buffers its submissions point at
    std::vector<Sender *> m_queued;
    std::vector<Sender *> m_inFlight; // this round's senders; forgotten ones are nulled
    bool m_submitting = false;
    bool m_broken = false; // io_uring failed at run time: senders write directly from then on
};
