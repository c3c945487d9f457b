#include "RedisEndpoint.h"

#include <QRegularExpression>
#include <QUrl>

bool RedisEndpoint::parse(const QString &url, RedisEndpoint *endpoint, QString *error)
{
    const QUrl parsed(url, QUrl::StrictMode);
    const auto refuse = [&](const QString &why) {
        *error = QStringLiteral("'%1' is not a Redis URL: %2 (expected redis://HOST:PORT[/DB])").arg(url, why);
        return false;
    };
    if (!parsed.isValid() || parsed.scheme() != QLatin1String("redis"))
        return refuse(QStringLiteral("the scheme must be redis://"));
    if (parsed.host().isEmpty())
        return refuse(QStringLiteral("no host"));
    if (!parsed.userInfo().isEmpty() || parsed.hasQuery() || parsed.hasFragment())
        return refuse(QStringLiteral("user, password, query and fragment are not supported"));
    RedisEndpoint result;
    result.host = parsed.host();
    if (parsed.port() == 0)
        return refuse(QStringLiteral("port 0"));
    result.port = static_cast<quint16>(parsed.port(6379));
    const QString path = parsed.path();
    if (!path.isEmpty() && path != QLatin1String("/")) {
        bool ok = false;
        result.database = path.mid(1).toInt(&ok);
        if (!ok || result.database < 0 || result.database > 15 || path.mid(1).startsWith(QLatin1Char('+')))
            return refuse(QStringLiteral("the database must be a number from 0 to 15"));
    }
    *endpoint = result;
    return true;
}

QString RedisEndpoint::whyInvalidUrl(const QString &url)
{
    RedisEndpoint endpoint;
    QString why;
    return parse(url, &endpoint, &why) ? QString() : why;
}

QString RedisEndpoint::whyInvalidClusterName(const QString &name)
{
    static const QRegularExpression allowed(QStringLiteral("^[A-Za-z0-9_.-]{1,64}$"));
    if (allowed.match(name).hasMatch())
        return {};
    return QStringLiteral("'%1' is not a cluster name: use 1 to 64 letters, digits, '_', '.' or '-'").arg(name);
}

QString RedisEndpoint::toString() const
{
    return QStringLiteral("redis://%1:%2/%3").arg(host).arg(port).arg(database);
}
