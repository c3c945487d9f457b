#include "ScriptBridge.h"

#include <QFileInfo>
#include <QJSEngine>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

QString ScriptBridge::bootstrap()
{
    // The API in the shapes users know: Hono's ws context, the browser's WebSocket and timers.
    return QStringLiteral(R"JS((function (N, G, dataLimit) {
  'use strict';
  const payload = (d) => {
    if (typeof d === 'string') return [false, d];
    if (d instanceof ArrayBuffer) return [true, d];
    if (ArrayBuffer.isView(d)) return [true, d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength)];
    return [false, String(d)];
  };
  const text = (v) => {
    if (typeof v === 'string') return v;
    if (v instanceof Error) return String(v);
    try { const s = JSON.stringify(v); return s === undefined ? String(v) : s; } catch (e) { return String(v); }
  };
  const logger = (level) => (...args) => N.log(level, String(new Error().stack), args.map(text).join(' '));
  G.console = { log: logger('log'), debug: logger('log'), info: logger('info'),
                         warn: logger('warn'), error: logger('error') };
  const timers = (owner) => ({
    setTimeout: (fn, ms, ...args) => N.setTimer(owner, () => fn(...args), Number(ms) || 0, false),
    setInterval: (fn, ms, ...args) => N.setTimer(owner, () => fn(...args), Number(ms) || 0, true),
    clearTimeout: (id) => N.clearTimer(owner, Number(id) || 0),
    clearInterval: (id) => N.clearTimer(owner, Number(id) || 0),
  });
  Object.assign(G, timers(0));
  G.server = Object.freeze({
    broadcast(data, options) { const [b, p] = payload(data); return N.broadcast(b, p, options || {}); },
    clients(options) { return N.clients(options || {}); },
    send(id, data) { const [b, p] = payload(data); return N.sendTo(Number(id), b, p); },
  });
  const makeWs = (info) => {
    const id = info.id;
    const ws = Object.assign({
      id, url: info.url, protocol: info.protocol, params: info.params, query: info.query, data: {},
      send(data) {
        if (typeof data === 'string') { N.sendText(id, data); return; } // the common case: no array, no QJSValue
        const [b, p] = payload(data); N.send(id, b, p);
      },
      close(code, reason) { N.close(id, code, reason); },
      ping() { N.ping(id); },
      join(room) { N.join(id, String(room)); },
      leave() { N.leave(id); },
    }, timers(id));
    Object.defineProperty(ws, 'readyState', { get: () => N.readyState(id), enumerable: true });
    // Proxy routes: the client's upstream leg (sends go to it as if from the client).
    if (typeof info.upstream === 'string') {
      ws.upstream = Object.freeze({ url: info.upstream,
        send(data) { const [b, p] = payload(data); N.sendUpstream(id, b, p); } });
    }
    return Object.seal(ws);
  };
  // What the last failed call threw, as an Error (the runtime takes it to report file:line and stack).
  let failure = null;
  const FAILED = Object.freeze({});
  const failed = (e) => { failure = e instanceof Error ? e : new Error(text(e)); return -1; };
  // Promise callbacks run later, from the event loop, outside any handler call: each runs through
  // the runtime (N.react) under the same budget, on behalf of the client whose call chained it.
  let owner = 0; // the client whose handler, timer or callback runs (0: the route)
  const STOPPED = Object.freeze({}); // a callback the watchdog stopped: already reported
  const AsyncPromise = Promise;
  const then = AsyncPromise.prototype.then;
  const guarded = (fn, id) => (typeof fn !== 'function' ? fn : (v) => {
    const r = N.react(id, fn, v);
    if (r === undefined) throw STOPPED;
    if (r.threw) throw r.error;
    return r.value;
  });
  Object.defineProperty(AsyncPromise.prototype, 'then', {
    value: function (onFulfilled, onRejected) { return then.call(this, guarded(onFulfilled, owner), guarded(onRejected, owner)); },
    writable: false, enumerable: false, configurable: false,
  });
  const react = (id, fn, v) => {
    owner = id;
    try { return { value: fn(v) }; } catch (e) { return { threw: true, error: e }; }
  };
  // A handler's promise that rejects is reported as a throw would be, once it happens.
  const settle = (v, id, what) => {
    if (v instanceof AsyncPromise)
      v.then(undefined, (e) => { if (e !== STOPPED) N.rejected(id, what, e instanceof Error ? e : new Error(text(e))); });
  };
  const size = (o) => { try { const s = JSON.stringify(o); return s === undefined ? 0 : s.length; } catch (e) { return -1; } };
  // One call: 0 when it went well, -1 when it threw (takeFailure() says what), or the size ws.data
  // grew to when that is over the limit (ws undefined: not measured).
  const run = (fn, self, evt, ws, measured, id, what) => {
    owner = id;
    try { settle(fn.call(self, evt, ws), id, what); } catch (e) { return failed(e); }
    if (measured === undefined) return 0;
    const n = size(measured.data);
    return n > dataLimit ? n : 0;
  };
  const dispatch = (h, what, evt, ws, measure) => {
    let fn;
    try { fn = h[what]; } catch (e) { return failed(e); }
    return typeof fn === 'function' ? run(fn, h, evt, ws, measure ? ws : undefined, ws.id, what) : 0;
  };
  return {
    makeWs,
    open: (h, ws) => dispatch(h, 'onOpen', { type: 'open' }, ws, true),
    message: (h, ws, data) => dispatch(h, 'onMessage', { type: 'message', data }, ws, true),
    close: (h, ws, code, reason, wasClean) => dispatch(h, 'onClose', { type: 'close', code, reason, wasClean }, ws, false),
    error: (h, ws, message) => dispatch(h, 'onError', { type: 'error', message }, ws, true),
    timer: (fn, ws, id) => run(fn, undefined, undefined, undefined, ws, id, 'timer'),
    upgrade: (h, req) => {
      try {
        owner = 0;
        const fn = h.onUpgrade;
        if (typeof fn !== 'function') return undefined;
        const v = fn.call(h, req); settle(v, 0, 'onUpgrade'); return v;
      } catch (e) { failed(e); return FAILED; }
    },
    // Proxy routes: onClientMessage / onUpstreamMessage decide each message's fate by what they return:
    // undefined (forward it), null or false (drop it), anything else (forward that instead, as ws.send
    // would send it). A Promise takes the message over: the script sends what it wants when ready.
    relay: (h, what, ws, data) => {
      let fn;
      try { fn = h[what]; } catch (e) { failed(e); return FAILED; }
      if (typeof fn !== 'function') return undefined;
      owner = ws.id;
      let v;
      try { v = fn.call(h, { type: 'message', data }, ws); } catch (e) { failed(e); return FAILED; }
      const n = size(ws.data);
      if (n > dataLimit) return n;
      if (v === undefined || v === true) return undefined;
      if (v === null || v === false) return null;
      if (v instanceof AsyncPromise) { settle(v, ws.id, what); return null; }
      const [b, p] = payload(v);
      return b ? p : String(p);
    },
    react,
    FAILED,
    takeFailure: () => { const e = failure; failure = null; return e; },
  };
}))JS");
}

