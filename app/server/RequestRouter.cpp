#include "RequestRouter.h"

#include "AdminApi.h"
#include "../http/HttpRequestHead.h"
#include "../routes/ClockBehaviour.h"
#include "../websocket/WebSocketHandshake.h"

#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

namespace {

// Takes as long for a wrong first byte as for a wrong last one: no timing hints at the token.
bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    unsigned char difference = a.size() == b.size() ? 0 : 1;
    const QByteArray &reference = b.isEmpty() ? a : b;
    for (int i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a.at(i) ^ reference.at(i % reference.size()));
    return difference == 0 && !a.isEmpty();
}

QByteArray contentTypeFor(const QString &fileName)
{
    const QString suffix = QFileInfo(fileName).suffix().toLower();
    if (suffix == QLatin1String("html"))
        return "text/html; charset=utf-8";
    if (suffix == QLatin1String("js") || suffix == QLatin1String("mjs"))
        return "text/javascript; charset=utf-8";
    if (suffix == QLatin1String("css"))
        return "text/css; charset=utf-8";
    if (suffix == QLatin1String("svg"))
        return "image/svg+xml";
    if (suffix == QLatin1String("png"))
        return "image/png";
    if (suffix == QLatin1String("json"))
        return "application/json";
    return "application/octet-stream";
}

bool isValidWebSocketKey(const QByteArray &key)
{
    const QByteArray decoded = QByteArray::fromBase64(key, QByteArray::AbortOnBase64DecodingErrors);
    return key.size() == 24 && decoded.size() == 16;
}

} // namespace

RequestRouter::RequestRouter(const RouteTable &routes, OriginPolicy origins, Admission &admission,
                             QString token, std::function<QByteArray()> healthJson)
    : m_routes(routes), m_origins(std::move(origins)), m_admission(admission), m_token(token.toUtf8()),
      m_healthJson(std::move(healthJson))
{
}

QByteArray RequestRouter::presentedToken(const HttpRequestHead &head)
{
    if (head.query.hasQueryItem(QStringLiteral("token")))
        return head.query.queryItemValue(QStringLiteral("token"), QUrl::FullyDecoded).toUtf8();
    // The scheme is case-insensitive (RFC 7235 §2.1), as the admin API reads it too.
    const QByteArray authorization = head.header("authorization");
    const int space = authorization.indexOf(' ');
    if (space > 0 && authorization.left(space).compare("Bearer", Qt::CaseInsensitive) == 0)
        return authorization.mid(space + 1).trimmed();
    for (const QByteArray &cookie : head.header("cookie").split(';')) {
        const QByteArray trimmed = cookie.trimmed();
        if (trimmed.startsWith("switchboard_token="))
            return QByteArray::fromPercentEncoding(trimmed.mid(int(qstrlen("switchboard_token="))));
    }
    return {};
}

QString RequestRouter::redactedTarget(const HttpRequestHead &head)
{
    const QString target = QString::fromUtf8(head.target);
    if (!head.query.hasQueryItem(QStringLiteral("token")))
        return target;
    QUrlQuery query = head.query;
    query.removeAllQueryItems(QStringLiteral("token"));
    query.addQueryItem(QStringLiteral("token"), QStringLiteral("REDACTED"));
    return target.left(target.indexOf(QLatin1Char('?'))) + QLatin1Char('?') + query.toString();
}

GateDecision RequestRouter::decide(const HttpRequestHead &head, const QHostAddress &peer)
{
    if (head.isWebSocketUpgrade())
        return decideUpgrade(head, peer);
    return decidePlain(head);
}

QString RequestRouter::routeList() const
{
    QStringList patterns;
    for (const RouteSpec &route : m_routes.routes())
        patterns.append(route.pattern);
    return patterns.join(QLatin1String(", "));
}

