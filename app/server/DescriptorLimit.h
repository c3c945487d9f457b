#pragma once

// The process's open-file limit (RLIMIT_NOFILE). Debian's default soft limit of 1,024 is reached
// by one address within its own per-IP quota; the hard limit is usually far higher.
namespace DescriptorLimit {

struct Limits
{
    long long soft = -1; // -1: unknown
    long long hard = -1;
};

// Raises the soft limit to the hard one and logs both (switchboard.server); returns them as now in force.
Limits raiseSoftToHard();

} // namespace DescriptorLimit
