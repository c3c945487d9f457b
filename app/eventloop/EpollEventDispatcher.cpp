#include "EpollEventDispatcher.h"
#include "BatchReadNotifier.h"
#include "SocketBatch.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QSocketNotifier>
#include <QThread>
#include <QVarLengthArray>

#include <cerrno>
#include <ctime>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcEventLoop, "switchboard.eventloop")

namespace {

constexpr int kMaxEventsPerWait = 256;
constexpr qint64 kNsPerMs = 1000 * 1000;

// What wakes each kind of notifier; hang-ups and errors wake them all, as poll() does in Qt's.
constexpr uint32_t kActivatedBy[3] = {
    EPOLLIN | EPOLLHUP | EPOLLERR,  // QSocketNotifier::Read
    EPOLLOUT | EPOLLHUP | EPOLLERR, // QSocketNotifier::Write
    EPOLLPRI | EPOLLHUP | EPOLLERR, // QSocketNotifier::Exception
};
constexpr uint32_t kInterest[3] = {EPOLLIN, EPOLLOUT, EPOLLPRI};

} // namespace

EpollEventDispatcher::EpollEventDispatcher(QObject *parent) : QAbstractEventDispatcher(parent)
{
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    m_wakeFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_epoll < 0 || m_wakeFd < 0) {
        qCCritical(lcEventLoop) << "cannot create epoll or eventfd:" << strerror(errno);
        return;
    }
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.fd = m_wakeFd;
    epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wakeFd, &wake);
}

EpollEventDispatcher::~EpollEventDispatcher()
{
    m_socketBatch.reset(); // sends what is still queued
    if (m_wakeFd >= 0)
        close(m_wakeFd);
    if (m_epoll >= 0)
        close(m_epoll);
}

QAbstractEventDispatcher *EpollEventDispatcher::createPreferred()
{
    if (qEnvironmentVariable("SWITCHBOARD_EVENT_DISPATCHER") == QLatin1String("qt"))
        return nullptr;
    auto *dispatcher = new EpollEventDispatcher;
    if (dispatcher->m_epoll < 0 || dispatcher->m_wakeFd < 0) {
        delete dispatcher;
        return nullptr; // Qt's own dispatcher still works
    }
    return dispatcher;
}

qint64 EpollEventDispatcher::nowNs()
{
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return qint64(now.tv_sec) * 1000 * kNsPerMs + now.tv_nsec;
}

// ---- the loop turn ----

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    m_interrupted.storeRelaxed(0);
    m_loopThread.store(QThread::currentThreadId(), std::memory_order_relaxed);
    if (!m_socketBatchTried) {
        m_socketBatchTried = true;
        m_socketBatch = SocketBatch::create();
        SocketBatch::setCurrent(m_socketBatch.get());
    }
    Q_EMIT awake();
    m_postedFromLoop = false;
    QCoreApplication::sendPostedEvents();
    submitSends(); // what the posted events wrote (the engine's write pass) goes out before the wait

    const bool includeTimers = !(flags & QEventLoop::X11ExcludeTimers);
    const bool includeNotifiers = !(flags & QEventLoop::ExcludeSocketNotifiers);
    const bool mayBlock = (flags & QEventLoop::WaitForMoreEvents) && !m_interrupted.loadRelaxed();
    if (mayBlock)
        Q_EMIT aboutToBlock();
    if (m_interrupted.loadRelaxed())
        return false;

    applyInterestChanges();
    int timeoutMs = mayBlock && !m_postedFromLoop ? waitTimeoutMs(includeTimers) : 0;
    if (includeNotifiers && (m_readyHead < m_readyQueue.size() || m_alwaysReadyCount > 0))
        timeoutMs = 0; // an outer turn's ready notifiers still wait for delivery

    epoll_event events[kMaxEventsPerWait];
    int readyCount = epoll_wait(m_epoll, events, kMaxEventsPerWait, timeoutMs);
    if (readyCount < 0) {
        if (errno != EINTR)
            qCWarning(lcEventLoop) << "epoll_wait:" << strerror(errno);
        readyCount = 0;
    }

    int handled = 0;
    for (int i = 0; i < readyCount; ++i) {
        const int fd = events[i].data.fd;
        if (fd == m_wakeFd) {
            uint64_t count = 0;
            while (read(m_wakeFd, &count, sizeof count) < 0 && errno == EINTR) {
            }
            m_wakeUpPending.storeRelease(0);
            ++handled;
            continue;
        }
        const auto it = m_watches.find(fd);
        if (it == m_watches.end())
            continue;
        Watch &watch = it->second;
        if (watch.readyEvents == 0)
            m_readyQueue.push_back(fd);
        watch.readyEvents |= events[i].events;
    }
    if (includeNotifiers) {
        if (m_alwaysReadyCount > 0)
            queueAlwaysReady();
        handled += activateNotifiers();
    }
    if (includeTimers)
        handled += activateTimers();
    submitSends();
    return handled > 0;
}

