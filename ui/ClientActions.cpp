#include "ClientActions.h"

#include "UiText.h"
#include "model/ClientTableModel.h"
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

void ClientActions::hold(const QList<quint64> &clientIds)
{
    for (quint64 id : clientIds)
        m_host.proxyHold(id, ProxyHoldQueue::Both);
    Q_EMIT done(tr("Holding the messages of %1").arg(countOf(clientIds.size(), tr("client"), tr("clients"))));
}

void ClientActions::release(const QList<quint64> &clientIds)
{
    for (quint64 id : clientIds)
        m_host.proxyRelease(id, ProxyHoldQueue::Both);
    Q_EMIT done(tr("Released the held messages of %1").arg(countOf(clientIds.size(), tr("client"), tr("clients"))));
}

void ClientActions::close(const QList<quint64> &clientIds, int code, const QString &reason)
{
    m_lastCloseCode = code;
    m_lastCloseReason = reason;
    m_host.closeClients(clientIds, code, reason);
    Q_EMIT done(tr("Closing %1 with %2").arg(countOf(clientIds.size(), tr("client"), tr("clients"))).arg(code));
}
