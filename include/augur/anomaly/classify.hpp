#pragma once

// From a Detection to a typed, graded AnomalyResult.
//
// Two policies decide: a classifier maps (MetricKind, Shape, Direction, persistence) to an
// AnomalyType (concept AnomalyClassifier, default DefaultClassifier) and a severity policy
// grades a result (concept SeverityGrader, default DefaultSeverity). The Annotator applies
// both, tracks per series how many consecutive samples were anomalous, and writes a one-line
// explanation.
// Thread-safety: the policies are values with const members; Annotator is not synchronized.

#include "augur/anomaly/detector.hpp"
#include "augur/anomaly/result.hpp"
#include "augur/core/error.hpp"
#include "augur/core/sample.hpp"
#include "augur/core/series.hpp"

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace augur {
inline namespace v0 {

/// A classification policy: `c.classify(kind, shape, direction, persistence)` returns the
/// AnomalyType of an anomaly on a metric of that kind, with that shape and direction, that
/// has been anomalous for `persistence` consecutive samples (>= 1). Const, O(1), noexcept
/// preferred. An optional `validate()` is called by the Annotator's constructor.
template <class C>
concept AnomalyClassifier = std::copy_constructible<C> &&
    requires(const C& c, MetricKind kind, Shape shape, Direction direction, std::size_t n) {
    { c.classify(kind, shape, direction, n) } -> std::same_as<AnomalyType>;
};

/// The default classification. "Sustained" means shape level_shift or trend, or
/// persistence >= sustained_after (default 3) consecutive anomalous samples.
///
///   metric kind    direction  shape / persistence              type
///   latency        up         level_shift, trend, sustained    performance_degradation
///   latency        up         spike (not sustained)            latency_spike
///   error_rate     up         any                              error_rate_spike
///   success_rate   down       any                              error_rate_spike
///   memory         up         trend                            memory_leak
///   memory         up         spike, level_shift               resource_spike
///   cpu            up         level_shift, trend, sustained    cpu_overload
///   cpu            up         spike (not sustained)            resource_spike
///   throughput     down       any                              throughput_drop
///   tokens         down       any                              throughput_drop
///   anything else (other kinds and directions, shape pattern
///   or none, direction none)                                   unusual_pattern
/// O(1), noexcept.
struct DefaultClassifier {
    /// Consecutive anomalous samples after which a spike counts as sustained; >= 1.
    std::size_t sustained_after = 3;

    void validate() const {
        if (sustained_after < 1)
            throw_invalid_config("DefaultClassifier", "sustained_after", sustained_after,
                                 "must be >= 1");
    }

    AnomalyType classify(MetricKind kind, Shape shape, Direction direction,
                         std::size_t persistence) const noexcept {
        using T = AnomalyType;
        if (shape == Shape::none || shape == Shape::pattern || direction == Direction::none)
            return T::unusual_pattern;
        const bool up = direction == Direction::up;
        const bool persistent_shape = shape == Shape::level_shift || shape == Shape::trend;
        const bool sustained = persistent_shape || persistence >= sustained_after;
        switch (kind) {
        case MetricKind::latency:
            if (up) return sustained ? T::performance_degradation : T::latency_spike;
            break;
        case MetricKind::error_rate:
            if (up) return T::error_rate_spike;
            break;
        case MetricKind::success_rate:
            if (!up) return T::error_rate_spike;
            break;
        case MetricKind::memory:
            if (up) return shape == Shape::trend ? T::memory_leak : T::resource_spike;
            break;
        case MetricKind::cpu:
            if (up) return sustained ? T::cpu_overload : T::resource_spike;
            break;
        case MetricKind::throughput:
        case MetricKind::tokens:
            if (!up) return T::throughput_drop;
            break;
        default:
            break;
        }
        return T::unusual_pattern;
    }
};

/// A severity policy: `p.grade(result)` returns the Severity of an AnomalyResult whose other
/// fields (score, persistence, type, shape, ...) are filled in. Const, O(1). An optional
/// `validate()` is called by the Annotator's constructor.
template <class P>
concept SeverityGrader = std::copy_constructible<P> &&
    requires(const P& p, const AnomalyResult& r) {
    { p.grade(r) } -> std::same_as<Severity>;
};

/// Thresholds of DefaultSeverity.
struct SeverityThresholds {
    /// Score from which an anomaly is at least a warning.
    double warning = 0.95;
    /// Score from which an anomaly is at least an error.
    double error = 0.99;
    /// Consecutive anomalous samples from which the severity is raised one level; >= 1.
    std::size_t sustained = 3;

    void validate() const {
        if (!(warning >= 0.0 && warning <= 1.0))
            throw_invalid_config("SeverityThresholds", "warning", warning, "must be in [0, 1]");
        if (!(error >= warning && error <= 1.0))
            throw_invalid_config("SeverityThresholds", "error", error, "must be in [warning, 1]");
        if (sustained < 1)
            throw_invalid_config("SeverityThresholds", "sustained", sustained, "must be >= 1");
    }
};

/// The default severity grading, from score and persistence:
///
///   score                   persistence < sustained    persistence >= sustained (3)
///   < warning (0.95)        info                       warning
///   [warning, error)        warning                    error
///   >= error (0.99)         error                      critical
/// O(1), noexcept.
/// @code
///   augur::DefaultSeverity strict{{.warning = 0.99, .error = 0.999, .sustained = 5}};
/// @endcode
struct DefaultSeverity {
    SeverityThresholds thresholds{};

    void validate() const { thresholds.validate(); }

    Severity grade(double score, std::size_t persistence) const noexcept {
        int level = score >= thresholds.error ? 2 : (score >= thresholds.warning ? 1 : 0);
        if (persistence >= thresholds.sustained) ++level;
        return static_cast<Severity>(level);
    }
    Severity grade(const AnomalyResult& result) const noexcept {
        return grade(result.score, result.persistence);
    }
};

/// Confidence that an anomaly is real, from its score and persistence: the score's residual
/// doubt (1 - score) halves with every further consecutive anomalous sample,
///     confidence = 1 - (1 - score) * 2^-(persistence - 1),   score clamped to [0, 1],
/// so one sample gives confidence = score and a long run tends to 1. O(1).
inline double anomaly_confidence(double score, std::size_t persistence) noexcept {
    const double s = std::isnan(score) ? 0.0 : std::clamp(score, 0.0, 1.0);
    const double runs = static_cast<double>(std::max<std::size_t>(persistence, 1) - 1);
    return 1.0 - (1.0 - s) * std::exp2(-runs);
}

namespace detail {

// A value for a human: integers above 100, two decimals above 1, three significant digits
// below (trailing zeros trimmed), %g for the very large or small.
inline std::string format_value(double v) {
    char text[64];
    const double a = std::fabs(v);
    if (!std::isfinite(v) || a >= 1e15 || (a < 1e-3 && a != 0.0))
        std::snprintf(text, sizeof text, "%.3g", v);
    else if (a >= 100.0)
        std::snprintf(text, sizeof text, "%.0f", v);
    else if (a >= 1.0)
        std::snprintf(text, sizeof text, "%.2f", v);
    else
        std::snprintf(text, sizeof text, "%.3g", v);
    std::string out(text);
    if (out.find('.') != std::string::npos && out.find('e') == std::string::npos) {
        while (out.back() == '0')
            out.pop_back();
        if (out.back() == '.') out.pop_back();
    }
    return out;
}

inline const char* shape_phrase(Shape shape) noexcept {
    switch (shape) {
    case Shape::spike:
        return "a spike";
    case Shape::level_shift:
        return "a level shift";
    case Shape::trend:
        return "a trend";
    case Shape::pattern:
        return "an unusual pattern";
    case Shape::none:
        break;
    }
    return "an anomaly";
}

// "latency_ms of agent/planner{region=eu} rose to 812 (expected 240, +238%) — a level shift
// lasting 6 samples"
inline std::string explain(const SeriesKey& key, const AnomalyResult& r) {
    std::string out = key.metric_name;
    std::string who = key.component_type;
    if (!key.component_id.empty()) who += (who.empty() ? "" : "/") + key.component_id;
    if (!key.labels.empty()) {
        who += '{';
        for (std::size_t i = 0; i < key.labels.size(); ++i)
            who += (i ? "," : "") + key.labels[i].first + "=" + key.labels[i].second;
        who += '}';
    }
    if (!who.empty()) out += " of " + who;
    out += r.direction == Direction::up     ? " rose to "
           : r.direction == Direction::down ? " fell to "
                                            : " was ";
    out += format_value(r.actual);
    if (std::isfinite(r.expected)) {
        out += " (expected " + format_value(r.expected);
        const double dev = r.actual - r.expected;
        if (r.expected != 0.0 && std::isfinite(dev)) {
            const double pct = 100.0 * dev / std::fabs(r.expected);
            char text[48];
            std::snprintf(text, sizeof text, std::fabs(pct) >= 10.0 ? "%+.0f%%" : "%+.1f%%", pct);
            out += std::string(", ") + text;
        } else if (std::isfinite(dev)) {
            out += std::string(", ") + (dev >= 0 ? "+" : "") + format_value(dev);
        }
        out += ")";
    }
    out += " \u2014 ";
    out += shape_phrase(r.shape);
    out +=
        " lasting " + std::to_string(r.persistence) + (r.persistence == 1 ? " sample" : " samples");
    return out;
}

} // namespace detail

/// Turns anomalous Detections into AnomalyResults: classifies (Classifier), grades
/// (SeverityPolicy), counts per series the consecutive anomalous samples (persistence),
/// computes the confidence (anomaly_confidence) and writes an explanation.
///
/// Call annotate for every Detection of a series, anomalous or not: a non-anomalous one
/// returns nullopt and ends the series' run; so does a change of direction (up to down), which
/// starts a new run. The metric kind comes from infer_metric_kind(key.metric_name) unless
/// given. annotate is O(1) plus the explanation's allocation (anomalies only); a new series
/// costs one slot in a vector.
/// @tparam Classifier an AnomalyClassifier.  @tparam SeverityPolicy a SeverityGrader.
/// Thread-safety: not synchronized; const members may be called concurrently.
/// @code
///   augur::Annotator<> annotator;
///   augur::Detection d = detector.observe(sample);
///   if (auto anomaly = annotator.annotate(sample, d, registry.key(sample.series), "cusum"))
///       std::cout << to_string(anomaly->severity) << ": " << anomaly->explanation << '\n';
/// @endcode
template <AnomalyClassifier Classifier = DefaultClassifier,
          SeverityGrader SeverityPolicy = DefaultSeverity>
class Annotator {
public:
    /// Validates the policies (their optional validate()); throws invalid_argument.
    explicit Annotator(Classifier classifier = {}, SeverityPolicy severity = {})
        : classifier_(std::move(classifier)), severity_(std::move(severity)) {
        if constexpr (requires { classifier_.validate(); }) classifier_.validate();
        if constexpr (requires { severity_.validate(); }) severity_.validate();
    }

    /// The AnomalyResult for an anomalous detection (is_anomaly), else nullopt.
    std::optional<AnomalyResult> annotate(const Sample& sample, const Detection& detection,
                                          const SeriesKey& key, std::string_view detector_name) {
        return annotate(sample, detection, key, detector_name, infer_metric_kind(key.metric_name));
    }

    /// As above with the metric kind given.
    std::optional<AnomalyResult> annotate(const Sample& sample, const Detection& detection,
                                          const SeriesKey& key, std::string_view detector_name,
                                          MetricKind kind) {
        Run& run = runs_[sample.series];
        if (!detection.is_anomaly) {
            run = Run{};
            return std::nullopt;
        }
        const bool flipped = run.length > 0 && run.direction != detection.direction &&
                             run.direction != Direction::none &&
                             detection.direction != Direction::none;
        run.length = flipped ? 1 : run.length + 1;
        run.direction = detection.direction;

        AnomalyResult r;
        r.time = sample.time;
        r.series = sample.series;
        r.score = detection.score;
        r.actual = sample.value;
        r.expected = detection.expected;
        r.deviation = detection.deviation;
        r.threshold = detection.threshold;
        r.shape = detection.shape;
        r.direction = detection.direction;
        r.persistence = run.length;
        r.type = classifier_.classify(kind, r.shape, r.direction, r.persistence);
        r.confidence = anomaly_confidence(r.score, r.persistence);
        r.severity = severity_.grade(std::as_const(r));
        r.detector = std::string(detector_name);
        r.explanation = detail::explain(key, r);
        return r;
    }

    /// Consecutive anomalous samples of `series` so far (0 if none or unknown).
    std::size_t persistence(SeriesId series) const noexcept {
        const Run* run = runs_.find(series);
        return run ? run->length : 0;
    }

    /// Forgets every series' run.
    void reset() noexcept { runs_.clear(); }

    const Classifier& classifier() const noexcept { return classifier_; }
    Classifier& classifier() noexcept { return classifier_; }
    const SeverityPolicy& severity_policy() const noexcept { return severity_; }
    SeverityPolicy& severity_policy() noexcept { return severity_; }

private:
    struct Run {
        std::size_t length = 0;
        Direction direction = Direction::none;
    };

    Classifier classifier_;
    SeverityPolicy severity_;
    PerSeries<Run> runs_;
};

} // namespace v0
} // namespace augur
