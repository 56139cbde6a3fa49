#pragma once

// What happens to bad samples before they reach a component: NaN, +-inf, values outside a
// configured range, out-of-order and duplicate timestamps. Every case is counted.
//
// Each condition has an InputAction:
//   reject  throw augur::data_error naming the series, time and problem;
//   skip    drop the sample;
//   clamp   repair it: NaN -> the series' last accepted value (skipped when there is none),
//           +-inf and out-of-range values -> the nearest bound of [min_value, max_value],
//           an out-of-order time -> the series' last time;
//   keep    pass it on unchanged (only for out-of-range values, out-of-order and duplicate
//           timestamps, where a component may cope).
// Defaults: NaN and inf are skipped, out-of-order samples skipped, duplicate timestamps kept,
// no range limit. Timestamps are checked per series.
// A limit on the number of live series (max_series, 0 = none) bounds the memory of whatever
// keeps per-series state behind the guard. A sample of a new series beyond the limit meets
// over_series_limit (SeriesLimitAction): reject (throw), skip (drop the sample), or
// evict_least_recent (the series seen longest ago is forgotten: InputGuard::evicted() names
// it, so that the components behind the guard forget it too, e.g. detector.forget(id)).
//
// InputGuard::admit is O(1) whatever the number of series (the least-recently-seen order is
// an intrusive list) and allocates only when a series with a new, higher id first appears.
// Thread-safety: not synchronized; const members may be called concurrently.

