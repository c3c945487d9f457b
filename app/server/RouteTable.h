#pragma once

#include "../websocket/DeflateNegotiation.h"

#include <QHash>
#include <QString>
#include <QStringList>
#include <QVector>

// What a route does with its clients.
enum class RouteBehaviourKind { Echo, Chat, Clock, Operator, Script, Proxy };

QString behaviourKindName(RouteBehaviourKind kind);
bool behaviourKindFromName(const QString &name, RouteBehaviourKind *kind);

// One entry of the route table: a path pattern such as "/ws" or "/chat/:room".
struct RouteSpec
{
    QString pattern;
    RouteBehaviourKind behaviour = RouteBehaviourKind::Echo;
    QStringList subprotocols; // negotiated in the client's order; empty: the route takes none
    int clockIntervalMs = 200; // clock routes: default push interval, overridable by ?interval=
    QString script; // script routes: the JavaScript module (absolute once loaded from a config file)
    int scriptBudgetMs = 250; // script routes: time budget of one handler or timer call
    QString upstream;          // proxy routes: ws:// or wss:// URL, ":name" segments filled from the path
    bool forwardOrigin = false; // proxy routes: pass the client's Origin instead of the upstream's own
    DeflatePolicy deflate;     // permessage-deflate: on by default, no context takeover
    int scriptHeapMb = 256;    // script routes: JavaScript heap kept between calls, garbage collected
};

struct RouteMatch
{
    int index = -1; // into RouteTable::routes(); -1 when no route matches
    QHash<QString, QString> params; // ":room" segments, by name without the colon
    bool isValid() const { return index >= 0; }
};

// Maps request paths to routes. Segments starting with ':' match one non-empty path segment.
class RouteTable
{
public:
    static RouteTable defaults();

    void add(const RouteSpec &route);
    const QVector<RouteSpec> &routes() const { return m_routes; }
    QVector<RouteSpec> &mutableRoutes() { return m_routes; }
    // Adds the route, or replaces the one with the same pattern.
    void put(const RouteSpec &route);
    RouteMatch match(const QString &path) const;

    // Empty when the pattern is usable, else why not.
    static QString validatePattern(const QString &pattern);
    // Empty when a proxy route's upstream is a usable ws:// or wss:// URL, else why not.
    static QString validateUpstream(const QString &url);

private:
    QVector<RouteSpec> m_routes;
};
