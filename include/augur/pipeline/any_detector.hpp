#pragma once

// AnyDetector: any streaming detector behind one type, chosen at run time by name; and
// make_detector, which builds one by name from DetectorOptions (what `augur detect` does with
// its --detector option and detector options).
//
// Names and the options each takes (every one optional; "threshold" applies to all):
//   default   learning, refractory             DefaultDetector
//   zscore    learning, window, sigma          WindowZScore
//   ewma      learning, half_life, sigma       EwmaZScore
//   robust    learning, window, sigma          RobustDetector (learning at most window)
//   seasonal  learning, period, sigma          SeasonalDetector (learning >= 2 * period)
//   cusum     learning (its warm-up), drift, sigma (its threshold h)   LevelShiftDetector
//   trend     learning, window, period, significance                   TrendDetector
// An option that does not apply to the chosen detector, an unknown name, or a value the
// detector's config rejects throws augur::invalid_argument naming it.
// Without `learning` the default detector learns from its config's default (500 samples);
// `augur detect` passes auto_learning_length (pipeline/learning.hpp) of the input instead.
//
// observe returns the wrapped detector's Detection with the score made a number in [0, 1]
// (NaN -> 0, clamped) and, when a threshold was given, is_anomaly = score >= threshold once
// the series has learned.
// Saving: save writes an archive (core/archive.hpp) of type "augur.AnyDetector" holding the
// name, the threshold and the wrapped detector's own archive; load reads it and dispatches to
// that detector's load, so a saved detector continues exactly where it stopped. A detector
// type without save/load makes save throw augur::error "detector NAME cannot be saved yet"
// (can_save() tells beforehand).
// Complexity: observe is one virtual call plus the detector's own cost; copying clones the
// detector. A moved-from AnyDetector may only be assigned to or destroyed. Thread-safety: like the
// wrapped detector (not synchronized; const members may be called concurrently).

