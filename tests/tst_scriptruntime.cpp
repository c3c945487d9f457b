// The script runtime alone (app/script): a fake host records what scripts ask for.
#include "script/ScriptRuntime.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

namespace {
struct Call
{
    QString what;
    quint64 id = 0;
    QByteArray data;
    bool binary = false;
    int code = 0;
};

class FakeHost : public ScriptHost
{
public:
    QVector<Call> calls;
    QStringList logs; // "level where text"
    QSet<quint64> open;
    QList<quint64> logClients; // the client each log line names (0: none)

    QString scriptSend(quint64 id, const QByteArray &data, bool binary) override
    {
        if (!open.contains(id))
            return QStringLiteral("not connected");
        calls.append({QStringLiteral("send"), id, data, binary, 0});
        return {};
    }
    QString scriptSendUpstream(quint64 id, const QByteArray &data, bool binary) override
    {
        calls.append({QStringLiteral("upstream"), id, data, binary, 0});
        return {};
    }
    QString scriptClose(quint64 id, int code, const QString &reason) override
    {
        if (code != 1000 && (code < 3000 || code > 4999) && code != 1011)
            return QStringLiteral("close code %1 cannot be sent").arg(code);
        calls.append({QStringLiteral("close"), id, reason.toUtf8(), false, code});
        return {};
    }
    QString scriptPing(quint64 id) override
    {
        calls.append({QStringLiteral("ping"), id, {}, false, 0});
        return {};
    }
    int scriptReadyState(quint64 id) const override { return open.contains(id) ? 1 : 3; }
    void scriptJoin(quint64 id, const QString &room) override { calls.append({QStringLiteral("join"), id, room.toUtf8(), false, 0}); }
    void scriptLeave(quint64 id) override { calls.append({QStringLiteral("leave"), id, {}, false, 0}); }
    int scriptBroadcast(const QString &room, const QString &route, const QByteArray &data, bool binary) override
    {
        calls.append({QStringLiteral("broadcast:") + room + QLatin1Char('|') + route, 0, data, binary, 0});
        return open.size();
    }
    QJsonArray scriptClients(const QString &, const QString &) const override
    {
        QJsonArray rows;
        for (quint64 id : open)
            rows.append(QJsonObject{{QStringLiteral("id"), double(id)}});
        return rows;
    }
    void scriptLog(const QString &, quint64 clientId, LogLevel level, const QString &where, const QString &text) override
    {
        logClients.append(clientId);
        logs.append(QStringLiteral("%1 %2 %3").arg(int(level)).arg(where, text));
    }
    int count(const QString &what) const
    {
        return int(std::count_if(calls.begin(), calls.end(), [&](const Call &c) { return c.what == what; }));
    }
};
} // namespace

class tst_ScriptRuntime : public QObject
{
    Q_OBJECT

private:
    QString write(const QString &name, const QByteArray &source)
    {
        const QString path = m_dir->filePath(name);
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return {};
        file.write(source);
        return path;
    }
    std::unique_ptr<QTemporaryDir> m_dir;

private Q_SLOTS:
    void init() { m_dir = std::make_unique<QTemporaryDir>(); }

