#pragma once

#include "RouteBehaviour.h"

#include <QTimer>

// /clock: the server pushes the current ISO-8601 time every interval until the client goes.
class ClockBehaviour : public RouteBehaviour
{
public:
    ClockBehaviour(RouteHost &host, int intervalMs);
    void onOpen(RouteClient &client) override;
    void onClose(RouteClient &client) override;

    static constexpr int kMinIntervalMs = 10;
    static constexpr int kMaxIntervalMs = 60000;

private:
    QTimer m_timer;
};
