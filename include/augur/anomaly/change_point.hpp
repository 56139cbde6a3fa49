#pragma once

// Change-point detection: a two-sided CUSUM on standardised values (Page 1954) and the
// LevelShiftDetector built on it.
//
// Cusum watches any stream of doubles. The first `warmup` finite values estimate a reference
// mean m and standard deviation sd (floored at min_sd); every later value x is standardised,
// z = (x - m) / sd, and accumulated into
//     S+ = max(0, S+ + z - k),   S- = max(0, S- - z - k)        (k = drift, in sd units)
// A change is signalled when max(S+, S-) > h (threshold, sd units); the direction is the side
// that crossed. After a detection the Cusum resets itself: the following values start a new
// warm-up, so the reference follows the new regime. Non-finite values (NaN, +-inf) are ignored:
// they change nothing and are not counted (put an InputGuard in front to clamp infinities).
//
// With a known reference (set_reference), k = 0.5 and h = 5, the in-control average run
// length is about 465 values for the two-sided scheme (Brook-Evans Markov chain; measured
// 465.5), i.e. about 2.1 false alarms per 1000 values; a shift of 2 sd is found after a median
// of 4 values (90% within 6). A reference estimated from warmup = 20 values gives skewed run
// lengths: over the first 500 values of a stream about 3.9 false alarms per 1000 values
// (measured, 2000 seeds), though fewer in the long run. Raise warmup or h where false alarms
// are costly.
//
// Cusum::update is O(1), noexcept and allocation-free; a Cusum is 128 bytes, and so is a
// LevelShiftDetector's state per series, whatever its history (series_bytes(), no heap).
// Saved and loaded (save / load, augur/core/archive.hpp): a Cusum as "augur.Cusum", a
// LevelShiftDetector (configuration and every series' Cusum) as "augur.LevelShiftDetector";
// a loaded one continues exactly where the saved one stopped.
// Thread-safety: value types, not synchronized; const members may be called concurrently.

#include "augur/anomaly/detector.hpp"
#include "augur/core/archive.hpp"
#include "augur/core/error.hpp"
#include "augur/core/sample.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <istream>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>

