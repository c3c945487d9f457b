#include "NetworkExposure.h"

#include <QHostAddress>
#include <QNetworkInterface>

namespace {

bool isAny(const QHostAddress &address)
{
    return address == QHostAddress::Any || address == QHostAddress::AnyIPv4 || address == QHostAddress::AnyIPv6;
}

} // namespace

QString NetworkExposure::warning(const QString &host)
{
    const QHostAddress address(host);
    if (host == QLatin1String("localhost") || address.isNull() || address.isLoopback())
        return {};
    return isAny(address)
               ? QStringLiteral("Listening on %1: every machine on the network can connect.").arg(host)
               : QStringLiteral("Listening on %1: every machine that can reach this address can connect.").arg(host);
}

QStringList NetworkExposure::reachableUrls(const QUrl &url)
{
    if (!isAny(QHostAddress(url.host())))
        return {url.toString()};
    QStringList urls;
    for (const QHostAddress &address : QNetworkInterface::allAddresses()) {
        if (address.protocol() != QAbstractSocket::IPv4Protocol)
            continue;
        QUrl reachable = url;
        reachable.setHost(address.toString());
        urls.append(reachable.toString());
    }
    return urls;
}
