#include "DashboardLauncher.h"

#include "MainWindow.h"
#include "cli/CommandLine.h"
#include "server/EngineHost.h"

#include <QApplication>

int runDashboard(int argc, char **argv, void (*describeApplication)())
{
    QApplication app(argc, argv);
    describeApplication();
    CommandLineOptions options;
    switch (CommandLine::parse(QApplication::arguments(), &options)) {
    case CommandLine::Outcome::ExitOk: return 0;
    case CommandLine::Outcome::ExitError: return 2;
    case CommandLine::Outcome::Run: break;
    }
    EngineHost host;
    MainWindow window(host);
    ServerConfig config = options.config;
    MainWindow::applySavedAddress(&config, options.hostGiven, options.portGiven);
    window.setServerConfig(config);
    window.show();
    window.startServer();
    return QApplication::exec();
}
