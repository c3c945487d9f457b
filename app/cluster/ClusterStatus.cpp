#include "ClusterStatus.h"

#include <QJsonArray>

QJsonObject ClusterStatus::toJson() const
{
    if (!enabled)
        return {{QStringLiteral("enabled"), false}};
    QJsonArray list;
    for (const ClusterInstance &instance : instances) {
        list.append(QJsonObject{{QStringLiteral("id"), instance.id},
                                {QStringLiteral("address"), instance.address},
                                {QStringLiteral("clients"), instance.clients},
                                {QStringLiteral("self"), instance.self}});
    }
    return {{QStringLiteral("enabled"), true},
            {QStringLiteral("name"), name},
            {QStringLiteral("redis"), redis},
            {QStringLiteral("instanceId"), instanceId},
            {QStringLiteral("link"), linkUp ? QStringLiteral("up") : QStringLiteral("down")},
            {QStringLiteral("lastError"), lastError.isEmpty() ? QJsonValue() : QJsonValue(lastError)},
            {QStringLiteral("instances"), list},
            {QStringLiteral("published"), static_cast<double>(published)},
            {QStringLiteral("received"), static_cast<double>(received)},
            {QStringLiteral("droppedLinkDown"), static_cast<double>(droppedLinkDown)},
            {QStringLiteral("droppedBacklog"), static_cast<double>(droppedBacklog)},
            {QStringLiteral("invalid"), static_cast<double>(invalid)},
            {QStringLiteral("linkLosses"), static_cast<double>(linkLosses)}};
}
