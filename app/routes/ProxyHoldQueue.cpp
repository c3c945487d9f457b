#include "ProxyHoldQueue.h"

#include <QDateTime>

QList<ProxyHoldQueue::Held> ProxyHoldQueue::release(int directions)
{
    m_holding &= ~directions;
    QList<Held> released;
    for (auto it = m_messages.begin(); it != m_messages.end();) {
        if (it->direction & directions) {
            m_bytes -= it->message.data.size();
            released.append(std::move(*it));
            it = m_messages.erase(it);
        } else {
            ++it;
        }
    }
    return released;
}

bool ProxyHoldQueue::add(Direction direction, const IncomingMessage &message, const QElapsedTimer &since)
{
    if (m_messages.size() >= kMaxMessages || m_bytes + message.data.size() > kMaxBytes) {
        ++m_overflowed;
        return false;
    }
    Held held;
    held.id = m_nextId++;
    held.direction = direction;
    held.message = message;
    held.heldAtMs = QDateTime::currentMSecsSinceEpoch();
    held.since = since;
    m_bytes += message.data.size();
    m_messages.append(std::move(held));
    return true;
}

bool ProxyHoldQueue::take(quint64 id, Held *held)
{
    for (qsizetype i = 0; i < m_messages.size(); ++i) {
        if (m_messages.at(i).id == id) {
            *held = m_messages.takeAt(i);
            m_bytes -= held->message.data.size();
            return true;
        }
    }
    return false;
}

QString ProxyHoldQueue::directionName(Direction direction)
{
    switch (direction) {
    case ToUpstream:
        return QStringLiteral("toUpstream");
    case ToClient:
        return QStringLiteral("toClient");
    case Both:
        break;
    }
    return QStringLiteral("both");
}
