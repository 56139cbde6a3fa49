#pragma once

// Helpers for the routing tests: a one-sample Kolmogorov-Smirnov statistic.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace augur_test {

/// sup |F_n(x) - F(x)| of the sample against the CDF `cdf`.
template <class Cdf>
double ks_statistic(std::vector<double> sample, Cdf cdf) {
    std::sort(sample.begin(), sample.end());
    const auto n = static_cast<double>(sample.size());
    double d = 0.0;
    for (std::size_t i = 0; i < sample.size(); ++i) {
        const double f = cdf(sample[i]);
        d = std::max({d, static_cast<double>(i + 1) / n - f, f - static_cast<double>(i) / n});
    }
    return d;
}

/// The KS critical value at significance 0.001 for n values (asymptotic: 1.949 / sqrt(n)).
inline double ks_critical_001(std::size_t n) {
    return 1.949 / std::sqrt(static_cast<double>(n));
}

} // namespace augur_test
