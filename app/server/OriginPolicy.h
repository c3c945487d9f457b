#pragma once

#include <QString>
#include <QStringList>

// Which browser Origins may open WebSockets (cross-site WebSocket hijacking defence).
// Clients that send no Origin (not browsers) and the server's own origins are always allowed;
// any other Origin must be on the allow-list ("*" only when given explicitly).
class OriginPolicy
{
public:
    OriginPolicy() = default;
    OriginPolicy(QStringList allowList, QString boundHost, quint16 port);

    void setPort(quint16 port) { m_port = port; }
    bool allows(const QString &origin) const;
    QStringList ownOrigins() const;

private:
    QStringList m_allowList;
    QString m_boundHost;
    quint16 m_port = 0;
};
