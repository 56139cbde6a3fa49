#pragma once

// ZScoreDetector: flags values far from a per-series baseline, in baseline standard
// deviations. The baseline is a policy: EwmaBaseline (exponentially weighted mean and
// variance, O(1) per sample) or WindowBaseline (mean and sd of the last N values, O(1)).
// The threshold is a policy too (ZScoreThreshold): given a sample's z statistic it returns the
// calibrated score and whether the sample alarms. It is a policy, not a number, because what
// a z means is a choice of the use: SigmaThreshold (the default) flags |z| >= sigma on either
// side; OneSidedThreshold flags only one side (latency up, throughput down), scoring the other
// side 0, so a good deviation neither alarms nor ranks high in an ensemble. A user policy can
// calibrate differently (e.g. a heavier-tailed Student-t score) without touching the detector.
//
// Score (SigmaThreshold): 1 - 2 * (1 - Phi(|z|)) = erf(|z| / sqrt 2), the two-sided normal
// tail probability turned into a score in [0, 1] (|z| = 3 scores 0.9973). 0 while learning.
// Each sample is scored against the baseline of the values before it, then learned (causal).
// NaN samples are ignored: score 0, not anomalous, the state is unchanged. +-inf samples score
// 1 (anomalous once learned) and are never learned. A zero spread (constant series) makes any
// change maximal (|z| = inf, score 1); round-off below 1e-12 * |mean| is not a change; a
// config floor `min_spread` sets a larger absolute floor.
// Measured (Release, bench/anomaly_streaming): 47-68 M samples/s (Ewma), 25-38 M/s (Window).
// Complexity: observe is O(1), no allocation after a series' first sample (EwmaBaseline) or
// once its window is full (WindowBaseline: the ring grows geometrically with the values held).
// Memory per series (series_bytes(), measured, default configurations): EwmaZScore 40 bytes
// whatever the history; WindowZScore (window 100) 88 bytes + 8 per value held, rounded up by
// the ring's geometric growth: 152 bytes after 1 sample, 232 after 10, 888 with a full window.
// Saved and loaded (save / load, augur/core/archive.hpp): the configuration, both policies and
// every series' state, so a loaded detector scores the next samples exactly as the saved one
// would have. Type tag "augur.ZScoreDetector<baseline,threshold>" from the policies'
// archive_name ("ewma", "window"; "sigma", "one_sided").
// Thread-safety: not synchronized; const members may be called concurrently.