GateDecision RequestRouter::decideUpgrade(const HttpRequestHead &head, const QHostAddress &peer)
{
    if (head.method != "GET")
        return GateDecision::refuse(400, QStringLiteral("a WebSocket upgrade must use GET"));
    // RFC 6455 §4.2.1: an HTTP/1.1 (or higher) GET; anything else is a bad handshake (400).
    if (head.version != "HTTP/1.1")
        return GateDecision::refuse(400, QStringLiteral("a WebSocket upgrade needs HTTP/1.1, not %1")
                                             .arg(QString::fromLatin1(head.version)));
    if (head.header("sec-websocket-version") != "13") {
        GateDecision decision = GateDecision::refuse(
            426, QStringLiteral("only WebSocket version 13 (RFC 6455) is supported"));
        decision.response.extraHeaders.append(qMakePair(QByteArray("Sec-WebSocket-Version"), QByteArray("13")));
        return decision;
    }
    if (!isValidWebSocketKey(head.header("sec-websocket-key")))
        return GateDecision::refuse(400, QStringLiteral("missing or invalid Sec-WebSocket-Key"));

    // Routes may live under /api/ (a user's own API socket); only /api/events is the admin API's.
    if (m_adminApi && AdminApi::isEventStreamPath(head.path))
        return m_adminApi->decideUpgrade(head);
    const RouteMatch match = m_routes.match(head.path);
    if (!match.isValid()) {
        return GateDecision::refuse(404, QStringLiteral("no WebSocket route at %1 (routes: %2)")
                                             .arg(head.path, routeList()));
    }
    const QString origin = QString::fromUtf8(head.header("origin"));
    if (!m_origins.allows(origin)) {
        return GateDecision::refuse(
            403, QStringLiteral("Origin %1 is not allowed (allow it with --allow-origin)").arg(origin));
    }

    if (!m_token.isEmpty() && !constantTimeEquals(presentedToken(head), m_token)) {
        return GateDecision::refuse(401, QStringLiteral("a valid token is required: ?token=, Authorization: Bearer, "
                                                        "or the cookie switchboard_token"));
    }
    const Admission::Refusal refusal = m_admission.check(peer);
    if (refusal.status != 0)
        return GateDecision::refuse(refusal.status, refusal.why);

    const RouteSpec &route = m_routes.routes().at(match.index);
    const QStringList offered = WebSocketHandshake::offeredSubprotocols(head.header("sec-websocket-protocol"));
    // A proxy route answers with the subprotocol its upstream chooses.
    const bool proxied = route.behaviour == RouteBehaviourKind::Proxy && m_proxyDeferral;
    if (!offered.isEmpty() && !proxied) {
        bool anySupported = false;
        for (const QString &protocol : offered)
            anySupported = anySupported || route.subprotocols.contains(protocol);
        if (!anySupported) {
            const QString supported = route.subprotocols.isEmpty()
                                          ? QStringLiteral("none")
                                          : route.subprotocols.join(QLatin1String(", "));
            return GateDecision::refuse(
                400, QStringLiteral("none of the offered subprotocols (%1) is supported by %2; supported: %3")
                         .arg(offered.join(QLatin1String(", ")), route.pattern, supported));
        }
    }

    if (route.behaviour == RouteBehaviourKind::Clock && head.query.hasQueryItem(QStringLiteral("interval"))) {
        bool ok = false;
        const int interval = head.query.queryItemValue(QStringLiteral("interval")).toInt(&ok);
        if (!ok || interval < ClockBehaviour::kMinIntervalMs || interval > ClockBehaviour::kMaxIntervalMs) {
            return GateDecision::refuse(400, QStringLiteral("interval must be a whole number of milliseconds from %1 to %2")
                                                 .arg(ClockBehaviour::kMinIntervalMs)
                                                 .arg(ClockBehaviour::kMaxIntervalMs));
        }
    }
    int status = 0;
    QString body;
    if (m_upgradeCheck && !m_upgradeCheck(match.index, head, &status, &body))
        return GateDecision::refuse(status, body);
    // The first offered subprotocol the route supports (requests offering none it has were refused above).
    GateDecision decision = GateDecision::upgrade(
        match.index, WebSocketHandshake::chooseSubprotocol(head.header("sec-websocket-protocol"), route.subprotocols));
    if (m_deflate) {
        decision.deflate = DeflateNegotiation::negotiate(head.header("sec-websocket-extensions"), route.deflate);
        decision.deflateThresholdBytes = route.deflate.thresholdBytes;
    }
    if (proxied)
        return m_proxyDeferral(decision, head);
    return decision;
}

HttpGate::Arrival RequestRouter::connectionArrived(const QHostAddress &peer)
{
    // Idle connections that never finish a head hold descriptors as WebSockets do: they share the caps.
    const Admission::Refusal refusal = m_admission.checkCapacity(peer);
    if (refusal.status != 0)
        return {refusal.status, refusal.why};
    m_admission.opened(peer);
    return {};
}

void RequestRouter::connectionSettled(const QHostAddress &peer)
{
    m_admission.closed(peer);
}

int RequestRouter::maxBodyBytes(const HttpRequestHead &head) const
{
    return m_adminApi && !head.isWebSocketUpgrade() ? m_adminApi->maxBodyBytes(head) : 0;
}

GateDecision RequestRouter::decideWithBody(const HttpRequestHead &head, const RequestBody &body,
                                           const QHostAddress &peer)
{
    if (m_adminApi && !head.isWebSocketUpgrade() && AdminApi::isApiPath(head.path))
        return m_adminApi->handle(head, body);
    return HttpGate::decideWithBody(head, body, peer);
}

GateDecision RequestRouter::decidePlain(const HttpRequestHead &head)
{
    if (m_adminApi && AdminApi::isApiPath(head.path))
        return m_adminApi->handle(head, {});
    if (head.method != "GET" && head.method != "HEAD") {
        GateDecision decision = GateDecision::refuse(
            405, QStringLiteral("method %1 is not allowed; use GET or HEAD")
                     .arg(QString::fromLatin1(head.method)));
        decision.response.extraHeaders.append(qMakePair(QByteArray("Allow"), QByteArray("GET, HEAD")));
        return decision;
    }
    if (head.path == QLatin1String("/healthz"))
        return GateDecision::respond(HttpResponse::json(200, m_healthJson()));
    if (head.path == QLatin1String("/metrics") && m_metricsText) {
        HttpResponse metrics;
        metrics.contentType = "text/plain; version=0.0.4; charset=utf-8";
        metrics.body = m_metricsText();
        return GateDecision::respond(metrics);
    }

    static const QRegularExpression fileName(QStringLiteral("^/([A-Za-z0-9_-]+\\.[A-Za-z0-9]+)$"));
    const QString resource = head.path == QLatin1String("/")
                                 ? QStringLiteral("index.html")
                                 : fileName.match(head.path).captured(1);
    if (!resource.isEmpty()) {
        QFile file(QStringLiteral(":/web/") + resource);
        if (file.open(QIODevice::ReadOnly)) {
            HttpResponse response;
            response.contentType = contentTypeFor(resource);
            response.body = file.readAll();
            return GateDecision::respond(response);
        }
    }
    if (m_routes.match(head.path).isValid()) {
        GateDecision decision = GateDecision::refuse(
            426, QStringLiteral("%1 is a WebSocket endpoint: connect with a WebSocket client (ws:// or wss://)").arg(head.path));
        decision.response.extraHeaders.append(qMakePair(QByteArray("Upgrade"), QByteArray("websocket")));
        return decision;
    }
    return GateDecision::refuse(404, QStringLiteral("nothing at %1").arg(head.path));
}
