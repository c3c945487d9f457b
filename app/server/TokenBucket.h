#pragma once

#include <QtGlobal>

// A per-client message rate limit: `burst` messages at once, refilled at `ratePerSecond`.
class TokenBucket
{
public:
    TokenBucket(double ratePerSecond, double burst);
    // Takes one token at time nowMs; false when the bucket is empty (the client is too fast).
    bool take(qint64 nowMs);

private:
    double m_ratePerMs;
    double m_burst;
    double m_tokens;
    qint64 m_lastMs = -1;
};
