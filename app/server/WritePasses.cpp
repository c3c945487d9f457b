#include "WritePasses.h"

#include "ClientSession.h"

#include <QElapsedTimer>
#include <utility>

void WritePasses::schedule(ClientSession *session)
{
    if (session->flushSlot() >= 0)
        return;
    // A posted call writes what is queued once the ready sockets are handled, before the thread
    // waits again, on any event dispatcher (in slices: see run()).
    if (m_unflushedClients.empty())
        QMetaObject::invokeMethod(&m_context, [this] { run(); }, Qt::QueuedConnection);
    session->setFlushSlot(int(m_unflushedClients.size()));
    m_unflushedClients.push_back(session);
}

void WritePasses::forget(ClientSession *session)
{
    if (session->flushSlot() >= 0)
        m_unflushedClients[std::size_t(session->flushSlot())] = nullptr;
}

void WritePasses::run()
{
    if (m_flushCursor > 1024 && m_flushCursor * 2 > m_unflushedClients.size()) {
        // Drop the written head so a list that never empties does not grow.
        m_unflushedClients.erase(m_unflushedClients.begin(), m_unflushedClients.begin() + std::ptrdiff_t(m_flushCursor));
        for (std::size_t i = 0; i < m_unflushedClients.size(); ++i) {
            if (m_unflushedClients[i])
                m_unflushedClients[i]->setFlushSlot(int(i));
        }
        m_flushCursor = 0;
    }
    // In place, by index: a flush can end a session (a reset connection), which strikes it out
    // here, and an ending can queue writes to others, which join the end of the list.
    QElapsedTimer slice;
    slice.start();
    int written = 0;
    while (m_flushCursor < m_unflushedClients.size()) {
        ClientSession *session = std::exchange(m_unflushedClients[m_flushCursor++], nullptr);
        if (!session)
            continue; // ended since: nothing left to write
        session->setFlushSlot(-1);
        session->flushWrites();
        if (++written % 16 == 0 && slice.nsecsElapsed() >= kSliceNs)
            break;
    }
    if (m_flushCursor < m_unflushedClients.size()) {
        QMetaObject::invokeMethod(&m_context, [this] { run(); }, Qt::QueuedConnection);
    } else {
        m_unflushedClients.clear();
        m_flushCursor = 0;
    }
}
