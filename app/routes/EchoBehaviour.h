#pragma once

#include "RouteBehaviour.h"

// /ws: every message goes back to its sender unchanged, text as text and binary as binary.
class EchoBehaviour : public RouteBehaviour
{
public:
    using RouteBehaviour::RouteBehaviour;
    void onMessage(RouteClient &client, const IncomingMessage &message) override;
};
