#pragma once

#include "Admission.h"
#include "../http/HttpGate.h"
#include "OriginPolicy.h"
#include "RouteTable.h"

#include <functional>

class AdminApi;

// Switchboard's answers to complete request heads: the browser client page and static files,
// /healthz, /metrics, the admin API (delegated), and the checks every WebSocket upgrade must pass
// before Qt sees it.
class RequestRouter : public HttpGate
{
public:
    RequestRouter(const RouteTable &routes, OriginPolicy origins, Admission &admission, QString token,
                  std::function<QByteArray()> healthJson);

    // The token a WebSocket request presents: ?token=, Authorization: Bearer, or the cookie
    // switchboard_token (browsers cannot set headers on a WebSocket).
    static QByteArray presentedToken(const HttpRequestHead &head);
    // The request target with the token's value replaced, for logs and the dashboard.
    static QString redactedTarget(const HttpRequestHead &head);

    GateDecision decide(const HttpRequestHead &head, const QHostAddress &peer) override;
    int maxBodyBytes(const HttpRequestHead &head) const override;
    Arrival connectionArrived(const QHostAddress &peer) override;
    void connectionSettled(const QHostAddress &peer) override;
    GateDecision decideWithBody(const HttpRequestHead &head, const RequestBody &body,
                                const QHostAddress &peer) override;
    OriginPolicy &originPolicy() { return m_origins; }
    // /api/* goes to the admin API when one is set (it lives as long as this router).
    void setAdminApi(AdminApi *api) { m_adminApi = api; }
    // false (--no-deflate): no upgrade negotiates permessage-deflate, whatever its route says.
    void setDeflate(bool enabled) { m_deflate = enabled; }
    // GET /metrics answers this text (Prometheus exposition format) when set.
    void setMetricsText(std::function<QByteArray()> metricsText) { m_metricsText = std::move(metricsText); }
    // Asked last about an upgrade every other check passed (a script route's onUpgrade): false
    // refuses it with *status and *body.
    using UpgradeCheck = std::function<bool(int routeIndex, const HttpRequestHead &head, int *status, QString *body)>;
    void setUpgradeCheck(UpgradeCheck check) { m_upgradeCheck = std::move(check); }
    // Proxy routes: an upgrade that passed every check is handed here and answered later (the
    // engine dials the upstream first); the hook returns the GateDecision::defer to give.
    using UpgradeDeferral = std::function<GateDecision(const GateDecision &upgrade, const HttpRequestHead &head)>;
    void setProxyDeferral(UpgradeDeferral deferral) { m_proxyDeferral = std::move(deferral); }

private:
    GateDecision decideUpgrade(const HttpRequestHead &head, const QHostAddress &peer);
    GateDecision decidePlain(const HttpRequestHead &head);
    QString routeList() const;

    const RouteTable &m_routes;
    OriginPolicy m_origins;
    Admission &m_admission; // counts connections still sending their head too
    QByteArray m_token;
    std::function<QByteArray()> m_healthJson;
    AdminApi *m_adminApi = nullptr;
    std::function<QByteArray()> m_metricsText;
    bool m_deflate = true;
    UpgradeCheck m_upgradeCheck;
    UpgradeDeferral m_proxyDeferral;
};
