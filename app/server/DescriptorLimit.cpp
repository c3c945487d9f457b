#include "DescriptorLimit.h"

#include <QLoggingCategory>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/resource.h>

Q_LOGGING_CATEGORY(lcLimit, "switchboard.server")

long long DescriptorLimit::connectionsAllowed()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return -1;
    return std::max(1LL, static_cast<long long>(limit.rlim_cur) - kReserved);
}

DescriptorLimit::Limits DescriptorLimit::raiseSoftToHard()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        qCWarning(lcLimit).noquote() << "cannot read the descriptor limit:" << std::strerror(errno);
        return {};
    }
    const auto show = [](rlim_t value) {
        return value == RLIM_INFINITY ? QStringLiteral("unlimited") : QString::number(qulonglong(value));
    };
    const rlim_t before = limit.rlim_cur;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
            qCWarning(lcLimit).noquote() << "cannot raise the descriptor limit from" << show(before) << "to"
                                         << show(limit.rlim_max) << ":" << std::strerror(errno);
            limit.rlim_cur = before;
        }
    }
    qCInfo(lcLimit).noquote() << QStringLiteral("descriptor limit: soft %1 (was %2), hard %3")
                                     .arg(show(limit.rlim_cur), show(before), show(limit.rlim_max));
    const auto value = [](rlim_t v) { return v == RLIM_INFINITY ? -1LL : static_cast<long long>(v); };
    return {value(limit.rlim_cur), value(limit.rlim_max)};
}
