#include "ServerController.h"

#include "UiLogging.h"
#include "server/EngineHost.h"

#include <QHostAddress>

ServerController::ServerController(EngineHost &host, QObject *parent) : QObject(parent), m_host(host)
{
    connect(&m_host, &EngineHost::listening, this, [this](const QUrl &url) {
        m_url = url;
        setState(ServerState::Listening, url);
        Q_EMIT listening(url);
    });
    connect(&m_host, &EngineHost::startFailed, this, [this](const QString &error) {
        qCWarning(lcUi).noquote() << "server did not start:" << error;
        setState(ServerState::Failed, {}, error);
        Q_EMIT startFailed(error);
    });
    connect(&m_host, &EngineHost::replaceFailed, this, [this](const QString &error) {
        restartFailedBecause(error);
    });
    connect(&m_host, &EngineHost::stopped, this, &ServerController::onStopped);
}

QString ServerController::addressProblem(const ServerConfig &config)
{
    if (config.host == QLatin1String("localhost") || !QHostAddress(config.host).isNull())
        return {};
    return tr("'%1' is not an IP address to listen on").arg(config.host);
}

void ServerController::restartFailedBecause(const QString &error)
{
    const QString why = tr("%1 (restart failed; still serving on %2)").arg(error, m_url.toString());
    qCWarning(lcUi).noquote() << why;
    setState(ServerState::Listening, m_url, why);
    Q_EMIT restartFailed(error);
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

void ServerController::restart(int code, const QString &reason)
{
    if (isDown()) {
        start();
        return;
    }
    const ServerConfig config = m_configSource();
    const ServerConfig &running = m_host.runningConfig();
    const bool sameAddress = config.host == running.host && config.port == running.port;
    if (m_state == ServerState::Listening && !sameAddress) {
        if (const QString problem = addressProblem(config); !problem.isEmpty()) {
            restartFailedBecause(problem);
            return;
        }
        qCInfo(lcUi).noquote() << "moving the server to" << config.host << config.port;
        Q_EMIT starting(config);
        m_host.replace(config, code, reason);
        return;
    }
    m_restartPending = true;
    if (m_state != ServerState::Stopping) {
        setState(ServerState::Stopping);
        m_host.stop(code, reason);
    }
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
