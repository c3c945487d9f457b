#pragma once

#include <QSocketNotifier>
#include <sys/types.h>

// A read notifier whose owner takes its bytes from the event dispatcher instead of reading them:
// the EpollEventDispatcher receives for every such notifier that one epoll_wait() reported ready
// in one io_uring submission (SocketBatch) and hands each its data. On dispatchers without a
// batch it is activated like any QSocketNotifier (QEvent::SockAct) and its owner reads itself.
// Disabling or deleting it drops bytes read ahead for it and not yet delivered: do that only when
// the stream is over.
class BatchReadNotifier : public QSocketNotifier
{
public:
    BatchReadNotifier(qintptr descriptor, QObject *parent) : QSocketNotifier(descriptor, QSocketNotifier::Read, parent) {}

    // What a recv() on the descriptor gave: size bytes at data, 0 at end of stream, or -errno.
    virtual void readBatched(const char *data, ssize_t size) = 0;
};
