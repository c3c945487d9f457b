#pragma once

#include "RouteBehaviour.h"
#include "../script/ScriptRuntime.h"

// A script route: the client's lifecycle goes to the user's JavaScript handlers (onOpen,
// onMessage, onClose, onError) in the route's ScriptRuntime, which sends through the engine.
class ScriptBehaviour : public RouteBehaviour
{
public:
    ScriptBehaviour(RouteHost &host, ScriptRuntime &runtime, ScriptConnection connection);
    void onOpen(RouteClient &client) override;
    void onMessage(RouteClient &client, const IncomingMessage &message) override;
    void onClose(RouteClient &client) override;
    void onError(RouteClient &client, const QString &error) override;

private:
    ScriptRuntime &m_runtime;
    ScriptConnection m_connection;
};
