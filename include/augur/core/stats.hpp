#pragma once

// Streaming statistics: Welford mean/variance with merge, exponentially weighted mean and
// variance, min/max, and quantiles of sorted data. (Quantiles of streams: quantile.hpp.)
//
// RunningStats: Welford's update (one pass, numerically stable), O(1) per value, 40 bytes,
// mergeable across replicas (Chan et al. 1979): merging the stats of two halves gives the
// stats of the whole up to rounding.
// Ewma: exponentially weighted mean and variance, O(1) per value.
// MinMax: count, min and max, mergeable.
// alpha_from_half_life: the one half-life -> smoothing factor conversion of the library.
// quantile_sorted / median_of: the one definition of a quantile of data (type 7).
// sampling_interval: the median gap of a series' timestamps.
// Every update is O(1), noexcept and allocation-free. Queries on an empty state return NaN.
// Thread-safety: value types, not synchronized; const members may be called concurrently.

#include "augur/core/error.hpp"
#include "augur/core/sample.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <span>
#include <vector>

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
        // 1/n depends only on the count, so the division stays off the mean's dependency chain.
        const double inv_n = 1.0 / static_cast<double>(count_);
        const double delta = x - mean_;
        mean_ += delta * inv_n;
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
        return count_ ? m2_ / static_cast<double>(count_)
                      : std::numeric_limits<double>::quiet_NaN();
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

/// The smoothing factor of an exponential average whose weights halve every `half_life`
/// values: alpha = 1 - 2^(-1 / half_life), computed as -expm1(-ln 2 / half_life) (accurate for
/// long half-lives), clamped to at most 1. E.g. half_life 1 -> 0.5, 2 -> 1 - 1/sqrt(2).
/// +inf gives 0 (nothing is learned). Precondition: half_life > 0 (validate configs first:
/// NaN or values <= 0 give an alpha outside (0, 1]). O(1), one expm1.
inline double alpha_from_half_life(double half_life) noexcept {
    return std::min(1.0, -std::expm1(-std::numbers::ln2 / half_life));
}

/// Exponentially weighted moving mean and variance: each new value gets weight alpha and the
/// past decays by (1 - alpha). The first value initialises the mean (variance 0); then
///     diff = x - mean;  mean += alpha * diff;  var = (1 - alpha) * (var + alpha * diff^2),
/// the standard incremental exponentially weighted variance (Finch 2009).
/// push is O(1), noexcept, 40 bytes of state. NaN poisons the state: filter first (InputGuard).
/// Thread-safety: value type, not synchronized; const members may be called concurrently.
/// @code
///   auto ewma = augur::Ewma::from_half_life(20);   // a value's weight halves every 20 values
///   for (double x : values) ewma.push(x);
///   double z = (x - ewma.mean()) / ewma.stddev();
/// @endcode
class Ewma {
public:
    /// Smoothing factor alpha in (0, 1]; throws invalid_argument naming "alpha" otherwise.
    static Ewma from_alpha(double alpha) {
        if (!(alpha > 0.0 && alpha <= 1.0))
            throw_invalid_config("Ewma::from_alpha", "alpha", alpha, "must be in (0, 1]");
        return Ewma(alpha);
    }

    /// Half-life in samples h > 0 (finite): alpha = 1 - 2^(-1/h), so a value's weight halves
    /// after h further values. Throws invalid_argument naming "half_life" otherwise.
    static Ewma from_half_life(double samples) {
        if (!(samples > 0.0 && std::isfinite(samples)))
            throw_invalid_config("Ewma::from_half_life", "half_life", samples,
                                 "must be finite and > 0");
        return Ewma(alpha_from_half_life(samples));
    }

    /// Adds a value. O(1), no allocation.
    constexpr void push(double x) noexcept { update(x, alpha_, one_minus_alpha_); }

    /// Adds a value that arrives `elapsed` after the previous one, for irregularly spaced data:
    /// the past decays by 2^(-elapsed / half_life), i.e. alpha = 1 - 2^(-elapsed / half_life)
    /// for this update only (alpha() is not used). With elapsed == 0 the value has weight 0
    /// (it is counted but does not move the mean). The first value initialises the mean.
    /// Costs one exp. Preconditions: elapsed >= 0, half_life > 0 (AUGUR_ASSERT).
    void push(double x, Duration elapsed, Duration half_life) {
        AUGUR_ASSERT(elapsed >= Duration::zero(), "Ewma::push: elapsed must be >= 0");
        AUGUR_ASSERT(half_life > Duration::zero(), "Ewma::push: half_life must be > 0");
        const double decay = std::exp2(-static_cast<double>(elapsed.count()) /
                                       static_cast<double>(half_life.count()));
        update(x, 1.0 - decay, decay);
    }

