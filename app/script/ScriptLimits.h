#pragma once

#include <QtGlobal>

// What one script route may use. QJSEngine has no heap limit of its own: one call is bounded by the
// process's RSS growth (ScriptWatchdog), and what the script keeps between calls by heapBytes,
// checked after every call (ScriptHeap).
struct ScriptLimits
{
    int callBudgetMs = 250; // one handler or timer call; interrupted past it
    qint64 memoryGrowthBytes = 256ll * 1024 * 1024; // process RSS growth allowed during one call
    int dataBytes = 1024 * 1024; // JSON size of ws.data after a call
    qint64 heapBytes = 256ll * 1024 * 1024; // the engine's JavaScript heap after a call, garbage collected
    int timersPerConnection = 64;
    int timersPerRoute = 256;
    int minIntervalMs = 1;
};
