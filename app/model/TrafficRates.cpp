#include "TrafficRates.h"

#include <algorithm>

TrafficRates::TrafficRates(int capacity) : m_capacity(std::max(2, capacity))
{
    m_ring.resize(m_capacity);
}

const RateSample &TrafficRates::addSample(const EngineStats &totals, qint64 nowMs)
{
    RateSample sample;
    sample.atMs = nowMs;
    sample.clients = totals.clientsOpen;
    const qint64 elapsedMs = nowMs - m_previousAtMs;
    const bool wentBackwards = totals.messagesIn < m_previous.messagesIn || totals.messagesOut < m_previous.messagesOut
                               || totals.bytesIn < m_previous.bytesIn || totals.bytesOut < m_previous.bytesOut;
    if (m_havePrevious && elapsedMs > 0 && !wentBackwards) {
        const double seconds = static_cast<double>(elapsedMs) / 1000.0;
        sample.messagesInPerSecond = static_cast<double>(totals.messagesIn - m_previous.messagesIn) / seconds;
        sample.messagesOutPerSecond = static_cast<double>(totals.messagesOut - m_previous.messagesOut) / seconds;
        sample.bytesInPerSecond = static_cast<double>(totals.bytesIn - m_previous.bytesIn) / seconds;
        sample.bytesOutPerSecond = static_cast<double>(totals.bytesOut - m_previous.bytesOut) / seconds;
    }
    m_previous = totals;
    m_previousAtMs = nowMs;
    m_havePrevious = true;

    if (m_size == m_capacity) {
        m_ring[m_head] = sample;
        m_head = (m_head + 1) % m_capacity;
    } else {
        m_ring[(m_head + m_size) % m_capacity] = sample;
        ++m_size;
    }
    return at(m_size - 1);
}

void TrafficRates::reset(qint64 nowMs)
{
    m_head = 0;
    m_size = 0;
    m_havePrevious = true; // a new engine's totals start at zero, now
    m_previous = EngineStats();
    m_previousAtMs = nowMs;
}

const RateSample &TrafficRates::at(int index) const
{
    return m_ring.at((m_head + index) % m_capacity);
}

double TrafficRates::peakMessagesPerSecond() const
{
    double peak = 0;
    for (int i = 0; i < m_size; ++i)
        peak = std::max(peak, at(i).messagesPerSecond());
    return peak;
}

int TrafficRates::peakClients() const
{
    int peak = 0;
    for (int i = 0; i < m_size; ++i)
        peak = std::max(peak, at(i).clients);
    return peak;
}
