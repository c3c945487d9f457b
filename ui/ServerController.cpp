#include "ServerController.h"

#include "UiLogging.h"
#include "server/EngineHost.h"

ServerController::ServerController(EngineHost &host, QObject *parent) : QObject(parent), m_host(host)
{
    connect(&m_host, &EngineHost::listening, this, [this](const QUrl &url) {
        setState(ServerState::Listening, url);
        Q_EMIT listening(url);
    });
    connect(&m_host, &EngineHost::startFailed, this, [this](const QString &error) {
        qCWarning(lcUi).noquote() << "server did not start:" << error;
        setState(ServerState::Failed, {}, error);
        Q_EMIT startFailed(error);
    });
    connect(&m_host, &EngineHost::stopped, this, &ServerController::onStopped);
}

void ServerController::start()
{
    const ServerConfig config = m_configSource();
    setState(ServerState::Starting);
    Q_EMIT starting(config);
    qCInfo(lcUi).noquote() << "starting the server on" << config.host << config.port;
    m_host.start(config);
}

void ServerController::stop()
{
    if (isDown()) {
        onStopped();
        return;
    }
    setState(ServerState::Stopping);
    m_host.stop();
}

void ServerController::restart()
{
    if (isDown()) {
        start();
        return;
    }
    m_restartPending = true;
    if (m_state != ServerState::Stopping)
        stop();
}

void ServerController::onStopped()
{
    setState(ServerState::Stopped);
    Q_EMIT stopped();
    if (m_restartPending) {
        m_restartPending = false;
        start();
    }
}

void ServerController::setState(ServerState state, const QUrl &url, const QString &detail)
{
    m_state = state;
    Q_EMIT stateChanged(state, url, detail);
}