#include "augur/anomaly/detail/zscore_score.hpp"
#include "augur/anomaly/detector.hpp"
#include "augur/core/archive.hpp"
#include "augur/core/error.hpp"
#include "augur/core/sample.hpp"
#include "augur/core/stats.hpp"
#include "augur/core/stream.hpp"
#include "augur/core/window.hpp"

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace augur {
inline namespace v0 {

/// A z-score baseline policy. It holds configuration; the per-series statistics live in its
/// nested State, made by make_state(). Contract (all O(1) unless documented):
///   State make_state() const;                      a fresh series' state
///   void update(State&, double x) const noexcept;  learn a finite value
///   std::uint64_t count(const State&) const;       values learned
///   double mean(const State&) const;               expected value (NaN when empty)
///   double stddev(const State&) const;             spread (NaN when fewer than 2 values)
template <class B>
concept ZScoreBaseline = requires(const B& b, typename B::State& s, const typename B::State& cs,
                                  double x) {
    { b.make_state() } -> std::same_as<typename B::State>;
    { b.update(s, x) }
    noexcept;
    { b.count(cs) } -> std::convertible_to<std::uint64_t>;
    { b.mean(cs) } -> std::convertible_to<double>;
    { b.stddev(cs) } -> std::convertible_to<double>;
};

/// What a ZScoreThreshold makes of one z statistic.
struct ZScoreVerdict {
    double score = 0.0;      ///< calibrated score in [0, 1]
    bool is_anomaly = false; ///< the sample alarms
};

/// A threshold policy: turns the z statistic of a learned series' sample into its calibrated
/// score and alarm decision. Contract:
///   ZScoreVerdict judge(double z) const noexcept;   O(1); z may be +-inf (a change against a
///       zero spread) but not NaN; score in [0, 1], non-decreasing in |z| on each side, and
///       is_anomaly only when score >= score_threshold()
///   double score_threshold() const;                  the score reported as Detection::threshold
/// Optional: void validate() const (throws invalid_argument naming the field), called by the
/// detector's constructor. For save / load: a static `archive_name` and an archive(ar) member.
template <class T>
concept ZScoreThreshold = requires(const T& t, double z) {
    { t.judge(z) }
    noexcept->std::same_as<ZScoreVerdict>;
    { t.score_threshold() } -> std::convertible_to<double>;
};

/// A policy the detectors can save and load: a name for the archive's type tag and a
/// symmetric archive(ar) member over its configuration (augur/core/archive.hpp).
template <class P>
concept ArchivablePolicy = std::default_initializable<P> && requires(P& p, ArchiveWriter& w) {
    { P::archive_name } -> std::convertible_to<std::string_view>;
    p.archive(w);
};

/// Exponentially weighted mean and variance with a half-life in samples (see augur::Ewma).
/// The variance is clamped to the largest finite double, so a huge value (1e300) cannot
/// poison the state forever: it decays away like any other value.
/// State: 32 bytes per series, no heap.
struct EwmaBaseline {
    static constexpr std::string_view archive_name = "ewma";

    /// A value's weight halves after this many further values; > 0.
    double half_life = 50.0;

    struct State {
        std::uint64_t count = 0;
        double mean = 0.0;
        double var = 0.0;
        double alpha = 0.0; // from half_life, computed once per series

        template <class Archive>
        void archive(Archive& ar) {
            ar(count, mean, var, alpha);
        }
    };

    template <class Archive>
    void archive(Archive& ar) {
        ar(half_life);
    }

    /// Throws invalid_argument naming the field on a bad value.
    void validate() const {
        if (!(half_life > 0.0 && std::isfinite(half_life)))
            throw_invalid_config("EwmaBaseline", "half_life", half_life, "must be finite and > 0");
    }
    State make_state() const noexcept { return State{0, 0.0, 0.0, alpha()}; }
    void update(State& s, double x) const noexcept {
        if (s.count++ == 0) {
            s.mean = x;
            s.var = 0.0;
            return;
        }
        const double alpha = s.alpha;
        const double diff = x - s.mean;
        const double incr = alpha * diff;
        s.mean += incr;
        const double var = (1.0 - alpha) * (s.var + diff * incr);
        s.var = std::isfinite(var) ? var : std::numeric_limits<double>::max();
        if (!std::isfinite(s.mean)) s.mean = x; // only reachable through overflow
    }
    std::uint64_t count(const State& s) const noexcept { return s.count; }
    double mean(const State& s) const noexcept {
        return s.count ? s.mean : std::numeric_limits<double>::quiet_NaN();
    }
    double stddev(const State& s) const noexcept {
        return s.count > 1 ? std::sqrt(s.var) : std::numeric_limits<double>::quiet_NaN();
    }
    /// The smoothing factor 1 - 2^(-1 / half_life) (augur::alpha_from_half_life).
    double alpha() const noexcept { return alpha_from_half_life(half_life); }
    /// Whether a loaded state belongs to this configuration (its alpha) and is sane.
    bool loadable(const State& s) const noexcept {
        return s.alpha == alpha() && !std::isnan(s.mean) && s.var >= 0.0;
    }
};

/// Mean and sample standard deviation of the last `window` values (sliding Welford update,
/// recomputed from the window every `window` updates to bound round-off drift).
/// State: 80 bytes per series plus the ring of values, which grows geometrically with the
/// values held up to 8 * window bytes (allocated_bytes).
struct WindowBaseline {
    static constexpr std::string_view archive_name = "window";

    /// How many recent values form the baseline; >= 2.
    std::size_t window = 100;

    struct State {
        RingBuffer<double> values{1};
        std::uint64_t count = 0;
        double mean = 0.0;
        double m2 = 0.0;
        std::size_t since_recompute = 0;

        template <class Archive>
        void archive(Archive& ar) {
            ar(values, count, mean, m2, since_recompute);
        }
    };

    template <class Archive>
    void archive(Archive& ar) {
        ar(window);
    }

    void validate() const {
        if (window < 2) throw_invalid_config("WindowBaseline", "window", window, "must be >= 2");
    }
    State make_state() const {
        State s;
        s.values = RingBuffer<double>(window);
        return s;
    }
    void update(State& s, double x) const noexcept {
        ++s.count;
        const auto evicted = s.values.push(x);
        const auto n = static_cast<double>(s.values.size());
        if (!evicted) {
            const double delta = x - s.mean;
            s.mean += delta / n;
            s.m2 += delta * (x - s.mean);
        } else {
            const double old = *evicted;
            const double old_mean = s.mean;
            s.mean += (x - old) / n;
            s.m2 += (x - old) * (x - s.mean + old - old_mean);
        }
        if (++s.since_recompute >= window || !std::isfinite(s.m2) || s.m2 < 0.0 ||
            !std::isfinite(s.mean))
            recompute(s);
    }
    std::uint64_t count(const State& s) const noexcept { return s.count; }
    double mean(const State& s) const noexcept {
        return s.values.empty() ? std::numeric_limits<double>::quiet_NaN() : s.mean;
    }
    double stddev(const State& s) const noexcept {
        if (s.values.size() < 2) return std::numeric_limits<double>::quiet_NaN();
        return std::sqrt(s.m2 / static_cast<double>(s.values.size() - 1));
    }
    /// Heap bytes a state owns.
    std::size_t allocated_bytes(const State& s) const noexcept {
        return s.values.allocated_bytes();
    }
    /// Whether a loaded state belongs to this configuration (its window) and is sane. O(window).
    bool loadable(const State& s) const noexcept {
        if (s.values.capacity() != window || s.since_recompute >= window ||
            s.count < s.values.size() || std::isnan(s.mean) || !(s.m2 >= 0.0))
            return false;
        return std::all_of(s.values.begin(), s.values.end(),
                           [](double v) { return std::isfinite(v); });
    }

private:
    static void recompute(State& s) noexcept {
        s.since_recompute = 0;
        double mean = 0.0;
        double m2 = 0.0;
        std::size_t n = 0;
        for (const double v : s.values) {
            ++n;
            const double delta = v - mean;
            mean += delta / static_cast<double>(n);
            m2 += delta * (v - mean);
        }
        s.mean = std::isfinite(mean) ? mean : 0.0;
        s.m2 = std::isfinite(m2) ? m2 : std::numeric_limits<double>::max();
    }
};

/// Two-sided: score erf(|z| / sqrt 2), flags |z| >= sigma (score >= erf(sigma / sqrt 2)).
struct SigmaThreshold {
    static constexpr std::string_view archive_name = "sigma";

    double sigma = 3.0;

    void validate() const {
        if (!(sigma > 0.0) || std::isnan(sigma))
            throw_invalid_config("SigmaThreshold", "sigma", sigma, "must be > 0");
    }
    ZScoreVerdict judge(double z) const noexcept {
        const double score = detail::score_from_z(z);
        return {score, score >= score_threshold()};
    }
    double score_threshold() const noexcept { return detail::score_from_z(sigma); }

    template <class Archive>
    void archive(Archive& ar) {
        ar(sigma);
    }
};

/// One-sided: only deviations towards `side` count. Score erf(|z| / sqrt 2) on that side and
/// 0 on the other; flags z >= sigma (side up) or z <= -sigma (side down).
struct OneSidedThreshold {
    static constexpr std::string_view archive_name = "one_sided";

    double sigma = 3.0;
    /// Direction::up or Direction::down.
    Direction side = Direction::up;

    void validate() const {
        if (!(sigma > 0.0) || std::isnan(sigma))
            throw_invalid_config("OneSidedThreshold", "sigma", sigma, "must be > 0");
        if (side != Direction::up && side != Direction::down)
            throw_invalid_config("OneSidedThreshold", "side", static_cast<int>(side),
                                 "must be up (1) or down (-1)");
    }
    ZScoreVerdict judge(double z) const noexcept {
        const bool towards = side == Direction::up ? z > 0.0 : z < 0.0;
        const double score = towards ? detail::score_from_z(z) : 0.0;
        return {score, score >= score_threshold()};
    }
    double score_threshold() const noexcept { return detail::score_from_z(sigma); }

    template <class Archive>
    void archive(Archive& ar) {
        ar(sigma, side);
    }
};

/// Numbers of a ZScoreDetector.
struct ZScoreConfig {
    /// Samples a series learns from before it is scored; >= 2.
    std::size_t learning = 30;
    /// Absolute floor on the baseline's standard deviation (0: none; see the file comment).
    double min_spread = 0.0;
    /// Learn from values that were flagged. When false, a flagged value is not learned, but
    /// after `max_skipped` consecutive flagged values the baseline learns again (so a lasting
    /// level shift becomes the new normal instead of being flagged forever).
    bool learn_anomalies = true;
    std::size_t max_skipped = 10;

    template <class Archive>
    void archive(Archive& ar) {
        ar(learning, min_spread, learn_anomalies, max_skipped);
    }

    void validate() const {
        if (learning < 2)
            throw_invalid_config("ZScoreConfig", "learning", learning, "must be >= 2");
        if (!(min_spread >= 0.0) || !std::isfinite(min_spread))
            throw_invalid_config("ZScoreConfig", "min_spread", min_spread,
                                 "must be finite and >= 0");
    }
};

/// Streaming z-score detector over any number of series.
/// @tparam Baseline a ZScoreBaseline (EwmaBaseline or WindowBaseline).
/// @tparam Threshold a ZScoreThreshold (SigmaThreshold, OneSidedThreshold).
/// @code
///   augur::EwmaZScore detector({.learning = 50}, augur::EwmaBaseline{.half_life = 100});
///   augur::Detection d = detector.observe(sample);
///   if (d.is_anomaly) alert(sample, d.score);
/// @endcode
template <class Baseline = EwmaBaseline, class Threshold = SigmaThreshold>
class ZScoreDetector {
    static_assert(ZScoreBaseline<Baseline>,
                  "Baseline must provide State, make_state, update(State&, double) noexcept, "
                  "count, mean and stddev (see ZScoreBaseline)");
    static_assert(ZScoreThreshold<Threshold>,
                  "Threshold must provide ZScoreVerdict judge(double) const noexcept and "
                  "double score_threshold() const (see ZScoreThreshold)");

public:
    struct State {
        typename Baseline::State baseline;
        std::uint32_t skipped = 0;

        template <class Archive>
        void archive(Archive& ar) {
            ar(baseline, skipped);
        }
    };

    /// Throws invalid_argument naming the field on a bad configuration.
    explicit ZScoreDetector(ZScoreConfig config = {}, Baseline baseline = {},
                            Threshold threshold = {})
        : config_(checked(config)), baseline_(checked(std::move(baseline))),
          threshold_(checked(std::move(threshold))), score_threshold_(threshold_.score_threshold()),
          states_(State{baseline_.make_state(), 0}) {}

    /// Scores `sample` against its series' baseline, then learns it. O(1).
    Detection observe(const Sample& sample) {
        State& s = states_[sample.series];
        const double x = sample.value;
        const bool learning = baseline_.count(s.baseline) < config_.learning;
        if (std::isnan(x)) return detail::unscored_detection(learning, score_threshold_);
        Detection d;
        d.learning = learning;
        d.threshold = score_threshold_;
        if (!learning) {
            const double mean = baseline_.mean(s.baseline);
            const double sd =
                detail::floored_spread(baseline_.stddev(s.baseline), config_.min_spread, mean);
            const ZScoreVerdict verdict = threshold_.judge(detail::guarded_z(x, mean, sd));
            d.score = verdict.score;
            d.expected = mean;
            d.deviation = x - mean;
            d.is_anomaly = verdict.is_anomaly;
            if (d.is_anomaly) {
                d.shape = Shape::spike;
                d.direction = detail::direction_of(d.deviation);
            }
        }
        if (!std::isfinite(x)) return d;
        if (d.is_anomaly && !config_.learn_anomalies && s.skipped < config_.max_skipped) {
            ++s.skipped;
            return d;
        }
        s.skipped = 0;
        baseline_.update(s.baseline, x);
        return d;
    }

    /// Forgets every series.
    void reset() noexcept { states_.clear(); }
    /// Forgets one series (it learns again if it returns), releasing its memory.
    void forget(SeriesId series) { states_.erase(series); }

    /// The state of a series, or nullptr if it has not been seen.
    const State* state(SeriesId series) const noexcept { return states_.find(series); }
    const ZScoreConfig& config() const noexcept { return config_; }
    const Baseline& baseline() const noexcept { return baseline_; }
    const Threshold& threshold() const noexcept { return threshold_; }
    /// The score at or above which a sample is flagged.
    double score_threshold() const noexcept { return score_threshold_; }

    /// Bytes of one series' state: sizeof(State) plus the heap it owns; 0 if unseen.
    std::size_t series_bytes(SeriesId series) const noexcept {
        const State* s = states_.find(series);
        if (s == nullptr) return 0;
        std::size_t heap = 0;
        if constexpr (requires { baseline_.allocated_bytes(s->baseline); })
            heap = baseline_.allocated_bytes(s->baseline);
        return sizeof(State) + heap;
    }

    /// The archive type tag, e.g. "augur.ZScoreDetector<ewma,sigma>".
    static std::string
    archive_tag() requires ArchivablePolicy<Baseline> && ArchivablePolicy<Threshold> {
        return "augur.ZScoreDetector<" + std::string(Baseline::archive_name) + "," +
               std::string(Threshold::archive_name) + ">";
    }

    /// Saves the configuration, the policies and every series' state. O(state size).
    void save(std::ostream& out) const requires ArchivablePolicy<Baseline> &&
        ArchivablePolicy<Threshold> {
        write_archive(out, archive_tag(), 1,
                      [&](ArchiveWriter& w) { w(config_, baseline_, threshold_, states_); });
    }

    /// Loads what save wrote; a wrong type, a corrupted archive, a configuration that does not
    /// validate or a state that does not fit it throw data_error.
    static ZScoreDetector
    load(std::istream& in) requires ArchivablePolicy<Baseline> && ArchivablePolicy<Threshold> {
        return read_archive(in, archive_tag(), 1, [](ArchiveReader& r) {
            auto config = r.read<ZScoreConfig>();
            auto baseline = r.read<Baseline>();
            auto threshold = r.read<Threshold>();
            auto d = r.construct<ZScoreDetector>(config, std::move(baseline), std::move(threshold));
            r(d.states_);
            auto fits = [&](const State& s) {
                if (s.skipped > d.config_.max_skipped) return false;
                if constexpr (requires { d.baseline_.loadable(s.baseline); })
                    return d.baseline_.loadable(s.baseline);
                return true;
            };
            r.require(fits(d.states_.prototype()), "the prototype state does not fit the "
                                                   "configuration");
            for (std::size_t i = 0; i < d.states_.size(); ++i)
                r.require(fits(*d.states_.find(SeriesId(static_cast<std::uint32_t>(i)))),
                          "series " + std::to_string(i) +
                              "'s state does not fit the "
                              "configuration");
            return d;
        });
    }

private:
    template <class T>
    static T checked(T value) {
        if constexpr (requires { value.validate(); }) value.validate();
        return value;
    }

    ZScoreConfig config_;
    Baseline baseline_;
    Threshold threshold_;
    double score_threshold_;
    PerSeries<State> states_;
};

/// Z-score against an exponentially weighted mean and variance.
using EwmaZScore = ZScoreDetector<EwmaBaseline>;
/// Z-score against the mean and sd of a sliding window.
using WindowZScore = ZScoreDetector<WindowBaseline>;

static_assert(StreamingDetector<EwmaZScore>);
static_assert(StreamingDetector<WindowZScore>);
static_assert(ZScoreThreshold<SigmaThreshold> && ZScoreThreshold<OneSidedThreshold>);

} // namespace v0
} // namespace augur
