#pragma once

#include "ServerState.h"
#include "server/ServerConfig.h"

#include <QObject>
#include <QUrl>
#include <functional>

class EngineHost;

// The server's life as the dashboard drives it: start with the config the window supplies, stop,
// restart (stop, then start with the config supplied then, e.g. a new port typed in the bar). The
// window presents the state; a test can drive this without a window.
class ServerController : public QObject
{
    Q_OBJECT
public:
    explicit ServerController(EngineHost &host, QObject *parent = nullptr);

    // What each start runs with (routes, limits, and the host and port shown at that moment).
    void setConfigSource(std::function<ServerConfig()> source) { m_configSource = std::move(source); }

    void start();
    void stop();
    // Stops, then starts again; starts at once when nothing runs.
    void restart();
    // A restart asked for but not begun yet is dropped (the window is closing).
    void cancelRestart() { m_restartPending = false; }

    ServerState state() const { return m_state; }
    bool isDown() const { return m_state == ServerState::Stopped || m_state == ServerState::Failed; }

Q_SIGNALS:
    // Every change; detail says why for Failed.
    void stateChanged(ServerState state, const QUrl &url, const QString &detail);
    void starting(const ServerConfig &config);
    void listening(const QUrl &url);
    void startFailed(const QString &error);
    void stopped();

private:
    void setState(ServerState state, const QUrl &url = {}, const QString &detail = {});
    void onStopped();

    EngineHost &m_host;
    std::function<ServerConfig()> m_configSource = [] { return ServerConfig(); };
    ServerState m_state = ServerState::Stopped;
    bool m_restartPending = false;
};
