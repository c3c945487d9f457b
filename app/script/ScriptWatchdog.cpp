#include "ScriptWatchdog.h"

#include <QJSEngine>

#include <fcntl.h>
#include <unistd.h>

namespace {
constexpr std::chrono::milliseconds kPoll{5};
constexpr int kQuietPollsBeforeParking = 200; // ~1 s without calls

qint64 nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
} // namespace

// The thread starts in the body, not the initialiser list: every member it reads must be
// initialised first, whatever order they are declared in.
ScriptWatchdog::ScriptWatchdog()
{
    m_thread = std::thread([this] { run(); });
}

ScriptWatchdog::~ScriptWatchdog()
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_quit = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void ScriptWatchdog::arm(QJSEngine *engine, int budgetMs, qint64 memoryGrowthBytes)
{
    m_engine.store(engine, std::memory_order_relaxed);
    m_deadlineNs.store(nowNs() + qint64(budgetMs) * 1000000, std::memory_order_relaxed);
    m_memoryGrowth.store(memoryGrowthBytes, std::memory_order_relaxed);
    m_verdict.store(int(Verdict::None), std::memory_order_relaxed);
    const quint64 call = (m_state.load(std::memory_order_relaxed) >> 2) + 1;
    m_state.store(call << 2 | Armed, std::memory_order_seq_cst); // publishes the fields above
    // seq_cst against the thread's store of m_parked and load of m_state: one of them sees the other.
    if (m_parked.load(std::memory_order_seq_cst)) {
        std::lock_guard<std::mutex> lock(m_mutex); // the parked thread holds it until it waits
        m_wake.notify_all();
    }
}

ScriptWatchdog::Verdict ScriptWatchdog::disarm()
{
    quint64 state = m_state.load(std::memory_order_acquire);
    for (;;) {
        const quint64 idle = (state & ~kPhaseMask) | Idle;
        switch (state & kPhaseMask) {
        case Armed:
            if (m_state.compare_exchange_weak(state, idle, std::memory_order_acq_rel))
                return Verdict::None;
            continue; // the thread began to fire: wait for it
        case Firing:
            std::this_thread::yield(); // a few instructions: setInterrupted() is an atomic store
            state = m_state.load(std::memory_order_acquire);
            continue;
        case Fired:
            m_state.store(idle, std::memory_order_relaxed);
            return Verdict(m_verdict.load(std::memory_order_relaxed));
        default:
            return Verdict::None; // not armed
        }
    }
}

qint64 ScriptWatchdog::residentBytes()
{
    // /proc/self/statm: size resident shared ... in pages.
    static const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char text[128] = {};
    const ssize_t got = ::pread(fd, text, sizeof text - 1, 0);
    if (got <= 0)
        return 0;
    const char *cursor = text;
    while (*cursor && *cursor != ' ')
        ++cursor;
    const long long pages = std::atoll(cursor);
    return pages * ::sysconf(_SC_PAGESIZE);
}

void ScriptWatchdog::run()
{
    std::unique_lock<std::mutex> lock(m_mutex);
    quint64 seenCall = 0;
    qint64 rssLimit = 0;
    int quietPolls = 0;
    while (!m_quit) {
        quint64 state = m_state.load(std::memory_order_acquire);
        if ((state & kPhaseMask) != Armed) {
            if (++quietPolls <= kQuietPollsBeforeParking) {
                m_wake.wait_for(lock, kPoll);
                continue;
            }
            m_parked.store(true, std::memory_order_seq_cst);
            if ((m_state.load(std::memory_order_seq_cst) & kPhaseMask) != Armed && !m_quit)
                m_wake.wait(lock);
            m_parked.store(false, std::memory_order_relaxed);
            quietPolls = 0;
            continue;
        }
        quietPolls = 0;
        const quint64 call = state >> 2;
        if (seenCall != call) { // a call began since the last look: its baseline is now
            seenCall = call;
            const qint64 rss = residentBytes();
            const qint64 growth = m_memoryGrowth.load(std::memory_order_relaxed);
            rssLimit = rss > 0 ? rss + growth : 0;
        }
        const qint64 now = nowNs();
        const qint64 deadline = m_deadlineNs.load(std::memory_order_relaxed);
        Verdict verdict = Verdict::None;
        if (now >= deadline)
            verdict = Verdict::Timeout;
        else if (rssLimit > 0 && residentBytes() > rssLimit)
            verdict = Verdict::Memory;
        if (verdict != Verdict::None) {
            // Only while this very call is still armed: a call that ended meanwhile is left alone.
            QJSEngine *engine = m_engine.load(std::memory_order_relaxed);
            if (m_state.compare_exchange_strong(state, (state & ~kPhaseMask) | Firing, std::memory_order_acq_rel)) {
                m_verdict.store(int(verdict), std::memory_order_relaxed);
                engine->setInterrupted(true); // thread-safe: an atomic flag the engine checks
                m_state.store((state & ~kPhaseMask) | Fired, std::memory_order_release);
            }
            continue;
        }
        m_wake.wait_for(lock, std::min(std::chrono::nanoseconds(deadline - now), std::chrono::nanoseconds(kPoll)));
    }
}