    /// Forgets every value (alpha is kept).
    constexpr void reset() noexcept {
        count_ = 0;
        mean_ = 0.0;
        var_ = 0.0;
    }

    /// How many values were pushed since construction or reset().
    constexpr std::uint64_t count() const noexcept { return count_; }
    /// The smoothing factor.
    constexpr double alpha() const noexcept { return alpha_; }
    /// The weighted mean; NaN when empty.
    constexpr double mean() const noexcept {
        return count_ ? mean_ : std::numeric_limits<double>::quiet_NaN();
    }
    /// The weighted variance; 0 after one value, NaN when empty.
    constexpr double variance() const noexcept {
        return count_ ? var_ : std::numeric_limits<double>::quiet_NaN();
    }
    /// Square root of variance(); NaN when empty.
    double stddev() const noexcept { return std::sqrt(variance()); }

private:
    constexpr explicit Ewma(double alpha) noexcept : alpha_(alpha), one_minus_alpha_(1.0 - alpha) {}

    constexpr void update(double x, double alpha, double one_minus_alpha) noexcept {
        if (count_++ == 0) {
            mean_ = x;
            var_ = 0.0;
            return;
        }
        const double diff = x - mean_;
        const double incr = alpha * diff;
        mean_ += incr;
        var_ = one_minus_alpha * (var_ + diff * incr);
    }

    // mean_ and var_ are not adjacent: GCC would otherwise merge their stores into one 16-byte
    // store, which the next update's 8-byte loads cannot forward from (a 3x slowdown on a
    // state kept in memory).
    double mean_ = 0.0;
    double alpha_;
    double var_ = 0.0;
    double one_minus_alpha_;
    std::uint64_t count_ = 0;
};

/// Count, minimum and maximum of a stream; mergeable. push is O(1), noexcept, 24 bytes.
/// NaN values are counted but never become the min or max.
/// Thread-safety: value type, not synchronized; const members may be called concurrently.
class MinMax {
public:
    /// Adds a value. O(1), no allocation.
    constexpr void push(double x) noexcept {
        ++count_;
        min_ = x < min_ ? x : min_;
        max_ = x > max_ ? x : max_;
    }

    /// Combines another stream's extremes into this one.
    constexpr void merge(const MinMax& other) noexcept {
        count_ += other.count_;
        min_ = other.min_ < min_ ? other.min_ : min_;
        max_ = other.max_ > max_ ? other.max_ : max_;
    }

    constexpr void reset() noexcept { *this = MinMax{}; }

    constexpr std::uint64_t count() const noexcept { return count_; }
    /// Smallest value; NaN when no non-NaN value was pushed.
    constexpr double min() const noexcept {
        return min_ <= max_ ? min_ : std::numeric_limits<double>::quiet_NaN();
    }
    /// Largest value; NaN when no non-NaN value was pushed.
    constexpr double max() const noexcept {
        return min_ <= max_ ? max_ : std::numeric_limits<double>::quiet_NaN();
    }
    /// max() - min(); NaN when no non-NaN value was pushed.
    constexpr double range() const noexcept { return max() - min(); }

private:
    std::uint64_t count_ = 0;
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

/// The sampling interval of ascending timestamps: the median positive gap between consecutive
/// times (the upper median for an even count, so it is a gap that occurred); zero when no
/// gap is positive. Gaps of 0 (duplicate times) are left out. O(n), allocates the gaps.
inline Duration sampling_interval(std::span<const Timestamp> times) {
    std::vector<Duration::rep> gaps;
    gaps.reserve(times.size());
    for (std::size_t i = 1; i < times.size(); ++i) {
        const Duration::rep g = (times[i] - times[i - 1]).count();
        if (g > 0) gaps.push_back(g);
    }
    if (gaps.empty()) return Duration::zero();
    const auto mid = gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2);
    std::nth_element(gaps.begin(), mid, gaps.end());
    return Duration(*mid);
}

/// The median of `values` (type 7, as quantile_sorted(sorted values, 0.5): the middle value,
/// or for an even count lo + (hi - lo) / 2 of the two middle ones), by selection: O(n), no
/// allocation, and it reorders `values`. NaN when empty. Precondition: no NaN in `values`.
inline double median_of(std::span<double> values) noexcept {
    const std::size_t n = values.size();
    if (n == 0) return std::numeric_limits<double>::quiet_NaN();
    const auto first = values.begin();
    const auto mid = first + static_cast<std::ptrdiff_t>((n - 1) / 2);
    std::nth_element(first, mid, values.end());
    const double lo = *mid;
    if (n % 2 == 1) return lo;
    const double hi = *std::min_element(mid + 1, values.end());
    return lo == hi ? lo : lo + 0.5 * (hi - lo);
}

} // namespace v0
} // namespace augur
