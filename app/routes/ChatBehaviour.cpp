#include "ChatBehaviour.h"

ChatBehaviour::ChatBehaviour(RouteHost &host, QString room)
    : RouteBehaviour(host), m_room(std::move(room))
{
}

void ChatBehaviour::onOpen(RouteClient &client)
{
    host().joinRoom(client, m_room);
}

void ChatBehaviour::onMessage(RouteClient &client, const IncomingMessage &message)
{
    (void)client;
    host().broadcastToRoom(m_room, message);
}

void ChatBehaviour::onClose(RouteClient &client)
{
    host().leaveRoom(client);
}
