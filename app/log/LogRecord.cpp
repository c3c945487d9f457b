#include "LogRecord.h"

#include <array>

namespace {
constexpr std::array<const char *, 6> kDirectionNames{"in", "out", "broadcast", "system", "to_upstream",
                                                      "from_upstream"};
constexpr std::array<const char *, 9> kKindNames{"text", "binary", "ping", "pong",
                                                 "open", "close", "error", "refused", "script"};

template<typename Enum, std::size_t N>
bool fromName(const std::array<const char *, N> &names, const QString &name, Enum *out)
{
    for (std::size_t i = 0; i < N; ++i) {
        if (name == QLatin1String(names[i])) {
            *out = static_cast<Enum>(i);
            return true;
        }
    }
    return false;
}
} // namespace

QString LogRecord::directionName(Direction direction)
{
    return QLatin1String(kDirectionNames.at(static_cast<std::size_t>(direction)));
}

QString LogRecord::kindName(Kind kind)
{
    return QLatin1String(kKindNames.at(static_cast<std::size_t>(kind)));
}

bool LogRecord::directionFromName(const QString &name, Direction *direction)
{
    return fromName(kDirectionNames, name, direction);
}

bool LogRecord::kindFromName(const QString &name, Kind *kind)
{
    return fromName(kKindNames, name, kind);
}
