#pragma once

// Streaming statistics: Welford mean/variance with merge, and quantiles of sorted data.
//
// RunningStats: Welford's update (one pass, numerically stable), O(1) per value, 40 bytes,
// mergeable across replicas (Chan et al. 1979): merging the stats of two halves gives the
// stats of the whole up to rounding.
// Thread-safety: value types, not synchronized; const members may be called concurrently.

#include "augur/core/error.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>

namespace augur {
inline namespace v0 {

/// Count, mean, variance, min and max of a stream of values (Welford).
/// @code
///   augur::RunningStats s;
///   for (double x : values) s.push(x);
///   double sd = s.stddev();
/// @endcode
class RunningStats {
public:
    /// Adds a value. O(1), no allocation. NaN poisons the mean: filter first (InputGuard).
    constexpr void push(double x) noexcept {
        ++count_;
        const double delta = x - mean_;
        mean_ += delta / static_cast<double>(count_);
        m2_ += delta * (x - mean_);
        min_ = std::min(min_, x);
        max_ = std::max(max_, x);
    }

    /// Combines the statistics of another stream into this one.
    constexpr void merge(const RunningStats& other) noexcept {
        if (other.count_ == 0) return;
        if (count_ == 0) {
            *this = other;
            return;
        }
        const auto n_a = static_cast<double>(count_);
        const auto n_b = static_cast<double>(other.count_);
        const double n = n_a + n_b;
        const double delta = other.mean_ - mean_;
        mean_ += delta * (n_b / n);
        m2_ += other.m2_ + delta * delta * (n_a * n_b / n);
        count_ += other.count_;
        min_ = std::min(min_, other.min_);
        max_ = std::max(max_, other.max_);
    }

    constexpr void reset() noexcept { *this = RunningStats{}; }

    constexpr std::uint64_t count() const noexcept { return count_; }
    /// Mean; NaN when empty.
    constexpr double mean() const noexcept {
        return count_ ? mean_ : std::numeric_limits<double>::quiet_NaN();
    }
    /// Sample variance (divides by n - 1); NaN when fewer than two values.
    constexpr double variance() const noexcept {
        return count_ > 1 ? m2_ / static_cast<double>(count_ - 1)
                          : std::numeric_limits<double>::quiet_NaN();
    }
    /// Population variance (divides by n); NaN when empty.
    constexpr double population_variance() const noexcept {
        return count_ ? m2_ / static_cast<double>(count_) : std::numeric_limits<double>::quiet_NaN();
    }
    /// Sample standard deviation; NaN when fewer than two values.
    double stddev() const noexcept { return std::sqrt(variance()); }
    /// Smallest value; NaN when empty.
    constexpr double min() const noexcept {
        return count_ ? min_ : std::numeric_limits<double>::quiet_NaN();
    }
    /// Largest value; NaN when empty.
    constexpr double max() const noexcept {
        return count_ ? max_ : std::numeric_limits<double>::quiet_NaN();
    }
    /// Sum of the values (mean times count).
    constexpr double sum() const noexcept { return mean_ * static_cast<double>(count_); }

private:
    std::uint64_t count_ = 0;
    double mean_ = 0.0;
    double m2_ = 0.0;
    double min_ = std::numeric_limits<double>::infinity();
    double max_ = -std::numeric_limits<double>::infinity();
};

/// The q-quantile of ascending `sorted` data by linear interpolation between order statistics
/// (Hyndman & Fan type 7: R's default, numpy's "linear"). O(1).
/// NaN for empty data. Precondition: 0 <= q <= 1 and `sorted` is ascending.
inline double quantile_sorted(std::span<const double> sorted, double q) {
    AUGUR_ASSERT(q >= 0.0 && q <= 1.0, "quantile_sorted: q must be in [0, 1]");
    if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
    const double h = q * static_cast<double>(sorted.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

} // namespace v0
} // namespace augur
