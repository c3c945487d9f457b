#pragma once

#include "ScriptRuntime.h"

#include <QJSValue>
#include <QObject>

// The native side of the objects a script sees (ws, server, console, timers): one per loaded
// version, exposed to its engine. The JavaScript side (ScriptBridge::bootstrap()) shapes the API.
class ScriptBridge : public QObject
{
    Q_OBJECT
public:
    ScriptBridge(ScriptRuntime &runtime, ScriptRuntime::Version &version) : m_runtime(runtime), m_version(version) {}

    // A function taking this bridge, the global object and the ws.data limit, returning the entry points
    // the runtime calls: { makeWs, open, message, close, error, timer, upgrade, relay, react, FAILED, takeFailure }.
    static QString bootstrap();

    Q_INVOKABLE void log(const QString &level, const QString &stack, const QString &text);
    Q_INVOKABLE void send(double id, bool binary, const QJSValue &payload);
    Q_INVOKABLE void sendText(double id, const QString &text);
    Q_INVOKABLE void sendUpstream(double id, bool binary, const QJSValue &payload);
    // An async handler's promise rejected (handler: "onMessage", "timer"...).
    Q_INVOKABLE void rejected(double id, const QString &handler, const QJSValue &error);
    // Runs a promise callback under the watchdog: { value } or { threw, error }; undefined if stopped.
    Q_INVOKABLE QJSValue react(double owner, const QJSValue &callback, const QJSValue &value);
    Q_INVOKABLE void close(double id, const QJSValue &code, const QJSValue &reason);
    Q_INVOKABLE void ping(double id);
    Q_INVOKABLE int readyState(double id);
    Q_INVOKABLE void join(double id, const QString &room);
    Q_INVOKABLE void leave(double id);
    Q_INVOKABLE int broadcast(bool binary, const QJSValue &payload, const QJSValue &options);
    Q_INVOKABLE QJSValue clients(const QJSValue &options);
    Q_INVOKABLE bool sendTo(double id, bool binary, const QJSValue &payload);
    Q_INVOKABLE int setTimer(double owner, const QJSValue &callback, double ms, bool repeat);
    Q_INVOKABLE void clearTimer(double owner, int timerId);

    // "feed.js:12" from an Error().stack, the frame `depth` below the top.
    static QString whereFrom(const QString &stack, int depth);

private:
    QByteArray payloadBytes(bool binary, const QJSValue &payload) const;
    void throwIfRefused(const QString &why);

    ScriptRuntime &m_runtime;
    ScriptRuntime::Version &m_version;
};
