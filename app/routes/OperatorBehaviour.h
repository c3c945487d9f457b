#pragma once

#include "RouteBehaviour.h"

// /operator: messages are only recorded; the operator answers by hand from the dashboard or API.
class OperatorBehaviour : public RouteBehaviour
{
public:
    using RouteBehaviour::RouteBehaviour;
};