namespace augur {
inline namespace v0 {

/// Configuration of a Cusum. validate() throws invalid_argument naming the field and value.
struct CusumConfig {
    /// k: the allowance subtracted per value, in reference sd units (half the shift to detect
    /// fastest). Must be finite and > 0 (with k = 0 the statistic is a driftless reflected
    /// random walk that alarms on any stationary stream within ~(h + 1.166)^2 values).
    double drift = 0.5;
    /// h: the decision threshold on max(S+, S-), in sd units; finite and > 0.
    double threshold = 5.0;
    /// Values used to estimate the reference mean and sd; >= 2.
    std::size_t warmup = 20;
    /// Floor on the reference sd (constant streams); finite and > 0.
    double min_sd = 1e-9;

    template <class Archive>
    void archive(Archive& ar) {
        ar(drift, threshold, warmup, min_sd);
    }
    friend bool operator==(const CusumConfig&, const CusumConfig&) = default;

    void validate() const {
        if (!(drift > 0.0 && std::isfinite(drift)))
            throw_invalid_config("CusumConfig", "drift", drift, "must be finite and > 0");
        if (!(threshold > 0.0 && std::isfinite(threshold)))
            throw_invalid_config("CusumConfig", "threshold", threshold, "must be finite and > 0");
        if (warmup < 2) throw_invalid_config("CusumConfig", "warmup", warmup, "must be >= 2");
        if (!(min_sd > 0.0 && std::isfinite(min_sd)))
            throw_invalid_config("CusumConfig", "min_sd", min_sd, "must be finite and > 0");
    }
};

/// What Cusum::update says about one value.
struct ChangeSignal {
    /// max(S+, S-) crossed the threshold with this value (the Cusum has reset itself).
    bool detected = false;
    /// The side with the larger sum (the side that crossed, when detected); none when both
    /// sums are 0 or while warming up.
    Direction direction = Direction::none;
    /// max(S+, S-) in sd units after this value (0 while warming up).
    double statistic = 0.0;
    /// Finite values since the last reset, this one included.
    std::size_t run_length = 0;
    /// When detected: how many values the crossing sum has been above 0, this one included —
    /// Page's estimate of how long ago the change happened. 0 otherwise.
    std::size_t change_age = 0;
};

/// Two-sided CUSUM with a warm-up estimated (or a known) reference. See the file comment.
/// update is O(1), noexcept, allocation-free.
/// Thread-safety: value type, not synchronized; const members may be called concurrently.
/// @code
///   augur::Cusum cusum({.drift = 0.5, .threshold = 5.0, .warmup = 30});
///   for (double reward : rewards)
///       if (auto signal = cusum.update(reward); signal.detected)
///           on_shift(signal.direction);      // the next 30 values form the new reference
/// @endcode
class Cusum {
public:
    /// Throws invalid_argument for an invalid configuration.
    explicit Cusum(CusumConfig config = {}) : config_(config) { config_.validate(); }

    /// Adds one value. Non-finite values are ignored (nothing changes, nothing is counted);
    /// the returned signal then describes the current state with detected == false.
    ChangeSignal update(double x) noexcept {
        ChangeSignal out;
        if (!std::isfinite(x)) {
            out.direction = leaning();
            out.statistic = statistic();
            out.run_length = count_;
            return out;
        }
        ++count_;
        out.run_length = count_;
        if (!monitoring_) {
            ++warm_n_;
            const double delta = x - warm_mean_;
            warm_mean_ += delta / static_cast<double>(warm_n_);
            warm_m2_ += delta * (x - warm_mean_);
            if (warm_n_ >= config_.warmup) {
                const double sd = std::sqrt(warm_m2_ / static_cast<double>(warm_n_ - 1));
                start_monitoring(warm_mean_, sd);
            }
            return out;
        }
        const double z = (x - ref_mean_) * inv_sd_;
        s_pos_ = std::max(0.0, s_pos_ + z - config_.drift);
        s_neg_ = std::max(0.0, s_neg_ - z - config_.drift);
        age_pos_ = s_pos_ > 0.0 ? age_pos_ + 1 : 0;
        age_neg_ = s_neg_ > 0.0 ? age_neg_ + 1 : 0;
        out.direction = leaning();
        out.statistic = statistic();
        if (out.statistic > config_.threshold) {
            out.detected = true;
            out.change_age = out.direction == Direction::up ? age_pos_ : age_neg_;
            reset();
        }
        return out;
    }

    /// Forgets everything; the next values form a new warm-up.
    void reset() noexcept {
        monitoring_ = false;
        count_ = 0;
        warm_n_ = 0;
        warm_mean_ = 0.0;
        warm_m2_ = 0.0;
        ref_mean_ = std::numeric_limits<double>::quiet_NaN();
        ref_sd_ = std::numeric_limits<double>::quiet_NaN();
        inv_sd_ = 0.0;
        clear_sums();
    }

    /// Skips the warm-up with a known reference (sd floored at min_sd) and starts monitoring
    /// afresh: sums and count are zeroed. After a detection a warm-up starts as usual.
    /// Throws invalid_argument unless mean is finite and sd is finite and >= 0.
    void set_reference(double mean, double sd) {
        if (!std::isfinite(mean))
            throw_invalid_config("Cusum::set_reference", "mean", mean, "must be finite");
        if (!(sd >= 0.0 && std::isfinite(sd)))
            throw_invalid_config("Cusum::set_reference", "sd", sd, "must be finite and >= 0");
        reset();
        start_monitoring(mean, sd);
    }

    /// True until the reference is known (warm-up in progress).
    bool warming_up() const noexcept { return !monitoring_; }
    /// The reference mean; NaN while warming up.
    double reference_mean() const noexcept { return ref_mean_; }
    /// The reference sd (after the min_sd floor); NaN while warming up.
    double reference_sd() const noexcept { return ref_sd_; }
    /// S+ and S- in sd units.
    double positive_sum() const noexcept { return s_pos_; }
    double negative_sum() const noexcept { return s_neg_; }
    /// max(S+, S-) in sd units.
    double statistic() const noexcept { return std::max(s_pos_, s_neg_); }
    /// Finite values since the last reset (warm-up included).
    std::size_t count() const noexcept { return count_; }
    const CusumConfig& config() const noexcept { return config_; }

    /// Saves / loads every field (augur/core/archive.hpp); see load for the checks.
    template <class Archive>
    void archive(Archive& ar) {
        ar(config_, count_, warm_n_, warm_mean_, warm_m2_, ref_mean_, ref_sd_, inv_sd_, s_pos_,
           s_neg_, age_pos_, age_neg_, monitoring_);
    }

    /// Whether the state is one update / reset / set_reference can reach (checked on load):
    /// a valid configuration, a warm-up below `warmup` values with no sums, or a reference
    /// (sd >= min_sd) with sums in [0, threshold].
    bool consistent() const noexcept {
        const CusumConfig& c = config_;
        if (!(c.drift > 0.0 && std::isfinite(c.drift) && c.threshold > 0.0 &&
              std::isfinite(c.threshold) && c.warmup >= 2 && c.min_sd > 0.0 &&
              std::isfinite(c.min_sd)))
            return false;
        if (age_pos_ > count_ || age_neg_ > count_) return false;
        if (!monitoring_)
            return warm_n_ == count_ && warm_n_ < c.warmup && s_pos_ == 0.0 && s_neg_ == 0.0 &&
                   age_pos_ == 0 && age_neg_ == 0 && std::isnan(ref_mean_) && std::isnan(ref_sd_);
        return ref_sd_ >= c.min_sd && std::isfinite(ref_sd_) && inv_sd_ == 1.0 / ref_sd_ &&
               !std::isnan(ref_mean_) && s_pos_ >= 0.0 && s_pos_ <= c.threshold && s_neg_ >= 0.0 &&
               s_neg_ <= c.threshold;
    }

    static constexpr std::string_view archive_tag = "augur.Cusum";

    /// Saves the configuration and the state. O(1).
    void save(std::ostream& out) const {
        write_archive(out, archive_tag, 1, [&](ArchiveWriter& w) { w(*this); });
    }
    /// Loads what save wrote; a corrupted archive or an unreachable state throw data_error.
    static Cusum load(std::istream& in) {
        return read_archive(in, archive_tag, 1, [](ArchiveReader& r) {
            Cusum c;
            r(c);
            r.require(c.consistent(), "the saved state is not one a Cusum can reach");
            return c;
        });
    }

private:
    void start_monitoring(double mean, double sd) noexcept {
        ref_mean_ = mean;
        ref_sd_ = std::max(sd, config_.min_sd);
        inv_sd_ = 1.0 / ref_sd_;
        monitoring_ = true;
        clear_sums();
    }

    void clear_sums() noexcept {
        s_pos_ = 0.0;
        s_neg_ = 0.0;
        age_pos_ = 0;
        age_neg_ = 0;
    }

    Direction leaning() const noexcept {
        return s_pos_ > s_neg_ ? Direction::up
                               : (s_neg_ > s_pos_ ? Direction::down : Direction::none);
    }

    CusumConfig config_;
    std::size_t count_ = 0;
    std::size_t warm_n_ = 0;
    double warm_mean_ = 0.0;
    double warm_m2_ = 0.0;
    double ref_mean_ = std::numeric_limits<double>::quiet_NaN();
    double ref_sd_ = std::numeric_limits<double>::quiet_NaN();
    double inv_sd_ = 0.0;
    double s_pos_ = 0.0;
    double s_neg_ = 0.0;
    std::size_t age_pos_ = 0;
    std::size_t age_neg_ = 0;
    bool monitoring_ = false;
};

/// Streaming level-shift detector: one Cusum per series (PerSeries). A sample is an anomaly
/// when its series' Cusum signals a change; the Cusum then re-learns the new level (the next
/// `warmup` samples of that series are `learning`). Each change is flagged once.
///
/// Detection: shape level_shift, direction the leaning side, expected = the reference mean,
/// deviation = value - reference mean. The score is a tail probability of the statistic S
/// under a stationary in-control stream, with Siegmund's corrected exponential approximation
/// of the reflected random walk (rate 2k, offset 0.583 per side, two sides):
///     score = 1 - min(1, 2 exp(-2k (S + 0.583)))
/// so that scores are comparable with other detectors' 1 - p-value scores; the threshold is
/// score(h) (0.9925 for k = 0.5, h = 5). The approximation is conservative near h (the reset
/// truncates the tail): on in-control data with a known reference, P(score >= 0.9) = 0.086
/// and P(score >= 0.99) = 0.0036 (measured). While a series warms up: learning, score 0.
/// Non-finite values are ignored by the Cusum (score 0, not an anomaly, deviation NaN).
///
/// observe is O(1) and allocation-free except when a new series appears (one Cusum copy).
/// Thread-safety: not synchronized; const members may be called concurrently.
/// @code
///   augur::LevelShiftDetector detector({.threshold = 6.0});
///   for (const augur::Sample& s : samples)
///       if (augur::Detection d = detector.observe(s); d.is_anomaly) report(s, d);
/// @endcode
class LevelShiftDetector {
public:
    /// Throws invalid_argument for an invalid configuration.
    explicit LevelShiftDetector(CusumConfig config = {})
        : states_(Cusum(config)), threshold_(score_of(config.threshold)) {}

    Detection observe(const Sample& sample) {
        Cusum& cusum = states_[sample.series];
        const double reference = cusum.reference_mean();
        const bool was_learning = cusum.warming_up();
        const ChangeSignal signal = cusum.update(sample.value);
        Detection out;
        out.threshold = threshold_;
        out.learning = was_learning;
        if (was_learning) return out; // the value joined (or skipped) the warm-up
        out.expected = reference;
        out.shape = Shape::level_shift;
        out.direction = signal.direction;
        if (!std::isfinite(sample.value)) return out;
        out.deviation = sample.value - reference;
        out.score = score_of(signal.statistic);
        out.is_anomaly = signal.detected;
        return out;
    }

    /// Forgets every series.
    void reset() noexcept { states_.clear(); }
    /// Forgets one series (it warms up again if it returns).
    void forget(SeriesId series) { states_.erase(series); }

    /// The calibrated score of a CUSUM statistic (see the class comment). O(1).
    double score_of(double statistic) const noexcept {
        const double k = states_.prototype().config().drift;
        return 1.0 - std::min(1.0, 2.0 * std::exp(-2.0 * k * (statistic + 0.583)));
    }
    /// The score threshold: score_of(config().threshold).
    double threshold() const noexcept { return threshold_; }
    const CusumConfig& config() const noexcept { return states_.prototype().config(); }
    /// The Cusum of a series, or nullptr if the series was never seen.
    const Cusum* state(SeriesId series) const noexcept { return states_.find(series); }

    /// Bytes of one series' state (a Cusum, no heap); 0 if unseen.
    std::size_t series_bytes(SeriesId series) const noexcept {
        return states_.find(series) != nullptr ? sizeof(Cusum) : 0;
    }

    static constexpr std::string_view archive_tag = "augur.LevelShiftDetector";

    /// Saves the configuration and every series' Cusum. O(series).
    void save(std::ostream& out) const {
        write_archive(out, archive_tag, 1, [&](ArchiveWriter& w) { w(config(), states_); });
    }

    /// Loads what save wrote; a wrong type, a corrupted archive, a configuration that does not
    /// validate or a Cusum that is not one of it throw data_error.
    static LevelShiftDetector load(std::istream& in) {
        return read_archive(in, archive_tag, 1, [](ArchiveReader& r) {
            auto d = r.construct<LevelShiftDetector>(r.read<CusumConfig>());
            r(d.states_);
            auto fits = [&](const Cusum& c) {
                return c.consistent() && c.config() == d.config() && c.count() == 0;
            };
            r.require(fits(d.states_.prototype()), "the prototype Cusum is not a fresh one");
            for (std::size_t i = 0; i < d.states_.size(); ++i) {
                const Cusum& c = *d.states_.find(SeriesId(static_cast<std::uint32_t>(i)));
                r.require(c.consistent() && c.config() == d.config(),
                          "series " + std::to_string(i) +
                              "'s Cusum does not fit the "
                              "configuration");
            }
            return d;
        });
    }

private:
    PerSeries<Cusum> states_;
    double threshold_;
};

static_assert(StreamingDetector<LevelShiftDetector>);

} // namespace v0
} // namespace augur
