#pragma once

// TrendDetector: slow monotone drifts (memory leaks, creeping latency) by a sliding-window
// Mann-Kendall test with Sen's slope.
//
// Over the last `window` samples of a series the Mann-Kendall statistic
//     S = sum over pairs i < j of sign(x_j - x_i)
// is kept up to date per sample: each season's window values are also kept sorted, so when a
// sample enters and the oldest leaves, the change of S (#values below minus #values above,
// for each of the two) and the tie groups come from binary searches, plus a memmove of at
// most window / period values. Its variance under "no trend" (with the tie correction),
//     Var S = [sum_g n(n-1)(2n+5) - sum_ties t(t-1)(2t+5)] / 18,
// is updated from the same pass, so z = (S - sign S) / sqrt(Var S) and the two-sided p-value
// p = erfc(|z| / sqrt 2) (Boost.Math) cost O(1) more. Score = 1 - p; a trend is flagged when
// p <= significance. With period > 1 this is the seasonal Mann-Kendall test (Hirsch et al.
// 1982): only samples a whole number of periods apart are compared, so a stable seasonal
// profile does not look like a trend.
//
// On a flagged sample Sen's slope (the median of the pairwise slopes (x_j - x_i) / (j - i) of
// compared pairs; exact, selected through a sorted sample that brackets the median) gives the
// direction and the baseline: expected = the robust line's value at
// the oldest sample of the window (where the series stood before the drift), deviation =
// value - expected. A fit costs O(window^2 / period), so it is redone at most once every
// slope_stride samples (default: once per window length; in between the fitted line is carried
// forward along its slope), which keeps the amortized cost O(window / period) per sample even
// through a long flagged run.
// On other samples expected = the window mean and the direction is the sign of S.
//
// Samples are taken as equally spaced. A non-finite value is a missing sample: it takes its
// slot in the window (seasons stay aligned) but forms no pairs; its Detection has score 0.
// A level shift inside the window also reads as a monotone trend: combine with
// LevelShiftDetector (ensemble.hpp) to tell them apart.
//
// Per series (series_bytes(), measured): 160 bytes of State + 2 x window doubles + period
// counters, allocated in full when the series starts (the per-season sorted blocks have fixed
// offsets): with the defaults (window 100, period 1) 1 764 bytes from the first sample on.
// observe allocates only for a new series; the slope scratch (window^2 / 2 doubles at most)
// is allocated once, in the constructor.
// Saved and loaded (save / load, augur/core/archive.hpp, type tag "augur.TrendDetector"): the
// configuration and every series' window and fitted line; the Mann-Kendall sums and sorted
// blocks are rebuilt from the window on load (O(window log window) per series), so a loaded
// detector continues exactly.
// Thread-safety: not synchronized; const members may be called concurrently.

#include "augur/anomaly/detector.hpp"
#include "augur/core/archive.hpp"
#include "augur/core/error.hpp"
#include "augur/core/sample.hpp"
#include "augur/core/stats.hpp"

