#pragma once

#include <QMetaType>
#include <QString>

// Who a broadcast goes to.
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

// The outcome of an operator command.
struct CommandResult
{
    bool ok = true;
    QString error;  // why the command was refused; nothing was sent then
    int affected = 0; // how many clients it reached

    static CommandResult success(int affected) { return {true, {}, affected}; }
    static CommandResult failure(const QString &error) { return {false, error, 0}; }
};

Q_DECLARE_METATYPE(BroadcastTarget)
Q_DECLARE_METATYPE(CommandResult)
