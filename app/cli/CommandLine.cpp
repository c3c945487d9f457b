#include "CommandLine.h"

#include "../cluster/RedisEndpoint.h"
#include "../log/LogExporter.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFileInfo>
#include <QTextStream>
#include <cstring>

namespace {

void printError(const QString &message)
{
    QTextStream(stderr) << QCoreApplication::applicationName() << ": " << message << '\n'
                        << "Try '" << QCoreApplication::applicationName() << " --help' for more information.\n";
}

// --export: converts recordings and says how it went; bad lines are reported, not fatal.
CommandLine::Outcome exportRecordings(const QStringList &inputs, const QString &output, const QString &formatName)
{
    if (inputs.isEmpty()) {
        printError(QStringLiteral("--export needs the recording files to convert as arguments"));
        return CommandLine::Outcome::ExitError;
    }
    LogExporter::Format format = LogExporter::formatForPath(output);
    if (!formatName.isEmpty() && !LogExporter::formatFromName(formatName, &format)) {
        printError(QStringLiteral("--export-format must be 'csv' or 'jsonl', not '%1'").arg(formatName));
        return CommandLine::Outcome::ExitError;
    }
    qint64 records = 0, badLines = 0;
    QStringList lineErrors;
    QString error;
    const bool ok = LogExporter::convert(inputs, output, format, &records, &badLines, &lineErrors, &error);
    QTextStream err(stderr);
    for (const QString &lineError : std::as_const(lineErrors))
        err << QCoreApplication::applicationName() << ": skipped " << lineError << '\n';
    if (badLines > lineErrors.size())
        err << QCoreApplication::applicationName() << ": ... and " << badLines - lineErrors.size() << " more bad lines\n";
    if (!ok) {
        err << QCoreApplication::applicationName() << ": " << error << '\n';
        return CommandLine::Outcome::ExitError;
    }
    if (output != QLatin1String("-")) {
        err << "Exported " << records << " records to " << output << " (" << LogExporter::formatName(format) << ")";
        if (badLines > 0)
            err << ", " << badLines << " bad lines skipped";
        err << '\n';
    }
    return CommandLine::Outcome::ExitOk;
}

} // namespace

bool CommandLine::wantsConsoleOnly(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        for (const char *flag : {"--headless", "-h", "--help", "--help-all", "-v", "--version", "--export"}) {
            if (std::strcmp(argv[i], flag) == 0)
                return true;
        }
        if (std::strncmp(argv[i], "--export=", 9) == 0)
            return true;
    }
    return false;
}

