#pragma once

#include "RouteBehaviour.h"

// /chat/<room>: every message goes to every client in the same room, the sender included.
class ChatBehaviour : public RouteBehaviour
{
public:
    ChatBehaviour(RouteHost &host, QString room);
    void onOpen(RouteClient &client) override;
    void onMessage(RouteClient &client, const IncomingMessage &message) override;
    void onClose(RouteClient &client) override;

private:
    QString m_room;
};
