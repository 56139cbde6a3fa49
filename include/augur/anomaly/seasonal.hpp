#pragma once

// SeasonalDetector: a per-phase baseline for series with a daily / weekly (or any) cycle.
// A value is compared with what is usual at the same phase of the cycle, so a spike at an
// off-peak hour is caught even when it is well inside the range of the whole series (where a
// global z-score sees nothing), and the normal peak is not an anomaly.
//
// Learning: the first `learning` samples of a series are buffered. At the end of learning
//  - the sampling interval is the median gap between the learned timestamps;
//  - the period is config.period when given (in samples), else the candidate with the highest
//    autocorrelation of the learned values, among the candidate spans (default 1 hour, 1 day,
//    1 week) converted to samples at the sampling interval, keeping those of at least 2 and at
//    most learning / 2 samples; it must reach min_autocorrelation and exceed the
//    autocorrelation at half its lag (a cycle's trough: this rejects smooth or trending series
//    without a cycle), else the series is treated as not seasonal (period 1: one phase, a
//    plain EWMA z-score on the value);
//  - each phase's mean starts as the mean of its learned values, its variance as the pooled
//    variance of the residuals of the phases within +-max(1, period / 24) of it.
// Scoring: phase = round((time - first time) / interval) mod period (samples at irregular
// times fall in the phase of their time; when the interval is 0, the sample index is used);
// z = (x - phase mean) / spread with spread = max(predictive phase sd, spread_floor * sd of
// all residuals) (the predictive sd adds the uncertainty of the phase mean's estimate), score
// erf(|z| / sqrt 2) in [0, 1], flagged at |z| >= sigma. Update: the phase's mean is exponentially
// weighted per cycle (half-life half_life_cycles); its variance too, pooled over the phases within
// +-max(1, period / 24) (every residual updates them all, with the weight spread so the decay per
// cycle stays the same); the residual is winsorized at +-sigma spreads first, so a spike does not
// drag the phase's baseline while a lasting change is still learned within a few cycles.
// NaN samples are ignored (score 0); +-inf score 1 and are not learned; a zero spread makes
// any change maximal (see zscore.hpp).
// Measured (Release, period 288): 11-13 M samples/s.
// Complexity: observe O(1 + period / 12) after learning; the end of learning costs
// O(learning * candidates).
// Memory per series (series_bytes(), measured): 152 bytes of State, plus while learning 16
// bytes per learned sample (grown geometrically with the samples, released at the end of
// learning), then 24 * period bytes. Default config (learning 2016), 5-minute data whose
// period is found to be 288: 168 bytes after 1 sample, 408 after 10, 32 920 just before the
// end of learning (2 015 samples), 7 064 once learned (the steady state).
// Allocation: while learning (the buffers grow) and once at the end of it; none after.
// Saved and loaded (save / load, augur/core/archive.hpp, type tag "augur.SeasonalDetector"):
// the configuration and every series' state (learning buffers or phases), so a loaded
// detector continues exactly.
// Thread-safety: not synchronized; const members may be called concurrently.

