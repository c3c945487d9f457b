#pragma once

#include <algorithm>
#include <vector>

// The p-th percentile (0..1) of samples, nearest rank; 0 for none. Shared by the GUI benches.
inline double percentile(std::vector<double> samples, double p)
{
    if (samples.empty())
        return 0;
    std::sort(samples.begin(), samples.end());
    const auto index = static_cast<std::size_t>(p * static_cast<double>(samples.size() - 1) + 0.5);
    return samples[std::min(index, samples.size() - 1)];
}