#include <boost/math/special_functions/erf.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <limits>
#include <numbers>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace augur {
inline namespace v0 {

/// Configuration of a TrendDetector. validate() throws invalid_argument naming the field.
struct TrendConfig {
    /// Samples in the sliding window: >= 8, >= 3 * period, a multiple of period, <= 2048.
    std::size_t window = 100;
    /// Finite samples a series must show before it can be flagged; >= 8.
    std::size_t learning = 100;
    /// Two-sided Mann-Kendall p-value at or below which a trend is flagged; in (0, 0.5].
    double significance = 1e-3;
    /// Seasonal period in samples (1 = none): only samples a multiple of it apart are compared.
    std::size_t period = 1;
    /// Samples between refits of Sen's line during flagged runs; 0 (the default) = window.
    std::size_t slope_stride = 0;

    template <class Archive>
    void archive(Archive& ar) {
        ar(window, learning, significance, period, slope_stride);
    }

    void validate() const {
        if (period < 1) throw_invalid_config("TrendConfig", "period", period, "must be >= 1");
        if (window < 8 || window > 2048)
            throw_invalid_config("TrendConfig", "window", window, "must be in [8, 2048]");
        if (window % period != 0 || window < 3 * period)
            throw_invalid_config("TrendConfig", "window", window,
                                 "must be a multiple of period and >= 3 * period");
        if (learning < 8) throw_invalid_config("TrendConfig", "learning", learning, "must be >= 8");
        if (!(significance > 0.0 && significance <= 0.5))
            throw_invalid_config("TrendConfig", "significance", significance,
                                 "must be in (0, 0.5]");
    }
};

/// Sliding-window (seasonal) Mann-Kendall trend detector with Sen's slope; see the file
/// comment. observe costs O(log(window / period)) compares and two O(window / period)
/// memmoves, plus, amortized, a share of Sen's line refit (O(window^2 / period) at most once
/// every slope_stride samples, on flagged samples only). Measured (bench/anomaly_bench.cpp,
/// Release, a shared 2-core machine): ~6 M samples/s at window 100, ~1 M at window 1024.
/// Thread-safety: not synchronized; const members may be called concurrently.
/// @code
///   augur::TrendDetector leaks({.window = 240, .learning = 240, .significance = 1e-4});
///   for (const augur::Sample& s : memory_samples)
///       if (augur::Detection d = leaks.observe(s); d.is_anomaly) report(s, d);
/// @endcode
class TrendDetector {
public:
    /// The Mann-Kendall summary of one series' window.
    struct Summary {
        std::int64_t s = 0;      ///< the Mann-Kendall S
        double variance = 0.0;   ///< Var S under no trend, tie-corrected
        double z = 0.0;          ///< (S - sign S) / sqrt(Var S); 0 when Var S = 0
        std::size_t samples = 0; ///< finite samples in the window
    };

    /// Throws invalid_argument for an invalid configuration.
    explicit TrendDetector(TrendConfig config = {})
        : config_((config.validate(), config)), states_(State(config_)) {
        const std::size_t per_season = config_.window / config_.period;
        scratch_.resize(config_.period * per_season * (per_season - 1) / 2);
        season_x_.resize(per_season);
        season_t_.resize(per_season);
        const auto pairs = static_cast<double>(scratch_.size());
        sample_.resize(static_cast<std::size_t>(std::cbrt(pairs * pairs)) + 1);
    }

    Detection observe(const Sample& sample) {
        State& st = states_[sample.series];
        const double x = std::isfinite(sample.value) ? sample.value : nan();
        push(st, x);

        Detection out;
        out.threshold = 1.0 - config_.significance;
        out.learning = st.finite_seen < config_.learning;
        if (out.learning || std::isnan(x)) {
            if (!out.learning) {
                out.shape = Shape::trend;
                out.direction = sign_direction(static_cast<double>(st.s));
                out.expected = st.finite ? st.sum / static_cast<double>(st.finite) : nan();
            }
            return out;
        }
        out.shape = Shape::trend;
        const double z = z_of(st);
        const double p = boost::math::erfc(std::fabs(z) / std::numbers::sqrt2, erfc_policy{});
        out.score = 1.0 - p;
        out.is_anomaly = p <= config_.significance;
        if (!out.is_anomaly) {
            out.direction = sign_direction(static_cast<double>(st.s));
            out.expected = st.sum / static_cast<double>(st.finite);
            out.deviation = x - out.expected;
            return out;
        }
        if (!st.fitted || st.t - st.fit_t >= refit_interval_) fit_line(st);
        out.direction =
            st.slope != 0.0 ? sign_direction(st.slope) : sign_direction(static_cast<double>(st.s));
        // The fitted line at the window's current oldest sample.
        out.expected = st.level + st.slope * static_cast<double>(oldest(st.t) - oldest(st.fit_t));
        out.deviation = x - out.expected;
        return out;
    }

    /// Forgets every series.
    void reset() noexcept { states_.clear(); }
    /// Forgets one series (it learns again if it returns), releasing its memory.
    void forget(SeriesId series) { states_.erase(series); }

    /// The Mann-Kendall summary of a series' current window (all zero for an unknown series).
    Summary summary(SeriesId series) const noexcept {
        Summary out;
        if (const State* st = states_.find(series)) {
            out.s = st->s;
            out.variance = static_cast<double>(st->g_counts - st->g_ties) / 18.0;
            out.z = z_of(*st);
            out.samples = st->finite;
        }
        return out;
    }

    /// Sen's slope (per sample) of a series' window, computed now; NaN when no pair is
    /// comparable or the series is unknown. O(window^2 / period).
    double sen_slope(SeriesId series) {
        const State* st = states_.find(series);
        return st ? median_slope(*st) : nan();
    }

    const TrendConfig& config() const noexcept { return config_; }

    /// Bytes of one series' state: sizeof(State) plus the heap it owns; 0 if unseen.
    std::size_t series_bytes(SeriesId series) const noexcept {
        const State* st = states_.find(series);
        if (st == nullptr) return 0;
        return sizeof(State) + (st->values.capacity() + st->sorted.capacity()) * sizeof(double) +
               st->season_n.capacity() * sizeof(std::uint32_t);
    }

    static constexpr std::string_view archive_tag = "augur.TrendDetector";

    /// Saves the configuration and every series' window and fitted line. O(state size).
    void save(std::ostream& out) const {
        write_archive(out, archive_tag, 1, [&](ArchiveWriter& w) { w(config_, states_); });
    }

    /// Loads what save wrote, rebuilding each window's sums; a wrong type, a corrupted archive,
    /// a configuration that does not validate or a window that does not fit it throw
    /// data_error.
    static TrendDetector load(std::istream& in) {
        return read_archive(in, archive_tag, 1, [](ArchiveReader& r) {
            auto d = r.construct<TrendDetector>(r.read<TrendConfig>());
            PerSeries<State> states(State(d.config_));
            r(states);
            const State& prototype = states.prototype();
            r.require(prototype.values.size() == d.config_.window && prototype.t == 0 &&
                          prototype.finite_seen == 0 && prototype.sum == 0.0 && !prototype.fitted &&
                          std::all_of(prototype.values.begin(), prototype.values.end(),
                                      [](double v) { return std::isnan(v); }),
                      "the prototype window is not empty");
            for (std::size_t i = 0; i < states.size(); ++i)
                r.require(d.rebuild(states[SeriesId(static_cast<std::uint32_t>(i))]),
                          "series " + std::to_string(i) +
                              "'s window does not fit the "
                              "configuration");
            d.states_ = std::move(states);
            return d;
        });
    }

private:
    struct State {
        State() = default;
        explicit State(const TrendConfig& c)
            : values(c.window, std::numeric_limits<double>::quiet_NaN()), sorted(c.window, 0.0),
              season_n(c.period, 0) {}
        std::vector<double> values;          // slot = absolute index % window; NaN = missing
        std::vector<double> sorted;          // per season, its finite values in order
        std::vector<std::uint32_t> season_n; // finite values per season
        std::uint64_t t = 0;                 // samples pushed (finite or not)
        std::uint64_t finite_seen = 0;       // finite samples pushed
        std::int64_t s = 0;                  // Mann-Kendall S
        std::int64_t g_counts = 0;           // sum over seasons of g(n_season)
        std::int64_t g_ties = 0;             // sum over tie groups of g(size)
        double sum = 0.0;                    // of the finite values in the window
        std::size_t finite = 0;              // finite values in the window
        bool fitted = false;                 // slope and level hold a fit
        std::uint64_t fit_t = 0;             // t when they were fitted
        double slope = 0.0;                  // Sen's slope of the last fit
        double level = 0.0;                  // the line at the oldest sample then

        // Saved: the window and the fitted line; the rest is rebuilt from the window on load.
        template <class Archive>
        void archive(Archive& ar) {
            ar(values, t, finite_seen, sum, fitted, fit_t, slope, level);
        }
    };

    // Rebuilds the sorted blocks, counts and Mann-Kendall sums of a loaded state from its
    // window by replaying it into a fresh state (exact: they are integers and sorted copies;
    // the sum is kept as saved). False when the window does not fit the configuration.
    bool rebuild(State& st) const {
        const std::size_t w = config_.window;
        if (st.values.size() != w || st.fit_t > st.t || (!st.fitted && st.fit_t != 0)) return false;
        std::size_t finite = 0;
        for (std::size_t k = 0; k < w; ++k) {
            const double v = st.values[k];
            if (std::isinf(v) || (k >= st.t && !std::isnan(v))) return false;
            finite += !std::isnan(v);
        }
        if (st.finite_seen < finite || st.finite_seen > st.t) return false;
        State fresh(config_);
        const std::uint64_t n = std::min<std::uint64_t>(st.t, w);
        fresh.t = st.t - n;
        for (std::uint64_t a = fresh.t; a < st.t; ++a)
            push(fresh, st.values[static_cast<std::size_t>(a % w)]);
        fresh.finite_seen = st.finite_seen;
        fresh.sum = st.sum;
        fresh.fitted = st.fitted;
        fresh.fit_t = st.fit_t;
        fresh.slope = st.slope;
        fresh.level = st.level;
        st = std::move(fresh);
        return true;
    }

    // Double precision throughout (Boost.Math would otherwise promote to long double).
    using erfc_policy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;

    static constexpr double nan() noexcept { return std::numeric_limits<double>::quiet_NaN(); }

    // g(n) = n (n - 1) (2n + 5): a group of n values' share of 18 Var S.
    static constexpr std::int64_t g(std::int64_t n) noexcept { return n * (n - 1) * (2 * n + 5); }

    static Direction sign_direction(double v) noexcept {
        return v > 0 ? Direction::up : (v < 0 ? Direction::down : Direction::none);
    }

    static double z_of(const State& st) noexcept {
        const auto variance = static_cast<double>(st.g_counts - st.g_ties) / 18.0;
        if (!(variance > 0.0)) return 0.0;
        const std::int64_t corrected = st.s > 0 ? st.s - 1 : (st.s < 0 ? st.s + 1 : 0);
        return static_cast<double>(corrected) / std::sqrt(variance);
    }

    // Slides the window by one sample. Each season keeps its finite values sorted, so the
    // change to S and the tie groups come from binary searches: the oldest value leaves
    // (S -= #greater - #less among the others), the new one enters (S += #less - #greater).
    // O(log(window / period)) compares plus an O(window / period) memmove on each side.
    void push(State& st, double x) const noexcept {
        const std::size_t w = config_.window;
        const std::size_t p = config_.period;
        const auto slot = static_cast<std::size_t>(st.t % w);
        const std::size_t season = slot % p;
        const double old = st.values[slot];
        double* const base = st.sorted.data() + season * (w / p);
        std::uint32_t& n = st.season_n[season];
        if (!std::isnan(old)) {
            double* const end = base + n;
            double* const lo = std::lower_bound(base, end, old);
            double* const hi = std::upper_bound(lo, end, old);
            const std::int64_t others_equal = hi - lo - 1;
            st.s -= (end - hi) - (lo - base);
            st.g_ties -= g(others_equal + 1) - g(others_equal);
            st.g_counts -= g(n) - g(std::int64_t(n) - 1);
            std::copy(lo + 1, end, lo);
            --n;
            st.sum -= old;
            --st.finite;
        }
        if (!std::isnan(x)) {
            double* const end = base + n;
            double* const lo = std::lower_bound(base, end, x);
            double* const hi = std::upper_bound(lo, end, x);
            const std::int64_t equal = hi - lo;
            st.s += (lo - base) - (end - hi);
            st.g_ties += g(equal + 1) - g(equal);
            st.g_counts += g(std::int64_t(n) + 1) - g(n);
            std::copy_backward(hi, end, end + 1);
            *hi = x;
            ++n;
            st.sum += x;
            ++st.finite;
            ++st.finite_seen;
        }
        st.values[slot] = x;
        ++st.t;
        if (st.t % w == 0) { // re-add the sum now and then so rounding cannot accumulate
            double exact = 0.0;
            for (double value : st.values)
                if (!std::isnan(value)) exact += value;
            st.sum = exact;
        }
    }

    // Absolute index of the sample in `slot`, for the window ending at sample st.t - 1.
    std::uint64_t index_of(const State& st, std::size_t slot) const noexcept {
        const std::size_t w = config_.window;
        const std::uint64_t newest = st.t - 1;
        const auto newest_slot = static_cast<std::size_t>(newest % w);
        return newest - static_cast<std::uint64_t>((newest_slot + w - slot) % w);
    }

    // Median of scratch_[0, count) (augur::median_of: type 7); reorders the scratch. NaN
    // when count is 0. O(count).
    double scratch_median(std::size_t count) noexcept {
        return augur::median_of(std::span<double>(scratch_.data(), count));
    }

    // The same median, faster on large inputs (Floyd & Rivest's idea): a sorted regular sample
    // of about count^(2/3) values brackets the middle ranks, one branch-free pass counts the
    // values below the bracket and packs those inside it to the front, and the middle ranks
    // are selected among the packed values only. Exact; returns nullopt (the scratch is then
    // clobbered) in the rare case the bracket misses the middle ranks.
    std::optional<double> bracketed_median(std::size_t count) noexcept {
        const std::size_t k_lo = (count - 1) / 2; // the middle ranks (equal when count is odd)
        const std::size_t k_hi = count / 2;
        const auto n = static_cast<double>(count);
        const std::size_t size =
            std::min(sample_.size(), static_cast<std::size_t>(std::cbrt(n * n)));
        const std::size_t stride = count / size;
        for (std::size_t i = 0; i < size; ++i)
            sample_[i] = scratch_[i * stride];
        std::sort(sample_.begin(), sample_.begin() + static_cast<std::ptrdiff_t>(size));
        const auto gap =
            static_cast<std::size_t>(std::sqrt(static_cast<double>(size) * std::log(n)));
        const std::size_t centre = size / 2;
        const double lo = sample_[centre > gap ? centre - gap : 0];
        const double hi = sample_[std::min(size - 1, centre + gap)];
        std::size_t below = 0;
        std::size_t packed = 0;
        double* data = scratch_.data();
        for (std::size_t i = 0; i < count; ++i) {
            const double v = data[i];
            below += v < lo;
            data[packed] = v; // packed <= i: never overwrites an unread value
            packed += (v >= lo) & (v <= hi);
        }
        if (below > k_lo || below + packed <= k_hi) return std::nullopt;
        const auto first = scratch_.begin();
        const auto low = first + static_cast<std::ptrdiff_t>(k_lo - below);
        std::nth_element(first, low, first + static_cast<std::ptrdiff_t>(packed));
        if (k_hi == k_lo) return *low;
        const double high = *std::min_element(low + 1, first + static_cast<std::ptrdiff_t>(packed));
        return *low == high ? *low : *low + 0.5 * (high - *low); // as augur::median_of
    }

    // Writes the pairwise slopes of compared pairs to the scratch; returns how many.
    std::size_t fill_slopes(const State& st) noexcept {
        const std::size_t w = config_.window;
        const std::size_t p = config_.period;
        std::size_t count = 0;
        for (std::size_t season = 0; season < p; ++season) {
            // The season's finite values and their times, packed so the pair loop is plain.
            std::size_t m = 0;
            for (std::size_t k = season; k < w; k += p) {
                if (std::isnan(st.values[k])) continue;
                season_x_[m] = st.values[k];
                season_t_[m] = static_cast<double>(index_of(st, k));
                ++m;
            }
            for (std::size_t a = 0; a < m; ++a) {
                const double xa = season_x_[a];
                const double ta = season_t_[a];
                double* out = scratch_.data() + count;
                for (std::size_t b = a + 1; b < m; ++b)
                    out[b - a - 1] = (season_x_[b] - xa) / (season_t_[b] - ta);
                count += m - a - 1;
            }
        }
        return count;
    }

    double median_slope(const State& st) {
        const std::size_t count = fill_slopes(st);
        if (count < 1024) return scratch_median(count);
        if (const auto median = bracketed_median(count)) return *median;
        return scratch_median(fill_slopes(st));
    }

    // Sen's slope and the robust line's value at the window's oldest sample.
    void fit_line(State& st) {
        const double slope = median_slope(st);
        st.slope = std::isnan(slope) ? 0.0 : slope;
        const std::uint64_t first = oldest(st.t);
        std::size_t count = 0;
        for (std::size_t k = 0; k < config_.window; ++k) {
            if (std::isnan(st.values[k])) continue;
            const auto age = static_cast<double>(index_of(st, k) - first);
            scratch_[count++] = st.values[k] - st.slope * age;
        }
        st.level = scratch_median(count);
        st.fitted = true;
        st.fit_t = st.t;
    }

    // Absolute index of the oldest sample in the window after t samples.
    std::uint64_t oldest(std::uint64_t t) const noexcept {
        return t > config_.window ? t - config_.window : 0;
    }

    TrendConfig config_;
    std::uint64_t refit_interval_ = config_.slope_stride ? config_.slope_stride : config_.window;
    PerSeries<State> states_;
    std::vector<double> scratch_;  // pairwise slopes, then residuals
    std::vector<double> season_x_; // one season's finite values
    std::vector<double> season_t_; // and their sample indices
    std::vector<double> sample_;   // bracketed_median's sample
};

static_assert(StreamingDetector<TrendDetector>);

} // namespace v0
} // namespace augur
