#pragma once

#include <QAbstractEventDispatcher>
#include <QAtomicInt>
#include <QList>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

class QSocketNotifier;
class SocketBatch;

// A Linux event dispatcher built on epoll. Qt's own dispatchers (glib and the poll() one) hand
// every registered descriptor to the kernel on every loop turn, so a server thread with 10,000
// mostly quiet connections spends its time re-describing them; epoll keeps the interest list in
// the kernel and returns only the ready ones, so a turn costs what is ready, not what is open.
//
// Semantics follow QEventDispatcherUNIX: posted events first, then ready socket notifiers
// (read on IN/HUP/ERR, write on OUT/HUP/ERR, exception on PRI/HUP/ERR), then due timers, each
// timer at most once per turn and never re-entered from a nested loop. Notifier changes are
// applied to the kernel lazily, right before the next wait, so a write notifier that a socket
// enables and disables again within one turn (a write flushed at once) costs no system call.
//
// It also owns the thread's SocketBatch (io_uring where the kernel allows it): the ready sockets of
// BatchReadNotifiers are read together, up to 64 per system call, before their notifiers are
// delivered; socket writes queued during a turn go out together at the turn's end.
//
// Install it on a thread before that thread runs (QThread::setEventDispatcher) or on the main
// thread before the QCoreApplication exists (QCoreApplication::setEventDispatcher).
class EpollEventDispatcher : public QAbstractEventDispatcher
{
    Q_OBJECT
public:
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;

    // The dispatcher for new engine threads: this one unless SWITCHBOARD_EVENT_DISPATCHER=qt
    // asks for Qt's default (kept for comparison and as a way out). Returns nullptr for Qt's.
    static QAbstractEventDispatcher *createPreferred();

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;

    void wakeUp() override;
    void interrupt() override;

private:
    struct Watch
    {
        std::array<QSocketNotifier *, 3> notifiers{}; // indexed by QSocketNotifier::Type
        uint32_t kernelEvents = 0;                    // what epoll was last told (0: not added)
        uint32_t readyEvents = 0;                     // reported ready, not yet delivered
        bool dirty = false;                           // queued in m_dirtyFds
        bool alwaysReady = false;                     // epoll refused it (a regular file): poll() semantics
        // notifiers[Read] is a BatchReadNotifier: -1 not known yet (QSocketNotifier registers in
        // its constructor, before the subclass exists, so it is asked at the first delivery)
        qint8 batchReader = -1;
        int receivedSlot = -1;                        // its bytes wait in this SocketBatch slot
    };
    struct Timer
    {
        QObject *object = nullptr;
        qint64 intervalMs = 0;
        Qt::TimerType type = Qt::CoarseTimer;
        qint64 deadlineNs = 0;
        bool active = false; // its QTimerEvent is being delivered: a nested loop must not re-fire it
    };

    static qint64 nowNs();
    void markDirty(int fd, Watch &watch);
    void applyInterestChanges();
    int waitTimeoutMs(bool includeTimers) const;
    int activateNotifiers();
    void receiveAhead();
    void dropReceived(Watch &watch);
    void queueAlwaysReady();
    int activateTimers();
    void schedule(int timerId, Timer &timer, qint64 deadlineNs);

    void submitSends();

    int m_epoll = -1;
    int m_wakeFd = -1; // eventfd: wakeUp() from another thread ends a wait
    std::atomic<Qt::HANDLE> m_loopThread{nullptr};
    bool m_postedFromLoop = false; // wakeUp() on the loop's own thread: the next wait must not block
    std::unique_ptr<SocketBatch> m_socketBatch;
    bool m_socketBatchTried = false; // created on the loop's thread, at its first turn
    QAtomicInt m_wakeUpPending;
    QAtomicInt m_interrupted;

    std::unordered_map<int, Watch> m_watches; // by descriptor
    std::vector<int> m_dirtyFds;
    int m_alwaysReadyCount = 0;    // watches with alwaysReady set: never block while there are any
    std::vector<int> m_readyQueue; // descriptors with readyEvents, in the order the kernel gave them
    size_t m_readyHead = 0;        // next one to deliver (shared with nested loops)
    int m_receivedPending = 0;     // SocketBatch slots received and not yet delivered

    std::unordered_map<int, Timer> m_timers;   // by timer id
    std::set<std::pair<qint64, int>> m_due;    // (deadline, timer id), soonest first
};
