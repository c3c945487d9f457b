#include "ClusterMessage.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace {

const char *scopeName(BroadcastTarget::Scope scope)
{
    switch (scope) {
    case BroadcastTarget::Scope::Everyone:
        return "all";
    case BroadcastTarget::Scope::Route:
        return "route";
    case BroadcastTarget::Scope::Room:
        return "room";
    }
    return "all";
}

} // namespace

QByteArray ClusterMessage::encode() const
{
    const QJsonObject header{{QStringLiteral("v"), 1},
                             {QStringLiteral("from"), origin},
                             {QStringLiteral("scope"), QLatin1String(scopeName(target.scope))},
                             {QStringLiteral("name"), target.name},
                             {QStringLiteral("kind"), binary ? QStringLiteral("binary") : QStringLiteral("text")},
                             {QStringLiteral("detail"), detail}};
    // Compact JSON escapes newlines inside strings: the first '\n' always ends the header.
    return QJsonDocument(header).toJson(QJsonDocument::Compact) + '\n' + payload;
}

bool ClusterMessage::decode(const QByteArray &bytes, ClusterMessage *message, QString *error)
{
    const int newline = bytes.indexOf('\n');
    if (newline < 0 || newline > kMaxHeaderBytes) {
        *error = QStringLiteral("no envelope header");
        return false;
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(bytes.left(newline), &parseError);
    const QJsonObject header = document.object();
    if (parseError.error != QJsonParseError::NoError || header.value(QStringLiteral("v")).toInt() != 1) {
        *error = QStringLiteral("not a version 1 envelope header");
        return false;
    }
    ClusterMessage result;
    result.origin = header.value(QStringLiteral("from")).toString();
    result.target.name = header.value(QStringLiteral("name")).toString();
    result.detail = header.value(QStringLiteral("detail")).toString();
    QString scope = header.value(QStringLiteral("scope")).toString();
    const QString kind = header.value(QStringLiteral("kind")).toString();
    if (scope == QLatin1String("all"))
        result.target.scope = BroadcastTarget::Scope::Everyone;
    else if (scope == QLatin1String("route"))
        result.target.scope = BroadcastTarget::Scope::Route;
    else if (scope == QLatin1String("room"))
        result.target.scope = BroadcastTarget::Scope::Room;
    else
        scope.clear();
    if (result.origin.isEmpty() || scope.isEmpty() || (kind != QLatin1String("text") && kind != QLatin1String("binary"))) {
        *error = QStringLiteral("envelope without origin, scope or kind");
        return false;
    }
    result.binary = kind == QLatin1String("binary");
    result.payload = bytes.mid(newline + 1);
    *message = std::move(result);
    return true;
}
