#include "ChatBehaviour.h"

ChatBehaviour::ChatBehaviour(RouteHost &host, QString room)
    : RouteBehaviour(host), m_room(std::move(room))
{
}

void ChatBehaviour::onOpen(ClientSession &session)
{
    host().joinRoom(&session, m_room);
}

void ChatBehaviour::onMessage(ClientSession &session, const IncomingMessage &message)
{
    (void)session;
    host().broadcastToRoom(m_room, message);
}

void ChatBehaviour::onClose(ClientSession &session)
{
    host().leaveRoom(&session);
}
