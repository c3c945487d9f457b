// The switchboard executable: the dashboard by default, --headless for the server alone.
#include "cli/CommandLine.h"
#include "cli/HeadlessRunner.h"
#include "eventloop/EpollEventDispatcher.h"
#include "log/LogLineEscaper.h"
#include "server/DescriptorLimit.h"
#include "../ui/DashboardLauncher.h"

#include <QCoreApplication>
#include <QTextStream>
#include <cstdlib>

#ifdef __GLIBC__
#include <malloc.h>
#endif

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

// Every message is a few short-lived buffers (payload, frame, log record). glibc returns freed
// memory at the top of the heap to the kernel once 128 KiB are free and adapts its mmap threshold
// to the largest block freed, so a server turning over a few MB a second keeps giving pages back
// and faulting them in again: with 4 KiB messages that cost more than half the CPU (perf: page
// faults in malloc). Keep up to 64 MiB of freed heap for reuse and serve messages up to 4 MiB
// from the heap; memory stays bounded by the peak, which the limits bound.
void tuneAllocator()
{
#ifdef __GLIBC__
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TOP_PAD, 8 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
#endif
}

} // namespace

int main(int argc, char **argv)
{
    tuneAllocator();
    LogLineEscaper::install();
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
        DescriptorLimit::raiseSoftToHard();
        return HeadlessRunner::run(options.config);
    }
    DescriptorLimit::raiseSoftToHard();
    return runDashboard(argc, argv, &describeApplication);
}
