#pragma once

#include "../log/LogRecord.h"

#include <QSet>
#include <QString>
#include <QUrlQuery>

class RouteTable;

// Which log records an event stream or a page of GET /api/log carries: ?client=ID, ?route=PATH
// or a route pattern, ?direction=in|out|broadcast|system, ?kind=text|binary|ping|...; each may
// repeat (any of its values), different keys must all hold.
class EventFilter
{
public:
    // Reads the query; false with *error naming the bad key or value.
    bool parse(const QUrlQuery &query, const RouteTable &routes, QString *error);
    bool matches(const LogRecord &record) const;

private:
    QSet<quint64> m_clients;
    QSet<QString> m_paths;     // the record's path, its query left out
    QSet<int> m_routeIndexes;  // route patterns, matched through the route table
    QSet<int> m_directions;
    QSet<int> m_kinds;
    const RouteTable *m_routes = nullptr;
};
