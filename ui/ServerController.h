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
    // Restarts with the config supplied now; clients get code and reason (1012 Service Restart by
    // default). On a new address the new listener is bound before the old one closes: if it cannot
    // be (bad host, busy port), the server keeps serving where it was and restartFailed() says why.
    // The same address stops, then starts. Starts at once when nothing runs.
    void restart(int code = kRestartCode, const QString &reason = QStringLiteral("server restarting"));
    static constexpr int kRestartCode = 1012; // Service Restart

    // Why config cannot be listened on (host not an IP address), or an empty string.
    static QString addressProblem(const ServerConfig &config);
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
    // A restart onto a new address failed; the server still listens on its old one.
    void restartFailed(const QString &error);
    void stopped();

private:
    void setState(ServerState state, const QUrl &url = {}, const QString &detail = {});
    void onStopped();
    void restartFailedBecause(const QString &error);

    EngineHost &m_host;
    std::function<ServerConfig()> m_configSource = [] { return ServerConfig(); };
    ServerState m_state = ServerState::Stopped;
    bool m_restartPending = false;
    QUrl m_url; // while listening
};
