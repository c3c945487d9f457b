#include "AdminApi.h"

#include "ClientInfo.h"
#include "../websocket/CloseCode.h"
#include "Engine.h"
#include "EventStreams.h"
#include "../log/LogRecordJson.h"
#include "Replayer.h"
#include "../http/HttpRequestHead.h"
#include "OriginPolicy.h"
#include "../script/ScriptRuntime.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QSet>
#include <QUrl>
#include <algorithm>
#include <cmath>

Q_LOGGING_CATEGORY(lcApi, "switchboard.api")

namespace {

// What is held, for JSON: "toUpstream", "toClient", "both", or null for nothing.
QJsonValue holdingJson(int holding)
{
    return holding == 0 ? QJsonValue(QJsonValue::Null)
                        : QJsonValue(ProxyHoldQueue::directionName(ProxyHoldQueue::Direction(holding)));
}

constexpr char kEndpointList[] =
    "GET /api/clients, GET /api/clients/{id}, GET /api/routes, GET /api/stats, GET /api/bans, GET /api/cluster, "
    "GET /api/events (Server-Sent Events or WebSocket), GET /api/log, GET /api/replay, "
    "POST /api/replay, POST /api/replay/stop, POST /api/replay/pause, POST /api/replay/resume, "
    "POST /api/clients/{id}/send, POST /api/clients/{id}/ping, POST /api/clients/{id}/close, "
    "POST /api/broadcast, POST /api/close, POST /api/ban, POST /api/unban, POST /api/routes/{path}/reload, "
    "POST /api/clients/{id}/hold, POST /api/clients/{id}/release, POST /api/clients/{id}/inject, "
    "GET /api/clients/{id}/held, POST /api/clients/{id}/held/{heldId}/forward, "
    "POST /api/clients/{id}/held/{heldId}/drop, POST /api/clients/{id}/held/forward, "
    "POST /api/routes/{path}/hold, POST /api/routes/{path}/release";

QByteArray sha256(const QByteArray &bytes)
{
    return QCryptographicHash::hash(bytes, QCryptographicHash::Sha256);
}

// Digests have a fixed length, so the loop always runs the same 32 steps: no timing hint at
// how much of a guessed token was right, nor at its length.
bool constantTimeEqual(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char difference = 0;
    for (int i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a.at(i) ^ b.at(i));
    return difference == 0;
}

QJsonValue nullable(const QString &text)
{
    return text.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(text);
}

QString isoTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

// Rejects keys the endpoint does not know, so a typo ("reson") is an error and not ignored.
QString unknownKey(const QJsonObject &object, const QStringList &known)
{
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (!known.contains(it.key()))
            return QStringLiteral("unknown key '%1' (known keys: %2)").arg(it.key(), known.join(QLatin1String(", ")));
    }
    return {};
}

// The payload of send and broadcast: exactly one of "text" or "binary" (base64).
bool readPayload(const QJsonObject &body, QByteArray *payload, bool *binary, QString *error)
{
    const bool hasText = body.contains(QStringLiteral("text"));
    const bool hasBinary = body.contains(QStringLiteral("binary"));
    if (hasText == hasBinary) {
        *error = QStringLiteral("give exactly one of \"text\" (a string) or \"binary\" (base64)");
        return false;
    }
    const QJsonValue value = body.value(hasText ? QStringLiteral("text") : QStringLiteral("binary"));
    if (!value.isString()) {
        *error = QStringLiteral("\"%1\" must be a string").arg(hasText ? QStringLiteral("text") : QStringLiteral("binary"));
        return false;
    }
    *binary = hasBinary;
    if (hasText) {
        *payload = value.toString().toUtf8();
        return true;
    }
    const auto decoded = QByteArray::fromBase64Encoding(value.toString().toLatin1(),
                                                        QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded) {
        *error = QStringLiteral("\"binary\" is not valid base64");
        return false;
    }
    *payload = *decoded;
    return true;
}

struct CloseArguments
{
    int code = CloseCode::NormalClosure;
    QString reason;
};

// The same rules as the dashboard's close, except that an over-long reason is refused here
// rather than cut: a script should learn that its reason would not arrive whole.
bool readClose(const QJsonObject &body, CloseArguments *out, QString *rule, QString *error)
{
    if (body.contains(QStringLiteral("code"))) {
        const QJsonValue code = body.value(QStringLiteral("code"));
        const double number = code.toDouble(-1);
        if (!code.isDouble() || number != static_cast<double>(static_cast<int>(number))) {
            *rule = QStringLiteral("close-code");
            *error = QStringLiteral("\"code\" must be a whole number (1000-1003, 1007-1014 or 3000-4999)");
            return false;
        }
        out->code = static_cast<int>(number);
    }
    const QString why = CloseCode::whyNotSendable(out->code);
    if (!why.isEmpty()) {
        *rule = QStringLiteral("close-code");
        *error = why;
        return false;
    }
    if (body.contains(QStringLiteral("reason"))) {
        if (!body.value(QStringLiteral("reason")).isString()) {
            *rule = QStringLiteral("close-reason");
            *error = QStringLiteral("\"reason\" must be a string");
            return false;
        }
        out->reason = body.value(QStringLiteral("reason")).toString();
    }
    const int reasonBytes = static_cast<int>(out->reason.toUtf8().size());
    if (reasonBytes > CloseCode::kMaxReasonBytes) {
        *rule = QStringLiteral("close-reason-length");
        *error = QStringLiteral("the reason is %1 UTF-8 bytes; a close frame holds at most %2")
                     .arg(reasonBytes)
                     .arg(CloseCode::kMaxReasonBytes);
        return false;
    }
    return true;
}

QString quoted(const QString &text)
{
    return QLatin1Char('"') + text + QLatin1Char('"');
}

} // namespace

AdminApi::AdminApi(Engine &engine, const OriginPolicy &origins, const QString &token)
    : m_engine(engine), m_origins(origins), m_tokenDigest(token.isEmpty() ? QByteArray() : sha256(token.toUtf8()))
{
}

bool AdminApi::isApiPath(const QString &path)
{
    return path == QLatin1String("/api") || path.startsWith(QLatin1String("/api/"));
}

bool AdminApi::isEventStreamPath(const QString &path)
{
    return path == QLatin1String("/api/events");
}

