#include "Admission.h"

Admission::Admission(int maxConnections, int maxConnectionsPerIp)
    : m_maxConnections(maxConnections), m_maxPerIp(maxConnectionsPerIp)
{
}

QString Admission::key(const QHostAddress &peer)
{
    // IPv4-mapped IPv6 peers count as their IPv4 address.
    bool isV4 = false;
    const quint32 v4 = peer.toIPv4Address(&isV4);
    return isV4 ? QHostAddress(v4).toString() : peer.toString();
}

Admission::Refusal Admission::check(const QHostAddress &peer) const
{
    if (m_banned.contains(key(peer)))
        return {403, QStringLiteral("%1 is banned by the operator").arg(key(peer))};
    return checkCapacity(peer);
}

Admission::Refusal Admission::checkCapacity(const QHostAddress &peer) const
{
    if (m_total >= m_maxConnections)
        return {503, QStringLiteral("the server is at its capacity of %1 connections; try again later").arg(m_maxConnections)};
    if (m_perIp.value(key(peer)) >= m_maxPerIp)
        return {429, QStringLiteral("%1 already has %2 connections, the most one address may open")
                         .arg(key(peer))
                         .arg(m_maxPerIp)};
    return {};
}

void Admission::opened(const QHostAddress &peer)
{
    ++m_total;
    ++m_perIp[key(peer)];
}

void Admission::closed(const QHostAddress &peer)
{
    --m_total;
    auto it = m_perIp.find(key(peer));
    if (it != m_perIp.end() && --it.value() <= 0)
        m_perIp.erase(it);
}

void Admission::ban(const QHostAddress &peer)
{
    m_banned.insert(key(peer));
}

void Admission::unban(const QHostAddress &peer)
{
    m_banned.remove(key(peer));
}

bool Admission::isBanned(const QHostAddress &peer) const
{
    return m_banned.contains(key(peer));
}

QList<QHostAddress> Admission::banned() const
{
    QList<QHostAddress> list;
    for (const QString &address : m_banned)
        list.append(QHostAddress(address));
    return list;
}
