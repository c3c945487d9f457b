#pragma once

#include "RouteBehaviour.h"

#include <QElapsedTimer>
#include <QList>

// The messages an operator holds on a proxied connection (issue 18's intercept), in arrival order,
// bounded in count and bytes: a message past either bound is not held (the caller forwards it and
// it is counted in overflowed()).
class ProxyHoldQueue
{
public:
    enum Direction : quint8 { ToUpstream = 1, ToClient = 2, Both = 3 };
    struct Held
    {
        quint64 id = 0;
        Direction direction = ToUpstream;
        IncomingMessage message;
        qint64 heldAtMs = 0;  // wall clock, for the operator's list
        QElapsedTimer since;  // when it arrived, for the latency the proxy added
    };
    static constexpr int kMaxMessages = 256;
    static constexpr qint64 kMaxBytes = 32 * 1024 * 1024;

    int holding() const { return m_holding; }
    void hold(int directions) { m_holding |= directions; }
    // Stops holding `directions` and takes their queued messages, in order, for forwarding.
    QList<Held> release(int directions);
    bool isHolding(Direction direction) const { return m_holding & direction; }

    // Queues a message going `direction`; false when a bound is reached (not held, counted).
    bool add(Direction direction, const IncomingMessage &message, const QElapsedTimer &since);
    // Takes one held message out of the queue (to forward or drop); false when there is no such id.
    bool take(quint64 id, Held *held);
    const QList<Held> &messages() const { return m_messages; }
    qint64 bytes() const { return m_bytes; }
    qint64 overflowed() const { return m_overflowed; }

    static QString directionName(Direction direction);

private:
    QList<Held> m_messages;
    qint64 m_bytes = 0;
    qint64 m_overflowed = 0;
    quint64 m_nextId = 1;
    int m_holding = 0;
};
