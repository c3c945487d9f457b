#pragma once

#include <QObject>
#include <cstddef>
#include <vector>

class ClientSession;

// The write passes of the engine's hot path. Writes are coalesced: the frames queued for a client
// leave in one send, from a pass posted when the first frame is queued (a fan-out of many messages
// costs a send per client per pass, not per message; the thread's SocketBatch makes up to 64 sends
// one system call). A pass that has written for kSliceNs posts itself for the rest, so the event
// loop reads new input in between: a message arriving mid-pass reaches every client not yet
// written in this pass instead of waiting for the pass to end.
// (A slice by count would cost a wake-up per few clients when passes are short, as in echo.)
class WritePasses
{
public:
    // Passes are posted to `context`'s thread, the engine's.
    explicit WritePasses(QObject &context) : m_context(context) {}

    // The session has frames queued: it is written in the next pass (once, however many frames).
    void schedule(ClientSession *session);
    // The session ended: strike it out of the pass it waits in.
    void forget(ClientSession *session);

    static constexpr long long kSliceNs = 1000000;

private:
    void run();

    QObject &m_context;
    // Clients with frames to write, in the order they are written; null once ended (flushSlot).
    std::vector<ClientSession *> m_unflushedClients;
    std::size_t m_flushCursor = 0; // entries before it are written
};
