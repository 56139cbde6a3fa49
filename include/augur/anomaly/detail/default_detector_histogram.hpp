#pragma once

// Sliding-window histograms for DefaultDetector: bin counts with block sums (order
// statistics and tail counts in O(sqrt bins)), the log-scale binning of nonnegative statistics,
// the tail probability with an exponential extrapolation, and a running mean. Not part of the
// API.

#include "augur/core/window.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numbers>
#include <vector>

namespace augur {
inline namespace v0 {
namespace detail {

/// Counts over `bins` bins, with the counts of blocks of 16 bins beside them: add is O(1),
/// below (a prefix count) and find (an order statistic) are O(bins / 16 + 16).
class DefaultHistogram {
public:
    static constexpr std::size_t block = 16;

    DefaultHistogram() = default;
    explicit DefaultHistogram(std::size_t bins)
        : counts_(bins, 0), blocks_((bins + block - 1) / block, 0) {}

    std::size_t bins() const noexcept { return counts_.size(); }
    std::int64_t total() const noexcept { return total_; }
    std::int32_t count(std::size_t bin) const noexcept { return counts_[bin]; }

    void add(std::size_t bin, std::int32_t delta) noexcept {
        total_ += delta;
        counts_[bin] += delta;
        blocks_[bin / block] += delta;
    }

    /// Items in bins [0, bin).
    std::int64_t below(std::size_t bin) const noexcept {
        bin = std::min(bin, bins());
        std::int64_t s = 0;
        const std::size_t full = bin / block;
        for (std::size_t b = 0; b < full; ++b)
            s += blocks_[b];
        for (std::size_t i = full * block; i < bin; ++i)
            s += counts_[i];
        return s;
    }

    /// The bin of the k-th smallest item (0-based). Precondition: 0 <= k < total().
    std::size_t find(std::int64_t k) const noexcept {
        std::size_t b = 0;
        while (b + 1 < blocks_.size() && blocks_[b] <= k)
            k -= blocks_[b++];
        std::size_t i = b * block;
        while (i + 1 < counts_.size() && counts_[i] <= k)
            k -= counts_[i++];
        return i;
    }

    /// The bin of the q-quantile (lower order statistic). Precondition: total() > 0.
    std::size_t quantile_bin(double q) const noexcept {
        return find(static_cast<std::int64_t>(q * static_cast<double>(total_ - 1)));
    }

    void clear() noexcept {
        std::fill(counts_.begin(), counts_.end(), 0);
        std::fill(blocks_.begin(), blocks_.end(), 0);
        total_ = 0;
    }

    template <class Archive>
    void archive(Archive& ar) {
        ar(counts_, blocks_, total_);
    }
    std::size_t allocated_bytes() const noexcept {
        return (counts_.capacity() + blocks_.capacity()) * sizeof(std::int32_t);
    }
    /// The block counts match the bins (checked after loading).
    bool consistent() const noexcept {
        if (blocks_.size() != (counts_.size() + block - 1) / block) return false;
        std::int64_t sum = 0;
        for (std::size_t b = 0; b < blocks_.size(); ++b) {
            std::int64_t in_block = 0;
            for (std::size_t i = b * block; i < std::min(counts_.size(), (b + 1) * block); ++i)
                in_block += counts_[i];
            if (in_block != blocks_[b]) return false;
            sum += in_block;
        }
        return sum == total_;
    }

private:
    std::vector<std::int32_t> counts_;
    std::vector<std::int32_t> blocks_;
    std::int64_t total_ = 0;
};

/// Log-scale bins of a nonnegative statistic u: 16 bins per octave of 1 + u, from the
/// exponent and the top 4 mantissa bits of 1 + u (monotone, no log call). Bin 0 holds u = 0.
struct DefaultLogBins {
    static constexpr std::size_t count = 256;

    static std::size_t bin(double u) noexcept {
        if (!(u > 0.0)) return 0;
        const double v = 1.0 + u;
        if (!(v < 65536.0)) return count - 1;
        std::uint64_t bits = 0;
        std::memcpy(&bits, &v, sizeof bits);
        const auto exponent = static_cast<std::size_t>(bits >> 52) - 1023; // >= 0 as v >= 1
        const auto mantissa = static_cast<std::size_t>((bits >> 48) & 0xF);
        return std::min(count - 1, exponent * 16 + mantissa);
    }

    /// The upper edge of a bin: every u in the bin is <= it (quantiles read from the bins
    /// are rounded up, so they never fall below a value of their own bin).
    static double value(std::size_t bin) noexcept {
        const double mantissa = 1.0 + (static_cast<double>(bin % 16) + 1.0) / 16.0;
        return std::ldexp(mantissa, static_cast<int>(bin / 16)) - 1.0;
    }
};

/// The cached upper quantiles of a statistic's history that its tail probability needs.
struct DefaultTail {
    double q95 = 0.0;
    double q99 = 0.0;
    double beta = 1.0;
    bool ready = false;

    template <class Archive>
    void archive(Archive& ar) {
        ar(q95, q99, beta, ready);
    }

    /// Refreshes the quantiles from the histogram `h` of the statistic (log bins). The
    /// exponential tail beyond q99 takes the larger (heavier) of the scales fitted to the
    /// 95-99% and the 99-99.9% quantile gaps, and at least beta_floor * q99.
    void refresh(const DefaultHistogram& h, std::int64_t min_count, double beta_floor) noexcept {
        ready = h.total() >= min_count;
        if (!ready) return;
        q95 = DefaultLogBins::value(h.quantile_bin(0.95));
        q99 = DefaultLogBins::value(h.quantile_bin(0.99));
        const double q999 = DefaultLogBins::value(h.quantile_bin(0.999));
        const double upper = (q999 - q99) / std::numbers::ln10;
        const double lower = (q99 - q95) / 1.6094379124341003; // ln 5
        beta = std::max({upper, lower, beta_floor * q99 + 1e-3});
    }

    /// P(U >= u) under the history: the empirical tail up to q99, then
    /// 0.01 * exp(-(u - q99) / beta). 1 when not ready.
    double probability(const DefaultHistogram& h, double u) const noexcept {
        if (!ready || std::isnan(u)) return 1.0;
        if (u <= q99) {
            const std::size_t b = DefaultLogBins::bin(u);
            return static_cast<double>(h.total() - h.below(b)) / static_cast<double>(h.total());
        }
        return 0.01 * std::exp(-(u - q99) / beta);
    }
};

/// Mean of the last k values; recomputed from the window if the running sum overflows.
class DefaultRunningMean {
public:
    DefaultRunningMean() = default;
    /// A mean over k values; the (small) window is allocated at once.
    explicit DefaultRunningMean(std::size_t k) : ring_(k) { ring_.reserve(); }

    double push(double x) {
        if (const auto old = ring_.push(x)) sum_ -= *old;
        sum_ += x;
        if (!std::isfinite(sum_)) {
            sum_ = 0.0;
            for (const double v : ring_)
                sum_ += v;
        }
        const double mean = sum_ / static_cast<double>(ring_.size());
        return std::isnan(mean) ? std::numeric_limits<double>::infinity() : mean;
    }
    void clear() noexcept {
        ring_.clear();
        sum_ = 0.0;
    }
    std::size_t window() const noexcept { return ring_.capacity(); }
    std::size_t allocated_bytes() const noexcept { return ring_.allocated_bytes(); }

    template <class Archive>
    void archive(Archive& ar) {
        ar(ring_, sum_);
    }

private:
    RingBuffer<double> ring_{1};
    double sum_ = 0.0;
};

} // namespace detail
} // namespace v0
} // namespace augur
