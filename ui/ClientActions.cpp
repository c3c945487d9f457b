#include "ClientActions.h"

#include "UiText.h"
#include "model/ClientTableModel.h"
#include "model/HeldMessageModel.h"
#include "routes/ProxyHoldQueue.h"
#include "server/EngineHost.h"

ClientActions::ClientActions(EngineHost &host, QObject *parent) : QObject(parent), m_host(host)
{
}

void ClientActions::send(const QList<quint64> &clientIds, const QByteArray &payload, bool binary)
{
    for (quint64 id : clientIds)
        m_host.sendToClient(id, payload, binary);
    Q_EMIT done(tr("Sent %1 to %2")
                    .arg(ClientTableModel::formatBytes(payload.size()),
                         countOf(clientIds.size(), tr("client"), tr("clients"))));
}

void ClientActions::ping(const QList<quint64> &clientIds)
{
    for (quint64 id : clientIds)
        m_host.ping(id);
    Q_EMIT done(tr("Pinged %1").arg(countOf(clientIds.size(), tr("client"), tr("clients"))));
}

void ClientActions::hold(const QList<quint64> &clientIds, int directions)
{
    for (quint64 id : clientIds)
        m_host.proxyHold(id, directions);
    Q_EMIT done(directions == ProxyHoldQueue::Both
                    ? tr("Holding the messages of %1").arg(countOf(clientIds.size(), tr("client"), tr("clients")))
                    : tr("Holding %1 of %2")
                          .arg(HeldMessageModel::directionText(directions),
                               countOf(clientIds.size(), tr("client"), tr("clients"))));
}

void ClientActions::release(const QList<quint64> &clientIds, int directions)
{
    for (quint64 id : clientIds)
        m_host.proxyRelease(id, directions);
    Q_EMIT done(directions == ProxyHoldQueue::Both
                    ? tr("Released the held messages of %1").arg(countOf(clientIds.size(), tr("client"), tr("clients")))
                    : tr("Released %1 of %2")
                          .arg(HeldMessageModel::directionText(directions),
                               countOf(clientIds.size(), tr("client"), tr("clients"))));
}

void ClientActions::holdRoute(const QString &pattern, int directions)
{
    m_host.proxyHoldRoute(pattern, directions);
    Q_EMIT done(tr("Holding %1 of every client of %2").arg(HeldMessageModel::directionText(directions), pattern));
}

void ClientActions::releaseRoute(const QString &pattern, int directions)
{
    m_host.proxyReleaseRoute(pattern, directions);
    Q_EMIT done(tr("Released %1 of every client of %2").arg(HeldMessageModel::directionText(directions), pattern));
}

void ClientActions::forwardHeld(quint64 clientId, quint64 heldId)
{
    m_host.proxyForwardHeld(clientId, heldId);
    Q_EMIT done(tr("Forwarded held message %1 of client %2").arg(heldId).arg(clientId));
}

void ClientActions::forwardEdited(quint64 clientId, quint64 heldId, const QByteArray &payload, bool binary)
{
    m_host.proxyForwardEdited(clientId, heldId, payload, binary);
    Q_EMIT done(tr("Forwarded held message %1 of client %2, edited (%3)")
                    .arg(heldId)
                    .arg(clientId)
                    .arg(ClientTableModel::formatBytes(payload.size())));
}

void ClientActions::dropHeld(quint64 clientId, quint64 heldId)
{
    m_host.proxyDropHeld(clientId, heldId);
    Q_EMIT done(tr("Dropped held message %1 of client %2").arg(heldId).arg(clientId));
}

void ClientActions::forwardAllHeld(quint64 clientId)
{
    m_host.proxyForwardAllHeld(clientId);
    Q_EMIT done(tr("Forwarded every held message of client %1").arg(clientId));
}

void ClientActions::inject(const QList<quint64> &clientIds, bool toUpstream, const QByteArray &payload, bool binary)
{
    for (quint64 id : clientIds)
        m_host.proxyInject(id, toUpstream, payload, binary);
    const QString who = countOf(clientIds.size(), tr("client"), tr("clients"));
    Q_EMIT done(toUpstream ? tr("Injected %1 to the upstream of %2, as if from the client")
                                 .arg(ClientTableModel::formatBytes(payload.size()), who)
                           : tr("Injected %1 to %2, as if from the upstream")
                                 .arg(ClientTableModel::formatBytes(payload.size()), who));
}

void ClientActions::close(const QList<quint64> &clientIds, int code, const QString &reason)
{
    m_lastCloseCode = code;
    m_lastCloseReason = reason;
    m_host.closeClients(clientIds, code, reason);
    Q_EMIT done(tr("Closing %1 with %2").arg(countOf(clientIds.size(), tr("client"), tr("clients"))).arg(code));
}
