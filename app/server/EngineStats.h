#pragma once

#include <QMetaType>

// Running totals since the engine started; the dashboard turns deltas into rates.
struct EngineStats
{
    qint64 uptimeMs = 0;
    int clientsOpen = 0;
    qint64 connectionsAccepted = 0;
    qint64 requestsRefused = 0;
    qint64 messagesIn = 0;
    qint64 messagesOut = 0;
    qint64 bytesIn = 0;
    qint64 bytesOut = 0;
};

Q_DECLARE_METATYPE(EngineStats)
