#include "EchoBehaviour.h"

void EchoBehaviour::onMessage(RouteClient &client, const IncomingMessage &message)
{
    host().sendToClient(client, message);
}
