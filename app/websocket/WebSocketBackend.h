#pragma once

#include <QString>

// Which implementation speaks RFC 6455 to the clients (--websocket-backend, "websocketBackend"):
// our own layer (WebSocketConnection), or Qt's QWebSocketServer/QWebSocket (QtWebSocketEndpoint).
enum class WebSocketBackend { Native, Qt };

namespace WebSocketBackends {
// "native" or "qt", as the flag, the config file, /healthz and /api/routes spell it.
QString name(WebSocketBackend backend);
// False for anything but "native" or "qt".
bool parse(const QString &name, WebSocketBackend *backend);
} // namespace WebSocketBackends
