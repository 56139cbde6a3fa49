#pragma once

// DefaultDetector: the detector `augur detect` uses unless told otherwise. It combines
// evidence at several time scales, each statistic calibrated against its own history, and
// reports the onset of an anomaly rather than every sample of it.
//
// Evidence (computed for every sample against the series' past only):
//   spike     |x - median| / spread of the last `history` values (robust z);
//   density   mean over `density_window` samples of -log P(bin of x): values in a range the
//             window rarely visits (multimodal data: a value between two usual levels);
//   change    |x - previous| / typical |difference| (median), divided by sqrt(gap / interval)
//             after a time gap (a random walk's expected growth);
//   level     |mean of the last `level_window` values - median| / spread: a lasting shift;
//   seasonal  mean over `seasonal_window` samples of |x - phase mean| / phase deviation when
//             learning found a daily or weekly cycle (autocorrelation >= min_autocorrelation),
//             from the third cycle on; the per-phase baseline is exponentially weighted per
//             cycle, winsorized at 4 deviations;
//   rate      mean over `rate_window` samples of the spike statistic: spikes getting denser.
// Calibration: each statistic's values over the last `calibration` samples are kept in a
// log-binned histogram; the tail probability p_k of the current value is empirical up to the
// history's 99% quantile and exponential beyond it (scale fitted to the 95-99% and
// 99-99.9% quantile gaps, the heavier of the two). The quantiles are refreshed every
// `refresh` samples.
// Combination: p = min(1, K * min_k p_k) (Bonferroni over the K = 6 statistics), score = 1 - p.
// Onset: after a sample scores >= threshold, the next `refractory` samples' scores are
// multiplied by `suppression`, so one incident raises one alarm (the earliest sample).
// Learning: the first `learning` samples of a series are buffered; then the value range (for
// the bins), the sampling interval and the seasonal period are found, and the learning
// samples are replayed in order through the statistics to fill their histories (the first
// fifth of them only warms the baselines up). Scores are 0 and learning = true until then.
// NaN samples are ignored (score 0, state unchanged); +-inf samples score 1 once learned and
// are never learned. Values leaving the binned range are counted in overflow bins; when more
// than a quarter of the window overflows, the bins are re-ranged over the window.
// Complexity: observe is O(1) histogram updates plus one O(bins / 16 + 16) tail count per
// statistic (blocked bin counts), O(history) on a rare re-ranging; the end of learning costs
// O(learning). Measured 4-6 M samples/s on one series (Release, bench/anomaly_streaming).
// Memory per series (series_bytes(), default configuration, measured): while learning, a
// 56-byte State and 16 bytes per buffered sample (312 bytes at 1 to 10 samples, 8.2 KB at
// 499); when learning ends, a heap Model of ~9 KiB of histograms plus windows that grow with
// the history, 16 bytes * history + 12 bytes * calibration at most (35 KB after 500 samples,
// 63 KB after 1000, 89.6 KB from 2500 on). Allocation: while the learning buffer and the
// windows grow (geometrically), and once at the end of learning; none once the windows are
// full. A series that is forgotten (forget, or evicted by an InputGuard series limit) gives
// all of it back but the 56 bytes.
// Measured on the NAB subset (realKnownCause + artificialWithAnomaly, `augur detect`,
// learning = 15% of each file): standard 61.1 with the threshold optimised over the corpus,
// 57.3 at the default threshold 0.997 (see bench/anchors/nab.sh).
// Thread-safety: not synchronized; const members may be called concurrently.

