#include "ScriptWatchdog.h"

#include <QJSEngine>

#include <fcntl.h>
#include <unistd.h>

namespace {
constexpr std::chrono::milliseconds kPoll{5};
}

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
    bool wake = false;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_engine = engine;
        m_deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(budgetMs);
        m_memoryGrowth = memoryGrowthBytes;
        m_verdict = Verdict::None;
        ++m_call;
        wake = m_parked;
    }
    if (wake)
        m_wake.notify_all();
}

ScriptWatchdog::Verdict ScriptWatchdog::disarm()
{
    std::lock_guard<std::mutex> lock(m_mutex);
    m_engine = nullptr;
    return m_verdict;
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
    constexpr int kQuietPollsBeforeParking = 200; // ~1 s without calls
    std::unique_lock<std::mutex> lock(m_mutex);
    quint64 seenCall = 0;
    qint64 rssLimit = 0;
    int quietPolls = 0;
    while (!m_quit) {
        if (!m_engine || m_verdict != Verdict::None) {
            if (++quietPolls > kQuietPollsBeforeParking) {
                m_parked = true;
                m_wake.wait(lock);
                m_parked = false;
                quietPolls = 0;
            } else {
                m_wake.wait_for(lock, kPoll);
            }
            continue;
        }
        quietPolls = 0;
        const auto now = std::chrono::steady_clock::now();
        if (seenCall != m_call) { // a call began since the last look: its baseline is now
            seenCall = m_call;
            const qint64 rss = residentBytes();
            rssLimit = rss > 0 ? rss + m_memoryGrowth : 0;
        }
        Verdict verdict = Verdict::None;
        if (now >= m_deadline)
            verdict = Verdict::Timeout;
        else if (rssLimit > 0 && residentBytes() > rssLimit)
            verdict = Verdict::Memory;
        if (verdict != Verdict::None) {
            m_verdict = verdict;
            m_engine->setInterrupted(true); // thread-safe: an atomic flag the engine checks
            continue;
        }
        m_wake.wait_until(lock, std::min(m_deadline, now + kPoll));
    }
}