QString ScriptBridge::whereFrom(const QString &stack, int depth)
{
    const QStringList frames = stack.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    if (frames.isEmpty())
        return {};
    const QString frame = frames.value(depth, frames.constLast());
    // "name@file:///dir/feed.js:12" -> "feed.js:12"
    static const QRegularExpression location(QStringLiteral("([^/@]+):(\\d+)(?::\\d+)?$"));
    const QRegularExpressionMatch match = location.match(frame);
    return match.hasMatch() ? match.captured(1) + QLatin1Char(':') + match.captured(2) : QString();
}

void ScriptBridge::log(const QString &level, const QString &stack, const QString &text)
{
    ScriptHost::LogLevel kind = ScriptHost::LogLevel::Log;
    if (level == QLatin1String("info"))
        kind = ScriptHost::LogLevel::Info;
    else if (level == QLatin1String("warn"))
        kind = ScriptHost::LogLevel::Warn;
    else if (level == QLatin1String("error"))
        kind = ScriptHost::LogLevel::Error;
    // Frame 0 is the logger inside the bootstrap, frame 1 the script's call.
    const QString where = whereFrom(stack, 1);
    const QString line = QStringLiteral("%1: %2").arg(where, text);
    switch (kind) {
    case ScriptHost::LogLevel::Warn:
        qCWarning(lcScript).noquote() << line;
        break;
    case ScriptHost::LogLevel::Error:
        qCCritical(lcScript).noquote() << line;
        break;
    default:
        qCInfo(lcScript).noquote() << line;
    }
    m_runtime.m_host.scriptLog(m_runtime.m_route, m_runtime.m_subject, kind, where, text);
}

QByteArray ScriptBridge::payloadBytes(bool binary, const QJSValue &payload) const
{
    return binary ? payload.toVariant().toByteArray() : payload.toString().toUtf8();
}

