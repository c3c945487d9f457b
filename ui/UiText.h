#pragma once

#include <QString>

// "1 client", "3 clients": a count with the word that fits it.
inline QString countOf(int count, const QString &one, const QString &many)
{
    return QStringLiteral("%1 %2").arg(count).arg(count == 1 ? one : many);
}