    void handlersSeeEventsAndWs()
    {
        const QString path = write(QStringLiteral("echo.js"), R"JS(
export default {
  onOpen(evt, ws) { ws.data.n = 0; ws.send(JSON.stringify({ hello: ws.params.symbol, q: ws.query.x, url: ws.url })) },
  onMessage(evt, ws) {
    ws.data.n++
    if (typeof evt.data === 'string') ws.send('text:' + evt.data + ':' + ws.data.n)
    else ws.send(new Uint8Array(evt.data).reverse())
  },
  onClose(evt, ws) { console.log('closed', evt.code, evt.reason, evt.wasClean) },
}
)JS");
        FakeHost host;
        ScriptRuntime runtime(path, QStringLiteral("/feed/:symbol"), host);
        QString error;
        QVERIFY2(runtime.load(&error), qPrintable(error));
        QCOMPARE(runtime.version(), 1);
        host.open.insert(7);
        runtime.open({7, QStringLiteral("/feed/ACME?x=1"), QString(), {{QStringLiteral("symbol"), QStringLiteral("ACME")}},
                      {{QStringLiteral("x"), QStringLiteral("1")}}});
        QCOMPARE(host.calls.size(), 1);
        QCOMPARE(host.calls[0].data, QByteArray(R"({"hello":"ACME","q":"1","url":"/feed/ACME?x=1"})"));
        runtime.message(7, "hi", false);
        QCOMPARE(host.calls.last().data, QByteArray("text:hi:1"));
        runtime.message(7, QByteArray("\x01\x02\x03", 3), true);
        QVERIFY(host.calls.last().binary);
        QCOMPARE(host.calls.last().data, QByteArray("\x03\x02\x01", 3));
        runtime.closed(7, 4000, QStringLiteral("bye"), true);
        QCOMPARE(host.logs.last(), QStringLiteral("0 echo.js:9 closed 4000 bye true"));
        QCOMPARE(host.logClients.last(), quint64(7)); // console output names the client whose handler ran
    }