#include "augur/anomaly/detail/default_detector_histogram.hpp"
#include "augur/anomaly/detail/zscore_score.hpp"
#include "augur/anomaly/detector.hpp"
#include "augur/anomaly/seasonal.hpp"
#include "augur/core/archive.hpp"
#include "augur/core/error.hpp"
#include "augur/core/sample.hpp"
#include "augur/core/stats.hpp"
#include "augur/core/window.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <limits>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace augur {
inline namespace v0 {

/// Numbers of a DefaultDetector (see the file comment). The defaults are the ones measured
/// on the Numenta Anomaly Benchmark; `augur detect` sets `learning` to 15% of a file's rows
/// (at most 750).
struct DefaultDetectorConfig {
    /// Samples buffered before scoring starts; >= 20.
    std::size_t learning = 500;
    /// Values in the baseline window (median, spread, density); >= 20.
    std::size_t history = 2000;
    /// Samples of each statistic's calibration history; >= 100.
    std::size_t calibration = 4000;
    /// Bins of the value histogram; in [4, 4096].
    std::size_t value_bins = 50;
    /// Averaging windows of the density, level, seasonal and rate statistics; >= 1.
    std::size_t density_window = 6;
    std::size_t level_window = 12;
    std::size_t seasonal_window = 12;
    std::size_t rate_window = 50;
    /// Samples after an alarm whose scores are multiplied by `suppression`.
    std::size_t refractory = 300;
    /// In [0, 1].
    double suppression = 0.5;
    /// A sample is an anomaly at score >= threshold; in (0, 1].
    double threshold = 0.997;
    /// A daily or weekly cycle is used when its autocorrelation reaches this; in [-1, 1].
    double min_autocorrelation = 0.3;
    /// Half-life of each phase's seasonal baseline, in cycles; > 0.
    double season_half_life = 3.0;
    /// Samples between refreshes of the cached quantiles; >= 1.
    std::size_t refresh = 16;

    template <class Archive>
    void archive(Archive& ar) {
        ar(learning, history, calibration, value_bins, density_window, level_window,
           seasonal_window, rate_window, refractory, suppression, threshold, min_autocorrelation,
           season_half_life, refresh);
    }

    /// Throws invalid_argument naming the field on a bad value.
    void validate() const {
        const char* where = "DefaultDetectorConfig";
        if (learning < 20) throw_invalid_config(where, "learning", learning, "must be >= 20");
        if (history < 20) throw_invalid_config(where, "history", history, "must be >= 20");
        if (calibration < 100)
            throw_invalid_config(where, "calibration", calibration, "must be >= 100");
        if (value_bins < 4 || value_bins > 4096)
            throw_invalid_config(where, "value_bins", value_bins, "must be in [4, 4096]");
        if (density_window < 1)
            throw_invalid_config(where, "density_window", density_window, "must be >= 1");
        if (level_window < 1)
            throw_invalid_config(where, "level_window", level_window, "must be >= 1");
        if (seasonal_window < 1)
            throw_invalid_config(where, "seasonal_window", seasonal_window, "must be >= 1");
        if (rate_window < 1)
            throw_invalid_config(where, "rate_window", rate_window, "must be >= 1");
        if (!(suppression >= 0.0 && suppression <= 1.0))
            throw_invalid_config(where, "suppression", suppression, "must be in [0, 1]");
        if (!(threshold > 0.0 && threshold <= 1.0))
            throw_invalid_config(where, "threshold", threshold, "must be in (0, 1]");
        if (!(min_autocorrelation >= -1.0 && min_autocorrelation <= 1.0))
            throw_invalid_config(where, "min_autocorrelation", min_autocorrelation,
                                 "must be in [-1, 1]");
        if (!(season_half_life > 0.0) || !std::isfinite(season_half_life))
            throw_invalid_config(where, "season_half_life", season_half_life,
                                 "must be finite and > 0");
        if (refresh < 1) throw_invalid_config(where, "refresh", refresh, "must be >= 1");
    }
};

/// The evidence behind one DefaultDetector score: each statistic and its tail probability.
struct DefaultEvidence {
    enum Kind : std::uint8_t { spike, density, change, level, seasonal, rate };
    static constexpr std::size_t count = 6;
    static constexpr const char* names[count] = {"spike", "density",  "change",
                                                 "level", "seasonal", "rate"};
    std::array<double, count> statistic{};
    std::array<double, count> probability{1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
    /// The statistic with the smallest probability.
    Kind strongest = spike;
    /// True when the score was multiplied by `suppression` (refractory period).
    bool suppressed = false;
    /// The seasonal baseline (phase mean) of the sample; NaN without a cycle.
    double seasonal_expected = std::numeric_limits<double>::quiet_NaN();
};

/// The default streaming detector: multi-scale evidence, self-calibrated, onset-only alarms.
/// @code
///   augur::DefaultDetector detector;                       // defaults from NAB
///   for (const augur::Sample& s : samples)
///       if (auto d = detector.observe(s); d.is_anomaly) alert(s, d.score, d.shape);
/// @endcode
class DefaultDetector {
    static constexpr std::size_t K = DefaultEvidence::count;

public:
    /// The baselines and histories of a series that has finished learning.
    struct Model {
        struct Entry {
            double value = 0.0;
            std::uint16_t value_bin = 0;
            std::uint16_t diff_bin = 0;
            template <class Archive>
            void archive(Archive& ar) {
                ar(value, value_bin, diff_bin);
            }
        };
        struct StatEntry {
            std::array<std::uint16_t, K> bins{};
            template <class Archive>
            void archive(Archive& ar) {
                ar(bins);
            }
        };
        RingBuffer<Entry> window{1};
        RingBuffer<StatEntry> stat_window{1};
        detail::DefaultHistogram values;
        detail::DefaultHistogram diffs;
        std::array<detail::DefaultHistogram, K> stats;
        std::array<detail::DefaultTail, K> tails;
        detail::DefaultRunningMean density_mean, level_mean, seasonal_mean, rate_mean;
        std::vector<double> phase_mean, phase_dev;
        Timestamp t0{}, last_time{};
        std::int64_t interval = 0; // ns; 0 when unknown
        double lo = 0.0, width = 1.0;
        double median = 0.0, spread = 1.0, diff_spread = 1.0; // cached, see refresh
        double last = std::numeric_limits<double>::quiet_NaN();
        double alpha_season = 0.0;
        std::size_t overflow = 0; // window values in the two overflow bins
        std::size_t until_refresh = 0;
        std::size_t since_alarm = std::numeric_limits<std::size_t>::max();

        template <class Archive>
        void archive(Archive& ar) {
            ar(window, stat_window, values, diffs, stats, tails, density_mean, level_mean,
               seasonal_mean, rate_mean, phase_mean, phase_dev, t0, last_time, interval, lo, width,
               median, spread, diff_spread, last, alpha_season, overflow, until_refresh,
               since_alarm);
        }
    };

    /// Per-series state: while learning, the samples so far (a few dozen bytes plus 16 per
    /// sample); then the Model, on the heap, so a table of many short series stays small.
    struct State {
        std::vector<double> learn_values;
        std::vector<Timestamp> learn_times;
        std::unique_ptr<Model> model; // set when learning ends

        State() = default;
        State(const State& o)
            : learn_values(o.learn_values), learn_times(o.learn_times),
              model(o.model ? std::make_unique<Model>(*o.model) : nullptr) {}
        State& operator=(const State& o) {
            if (this != &o) *this = State(o);
            return *this;
        }
        State(State&&) noexcept = default;
        State& operator=(State&&) noexcept = default;
        ~State() = default;

        bool learned() const noexcept { return model != nullptr; }

        template <class Writer>
        void save_fields(Writer& w) const {
            w(learn_values, learn_times, learned());
            if (model) w(*model);
        }
        template <class Reader>
        void load_fields(Reader& r) {
            r(learn_values, learn_times);
            model.reset();
            if (r.template read<bool>()) {
                model = std::make_unique<Model>();
                r(*model);
            }
        }
    };
    static_assert(std::is_nothrow_move_constructible_v<State>);

    /// The type tag of saved detectors (augur/core/archive.hpp).
    static constexpr std::string_view archive_type = "augur.DefaultDetector";

    /// Throws invalid_argument naming the field on a bad configuration.
    explicit DefaultDetector(DefaultDetectorConfig config = {}) : config_(checked(config)) {}

    /// Scores `sample` against its series' history, then learns it.
    Detection observe(const Sample& sample) {
        DefaultEvidence evidence;
        return observe(sample, evidence);
    }

    /// As observe(sample), and fills `evidence` with the statistics behind the score.
    Detection observe(const Sample& sample, DefaultEvidence& evidence) {
        State& state = states_[sample.series];
        const double x = sample.value;
        Detection d;
        d.threshold = config_.threshold;
        d.learning = !state.learned();
        if (std::isnan(x)) return d;
        if (!state.learned()) {
            if (std::isinf(x)) return d;
            if (state.learn_values.empty()) {
                const std::size_t initial = std::min<std::size_t>(config_.learning, 16);
                state.learn_values.reserve(initial);
                state.learn_times.reserve(initial);
            }
            state.learn_values.push_back(x);
            state.learn_times.push_back(sample.time);
            if (state.learn_values.size() >= config_.learning) finish_learning(state);
            return d;
        }
        Model& s = *state.model;
        double p = 1.0;
        if (std::isinf(x)) {
            p = 0.0;
            evidence.statistic[DefaultEvidence::spike] = std::numeric_limits<double>::infinity();
            evidence.probability[DefaultEvidence::spike] = 0.0;
            evidence.strongest = DefaultEvidence::spike;
            d.expected = s.median;
        } else {
            update(s, x, sample.time, true, evidence);
            d.expected = s.median; // the median x was compared with
            for (std::size_t k = 0; k < K; ++k) {
                if (evidence.probability[k] < p) {
                    p = evidence.probability[k];
                    evidence.strongest = static_cast<DefaultEvidence::Kind>(k);
                }
            }
            p = std::min(1.0, p * static_cast<double>(K));
            if (evidence.strongest == DefaultEvidence::seasonal &&
                std::isfinite(evidence.seasonal_expected))
                d.expected = evidence.seasonal_expected;
        }
        double score = 1.0 - p;
        if (!(score >= 0.0)) score = 0.0; // NaN guard
        if (s.since_alarm < config_.refractory) {
            ++s.since_alarm;
            score *= config_.suppression;
            evidence.suppressed = true;
        } else if (score >= config_.threshold) {
            s.since_alarm = 0;
        }
        d.score = score;
        d.deviation = x - d.expected;
        d.is_anomaly = score >= config_.threshold;
        if (d.is_anomaly) {
            d.shape = shape_of(evidence.strongest);
            d.direction = detail::direction_of(d.deviation);
        }
        return d;
    }

    /// Forgets every series.
    void reset() noexcept { states_.clear(); }
    /// Forgets one series (it starts learning again if it returns), releasing its memory.
    void forget(SeriesId series) { states_.erase(series); }

    /// Saves the configuration and every series' state: a detector loaded from it continues
    /// exactly where this one stopped. O(total history).
    void save(std::ostream& out) const {
        write_archive(out, archive_type, 1, [&](ArchiveWriter& w) { w(config_, states_); });
    }
    /// Reads what save() wrote; throws data_error naming what is wrong (see archive.hpp),
    /// including a series whose saved state does not fit the saved configuration.
    static DefaultDetector load(std::istream& in) {
        return read_archive(in, archive_type, 1, [](ArchiveReader& r) {
            auto detector = r.construct<DefaultDetector>(r.read<DefaultDetectorConfig>());
            r(detector.states_);
            if (!detector.consistent(detector.states_.prototype()))
                r.fail("the prototype state is inconsistent");
            for (std::size_t i = 0; i < detector.states_.size(); ++i)
                if (!detector.consistent(
                        *detector.states_.find(SeriesId(static_cast<std::uint32_t>(i)))))
                    r.fail("series " + std::to_string(i) +
                           ": the saved state does not fit the saved configuration");
            return detector;
        });
    }
    const DefaultDetectorConfig& config() const noexcept { return config_; }
    double score_threshold() const noexcept { return config_.threshold; }

    /// Bytes of one series' state: sizeof(State) plus the heap it owns (0 if unseen).
    std::size_t series_bytes(SeriesId series) const noexcept {
        const State* state = states_.find(series);
        if (state == nullptr) return 0;
        std::size_t bytes = sizeof(State) + state->learn_values.capacity() * sizeof(double) +
                            state->learn_times.capacity() * sizeof(Timestamp);
        if (const Model* m = state->model.get()) {
            bytes += sizeof(Model) + m->window.allocated_bytes() +
                     m->stat_window.allocated_bytes() + m->values.allocated_bytes() +
                     m->diffs.allocated_bytes() +
                     (m->phase_mean.capacity() + m->phase_dev.capacity()) * sizeof(double);
            for (const auto& h : m->stats)
                bytes += h.allocated_bytes();
            for (const auto* mean :
                 {&m->density_mean, &m->level_mean, &m->seasonal_mean, &m->rate_mean})
                bytes += mean->allocated_bytes();
        }
        return bytes;
    }

    /// The seasonal period (samples) found for a series: 0 while learning or if unseen,
    /// 1 when no cycle was found.
    std::size_t period(SeriesId series) const noexcept {
        const State* s = states_.find(series);
        if (s == nullptr || !s->learned()) return 0;
        return std::max<std::size_t>(1, s->model->phase_mean.size());
    }

private:
    // A loaded state's sizes and bins fit the configuration (so no index leaves its array).
    bool consistent(const State& state) const {
        if (!state.learned())
            return state.learn_values.size() == state.learn_times.size() &&
                   state.learn_values.size() < config_.learning;
        if (!state.learn_values.empty() || !state.learn_times.empty()) return false;
        const Model& s = *state.model;
        const std::size_t log_bins = detail::DefaultLogBins::count;
        bool ok = s.window.capacity() == config_.history &&
                  s.stat_window.capacity() == config_.calibration &&
                  s.values.bins() == config_.value_bins + 2 && s.values.consistent() &&
                  s.diffs.bins() == log_bins && s.diffs.consistent() &&
                  s.density_mean.window() == config_.density_window &&
                  s.level_mean.window() == config_.level_window &&
                  s.seasonal_mean.window() == config_.seasonal_window &&
                  s.rate_mean.window() == config_.rate_window &&
                  s.phase_mean.size() == s.phase_dev.size() && s.phase_mean.size() != 1 &&
                  s.interval >= 0 && (s.phase_mean.empty() || s.interval > 0) &&
                  std::isfinite(s.lo) && s.width > 0.0 && std::isfinite(s.width) &&
                  s.overflow <= s.window.size();
        for (const auto& h : s.stats)
            ok = ok && h.bins() == log_bins && h.consistent();
        for (const Model::Entry& e : s.window)
            ok = ok && e.value_bin < config_.value_bins + 2 && e.diff_bin < log_bins;
        for (const Model::StatEntry& e : s.stat_window)
            for (const std::uint16_t b : e.bins)
                ok = ok && b < log_bins;
        return ok;
    }

    static DefaultDetectorConfig checked(DefaultDetectorConfig c) {
        c.validate();
        return c;
    }

    static Shape shape_of(DefaultEvidence::Kind k) noexcept {
        switch (k) {
        case DefaultEvidence::spike:
            return Shape::spike;
        case DefaultEvidence::change:
        case DefaultEvidence::level:
            return Shape::level_shift;
        default:
            return Shape::pattern;
        }
    }

    // Allocates the baselines and histories when learning ends (they grow with the history).
    void allocate(Model& s) const {
        s.window = RingBuffer<Model::Entry>(config_.history);
        s.stat_window = RingBuffer<Model::StatEntry>(config_.calibration);
        s.values = detail::DefaultHistogram(config_.value_bins + 2);
        s.diffs = detail::DefaultHistogram(detail::DefaultLogBins::count);
        for (auto& h : s.stats)
            h = detail::DefaultHistogram(detail::DefaultLogBins::count);
        s.density_mean = detail::DefaultRunningMean(config_.density_window);
        s.level_mean = detail::DefaultRunningMean(config_.level_window);
        s.seasonal_mean = detail::DefaultRunningMean(config_.seasonal_window);
        s.rate_mean = detail::DefaultRunningMean(config_.rate_window);
    }

    // Value bins: 0 below the range, 1..value_bins inside, value_bins + 1 above.
    std::size_t value_bin(const Model& s, double x) const noexcept {
        const double k = std::floor((x - s.lo) / s.width);
        if (!(k >= 0.0)) return 0;
        if (k >= static_cast<double>(config_.value_bins)) return config_.value_bins + 1;
        return static_cast<std::size_t>(k) + 1;
    }
    double bin_center(const Model& s, std::size_t b) const noexcept {
        return s.lo + (static_cast<double>(b) - 0.5) * s.width;
    }
    bool is_overflow(std::size_t b) const noexcept { return b == 0 || b == config_.value_bins + 1; }

    void set_range(Model& s, double lo, double hi) const noexcept {
        constexpr double big = std::numeric_limits<double>::max() / 4;
        lo = std::clamp(lo, -big, big);
        hi = std::clamp(hi, -big, big);
        double range = hi - lo;
        if (!(range > 0.0)) range = std::max(1e-9, 0.1 * std::fabs(lo));
        s.lo = lo;
        s.width = range / static_cast<double>(config_.value_bins);
    }

    std::size_t phase_of(const Model& s, Timestamp t) const noexcept {
        const std::size_t period = s.phase_mean.size();
        if (period <= 1 || s.interval <= 0) return 0;
        const std::int64_t steps =
            ((t - s.t0).count() + s.interval / 2) / s.interval - ((t < s.t0) ? 1 : 0);
        const auto m = steps % static_cast<std::int64_t>(period);
        return static_cast<std::size_t>(m < 0 ? m + static_cast<std::int64_t>(period) : m);
    }

    // Seasonal evidence counts once the series has spanned 3 cycles (learning included).
    bool season_ready(const Model& s, Timestamp t) const noexcept {
        const auto period = static_cast<std::int64_t>(s.phase_mean.size());
        return period > 1 && (t - s.t0).count() / s.interval >= season_cycles_ * period;
    }

    // Recomputes the cached medians, spreads and tail quantiles.
    void refresh(Model& s) const noexcept {
        s.until_refresh = config_.refresh;
        const double floor_spread = 0.5 * s.width;
        if (s.values.total() > 0) {
            s.median = bin_center(s, s.values.quantile_bin(0.5));
            const double iqr = bin_center(s, s.values.quantile_bin(0.75)) -
                               bin_center(s, s.values.quantile_bin(0.25));
            s.spread = std::max(iqr / 1.349, floor_spread);
        }
        s.diff_spread = floor_spread;
        if (s.diffs.total() > 0)
            s.diff_spread = std::max(
                1.4826 * detail::DefaultLogBins::value(s.diffs.quantile_bin(0.5)), floor_spread);
        for (std::size_t k = 0; k < K; ++k)
            s.tails[k].refresh(s.stats[k], 50, 0.1);
    }

    // The statistics of x against the current baselines and (when `score`) their tail
    // probabilities; then x is learned. Statistics enter the calibration histories only when
    // `calibrate` (not during the warm-up of the replay).
    void update(Model& s, double x, Timestamp t, bool calibrate, DefaultEvidence& e) const {
        if (s.until_refresh == 0 || s.values.total() < 16) refresh(s);
        --s.until_refresh;
        // Statistics are capped so that their averages stay finite.
        auto capped = [](double u) { return std::isnan(u) || u > 1e12 ? 1e12 : u; };
        const double floor_spread = 0.5 * s.width;
        const std::size_t vb = value_bin(s, x);
        auto& u = e.statistic;
        u[DefaultEvidence::spike] = capped(std::fabs(x - s.median) / s.spread);
        {
            const double n = static_cast<double>(s.values.total());
            const double c = static_cast<double>(s.values.count(vb));
            const double prob = (c + 0.5) / (n + 0.5 * static_cast<double>(config_.value_bins + 2));
            u[DefaultEvidence::density] = s.density_mean.push(-std::log(prob));
        }
        std::size_t diff_bin = 0;
        {
            double dx = std::isfinite(s.last) ? std::fabs(x - s.last) : 0.0;
            if (s.interval > 0 && std::isfinite(s.last)) {
                const double gap = static_cast<double>((t - s.last_time).count()) /
                                   static_cast<double>(s.interval);
                if (gap > 1.0) dx /= std::sqrt(gap);
            }
            u[DefaultEvidence::change] = capped(dx / s.diff_spread);
            diff_bin = detail::DefaultLogBins::bin(dx);
            s.last = x;
            s.last_time = t;
        }
        u[DefaultEvidence::level] = capped(std::fabs(s.level_mean.push(x) - s.median) / s.spread);
        if (s.phase_mean.size() > 1) {
            const std::size_t ph = phase_of(s, t);
            const double r = x - s.phase_mean[ph];
            e.seasonal_expected = s.phase_mean[ph];
            const double dev = std::max(s.phase_dev[ph] * 1.2533, floor_spread);
            u[DefaultEvidence::seasonal] = s.seasonal_mean.push(capped(std::fabs(r) / dev));
            const double rc = std::clamp(r, -4.0 * dev, 4.0 * dev);
            if (std::isfinite(rc)) {
                s.phase_mean[ph] += s.alpha_season * rc;
                s.phase_dev[ph] += s.alpha_season * (std::fabs(rc) - s.phase_dev[ph]);
            }
        }
        u[DefaultEvidence::rate] = s.rate_mean.push(std::min(u[DefaultEvidence::spike], 10.0));

        Model::StatEntry se;
        for (std::size_t k = 0; k < K; ++k) {
            e.probability[k] = s.tails[k].probability(s.stats[k], u[k]);
            if (k == DefaultEvidence::seasonal && !season_ready(s, t)) e.probability[k] = 1.0;
            se.bins[k] = static_cast<std::uint16_t>(detail::DefaultLogBins::bin(u[k]));
        }
        if (const auto old = s.window.push(Model::Entry{x, static_cast<std::uint16_t>(vb),
                                                        static_cast<std::uint16_t>(diff_bin)})) {
            if (is_overflow(old->value_bin)) --s.overflow;
            s.values.add(old->value_bin, -1);
            s.diffs.add(old->diff_bin, -1);
        }
        if (is_overflow(vb)) ++s.overflow;
        s.values.add(vb, 1);
        s.diffs.add(diff_bin, 1);
        if (calibrate) {
            if (const auto old = s.stat_window.push(se))
                for (std::size_t k = 0; k < K; ++k)
                    s.stats[k].add(old->bins[k], -1);
            for (std::size_t k = 0; k < K; ++k)
                s.stats[k].add(se.bins[k], 1);
        }
        if (s.window.size() >= 20 && 4 * s.overflow > s.window.size()) rebin(s);
    }

    // Re-ranges the value bins over the values in the window and recounts them. O(history).
    void rebin(Model& s) const noexcept {
        double lo = std::numeric_limits<double>::infinity();
        double hi = -lo;
        for (const Model::Entry& e : s.window) {
            lo = std::min(lo, e.value);
            hi = std::max(hi, e.value);
        }
        set_range(s, lo, hi);
        s.values.clear();
        s.overflow = 0;
        for (Model::Entry& e : s.window) {
            e.value_bin = static_cast<std::uint16_t>(value_bin(s, e.value));
            if (is_overflow(e.value_bin)) ++s.overflow;
            s.values.add(e.value_bin, 1);
        }
        s.until_refresh = 0;
    }

    void finish_learning(State& state) const {
        auto model = std::make_unique<Model>();
        Model& s = *model;
        allocate(s);
        const std::vector<double>& v = state.learn_values;
        const std::vector<Timestamp>& times = state.learn_times;
        const std::size_t n = v.size();
        const auto [mn, mx] = std::minmax_element(v.begin(), v.end());
        set_range(s, *mn, *mx);
        s.interval = sampling_interval(times).count();
        s.t0 = times.front();
        learn_season(s, v, times);
        // Replay: the first fifth warms the baselines up, the rest also fills the histories.
        const std::size_t warm = std::max<std::size_t>(20, n / 5);
        DefaultEvidence e;
        for (std::size_t i = 0; i < n; ++i)
            update(s, v[i], times[i], i >= warm, e);
        s.until_refresh = 0;
        state.model = std::move(model);
        std::vector<double>().swap(state.learn_values);
        std::vector<Timestamp>().swap(state.learn_times);
    }

    // Finds a daily or weekly cycle in the learning data and initialises the phase baselines.
    void learn_season(Model& s, const std::vector<double>& v,
                      const std::vector<Timestamp>& times) const {
        const std::size_t n = v.size();
        if (s.interval <= 0) return;
        double mean = 0.0;
        for (const double x : v)
            mean += x;
        mean /= static_cast<double>(n);
        double den = 0.0;
        for (const double x : v)
            den += (x - mean) * (x - mean);
        if (!(den > 0.0) || !std::isfinite(den)) return;
        std::vector<std::size_t> lags;
        for (const Duration span :
             {Duration(std::chrono::hours(24)), Duration(std::chrono::hours(24 * 7))})
            lags.push_back(static_cast<std::size_t>((span.count() + s.interval / 2) / s.interval));
        const std::size_t period = detail::seasonal_period(
            detail::seasonal_regular_grid(v, times, s.interval), lags, config_.min_autocorrelation);
        if (period <= 1) return;
        s.phase_mean.assign(period, 0.0);
        s.phase_dev.assign(period, 0.0);
        std::vector<double> count(period, 0.0);
        std::vector<double> abs_dev(period, 0.0);
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t p = phase_of(s, times[i]);
            s.phase_mean[p] += v[i];
            count[p] += 1.0;
        }
        for (std::size_t p = 0; p < period; ++p)
            s.phase_mean[p] = count[p] > 0 ? s.phase_mean[p] / count[p] : mean;
        // A phase no learned sample fell in takes the mean of its nearest learned neighbours.
        for (std::size_t p = 0; p < period; ++p) {
            if (count[p] > 0) continue;
            std::size_t before = 1, after = 1;
            while (before < period && count[(p + period - before) % period] == 0)
                ++before;
            while (after < period && count[(p + after) % period] == 0)
                ++after;
            s.phase_mean[p] = 0.5 * (s.phase_mean[(p + period - before) % period] +
                                     s.phase_mean[(p + after) % period]);
        }
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t p = phase_of(s, times[i]);
            abs_dev[p] += std::fabs(v[i] - s.phase_mean[p]);
        }
        // Deviations pooled over neighbouring phases (+-1 hour at daily periods).
        const std::size_t h = std::max<std::size_t>(1, period / 24);
        for (std::size_t p = 0; p < period; ++p) {
            double sum = 0.0;
            double c = 0.0;
            for (std::size_t k = 0; k <= 2 * h; ++k) {
                const std::size_t q = (p + period * (1 + h) + k - h) % period;
                sum += abs_dev[q];
                c += count[q];
            }
            s.phase_dev[p] = c > 0 ? sum / c : 0.0;
        }
        s.alpha_season = alpha_from_half_life(config_.season_half_life);
    }

    static constexpr std::int64_t season_cycles_ = 3;

    DefaultDetectorConfig config_;
    PerSeries<State> states_;
};

static_assert(StreamingDetector<DefaultDetector>);

} // namespace v0
} // namespace augur
