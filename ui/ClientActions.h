#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>

class EngineHost;

// What the dashboard does to clients through the engine: send, ping, and close with a chosen code.
// The last close code and reason are kept, so the close dialog offers them again. Each action says
// what it did in one line (done()), which the window shows in its status bar.
class ClientActions : public QObject
{
    Q_OBJECT
public:
    explicit ClientActions(EngineHost &host, QObject *parent = nullptr);

    void send(const QList<quint64> &clientIds, const QByteArray &payload, bool binary);
    void ping(const QList<quint64> &clientIds);
    // The code is validated by the engine (a refused code reaches EngineHost::commandFailed).
    void close(const QList<quint64> &clientIds, int code, const QString &reason);
    // Proxied clients: hold their messages (ProxyHoldQueue::Direction bits, both ways by default),
    // or forward what was held that way and stop holding. A client not on a proxy route is refused
    // by the engine (EngineHost::commandFailed).
    void hold(const QList<quint64> &clientIds, int directions = 3);
    void release(const QList<quint64> &clientIds, int directions = 3);
    // The same for every current and new client of a proxy route.
    void holdRoute(const QString &pattern, int directions);
    void releaseRoute(const QString &pattern, int directions);
    // One held message: forwarded as held, forwarded with a new payload, or dropped; or all of them
    // (holding goes on).
    void forwardHeld(quint64 clientId, quint64 heldId);
    void forwardEdited(quint64 clientId, quint64 heldId, const QByteArray &payload, bool binary);
    void dropHeld(quint64 clientId, quint64 heldId);
    void forwardAllHeld(quint64 clientId);
    // To the clients as if from their upstream, or to their upstream as if from them.
    void inject(const QList<quint64> &clientIds, bool toUpstream, const QByteArray &payload, bool binary);

    int lastCloseCode() const { return m_lastCloseCode; }
    QString lastCloseReason() const { return m_lastCloseReason; }
    // As saved by an earlier run.
    void setLastClose(int code, const QString &reason)
    {
        m_lastCloseCode = code;
        m_lastCloseReason = reason;
    }

Q_SIGNALS:
    void done(const QString &summary);

private:
    EngineHost &m_host;
    int m_lastCloseCode = 1000;
    QString m_lastCloseReason;
};
