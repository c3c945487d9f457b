#pragma once

#include <QByteArray>

// What a proxy route's onClientMessage / onUpstreamMessage decided for one message.
struct ScriptRelayVerdict
{
    enum class Action { Forward, Replace, Drop, Failed };
    Action action = Action::Forward;
    QByteArray data; // Replace: the message to forward instead
    bool binary = false;
};
