#pragma once

#include <QtGlobal>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

class QJSEngine;

// Stops a script call that runs too long or grows the process too much: a thread of its own that,
// while calls are being made, wakes every few milliseconds and calls QJSEngine::setInterrupted(true)
// once the armed call's budget is spent or the resident set grew past the allowed growth since the
// thread first saw the call. Arming costs an uncontended lock, no system call: the thread parks
// only after a quiet spell, and only then does arm() wake it.
// QJSEngine offers no heap limit, so memory is bounded per call by the process's RSS (a script that
// grows an array without end is stopped within one call); what a script keeps across calls is
// bounded only where the runtime measures it (ws.data, timers).
class ScriptWatchdog
{
public:
    enum class Verdict { None, Timeout, Memory };

    ScriptWatchdog();
    ~ScriptWatchdog();
    ScriptWatchdog(const ScriptWatchdog &) = delete;
    ScriptWatchdog &operator=(const ScriptWatchdog &) = delete;

    void arm(QJSEngine *engine, int budgetMs, qint64 memoryGrowthBytes);
    // Ends the armed call: what stopped it, if anything. The caller re-enables the engine.
    Verdict disarm();

    static qint64 residentBytes();

private:
    void run();

    std::mutex m_mutex; // uncontended on the hot path: arm() wakes the thread only when it is parked
    std::condition_variable m_wake;
    bool m_quit = false;
    bool m_parked = false; // waiting for the next call with nothing armed
    QJSEngine *m_engine = nullptr; // armed while non-null
    quint64 m_call = 0; // counts arm() calls: the thread's RSS baseline belongs to one call
    std::chrono::steady_clock::time_point m_deadline;
    qint64 m_memoryGrowth = 0;
    Verdict m_verdict = Verdict::None;
    std::thread m_thread; // last: started once everything above is set
};