    void proxyHooksForwardChangeOrDrop()
    {
        const QString path = write(QStringLiteral("hooks.js"), R"JS(export default {
  onClientMessage(evt, ws) {
    if (evt.data === 'keep') return
    if (evt.data === 'drop') return null
    if (evt.data === 'no') return false
    if (evt.data === 'bytes') return new Uint8Array([1, 2])
    if (evt.data === 'later') return Promise.resolve().then(() => ws.upstream.send('later!'))
    if (evt.data === 'boom') null.boom()
    ws.upstream.send('note:' + ws.upstream.url)
    return evt.data.toUpperCase()
  },
  onUpstreamMessage(evt, ws) { return typeof evt.data === 'string' ? evt.data : 'was binary' },
}
)JS");
        FakeHost host;
        ScriptRuntime runtime(path, QStringLiteral("/live"), host);
        QString error;
        QVERIFY2(runtime.load(&error), qPrintable(error));
        host.open.insert(4);
        runtime.open({4, {}, {}, {}, {}}, QStringLiteral("ws://up/socket"));
        using Action = ScriptRelayVerdict::Action;
        QCOMPARE(runtime.relay(4, true, "keep", false).action, Action::Forward);
        QCOMPARE(runtime.relay(4, true, "drop", false).action, Action::Drop);
        QCOMPARE(host.logs.last(), QStringLiteral("0  onClientMessage dropped the message"));
        QCOMPARE(runtime.relay(4, true, "no", false).action, Action::Drop);
        ScriptRelayVerdict verdict = runtime.relay(4, true, "bytes", false);
        QCOMPARE(verdict.action, Action::Replace);
        QVERIFY(verdict.binary);
        QCOMPARE(verdict.data, QByteArray("\x01\x02", 2));
        verdict = runtime.relay(4, true, "hi", false);
        QCOMPARE(verdict.action, Action::Replace);
        QVERIFY(!verdict.binary);
        QCOMPARE(verdict.data, QByteArray("HI"));
        QCOMPARE(host.calls.last().what, QStringLiteral("upstream")); // ws.upstream.send, before the return
        QCOMPARE(host.calls.last().data, QByteArray("note:ws://up/socket"));
        verdict = runtime.relay(4, false, QByteArray("\x00", 1), true);
        QCOMPARE(verdict.action, Action::Replace);
        QCOMPARE(verdict.data, QByteArray("was binary"));
        QCOMPARE(runtime.relay(4, true, "later", false).action, Action::Drop); // the promise took it over
        QTRY_COMPARE(host.calls.last().data, QByteArray("later!"));
        QCOMPARE(runtime.relay(4, true, "boom", false).action, Action::Failed);
        QCOMPARE(host.calls.last().what, QStringLiteral("close"));
        QCOMPARE(host.calls.last().code, 1011);
        QVERIFY2(host.logs.last().startsWith(QStringLiteral("3 hooks.js:8 onClientMessage threw TypeError")), qPrintable(host.logs.last()));
    }

    void exceptionClosesWith1011AndNamesTheLine()
    {
        const QString path = write(QStringLiteral("bad.js"), "export default {\n  onMessage(evt, ws) {\n    null.boom()\n  },\n}\n");
        FakeHost host;
        ScriptRuntime runtime(path, QStringLiteral("/bad"), host);
        QVERIFY(runtime.load());
        host.open.insert(1);
        runtime.open({1, {}, {}, {}, {}});
        runtime.message(1, "x", false);
        QCOMPARE(host.count(QStringLiteral("close")), 1);
        QCOMPARE(host.calls.last().code, 1011);
        QVERIFY2(host.logs.last().startsWith(QStringLiteral("3 bad.js:3 onMessage threw TypeError")), qPrintable(host.logs.last()));
    }

    void rejectedPromiseIsReportedLikeAThrow()
    {
        // Qt 6.4's engine has Promise but no async/await syntax: handlers return promise chains.
        const QString path = write(QStringLiteral("async.js"), R"JS(export default {
  onMessage(evt, ws) {
    return Promise.resolve(evt.data).then((data) => {
      if (data === 'boom') throw new TypeError('async boom')
      if (data === 'plain') return Promise.reject('just a string')
      ws.send('ok ' + data)
    })
  },
}
setTimeout(() => Promise.resolve().then(() => null.tick()), 1)
)JS");
        FakeHost host;
        ScriptRuntime runtime(path, QStringLiteral("/async"), host);
        QVERIFY(runtime.load());
        // The route timer's rejection: a record naming the line, nobody to close.
        QTRY_VERIFY(!host.logs.isEmpty());
        QVERIFY2(host.logs.last().startsWith(QStringLiteral("3 async.js:10 timer rejected with TypeError")), qPrintable(host.logs.last()));
        QCOMPARE(host.count(QStringLiteral("close")), 0);
        host.open << 1 << 2 << 3;
        runtime.open({1, {}, {}, {}, {}});
        runtime.open({2, {}, {}, {}, {}});
        runtime.open({3, {}, {}, {}, {}});
        runtime.message(2, "fine", false);
        QTRY_COMPARE(host.count(QStringLiteral("send")), 1); // the rest of the handler runs from the event loop
        QCOMPARE(host.calls.last().data, QByteArray("ok fine"));
        runtime.message(1, "boom", false);
        QTRY_COMPARE(host.count(QStringLiteral("close")), 1);
        QCOMPARE(host.calls.last().id, quint64(1));
        QCOMPARE(host.calls.last().code, 1011);
        QVERIFY2(host.logs.last().startsWith(QStringLiteral("3 async.js:4 onMessage rejected with TypeError: async boom")),
                 qPrintable(host.logs.last()));
        QVERIFY2(host.logs.last().contains(QStringLiteral("async.js:4\n")) || host.logs.last().endsWith(QStringLiteral("async.js:4")),
                 qPrintable(host.logs.last())); // the stack
        runtime.message(3, "plain", false); // a rejection with a non-Error still closes and says what it was
        QTRY_COMPARE(host.count(QStringLiteral("close")), 2);
        QCOMPARE(host.calls.last().id, quint64(3));
        QVERIFY2(host.logs.last().contains(QStringLiteral("onMessage rejected with Error: just a string")), qPrintable(host.logs.last()));
        runtime.message(2, "still served", false);
        QTRY_COMPARE(host.count(QStringLiteral("send")), 2);
        QCOMPARE(host.calls.last().data, QByteArray("ok still served"));
    }

    void endlessLoopIsInterruptedWithinTheBudget()
    {
        const QString path = write(QStringLiteral("spin.js"), "export default { onMessage(evt, ws) { if (evt.data === 'spin') for (;;) {} ws.send('ok') } }\n");
        FakeHost host;
        ScriptLimits limits;
        limits.callBudgetMs = 100;
        ScriptRuntime runtime(path, QStringLiteral("/spin"), host, limits);
        QVERIFY(runtime.load());
        host.open << 1 << 2;
        runtime.open({1, {}, {}, {}, {}});
        runtime.open({2, {}, {}, {}, {}});
        QElapsedTimer clock;
        clock.start();
        runtime.message(1, "spin", false);
        QVERIFY2(clock.elapsed() < 1000, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(host.calls.last().what, QStringLiteral("close"));
        QCOMPARE(host.calls.last().code, 1011);
        QVERIFY(host.logs.last().contains(QStringLiteral("ran longer than 100 ms")));
        runtime.message(2, "hello", false); // the engine works again for everyone else
        QCOMPARE(host.calls.last().what, QStringLiteral("send"));
        QCOMPARE(host.calls.last().data, QByteArray("ok"));
    }

    void promiseCallbackIsInterruptedWithinTheBudget()
    {
        // Promise callbacks run from the event loop, after the handler returned: each has the budget too.
        const QString path = write(QStringLiteral("later.js"), R"JS(export default {
  onMessage(evt, ws) {
    if (evt.data === 'spin') return Promise.resolve().then(() => { for (;;) {} })
    if (evt.data === 'spin in catch') return Promise.reject(new Error('x')).catch(() => { for (;;) {} })
    return Promise.resolve(evt.data).then((d) => ws.send('ok ' + d))
  },
}
)JS");
        FakeHost host;
        ScriptLimits limits;
        limits.callBudgetMs = 100;
        ScriptRuntime runtime(path, QStringLiteral("/later"), host, limits);
        QVERIFY(runtime.load());
        host.open << 1 << 2;
        runtime.open({1, {}, {}, {}, {}});
        runtime.open({2, {}, {}, {}, {}});
        QElapsedTimer clock;
        clock.start();
        runtime.message(1, "spin", false);
        QTRY_COMPARE(host.count(QStringLiteral("close")), 1);
        QVERIFY2(clock.elapsed() < 1000, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(host.calls.last().id, quint64(1));
        QCOMPARE(host.calls.last().code, 1011);
        QVERIFY2(host.logs.last().contains(QStringLiteral("a promise callback ran longer than 100 ms")), qPrintable(host.logs.last()));
        QCOMPARE(host.logs.size(), 1); // once: the stopped callback's promise is not reported again as a rejection
        runtime.message(2, "after", false); // the engine works again for everyone else
        QTRY_COMPARE(host.count(QStringLiteral("send")), 1);
        QCOMPARE(host.calls.last().data, QByteArray("ok after"));
        host.open << 3;
        runtime.open({3, {}, {}, {}, {}});
        runtime.message(3, "spin in catch", false); // catch() goes through then()
        QTRY_COMPARE(host.count(QStringLiteral("close")), 2);
        QCOMPARE(host.calls.last().id, quint64(3));
    }

    void endlessAllocationIsStopped()
    {
        const QString path = write(QStringLiteral("hog.js"), "export default { onMessage(evt, ws) { const a = []; for (;;) a.push({ x: new Array(64).fill(7) }) } }\n");
        FakeHost host;
        ScriptLimits limits;
        limits.memoryGrowthBytes = 64ll << 20;
        limits.callBudgetMs = 10000;
        ScriptRuntime runtime(path, QStringLiteral("/hog"), host, limits);
        QVERIFY(runtime.load());
        host.open << 1;
        runtime.open({1, {}, {}, {}, {}});
        runtime.message(1, "go", false);
        QCOMPARE(host.calls.last().code, 1011);
        QVERIFY2(host.logs.last().contains(QStringLiteral("grew memory by more than 64 MiB")), qPrintable(host.logs.last()));
    }

    void dataAndTimersAreBounded()
    {
        const QString path = write(QStringLiteral("grow.js"), R"JS(
export default {
  onMessage(evt, ws) {
    if (evt.data === 'timers') { for (let i = 0; i < 100; i++) ws.setTimeout(() => {}, 100000) }
    else ws.data.blob = 'x'.repeat(200000)
  },
}
)JS");
        FakeHost host;
        // A small ws.data limit: measuring ws.data is part of the call's budget, and a loaded CI machine
        // should not turn a 2 MB measurement into an overrun.
        ScriptLimits limits;
        limits.dataBytes = 100000;
        ScriptRuntime runtime(path, QStringLiteral("/grow"), host, limits);
        QVERIFY(runtime.load());
        host.open << 1 << 2;
        runtime.open({1, {}, {}, {}, {}});
        runtime.open({2, {}, {}, {}, {}});
        runtime.message(1, "timers", false);
        QVERIFY2(host.logs.last().startsWith(QStringLiteral("3 grow.js:4 onMessage threw RangeError: too many timers (limit 64 per connection)")),
                 qPrintable(host.logs.last()));
        runtime.message(2, "data", false);
        QVERIFY2(host.logs.last().contains(QStringLiteral("ws.data grew to")), qPrintable(host.logs.last()));
        QCOMPARE(host.count(QStringLiteral("close")), 2);
    }

    void timersFireAndDieWithTheConnection()
    {
        const QString path = write(QStringLiteral("tick.js"), R"JS(
let ticks = 0
setInterval(() => server.broadcast('route tick ' + (++ticks)), 20)
export default {
  onOpen(evt, ws) { ws.setInterval(() => ws.send('tick'), 10) },
}
)JS");
        FakeHost host;
        ScriptRuntime runtime(path, QStringLiteral("/tick"), host);
        QVERIFY(runtime.load());
        host.open << 1;
        runtime.open({1, {}, {}, {}, {}});
        QTRY_VERIFY(host.count(QStringLiteral("send")) >= 3);
        QTRY_VERIFY(host.count(QStringLiteral("broadcast:|/tick")) >= 2);
        runtime.closed(1, 1000, {}, true);
        const int sent = host.count(QStringLiteral("send"));
        const int broadcasts = host.count(QStringLiteral("broadcast:|/tick"));
        QTRY_VERIFY(host.count(QStringLiteral("broadcast:|/tick")) >= broadcasts + 2); // the route's feed goes on
        QCOMPARE(host.count(QStringLiteral("send")), sent);
    }

    void closeIsValidated()
    {
        const QString path = write(QStringLiteral("close.js"), R"JS(
export default {
  onMessage(evt, ws) {
    if (evt.data === 'room') {
      try { ws.join('r'.repeat(257)) } catch (e) { ws.send(e.name + ': ' + e.message) }
      return
    }
    try { ws.close(999, 'nope') } catch (e) { ws.send('refused: ' + e.message); return }
  },
  onOpen(evt, ws) {
    ws.join('lobby'); ws.ping(); ws.send(String(ws.readyState) + ' ' + server.clients().length)
    server.send(ws.id, 'direct ' + server.send(999, 'nobody'))
  },
}
)JS");
        FakeHost host;
        ScriptRuntime runtime(path, QStringLiteral("/c"), host);
        QVERIFY(runtime.load());
        host.open << 1;
        runtime.open({1, {}, {}, {}, {}});
        QCOMPARE(host.calls.at(0).what, QStringLiteral("join"));
        QCOMPARE(host.calls.at(1).what, QStringLiteral("ping"));
        QCOMPARE(host.calls.at(2).data, QByteArray("1 1"));
        QCOMPARE(host.calls.at(3).data, QByteArray("direct false")); // server.send: false for a client not open
        runtime.message(1, "x", false);
        QCOMPARE(host.calls.last().data, QByteArray("refused: close code 999 cannot be sent"));
        const int joins = host.count(QStringLiteral("join"));
        runtime.message(1, "room", false); // room names are bounded like the rest of a client's state
        QCOMPARE(host.calls.last().data, QByteArray("RangeError: join(room): a room name has 1 to 256 characters, not 257"));
        QCOMPARE(host.count(QStringLiteral("join")), joins);
    }

    void syntaxErrorNamesFileAndLine()
    {
        const QString path = write(QStringLiteral("broken.js"), "export default {\n  onMessage(evt, ws) {\n    ws.send(\n  },\n}\n");
        FakeHost host;
        ScriptRuntime runtime(path, QStringLiteral("/b"), host);
        QString error;
        QVERIFY(!runtime.load(&error));
        QVERIFY2(error.startsWith(QStringLiteral("broken.js:4")), qPrintable(error));
    }

    void importsOnlySiblings()
    {
        write(QStringLiteral("helper.js"), "export const greet = (n) => 'hello ' + n\n");
        const QString ok = write(QStringLiteral("uses.js"), "import { greet } from './helper.js'\nexport default { onOpen(e, ws) { ws.send(greet('x')) } }\n");
        const QString bad = write(QStringLiteral("escapes.js"), "import x from '../etc/passwd.js'\nexport default {}\n");
        const QString dynamic = write(QStringLiteral("dyn.js"), "export default { onOpen() { import('./helper.js') } }\n");
        FakeHost host;
        host.open << 1;
        ScriptRuntime good(ok, QStringLiteral("/ok"), host);
        QVERIFY(good.load());
        good.open({1, {}, {}, {}, {}});
        QCOMPARE(host.calls.last().data, QByteArray("hello x"));
        QString error;
        ScriptRuntime escaping(bad, QStringLiteral("/bad"), host);
        QVERIFY(!escaping.load(&error));
        QVERIFY2(error.contains(QStringLiteral("import '../etc/passwd.js' is not allowed")), qPrintable(error));
        ScriptRuntime dynamicImport(dynamic, QStringLiteral("/dyn"), host);
        QVERIFY(!dynamicImport.load(&error));
        QVERIFY2(error.contains(QStringLiteral("dynamic import()")), qPrintable(error));
    }

    void hotReloadKeepsOldConnectionsAndSurvivesSyntaxErrors()
    {
        const QString path = write(QStringLiteral("live.js"), "export default { onMessage(e, ws) { ws.send('v1') } }\n");
        FakeHost host;
        ScriptRuntime runtime(path, QStringLiteral("/live"), host);
        QVERIFY(runtime.load());
        runtime.setWatching(true);
        host.open << 1 << 2 << 3;
        runtime.open({1, {}, {}, {}, {}});
        QSignalSpy loaded(&runtime, &ScriptRuntime::loaded);
        QSignalSpy failed(&runtime, &ScriptRuntime::loadFailed);
        write(QStringLiteral("live.js"), "export default { onMessage(e, ws) { ws.send('v2') } }\n");
        QVERIFY(loaded.wait(5000));
        QCOMPARE(runtime.version(), 2);
        runtime.open({2, {}, {}, {}, {}});
        runtime.message(1, "?", false);
        QCOMPARE(host.calls.last().data, QByteArray("v1"));
        runtime.message(2, "?", false);
        QCOMPARE(host.calls.last().data, QByteArray("v2"));
        write(QStringLiteral("live.js"), "export default { onMessage(e, ws) { ws.send('v3' }\n");
        QVERIFY(failed.wait(5000));
        QVERIFY2(failed.last().at(0).toString().startsWith(QStringLiteral("live.js:1")), qPrintable(failed.last().at(0).toString()));
        QCOMPARE(runtime.version(), 2);
        runtime.open({3, {}, {}, {}, {}});
        runtime.message(3, "?", false);
        QCOMPARE(host.calls.last().data, QByteArray("v2"));
    }

    void onUpgradeCanRefuse()
    {
        const QString path = write(QStringLiteral("gate.js"), R"JS(
export default {
  onUpgrade(req) { if (req.query.token !== 'ok' || req.headers['x-user'] !== 'ann') return { status: 401, body: 'no token' } },
}
)JS");
        FakeHost host;
        ScriptRuntime runtime(path, QStringLiteral("/g"), host);
        QVERIFY(runtime.load());
        ScriptRequest request;
        request.headers = {{QStringLiteral("x-user"), QStringLiteral("ann")}};
        const ScriptUpgradeAnswer refused = runtime.upgrade(request);
        QVERIFY(!refused.accept);
        QCOMPARE(refused.status, 401);
        QCOMPARE(refused.body, QByteArray("no token"));
        request.query = {{QStringLiteral("token"), QStringLiteral("ok")}};
        QVERIFY(runtime.upgrade(request).accept);
    }
};

QTEST_GUILESS_MAIN(tst_ScriptRuntime)
#include "tst_scriptruntime.moc"
