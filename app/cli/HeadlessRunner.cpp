#include "HeadlessRunner.h"

#include "../server/Engine.h"
#include "UnixSignalWatcher.h"

#include <QCoreApplication>
#include <QTextStream>

int HeadlessRunner::run(const ServerConfig &config)
{
    Engine engine(config);
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
    return QCoreApplication::exec();
}
