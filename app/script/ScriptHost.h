#pragma once

#include <QByteArray>
#include <QJsonArray>
#include <QString>

// What a script may ask of the server that runs it. The engine implements it: everything a script
// sends goes through the same paths (records, counters, limits) as any other message. Clients
// are named by id; a refused call returns why (empty: done).
class ScriptHost
{
public:
    enum class LogLevel { Log, Info, Warn, Error };

    virtual ~ScriptHost() = default;
    virtual QString scriptSend(quint64 clientId, const QByteArray &data, bool binary) = 0;
    // Proxy routes: a message to the client's upstream, as if from the client (ws.upstream.send).
    virtual QString scriptSendUpstream(quint64 clientId, const QByteArray &data, bool binary) = 0;
    // The code and reason are validated as operator closes are.
    virtual QString scriptClose(quint64 clientId, int code, const QString &reason) = 0;
    virtual QString scriptPing(quint64 clientId) = 0;
    // The browser's WebSocket.readyState: 0 connecting, 1 open, 2 closing, 3 closed.
    virtual int scriptReadyState(quint64 clientId) const = 0;
    virtual void scriptJoin(quint64 clientId, const QString &room) = 0;
    virtual void scriptLeave(quint64 clientId) = 0;
    // room or route (route pattern); both empty: the script's own route. Returns the fan-out.
    virtual int scriptBroadcast(const QString &room, const QString &route, const QByteArray &data, bool binary) = 0;
    // Open clients of the room or route: [{ id, route, room, path, protocol, peer }].
    virtual QJsonArray scriptClients(const QString &room, const QString &route) const = 0;
    // console.* and script errors: `where` is "file:line" (empty when unknown), clientId 0 for none.
    virtual void scriptLog(const QString &route, quint64 clientId, LogLevel level, const QString &where,
                           const QString &text) = 0;
};
