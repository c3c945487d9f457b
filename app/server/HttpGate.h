#pragma once

#include "HttpResponse.h"

#include <QHostAddress>

struct HttpRequestHead;

// What the front door does with a complete request head.
struct GateDecision
{
    enum class Action { Respond, Upgrade };
    Action action = Action::Respond;
    HttpResponse response; // Respond: the answer to write before closing
    int routeIndex = -1;   // Upgrade: which route's QWebSocketServer takes the socket
    QString refusal;       // Respond with status >= 400: why, for the log

    static GateDecision respond(HttpResponse response) { return {Action::Respond, std::move(response), -1, {}}; }
    static GateDecision refuse(int status, const QString &why);
    static GateDecision upgrade(int routeIndex) { return {Action::Upgrade, {}, routeIndex, {}}; }
};

// Decides, for a well-formed request head, between an HTTP answer and a WebSocket upgrade.
class HttpGate
{
public:
    virtual ~HttpGate() = default;
    virtual GateDecision decide(const HttpRequestHead &head, const QHostAddress &peer) = 0;
};
