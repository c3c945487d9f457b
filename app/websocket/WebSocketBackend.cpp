#include "WebSocketBackend.h"

QString WebSocketBackends::name(WebSocketBackend backend)
{
    return backend == WebSocketBackend::Qt ? QStringLiteral("qt") : QStringLiteral("native");
}

bool WebSocketBackends::parse(const QString &name, WebSocketBackend *backend)
{
    if (name == QLatin1String("native"))
        *backend = WebSocketBackend::Native;
    else if (name == QLatin1String("qt"))
        *backend = WebSocketBackend::Qt;
    else
        return false;
    return true;
}
