#include "EngineHost.h"

#include "Engine.h"
#include "Replayer.h"
#include "../eventloop/EpollEventDispatcher.h"

#include <algorithm>
#include <utility>


EngineHost::EngineHost(QObject *parent) : QObject(parent)
{
    m_thread.setObjectName(QStringLiteral("switchboard-engine"));
    // The network thread waits on epoll, so its turns cost what is ready, not what is connected.
    if (QAbstractEventDispatcher *dispatcher = EpollEventDispatcher::createPreferred())
        m_thread.setEventDispatcher(dispatcher);
    m_thread.start();
    m_threadAnchor = new QObject;
    m_threadAnchor->moveToThread(&m_thread);
}

EngineHost::~EngineHost()
{
    discardEngine();
    deleteEngine(m_incoming);
    m_incoming = nullptr;
    for (Engine *engine : std::as_const(m_retiring))
        deleteEngine(engine);
    m_retiring.clear();
    QObject *anchor = m_threadAnchor;
    QMetaObject::invokeMethod(anchor, [anchor] { delete anchor; }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

void EngineHost::deleteEngine(Engine *engine)
{
    if (!engine)
        return;
    engine->disconnect(this);
    // The engine's sockets belong to its thread: delete it there and wait, so nothing outlives us.
    quint64 nextClientId = m_nextClientId;
    QMetaObject::invokeMethod(engine, [engine, &nextClientId] {
        nextClientId = engine->nextClientId();
        delete engine;
    }, Qt::BlockingQueuedConnection);
    m_nextClientId = std::max(m_nextClientId, nextClientId);
}

void EngineHost::discardEngine()
{
    Engine *engine = m_engine;
    m_engine = nullptr;
    deleteEngine(engine);
}

Engine *EngineHost::createEngine(const ServerConfig &config)
{
    // Build the engine on its own thread: its timers and servers are members, not children, so
    // moveToThread() would leave them behind on this one.
    Engine *engine = nullptr;
    const quint64 nextClientId = m_nextClientId;
    Engine *running = m_engine;
    const QStringList bans = m_bans;
    std::shared_ptr<EventLog> &log = m_eventLog;
    QMetaObject::invokeMethod(m_threadAnchor, [&engine, &config, nextClientId, running, &bans, &log] {
        engine = new Engine(config);
        if (running)
            engine->shareClientIds(*running);
        else
            engine->setNextClientId(nextClientId);
        // One log for the process: sequence numbers go on across restarts, stops and starts.
        if (log)
            engine->shareEventLog(log);
        else
            log = engine->eventLog();
        for (const QString &address : bans)
            engine->banAddress(address);
    }, Qt::BlockingQueuedConnection);
    wire(engine);
    return engine;
}

void EngineHost::wire(Engine *engine)
{
    connect(engine, &Engine::listening, this, [this, engine](const QUrl &url) {
        if (engine == m_incoming) {
            // The new address is bound: the old engine closes its clients and goes.
            Engine *old = m_engine;
            m_engine = engine;
            m_incoming = nullptr;
            m_config = m_incomingConfig;
            if (old) {
                m_retiring.append(old);
                const int code = m_replaceCode;
                const QString reason = m_replaceReason;
                QMetaObject::invokeMethod(old, [old, code, reason] { old->stopWithCode(code, reason); },
                                          Qt::QueuedConnection);
            }
        } else if (engine != m_engine) {
            return;
        }
        m_url = url;
        Q_EMIT listening(url);
    });
    connect(engine, &Engine::startFailed, this, [this, engine](const QString &error) {
        if (engine == m_incoming) {
            m_incoming = nullptr;
            deleteEngine(engine);
            Q_EMIT replaceFailed(error);
        } else if (engine == m_engine) {
            discardEngine();
            Q_EMIT startFailed(error);
        }
    });
    connect(engine, &Engine::stopped, this, [this, engine] {
        if (m_retiring.removeOne(engine)) {
            deleteEngine(engine);
            return;
        }
        if (engine != m_engine)
            return;
        discardEngine();
        m_url.clear();
        Q_EMIT stopped();
    });
    connect(engine, &Engine::recordsAppended, this, &EngineHost::recordsAppended);
    connect(engine, &Engine::clientsChanged, this, &EngineHost::clientsChanged);
    connect(engine, &Engine::statsChanged, this, [this, engine](const EngineStats &stats) {
        if (engine == m_engine) // a retiring engine's totals would make the tiles flicker
            Q_EMIT statsChanged(stats);
    });
    connect(engine, &Engine::clusterChanged, this, &EngineHost::clusterChanged);
    connect(engine, &Engine::replayChanged, this, [this, engine](const ReplayStatus &status) {
        if (engine == m_engine)
            Q_EMIT replayChanged(status);
    });
}

void EngineHost::startReplay(quint64 clientId, const LogRecordBatch &messages, double speed, bool loop)
{
    runOnEngine([=](Engine &engine) {
        Replayer::Plan plan;
        plan.clientId = clientId;
        plan.messages = messages;
        plan.speed = speed;
        plan.loop = loop;
        return engine.replayer().start(plan);
    });
}

void EngineHost::pauseReplay()
{
    runOnEngine([](Engine &engine) {
        engine.replayer().pause();
        return CommandResult::success(0);
    });
}

void EngineHost::resumeReplay()
{
    runOnEngine([](Engine &engine) {
        engine.replayer().resume();
        return CommandResult::success(0);
    });
}

void EngineHost::stopReplay()
{
    runOnEngine([](Engine &engine) {
        engine.replayer().stop();
        return CommandResult::success(0);
    });
}

void EngineHost::start(const ServerConfig &config)
{
    discardEngine();
    m_config = config;
    m_engine = createEngine(config);
    QMetaObject::invokeMethod(m_engine, &Engine::start, Qt::QueuedConnection);
}

void EngineHost::replace(const ServerConfig &config, int code, const QString &reason)
{
    if (!m_engine) {
        start(config);
        return;
    }
    deleteEngine(m_incoming);
    m_incomingConfig = config;
    m_replaceCode = code;
    m_replaceReason = reason;
    m_incoming = createEngine(config);
    QMetaObject::invokeMethod(m_incoming, &Engine::start, Qt::QueuedConnection);
}

void EngineHost::stop(int code, const QString &reason)
{
    if (m_engine) {
        Engine *engine = m_engine;
        QMetaObject::invokeMethod(engine, [engine, code, reason] { engine->stopWithCode(code, reason); },
                                  Qt::QueuedConnection);
    } else {
        Q_EMIT stopped();
    }
}

template<typename Command>
void EngineHost::runOnEngine(Command command)
{
    if (!m_engine) {
        Q_EMIT commandFailed(QStringLiteral("the server is not running"));
        return;
    }
    // The host outlives every queued command: its destructor waits for the engine's deletion,
    // which the engine thread runs after the commands queued before it.
    EngineHost *host = this;
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(engine, [engine, host, command] {
        const CommandResult result = command(*engine);
        if (!result.ok) {
            QMetaObject::invokeMethod(host, [host, result] { Q_EMIT host->commandFailed(result.error); },
                                      Qt::QueuedConnection);
        }
    }, Qt::QueuedConnection);
}

void EngineHost::sendToClient(quint64 clientId, const QByteArray &payload, bool binary)
{
    runOnEngine([=](Engine &engine) { return engine.sendToClient(clientId, payload, binary); });
}

void EngineHost::broadcast(const BroadcastTarget &target, const QByteArray &payload, bool binary)
{
    runOnEngine([=](Engine &engine) { return engine.broadcast(target, payload, binary); });
}

void EngineHost::ping(quint64 clientId)
{
    runOnEngine([=](Engine &engine) { return engine.ping(clientId); });
}

void EngineHost::noteLogRecordsDropped(quint64 count)
{
    // The counter is atomic, and the engine is only deleted from this thread: no queueing needed.
    if (m_engine)
        m_engine->metrics().noteLogRecordsDropped(count);
}

void EngineHost::closeClients(const QList<quint64> &clientIds, int code, const QString &reason)
{
    runOnEngine([=](Engine &engine) { return engine.closeClients(clientIds, code, reason); });
}

void EngineHost::proxyHold(quint64 clientId, int directions)
{
    runOnEngine([=](Engine &engine) { return engine.proxyHold(clientId, directions); });
}

void EngineHost::proxyRelease(quint64 clientId, int directions)
{
    runOnEngine([=](Engine &engine) { return engine.proxyRelease(clientId, directions); });
}

void EngineHost::proxyHoldRoute(const QString &pattern, int directions)
{
    runOnEngine([=](Engine &engine) { return engine.proxyHoldRoute(pattern, directions); });
}

void EngineHost::proxyReleaseRoute(const QString &pattern, int directions)
{
    runOnEngine([=](Engine &engine) { return engine.proxyReleaseRoute(pattern, directions); });
}

void EngineHost::proxyForwardHeld(quint64 clientId, quint64 heldId)
{
    runOnEngine([=](Engine &engine) { return engine.proxyForwardHeld(clientId, heldId, nullptr); });
}

void EngineHost::proxyForwardEdited(quint64 clientId, quint64 heldId, const QByteArray &payload, bool binary)
{
    runOnEngine([=](Engine &engine) {
        const IncomingMessage edited{binary, payload};
        return engine.proxyForwardHeld(clientId, heldId, &edited);
    });
}

void EngineHost::proxyDropHeld(quint64 clientId, quint64 heldId)
{
    runOnEngine([=](Engine &engine) { return engine.proxyDropHeld(clientId, heldId); });
}

void EngineHost::proxyForwardAllHeld(quint64 clientId)
{
    runOnEngine([=](Engine &engine) { return engine.proxyForwardAllHeld(clientId); });
}

void EngineHost::proxyInject(quint64 clientId, bool toUpstream, const QByteArray &payload, bool binary)
{
    runOnEngine([=](Engine &engine) { return engine.proxyInject(clientId, toUpstream, payload, binary); });
}

void EngineHost::requestHeld(quint64 clientId)
{
    if (!m_engine)
        return;
    runOnEngine([this, clientId](Engine &engine) {
        const HeldMessages held = engine.heldMessages(clientId);
        QMetaObject::invokeMethod(this, [this, held] { Q_EMIT heldReported(held); }, Qt::QueuedConnection);
        return CommandResult::success(1);
    });
}

void EngineHost::reloadScripts(bool restartClients)
{
    runOnEngine([=](Engine &engine) { return engine.reloadScripts(restartClients); });
}

void EngineHost::requestScriptRoutes()
{
    runOnEngine([this](Engine &engine) {
        const ScriptRouteInfoList routes = engine.scriptRoutes();
        QMetaObject::invokeMethod(this, [this, routes] { Q_EMIT scriptRoutesReported(routes); }, Qt::QueuedConnection);
        return CommandResult::success(int(routes.size()));
    });
}

void EngineHost::banAddress(const QString &address)
{
    runOnEngine([=](Engine &engine) { return engine.banAddress(address); });
    refreshBans();
}

void EngineHost::unbanAddress(const QString &address)
{
    runOnEngine([=](Engine &engine) { return engine.unbanAddress(address); });
    refreshBans();
}

void EngineHost::refreshBans()
{
    if (!m_engine)
        return;
    EngineHost *host = this;
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(engine, [engine, host] {
        const QStringList list = engine->bannedAddresses();
        QMetaObject::invokeMethod(host, [host, list] {
            host->m_bans = list;
            Q_EMIT host->bansChanged(list);
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}
