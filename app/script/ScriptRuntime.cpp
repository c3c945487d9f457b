#include "ScriptRuntime.h"

#include "ScriptBridge.h"
#include "ScriptHeap.h"
#include "ScriptSyntaxLocator.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJSEngine>
#include <QRegularExpression>
#include <QSet>
#include <QUrl>

#include <utility>

Q_LOGGING_CATEGORY(lcScript, "switchboard.script")

namespace {
constexpr int kSettleMs = 100;
constexpr int kMaxSiblings = 64;
// Larger files are not parsed a second time for a syntax error's column.
constexpr qint64 kMaxScriptBytesToLocate = 4 * 1024 * 1024;

QString readText(const QString &path, bool *ok)
{
    QFile file(path);
    *ok = file.open(QIODevice::ReadOnly);
    return *ok ? QString::fromUtf8(file.readAll()) : QString();
}

// The specifiers of static imports and re-exports; dynamic import() is refused outright.
QStringList importSpecifiers(const QString &source)
{
    static const QRegularExpression fromClause(
        QStringLiteral(R"((?:^|[;\s])(?:import|export)\s[^;'"]*?\bfrom\s*(['"])([^'"]*)\1)"));
    static const QRegularExpression bareImport(QStringLiteral(R"((?:^|[;\s])import\s*(['"])([^'"]*)\1)"));
    QStringList specifiers;
    for (const QRegularExpression *pattern : {&fromClause, &bareImport}) {
        auto it = pattern->globalMatch(source);
        while (it.hasNext())
            specifiers.append(it.next().captured(2));
    }
    return specifiers;
}
} // namespace

ScriptRuntime::Version::~Version()
{
    timers.clear(); // their callbacks belong to the engine
}

ScriptRuntime::ScriptRuntime(QString fileName, QString route, ScriptHost &host, ScriptLimits limits, QObject *parent)
    : QObject(parent), m_fileName(QFileInfo(fileName).absoluteFilePath()), m_route(std::move(route)), m_host(host),
      m_limits(limits)
{
    m_settle.setSingleShot(true);
    m_settle.setInterval(kSettleMs);
    connect(&m_settle, &QTimer::timeout, this, &ScriptRuntime::onDiskChanged);
}

ScriptRuntime::~ScriptRuntime()
{
    m_connections.clear();
    m_current.reset();
}

int ScriptRuntime::version() const
{
    return m_current ? m_current->number : 0;
}

QString ScriptRuntime::checkImports(const QString &source)
{
    static const QRegularExpression dynamicImport(QStringLiteral(R"(\bimport\s*\()"));
    if (source.contains(dynamicImport))
        return QStringLiteral("dynamic import() is not allowed: import a sibling file statically");
    static const QRegularExpression sibling(QStringLiteral(R"(^\./[A-Za-z0-9_.-]+\.m?js$)"));
    for (const QString &specifier : importSpecifiers(source)) {
        if (!sibling.match(specifier).hasMatch() || specifier.contains(QLatin1String("..")))
            return QStringLiteral("import '%1' is not allowed: only sibling files (\"./name.js\") can be imported")
                .arg(specifier);
    }
    return {};
}

QString ScriptRuntime::sourceSnapshot() const
{
    // The file and the siblings it imports, transitively: what a load would run.
    QString snapshot;
    QSet<QString> seen;
    QStringList pending{m_fileName};
    const QDir dir = QFileInfo(m_fileName).dir();
    while (!pending.isEmpty() && seen.size() < kMaxSiblings) {
        const QString path = pending.takeFirst();
        if (seen.contains(path))
            continue;
        seen.insert(path);
        bool ok = false;
        const QString text = readText(path, &ok);
        snapshot += path + QLatin1Char('\n') + text + QLatin1Char('\0');
        for (const QString &specifier : importSpecifiers(text))
            pending.append(dir.absoluteFilePath(specifier));
    }
    return snapshot;
}

bool ScriptRuntime::load(QString *error)
{
    const QString name = QFileInfo(m_fileName).fileName();
    auto refuse = [&](const QString &why) {
        m_lastError = why;
        if (error)
            *error = why;
        qCWarning(lcScript).noquote() << why;
        Q_EMIT loadFailed(why);
        return false;
    };
    m_lastSnapshot = sourceSnapshot();
    // Every file the module would reach must import siblings only (checked before any of it runs).
    QSet<QString> seen;
    QStringList pending{m_fileName};
    const QDir dir = QFileInfo(m_fileName).dir();
    while (!pending.isEmpty()) {
        const QString path = pending.takeFirst();
        if (seen.contains(path))
            continue;
        if (seen.size() >= kMaxSiblings)
            return refuse(QStringLiteral("%1: more than %2 imported files").arg(name).arg(kMaxSiblings));
        seen.insert(path);
        bool ok = false;
        const QString text = readText(path, &ok);
        if (!ok)
            return refuse(QStringLiteral("%1: cannot read the script").arg(QDir::toNativeSeparators(path)));
        const QString why = checkImports(text);
        if (!why.isEmpty())
            return refuse(QStringLiteral("%1: %2").arg(QFileInfo(path).fileName(), why));
        for (const QString &specifier : importSpecifiers(text))
            pending.append(dir.absoluteFilePath(specifier));
    }

    auto version = std::make_shared<Version>();
    version->number = m_versions + 1;
    version->engine = std::make_unique<QJSEngine>();
    version->bridge = std::make_unique<ScriptBridge>(*this, *version);
    QJSEngine::setObjectOwnership(version->bridge.get(), QJSEngine::CppOwnership);
    QJSEngine &engine = *version->engine;
    const QJSValue api = engine.evaluate(ScriptBridge::bootstrap(), QStringLiteral("switchboard-bootstrap.js"))
                             .call({engine.newQObject(version->bridge.get()), engine.globalObject(), m_limits.dataBytes});
    if (api.isError())
        return refuse(QStringLiteral("internal: the script bootstrap failed: %1").arg(api.toString()));
    version->makeWs = api.property(QStringLiteral("makeWs"));
    version->onOpen = api.property(QStringLiteral("open"));
    version->onMessage = api.property(QStringLiteral("message"));
    version->onClose = api.property(QStringLiteral("close"));
    version->onError = api.property(QStringLiteral("error"));
    version->onTimer = api.property(QStringLiteral("timer"));
    version->onUpgrade = api.property(QStringLiteral("upgrade"));
    version->onReaction = api.property(QStringLiteral("react"));
    version->onRelay = api.property(QStringLiteral("relay"));
    version->failedMark = api.property(QStringLiteral("FAILED"));
    version->heapCheckAt = m_limits.heapBytes;
    version->takeFailure = api.property(QStringLiteral("takeFailure"));

    // Module code runs on import: it has the same budget as a handler.
    ++m_depth;
    m_watchdog.arm(&engine, m_limits.callBudgetMs, m_limits.memoryGrowthBytes);
    const QJSValue module = engine.importModule(m_fileName);
    const ScriptWatchdog::Verdict verdict = m_watchdog.disarm();
    --m_depth;
    if (verdict != ScriptWatchdog::Verdict::None) {
        engine.setInterrupted(false);
        return refuse(QStringLiteral("%1: the module's top-level code %2").arg(name, verdict == ScriptWatchdog::Verdict::Timeout
                      ? QStringLiteral("ran longer than %1 ms").arg(m_limits.callBudgetMs)
                      : QStringLiteral("grew memory by more than %1 MiB").arg(m_limits.memoryGrowthBytes >> 20)));
    }
    if (module.isError()) {
        QString where;
        const QString text = describeError(module, &where).section(QLatin1Char('\n'), 0, 0); // the stack is the import
        return refuse(QStringLiteral("%1: %2").arg(where.isEmpty() ? name : withColumn(module, where), text));
    }
    if (ScriptHeap::allocatedBytes(engine) > m_limits.heapBytes) {
        const qint64 live = ScriptHeap::liveBytesAfterCollecting(engine);
        if (live > m_limits.heapBytes)
            return refuse(QStringLiteral("%1: the module's top-level code left %2 MiB on the heap (limit %3 MiB)")
                              .arg(name).arg(live >> 20).arg(m_limits.heapBytes >> 20));
    }
    version->handlers = module.property(QStringLiteral("default"));
    if (!version->handlers.isObject())
        return refuse(QStringLiteral("%1: the module must `export default { onOpen, onMessage, onClose, onError }`").arg(name));
    for (const char *handler : {"onUpgrade", "onOpen", "onMessage", "onClose", "onError", "onClientMessage",
                                "onUpstreamMessage"}) {
        const QJSValue value = version->handlers.property(QLatin1String(handler));
        if (!value.isUndefined() && !value.isCallable())
            return refuse(QStringLiteral("%1: %2 must be a function").arg(name, QLatin1String(handler)));
    }
    m_protocols = module.property(QStringLiteral("protocols")).toVariant().toStringList();
    ++m_versions;
    if (m_current)
        dropTimers(*m_current, 0); // the route's feeds move to the new version
    m_current = std::move(version);
    m_lastError.clear();
    qCInfo(lcScript).noquote() << "loaded" << m_fileName << "version" << m_current->number;
    Q_EMIT loaded(m_current->number);
    return true;
}

void ScriptRuntime::setWatching(bool watching)
{
    delete m_watcher;
    m_watcher = nullptr;
    if (!watching)
        return;
    m_watcher = new QFileSystemWatcher(this);
    // The folder too: editors that save by renaming replace the file the watcher was watching.
    m_watcher->addPath(QFileInfo(m_fileName).absolutePath());
    m_watcher->addPath(m_fileName);
    connect(m_watcher, &QFileSystemWatcher::fileChanged, &m_settle, qOverload<>(&QTimer::start));
    connect(m_watcher, &QFileSystemWatcher::directoryChanged, &m_settle, qOverload<>(&QTimer::start));
}

void ScriptRuntime::onDiskChanged()
{
    if (m_watcher && !m_watcher->files().contains(m_fileName) && QFileInfo::exists(m_fileName))
        m_watcher->addPath(m_fileName);
    if (sourceSnapshot() == m_lastSnapshot)
        return;
    QString why;
    const bool ok = load(&why);
    const QString text = ok ? QStringLiteral("reloaded %1: version %2").arg(QFileInfo(m_fileName).fileName()).arg(version())
                            : QStringLiteral("reload failed, version %1 keeps running: %2").arg(version()).arg(why);
    if (ok)
        qCInfo(lcScript).noquote() << m_route << text;
    else
        qCWarning(lcScript).noquote() << m_route << text;
    m_host.scriptLog(m_route, 0, ok ? ScriptHost::LogLevel::Info : ScriptHost::LogLevel::Error, QString(), text);
}

QString ScriptRuntime::withColumn(const QJSValue &error, const QString &where)
{
    // QJSEngine names a syntax error's file and line only; Qt's parser, run again on that file, has the column.
    if (error.property(QStringLiteral("name")).toString() != QLatin1String("SyntaxError"))
        return where;
    const QString fileName = error.property(QStringLiteral("fileName")).toString();
    QFile file(fileName.startsWith(QLatin1String("file:")) ? QUrl(fileName).toLocalFile() : fileName);
    if (file.size() > kMaxScriptBytesToLocate || !file.open(QIODevice::ReadOnly))
        return where;
    const ScriptSyntaxError located = locateSyntaxError(QString::fromUtf8(file.readAll()));
    const int line = error.property(QStringLiteral("lineNumber")).toInt();
    if (located.line != line || located.column <= 0 || !where.endsWith(QStringLiteral(":%1").arg(line)))
        return where; // not the error QJSEngine saw
    return QStringLiteral("%1:%2").arg(where).arg(located.column);
}

QString ScriptRuntime::describeError(const QJSValue &error, QString *where) const
{
    // The script's frames only: errors thrown by the API carry the bootstrap's frames first.
    QStringList frames;
    const QStringList all = error.property(QStringLiteral("stack")).toString().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (const QString &frame : all) {
        if (!frame.contains(QLatin1String("switchboard-bootstrap.js")))
            frames.append(frame);
    }
    *where = ScriptBridge::whereFrom(frames.join(QLatin1Char('\n')), 0);
    const QString file = QFileInfo(error.property(QStringLiteral("fileName")).toString()).fileName();
    const int line = error.property(QStringLiteral("lineNumber")).toInt();
    // A value thrown that was not an Error got its Error in the bootstrap: no line of the script to name.
    if (where->isEmpty() && !file.isEmpty() && line > 0 && !file.contains(QLatin1String("switchboard-bootstrap.js")))
        *where = QStringLiteral("%1:%2").arg(file).arg(line);
    const QString message = error.toString(); // "TypeError: ..."
    return frames.isEmpty() ? message : QStringLiteral("%1\n%2").arg(message, frames.join(QLatin1Char('\n')));
}

bool ScriptRuntime::guardedCall(Version &version, quint64 clientId, quint64 subject, const QString &what,
                                const QJSValue &entry, const QJSValueList &args, QJSValue *outcome)
{
    QJSEngine &engine = *version.engine;
    const quint64 outerSubject = std::exchange(m_subject, subject);
    const bool outermost = m_depth++ == 0;
    if (outermost)
        m_watchdog.arm(&engine, m_limits.callBudgetMs, m_limits.memoryGrowthBytes);
    *outcome = entry.call(args);
    ScriptWatchdog::Verdict verdict = ScriptWatchdog::Verdict::None;
    if (outermost) {
        verdict = m_watchdog.disarm();
        if (verdict != ScriptWatchdog::Verdict::None)
            engine.setInterrupted(false);
    }
    --m_depth;
    m_subject = outerSubject;
    if (outermost && verdict == ScriptWatchdog::Verdict::None && !heapWithinLimit(version, clientId, what))
        return false;
    if (verdict == ScriptWatchdog::Verdict::Timeout) {
        fail(clientId, QStringLiteral("%1 ran longer than %2 ms and was interrupted").arg(what).arg(m_limits.callBudgetMs), QString());
        return false;
    }
    if (verdict == ScriptWatchdog::Verdict::Memory) {
        fail(clientId, QStringLiteral("%1 grew memory by more than %2 MiB and was stopped").arg(what).arg(m_limits.memoryGrowthBytes >> 20), QString());
        return false;
    }
    if (outcome->isError()) { // the bootstrap itself failed (it catches what scripts throw)
        QString where;
        const QString text = describeError(*outcome, &where);
        fail(clientId, QStringLiteral("%1 threw %2").arg(what, text), where);
        return false;
    }
    return true;
}

bool ScriptRuntime::heapWithinLimit(Version &version, quint64 clientId, const QString &what)
{
    QJSEngine &engine = *version.engine;
    if (ScriptHeap::allocatedBytes(engine) <= version.heapCheckAt)
        return true;
    const qint64 live = ScriptHeap::liveBytesAfterCollecting(engine);
    // Collect again only once the heap grew by a quarter of the limit: a script living close to its
    // limit must not pay a full collection on every call.
    version.heapCheckAt = std::max(m_limits.heapBytes, ScriptHeap::allocatedBytes(engine) + m_limits.heapBytes / 4);
    if (live <= m_limits.heapBytes)
        return true;

    const QString text = QStringLiteral("%1 left %2 MiB on the script's heap after garbage collection (limit %3 MiB): "
                                        "version %4 stopped, its clients closed with 1011")
                             .arg(what).arg(live >> 20).arg(m_limits.heapBytes >> 20).arg(version.number);
    m_lastError = text;
    qCWarning(lcScript).noquote() << m_route << text;
    m_host.scriptLog(m_route, clientId, ScriptHost::LogLevel::Error, QString(), text);
    version.timers.clear();
    std::vector<quint64> clients;
    for (const auto &entry : m_connections) {
        if (entry.second.version.get() == &version)
            clients.push_back(entry.first);
    }
    for (quint64 id : clients)
        m_host.scriptClose(id, 1011, QStringLiteral("script out of memory"));
    if (m_current.get() == &version) {
        // What the module kept is the problem: new connections get a fresh copy of the file.
        QString why;
        const bool fresh = load(&why);
        if (!fresh)
            m_current.reset();
        // A successful load clears the last error; this one stays until the next, for the dashboard and the API.
        m_lastError = fresh ? text : text + QStringLiteral("; loading it again failed: ") + why;
        const QString again = m_current ? QStringLiteral("started again: version %1").arg(m_current->number) : m_lastError;
        if (m_current)
            qCInfo(lcScript).noquote() << m_route << again;
        else
            qCWarning(lcScript).noquote() << m_route << again;
        m_host.scriptLog(m_route, 0, m_current ? ScriptHost::LogLevel::Info : ScriptHost::LogLevel::Error, QString(), again);
    }
    return false;
}

bool ScriptRuntime::dispatch(Version &version, quint64 clientId, quint64 subject, const QString &what,
                             const QJSValue &entry, const QJSValueList &args)
{
    QJSValue outcome;
    if (!guardedCall(version, clientId, subject, what, entry, args, &outcome))
        return false;
    const int status = outcome.toInt();
    if (status == 0)
        return true;
    if (status < 0)
        reportThrown(version, clientId, what);
    else
        fail(clientId, QStringLiteral("ws.data grew to %1 bytes (limit %2)").arg(status).arg(m_limits.dataBytes), QString());
    return false;
}

void ScriptRuntime::reportThrown(Version &version, quint64 clientId, const QString &what)
{
    QString where;
    const QString text = describeError(version.takeFailure.call(), &where);
    fail(clientId, QStringLiteral("%1 threw %2").arg(what, text), where);
}

void ScriptRuntime::rejected(Version &version, quint64 clientId, const QString &handler, const QJSValue &error)
{
    QString where;
    const QString text = describeError(error, &where);
    // The client may be gone (or have reopened on another version) by the time the promise settles.
    const auto it = m_connections.find(clientId);
    const bool open = it != m_connections.end() && it->second.version.get() == &version;
    fail(open ? clientId : 0, QStringLiteral("%1 rejected with %2").arg(handler, text), where);
}

void ScriptRuntime::fail(quint64 clientId, const QString &text, const QString &where)
{
    m_lastError = where.isEmpty() ? text : QStringLiteral("%1: %2").arg(where, text);
    qCWarning(lcScript).noquote() << m_route << m_lastError;
    m_host.scriptLog(m_route, clientId, ScriptHost::LogLevel::Error, where, text);
    if (clientId != 0)
        m_host.scriptClose(clientId, 1011, QStringLiteral("script error"));
}

QJSValue ScriptRuntime::react(Version &version, quint64 owner, const QJSValue &callback, const QJSValue &value)
{
    static const QString what = QStringLiteral("a promise callback");
    // The client may be gone (or have reopened on another version) by the time the callback runs.
    const auto it = m_connections.find(owner);
    const quint64 clientId = it != m_connections.end() && it->second.version.get() == &version ? owner : 0;
    QJSValue outcome;
    if (!guardedCall(version, clientId, owner, what, version.onReaction, {double(owner), callback, value}, &outcome))
        return QJSValue(); // stopped, and reported
    return outcome;
}

ScriptUpgradeAnswer ScriptRuntime::upgrade(const ScriptRequest &request)
{
    ScriptUpgradeAnswer answer;
    if (!m_current || !m_current->handlers.property(QStringLiteral("onUpgrade")).isCallable())
        return answer;
    static const QString what = QStringLiteral("onUpgrade");
    std::shared_ptr<Version> version = m_current;
    QJSEngine &engine = *version->engine;
    QJSValue req = engine.newObject();
    req.setProperty(QStringLiteral("url"), request.url);
    req.setProperty(QStringLiteral("headers"), engine.toScriptValue(request.headers));
    req.setProperty(QStringLiteral("params"), engine.toScriptValue(request.params));
    req.setProperty(QStringLiteral("query"), engine.toScriptValue(request.query));
    req.setProperty(QStringLiteral("cookies"), engine.toScriptValue(request.cookies));
    QJSValue result;
    bool ok = guardedCall(*version, 0, 0, what, version->onUpgrade, {version->handlers, req}, &result);
    if (ok && result.strictlyEquals(version->failedMark)) {
        reportThrown(*version, 0, what);
        ok = false;
    }
    if (!ok)
        return {false, 500, QByteArrayLiteral("script error in onUpgrade")};
    if (result.isObject() && result.hasProperty(QStringLiteral("status"))) {
        const int status = result.property(QStringLiteral("status")).toInt();
        if (status >= 400 && status <= 599) {
            answer.accept = false;
            answer.status = status;
            answer.body = result.property(QStringLiteral("body")).isUndefined()
                              ? QByteArray() : result.property(QStringLiteral("body")).toString().toUtf8();
        }
    }
    return answer;
}

void ScriptRuntime::open(const ScriptConnection &connection, const QString &upstream)
{
    if (!m_current)
        return;
    static const QString what = QStringLiteral("onOpen");
    std::shared_ptr<Version> version = m_current;
    QJSEngine &engine = *version->engine;
    QJSValue info = engine.newObject();
    info.setProperty(QStringLiteral("id"), double(connection.id));
    info.setProperty(QStringLiteral("url"), connection.url);
    info.setProperty(QStringLiteral("protocol"), connection.protocol);
    info.setProperty(QStringLiteral("params"), engine.toScriptValue(connection.params));
    info.setProperty(QStringLiteral("query"), engine.toScriptValue(connection.query));
    if (!upstream.isEmpty())
        info.setProperty(QStringLiteral("upstream"), upstream);
    const QJSValue ws = version->makeWs.call({info});
    m_connections[connection.id] = Connection{version, ws, {version->handlers, ws, QJSValue()}};
    dispatch(*version, connection.id, connection.id, what, version->onOpen, {version->handlers, ws});
}

void ScriptRuntime::message(quint64 id, const QByteArray &data, bool binary)
{
    const auto it = m_connections.find(id);
    if (it == m_connections.end())
        return;
    static const QString what = QStringLiteral("onMessage");
    // Copies: the handler may close the client, which erases its entry.
    const std::shared_ptr<Version> version = it->second.version;
    it->second.messageArgs[2] = binary ? version->engine->toScriptValue(data) : QJSValue(QString::fromUtf8(data));
    {
        const QJSValueList args = it->second.messageArgs;
        dispatch(*version, id, id, what, version->onMessage, args);
    }
    // The payload is the script's now: the list does not keep it alive until the next message.
    const auto still = m_connections.find(id);
    if (still != m_connections.end())
        still->second.messageArgs[2] = QJSValue();
}

ScriptRelayVerdict ScriptRuntime::relay(quint64 id, bool toUpstream, const QByteArray &data, bool binary)
{
    ScriptRelayVerdict verdict;
    const auto it = m_connections.find(id);
    if (it == m_connections.end())
        return verdict;
    static const QString toUpstreamHandler = QStringLiteral("onClientMessage");
    static const QString toClientHandler = QStringLiteral("onUpstreamMessage");
    const QString &what = toUpstream ? toUpstreamHandler : toClientHandler;
    // Copies: the handler may close the client, which erases its entry.
    const std::shared_ptr<Version> version = it->second.version;
    const QJSValue ws = it->second.ws;
    const QJSValue payload = binary ? version->engine->toScriptValue(data) : QJSValue(QString::fromUtf8(data));
    QJSValue outcome;
    verdict.action = ScriptRelayVerdict::Action::Failed;
    if (!guardedCall(*version, id, id, what, version->onRelay, {version->handlers, what, ws, payload}, &outcome))
        return verdict;
    // The bootstrap answers undefined (forward), null (drop), a string or ArrayBuffer (forward this
    // instead), FAILED (it threw) or a number (the size ws.data grew to, over the limit).
    if (outcome.strictlyEquals(version->failedMark)) {
        reportThrown(*version, id, what);
    } else if (outcome.isNumber()) {
        fail(id, QStringLiteral("ws.data grew to %1 bytes (limit %2)").arg(outcome.toInt()).arg(m_limits.dataBytes), QString());
    } else if (outcome.isUndefined()) {
        verdict.action = ScriptRelayVerdict::Action::Forward;
    } else if (outcome.isNull()) {
        verdict.action = ScriptRelayVerdict::Action::Drop;
        m_host.scriptLog(m_route, id, ScriptHost::LogLevel::Log, QString(), what + QStringLiteral(" dropped the message"));
    } else {
        verdict.action = ScriptRelayVerdict::Action::Replace;
        verdict.binary = !outcome.isString();
        verdict.data = verdict.binary ? version->engine->fromScriptValue<QByteArray>(outcome) : outcome.toString().toUtf8();
    }
    return verdict;
}

void ScriptRuntime::closed(quint64 id, int code, const QString &reason, bool wasClean)
{
    const auto it = m_connections.find(id);
    if (it == m_connections.end())
        return;
    static const QString what = QStringLiteral("onClose");
    const std::shared_ptr<Version> version = it->second.version;
    const QJSValue ws = it->second.ws;
    dropTimers(*version, id);
    m_connections.erase(id); // before the call: the client is gone, nothing may close it again
    dispatch(*version, 0, id, what, version->onClose, {version->handlers, ws, code, reason, wasClean});
    dropTimers(*version, id); // any the handler set
}

void ScriptRuntime::error(quint64 id, const QString &message)
{
    const auto it = m_connections.find(id);
    if (it == m_connections.end())
        return;
    static const QString what = QStringLiteral("onError");
    const std::shared_ptr<Version> version = it->second.version;
    const QJSValue ws = it->second.ws;
    dispatch(*version, id, id, what, version->onError, {version->handlers, ws, message});
}

int ScriptRuntime::addTimer(Version &version, quint64 owner, const QJSValue &callback, int ms, bool repeat, QString *error)
{
    if (!callback.isCallable()) {
        *error = QStringLiteral("a timer needs a function");
        return 0;
    }
    if (owner != 0 && m_connections.find(owner) == m_connections.end())
        return 0; // the connection is gone: its timers would die at once
    int owned = 0;
    for (const auto &entry : version.timers)
        owned += entry.second.owner == owner ? 1 : 0;
    const int limit = owner == 0 ? m_limits.timersPerRoute : m_limits.timersPerConnection;
    if (owned >= limit) {
        *error = QStringLiteral("too many timers (limit %1 per %2)").arg(limit).arg(owner == 0 ? "route" : "connection");
        return 0;
    }
    const int id = version.nextTimerId++;
    Timer &timer = version.timers[id];
    timer.owner = owner;
    timer.callback = callback;
    timer.timer = std::make_unique<QTimer>();
    timer.timer->setSingleShot(!repeat);
    timer.timer->setInterval(std::max(ms, repeat ? m_limits.minIntervalMs : 0));
    std::weak_ptr<Version> weak = version.shared_from_this();
    QObject::connect(timer.timer.get(), &QTimer::timeout, this, [this, weak, id] {
        if (const std::shared_ptr<Version> alive = weak.lock())
            fireTimer(alive, id);
    });
    timer.timer->start();
    return id;
}

void ScriptRuntime::clearTimer(Version &version, quint64 owner, int timerId)
{
    const auto it = version.timers.find(timerId);
    if (it != version.timers.end() && it->second.owner == owner)
        version.timers.erase(it);
}

void ScriptRuntime::dropTimers(Version &version, quint64 owner)
{
    for (auto it = version.timers.begin(); it != version.timers.end();)
        it = it->second.owner == owner ? version.timers.erase(it) : std::next(it);
}

void ScriptRuntime::fireTimer(const std::shared_ptr<Version> &version, int timerId)
{
    const auto it = version->timers.find(timerId);
    if (it == version->timers.end())
        return;
    static const QString what = QStringLiteral("timer");
    const quint64 owner = it->second.owner;
    const QJSValue callback = it->second.callback;
    if (it->second.timer->isSingleShot())
        version->timers.erase(it);
    const auto connection = owner != 0 ? m_connections.find(owner) : m_connections.end();
    const QJSValue ws = connection != m_connections.end() ? connection->second.ws : QJSValue();
    dispatch(*version, owner, owner, what, version->onTimer, {callback, ws, double(owner)});
}
