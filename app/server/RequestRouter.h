#pragma once

#include "HttpGate.h"
#include "OriginPolicy.h"
#include "RouteTable.h"

#include <functional>

// Switchboard's answers to complete request heads: the browser client page and static files,
// /healthz, and the checks every WebSocket upgrade must pass before Qt sees it.
class RequestRouter : public HttpGate
{
public:
    RequestRouter(const RouteTable &routes, OriginPolicy origins, std::function<QByteArray()> healthJson);

    GateDecision decide(const HttpRequestHead &head, const QHostAddress &peer) override;
    OriginPolicy &originPolicy() { return m_origins; }

private:
    GateDecision decideUpgrade(const HttpRequestHead &head);
    GateDecision decidePlain(const HttpRequestHead &head);
    QString routeList() const;

    const RouteTable &m_routes;
    OriginPolicy m_origins;
    std::function<QByteArray()> m_healthJson;
};
