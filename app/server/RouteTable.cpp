#include "RouteTable.h"

#include <QUrl>

#include <array>

namespace {
constexpr std::array<const char *, 6> kBehaviourNames{"echo", "chat", "clock", "operator", "script", "proxy"};
constexpr int kMaxParamLength = 128;
} // namespace

QString behaviourKindName(RouteBehaviourKind kind)
{
    return QLatin1String(kBehaviourNames.at(static_cast<std::size_t>(kind)));
}

bool behaviourKindFromName(const QString &name, RouteBehaviourKind *kind)
{
    for (std::size_t i = 0; i < kBehaviourNames.size(); ++i) {
        if (name == QLatin1String(kBehaviourNames[i])) {
            *kind = static_cast<RouteBehaviourKind>(i);
            return true;
        }
    }
    return false;
}

RouteTable RouteTable::defaults()
{
    RouteTable table;
    table.add({QStringLiteral("/ws"), RouteBehaviourKind::Echo,
               {QStringLiteral("chat"), QStringLiteral("soap"), QStringLiteral("wamp")}, 200, {}, 250});
    table.add({QStringLiteral("/chat/:room"), RouteBehaviourKind::Chat, {}, 200, {}, 250});
    table.add({QStringLiteral("/clock"), RouteBehaviourKind::Clock, {}, 200, {}, 250});
    table.add({QStringLiteral("/operator"), RouteBehaviourKind::Operator, {}, 200, {}, 250});
    return table;
}

void RouteTable::add(const RouteSpec &route)
{
    m_routes.append(route);
}

void RouteTable::put(const RouteSpec &route)
{
    for (RouteSpec &existing : m_routes) {
        if (existing.pattern == route.pattern) {
            existing = route;
            return;
        }
    }
    m_routes.append(route);
}

RouteMatch RouteTable::match(const QString &path) const
{
    const QStringList pathSegments = path.split(QLatin1Char('/'));
    for (int i = 0; i < m_routes.size(); ++i) {
        const QStringList patternSegments = m_routes.at(i).pattern.split(QLatin1Char('/'));
        if (patternSegments.size() != pathSegments.size())
            continue;
        RouteMatch match;
        bool matches = true;
        for (int s = 0; s < patternSegments.size() && matches; ++s) {
            const QString &want = patternSegments.at(s);
            const QString &have = pathSegments.at(s);
            if (want.startsWith(QLatin1Char(':')))
                matches = !have.isEmpty() && have.size() <= kMaxParamLength;
            else
                matches = want == have;
            if (matches && want.startsWith(QLatin1Char(':')))
                match.params.insert(want.mid(1), have);
        }
        if (matches) {
            match.index = i;
            return match;
        }
    }
    return {};
}

QString RouteTable::validatePattern(const QString &pattern)
{
    if (!pattern.startsWith(QLatin1Char('/')))
        return QStringLiteral("a route path must start with '/'");
    if (pattern == QLatin1String("/"))
        return QStringLiteral("'/' serves the browser client page and cannot be a route");
    const QStringList segments = pattern.mid(1).split(QLatin1Char('/'));
    for (const QString &segment : segments) {
        if (segment.isEmpty())
            return QStringLiteral("a route path cannot contain an empty segment");
        if (segment == QLatin1String(":"))
            return QStringLiteral("a ':' parameter needs a name");
    }
    return {};
}

QString RouteTable::validateUpstream(const QString &url)
{
    const QUrl parsed(url, QUrl::StrictMode);
    if (url.isEmpty())
        return QStringLiteral("is required for a proxy route");
    if (!parsed.isValid() || (parsed.scheme() != QLatin1String("ws") && parsed.scheme() != QLatin1String("wss"))
        || parsed.host().isEmpty())
        return QStringLiteral("must be a ws:// or wss:// URL with a host");
    return QString();
}
