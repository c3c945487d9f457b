#pragma once

#include <QList>
#include <QMetaType>
#include <QString>

// A script route as the dashboard lists it: which file, which version runs, the last error.
struct ScriptRouteInfo
{
    QString route;
    QString file;
    int version = 0; // loads so far
    int budgetMs = 0;
    QString lastError; // empty: none
};
using ScriptRouteInfoList = QList<ScriptRouteInfo>;

Q_DECLARE_METATYPE(ScriptRouteInfoList)
