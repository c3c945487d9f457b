#include "HeadlessRunner.h"

#include "../log/LogRecorder.h"
#include "../server/Engine.h"
#include "../server/NetworkExposure.h"
#include "UnixSignalWatcher.h"

#include <QCoreApplication>
#include <QTextStream>

int HeadlessRunner::run(const ServerConfig &config)
{
    // Declared first so it outlives the engine: its destructor writes what is still queued.
    LogRecorder recorder;
    if (!config.recordPath.isEmpty()) {
        LogRecorder::Options options;
        options.path = config.recordPath;
        options.maxBytes = config.recordMaxBytes;
        options.keepFiles = config.recordKeepFiles;
        QString error;
        if (!recorder.start(options, &error)) { // before listening: no record may go unrecorded
            QTextStream(stderr) << "switchboard: " << error << '\n';
            return 1;
        }
        QObject::connect(&recorder, &LogRecorder::failed, qApp, [](const QString &error) {
            QTextStream(stderr) << "switchboard: recording stopped: " << error << Qt::endl;
        });
    }
    Engine engine(config);
    engine.setCountOwnLogDrops(true);
    QObject::connect(&engine, &Engine::recordsAppended, &recorder, &LogRecorder::append);
    UnixSignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &UnixSignalWatcher::terminationRequested, &engine, [&engine](int) {
        engine.stop();
    });
    QObject::connect(&engine, &Engine::stopped, qApp, [] { QCoreApplication::exit(0); });

    QString failure;
    QObject::connect(&engine, &Engine::startFailed, qApp, [&failure](const QString &error) { failure = error; });
    if (!engine.start()) {
        QTextStream(stderr) << "switchboard: " << failure << '\n';
        return 1;
    }
    QTextStream out(stdout);
    QUrl shown = engine.httpUrl();
    shown.setPath(QString());
    out << "Listening on " << shown.toString() << Qt::endl;
    out << "Browser client: " << engine.httpUrl().toString()
        << "  WebSocket routes: ";
    QStringList patterns;
    for (const RouteSpec &route : config.routes.routes())
        patterns.append(route.pattern);
    out << patterns.join(QLatin1String(", ")) << Qt::endl;
    if (const QString warning = NetworkExposure::warning(config.host); !warning.isEmpty()) {
        QTextStream(stderr) << "switchboard: warning: " << warning << "\n    reachable on: "
                            << NetworkExposure::reachableUrls(shown).join(QLatin1String(", ")) << Qt::endl;
    }
    if (recorder.isRecording())
        out << "Recording to " << config.recordPath << Qt::endl;
    return QCoreApplication::exec();
}