void ScriptBridge::throwIfRefused(const QString &why)
{
    if (!why.isEmpty())
        m_version.engine->throwError(QJSValue::RangeError, why);
}

void ScriptBridge::send(double id, bool binary, const QJSValue &payload)
{
    const QByteArray bytes = payloadBytes(binary, payload);
    // Sending on a closed socket is ignored, as the browser does; the engine's limits still apply.
    (void)m_runtime.m_host.scriptSend(quint64(id), bytes, binary);
}

void ScriptBridge::sendUpstream(double id, bool binary, const QJSValue &payload)
{
    throwIfRefused(m_runtime.m_host.scriptSendUpstream(quint64(id), payloadBytes(binary, payload), binary));
}

void ScriptBridge::sendText(double id, const QString &text)
{
    (void)m_runtime.m_host.scriptSend(quint64(id), text.toUtf8(), false);
}

void ScriptBridge::rejected(double id, const QString &handler, const QJSValue &error)
{
    m_runtime.rejected(m_version, quint64(id), handler, error);
}

QJSValue ScriptBridge::react(double owner, const QJSValue &callback, const QJSValue &value)
{
    return m_runtime.react(m_version, quint64(owner), callback, value);
}

void ScriptBridge::close(double id, const QJSValue &code, const QJSValue &reason)
{
    const int closeCode = code.isUndefined() ? 1000 : code.toInt();
    if (!code.isUndefined() && (!code.isNumber() || double(closeCode) != code.toNumber())) {
        throwIfRefused(QStringLiteral("close code must be an integer"));
        return;
    }
    throwIfRefused(m_runtime.m_host.scriptClose(quint64(id), closeCode,
                                                reason.isUndefined() ? QString() : reason.toString()));
}

void ScriptBridge::ping(double id)
{
    (void)m_runtime.m_host.scriptPing(quint64(id));
}

int ScriptBridge::readyState(double id)
{
    return m_runtime.m_host.scriptReadyState(quint64(id));
}

void ScriptBridge::join(double id, const QString &room)
{
    // The room name is kept per client (and shown in the dashboard): bounded like the rest of its state.
    constexpr int kMaxRoomChars = 256;
    if (room.isEmpty() || room.size() > kMaxRoomChars) {
        m_version.engine->throwError(QJSValue::RangeError,
                                     QStringLiteral("join(room): a room name has 1 to %1 characters, not %2")
                                         .arg(kMaxRoomChars).arg(room.size()));
        return;
    }
    m_runtime.m_host.scriptJoin(quint64(id), room);
}

void ScriptBridge::leave(double id)
{
    m_runtime.m_host.scriptLeave(quint64(id));
}

int ScriptBridge::broadcast(bool binary, const QJSValue &payload, const QJSValue &options)
{
    const QString room = options.hasProperty(QStringLiteral("room")) ? options.property(QStringLiteral("room")).toString() : QString();
    const QString route = options.hasProperty(QStringLiteral("route")) ? options.property(QStringLiteral("route")).toString()
                                                                      : (room.isEmpty() ? m_runtime.m_route : QString());
    return m_runtime.m_host.scriptBroadcast(room, route, payloadBytes(binary, payload), binary);
}

QJSValue ScriptBridge::clients(const QJSValue &options)
{
    const QString room = options.hasProperty(QStringLiteral("room")) ? options.property(QStringLiteral("room")).toString() : QString();
    const QString route = options.hasProperty(QStringLiteral("route")) ? options.property(QStringLiteral("route")).toString()
                                                                      : (room.isEmpty() ? m_runtime.m_route : QString());
    const QJsonArray rows = m_runtime.m_host.scriptClients(room, route);
    return m_version.engine->toScriptValue(rows.toVariantList());
}

bool ScriptBridge::sendTo(double id, bool binary, const QJSValue &payload)
{
    return m_runtime.m_host.scriptSend(quint64(id), payloadBytes(binary, payload), binary).isEmpty();
}

int ScriptBridge::setTimer(double owner, const QJSValue &callback, double ms, bool repeat)
{
    QString why;
    const int id = m_runtime.addTimer(m_version, quint64(owner), callback, int(qBound(0.0, ms, 2147483647.0)), repeat, &why);
    throwIfRefused(why);
    return id;
}

void ScriptBridge::clearTimer(double owner, int timerId)
{
    m_runtime.clearTimer(m_version, quint64(owner), timerId);
}
