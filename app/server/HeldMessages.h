#pragma once

#include "../routes/ProxyHoldQueue.h"

#include <QMetaType>

// A snapshot of one proxied client's hold queue for the dashboard (payloads shared, not copied):
// what it holds, what its route holds for every client, and the messages waiting, in order.
struct HeldMessages
{
    quint64 clientId = 0;
    bool proxied = false; // false: the client is gone or not on a proxy route
    QString route;        // the route pattern
    int holding = 0;      // ProxyHoldQueue::Direction bits
    int routeHolding = 0; // held for every client of the route, new ones included
    QList<ProxyHoldQueue::Held> messages;
    qint64 bytes = 0;
    qint64 overflowed = 0;
};

Q_DECLARE_METATYPE(HeldMessages)
