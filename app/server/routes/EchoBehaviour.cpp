#include "EchoBehaviour.h"

void EchoBehaviour::onMessage(ClientSession &session, const IncomingMessage &message)
{
    host().sendToClient(&session, message);
}
