#include "ClockBehaviour.h"

#include "../ClientSession.h"

#include <QDateTime>

ClockBehaviour::ClockBehaviour(RouteHost &host, int intervalMs) : RouteBehaviour(host)
{
    m_timer.setInterval(intervalMs);
    m_timer.setTimerType(Qt::PreciseTimer);
}

void ClockBehaviour::onOpen(ClientSession &session)
{
    QObject::connect(&m_timer, &QTimer::timeout, &session, [this, &session] {
        IncomingMessage tick;
        tick.data = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toUtf8();
        host().sendToClient(&session, tick);
    });
    m_timer.start();
}

void ClockBehaviour::onClose(ClientSession &session)
{
    (void)session;
    m_timer.stop();
}
