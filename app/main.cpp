// The switchboard executable: the dashboard by default, --headless for the server alone.
#include "cli/CommandLine.h"
#include "cli/HeadlessRunner.h"
#include "eventloop/EpollEventDispatcher.h"
#include "../ui/DashboardLauncher.h"

#include <QCoreApplication>
#include <QTextStream>
#include <cstdlib>

namespace {

bool hasDisplay()
{
    return qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY")
           || qEnvironmentVariableIsSet("QT_QPA_PLATFORM");
}

void describeApplication()
{
    QCoreApplication::setApplicationName(QStringLiteral("switchboard"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SWITCHBOARD_VERSION));
    QCoreApplication::setOrganizationName(QStringLiteral("Switchboard"));
}

} // namespace

int main(int argc, char **argv)
{
    if (CommandLine::wantsConsoleOnly(argc, argv) || !hasDisplay()) {
        // Headless, the server runs on the main thread: give it the epoll dispatcher.
        if (QAbstractEventDispatcher *dispatcher = EpollEventDispatcher::createPreferred())
            QCoreApplication::setEventDispatcher(dispatcher);
        QCoreApplication app(argc, argv);
        describeApplication();
        CommandLineOptions options;
        switch (CommandLine::parse(QCoreApplication::arguments(), &options)) {
        case CommandLine::Outcome::ExitOk: return EXIT_SUCCESS;
        case CommandLine::Outcome::ExitError: return 2;
        case CommandLine::Outcome::Run: break;
        }
        if (!options.headless) {
            QTextStream(stderr) << "switchboard: no display found (DISPLAY and WAYLAND_DISPLAY are unset), "
                                   "so the dashboard cannot open.\n"
                                   "Run the server without a window instead:\n"
                                   "    switchboard --headless --port "
                                << options.config.port << '\n';
            return 2;
        }
        return HeadlessRunner::run(options.config);
    }
    return runDashboard(argc, argv, &describeApplication);
}
