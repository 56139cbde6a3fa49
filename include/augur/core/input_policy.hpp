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
//
// InputGuard::admit is O(1) and allocates only when a new series first appears.
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

/// The action for each condition and the accepted value range.
struct InputPolicy {
    InputAction nan = InputAction::skip;
    InputAction infinite = InputAction::skip;
    InputAction out_of_range = InputAction::clamp;
    InputAction out_of_order = InputAction::skip;
    InputAction duplicate_time = InputAction::keep;
    double min_value = std::numeric_limits<double>::lowest();
    double max_value = std::numeric_limits<double>::max();

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

    /// True when no sample met any condition.
    bool clean() const noexcept {
        return nan + infinite + out_of_range + out_of_order + duplicate_time == 0;
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
        return *this;
    }
};

/// Applies an InputPolicy to a stream of samples, per series, and counts what it did.
/// @code
///   augur::InputGuard guard;                       // default policy
///   if (auto s = guard.admit(sample)) detector.observe(*s);
///   std::cerr << guard.counters().describe();
/// @endcode
class InputGuard {
public:
    explicit InputGuard(InputPolicy policy = {}) : policy_(policy) { policy_.validate(); }

    /// The sample to pass on (possibly repaired), or nullopt when it is dropped.
    /// Throws data_error for a condition whose action is reject.
    std::optional<Sample> admit(Sample sample) {
        ++counters_.seen;
        SeriesState& state = state_for(sample.series);
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

    /// Forgets every series' last time and value and zeroes the counters.
    void reset() noexcept {
        state_.clear();
        counters_ = {};
    }

private:
    struct SeriesState {
        Timestamp last_time{};
        double last_value = 0.0;
        bool seen = false;
        bool has_value = false;
    };

    SeriesState& state_for(SeriesId id) {
        if (id.index() >= state_.size()) state_.resize(id.index() + 1);
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
};

} // namespace v0
} // namespace augur
