#pragma once

#include <QHash>
#include <QHostAddress>
#include <QSet>
#include <QString>

// Who may open a WebSocket right now: total and per-IP connection caps, and banned addresses.
// The engine counts sessions in and out; the request router asks before every upgrade.
class Admission
{
public:
    struct Refusal
    {
        int status = 0; // 0: admitted
        QString why;
    };

    Admission(int maxConnections, int maxConnectionsPerIp);

    Refusal check(const QHostAddress &peer) const;
    // The caps alone (not bans): connections still sending their request head count too.
    Refusal checkCapacity(const QHostAddress &peer) const;
    // A WebSocket client, or a connection whose head is still being read, took a place.
    void opened(const QHostAddress &peer);
    void closed(const QHostAddress &peer);

    void ban(const QHostAddress &peer);
    void unban(const QHostAddress &peer);
    bool isBanned(const QHostAddress &peer) const;
    QList<QHostAddress> banned() const;
    static bool sameAddress(const QHostAddress &a, const QHostAddress &b) { return key(a) == key(b); }

private:
    static QString key(const QHostAddress &peer);

    int m_maxConnections;
    int m_maxPerIp;
    int m_total = 0;
    QHash<QString, int> m_perIp;
    QSet<QString> m_banned;
};
