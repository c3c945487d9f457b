#include "HttpGate.h"

GateDecision GateDecision::refuse(int status, const QString &why)
{
    GateDecision decision;
    decision.action = Action::Respond;
    decision.response = HttpResponse::text(status, why.toUtf8());
    decision.refusal = why;
    return decision;
}

GateDecision HttpGate::decideWithBody(const HttpRequestHead &head, const RequestBody &body, const QHostAddress &peer)
{
    if (body.errorStatus != 0)
        return GateDecision::refuse(body.errorStatus, body.error);
    return decide(head, peer);
}
