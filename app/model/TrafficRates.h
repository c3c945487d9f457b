#pragma once

#include "../server/EngineStats.h"

#include <QVector>

// One point of the rates history: per-second rates between two samples of the engine's totals.
struct RateSample
{
    qint64 atMs = 0;
    int clients = 0;
    double messagesInPerSecond = 0;
    double messagesOutPerSecond = 0;
    double bytesInPerSecond = 0;
    double bytesOutPerSecond = 0;

    double messagesPerSecond() const { return messagesInPerSecond + messagesOutPerSecond; }
};

// Turns the engine's running totals (EngineStats) into rates, keeping the last kHistorySeconds
// samples in a bounded ring for the rates chart. The dashboard samples once a second.
class TrafficRates
{
public:
    static constexpr int kHistorySeconds = 60;

    explicit TrafficRates(int capacity = kHistorySeconds);

    // Records the totals as seen at nowMs (a monotonic clock) and returns the new sample. The
    // first sample of a new TrafficRates, and any sample where the totals went backwards (a
    // restarted engine), has zero rates.
    const RateSample &addSample(const EngineStats &totals, qint64 nowMs);
    // Forgets the history and starts a new one at nowMs from zero totals: a freshly started engine.
    void reset(qint64 nowMs);

    int capacity() const { return m_capacity; }
    int size() const { return m_size; }
    bool isEmpty() const { return m_size == 0; }
    // Index 0 is the oldest sample kept.
    const RateSample &at(int index) const;
    RateSample latest() const { return m_size ? at(m_size - 1) : RateSample(); }
    double peakMessagesPerSecond() const;
    int peakClients() const;

private:
    QVector<RateSample> m_ring;
    int m_capacity;
    int m_head = 0;
    int m_size = 0;
    bool m_havePrevious = false;
    EngineStats m_previous;
    qint64 m_previousAtMs = 0;
};
