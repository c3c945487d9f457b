#include "OriginPolicy.h"

#include <QHostAddress>

OriginPolicy::OriginPolicy(QStringList allowList, QString boundHost, quint16 port)
    : m_allowList(std::move(allowList)), m_boundHost(std::move(boundHost)), m_port(port)
{
}

QStringList OriginPolicy::ownOrigins() const
{
    QStringList hosts{QStringLiteral("127.0.0.1"), QStringLiteral("localhost"), QStringLiteral("[::1]")};
    const QHostAddress bound(m_boundHost);
    if (!bound.isNull() && !bound.isLoopback() && bound != QHostAddress::Any
        && bound != QHostAddress::AnyIPv4 && bound != QHostAddress::AnyIPv6) {
        hosts.append(bound.protocol() == QAbstractSocket::IPv6Protocol
                         ? QLatin1Char('[') + bound.toString() + QLatin1Char(']')
                         : bound.toString());
    }
    QStringList origins;
    for (const QString &host : hosts) {
        for (const char *scheme : {"http", "https"})
            origins.append(QStringLiteral("%1://%2:%3").arg(QLatin1String(scheme), host).arg(m_port));
    }
    return origins;
}

bool OriginPolicy::allows(const QString &origin) const
{
    if (origin.isEmpty())
        return true;
    // An origin is scheme, host and port: scheme and host are case-insensitive (RFC 6454 §4).
    if (m_allowList.contains(QStringLiteral("*")) || m_allowList.contains(origin, Qt::CaseInsensitive))
        return true;
    return ownOrigins().contains(origin.toLower());
}
