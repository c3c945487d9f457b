#include "HttpGate.h"

GateDecision GateDecision::refuse(int status, const QString &why)
{
    GateDecision decision;
    decision.action = Action::Respond;
    decision.response = HttpResponse::text(status, why.toUtf8());
    decision.refusal = why;
    return decision;
}