void EpollEventDispatcher::submitSends()
{
    if (m_socketBatch && m_socketBatch->hasQueued())
        m_socketBatch->submit();
}

int EpollEventDispatcher::waitTimeoutMs(bool includeTimers) const
{
    if (!includeTimers)
        return -1;
    for (const auto &[deadlineNs, timerId] : m_due) {
        if (m_timers.at(timerId).active)
            continue; // being delivered further up the stack: not due again in a nested loop
        const qint64 leftNs = deadlineNs - nowNs();
        if (leftNs <= 0)
            return 0;
        return int(std::min<qint64>((leftNs + kNsPerMs - 1) / kNsPerMs, 24 * 3600 * 1000)); // round up: never spin
    }
    return -1;
}

// ---- socket notifiers ----

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = int(notifier->socket());
    const int type = notifier->type();
    Watch &watch = m_watches[fd];
    if (watch.notifiers[type] && watch.notifiers[type] != notifier)
        qCWarning(lcEventLoop) << "several socket notifiers of type" << type << "on descriptor" << fd;
    watch.notifiers[type] = notifier;
    if (type == QSocketNotifier::Read)
        watch.batchReader = -1;
    markDirty(fd, watch);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = int(notifier->socket());
    const auto it = m_watches.find(fd);
    if (it == m_watches.end() || it->second.notifiers[notifier->type()] != notifier)
        return;
    // Takes effect at once for delivery; the kernel hears of it before the next wait...
    Watch &watch = it->second;
    watch.notifiers[notifier->type()] = nullptr;
    if (notifier->type() == QSocketNotifier::Read)
        dropReceived(watch); // bytes read ahead for a reader that left: its stream is over
    markDirty(fd, watch);
    // ...unless it was the descriptor's last notifier: Qt closes a socket right after that, the
    // kernel forgets the closed descriptor by itself, and a new socket may get the same number
    // with the same interest before the next wait. Telling the kernel now keeps our idea of
    // what it knows true, so the reused number is added afresh.
    if (watch.kernelEvents != 0 && !watch.notifiers[0] && !watch.notifiers[1] && !watch.notifiers[2]) {
        epoll_event event{};
        epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, &event);
        watch.kernelEvents = 0;
    }
}

void EpollEventDispatcher::markDirty(int fd, Watch &watch)
{
    if (!watch.dirty) {
        watch.dirty = true;
        m_dirtyFds.push_back(fd);
    }
}