GateDecision AdminApi::ok(const QJsonObject &object)
{
    return GateDecision::respond(HttpResponse::json(200, QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n'));
}

GateDecision AdminApi::error(int status, const QString &rule, const QString &message)
{
    GateDecision decision;
    decision.action = GateDecision::Action::Respond;
    const QJsonObject body{{QStringLiteral("error"), message}, {QStringLiteral("rule"), rule}};
    decision.response = HttpResponse::json(status, QJsonDocument(body).toJson(QJsonDocument::Compact) + '\n');
    // The front door logs and records this as the refusal's reason.
    decision.refusal = QStringLiteral("api: ") + message;
    return decision;
}

bool AdminApi::tokenMatches(const QByteArray &presented) const
{
    return constantTimeEqual(sha256(presented), m_tokenDigest);
}

std::optional<GateDecision> AdminApi::checkAccess(const HttpRequestHead &head) const
{
    // Only the server's own pages, never an allow-listed dev origin: --allow-origin is about
    // WebSockets, and a page that can drive the API can close every client.
    const QString origin = QString::fromUtf8(head.header("origin"));
    if (!origin.isEmpty() && !m_origins.ownOrigins().contains(origin.toLower())) {
        return error(403, QStringLiteral("same-origin"),
                     QStringLiteral("requests from the web origin %1 may not use the admin API").arg(origin));
    }
    if (m_tokenDigest.isEmpty()) {
        return error(403, QStringLiteral("admin-token-required"),
                     QStringLiteral("the admin API is off: start switchboard with --admin-token SECRET (or set "
                                    "\"adminToken\" in the config file) and send 'Authorization: Bearer SECRET'"));
    }
    const QByteArray authorization = head.header("authorization");
    const int space = authorization.indexOf(' ');
    const QByteArray scheme = space < 0 ? authorization : authorization.left(space);
    if (authorization.isEmpty() || scheme.compare("Bearer", Qt::CaseInsensitive) != 0) {
        GateDecision refusal = error(401, QStringLiteral("bearer-token"),
                                     QStringLiteral("send the admin token as 'Authorization: Bearer SECRET'"));
        refusal.response.extraHeaders.append(
            qMakePair(QByteArray("WWW-Authenticate"), QByteArray("Bearer realm=\"switchboard\"")));
        return refusal;
    }
    if (!tokenMatches(authorization.mid(space + 1).trimmed())) {
        GateDecision refusal = error(401, QStringLiteral("bearer-token"), QStringLiteral("the admin token is wrong"));
        refusal.response.extraHeaders.append(qMakePair(QByteArray("WWW-Authenticate"),
                                                       QByteArray("Bearer realm=\"switchboard\", error=\"invalid_token\"")));
        return refusal;
    }
    return std::nullopt;
}

AdminApi::Target AdminApi::match(const QString &path)
{
    Target target;
    if (!path.startsWith(QLatin1String("/api/")))
        return target;
    const QStringList parts = path.mid(5).split(QLatin1Char('/')); // after "/api/"
    const auto set = [&target](Endpoint endpoint, bool post) {
        target.endpoint = endpoint;
        target.post = post;
    };
    if (parts.size() == 1) {
        const QString &name = parts.first();
        if (name == QLatin1String("clients"))
            set(Endpoint::Clients, false);
        else if (name == QLatin1String("routes"))
            set(Endpoint::Routes, false);
        else if (name == QLatin1String("stats"))
            set(Endpoint::Stats, false);
        else if (name == QLatin1String("bans"))
            set(Endpoint::Bans, false);
        else if (name == QLatin1String("cluster"))
            set(Endpoint::Cluster, false);
        else if (name == QLatin1String("events"))
            set(Endpoint::Events, false);
        else if (name == QLatin1String("log"))
            set(Endpoint::Log, false);
        else if (name == QLatin1String("replay"))
            set(Endpoint::Replay, false);
        else if (name == QLatin1String("broadcast"))
            set(Endpoint::Broadcast, true);
        else if (name == QLatin1String("close"))
            set(Endpoint::CloseMany, true);
        else if (name == QLatin1String("ban"))
            set(Endpoint::Ban, true);
        else if (name == QLatin1String("unban"))
            set(Endpoint::Unban, true);
        return target;
    }
    if (parts.first() == QLatin1String("replay") && parts.size() == 2) {
        static const QStringList kActions{QStringLiteral("stop"), QStringLiteral("pause"), QStringLiteral("resume")};
        if (kActions.contains(parts.at(1))) {
            target.route = parts.at(1);
            set(Endpoint::ReplayControl, true);
        }
        return target;
    }
    static const QStringList kRouteActions{QStringLiteral("reload"), QStringLiteral("hold"), QStringLiteral("release")};
    if (parts.first() == QLatin1String("routes") && parts.size() >= 3 && kRouteActions.contains(parts.last())) {
        // "/api/routes/%2Ffeed%2F%3Asymbol/reload" or "/api/routes//feed/:symbol/reload"
        QString route = QUrl::fromPercentEncoding(parts.mid(1, parts.size() - 2).join(QLatin1Char('/')).toUtf8());
        target.route = route.startsWith(QLatin1Char('/')) ? route : QLatin1Char('/') + route;
        set(parts.last() == QLatin1String("reload") ? Endpoint::RouteReload
            : parts.last() == QLatin1String("hold") ? Endpoint::RouteHold
                                                     : Endpoint::RouteRelease,
            true);
        return target;
    }
    if (parts.first() != QLatin1String("clients") || parts.at(1).isEmpty() || parts.size() > 5)
        return target;
    target.clientId = parts.at(1);
    if (parts.size() == 5 && parts.at(2) == QLatin1String("held") && !parts.at(3).isEmpty()) {
        target.heldId = parts.at(3);
        if (parts.at(4) == QLatin1String("forward"))
            set(Endpoint::HeldForward, true);
        else if (parts.at(4) == QLatin1String("drop"))
            set(Endpoint::HeldDrop, true);
        return target;
    }
    if (parts.size() == 4 && parts.at(2) == QLatin1String("held") && parts.at(3) == QLatin1String("forward")) {
        set(Endpoint::HeldForwardAll, true);
        return target;
    }
    if (parts.size() > 3)
        return target;
    if (parts.size() == 2)
        set(Endpoint::Client, false);
    else if (parts.at(2) == QLatin1String("send"))
        set(Endpoint::ClientSend, true);
    else if (parts.at(2) == QLatin1String("ping"))
        set(Endpoint::ClientPing, true);
    else if (parts.at(2) == QLatin1String("close"))
        set(Endpoint::ClientClose, true);
    else if (parts.at(2) == QLatin1String("hold"))
        set(Endpoint::ClientHold, true);
    else if (parts.at(2) == QLatin1String("release"))
        set(Endpoint::ClientRelease, true);
    else if (parts.at(2) == QLatin1String("inject"))
        set(Endpoint::ClientInject, true);
    else if (parts.at(2) == QLatin1String("held"))
        set(Endpoint::ClientHeld, false);
    return target;
}

int AdminApi::maxBodyBytes(const HttpRequestHead &head) const
{
    if (head.method != "POST" || !isApiPath(head.path))
        return 0;
    Target target = match(head.path);
    if (target.endpoint == Endpoint::Replay)
        return checkAccess(head) ? 0 : kMaxReplayBodyBytes; // POST /api/replay
    if (target.endpoint == Endpoint::None || !target.post)
        return 0;
    return checkAccess(head) ? 0 : kMaxBodyBytes;
}

GateDecision AdminApi::handle(const HttpRequestHead &head, const RequestBody &body)
{
    if (const std::optional<GateDecision> refusal = checkAccess(head))
        return *refusal;

    Target target = match(head.path);
    if (target.endpoint == Endpoint::Replay && head.method == "POST")
        target = {Endpoint::ReplayStart, {}, {}, true, {}};
    if (target.endpoint == Endpoint::None) {
        return error(404, QStringLiteral("not-found"),
                     QStringLiteral("no API endpoint at %1 (endpoints: %2)").arg(head.path, QLatin1String(kEndpointList)));
    }
    const bool isGet = head.method == "GET" || head.method == "HEAD";
    if (target.post ? head.method != "POST" : !isGet) {
        GateDecision wrongMethod =
            error(405, QStringLiteral("method-not-allowed"),
                  QStringLiteral("%1 takes %2, not %3")
                      .arg(head.path, target.post ? QStringLiteral("POST") : QStringLiteral("GET"),
                           QString::fromLatin1(head.method)));
        wrongMethod.response.extraHeaders.append(
            qMakePair(QByteArray("Allow"), QByteArray(target.post ? "POST" : "GET, HEAD")));
        return wrongMethod;
    }

    switch (target.endpoint) {
    case Endpoint::Clients: return getClients();
    case Endpoint::Client: return getClient(target.clientId);
    case Endpoint::Routes: return getRoutes();
    case Endpoint::Stats: return getStats();
    case Endpoint::Bans: return getBans();
    case Endpoint::Cluster: return ok(m_engine.clusterStatus().toJson());
    case Endpoint::ClientHeld: return getHeld(target.clientId);
    case Endpoint::Events: return events(head, false);
    case Endpoint::Log: return getLog(head);
    case Endpoint::Replay: return ok(m_engine.replayer().status().toJson());
    default: break;
    }

    // POST: the front door has read a Content-Length body (or says why it could not).
    if (body.errorStatus != 0) {
        const QString rule = body.errorStatus == 413   ? QStringLiteral("body-size")
                             : body.errorStatus == 408 ? QStringLiteral("body-timeout")
                                                       : QStringLiteral("content-length");
        return error(body.errorStatus, rule, body.error);
    }
    QJsonObject json;
    if (!body.bytes.trimmed().isEmpty()) {
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(body.bytes, &parseError);
        if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
            return error(400, QStringLiteral("json-body"),
                         parseError.error != QJsonParseError::NoError
                             ? QStringLiteral("the body is not JSON: %1 at offset %2")
                                   .arg(parseError.errorString())
                                   .arg(parseError.offset)
                             : QStringLiteral("the body must be a JSON object"));
        }
        json = document.object();
    }

    switch (target.endpoint) {
    case Endpoint::ClientSend: return send(target.clientId, json);
    case Endpoint::ClientPing: return ping(target.clientId);
    case Endpoint::ClientClose: return closeOne(target.clientId, json);
    case Endpoint::Broadcast: return broadcast(json);
    case Endpoint::CloseMany: return closeMany(json);
    case Endpoint::Ban: return ban(json, true);
    case Endpoint::Unban: return ban(json, false);
    case Endpoint::RouteReload: return reloadRoute(target.route, json);
    case Endpoint::ClientHold: return hold(target.clientId, json, true);
    case Endpoint::ClientRelease: return hold(target.clientId, json, false);
    case Endpoint::ClientInject: return inject(target.clientId, json);
    case Endpoint::HeldForward: return actOnHeld(target, json, true);
    case Endpoint::HeldDrop: return actOnHeld(target, json, false);
    case Endpoint::HeldForwardAll: return forwardAllHeld(target.clientId);
    case Endpoint::RouteHold: return holdRoute(target.route, json, true);
    case Endpoint::RouteRelease: return holdRoute(target.route, json, false);
    case Endpoint::ReplayStart: return startReplay(json);
    case Endpoint::ReplayControl: return controlReplay(target.route);
    default: break;
    }
    return error(404, QStringLiteral("not-found"), QStringLiteral("no API endpoint at %1").arg(head.path));
}

GateDecision AdminApi::decideUpgrade(const HttpRequestHead &head)
{
    if (const std::optional<GateDecision> refusal = checkAccess(head))
        return *refusal;
    if (match(head.path).endpoint != Endpoint::Events) {
        return error(404, QStringLiteral("not-found"),
                     QStringLiteral("no WebSocket under /api/ but /api/events (asked for %1)").arg(head.path));
    }
    return events(head, true);
}

// ---- the log as a stream ----

GateDecision AdminApi::events(const HttpRequestHead &head, bool upgrade)
{
    EventFilter filter;
    quint64 since = 0;
    QString why;
    if (!m_engine.events().readRequest(head, &filter, &since, &why))
        return error(400, QStringLiteral("event-filter"), why);
    if (upgrade)
        return GateDecision::upgrade(kEventStreamTag, QString());
    if (head.method == "HEAD") { // the stream's head alone: nothing would ever end it
        HttpResponse answer;
        answer.contentType = "text/event-stream; charset=utf-8";
        return GateDecision::respond(answer);
    }
    return GateDecision::stream(kEventStreamTag, "text/event-stream; charset=utf-8");
}

GateDecision AdminApi::getLog(const HttpRequestHead &head) const
{
    EventFilter filter;
    quint64 since = 0;
    QString why;
    const EventStreams &events = m_engine.events();
    if (!events.readRequest(head, &filter, &since, &why))
        return error(400, QStringLiteral("event-filter"), why);
    if (!head.query.hasQueryItem(QStringLiteral("since")) && !head.hasHeader("last-event-id"))
        since = 0; // a page starts at the oldest record kept unless told otherwise
    int limit = EventStreams::kDefaultPageLimit;
    if (head.query.hasQueryItem(QStringLiteral("limit"))) {
        bool numeric = false;
        limit = head.query.queryItemValue(QStringLiteral("limit")).toInt(&numeric);
        if (!numeric || limit < 1 || limit > EventStreams::kMaxPageLimit) {
            return error(400, QStringLiteral("event-filter"),
                         QStringLiteral("limit= must be 1-%1").arg(EventStreams::kMaxPageLimit));
        }
    }
    return GateDecision::respond(HttpResponse::json(200, events.page(filter, since, limit)));
}

// ---- timed replay ----

GateDecision AdminApi::startReplay(const QJsonObject &body)
{
    const auto refuse = [](const QString &why) { return error(400, QStringLiteral("replay"), why); };
    QString why = unknownKey(body, {QStringLiteral("clientId"), QStringLiteral("path"), QStringLiteral("records"),
                                    QStringLiteral("from"), QStringLiteral("to"), QStringLiteral("speed"),
                                    QStringLiteral("backToBack"), QStringLiteral("loop")});
    if (!why.isEmpty())
        return refuse(why);
    const auto whole = [&body](const char *key, quint64 *out) {
        const QJsonValue value = body.value(QLatin1String(key));
        if (value.isUndefined())
            return true;
        const double number = value.toDouble(-1);
        // Up to 2^53: every whole number a JSON double holds exactly (and no UB in the cast).
        if (!value.isDouble() || number < 0 || number > 9007199254740992.0 || number != std::floor(number))
            return false;
        *out = static_cast<quint64>(number);
        return true;
    };
    quint64 clientId = 0, from = 0, to = 0;
    if (!body.contains(QStringLiteral("clientId")) || !whole("clientId", &clientId))
        return refuse(QStringLiteral("\"clientId\" (the client to send to) must be a client id"));
    if (!whole("from", &from) || !whole("to", &to))
        return refuse(QStringLiteral("\"from\" and \"to\" must be sequence numbers"));
    GateDecision refusal;
    if (!openClientId(QString::number(clientId), &clientId, &refusal))
        return refusal;
    Replayer::Plan plan;
    plan.clientId = clientId;
    const QJsonValue speed = body.value(QStringLiteral("speed"));
    if (!speed.isUndefined() && (!speed.isDouble() || speed.toDouble() <= 0 || speed.toDouble() > 1000))
        return refuse(QStringLiteral("\"speed\" must be a number above 0 and up to 1000 (2: twice as fast)"));
    plan.speed = speed.toDouble(1.0);
    if (body.value(QStringLiteral("backToBack")).toBool(false))
        plan.speed = 0;
    plan.loop = body.value(QStringLiteral("loop")).toBool(false);

    const bool hasPath = body.contains(QStringLiteral("path"));
    if (hasPath == body.contains(QStringLiteral("records")))
        return refuse(QStringLiteral("give exactly one of \"path\" (a recording on this machine) or \"records\""));
    Replayer &replayer = m_engine.replayer();
    QString detail;
    if (hasPath) {
        const QString path = body.value(QStringLiteral("path")).toString();
        if (!QDir::isAbsolutePath(path))
            return refuse(QStringLiteral("\"path\" must be an absolute path to a JSON Lines recording"));
        replayer.startFromFile(path, plan, from, to);
        detail = QStringLiteral("api: replay %1 to client %2").arg(path).arg(clientId);
    } else {
        const QJsonValue records = body.value(QStringLiteral("records"));
        if (!records.isArray())
            return refuse(QStringLiteral("\"records\" must be an array of records in the recording's format"));
        LogRecordBatch batch;
        const QJsonArray array = records.toArray();
        for (int i = 0; i < array.size(); ++i) {
            LogRecord record;
            QString lineError;
            const QByteArray line = QJsonDocument(array.at(i).toObject()).toJson(QJsonDocument::Compact);
            if (!array.at(i).isObject()
                || LogRecordJson::fromLine(line, &record, &lineError) != LogRecordJson::Parsed::Record) {
                return refuse(QStringLiteral("records[%1]: %2").arg(i).arg(lineError.isEmpty() ? QStringLiteral("not a record") : lineError));
            }
            batch.append(record);
        }
        plan.messages = Replayer::select(batch, from, to, &why);
        if (plan.messages.isEmpty())
            return error(422, QStringLiteral("replay"), why);
        const CommandResult started = replayer.start(plan);
        if (!started.ok)
            return error(422, QStringLiteral("replay"), started.error);
        detail = QStringLiteral("api: replay %1 messages to client %2").arg(plan.messages.size()).arg(clientId);
    }
    m_engine.recordOperatorAction(clientId, LogRecord::Kind::Text, detail);
    qCInfo(lcApi).noquote() << detail;
    GateDecision answer = ok(replayer.status().toJson());
    if (hasPath)
        answer.response.status = 202; // read on a worker thread: GET /api/replay says when it runs
    return answer;
}

GateDecision AdminApi::controlReplay(const QString &action)
{
    Replayer &replayer = m_engine.replayer();
    if (action == QLatin1String("stop"))
        replayer.stop();
    else if (action == QLatin1String("pause"))
        replayer.pause();
    else
        replayer.resume();
    return ok(replayer.status().toJson());
}

QJsonObject AdminApi::clientJson(const ClientInfo &info)
{
    QJsonObject client;
    client.insert(QStringLiteral("id"), static_cast<double>(info.id));
    client.insert(QStringLiteral("peer"), QStringLiteral("%1:%2").arg(info.peerAddress).arg(info.peerPort));
    client.insert(QStringLiteral("route"), info.route);
    client.insert(QStringLiteral("path"), info.path);
    client.insert(QStringLiteral("room"), nullable(info.room));
    client.insert(QStringLiteral("subprotocol"), nullable(info.subprotocol));
    client.insert(QStringLiteral("extensions"), nullable(info.extensions));
    client.insert(QStringLiteral("origin"), nullable(info.origin));
    client.insert(QStringLiteral("userAgent"), nullable(info.userAgent));
    client.insert(QStringLiteral("connectedAt"), isoTime(info.connectedAtMs));
    client.insert(QStringLiteral("messagesIn"), static_cast<double>(info.messagesIn));
    client.insert(QStringLiteral("messagesOut"), static_cast<double>(info.messagesOut));
    client.insert(QStringLiteral("bytesIn"), static_cast<double>(info.bytesIn));
    client.insert(QStringLiteral("bytesOut"), static_cast<double>(info.bytesOut));
    client.insert(QStringLiteral("wireBytesOut"), static_cast<double>(info.wireBytesOut));
    client.insert(QStringLiteral("bytesToWrite"), static_cast<double>(info.bytesToWrite));
    client.insert(QStringLiteral("messagesDropped"), static_cast<double>(info.messagesDropped));
    client.insert(QStringLiteral("lastRttMs"),
                  info.lastRttMs < 0 ? QJsonValue(QJsonValue::Null) : QJsonValue(static_cast<double>(info.lastRttMs)));
    client.insert(QStringLiteral("state"), ClientInfo::stateName(info.state));
    const bool closing = info.state != ClientInfo::State::Open;
    client.insert(QStringLiteral("closeCode"), closing ? QJsonValue(info.closeCode) : QJsonValue(QJsonValue::Null));
    client.insert(QStringLiteral("closeReason"), closing ? QJsonValue(info.closeReason) : QJsonValue(QJsonValue::Null));
    client.insert(QStringLiteral("closedBy"), nullable(ClientInfo::closedByName(info.closedBy)));
    client.insert(QStringLiteral("upstream"), nullable(info.upstreamUrl));
    client.insert(QStringLiteral("upstreamState"), nullable(info.upstreamState));
    return client;
}

// ---- reads ----

GateDecision AdminApi::getClients() const
{
    QJsonArray clients;
    for (const ClientInfo &info : m_engine.clients())
        clients.append(clientJson(info));
    return ok({{QStringLiteral("clients"), clients}});
}

GateDecision AdminApi::getClient(const QString &id) const
{
    bool numeric = false;
    const quint64 clientId = id.toULongLong(&numeric);
    if (numeric) {
        for (const ClientInfo &info : m_engine.clients()) {
            if (info.id == clientId)
                return ok(clientJson(info));
        }
    }
    return error(404, QStringLiteral("unknown-client"), QStringLiteral("no client %1").arg(id));
}

GateDecision AdminApi::getRoutes() const
{
    QHash<QString, int> open;
    for (const ClientInfo &info : m_engine.clients()) {
        if (info.state == ClientInfo::State::Open)
            ++open[info.route];
    }
    QJsonArray routes;
    for (const RouteSpec &spec : m_engine.config().routes.routes()) {
        QJsonObject route{{QStringLiteral("path"), spec.pattern},
                          {QStringLiteral("behaviour"), behaviourKindName(spec.behaviour)},
                          {QStringLiteral("subprotocols"), QJsonArray::fromStringList(spec.subprotocols)},
                          {QStringLiteral("clients"), open.value(spec.pattern)}};
        if (spec.behaviour == RouteBehaviourKind::Clock)
            route.insert(QStringLiteral("intervalMs"), spec.clockIntervalMs);
        if (const ScriptRuntime *script = m_engine.scriptRuntime(spec.pattern)) {
            route.insert(QStringLiteral("script"), script->fileName());
            route.insert(QStringLiteral("version"), script->version());
            route.insert(QStringLiteral("budgetMs"), script->limits().callBudgetMs);
            route.insert(QStringLiteral("heapMb"), script->limits().heapBytes >> 20);
            route.insert(QStringLiteral("lastError"), nullable(script->lastError()));
        }
        if (spec.behaviour == RouteBehaviourKind::Proxy) {
            route.insert(QStringLiteral("upstream"), spec.upstream);
            route.insert(QStringLiteral("holding"), holdingJson(m_engine.routeHolding(spec.pattern)));
        }
        routes.append(route);
    }
    return ok({{QStringLiteral("routes"), routes},
               {QStringLiteral("websocketBackend"), WebSocketBackends::name(m_engine.config().websocketBackend)}});
}

GateDecision AdminApi::getStats() const
{
    const EngineStats stats = m_engine.stats();
    return ok({{QStringLiteral("uptimeMs"), static_cast<double>(stats.uptimeMs)},
               {QStringLiteral("clientsOpen"), stats.clientsOpen},
               {QStringLiteral("connectionsAccepted"), static_cast<double>(stats.connectionsAccepted)},
               {QStringLiteral("requestsRefused"), static_cast<double>(stats.requestsRefused)},
               {QStringLiteral("messagesIn"), static_cast<double>(stats.messagesIn)},
               {QStringLiteral("messagesOut"), static_cast<double>(stats.messagesOut)},
               {QStringLiteral("bytesIn"), static_cast<double>(stats.bytesIn)},
               {QStringLiteral("bytesOut"), static_cast<double>(stats.bytesOut)}});
}

GateDecision AdminApi::getBans() const
{
    return ok({{QStringLiteral("banned"), QJsonArray::fromStringList(m_engine.bannedAddresses())}});
}

// ---- actions ----

bool AdminApi::openClientId(const QString &id, quint64 *clientId, GateDecision *refusal) const
{
    bool numeric = false;
    *clientId = id.toULongLong(&numeric);
    if (numeric) {
        for (const ClientInfo &info : m_engine.clients()) {
            if (info.id == *clientId && info.state == ClientInfo::State::Open)
                return true;
        }
    }
    *refusal = error(404, QStringLiteral("unknown-client"), QStringLiteral("no open client %1").arg(id));
    return false;
}

GateDecision AdminApi::send(const QString &id, const QJsonObject &body)
{
    quint64 clientId = 0;
    GateDecision refusal;
    if (!openClientId(id, &clientId, &refusal))
        return refusal;
    QString why = unknownKey(body, {QStringLiteral("text"), QStringLiteral("binary")});
    QByteArray payload;
    bool binary = false;
    if (!why.isEmpty() || !readPayload(body, &payload, &binary, &why))
        return error(400, QStringLiteral("message-payload"), why);
    const CommandResult result = m_engine.sendToClient(clientId, payload, binary);
    if (!result.ok)
        return error(404, QStringLiteral("unknown-client"), result.error);
    const QString detail = QStringLiteral("api: send %1 bytes of %2 to client %3")
                               .arg(payload.size())
                               .arg(binary ? QStringLiteral("binary") : QStringLiteral("text"))
                               .arg(clientId);
    m_engine.recordOperatorAction(clientId, binary ? LogRecord::Kind::Binary : LogRecord::Kind::Text, detail);
    qCInfo(lcApi).noquote() << detail;
    return ok({{QStringLiteral("sent"), result.affected}, {QStringLiteral("bytes"), payload.size()}});
}

GateDecision AdminApi::ping(const QString &id)
{
    quint64 clientId = 0;
    GateDecision refusal;
    if (!openClientId(id, &clientId, &refusal))
        return refusal;
    const CommandResult result = m_engine.ping(clientId);
    if (!result.ok)
        return error(404, QStringLiteral("unknown-client"), result.error);
    const QString detail = QStringLiteral("api: ping client %1").arg(clientId);
    m_engine.recordOperatorAction(clientId, LogRecord::Kind::Ping, detail);
    qCInfo(lcApi).noquote() << detail;
    return ok({{QStringLiteral("pinged"), result.affected}});
}

GateDecision AdminApi::closeOne(const QString &id, const QJsonObject &body)
{
    quint64 clientId = 0;
    GateDecision refusal;
    if (!openClientId(id, &clientId, &refusal))
        return refusal;
    const QString why = unknownKey(body, {QStringLiteral("code"), QStringLiteral("reason")});
    if (!why.isEmpty())
        return error(400, QStringLiteral("json-body"), why);
    CloseArguments close;
    QString rule;
    QString message;
    if (!readClose(body, &close, &rule, &message))
        return error(400, rule, message);
    const CommandResult result = m_engine.closeClients({clientId}, close.code, close.reason);
    if (!result.ok)
        return error(404, QStringLiteral("unknown-client"), result.error);
    const QString detail =
        QStringLiteral("api: close client %1 with %2 %3").arg(clientId).arg(close.code).arg(quoted(close.reason));
    m_engine.recordOperatorAction(clientId, LogRecord::Kind::Close, detail);
    qCInfo(lcApi).noquote() << detail;
    return ok({{QStringLiteral("closed"), result.affected}});
}

GateDecision AdminApi::closeMany(const QJsonObject &body)
{
    const QString why = unknownKey(body, {QStringLiteral("ids"), QStringLiteral("all"), QStringLiteral("code"),
                                          QStringLiteral("reason")});
    if (!why.isEmpty())
        return error(400, QStringLiteral("json-body"), why);
    const QJsonValue allValue = body.value(QStringLiteral("all"));
    if (!allValue.isUndefined() && !allValue.isBool())
        return error(400, QStringLiteral("close-targets"), QStringLiteral("\"all\" must be true or false"));
    const bool all = allValue.toBool(false);
    QList<quint64> requested;
    if (body.contains(QStringLiteral("ids"))) {
        const QJsonValue ids = body.value(QStringLiteral("ids"));
        bool valid = ids.isArray() && ids.toArray().size() <= 100000;
        for (const QJsonValue &id : ids.toArray()) {
            const double number = id.toDouble(-1);
            valid = valid && id.isDouble() && number >= 1 && number <= 9007199254740991.0
                    && number == static_cast<double>(static_cast<quint64>(number));
            if (valid)
                requested.append(static_cast<quint64>(number));
        }
        if (!valid)
            return error(400, QStringLiteral("close-targets"), QStringLiteral("\"ids\" must be an array of client ids"));
    }
    if (requested.isEmpty() && !all) {
        return error(400, QStringLiteral("close-targets"),
                     QStringLiteral("say which clients: \"ids\": [1, 2] and/or \"all\": true"));
    }
    CloseArguments close;
    QString rule;
    QString message;
    if (!readClose(body, &close, &rule, &message))
        return error(400, rule, message);

    QSet<quint64> open;
    for (const ClientInfo &info : m_engine.clients()) {
        if (info.state == ClientInfo::State::Open)
            open.insert(info.id);
    }
    QList<quint64> targets = all ? QList<quint64>(open.begin(), open.end()) : QList<quint64>();
    QJsonArray missing;
    for (quint64 id : requested) {
        if (!open.contains(id))
            missing.append(static_cast<double>(id));
        else if (!all && !targets.contains(id))
            targets.append(id);
    }
    std::sort(targets.begin(), targets.end());
    if (targets.isEmpty() && !missing.isEmpty()) {
        return error(404, QStringLiteral("unknown-client"),
                     QStringLiteral("none of the clients is open: %1")
                         .arg(QString::fromUtf8(QJsonDocument(missing).toJson(QJsonDocument::Compact))));
    }
    const CommandResult result = m_engine.closeClients(targets, close.code, close.reason);
    if (!result.ok)
        return error(404, QStringLiteral("unknown-client"), result.error);
    QJsonArray closedIds;
    QStringList idText;
    for (quint64 id : targets) {
        closedIds.append(static_cast<double>(id));
        idText.append(QString::number(id));
    }
    const QString detail = QStringLiteral("api: close %1 with %2 %3")
                               .arg(targets.isEmpty() ? QStringLiteral("no clients")
                                                      : QStringLiteral("clients ") + idText.join(QLatin1String(", ")),
                                    QString::number(close.code), quoted(close.reason));
    m_engine.recordOperatorAction(0, LogRecord::Kind::Close, detail);
    qCInfo(lcApi).noquote() << detail;
    return ok({{QStringLiteral("closed"), result.affected},
               {QStringLiteral("ids"), closedIds},
               {QStringLiteral("missing"), missing}});
}

GateDecision AdminApi::broadcast(const QJsonObject &body)
{
    QString why = unknownKey(body, {QStringLiteral("text"), QStringLiteral("binary"), QStringLiteral("route"),
                                    QStringLiteral("room")});
    QByteArray payload;
    bool binary = false;
    if (!why.isEmpty() || !readPayload(body, &payload, &binary, &why))
        return error(400, QStringLiteral("message-payload"), why);

    BroadcastTarget target = BroadcastTarget::everyone();
    const bool hasRoute = body.contains(QStringLiteral("route"));
    const bool hasRoom = body.contains(QStringLiteral("room"));
    if (hasRoute && hasRoom) {
        return error(400, QStringLiteral("broadcast-target"),
                     QStringLiteral("give \"route\" or \"room\", not both (neither: everyone)"));
    }
    if (hasRoute) {
        const QString route = body.value(QStringLiteral("route")).toString();
        QStringList patterns;
        for (const RouteSpec &spec : m_engine.config().routes.routes())
            patterns.append(spec.pattern);
        if (!body.value(QStringLiteral("route")).isString() || !patterns.contains(route)) {
            return error(400, QStringLiteral("broadcast-target"),
                         QStringLiteral("\"route\" must be one of the route patterns: %1")
                             .arg(patterns.join(QLatin1String(", "))));
        }
        target = BroadcastTarget::route(route);
    } else if (hasRoom) {
        const QString room = body.value(QStringLiteral("room")).toString();
        if (!body.value(QStringLiteral("room")).isString() || room.isEmpty())
            return error(400, QStringLiteral("broadcast-target"), QStringLiteral("\"room\" must be a room name"));
        target = BroadcastTarget::room(room);
    }
    const CommandResult result = m_engine.broadcast(target, payload, binary);
    if (!result.ok)
        return error(400, QStringLiteral("broadcast-target"), result.error);
    const QString detail = QStringLiteral("api: broadcast %1 bytes of %2 to %3, delivered to %4")
                               .arg(payload.size())
                               .arg(binary ? QStringLiteral("binary") : QStringLiteral("text"), target.describe())
                               .arg(result.affected);
    m_engine.recordOperatorAction(0, binary ? LogRecord::Kind::Binary : LogRecord::Kind::Text, detail);
    qCInfo(lcApi).noquote() << detail;
    return ok({{QStringLiteral("delivered"), result.affected}, {QStringLiteral("bytes"), payload.size()}});
}

GateDecision AdminApi::ban(const QJsonObject &body, bool banning)
{
    const QString why = unknownKey(body, {QStringLiteral("address")});
    if (!why.isEmpty())
        return error(400, QStringLiteral("json-body"), why);
    if (!body.value(QStringLiteral("address")).isString())
        return error(400, QStringLiteral("ban-address"), QStringLiteral("\"address\" must be an IP address string"));
    const QString address = body.value(QStringLiteral("address")).toString();
    const CommandResult result = banning ? m_engine.banAddress(address) : m_engine.unbanAddress(address);
    if (!result.ok)
        return error(banning ? 400 : 404, QStringLiteral("ban-address"), result.error);
    const QString detail = banning ? QStringLiteral("api: ban %1 (%2 clients closed)").arg(address).arg(result.affected)
                                   : QStringLiteral("api: unban %1").arg(address);
    m_engine.recordOperatorAction(0, LogRecord::Kind::Refused, detail);
    qCInfo(lcApi).noquote() << detail;
    return banning ? ok({{QStringLiteral("banned"), address}, {QStringLiteral("closed"), result.affected}})
                   : ok({{QStringLiteral("unbanned"), address}});
}

GateDecision AdminApi::reloadRoute(const QString &route, const QJsonObject &body)
{
    const QString why = unknownKey(body, {QStringLiteral("restartClients")});
    if (!why.isEmpty())
        return error(400, QStringLiteral("json-body"), why);
    if (body.contains(QStringLiteral("restartClients")) && !body.value(QStringLiteral("restartClients")).isBool())
        return error(400, QStringLiteral("json-body"), QStringLiteral("\"restartClients\" must be true or false"));
    if (!m_engine.scriptRuntime(route))
        return error(404, QStringLiteral("unknown-route"), QStringLiteral("%1 is not a script route").arg(route));
    const bool restart = body.value(QStringLiteral("restartClients")).toBool(false);
    const CommandResult result = m_engine.reloadScript(route, restart);
    if (!result.ok)
        return error(422, QStringLiteral("script-load"), result.error);
    const QString detail = QStringLiteral("api: reload %1 (version %2, %3 clients restarted)")
                               .arg(route).arg(m_engine.scriptRuntime(route)->version()).arg(result.affected);
    m_engine.recordOperatorAction(0, LogRecord::Kind::Script, detail);
    qCInfo(lcApi).noquote() << detail;
    return ok({{QStringLiteral("route"), route},
               {QStringLiteral("version"), m_engine.scriptRuntime(route)->version()},
               {QStringLiteral("restarted"), result.affected}});
}

// ---- proxy routes: hold, release, held messages, inject ----

namespace {

// "toUpstream", "toClient" or "both" (the default when absent) as ProxyHoldQueue bits; 0 when invalid.
int holdDirections(const QJsonObject &body)
{
    const QJsonValue value = body.value(QStringLiteral("direction"));
    if (value.isUndefined() || value.toString() == QLatin1String("both"))
        return ProxyHoldQueue::Both;
    if (value.toString() == QLatin1String("toUpstream"))
        return ProxyHoldQueue::ToUpstream;
    if (value.toString() == QLatin1String("toClient"))
        return ProxyHoldQueue::ToClient;
    return 0;
}

// A proxy command's refusal: the client is not proxied (409) or the held message is gone (404).
QString proxyRule(const CommandResult &result)
{
    return result.error.contains(QLatin1String("holds no message")) ? QStringLiteral("unknown-held")
                                                                    : QStringLiteral("not-proxied");
}

} // namespace

bool AdminApi::readHoldDirections(const QJsonObject &body, int *directions, GateDecision *refusal)
{
    const QString why = unknownKey(body, {QStringLiteral("direction")});
    *directions = why.isEmpty() ? holdDirections(body) : 0;
    if (*directions != 0)
        return true;
    *refusal = error(400, QStringLiteral("hold-direction"),
                     why.isEmpty() ? QStringLiteral("\"direction\" must be \"toUpstream\", \"toClient\" or \"both\"")
                                   : why);
    return false;
}

GateDecision AdminApi::hold(const QString &id, const QJsonObject &body, bool holding)
{
    quint64 clientId = 0;
    GateDecision refusal;
    if (!openClientId(id, &clientId, &refusal))
        return refusal;
    int directions = 0;
    if (!readHoldDirections(body, &directions, &refusal))
        return refusal;
    const CommandResult result = holding ? m_engine.proxyHold(clientId, directions)
                                         : m_engine.proxyRelease(clientId, directions);
    if (!result.ok)
        return error(409, QStringLiteral("not-proxied"), result.error);
    const QString detail = QStringLiteral("api: %1 %2 on client %3")
                               .arg(holding ? QStringLiteral("hold") : QStringLiteral("release"),
                                    ProxyHoldQueue::directionName(ProxyHoldQueue::Direction(directions)))
                               .arg(clientId);
    m_engine.recordOperatorAction(clientId, LogRecord::Kind::Text, detail);
    qCInfo(lcApi).noquote() << detail;
    return getHeld(id);
}

GateDecision AdminApi::holdRoute(const QString &route, const QJsonObject &body, bool holding)
{
    int directions = 0;
    GateDecision refusal;
    if (!readHoldDirections(body, &directions, &refusal))
        return refusal;
    const CommandResult result = holding ? m_engine.proxyHoldRoute(route, directions)
                                         : m_engine.proxyReleaseRoute(route, directions);
    if (!result.ok)
        return error(404, QStringLiteral("unknown-route"), result.error);
    const QString detail = QStringLiteral("api: %1 %2 on route %3 (%4 clients)")
                               .arg(holding ? QStringLiteral("hold") : QStringLiteral("release"),
                                    ProxyHoldQueue::directionName(ProxyHoldQueue::Direction(directions)), route)
                               .arg(result.affected);
    m_engine.recordOperatorAction(0, LogRecord::Kind::Text, detail);
    qCInfo(lcApi).noquote() << detail;
    return ok({{QStringLiteral("route"), route},
               {QStringLiteral("holding"), holdingJson(m_engine.routeHolding(route))},
               {QStringLiteral("clients"), result.affected}});
}

GateDecision AdminApi::forwardAllHeld(const QString &id)
{
    quint64 clientId = 0;
    GateDecision refusal;
    if (!openClientId(id, &clientId, &refusal))
        return refusal;
    const CommandResult result = m_engine.proxyForwardAllHeld(clientId);
    if (!result.ok)
        return error(409, QStringLiteral("not-proxied"), result.error);
    const QString detail = QStringLiteral("api: forward %1 held messages of client %2").arg(result.affected).arg(clientId);
    m_engine.recordOperatorAction(clientId, LogRecord::Kind::Text, detail);
    qCInfo(lcApi).noquote() << detail;
    return ok({{QStringLiteral("forwarded"), result.affected}});
}

GateDecision AdminApi::inject(const QString &id, const QJsonObject &body)
{
    quint64 clientId = 0;
    GateDecision refusal;
    if (!openClientId(id, &clientId, &refusal))
        return refusal;
    QString why = unknownKey(body, {QStringLiteral("to"), QStringLiteral("text"), QStringLiteral("binary")});
    const QString to = body.value(QStringLiteral("to")).toString();
    if (why.isEmpty() && to != QLatin1String("client") && to != QLatin1String("upstream"))
        why = QStringLiteral("\"to\" must be \"client\" or \"upstream\"");
    QByteArray payload;
    bool binary = false;
    if (!why.isEmpty() || !readPayload(body, &payload, &binary, &why))
        return error(400, QStringLiteral("message-payload"), why);
    const CommandResult result = m_engine.proxyInject(clientId, to == QLatin1String("upstream"), payload, binary);
    if (!result.ok)
        return error(409, QStringLiteral("not-proxied"), result.error);
    const QString detail = QStringLiteral("api: inject %1 bytes to the %2 of client %3").arg(payload.size()).arg(to).arg(clientId);
    m_engine.recordOperatorAction(clientId, binary ? LogRecord::Kind::Binary : LogRecord::Kind::Text, detail);
    qCInfo(lcApi).noquote() << detail;
    return ok({{QStringLiteral("injected"), result.affected}, {QStringLiteral("bytes"), payload.size()}});
}

GateDecision AdminApi::getHeld(const QString &id) const
{
    quint64 clientId = 0;
    GateDecision refusal;
    if (!openClientId(id, &clientId, &refusal))
        return refusal;
    const ProxyBehaviour *proxy = m_engine.proxyOf(clientId);
    if (!proxy)
        return error(409, QStringLiteral("not-proxied"), QStringLiteral("client %1 is not on a proxy route").arg(clientId));
    const ProxyHoldQueue &queue = proxy->held();
    QJsonArray messages;
    for (const ProxyHoldQueue::Held &held : queue.messages()) {
        QJsonObject message{{QStringLiteral("id"), static_cast<double>(held.id)},
                            {QStringLiteral("direction"), ProxyHoldQueue::directionName(held.direction)},
                            {QStringLiteral("size"), held.message.data.size()},
                            {QStringLiteral("heldAt"), isoTime(held.heldAtMs)}};
        if (held.message.binary)
            message.insert(QStringLiteral("binary"), QString::fromLatin1(held.message.data.toBase64()));
        else
            message.insert(QStringLiteral("text"), QString::fromUtf8(held.message.data));
        messages.append(message);
    }
    return ok({{QStringLiteral("holding"), holdingJson(queue.holding())},
               {QStringLiteral("messages"), messages},
               {QStringLiteral("bytes"), static_cast<double>(queue.bytes())},
               {QStringLiteral("overflowed"), static_cast<double>(queue.overflowed())}});
}

GateDecision AdminApi::actOnHeld(const Target &target, const QJsonObject &body, bool forward)
{
    quint64 clientId = 0;
    GateDecision refusal;
    if (!openClientId(target.clientId, &clientId, &refusal))
        return refusal;
    bool numeric = false;
    const quint64 heldId = target.heldId.toULongLong(&numeric);
    if (!numeric)
        return error(404, QStringLiteral("unknown-held"), QStringLiteral("no held message %1").arg(target.heldId));
    CommandResult result;
    if (forward) {
        // An edit replaces the payload: "text" or "binary" as in send; none forwards it as held.
        QString why = unknownKey(body, {QStringLiteral("text"), QStringLiteral("binary")});
        IncomingMessage edited;
        const bool editing = !body.isEmpty();
        if (!why.isEmpty() || (editing && !readPayload(body, &edited.data, &edited.binary, &why)))
            return error(400, QStringLiteral("message-payload"), why);
        if (editing && !edited.binary && !QByteArrayView(edited.data).isValidUtf8())
            return error(400, QStringLiteral("message-payload"), QStringLiteral("a text message must be UTF-8"));
        result = m_engine.proxyForwardHeld(clientId, heldId, editing ? &edited : nullptr);
    } else {
        result = m_engine.proxyDropHeld(clientId, heldId);
    }
    if (!result.ok) {
        const QString rule = proxyRule(result);
        return error(rule == QLatin1String("unknown-held") ? 404 : 409, rule, result.error);
    }
    const QString detail = QStringLiteral("api: %1 held message %2 of client %3")
                               .arg(forward ? QStringLiteral("forward") : QStringLiteral("drop"))
                               .arg(heldId)
                               .arg(clientId);
    m_engine.recordOperatorAction(clientId, LogRecord::Kind::Text, detail);
    qCInfo(lcApi).noquote() << detail;
    return ok({{forward ? QStringLiteral("forwarded") : QStringLiteral("dropped"), 1}});
}
