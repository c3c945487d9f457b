#include "EventFilter.h"

#include "RouteTable.h"

bool EventFilter::parse(const QUrlQuery &query, const RouteTable &routes, QString *error)
{
    m_routes = &routes;
    static const QStringList kKnown{QStringLiteral("client"), QStringLiteral("route"), QStringLiteral("direction"),
                                    QStringLiteral("kind"), QStringLiteral("since"), QStringLiteral("limit")};
    for (const auto &item : query.queryItems(QUrl::FullyDecoded)) {
        const QString &key = item.first;
        const QString &value = item.second;
        if (key == QLatin1String("client")) {
            bool ok = false;
            const quint64 id = value.toULongLong(&ok);
            if (!ok) {
                *error = QStringLiteral("client=%1 is not a client id").arg(value);
                return false;
            }
            m_clients.insert(id);
        } else if (key == QLatin1String("route")) {
            if (!value.startsWith(QLatin1Char('/'))) {
                *error = QStringLiteral("route=%1 must be a path or a route pattern starting with '/'").arg(value);
                return false;
            }
            int index = -1;
            for (int i = 0; i < routes.routes().size(); ++i) {
                if (routes.routes().at(i).pattern == value)
                    index = i;
            }
            // A pattern ("/chat/:room") takes every path of its route; anything else is one path.
            if (index >= 0 && value.contains(QLatin1Char(':')))
                m_routeIndexes.insert(index);
            else
                m_paths.insert(value);
        } else if (key == QLatin1String("direction")) {
            LogRecord::Direction direction;
            if (!LogRecord::directionFromName(value, &direction)) {
                *error = QStringLiteral("direction=%1: use in, out, broadcast or system").arg(value);
                return false;
            }
            m_directions.insert(static_cast<int>(direction));
        } else if (key == QLatin1String("kind")) {
            LogRecord::Kind kind;
            if (!LogRecord::kindFromName(value, &kind)) {
                *error = QStringLiteral("kind=%1: use text, binary, ping, pong, open, close, error, refused or script")
                             .arg(value);
                return false;
            }
            m_kinds.insert(static_cast<int>(kind));
        } else if (!kKnown.contains(key)) {
            *error = QStringLiteral("unknown parameter '%1' (known: %2)").arg(key, kKnown.join(QLatin1String(", ")));
            return false;
        }
    }
    return true;
}

bool EventFilter::matches(const LogRecord &record) const
{
    if (!m_clients.isEmpty() && !m_clients.contains(record.clientId))
        return false;
    if (!m_directions.isEmpty() && !m_directions.contains(static_cast<int>(record.direction)))
        return false;
    if (!m_kinds.isEmpty() && !m_kinds.contains(static_cast<int>(record.kind)))
        return false;
    if (m_paths.isEmpty() && m_routeIndexes.isEmpty())
        return true;
    const qsizetype question = record.route.indexOf(QLatin1Char('?'));
    const QString path = question < 0 ? record.route : record.route.left(question);
    if (m_paths.contains(path))
        return true;
    return !m_routeIndexes.isEmpty() && m_routes && m_routeIndexes.contains(m_routes->match(path).index);
}
