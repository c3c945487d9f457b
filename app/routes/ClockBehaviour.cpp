#include "ClockBehaviour.h"

#include <QDateTime>

ClockBehaviour::ClockBehaviour(RouteHost &host, int intervalMs) : RouteBehaviour(host)
{
    m_timer.setInterval(intervalMs);
    m_timer.setTimerType(Qt::PreciseTimer);
}

void ClockBehaviour::onOpen(RouteClient &client)
{
    QObject::connect(&m_timer, &QTimer::timeout, client.lifetime(), [this, &client] {
        IncomingMessage tick;
        tick.data = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toUtf8();
        host().sendToClient(client, tick);
    });
    m_timer.start();
}

void ClockBehaviour::onClose(RouteClient &client)
{
    (void)client;
    m_timer.stop();
}