void EpollEventDispatcher::applyInterestChanges()
{
    for (const int fd : m_dirtyFds) {
        const auto it = m_watches.find(fd);
        if (it == m_watches.end())
            continue;
        Watch &watch = it->second;
        watch.dirty = false;
        uint32_t wanted = 0;
        for (int type = 0; type < 3; ++type)
            wanted |= watch.notifiers[type] ? kInterest[type] : 0;
        if (watch.alwaysReady) {
            // Never in the kernel's list; it stays always ready while anyone watches it.
            if (wanted == 0) {
                watch.alwaysReady = false;
                --m_alwaysReadyCount;
            }
        } else if (wanted != watch.kernelEvents) {
            epoll_event event{};
            event.events = wanted;
            event.data.fd = fd;
            if (wanted == 0) {
                // A closed descriptor has already left the interest list by itself (EBADF, ENOENT).
                epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, &event);
            } else if (watch.kernelEvents == 0) {
                if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) < 0) {
                    if (errno == EEXIST) {
                        epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &event);
                    } else if (errno == EPERM) {
                        // A regular file or directory: poll() calls those always ready, so do we.
                        watch.alwaysReady = true;
                        ++m_alwaysReadyCount;
                    } else {
                        qCWarning(lcEventLoop) << "cannot watch descriptor" << fd << ":" << strerror(errno);
                    }
                }
            } else if (epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &event) < 0 && errno == ENOENT) {
                // The descriptor was closed and its number reused since we last added it.
                epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event);
            }
            watch.kernelEvents = watch.alwaysReady ? 0 : wanted;
        }
        if (wanted == 0 && watch.readyEvents == 0)
            m_watches.erase(it);
    }
    m_dirtyFds.clear();
}

void EpollEventDispatcher::queueAlwaysReady()
{
    for (auto &[fd, watch] : m_watches) {
        if (!watch.alwaysReady)
            continue;
        if (watch.readyEvents == 0)
            m_readyQueue.push_back(fd);
        watch.readyEvents |= EPOLLIN | EPOLLOUT; // what poll() reports for a regular file
    }
}

int EpollEventDispatcher::activateNotifiers()
{
    int activated = 0;
    QEvent event(QEvent::SockAct);
    // The queue is shared with nested loops that a notifier's slot may run: whoever runs next
    // takes the next descriptor, so nothing is delivered twice.
    while (m_readyHead < m_readyQueue.size()) {
        if (m_receivedPending == 0 && m_socketBatch)
            receiveAhead();
        const int fd = m_readyQueue[m_readyHead++];
        auto it = m_watches.find(fd);
        if (it == m_watches.end())
            continue;
        const uint32_t ready = it->second.readyEvents;
        it->second.readyEvents = 0;
        if (it->second.kernelEvents == 0 && !it->second.dirty && !it->second.alwaysReady) {
            m_watches.erase(it); // every notifier left while this was queued: nothing to deliver
            continue;
        }
        for (int type = 0; type < 3; ++type) {
            if (!(ready & kActivatedBy[type]))
                continue;
            // Looked up again for each type: the previous activation may have closed the socket.
            it = m_watches.find(fd);
            if (it == m_watches.end())
                break;
            QSocketNotifier *notifier = it->second.notifiers[type];
            if (!notifier)
                continue;
            if (type == QSocketNotifier::Read && it->second.receivedSlot >= 0) {
                const int slot = std::exchange(it->second.receivedSlot, -1);
                --m_receivedPending;
                static_cast<BatchReadNotifier *>(notifier)->readBatched(m_socketBatch->received(slot),
                                                                        m_socketBatch->receivedResult(slot));
            } else {
                QCoreApplication::sendEvent(notifier, &event);
            }
            ++activated;
        }
    }
    m_readyQueue.clear();
    m_readyHead = 0;
    return activated;
}

// Reads for the next BatchReadNotifiers in the ready queue in one submission. Only when every
// slot of the last one was delivered: a nested loop delivers from the same queue and slots.
void EpollEventDispatcher::receiveAhead()
{
    std::array<int, SocketBatch::kSubmitSize> descriptors;
    std::array<Watch *, SocketBatch::kSubmitSize> readers;
    int count = 0;
    // Bounded look-ahead: other notifiers between the readers are delivered as they come.
    const size_t scanEnd = std::min(m_readyQueue.size(), m_readyHead + 4 * size_t(SocketBatch::kSubmitSize));
    for (size_t i = m_readyHead; i < scanEnd && count < SocketBatch::kSubmitSize; ++i) {
        const int fd = m_readyQueue[i];
        const auto it = m_watches.find(fd);
        if (it == m_watches.end())
            continue;
        Watch &watch = it->second;
        QSocketNotifier *reader = watch.notifiers[QSocketNotifier::Read];
        if (!reader || !(watch.readyEvents & kActivatedBy[0]))
            continue;
        if (watch.batchReader < 0)
            watch.batchReader = dynamic_cast<BatchReadNotifier *>(reader) != nullptr;
        if (watch.batchReader) {
            descriptors[size_t(count)] = fd;
            readers[size_t(count)] = &watch;
            ++count;
        }
    }
    if (count == 0)
        return;
    m_socketBatch->receive(descriptors.data(), count);
    for (int slot = 0; slot < count; ++slot)
        readers[size_t(slot)]->receivedSlot = slot;
    m_receivedPending = count;
}

