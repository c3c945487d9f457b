#include "DashboardLauncher.h"

#include "ConfigErrorDialog.h"
#include "MainWindow.h"
#include "cli/CommandLine.h"
#include "cli/UnixSignalWatcher.h"
#include "server/EngineHost.h"

#include <QApplication>
#include <QTextStream>

int runDashboard(int argc, char **argv, void (*describeApplication)())
{
    QApplication app(argc, argv);
    describeApplication();
    CommandLineOptions options;
    switch (CommandLine::parse(QApplication::arguments(), &options, CommandLine::ConfigErrors::Report)) {
    case CommandLine::Outcome::ExitOk: return 0;
    case CommandLine::Outcome::ExitError: return 2;
    case CommandLine::Outcome::Run: break;
    }
    if (!options.configError.isEmpty()) { // already on stderr; the window asks what to do
        ConfigErrorDialog dialog(options.configError);
        dialog.exec();
        if (!dialog.startWithDefaults())
            return 2;
    }
    EngineHost host;
    MainWindow window(host);
    ServerConfig config = options.config;
    MainWindow::applySavedAddress(&config, options.hostGiven, options.portGiven);
    window.setServerConfig(config);
    window.setConfigPath(options.configPath);
    // Ctrl+C or SIGTERM closes the window as the Quit action does: 1001 to every client, the
    // recording written, then exit 0. Watched before the recording file appears, so that a signal
    // sent as soon as it exists is handled (by exec() below) instead of killing the process.
    UnixSignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &UnixSignalWatcher::terminationRequested, &window, &MainWindow::quitWithoutAsking);
    // --record (or the config's log.recordFile): as headless, before listening, and a file that
    // cannot be written is an error rather than a silent gap.
    QString error;
    if (!config.recordPath.isEmpty() && !window.startRecording(config.recordPath, &error)) {
        QTextStream(stderr) << QApplication::applicationName() << ": " << error << '\n';
        return 1;
    }
    window.show();
    window.startServer();
    return QApplication::exec();
}
