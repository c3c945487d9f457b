#include "ScriptBehaviour.h"

#include "../websocket/CloseCode.h"

ScriptBehaviour::ScriptBehaviour(RouteHost &host, ScriptRuntime &runtime, ScriptConnection connection)
    : RouteBehaviour(host), m_runtime(runtime), m_connection(std::move(connection))
{
}

void ScriptBehaviour::onOpen(RouteClient &client)
{
    m_connection.id = client.id();
    m_runtime.open(m_connection);
}

void ScriptBehaviour::onMessage(RouteClient &client, const IncomingMessage &message)
{
    m_runtime.message(client.id(), message.data, message.binary);
}

void ScriptBehaviour::onClose(RouteClient &client)
{
    const int code = client.closeCode();
    m_runtime.closed(client.id(), code, client.closeReason(), code != CloseCode::AbnormalClosure);
}

void ScriptBehaviour::onError(RouteClient &client, const QString &error)
{
    m_runtime.error(client.id(), error);
}
