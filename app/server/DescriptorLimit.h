#pragma once

// The process's open-file limit (RLIMIT_NOFILE). Debian's default soft limit of 1,024 is reached
// by one address within its own per-IP quota; the hard limit is usually far higher.
namespace DescriptorLimit {

struct Limits
{
    long long soft = -1; // -1: unknown
    long long hard = -1;
};

// Descriptors kept out of the connection cap: the listening socket, files, the recording, Redis,
// and connections being refused.
constexpr int kReserved = 64;

// WebSocket clients the soft limit leaves room for (soft limit less kReserved); -1: no limit.
long long connectionsAllowed();

// Raises the soft limit to the hard one and logs both (switchboard.server); returns them as now in force.
Limits raiseSoftToHard();

} // namespace DescriptorLimit
