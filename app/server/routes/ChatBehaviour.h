#pragma once

#include "../RouteBehaviour.h"

// /chat/<room>: every message goes to every client in the same room, the sender included.
class ChatBehaviour : public RouteBehaviour
{
public:
    ChatBehaviour(RouteHost &host, QString room);
    void onOpen(ClientSession &session) override;
    void onMessage(ClientSession &session, const IncomingMessage &message) override;
    void onClose(ClientSession &session) override;

private:
    QString m_room;
};