CommandLine::Outcome CommandLine::parse(const QStringList &arguments, CommandLineOptions *options, ConfigErrors configErrors)
{
    const ServerConfig defaults;
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Switchboard: a local WebSocket server with a live operator dashboard.\n"
        "Routes: /ws (echo), /chat/<room> (room broadcast), /clock (server push), /operator.\n"
        "The same port serves the browser client page at /, /healthz, /metrics (Prometheus)\n"
        "and the admin API under /api/ (off unless --admin-token is given)."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption headless(QStringLiteral("headless"),
                                      QStringLiteral("Run the server without a window (for machines with no display; default: off)."));
    const QCommandLineOption host(QStringLiteral("host"),
                                  QStringLiteral("Address to listen on (default: %1).").arg(defaults.host),
                                  QStringLiteral("address"));
    const QCommandLineOption port(QStringLiteral("port"),
                                  QStringLiteral("Port to listen on, 0 for any free port (default: %1).").arg(defaults.port),
                                  QStringLiteral("port"));
    const QCommandLineOption config(QStringLiteral("config"),
                                    QStringLiteral("JSON config file with routes, origins, limits, tokens and log settings; flags override it "
                                                   "(default: none)."),
                                    QStringLiteral("file"));
    const QCommandLineOption allowOrigin(QStringLiteral("allow-origin"),
                                         QStringLiteral("Also accept WebSockets from this browser Origin (repeatable; '*' allows any; "
                                                        "default: none, only the server's own)."),
                                         QStringLiteral("origin"));
    const QCommandLineOption maxMessage(QStringLiteral("max-message-bytes"),
                                        QStringLiteral("Largest message accepted; larger ones close the client with 1009 (default: %1).")
                                            .arg(defaults.maxMessageBytes),
                                        QStringLiteral("bytes"));
    const QCommandLineOption token(QStringLiteral("token"),
                                   QStringLiteral("Require this token from WebSocket clients (?token=, Authorization: Bearer, "
                                                  "or cookie switchboard_token); others get 401. Default: none."),
                                   QStringLiteral("secret"));
    const QCommandLineOption adminToken(QStringLiteral("admin-token"),
                                        QStringLiteral("Turn on the admin HTTP API (/api/...) and require "
                                                       "'Authorization: Bearer SECRET' on it. Default: none (API off)."),
                                        QStringLiteral("secret"));
    const QCommandLineOption tlsCert(QStringLiteral("tls-cert"),
                                     QStringLiteral("Serve https:// and wss:// (only) with this PEM certificate (chain); needs "
                                                    "--tls-key. scripts/make-dev-cert.sh makes one for 127.0.0.1/localhost. "
                                                    "Default: none (plain http:// and ws://)."),
                                     QStringLiteral("file"));
    const QCommandLineOption tlsKey(QStringLiteral("tls-key"),
                                    QStringLiteral("The unencrypted PEM private key of --tls-cert (default: none)."),
                                    QStringLiteral("file"));
    const QCommandLineOption proxy(QStringLiteral("proxy"),
                                   QStringLiteral("Add a proxy route: PATH=ws://host:port/path relays each client to its own "
                                                  "upstream connection (repeatable; ':name' path segments fill the URL). Default: none."),
                                   QStringLiteral("path=url"));
    const QCommandLineOption upstreamCa(QStringLiteral("upstream-ca"),
                                        QStringLiteral("Trust the PEM certificates in this file for wss:// proxy upstreams "
                                                       "(default: the system's only)."),
                                        QStringLiteral("file"));
    const QCommandLineOption maxConnections(QStringLiteral("max-connections"),
                                            QStringLiteral("Most WebSocket clients at once; more get 503 (default: %1).").arg(defaults.maxConnections),
                                            QStringLiteral("count"));
    const QCommandLineOption maxPerIp(QStringLiteral("max-connections-per-ip"),
                                      QStringLiteral("Most clients from one address; more get 429 (default: %1).").arg(defaults.maxConnectionsPerIp),
                                      QStringLiteral("count"));
    const QCommandLineOption listenBacklog(QStringLiteral("listen-backlog"),
                                           QStringLiteral("Connections the kernel queues before they are accepted; 0: the "
                                                          "system's maximum, /proc/sys/net/core/somaxconn (default: 0)."),
                                           QStringLiteral("count"));
    const QCommandLineOption rateLimit(QStringLiteral("rate-limit"),
                                       QStringLiteral("Messages per second one client may send; faster ones are closed with 1008 (default: %1).")
                                           .arg(defaults.messagesPerSecond),
                                       QStringLiteral("messages"));
    const QCommandLineOption rateBurst(QStringLiteral("rate-burst"),
                                       QStringLiteral("Messages one client may send at once before the rate applies (default: %1).")
                                           .arg(defaults.messageBurst),
                                       QStringLiteral("messages"));
    const QCommandLineOption heartbeat(QStringLiteral("heartbeat-interval"),
                                       QStringLiteral("Ping a client silent for this many ms; 0 turns heartbeats off (default: %1).")
                                           .arg(defaults.heartbeatIntervalMs),
                                       QStringLiteral("ms"));
    const QCommandLineOption heartbeatTimeout(QStringLiteral("heartbeat-timeout"),
                                              QStringLiteral("Drop a client that has not answered a ping within this many ms (default: %1).")
                                                  .arg(defaults.heartbeatTimeoutMs),
                                              QStringLiteral("ms"));
    const QCommandLineOption maxBuffered(QStringLiteral("max-buffered-bytes"),
                                         QStringLiteral("Bytes waiting to be written to one client before the slow-consumer policy applies (default: %1).")
                                             .arg(defaults.maxBufferedBytes),
                                         QStringLiteral("bytes"));
    const QCommandLineOption slowConsumer(QStringLiteral("slow-consumer"),
                                          QStringLiteral("What happens to a slow client: 'close' (1013) or 'drop' its messages (default: close)."),
                                          QStringLiteral("policy"));
    const QCommandLineOption record(QStringLiteral("record"),
                                    QStringLiteral("Append every log record, full payload, to this JSON Lines file "
                                                   "(flushed within a second; rotates, see --record-max-bytes). Default: no recording."),
                                    QStringLiteral("file"));
    const QCommandLineOption recordMaxBytes(QStringLiteral("record-max-bytes"),
                                            QStringLiteral("Rotate the recording (FILE -> FILE.1 ...) past this size (default: %1).")
                                                .arg(defaults.recordMaxBytes),
                                            QStringLiteral("bytes"));
    const QCommandLineOption recordKeep(QStringLiteral("record-keep"),
                                        QStringLiteral("Rotated recording parts kept (default: %1).").arg(defaults.recordKeepFiles),
                                        QStringLiteral("count"));
    const QCommandLineOption logCapacity(QStringLiteral("log-capacity"),
                                         QStringLiteral("Log records the dashboard keeps in memory (default: %1).")
                                             .arg(defaults.logCapacity),
                                         QStringLiteral("records"));
    const QCommandLineOption logPayloadCap(QStringLiteral("log-payload-cap"),
                                           QStringLiteral("Payload bytes kept per in-memory log record; the recording keeps "
                                                          "all (default: %1).")
                                               .arg(defaults.logPayloadCapBytes),
                                           QStringLiteral("bytes"));
    const QCommandLineOption logMaxBytes(QStringLiteral("log-max-bytes"),
                                         QStringLiteral("Payload bytes the in-memory log keeps in all; past them the oldest "
                                                        "records leave first (default: %1).")
                                             .arg(defaults.logMaxBytes),
                                         QStringLiteral("bytes"));
    const QCommandLineOption exportTo(QStringLiteral("export"),
                                      QStringLiteral("Convert the recordings given as arguments to this file ('-' for "
                                                     "stdout) and exit: 'switchboard --export out.csv rec.1.jsonl rec.jsonl'. Default: no export."),
                                      QStringLiteral("file"));
    const QCommandLineOption exportFormat(QStringLiteral("export-format"),
                                          QStringLiteral("Format for --export: 'csv' or 'jsonl' (default: from the file "
                                                         "name, .csv is CSV, else JSON Lines)."),
                                          QStringLiteral("format"));
    const QCommandLineOption redis(QStringLiteral("redis"),
                                   QStringLiteral("Join a cluster of instances sharing rooms and broadcasts through this Redis "
                                                  "(redis://HOST:PORT[/DB]). Default: none, no cluster."),
                                   QStringLiteral("url"));
    const QCommandLineOption script(QStringLiteral("script"),
                                    QStringLiteral("Serve a route with JavaScript handlers: PATTERN=FILE, e.g. "
                                                   "/feed/:symbol=mocks/feed.js (repeatable; replaces a route with the "
                                                   "same pattern, except a --proxy route, which gets the script's "
                                                   "onClientMessage/onUpstreamMessage hooks; default: none). See "
                                                   "\"Scripted routes\" in the README."),
                                    QStringLiteral("pattern=file"));
    const QCommandLineOption scriptBudget(QStringLiteral("script-budget"),
                                          QStringLiteral("Time budget of one script handler or timer call in ms; longer "
                                                         "calls are interrupted and the client closed with 1011 (default: 250)."),
                                          QStringLiteral("ms"));
    const QCommandLineOption cluster(QStringLiteral("cluster"),
                                     QStringLiteral("Name of the cluster to join with --redis; instances with the same name "
                                                    "share traffic (default: %1).")
                                         .arg(defaults.clusterName),
                                     QStringLiteral("name"));
    parser.addOptions({headless, host, port, config, allowOrigin, maxMessage, token, maxConnections, maxPerIp, listenBacklog,
                       tlsCert, tlsKey, rateLimit, rateBurst, heartbeat, heartbeatTimeout, maxBuffered, slowConsumer,
                       record, recordMaxBytes, recordKeep, logCapacity, logPayloadCap, logMaxBytes, exportTo, exportFormat});
    const QCommandLineOption noDeflate(QStringLiteral("no-deflate"),
                                       QStringLiteral("Never negotiate permessage-deflate compression, whatever the routes say "
                                                      "(default: negotiated on every route that allows it)."));
    const QCommandLineOption websocketBackend(
        QStringLiteral("websocket-backend"),
        QStringLiteral("Who speaks the WebSocket protocol: native (Switchboard's own layer) or qt (Qt's "
                       "QWebSocketServer; no permessage-deflate) (default: native)."),
        QStringLiteral("native|qt"));
    parser.addOption(adminToken);
    parser.addOption(noDeflate);
    parser.addOption(websocketBackend);
    const QCommandLineOption scriptHeap(QStringLiteral("script-heap"),
                                        QStringLiteral("JavaScript heap a script route may keep between calls in MiB, after "
                                                       "garbage collection; past it the script's clients are closed with 1011 "
                                                       "and it starts again (default: 256)."),
                                        QStringLiteral("MiB"));
    parser.addOptions({redis, cluster, script, scriptBudget, scriptHeap, proxy, upstreamCa});

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
    if (parser.isSet(exportTo))
        return exportRecordings(parser.positionalArguments(), parser.value(exportTo),
                                parser.isSet(exportFormat) ? parser.value(exportFormat) : QString());
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
            if (configErrors == ConfigErrors::Exit)
                return Outcome::ExitError;
            result.configError = error; // loadFile applied nothing: the defaults stay
        } else {
            result.configPath = parser.value(config);
        }
    }
    if (parser.isSet(host)) {
        result.config.host = parser.value(host);
        result.hostGiven = true;
    }
    // Reads a whole-number flag within [min, max]; false (after saying why) when it is not one.
    const auto readNumber = [&parser](const QCommandLineOption &option, qint64 min, qint64 max, qint64 *out) {
        if (!parser.isSet(option))
            return true;
        bool ok = false;
        const qint64 value = parser.value(option).toLongLong(&ok);
        if (!ok || value < min || value > max) {
            printError(QStringLiteral("--%1 must be a number from %2 to %3, not '%4'")
                           .arg(option.names().constFirst())
                           .arg(min)
                           .arg(max)
                           .arg(parser.value(option)));
            return false;
        }
        *out = value;
        return true;
    };
    ServerConfig &server = result.config;
    qint64 number = server.port;
    qint64 rate = static_cast<qint64>(server.messagesPerSecond);
    qint64 connections = server.maxConnections, perIp = server.maxConnectionsPerIp, burst = server.messageBurst,
           interval = server.heartbeatIntervalMs, timeout = server.heartbeatTimeoutMs, backlog = server.listenBacklog;
    if (!readNumber(port, 0, 65535, &number) || !readNumber(maxMessage, 125, 1LL << 30, &server.maxMessageBytes)
        || !readNumber(maxConnections, 1, 1000000, &connections) || !readNumber(maxPerIp, 1, 1000000, &perIp)
        || !readNumber(rateLimit, 1, 100000000, &rate) || !readNumber(rateBurst, 1, 100000000, &burst)
        || !readNumber(heartbeat, 0, 3600000, &interval) || !readNumber(heartbeatTimeout, 10, 600000, &timeout)
        || !readNumber(maxBuffered, 1024, 1LL << 30, &server.maxBufferedBytes)
        || !readNumber(listenBacklog, 0, 65535, &backlog)) {
        return Outcome::ExitError;
    }
    qint64 capacity = server.logCapacity, payloadCap = server.logPayloadCapBytes, keep = server.recordKeepFiles;
    if (!readNumber(logCapacity, 1, ServerConfig::kMaxLogCapacity, &capacity)
        || !readNumber(logPayloadCap, 0, ServerConfig::kMaxLogPayloadCapBytes, &payloadCap)
        || !readNumber(logMaxBytes, ServerConfig::kMinLogMaxBytes, ServerConfig::kMaxLogMaxBytes, &server.logMaxBytes)
        || !readNumber(recordMaxBytes, ServerConfig::kMinRecordMaxBytes, ServerConfig::kMaxRecordMaxBytes,
                       &server.recordMaxBytes)
        || !readNumber(recordKeep, 0, ServerConfig::kMaxRecordKeepFiles, &keep)) {
        return Outcome::ExitError;
    }
    server.logCapacity = static_cast<int>(capacity);
    server.logPayloadCapBytes = static_cast<int>(payloadCap);
    server.recordKeepFiles = static_cast<int>(keep);
    if (parser.isSet(record)) {
        server.recordPath = parser.value(record);
        if (server.recordPath.isEmpty()) {
            printError(QStringLiteral("--record needs a file name"));
            return Outcome::ExitError;
        }
    }
    result.portGiven = parser.isSet(port);
    server.port = static_cast<quint16>(number);
    server.maxConnections = static_cast<int>(connections);
    server.maxConnectionsPerIp = static_cast<int>(perIp);
    server.listenBacklog = static_cast<int>(backlog);
    server.messagesPerSecond = static_cast<double>(rate);
    server.messageBurst = static_cast<int>(burst);
    server.heartbeatIntervalMs = static_cast<int>(interval);
    server.heartbeatTimeoutMs = static_cast<int>(timeout);
    if (parser.isSet(noDeflate))
        server.deflate = false;
    if (parser.isSet(websocketBackend)
        && !WebSocketBackends::parse(parser.value(websocketBackend), &server.websocketBackend)) {
        printError(QStringLiteral("--websocket-backend must be native or qt, not '%1'").arg(parser.value(websocketBackend)));
        return Outcome::ExitError;
    }
    if (parser.isSet(allowOrigin))
        server.allowedOrigins.append(parser.values(allowOrigin));
    if (parser.isSet(token))
        server.token = parser.value(token);
    for (const auto &[option, target] : {std::pair{&tlsCert, &server.tlsCertPath}, std::pair{&tlsKey, &server.tlsKeyPath}}) {
        if (!parser.isSet(*option))
            continue;
        *target = parser.value(*option);
        if (target->isEmpty()) {
            printError(QStringLiteral("--%1 needs a file name").arg(option->names().constFirst()));
            return Outcome::ExitError;
        }
    }
    if (parser.isSet(upstreamCa))
        server.upstreamCaPath = parser.value(upstreamCa);
    for (const QString &value : parser.values(proxy)) {
        RouteSpec spec;
        spec.behaviour = RouteBehaviourKind::Proxy;
        const int equals = value.indexOf(QLatin1Char('='));
        spec.pattern = value.left(equals);
        spec.upstream = equals < 0 ? QString() : value.mid(equals + 1);
        QString why = RouteTable::validatePattern(spec.pattern);
        if (why.isEmpty())
            why = RouteTable::validateUpstream(spec.upstream);
        for (const RouteSpec &existing : server.routes.routes()) {
            if (why.isEmpty() && existing.pattern == spec.pattern)
                why = QStringLiteral("the path has a route already");
        }
        if (!why.isEmpty()) {
            printError(QStringLiteral("--proxy %1: %2 (expected PATH=ws://host:port/path)").arg(value, why));
            return Outcome::ExitError;
        }
        server.routes.add(spec);
    }
    if (server.tlsCertPath.isEmpty() != server.tlsKeyPath.isEmpty()) {
        printError(server.tlsCertPath.isEmpty() ? QStringLiteral("--tls-key needs --tls-cert (the certificate it belongs to)")
                                                : QStringLiteral("--tls-cert needs --tls-key (its private key)"));
        return Outcome::ExitError;
    }
    // A string flag that a why-not function accepts (empty answer) or refuses with its reason.
    const auto readChecked = [&parser](const QCommandLineOption &option, QString (*whyNot)(const QString &),
                                       QString *out) {
        if (!parser.isSet(option))
            return true;
        const QString why = whyNot(parser.value(option));
        if (!why.isEmpty()) {
            printError(QStringLiteral("--%1: %2").arg(option.names().constFirst(), why));
            return false;
        }
        *out = parser.value(option);
        return true;
    };
    if (!readChecked(adminToken, &ServerConfig::whyInvalidAdminToken, &server.adminToken)
        || !readChecked(redis, &RedisEndpoint::whyInvalidUrl, &server.redisUrl)
        || !readChecked(cluster, &RedisEndpoint::whyInvalidClusterName, &server.clusterName)) {
        return Outcome::ExitError;
    }
    qint64 budget = 250, heap = 256;
    if (!readNumber(scriptBudget, 1, 60000, &budget) || !readNumber(scriptHeap, 1, 65536, &heap))
        return Outcome::ExitError;
    for (const QString &value : parser.values(script)) {
        const int equals = value.indexOf(QLatin1Char('='));
        RouteSpec route;
        route.behaviour = RouteBehaviourKind::Script;
        route.pattern = value.left(equals);
        route.script = equals > 0 ? QFileInfo(value.mid(equals + 1)).absoluteFilePath() : QString();
        const QString why = equals > 0 ? RouteTable::validatePattern(route.pattern) : QStringLiteral("expected PATTERN=FILE");
        if (!why.isEmpty() || value.mid(equals + 1).isEmpty()) {
            printError(QStringLiteral("--script '%1': %2").arg(value, why.isEmpty() ? QStringLiteral("expected PATTERN=FILE") : why));
            return Outcome::ExitError;
        }
        // On a proxy route's path (--proxy or the config) the script hooks into that proxy.
        bool hooked = false;
        for (RouteSpec &existing : server.routes.mutableRoutes()) {
            if (existing.pattern == route.pattern && existing.behaviour == RouteBehaviourKind::Proxy) {
                existing.script = route.script;
                hooked = true;
            }
        }
        if (!hooked)
            server.routes.put(route);
    }
    if (parser.isSet(scriptBudget)) {
        for (RouteSpec &route : server.routes.mutableRoutes())
            route.scriptBudgetMs = int(budget);
    }
    if (parser.isSet(scriptHeap)) {
        for (RouteSpec &route : server.routes.mutableRoutes())
            route.scriptHeapMb = int(heap);
    }
    if (parser.isSet(slowConsumer)) {
        const QString policy = parser.value(slowConsumer);
        if (policy != QLatin1String("close") && policy != QLatin1String("drop")) {
            printError(QStringLiteral("--slow-consumer must be 'close' or 'drop', not '%1'").arg(policy));
            return Outcome::ExitError;
        }
        server.slowConsumerPolicy = policy == QLatin1String("drop") ? ServerConfig::SlowConsumerPolicy::Drop
                                                                    : ServerConfig::SlowConsumerPolicy::Close;
    }
    *options = result;
    return Outcome::Run;
}
