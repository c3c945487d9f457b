#pragma once

#include <QtGlobal>

// What one script route may use. QJSEngine has no heap limit of its own: see ScriptWatchdog for how
// memory is bounded and what is not.
struct ScriptLimits
{
    int callBudgetMs = 250; // one handler or timer call; interrupted past it
    qint64 memoryGrowthBytes = 256ll * 1024 * 1024; // process RSS growth allowed during one call
    int dataBytes = 1024 * 1024; // JSON size of ws.data after a call
    int timersPerConnection = 64;
    int timersPerRoute = 256;
    int minIntervalMs = 1;
};