#include "augur/anomaly/change_point.hpp"
#include "augur/anomaly/default_detector.hpp"
#include "augur/anomaly/detector.hpp"
#include "augur/anomaly/robust.hpp"
#include "augur/anomaly/seasonal.hpp"
#include "augur/anomaly/trend.hpp"
#include "augur/anomaly/zscore.hpp"
#include "augur/core/archive.hpp"
#include "augur/core/error.hpp"
#include "augur/core/sample.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace augur {
inline namespace v0 {

/// The options of make_detector; each one left empty keeps the detector's own default.
/// See the file comment for which detector takes which.
struct DetectorOptions {
    /// Flag score >= threshold once learned, in (0, 1]; for "default" also its alarm threshold.
    std::optional<double> threshold{};
    /// Samples each series learns from before it is scored (cusum: its warm-up).
    std::optional<std::size_t> learning{};
    /// zscore, robust, trend: window in samples.
    std::optional<std::size_t> window{};
    /// ewma: half-life in samples.
    std::optional<double> half_life{};
    /// zscore, ewma, robust, seasonal: flag |z| >= sigma; cusum: decision threshold h.
    std::optional<double> sigma{};
    /// seasonal: period in samples (default: found while learning); trend: seasonal period.
    std::optional<std::size_t> period{};
    /// cusum: allowance k in sd units.
    std::optional<double> drift{};
    /// trend: Mann-Kendall p-value at or below which a trend is flagged.
    std::optional<double> significance{};
    /// default: samples after an alarm whose scores are damped.
    std::optional<std::size_t> refractory{};
};

/// The names make_detector knows, in the order of the file comment.
inline constexpr std::array<std::string_view, 7> detector_names{
    "default", "zscore", "ewma", "robust", "seasonal", "cusum", "trend"};

namespace detail::any_detector {

template <class D>
concept Saveable = requires(const D& d, std::ostream& out) {
    d.save(out);
};

template <class D>
concept Loadable = requires(std::istream& in) {
    { D::load(in) } -> std::same_as<D>;
};

/// Calls f(std::type_identity<D>{}) with the detector type of `name`; false if unknown.
template <class F>
bool with_detector_type(std::string_view name, F&& f) {
    if (name == "default") return f(std::type_identity<DefaultDetector>{}), true;
    if (name == "zscore") return f(std::type_identity<WindowZScore>{}), true;
    if (name == "ewma") return f(std::type_identity<EwmaZScore>{}), true;
    if (name == "robust") return f(std::type_identity<RobustDetector>{}), true;
    if (name == "seasonal") return f(std::type_identity<SeasonalDetector>{}), true;
    if (name == "cusum") return f(std::type_identity<LevelShiftDetector>{}), true;
    if (name == "trend") return f(std::type_identity<TrendDetector>{}), true;
    return false;
}

inline void check_threshold(const std::optional<double>& threshold, const char* where) {
    if (threshold && !(*threshold > 0.0 && *threshold <= 1.0))
        throw_invalid_config(where, "threshold", *threshold, "must be in (0, 1]");
}

} // namespace detail::any_detector

/// A streaming detector of any type, with a name (see the file comment).
/// @code
///   augur::AnyDetector detector = augur::make_detector("ewma", {.half_life = 30});
///   augur::Detection d = detector.observe(sample);
///   std::ofstream out("ewma.state", std::ios::binary);
///   detector.save(out);            // later: augur::AnyDetector::load(in)
/// @endcode
class AnyDetector {
public:
    /// Wraps `detector` under `name`. With `threshold` (in (0, 1]) a sample is flagged when
    /// its score reaches it once learned, whatever the detector's own rule.
    /// Only detectors of the names in detector_names can be loaded back.
    template <StreamingDetector D>
    AnyDetector(std::string name, D detector, std::optional<double> threshold = std::nullopt)
        : name_(std::move(name)), threshold_(threshold),
          model_(std::make_unique<Model<D>>(std::move(detector))) {
        detail::any_detector::check_threshold(threshold_, "AnyDetector");
    }

    AnyDetector(const AnyDetector& other)
        : name_(other.name_), threshold_(other.threshold_), model_(other.model_->clone()) {}
    AnyDetector& operator=(const AnyDetector& other) {
        if (this != &other) *this = AnyDetector(other);
        return *this;
    }
    AnyDetector(AnyDetector&&) noexcept = default;
    AnyDetector& operator=(AnyDetector&&) noexcept = default;
    ~AnyDetector() = default;

    /// The detector's Detection for `sample`, score in [0, 1], threshold applied.
    Detection observe(const Sample& sample) {
        Detection d = model_->observe(sample);
        if (!(d.score >= 0.0)) d.score = 0.0; // NaN never leaves
        d.score = std::min(d.score, 1.0);
        if (threshold_ && !d.learning) d.is_anomaly = d.score >= *threshold_;
        return d;
    }

    /// Forgets every series.
    void reset() noexcept { model_->reset(); }
    /// Forgets one series (e.g. the one an InputGuard series limit evicted).
    void forget(SeriesId series) { model_->forget(series); }
    /// Bytes of one series' state, when the detector reports it (else 0).
    std::size_t series_bytes(SeriesId series) const noexcept {
        return model_->series_bytes(series);
    }

    /// The name it was made with ("ewma", ...).
    const std::string& name() const noexcept { return name_; }
    /// The threshold override, if one was given.
    const std::optional<double>& threshold() const noexcept { return threshold_; }
    /// Whether the wrapped detector type can be saved and loaded.
    bool can_save() const noexcept { return model_->can_save(); }

    /// The wrapped detector if it is a D, else nullptr.
    template <class D>
    const D* get() const noexcept {
        const auto* m = dynamic_cast<const Model<D>*>(model_.get());
        return m ? &m->detector : nullptr;
    }

    /// Writes the name, the threshold and the detector's state. Throws augur::error when the
    /// detector type cannot be saved (see can_save) or the stream fails.
    void save(std::ostream& out) const {
        if (!can_save())
            throw error(detail::join_text({"detector ", name_, " cannot be saved yet"}));
        const std::string bytes = save_to_bytes(*model_);
        write_archive(out, archive_type, archive_version,
                      [&](ArchiveWriter& w) { w(name_, threshold_, bytes); });
    }

    /// Reads what save wrote. Throws augur::data_error on a corrupted or foreign archive,
    /// an unknown detector name, or a detector this build cannot load.
    static AnyDetector load(std::istream& in) {
        return read_archive(in, archive_type, archive_version, [](ArchiveReader& r) {
            auto name = r.read<std::string>();
            auto threshold = r.read<std::optional<double>>();
            const auto bytes = r.read<std::string>();
            r.require(!threshold || (*threshold > 0.0 && *threshold <= 1.0),
                      "the threshold is not in (0, 1]");
            std::optional<AnyDetector> loaded;
            const bool known = detail::any_detector::with_detector_type(name, [&](auto type) {
                using D = typename decltype(type)::type;
                if constexpr (detail::any_detector::Loadable<D>) {
                    loaded.emplace(name, load_from_bytes<D>(bytes), threshold);
                } else {
                    r.fail(detail::join_text(
                        {"detector '", name, "' cannot be loaded by this build"}));
                }
            });
            r.require(known, detail::join_text({"unknown detector '", name, "'"}));
            return std::move(*loaded);
        });
    }

    /// The archive's type tag and format version.
    static constexpr std::string_view archive_type = "augur.AnyDetector";
    static constexpr std::uint32_t archive_version = 1;

private:
    struct Concept {
        virtual ~Concept() = default;
        virtual Detection observe(const Sample& sample) = 0;
        virtual void reset() noexcept = 0;
        virtual void forget(SeriesId series) = 0;
        virtual std::size_t series_bytes(SeriesId series) const noexcept = 0;
        virtual bool can_save() const noexcept = 0;
        virtual void save(std::ostream& out) const = 0;
        virtual std::unique_ptr<Concept> clone() const = 0;
    };

    template <class D>
    struct Model final : Concept {
        explicit Model(D d) : detector(std::move(d)) {}
        Detection observe(const Sample& sample) override { return detector.observe(sample); }
        void reset() noexcept override { detector.reset(); }
        void forget(SeriesId series) override { detector.forget(series); }
        std::size_t series_bytes(SeriesId series) const noexcept override {
            if constexpr (requires { detector.series_bytes(series); })
                return detector.series_bytes(series);
            else
                return 0;
        }
        bool can_save() const noexcept override {
            return detail::any_detector::Saveable<D> && detail::any_detector::Loadable<D>;
        }
        void save(std::ostream& out) const override {
            if constexpr (detail::any_detector::Saveable<D>) detector.save(out);
        }
        std::unique_ptr<Concept> clone() const override {
            return std::make_unique<Model<D>>(detector);
        }
        D detector;
    };

    std::string name_;
    std::optional<double> threshold_;
    std::unique_ptr<Concept> model_;
};

static_assert(StreamingDetector<AnyDetector>);

namespace detail::any_detector {

/// Throws invalid_argument unless every option given is one of `allowed`.
inline void reject_unused(std::string_view name, const DetectorOptions& o,
                          std::initializer_list<std::string_view> allowed) {
    auto check = [&](bool given, std::string_view option) {
        if (!given || std::find(allowed.begin(), allowed.end(), option) != allowed.end()) return;
        std::string takes = "threshold";
        for (std::string_view a : allowed)
            takes = join_text({takes, ", ", a});
        throw invalid_argument(
            join_text({"make_detector: option ", option, " does not apply to detector '", name,
                       "' (it takes ", takes, ")"}));
    };
    check(o.learning.has_value(), "learning");
    check(o.window.has_value(), "window");
    check(o.half_life.has_value(), "half_life");
    check(o.sigma.has_value(), "sigma");
    check(o.period.has_value(), "period");
    check(o.drift.has_value(), "drift");
    check(o.significance.has_value(), "significance");
    check(o.refractory.has_value(), "refractory");
}

} // namespace detail::any_detector

/// Builds the detector called `name` with `options` (see the file comment). Throws
/// invalid_argument for an unknown name, an option that does not apply to it, or a value its
/// configuration rejects. O(1) plus the detector's construction.
/// @code
///   augur::AnyDetector robust = augur::make_detector("robust", {.window = 200, .sigma = 4.0});
/// @endcode
inline AnyDetector make_detector(std::string_view name, const DetectorOptions& o = {}) {
    namespace da = detail::any_detector;
    da::check_threshold(o.threshold, "make_detector");
    const std::string n(name);
    if (name == "default") {
        da::reject_unused(name, o, {"learning", "refractory"});
        DefaultDetectorConfig c;
        if (o.learning) c.learning = *o.learning;
        if (o.threshold) c.threshold = *o.threshold;
        if (o.refractory) c.refractory = *o.refractory;
        return AnyDetector(n, DefaultDetector(c), o.threshold);
    }
    if (name == "zscore") {
        da::reject_unused(name, o, {"learning", "window", "sigma"});
        ZScoreConfig c;
        if (o.learning) c.learning = *o.learning;
        WindowBaseline b;
        if (o.window) b.window = *o.window;
        return AnyDetector(n, WindowZScore(c, b, SigmaThreshold{o.sigma.value_or(3.0)}),
                           o.threshold);
    }
    if (name == "ewma") {
        da::reject_unused(name, o, {"learning", "half_life", "sigma"});
        ZScoreConfig c;
        if (o.learning) c.learning = *o.learning;
        EwmaBaseline b;
        if (o.half_life) b.half_life = *o.half_life;
        return AnyDetector(n, EwmaZScore(c, b, SigmaThreshold{o.sigma.value_or(3.0)}), o.threshold);
    }
    if (name == "robust") {
        da::reject_unused(name, o, {"learning", "window", "sigma"});
        RobustConfig c;
        if (o.window) c.window = *o.window;
        if (o.learning) c.learning = *o.learning;
        c.learning = std::min(c.learning, c.window);
        if (o.sigma) c.sigma = *o.sigma;
        return AnyDetector(n, RobustDetector(c), o.threshold);
    }
    if (name == "seasonal") {
        da::reject_unused(name, o, {"learning", "period", "sigma"});
        SeasonalConfig c;
        if (o.period) c.period = *o.period;
        if (o.learning)
            c.learning = *o.learning;
        else if (c.period > 0)
            c.learning = std::max(c.learning, 2 * c.period);
        if (o.sigma) c.sigma = *o.sigma;
        return AnyDetector(n, SeasonalDetector(c), o.threshold);
    }
    if (name == "cusum") {
        da::reject_unused(name, o, {"learning", "drift", "sigma"});
        CusumConfig c;
        if (o.learning) c.warmup = *o.learning;
        if (o.drift) c.drift = *o.drift;
        if (o.sigma) c.threshold = *o.sigma;
        return AnyDetector(n, LevelShiftDetector(c), o.threshold);
    }
    if (name == "trend") {
        da::reject_unused(name, o, {"learning", "window", "period", "significance"});
        TrendConfig c;
        if (o.window) c.window = *o.window;
        if (o.learning) c.learning = *o.learning;
        if (o.period) c.period = *o.period;
        if (o.significance) c.significance = *o.significance;
        return AnyDetector(n, TrendDetector(c), o.threshold);
    }
    std::string known;
    for (std::string_view k : detector_names)
        known = detail::join_text({known, known.empty() ? "" : ", ", k});
    throw invalid_argument(
        detail::join_text({"make_detector: unknown detector '", name, "' (known: ", known, ")"}));
}

} // namespace v0
} // namespace augur