void EpollEventDispatcher::dropReceived(Watch &watch)
{
    if (watch.receivedSlot >= 0) {
        watch.receivedSlot = -1;
        --m_receivedPending;
    }
}

// ---- timers ----

void EpollEventDispatcher::schedule(int timerId, Timer &timer, qint64 deadlineNs)
{
    m_due.erase({timer.deadlineNs, timerId});
    timer.deadlineNs = deadlineNs;
    m_due.insert({deadlineNs, timerId});
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object)
{
    Timer &timer = m_timers[timerId];
    timer.object = object;
    timer.intervalMs = interval;
    timer.type = timerType;
    timer.active = false;
    schedule(timerId, timer, nowNs() + interval * kNsPerMs);
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return false;
    m_due.erase({it->second.deadlineNs, timerId});
    m_timers.erase(it);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    bool any = false;
    for (auto it = m_timers.begin(); it != m_timers.end();) {
        if (it->second.object == object) {
            m_due.erase({it->second.deadlineNs, it->first});
            it = m_timers.erase(it);
            any = true;
        } else {
            ++it;
        }
    }
    return any;
}

QList<QAbstractEventDispatcher::TimerInfo> EpollEventDispatcher::registeredTimers(QObject *object) const
{
    QList<TimerInfo> list;
    for (const auto &[timerId, timer] : m_timers) {
        if (timer.object == object)
            list.append(TimerInfo(timerId, int(timer.intervalMs), timer.type));
    }
    return list;
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return -1;
    const qint64 leftNs = it->second.deadlineNs - nowNs();
    return leftNs <= 0 ? 0 : int((leftNs + kNsPerMs - 1) / kNsPerMs);
}

int EpollEventDispatcher::activateTimers()
{
    if (m_due.empty())
        return 0;
    const qint64 now = nowNs();
    // Collected first: a timer event may start, stop or restart any timer, this one included.
    QVarLengthArray<int, 32> dueIds;
    for (auto it = m_due.begin(); it != m_due.end() && it->first <= now; ++it)
        dueIds.append(it->second);

    int activated = 0;
    for (const int timerId : dueIds) {
        auto it = m_timers.find(timerId);
        if (it == m_timers.end() || it->second.active || it->second.deadlineNs > now)
            continue;
        Timer &timer = it->second;
        // Next deadline on the timer's own grid; one that fell behind starts again from now.
        qint64 next = timer.deadlineNs + timer.intervalMs * kNsPerMs;
        if (next <= now)
            next = now + timer.intervalMs * kNsPerMs;
        schedule(timerId, timer, next);
        timer.active = true;
        QObject *object = timer.object;
        QTimerEvent event(timerId);
        QCoreApplication::sendEvent(object, &event);
        ++activated;
        it = m_timers.find(timerId); // the event may have stopped it (and its id been reused)
        if (it != m_timers.end())
            it->second.active = false;
    }
    return activated;
}

// ---- waking up ----

void EpollEventDispatcher::wakeUp()
{
    // The loop's own thread is not waiting (it is running this): it only must not wait before
    // it has delivered what was posted, which saves an eventfd write and read per posted event.
    if (QThread::currentThreadId() == m_loopThread.load(std::memory_order_relaxed)) {
        m_postedFromLoop = true;
        return;
    }
    // Coalesced: one write until the loop has read it.
    if (m_wakeUpPending.testAndSetAcquire(0, 1)) {
        const uint64_t one = 1;
        while (write(m_wakeFd, &one, sizeof one) < 0 && errno == EINTR) {
        }
    }
}

void EpollEventDispatcher::interrupt()
{
    m_interrupted.storeRelaxed(1);
    wakeUp();
}
