#pragma once

#include "../http/HttpGate.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <optional>

class Engine;
class OriginPolicy;
struct ClientInfo;
struct HttpRequestHead;

// The admin HTTP API under /api/: the dashboard's operator actions as JSON over HTTP on the same
// port. It runs on the engine's thread and calls the same Engine command methods the dashboard
// does, so validation and logging are shared. Off unless an admin token is configured; then every
// request needs "Authorization: Bearer TOKEN", and browsers on foreign Origins are always refused.
class AdminApi
{
public:
    static constexpr int kMaxBodyBytes = 64 * 1024;
    // POST /api/replay may carry the records themselves.
    static constexpr int kMaxReplayBodyBytes = 16 * 1024 * 1024;
    // The tag of GET /api/events streams and /api/events WebSocket upgrades (not a route index).
    static constexpr int kEventStreamTag = -2;

    AdminApi(Engine &engine, const OriginPolicy &origins, const QString &token);

    static bool isApiPath(const QString &path);
    // The one WebSocket the admin API serves; other upgrades under /api/ belong to the routes.
    static bool isEventStreamPath(const QString &path);

    // How large a body this request may carry: > 0 only for an authorised POST to an endpoint
    // that takes one, so a refused request never makes the front door wait for its body.
    int maxBodyBytes(const HttpRequestHead &head) const;
    GateDecision handle(const HttpRequestHead &head, const RequestBody &body);
    // A WebSocket upgrade under /api/ (the version and key already checked): /api/events only.
    GateDecision decideUpgrade(const HttpRequestHead &head);

    static QJsonObject clientJson(const ClientInfo &info);

private:
    enum class Endpoint {
        None,
        Clients,      // GET  /api/clients
        Client,       // GET  /api/clients/{id}
        ClientSend,   // POST /api/clients/{id}/send
        ClientPing,   // POST /api/clients/{id}/ping
        ClientClose,  // POST /api/clients/{id}/close
        Routes,       // GET  /api/routes
        Stats,        // GET  /api/stats
        Broadcast,    // POST /api/broadcast
        CloseMany,    // POST /api/close
        Bans,         // GET  /api/bans
        Cluster,      // GET  /api/cluster
        Ban,          // POST /api/ban
        Unban,        // POST /api/unban
        RouteReload,  // POST /api/routes/{path}/reload (script routes)
        ClientHold,    // POST /api/clients/{id}/hold (proxy routes, AdminApiProxy.cpp)
        ClientRelease, // POST /api/clients/{id}/release
        ClientInject,  // POST /api/clients/{id}/inject
        ClientHeld,    // GET  /api/clients/{id}/held
        HeldForward,   // POST /api/clients/{id}/held/{heldId}/forward
        HeldDrop,      // POST /api/clients/{id}/held/{heldId}/drop
        HeldForwardAll, // POST /api/clients/{id}/held/forward
        RouteHold,     // POST /api/routes/{path}/hold (proxy routes)
        RouteRelease,  // POST /api/routes/{path}/release
        Events,       // GET  /api/events (Server-Sent Events; a WebSocket upgrade too)
        Log,          // GET  /api/log
        Replay,       // GET  /api/replay (progress)
        ReplayStart,  // POST /api/replay
        ReplayControl, // POST /api/replay/stop|pause|resume
    };
    struct Target
    {
        Endpoint endpoint = Endpoint::None;
        QString clientId; // as written in the path
        QString route; // RouteReload: the route pattern, percent-decoded; ReplayControl: stop, pause or resume
        bool post = false;
        QString heldId; // HeldForward, HeldDrop: as written in the path
    };
    static Target match(const QString &path);
    // The refusal for a request that may not use the API at all (origin, token), if any.
    std::optional<GateDecision> checkAccess(const HttpRequestHead &head) const;
    bool tokenMatches(const QByteArray &presented) const;

    GateDecision getClients() const;
    GateDecision getClient(const QString &id) const;
    GateDecision getRoutes() const;
    GateDecision getStats() const;
    GateDecision getBans() const;
    GateDecision send(const QString &id, const QJsonObject &body);
    GateDecision ping(const QString &id);
    GateDecision closeOne(const QString &id, const QJsonObject &body);
    GateDecision closeMany(const QJsonObject &body);
    GateDecision broadcast(const QJsonObject &body);
    GateDecision ban(const QJsonObject &body, bool banning);
    GateDecision reloadRoute(const QString &route, const QJsonObject &body);
    GateDecision hold(const QString &id, const QJsonObject &body, bool holding);
    GateDecision holdRoute(const QString &route, const QJsonObject &body, bool holding);
    // The "direction" of a hold or release body as ProxyHoldQueue bits; false with the 400 when invalid.
    static bool readHoldDirections(const QJsonObject &body, int *directions, GateDecision *refusal);
    GateDecision forwardAllHeld(const QString &id);
    GateDecision inject(const QString &id, const QJsonObject &body);
    GateDecision getHeld(const QString &id) const;
    GateDecision actOnHeld(const Target &target, const QJsonObject &body, bool forward);
    GateDecision events(const HttpRequestHead &head, bool upgrade);
    GateDecision getLog(const HttpRequestHead &head) const;
    GateDecision startReplay(const QJsonObject &body);
    GateDecision controlReplay(const QString &action);

    // Finds an open client by the id in the path; on failure *refusal holds the 404.
    bool openClientId(const QString &id, quint64 *clientId, GateDecision *refusal) const;

    static GateDecision ok(const QJsonObject &object);
    static GateDecision error(int status, const QString &rule, const QString &message);

    Engine &m_engine;
    const OriginPolicy &m_origins;
    QByteArray m_tokenDigest; // SHA-256 of the token; empty when the API is off
};