#include "augur/core/error.hpp"
#include "augur/core/sample.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace augur {
inline namespace v0 {

/// What to do with a sample that meets a condition (see the file comment).
enum class InputAction : std::uint8_t { reject, skip, clamp, keep };

/// The name of an action ("reject", "skip", "clamp", "keep").
constexpr const char* to_string(InputAction action) noexcept {
    switch (action) {
    case InputAction::reject:
        return "reject";
    case InputAction::skip:
        return "skip";
    case InputAction::clamp:
        return "clamp";
    case InputAction::keep:
        return "keep";
    }
    return "?";
}

/// Parses an action name; throws invalid_argument naming `field` on an unknown name.
inline InputAction parse_input_action(const std::string& name, const char* field = "action") {
    if (name == "reject") return InputAction::reject;
    if (name == "skip") return InputAction::skip;
    if (name == "clamp") return InputAction::clamp;
    if (name == "keep") return InputAction::keep;
    throw_invalid_config("InputPolicy", field, name, "expected reject, skip, clamp or keep");
}

/// What happens to a sample of a new series when max_series series are live.
enum class SeriesLimitAction : std::uint8_t { reject, skip, evict_least_recent };

/// The name of a series-limit action ("reject", "skip", "evict").
constexpr const char* to_string(SeriesLimitAction action) noexcept {
    switch (action) {
    case SeriesLimitAction::reject:
        return "reject";
    case SeriesLimitAction::skip:
        return "skip";
    case SeriesLimitAction::evict_least_recent:
        return "evict";
    }
    return "?";
}

/// Parses "reject", "skip" or "evict"; throws invalid_argument naming `field` otherwise.
inline SeriesLimitAction parse_series_limit_action(const std::string& name,
                                                   const char* field = "over_series_limit") {
    if (name == "reject") return SeriesLimitAction::reject;
    if (name == "skip") return SeriesLimitAction::skip;
    if (name == "evict") return SeriesLimitAction::evict_least_recent;
    throw_invalid_config("InputPolicy", field, name, "expected reject, skip or evict");
}

/// The action for each condition, the accepted value range and the series limit.
struct InputPolicy {
    InputAction nan = InputAction::skip;
    InputAction infinite = InputAction::skip;
    InputAction out_of_range = InputAction::clamp;
    InputAction out_of_order = InputAction::skip;
    InputAction duplicate_time = InputAction::keep;
    double min_value = std::numeric_limits<double>::lowest();
    double max_value = std::numeric_limits<double>::max();
    /// Live series at most (0: no limit); in [0, 2^32 - 1).
    std::size_t max_series = 0;
    SeriesLimitAction over_series_limit = SeriesLimitAction::evict_least_recent;

    /// Every condition throws: for pipelines where bad data must stop the run.
    static constexpr InputPolicy strict() noexcept {
        InputPolicy p;
        p.nan = p.infinite = p.out_of_range = p.out_of_order = p.duplicate_time =
            InputAction::reject;
        return p;
    }

    /// Throws invalid_argument on an action that does not apply to its condition or a bad range.
    void validate() const {
        if (nan == InputAction::keep)
            throw_invalid_config("InputPolicy", "nan", to_string(nan), "NaN cannot be kept");
        if (infinite == InputAction::keep)
            throw_invalid_config("InputPolicy", "infinite", to_string(infinite),
                                 "infinite values cannot be kept");
        if (duplicate_time == InputAction::clamp)
            throw_invalid_config("InputPolicy", "duplicate_time", to_string(duplicate_time),
                                 "use reject, skip or keep");
        if (std::isnan(min_value) || std::isnan(max_value) || !(min_value <= max_value))
            throw_invalid_config("InputPolicy", "min_value", min_value,
                                 "must be <= max_value and neither may be NaN");
        if (max_series >= 0xFFFFFFFFU)
            throw_invalid_config("InputPolicy", "max_series", max_series, "must be < 2^32 - 1");
    }
};

/// How many samples met each condition, and what was done.
struct InputCounters {
    std::uint64_t seen = 0;     ///< samples offered
    std::uint64_t accepted = 0; ///< samples passed on (clamped or kept ones included)
    std::uint64_t skipped = 0;  ///< samples dropped
    std::uint64_t clamped = 0;  ///< samples passed on after a repair
    std::uint64_t nan = 0;
    std::uint64_t infinite = 0;
    std::uint64_t out_of_range = 0;
    std::uint64_t out_of_order = 0;
    std::uint64_t duplicate_time = 0;
    std::uint64_t over_series_limit = 0; ///< samples of a new series beyond max_series
    std::uint64_t evicted_series = 0;    ///< series forgotten to make room (evict_least_recent)

    /// True when no sample met any condition.
    bool clean() const noexcept {
        return nan + infinite + out_of_range + out_of_order + duplicate_time + over_series_limit ==
               0;
    }

    /// One line for logs, e.g. "3 NaN, 1 out-of-order (skipped 4, clamped 0 of 1000)";
    /// empty when clean().
    std::string describe() const {
        if (clean()) return {};
        std::string out;
        auto add = [&](std::uint64_t n, const char* what) {
            if (n == 0) return;
            if (!out.empty()) out += ", ";
            out += std::to_string(n) + " " + what;
        };
        add(nan, "NaN");
        add(infinite, "infinite");
        add(out_of_range, "out-of-range");
        add(out_of_order, "out-of-order");
        add(duplicate_time, "duplicate-time");
        add(over_series_limit, "over the series limit");
        add(evicted_series, "series evicted");
        return out + " (skipped " + std::to_string(skipped) + ", clamped " +
               std::to_string(clamped) + " of " + std::to_string(seen) + ")";
    }

    InputCounters& operator+=(const InputCounters& o) noexcept {
        seen += o.seen;
        accepted += o.accepted;
        skipped += o.skipped;
        clamped += o.clamped;
        nan += o.nan;
        infinite += o.infinite;
        out_of_range += o.out_of_range;
        out_of_order += o.out_of_order;
        duplicate_time += o.duplicate_time;
        over_series_limit += o.over_series_limit;
        evicted_series += o.evicted_series;
        return *this;
    }
};

/// Applies an InputPolicy to a stream of samples, per series, and counts what it did.
/// @code
///   augur::InputGuard guard;                       // default policy
///   auto s = guard.admit(sample);
///   if (auto gone = guard.evicted()) detector.forget(*gone);   // with a series limit
///   if (s) detector.observe(*s);
///   std::cerr << guard.counters().describe();
/// @endcode
class InputGuard {
public:
    explicit InputGuard(InputPolicy policy = {}) : policy_(policy) { policy_.validate(); }

    /// The sample to pass on (possibly repaired), or nullopt when it is dropped.
    /// Throws data_error for a condition whose action is reject.
    std::optional<Sample> admit(Sample sample) {
        ++counters_.seen;
        evicted_.reset();
        SeriesState& state = state_for(sample.series);
        if (policy_.max_series > 0 && !track(sample.series, state)) return drop();
        bool repaired = false;

        if (state.seen && sample.time <= state.last_time) {
            const bool duplicate = sample.time == state.last_time;
            const InputAction action = duplicate ? policy_.duplicate_time : policy_.out_of_order;
            ++(duplicate ? counters_.duplicate_time : counters_.out_of_order);
            switch (action) {
            case InputAction::reject:
                fail(sample, duplicate ? "duplicate timestamp" : "timestamp out of order");
            case InputAction::skip:
                return drop();
            case InputAction::clamp:
                sample.time = state.last_time;
                repaired = true;
                break;
            case InputAction::keep:
                break;
            }
        }

        if (std::isnan(sample.value)) {
            ++counters_.nan;
            switch (policy_.nan) {
            case InputAction::reject:
                fail(sample, "NaN value");
            case InputAction::clamp:
                if (!state.has_value) return drop();
                sample.value = state.last_value;
                repaired = true;
                break;
            default:
                return drop();
            }
        } else if (std::isinf(sample.value)) {
            ++counters_.infinite;
            switch (policy_.infinite) {
            case InputAction::reject:
                fail(sample, "infinite value");
            case InputAction::clamp:
                sample.value = sample.value > 0 ? policy_.max_value : policy_.min_value;
                repaired = true;
                break;
            default:
                return drop();
            }
        } else if (sample.value < policy_.min_value || sample.value > policy_.max_value) {
            ++counters_.out_of_range;
            switch (policy_.out_of_range) {
            case InputAction::reject:
                fail(sample, "value out of range");
            case InputAction::skip:
                return drop();
            case InputAction::clamp:
                sample.value =
                    sample.value > policy_.max_value ? policy_.max_value : policy_.min_value;
                repaired = true;
                break;
            case InputAction::keep:
                break;
            }
        }

        if (!state.seen || sample.time > state.last_time) state.last_time = sample.time;
        state.seen = true;
        state.last_value = sample.value;
        state.has_value = true;
        ++counters_.accepted;
        if (repaired) ++counters_.clamped;
        return sample;
    }

    const InputCounters& counters() const noexcept { return counters_; }
    const InputPolicy& policy() const noexcept { return policy_; }
    /// The series the latest admit() evicted to stay within max_series, if any.
    std::optional<SeriesId> evicted() const noexcept { return evicted_; }
    /// Live series (counted only with a series limit; else 0).
    std::size_t live_series() const noexcept { return live_; }

    /// Forgets every series' last time and value and zeroes the counters.
    void reset() noexcept {
        state_.clear();
        counters_ = {};
        evicted_.reset();
        live_ = 0;
        oldest_ = newest_ = none;
    }

private:
    static constexpr std::uint32_t none = 0xFFFFFFFFU;

    struct SeriesState {
        Timestamp last_time{};
        double last_value = 0.0;
        std::uint32_t older = none; // least-recently-seen list (with a series limit)
        std::uint32_t newer = none;
        bool seen = false;
        bool has_value = false;
        bool live = false;
    };

    // With a series limit: makes `id` the most recently seen live series, evicting the least
    // recently seen one if a new series meets the limit. False when the sample is dropped.
    bool track(SeriesId id, SeriesState& state) {
        const auto i = static_cast<std::uint32_t>(id.index());
        if (state.live) {
            unlink(i);
        } else {
            if (live_ >= policy_.max_series) {
                ++counters_.over_series_limit;
                switch (policy_.over_series_limit) {
                case SeriesLimitAction::reject:
                    throw data_error("series " + std::to_string(id.value) + ": " +
                                     std::to_string(live_) +
                                     " series are live, the limit (input "
                                     "policy: max_series, reject)");
                case SeriesLimitAction::skip:
                    return false;
                case SeriesLimitAction::evict_least_recent: {
                    const std::uint32_t victim = oldest_;
                    unlink(victim);
                    state_[victim] = SeriesState{};
                    --live_;
                    ++counters_.evicted_series;
                    evicted_ = SeriesId(victim);
                    break;
                }
                }
            }
            state.live = true;
            ++live_;
        }
        state.older = newest_;
        state.newer = none;
        if (newest_ != none) state_[newest_].newer = i;
        newest_ = i;
        if (oldest_ == none) oldest_ = i;
        return true;
    }

    void unlink(std::uint32_t i) noexcept {
        SeriesState& s = state_[i];
        if (s.older != none)
            state_[s.older].newer = s.newer;
        else
            oldest_ = s.newer;
        if (s.newer != none)
            state_[s.newer].older = s.older;
        else
            newest_ = s.older;
        s.older = s.newer = none;
    }

    SeriesState& state_for(SeriesId id) {
        if (id.index() >= state_.size()) {
            AUGUR_ASSERT(id.index() < none, "InputGuard: series id out of range");
            state_.resize(id.index() + 1);
        }
        return state_[id.index()];
    }

    std::optional<Sample> drop() noexcept {
        ++counters_.skipped;
        return std::nullopt;
    }

    [[noreturn]] static void fail(const Sample& sample, const char* what) {
        throw data_error("series " + std::to_string(sample.series.value) + " at " +
                         to_iso8601(sample.time) + ": " + what + " (input policy: reject)");
    }

    InputPolicy policy_;
    InputCounters counters_;
    std::vector<SeriesState> state_;
    std::optional<SeriesId> evicted_;
    std::size_t live_ = 0;
    std::uint32_t oldest_ = none; // least-recently-seen list ends
    std::uint32_t newest_ = none;
};

} // namespace v0
} // namespace augur
