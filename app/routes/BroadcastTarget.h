#pragma once

#include <QMetaType>
#include <QString>

// Who a broadcast goes to: everyone, the clients of one route, or the members of one room. Routes
// broadcast with it, operators command with it, and the cluster carries it between instances.
struct BroadcastTarget
{
    enum class Scope { Everyone, Route, Room };
    Scope scope = Scope::Everyone;
    QString name; // Route: the route pattern ("/ws"); Room: the room name ("lobby")

    static BroadcastTarget everyone() { return {}; }
    static BroadcastTarget route(const QString &pattern) { return {Scope::Route, pattern}; }
    static BroadcastTarget room(const QString &room) { return {Scope::Room, room}; }
    QString describe() const;
};

Q_DECLARE_METATYPE(BroadcastTarget)
