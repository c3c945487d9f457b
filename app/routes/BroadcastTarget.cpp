#include "BroadcastTarget.h"

QString BroadcastTarget::describe() const
{
    switch (scope) {
    case Scope::Everyone: return QStringLiteral("everyone");
    case Scope::Route: return QStringLiteral("route %1").arg(name);
    case Scope::Room: return QStringLiteral("room %1").arg(name);
    }
    return {};
}
