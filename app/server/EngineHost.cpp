#include "EngineHost.h"

#include "Engine.h"
#include "../eventloop/EpollEventDispatcher.h"


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
    QObject *anchor = m_threadAnchor;
    QMetaObject::invokeMethod(anchor, [anchor] { delete anchor; }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

void EngineHost::discardEngine()
{
    if (!m_engine)
        return;
    Engine *engine = m_engine;
    m_engine = nullptr;
    engine->disconnect(this);
    // The engine's sockets belong to its thread: delete it there and wait, so nothing outlives us.
    quint64 nextClientId = m_nextClientId;
    QMetaObject::invokeMethod(engine, [engine, &nextClientId] {
        nextClientId = engine->nextClientId();
        delete engine;
    }, Qt::BlockingQueuedConnection);
    m_nextClientId = nextClientId;
}

void EngineHost::start(const ServerConfig &config)
{
    discardEngine();
    // Build the engine on its own thread: its timers and servers are members, not children, so
    // moveToThread() would leave them behind on this one.
    Engine *engine = nullptr;
    const quint64 nextClientId = m_nextClientId;
    QMetaObject::invokeMethod(m_threadAnchor, [&engine, &config, nextClientId] {
        engine = new Engine(config);
        engine->setNextClientId(nextClientId);
    }, Qt::BlockingQueuedConnection);
    m_engine = engine;
    connect(engine, &Engine::listening, this, [this](const QUrl &url) {
        m_url = url;
        Q_EMIT listening(url);
    });
    connect(engine, &Engine::startFailed, this, [this](const QString &error) {
        discardEngine();
        Q_EMIT startFailed(error);
    });
    connect(engine, &Engine::stopped, this, [this] {
        discardEngine();
        m_url.clear();
        Q_EMIT stopped();
    });
    connect(engine, &Engine::recordsAppended, this, &EngineHost::recordsAppended);
    connect(engine, &Engine::clientsChanged, this, &EngineHost::clientsChanged);
    connect(engine, &Engine::statsChanged, this, &EngineHost::statsChanged);
    connect(engine, &Engine::clusterChanged, this, &EngineHost::clusterChanged);
    QMetaObject::invokeMethod(engine, &Engine::start, Qt::QueuedConnection);
}

void EngineHost::stop()
{
    if (m_engine)
        QMetaObject::invokeMethod(m_engine, &Engine::stop, Qt::QueuedConnection);
    else
        Q_EMIT stopped();
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
