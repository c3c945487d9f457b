#pragma once

#include "Admission.h"
#include "HttpGate.h"
#include "OriginPolicy.h"
#include "RouteTable.h"

#include <functional>

// Switchboard's answers to complete request heads: the browser client page and static files,
// /healthz, and the checks every WebSocket upgrade must pass before Qt sees it.
class RequestRouter : public HttpGate
{
public:
    RequestRouter(const RouteTable &routes, OriginPolicy origins, const Admission &admission, QString token,
                  std::function<QByteArray()> healthJson);

    // The token a WebSocket request presents: ?token=, Authorization: Bearer, or the cookie
    // switchboard_token (browsers cannot set headers on a WebSocket).
    static QByteArray presentedToken(const HttpRequestHead &head);
    // The request target with the token's value replaced, for logs and the dashboard.
    static QString redactedTarget(const HttpRequestHead &head);

    GateDecision decide(const HttpRequestHead &head, const QHostAddress &peer) override;
    OriginPolicy &originPolicy() { return m_origins; }

private:
    GateDecision decideUpgrade(const HttpRequestHead &head, const QHostAddress &peer);
    GateDecision decidePlain(const HttpRequestHead &head);
    QString routeList() const;

    const RouteTable &m_routes;
    OriginPolicy m_origins;
    const Admission &m_admission;
    QByteArray m_token;
    std::function<QByteArray()> m_healthJson;
};