#include "augur/anomaly/detail/zscore_score.hpp"
#include "augur/anomaly/detector.hpp"
#include "augur/core/archive.hpp"
#include "augur/core/error.hpp"
#include "augur/core/sample.hpp"
#include "augur/core/stats.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace augur {
inline namespace v0 {

/// Numbers of a SeasonalDetector.
struct SeasonalConfig {
    /// Period in samples; 0 = find it during learning (see the file comment).
    std::size_t period = 0;
    /// Samples learned before scoring; >= 2 * period (when given) and >= 8.
    std::size_t learning = 2016;
    /// Candidate cycle lengths for the automatic period, as durations.
    std::vector<Duration> candidate_spans = {std::chrono::hours(1), std::chrono::hours(24),
                                             std::chrono::hours(24 * 7)};
    /// The autocorrelation a candidate period needs to be accepted.
    double min_autocorrelation = 0.3;
    /// Half-life of each phase's baseline, in cycles; > 0.
    double half_life_cycles = 5.0;
    /// Flag |z| >= sigma.
    double sigma = 4.0;
    /// A phase's spread is at least this fraction of the spread of all residuals; in [0, 1].
    double spread_floor = 0.25;
    /// Absolute floor on the spread (0: none).
    double min_spread = 0.0;

    template <class Archive>
    void archive(Archive& ar) {
        ar(period, learning, candidate_spans, min_autocorrelation, half_life_cycles, sigma,
           spread_floor, min_spread);
    }

    void validate() const {
        if (learning < 8)
            throw_invalid_config("SeasonalConfig", "learning", learning, "must be >= 8");
        if (period != 0 && learning < 2 * period)
            throw_invalid_config("SeasonalConfig", "learning", learning, "must be >= 2 * period");
        if (period == 1)
            throw_invalid_config("SeasonalConfig", "period", period, "must be 0 or >= 2");
        if (!(min_autocorrelation >= -1.0 && min_autocorrelation <= 1.0))
            throw_invalid_config("SeasonalConfig", "min_autocorrelation", min_autocorrelation,
                                 "must be in [-1, 1]");
        if (!(half_life_cycles > 0.0) || !std::isfinite(half_life_cycles))
            throw_invalid_config("SeasonalConfig", "half_life_cycles", half_life_cycles,
                                 "must be finite and > 0");
        if (!(sigma > 0.0) || std::isnan(sigma))
            throw_invalid_config("SeasonalConfig", "sigma", sigma, "must be > 0");
        if (!(spread_floor >= 0.0 && spread_floor <= 1.0))
            throw_invalid_config("SeasonalConfig", "spread_floor", spread_floor,
                                 "must be in [0, 1]");
        if (!(min_spread >= 0.0) || !std::isfinite(min_spread))
            throw_invalid_config("SeasonalConfig", "min_spread", min_spread,
                                 "must be finite and >= 0");
        for (const Duration d : candidate_spans)
            if (d <= Duration::zero())
                throw_invalid_config("SeasonalConfig", "candidate_spans (ns)", d.count(),
                                     "must be > 0");
    }
};

namespace detail {

/// Autocorrelation of `values` at `lag` (biased estimator, as R's acf). O(n).
inline double seasonal_autocorrelation(const std::vector<double>& values, std::size_t lag) {
    const std::size_t n = values.size();
    if (lag == 0 || lag >= n) return 0.0;
    double mean = 0.0;
    for (const double v : values)
        mean += v;
    mean /= static_cast<double>(n);
    double den = 0.0;
    for (const double v : values)
        den += (v - mean) * (v - mean);
    if (!(den > 0.0) || !std::isfinite(den)) return 0.0;
    double num = 0.0;
    for (std::size_t i = 0; i + lag < n; ++i)
        num += (values[i] - mean) * (values[i + lag] - mean);
    return num / den;
}

/// The values on a regular time grid of step `interval` from the first time to the last (each
/// slot holds the latest value at or before it: gaps are carried forward), so that a lag in
/// samples is a lag in time. Returns the values unchanged when the grid would be more than 4
/// times longer (large gaps) or the interval is not positive. O(n + grid).
inline std::vector<double> seasonal_regular_grid(const std::vector<double>& values,
                                                 const std::vector<Timestamp>& times,
                                                 std::int64_t interval) {
    if (values.empty() || interval <= 0) return values;
    const std::int64_t span = (times.back() - times.front()).count();
    if (span < 0 || span / interval > 4 * static_cast<std::int64_t>(values.size())) return values;
    const auto slots = static_cast<std::size_t>(span / interval) + 1;
    std::vector<double> grid(slots);
    std::size_t i = 0;
    for (std::size_t k = 0; k < slots; ++k) {
        const std::int64_t slot_end = static_cast<std::int64_t>(k) * interval + interval / 2;
        while (i + 1 < values.size() && (times[i + 1] - times.front()).count() <= slot_end)
            ++i;
        grid[k] = values[i];
    }
    return grid;
}

/// The candidate lag (in samples) that is a seasonal period of `values`: among the lags in
/// [2, n / 2] whose autocorrelation reaches `min_acf` and exceeds the autocorrelation at half
/// the lag (a cycle has a trough at half its period; a merely smooth or trending series,
/// whose autocorrelation decays with the lag, has none), the one with the highest
/// autocorrelation; 1 when none qualifies. O(n * candidates).
inline std::size_t seasonal_period(const std::vector<double>& values,
                                   const std::vector<std::size_t>& lags, double min_acf) {
    std::size_t period = 1;
    double best = min_acf;
    for (const std::size_t lag : lags) {
        if (lag < 2 || lag > values.size() / 2) continue;
        const double acf = seasonal_autocorrelation(values, lag);
        if (acf >= best && acf > seasonal_autocorrelation(values, lag / 2)) {
            best = acf;
            period = lag;
        }
    }
    return period;
}

} // namespace detail

/// Streaming per-phase seasonal detector over any number of series (see the file comment).
/// @code
///   augur::SeasonalDetector detector({.period = 288, .learning = 2 * 288});  // 5-min data
///   augur::Detection d = detector.observe(sample);
/// @endcode
class SeasonalDetector {
public:
    struct Phase {
        double mean = 0.0;
        double var = 0.0;
        double mean_weight = 1.0; // variance of the mean estimate, in units of var

        template <class Archive>
        void archive(Archive& ar) {
            ar(mean, var, mean_weight);
        }
    };

    /// Per-series state.
    struct State {
        std::vector<double> learn_values; // learning only
        std::vector<Timestamp> learn_times;
        std::vector<Phase> phases; // period entries after learning
        Timestamp first_time{};
        std::int64_t interval_ns = 0; // 0: phase from the sample index
        std::uint64_t count = 0;      // finite samples learned
        std::uint64_t index = 0;      // samples seen (NaN excluded)
        double residual_var = 0.0;    // EWMA of squared residuals, all phases
        double alpha_phase = 0.0;
        double alpha_var = 0.0; // per pooled update: the phase variance decays like the mean
        std::size_t pool = 0;   // phases pooled on each side for the variance
        double alpha_global = 0.0;
        bool learned = false;

        template <class Archive>
        void archive(Archive& ar) {
            ar(learn_values, learn_times, phases, first_time, interval_ns, count, index,
               residual_var, alpha_phase, alpha_var, pool, alpha_global, learned);
        }
    };

    /// Throws invalid_argument naming the field on a bad configuration.
    explicit SeasonalDetector(SeasonalConfig config = {})
        : config_(checked(std::move(config))), threshold_(detail::score_from_z(config_.sigma)) {}

    /// Scores `sample` against its phase's baseline, then learns it. O(1) after learning.
    Detection observe(const Sample& sample) {
        State& s = states_[sample.series];
        const double x = sample.value;
        if (std::isnan(x)) return detail::unscored_detection(!s.learned, threshold_);
        if (!s.learned) {
            if (std::isinf(x)) return detail::unscored_detection(true, threshold_);
            if (s.learn_values.empty()) s.first_time = sample.time;
            s.learn_values.push_back(x);
            s.learn_times.push_back(sample.time);
            ++s.count;
            ++s.index;
            if (s.learn_values.size() >= config_.learning) finish_learning(s);
            return detail::unscored_detection(true, threshold_);
        }
        const std::size_t p = phase_of(s, sample.time);
        ++s.index;
        Phase& ph = s.phases[p];
        const double global_sd = std::sqrt(s.residual_var);
        // The spread of a new value: the phase's variance plus that of its mean's estimate.
        const double sd = detail::floored_spread(
            std::max(std::sqrt(ph.var * (1.0 + ph.mean_weight)), config_.spread_floor * global_sd),
            config_.min_spread, ph.mean);
        Detection d = detail::unscored_detection(false, threshold_);
        detail::score_spike(d, x, ph.mean, sd, threshold_);
        if (!std::isfinite(x)) return d;
        // Winsorized update: a spike moves the baseline by at most sigma spreads.
        double r = x - ph.mean;
        const double limit = config_.sigma * sd;
        if (std::isfinite(limit) && limit > 0.0) r = std::clamp(r, -limit, limit);
        if (std::isfinite(r)) {
            const double a = s.alpha_phase;
            ph.mean += a * r;
            ph.mean_weight = (1.0 - a) * (1.0 - a) * ph.mean_weight + a * a;
            // The variance is pooled over the phases within +-pool of this one.
            const std::size_t period = s.phases.size();
            const double b = s.alpha_var;
            for (std::size_t k = 0; k <= 2 * s.pool; ++k) {
                Phase& q = s.phases[(p + period * (1 + s.pool) + k - s.pool) % period];
                q.var = clamp_var((1.0 - b) * (q.var + b * r * r));
            }
            s.residual_var =
                clamp_var((1.0 - s.alpha_global) * (s.residual_var + s.alpha_global * r * r));
        }
        ++s.count;
        return d;
    }

    /// The period (samples) found or given for a series; 0 while learning or if unseen;
    /// 1 when the series was found not seasonal.
    std::size_t period(SeriesId series) const noexcept {
        const State* s = states_.find(series);
        return s != nullptr && s->learned ? s->phases.size() : 0;
    }
    /// The sampling interval measured during learning (0 if unknown).
    Duration interval(SeriesId series) const noexcept {
        const State* s = states_.find(series);
        return Duration{s != nullptr ? s->interval_ns : 0};
    }

    /// Forgets every series.
    void reset() noexcept { states_.clear(); }
    /// Forgets one series (it learns again if it returns), releasing its memory.
    void forget(SeriesId series) { states_.erase(series); }
    const SeasonalConfig& config() const noexcept { return config_; }
    double score_threshold() const noexcept { return threshold_; }

    /// Bytes of one series' state: sizeof(State) plus the heap it owns; 0 if unseen.
    std::size_t series_bytes(SeriesId series) const noexcept {
        const State* s = states_.find(series);
        if (s == nullptr) return 0;
        return sizeof(State) + s->learn_values.capacity() * sizeof(double) +
               s->learn_times.capacity() * sizeof(Timestamp) + s->phases.capacity() * sizeof(Phase);
    }

    static constexpr std::string_view archive_tag = "augur.SeasonalDetector";

    /// Saves the configuration and every series' state. O(state size).
    void save(std::ostream& out) const {
        write_archive(out, archive_tag, 1, [&](ArchiveWriter& w) { w(config_, states_); });
    }

    /// Loads what save wrote; a wrong type, a corrupted archive, a configuration that does not
    /// validate or a state that does not fit it throw data_error.
    static SeasonalDetector load(std::istream& in) {
        return read_archive(in, archive_tag, 1, [](ArchiveReader& r) {
            auto d = r.construct<SeasonalDetector>(r.read<SeasonalConfig>());
            r(d.states_);
            r.require(d.fits(d.states_.prototype()), "the prototype state is not empty");
            for (std::size_t i = 0; i < d.states_.size(); ++i)
                r.require(d.fits(*d.states_.find(SeriesId(static_cast<std::uint32_t>(i)))),
                          "series " + std::to_string(i) +
                              "'s state does not fit the "
                              "configuration");
            return d;
        });
    }

private:
    // Whether a loaded state is one this configuration can reach: learning (buffers of equal
    // size below `learning`, finite values) or learned (a period, its pooling and rates).
    bool fits(const State& s) const {
        const auto finite = [](double v) { return std::isfinite(v); };
        if (!s.learned)
            return s.phases.empty() && s.learn_values.size() == s.learn_times.size() &&
                   s.learn_values.size() < config_.learning && s.count == s.learn_values.size() &&
                   s.index == s.count && s.interval_ns == 0 &&
                   std::all_of(s.learn_values.begin(), s.learn_values.end(), finite);
        const std::size_t period = s.phases.size();
        if (period == 0 || !s.learn_values.empty() || !s.learn_times.empty() || s.interval_ns < 0 ||
            (config_.period != 0 && period != config_.period) ||
            (config_.period == 0 && period > std::max<std::size_t>(1, config_.learning / 2)))
            return false;
        const Rates rates = rates_for(period);
        if (s.pool != rates.pool || s.alpha_phase != rates.phase || s.alpha_var != rates.var ||
            s.alpha_global != rates.global || !(s.residual_var >= 0.0))
            return false;
        return std::all_of(s.phases.begin(), s.phases.end(), [](const Phase& p) {
            return !std::isnan(p.mean) && p.var >= 0.0 && p.mean_weight >= 0.0;
        });
    }

    // The pooling half-width and the smoothing factors of a series with this period.
    struct Rates {
        std::size_t pool;
        double phase;
        double var;
        double global;
    };
    Rates rates_for(std::size_t period) const noexcept {
        const std::size_t h = period == 1 ? 0 : std::max<std::size_t>(1, period / 24);
        const double cycles = config_.half_life_cycles;
        return {h, alpha_from_half_life(cycles),
                alpha_from_half_life(cycles * static_cast<double>(2 * h + 1)),
                alpha_from_half_life(cycles * static_cast<double>(period))};
    }

    static SeasonalConfig checked(SeasonalConfig c) {
        c.validate();
        return c;
    }

    static double clamp_var(double v) noexcept {
        return std::isfinite(v) ? v : std::numeric_limits<double>::max();
    }

    std::size_t phase_of(const State& s, Timestamp time) const noexcept {
        const std::size_t period = s.phases.size();
        if (period == 1) return 0;
        if (s.interval_ns <= 0) return static_cast<std::size_t>(s.index % period);
        const double steps =
            static_cast<double>((time - s.first_time).count()) / static_cast<double>(s.interval_ns);
        const double k = std::round(steps);
        const auto m = static_cast<std::int64_t>(std::fmod(k, static_cast<double>(period)));
        return static_cast<std::size_t>(m < 0 ? m + static_cast<std::int64_t>(period) : m);
    }

    void finish_learning(State& s) const {
        const std::size_t n = s.learn_values.size();
        s.interval_ns = sampling_interval(s.learn_times).count();
        std::size_t period = config_.period;
        if (period == 0) {
            period = 1;
            if (s.interval_ns > 0) {
                std::vector<std::size_t> lags;
                for (const Duration span : config_.candidate_spans)
                    lags.push_back(static_cast<std::size_t>(std::llround(
                        static_cast<double>(span.count()) / static_cast<double>(s.interval_ns))));
                period = detail::seasonal_period(
                    detail::seasonal_regular_grid(s.learn_values, s.learn_times, s.interval_ns),
                    lags, config_.min_autocorrelation);
            }
        }
        s.phases.assign(period, Phase{});
        s.index = 0;
        // Phase means from the learned values.
        std::vector<double> sum(period, 0.0);
        std::vector<std::size_t> cnt(period, 0);
        std::vector<std::size_t> phase(n);
        for (std::size_t i = 0; i < n; ++i) {
            phase[i] = phase_of(s, s.learn_times[i]);
            ++s.index;
            sum[phase[i]] += s.learn_values[i];
            ++cnt[phase[i]];
        }
        double all = 0.0;
        for (const double v : s.learn_values)
            all += v;
        all /= static_cast<double>(n);
        for (std::size_t p = 0; p < period; ++p) {
            s.phases[p].mean = cnt[p] ? sum[p] / static_cast<double>(cnt[p]) : all;
            s.phases[p].mean_weight = cnt[p] ? 1.0 / static_cast<double>(cnt[p]) : 1.0;
        }
        // A phase no learned sample fell in (gaps) takes the mean of its nearest learned
        // neighbours on both sides.
        for (std::size_t p = 0; p < period; ++p) {
            if (cnt[p] != 0) continue;
            std::size_t before = 1, after = 1;
            while (before < period && cnt[(p + period - before) % period] == 0)
                ++before;
            while (after < period && cnt[(p + after) % period] == 0)
                ++after;
            if (before >= period) break; // nothing learned at all
            s.phases[p].mean = 0.5 * (s.phases[(p + period - before) % period].mean +
                                      s.phases[(p + after) % period].mean);
        }
        // Phase variances: residuals pooled over neighbouring phases.
        std::vector<double> sq(period, 0.0);
        double total_sq = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            const double r = s.learn_values[i] - s.phases[phase[i]].mean;
            sq[phase[i]] += r * r;
            total_sq += r * r;
        }
        const Rates rates = rates_for(period);
        const std::size_t h = rates.pool;
        for (std::size_t p = 0; p < period; ++p) {
            double acc = 0.0;
            std::size_t c = 0;
            for (std::size_t k = 0; k <= 2 * h; ++k) {
                const std::size_t q = (p + period + k - h) % period;
                acc += sq[q];
                c += cnt[q];
            }
            // Each phase's own mean absorbed one degree of freedom per phase pooled.
            const double dof = static_cast<double>(c) - static_cast<double>(2 * h + 1);
            s.phases[p].var = clamp_var(dof > 0 ? acc / dof : 0.0);
        }
        const double dof_all = static_cast<double>(n) - static_cast<double>(period);
        s.residual_var = clamp_var(dof_all > 0 ? total_sq / dof_all : 0.0);
        s.alpha_phase = rates.phase;
        s.pool = h;
        s.alpha_var = rates.var;
        s.alpha_global = rates.global;
        s.learned = true;
        std::vector<double>().swap(s.learn_values);
        std::vector<Timestamp>().swap(s.learn_times);
    }

    SeasonalConfig config_;
    double threshold_;
    PerSeries<State> states_;
};

static_assert(StreamingDetector<SeasonalDetector>);

} // namespace v0
} // namespace augur
