#pragma once

#include <QString>
#include <QVariantMap>

// One connection as a script sees it (ws.id, ws.url, ws.protocol, ws.params, ws.query).
struct ScriptConnection
{
    quint64 id = 0;
    QString url;
    QString protocol;
    QVariantMap params;
    QVariantMap query;
};
