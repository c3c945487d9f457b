#pragma once

#include "HttpResponse.h"
#include "../websocket/DeflateNegotiation.h"

#include <QHostAddress>
#include <QString>
#include <functional>
#include <memory>

struct HttpRequestHead;
class PendingAnswer;

// What the front door does with a complete request head.
struct GateDecision
{
    // Stream: the front door writes the response head (no length), hands the socket on with
    // streamOpened() and keeps writing nothing itself (GET /api/events).
    // Defer: the gate answers later, through the PendingAnswer the front door hands to `deferred`.
    enum class Action { Respond, Upgrade, Stream, Defer };
    Action action = Action::Respond;
    HttpResponse response; // Respond: the answer to write before closing
    int routeIndex = -1;   // Upgrade, Stream: the gate's own tag for the route, handed back with the connection
    QString refusal;       // Respond with status >= 400: why, for the log
    QString subprotocol;   // Upgrade: the subprotocol to answer with (empty: none)
    std::optional<DeflateParameters> deflate; // Upgrade: permessage-deflate as agreed (none: not negotiated)
    int deflateThresholdBytes = 0;            // Upgrade: smaller outgoing messages go uncompressed
    std::function<void(PendingAnswer *)> deferred; // Defer: called once the front door holds the socket
    // Upgrade: the gate's own data for this client (a proxy route's dialed upstream), handed back with
    // the connection however long the backend takes to upgrade it; released with it when it never is.
    std::shared_ptr<void> context;

    static GateDecision respond(HttpResponse response)
    {
        return {Action::Respond, std::move(response), -1, {}, {}, std::nullopt, 0, {}, {}};
    }
    static GateDecision refuse(int status, const QString &why);
    static GateDecision stream(int tag, const QByteArray &contentType)
    {
        GateDecision decision{Action::Stream, {}, tag, {}, {}, std::nullopt, 0, {}, {}};
        decision.response.contentType = contentType;
        return decision;
    }
    static GateDecision upgrade(int routeIndex, QString subprotocol)
    {
        return {Action::Upgrade, {}, routeIndex, {}, std::move(subprotocol), std::nullopt, 0, {}, {}};
    }
    static GateDecision defer(std::function<void(PendingAnswer *)> deferred)
    {
        GateDecision decision;
        decision.action = Action::Defer;
        decision.deferred = std::move(deferred);
        return decision;
    }
};

// The body of a request whose head the gate asked a body for, as the front door read it.
struct RequestBody
{
    QByteArray bytes;     // exactly Content-Length bytes when errorStatus is 0
    int errorStatus = 0;  // else why no body: 400 bad Content-Length, 408 too slow, 411 none/chunked, 413 too large
    QString error;
};

// Decides, for a well-formed request head, between an HTTP answer and a WebSocket upgrade.
class HttpGate
{
public:
    virtual ~HttpGate() = default;
    virtual GateDecision decide(const HttpRequestHead &head, const QHostAddress &peer) = 0;

    // A connection arrived, before its head is read. A status (>= 400) refuses it at once; otherwise
    // the gate may count it against its caps until connectionSettled(): its head was read (called
    // before decide()) or it went away first.
    struct Arrival
    {
        int status = 0;
        QString why;
    };
    virtual Arrival connectionArrived(const QHostAddress &peer)
    {
        (void)peer;
        return {};
    }
    virtual void connectionSettled(const QHostAddress &peer) { (void)peer; }

    // Requests that carry a body the gate needs (the admin API's POSTs): the largest body it takes,
    // or 0 to decide on the head alone. When > 0 the front door reads the body (bounded in size and
    // by the head timeout) and calls decideWithBody() instead of decide().
    virtual int maxBodyBytes(const HttpRequestHead &head) const
    {
        (void)head;
        return 0;
    }
    virtual GateDecision decideWithBody(const HttpRequestHead &head, const RequestBody &body, const QHostAddress &peer);
};
