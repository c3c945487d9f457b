#pragma once

#include "MainWindow.h"
#include "server/EngineHost.h"

#include <QSettings>
#include <QSignalSpy>
#include <functional>
#include <memory>

// The dashboard the widget tests start from: a first run's settings, a real EngineHost, and the
// window listening on 127.0.0.1 with a free port. beforeStart runs once the window exists (to
// attach model testers, say); configure may add routes. False when the server did not listen within 5 s.
inline bool openListeningDashboard(std::unique_ptr<EngineHost> &host, std::unique_ptr<MainWindow> &window,
                                   const std::function<void(MainWindow &)> &beforeStart = {},
                                   const std::function<void(ServerConfig &)> &configure = {})
{
    QSettings().clear(); // every test starts from a first run's layout and filters
    host = std::make_unique<EngineHost>();
    window = std::make_unique<MainWindow>(*host);
    if (beforeStart)
        beforeStart(*window);
    ServerConfig config;
    config.host = QStringLiteral("127.0.0.1");
    config.port = 0;
    config.shutdownGraceMs = 2000;
    if (configure)
        configure(config);
    window->setServerConfig(config);
    window->show();
    QSignalSpy listening(host.get(), &EngineHost::listening);
    window->startServer();
    return listening.wait(5000);
}
