#pragma once

#include <QtGlobal>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

class QJSEngine;

// Stops a script call that runs too long or grows the process too much: a thread of its own that,
// while calls are being made, wakes every few milliseconds and calls QJSEngine::setInterrupted(true)
// once the armed call's budget is spent or the resident set grew past the allowed growth since the
// thread first saw the call. Arming and disarming are lock-free (a few atomic stores and one
// compare-and-swap on the call's state word, no system call): the thread parks only after a quiet
// spell, and only then does arm() take the lock to wake it.
// QJSEngine offers no heap limit, so memory is bounded per call by the process's RSS (a script that
// grows an array without end is stopped within one call); what a script keeps across calls is
// bounded by ScriptLimits::heapBytes, checked by the runtime after each call (ScriptHeap).
class ScriptWatchdog
{
public:
    enum class Verdict { None, Timeout, Memory };

    ScriptWatchdog();
    ~ScriptWatchdog();
    ScriptWatchdog(const ScriptWatchdog &) = delete;
    ScriptWatchdog &operator=(const ScriptWatchdog &) = delete;

    // One call at a time, from one thread (the engine's).
    void arm(QJSEngine *engine, int budgetMs, qint64 memoryGrowthBytes);
    // Ends the armed call: what stopped it, if anything. The caller re-enables the engine.
    Verdict disarm();

    static qint64 residentBytes();

private:
    // The state word: the call's number << 2 | its phase. The thread may interrupt a call only by
    // moving it from Armed to Firing, so it can never interrupt a call that already ended.
    enum Phase : quint64 { Idle = 0, Armed = 1, Firing = 2, Fired = 3 };
    static constexpr quint64 kPhaseMask = 3;

    void run();

    std::atomic<quint64> m_state{0};
    // Written by arm() before it publishes the state word; the thread reads them after it.
    std::atomic<QJSEngine *> m_engine{nullptr};
    std::atomic<qint64> m_deadlineNs{0}; // steady_clock
    std::atomic<qint64> m_memoryGrowth{0};
    std::atomic<int> m_verdict{int(Verdict::None)}; // set by the thread while Firing

    std::mutex m_mutex; // the thread's sleeps and wake-ups only, never the hot path
    std::condition_variable m_wake;
    bool m_quit = false; // under m_mutex
    std::atomic<bool> m_parked{false}; // waiting for the next call with nothing armed
    std::thread m_thread; // last: started once everything above is set
};
