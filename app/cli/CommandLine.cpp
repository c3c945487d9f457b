#include "CommandLine.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>
#include <cstring>

namespace {

void printError(const QString &message)
{
    QTextStream(stderr) << QCoreApplication::applicationName() << ": " << message << '\n'
                        << "Try '" << QCoreApplication::applicationName() << " --help' for more information.\n";
}

} // namespace

bool CommandLine::wantsConsoleOnly(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        for (const char *flag : {"--headless", "-h", "--help", "--help-all", "-v", "--version"}) {
            if (std::strcmp(argv[i], flag) == 0)
                return true;
        }
    }
    return false;
}

CommandLine::Outcome CommandLine::parse(const QStringList &arguments, CommandLineOptions *options)
{
    const ServerConfig defaults;
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Switchboard: a local WebSocket server with a live operator dashboard.\n"
        "Routes: /ws (echo), /chat/<room> (room broadcast), /clock (server push), /operator.\n"
        "The same port serves the browser client page at / and /healthz."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption headless(QStringLiteral("headless"),
                                      QStringLiteral("Run the server without a window (for machines with no display)."));
    const QCommandLineOption host(QStringLiteral("host"),
                                  QStringLiteral("Address to listen on (default: %1).").arg(defaults.host),
                                  QStringLiteral("address"));
    const QCommandLineOption port(QStringLiteral("port"),
                                  QStringLiteral("Port to listen on, 0 for any free port (default: %1).").arg(defaults.port),
                                  QStringLiteral("port"));
    const QCommandLineOption config(QStringLiteral("config"),
                                    QStringLiteral("JSON config file with routes, origins and limits; flags override it."),
                                    QStringLiteral("file"));
    const QCommandLineOption allowOrigin(QStringLiteral("allow-origin"),
                                         QStringLiteral("Also accept WebSockets from this browser Origin (repeatable; '*' allows any)."),
                                         QStringLiteral("origin"));
    const QCommandLineOption maxMessage(QStringLiteral("max-message-bytes"),
                                        QStringLiteral("Largest message accepted; larger ones close the client with 1009 (default: %1).")
                                            .arg(defaults.maxMessageBytes),
                                        QStringLiteral("bytes"));
    parser.addOptions({headless, host, port, config, allowOrigin, maxMessage});

    if (!parser.parse(arguments)) {
        printError(parser.errorText());
        return Outcome::ExitError;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        parser.showHelp(0); // exits
    }
    if (parser.isSet(QStringLiteral("version"))) {
        parser.showVersion(); // exits
    }
    if (!parser.positionalArguments().isEmpty()) {
        printError(QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().constFirst()));
        return Outcome::ExitError;
    }

    CommandLineOptions result;
    result.headless = parser.isSet(headless);
    if (parser.isSet(config)) {
        QString error;
        if (!result.config.loadFile(parser.value(config), &error)) {
            printError(error);
            return Outcome::ExitError;
        }
    }
    if (parser.isSet(host)) {
        result.config.host = parser.value(host);
        result.hostGiven = true;
    }
    if (parser.isSet(port)) {
        bool ok = false;
        const uint value = parser.value(port).toUInt(&ok);
        if (!ok || value > 65535) {
            printError(QStringLiteral("--port must be a number from 0 to 65535, not '%1'").arg(parser.value(port)));
            return Outcome::ExitError;
        }
        result.config.port = static_cast<quint16>(value);
        result.portGiven = true;
    }
    if (parser.isSet(allowOrigin))
        result.config.allowedOrigins.append(parser.values(allowOrigin));
    if (parser.isSet(maxMessage)) {
        bool ok = false;
        const qlonglong value = parser.value(maxMessage).toLongLong(&ok);
        if (!ok || value < 125) {
            printError(QStringLiteral("--max-message-bytes must be a number of at least 125"));
            return Outcome::ExitError;
        }
        result.config.maxMessageBytes = value;
    }
    *options = result;
    return Outcome::Run;
}
