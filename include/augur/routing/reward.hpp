#pragma once

// Reward policies: turn what happened on a request into the one number a posterior learns.
//
// A reward policy R provides `using input_type = ...;` and `double operator()(const
// input_type&) const`, which returns the reward or throws augur::data_error for bad input.
// WeightedReward scores an Outcome with several dimensions (success, streaming quality or
// latency, cache efficiency, cost, tokens) into [0, 1]; ScalarReward passes a number through
// after checking it. Write your own for other outcome types.
// Both are O(1), allocation-free. Thread-safety: immutable after construction; operator() may
// be called concurrently.

#include "augur/core/error.hpp"
#include "augur/routing/detail/attributes.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <concepts>
#include <limits>
#include <optional>
#include <string>

namespace augur {
inline namespace v0 {

namespace detail::routing {
/// The shortest text that reads back as v.
inline std::string number_text(double v) {
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
    return std::string(buffer, result.ptr);
}
} // namespace detail::routing

/// A reward policy (see the file comment).
template <class R>
concept RewardPolicy = requires(const R& r, const typename R::input_type& in) {
    { r(in) } -> std::convertible_to<double>;
};

/// What happened on one request. Every dimension is optional: a missing one is left out of
/// the reward and its weight is shared among the dimensions present.
struct Outcome {
    /// 1 = success, 0 = failure, or a graded quality in [0, 1].
    std::optional<double> success{};
    /// Latency (any unit, the one of RewardBounds), >= 0. Scores the streaming dimension when
    /// `streaming` is not given.
    std::optional<double> latency{};
    /// Streaming quality in [0, 1] (e.g. a smoothness score); overrides `latency`.
    std::optional<double> streaming{};
    /// Cache efficiency in [0, 1] (e.g. share of prompt tokens served from cache).
    std::optional<double> cache{};
    /// Cost of the request (any currency), >= 0.
    std::optional<double> cost{};
    /// Tokens used, >= 0.
    std::optional<double> tokens{};
};

/// Weights of the outcome dimensions; each >= 0, at least one > 0.
struct RewardWeights {
    double success = 0.4;
    double streaming = 0.2;
    double cache = 0.2;
    double cost = 0.2;
    double tokens = 0.0;
};

/// Normalisation: latency scores 1 at or below latency_best and 0 at or above latency_worst
/// (linear between); cost scores 1 at 0 and 0 at or above cost_max; tokens likewise with
/// tokens_max. Values beyond the bounds are clamped (that is normalisation, not an error).
struct RewardBounds {
    double latency_best = 0.0;
    double latency_worst = 10.0;
    double cost_max = 1.0;
    double tokens_max = 10000.0;
};

/// Scores an Outcome into a reward in [0, 1]: the weighted mean of the dimension scores
/// present. Bad values (NaN, negative latency/cost/tokens, success/streaming/cache outside
/// [0, 1]) and an outcome with no weighted dimension throw data_error naming the field.
/// @code
///   augur::WeightedReward reward;        // success 0.4, streaming 0.2, cache 0.2, cost 0.2
///   double r = reward({.success = 1.0, .latency = 1.2, .cache = 0.5, .cost = 0.02});
/// @endcode
class WeightedReward {
public:
    using input_type = Outcome;

    /// Validates weights and bounds (invalid_argument naming the field).
    explicit WeightedReward(const RewardWeights& weights = {}, const RewardBounds& bounds = {})
        : weights_(weights), bounds_(bounds) {
        const char* where = "WeightedReward";
        check_weight(where, "weights.success", weights.success);
        check_weight(where, "weights.streaming", weights.streaming);
        check_weight(where, "weights.cache", weights.cache);
        check_weight(where, "weights.cost", weights.cost);
        check_weight(where, "weights.tokens", weights.tokens);
        if (!(weights.success + weights.streaming + weights.cache + weights.cost + weights.tokens >
              0.0))
            throw invalid_argument("WeightedReward: weights: at least one must be > 0");
        if (!(std::isfinite(bounds.latency_best) && bounds.latency_best >= 0.0))
            throw_invalid_config(where, "bounds.latency_best", bounds.latency_best,
                                 "must be finite and >= 0");
        if (!(std::isfinite(bounds.latency_worst) && bounds.latency_worst > bounds.latency_best))
            throw_invalid_config(where, "bounds.latency_worst", bounds.latency_worst,
                                 "must be finite and > latency_best");
        if (!(std::isfinite(bounds.cost_max) && bounds.cost_max > 0.0))
            throw_invalid_config(where, "bounds.cost_max", bounds.cost_max,
                                 "must be finite and > 0");
        if (!(std::isfinite(bounds.tokens_max) && bounds.tokens_max > 0.0))
            throw_invalid_config(where, "bounds.tokens_max", bounds.tokens_max,
                                 "must be finite and > 0");
    }

    /// The reward in [0, 1]. O(1).
    double operator()(const Outcome& o) const {
        double total = 0.0;
        double weight = 0.0;
        const auto add = [&](double w, double score) {
            total += w * score;
            weight += w;
        };
        if (o.success) add(weights_.success, unit("success", *o.success));
        if (o.streaming) {
            add(weights_.streaming, unit("streaming", *o.streaming));
        } else if (o.latency) {
            const double latency = non_negative("latency", *o.latency);
            add(weights_.streaming, 1.0 - clamp01((latency - bounds_.latency_best) /
                                                  (bounds_.latency_worst - bounds_.latency_best)));
        }
        if (o.cache) add(weights_.cache, unit("cache", *o.cache));
        if (o.cost)
            add(weights_.cost, 1.0 - clamp01(non_negative("cost", *o.cost) / bounds_.cost_max));
        if (o.tokens)
            add(weights_.tokens,
                1.0 - clamp01(non_negative("tokens", *o.tokens) / bounds_.tokens_max));
        if (!(weight > 0.0))
            throw data_error("WeightedReward: the outcome has no dimension with a weight > 0");
        return total / weight;
    }

    const RewardWeights& weights() const noexcept { return weights_; }
    const RewardBounds& bounds() const noexcept { return bounds_; }

private:
    static void check_weight(const char* where, const char* field, double w) {
        if (!(w >= 0.0 && std::isfinite(w)))
            throw_invalid_config(where, field, w, "must be finite and >= 0");
    }
    [[noreturn]] static void bad(const char* field, double v, const char* requirement) {
        throw data_error(std::string("WeightedReward: ") + field + " = " +
                         detail::routing::number_text(v) + ": " + requirement);
    }
    static double unit(const char* field, double v) {
        if (!(v >= 0.0 && v <= 1.0)) bad(field, v, "must be in [0, 1]");
        return v;
    }
    static double non_negative(const char* field, double v) {
        if (!(v >= 0.0 && v < std::numeric_limits<double>::infinity()))
            bad(field, v, "must be finite and >= 0");
        return v;
    }
    static double clamp01(double v) noexcept { return std::clamp(v, 0.0, 1.0); }

    RewardWeights weights_;
    RewardBounds bounds_;
};

/// Passes a numeric reward through after checking that it is finite and in [low, high]
/// (default: any finite value); otherwise throws data_error.
class ScalarReward {
public:
    using input_type = double;

    ScalarReward() = default;
    /// low < high, not NaN (invalid_argument).
    ScalarReward(double low, double high) : low_(low), high_(high) {
        if (!(low < high)) throw_invalid_config("ScalarReward", "high", high, "must be > low");
    }

    double operator()(double reward) const {
        if (!(reward >= low_ && reward <= high_ && std::isfinite(reward))) [[unlikely]]
            throw_out_of_bounds(reward);
        return reward;
    }

    double low() const noexcept { return low_; }
    double high() const noexcept { return high_; }

private:
    [[noreturn]] AUGUR_ROUTING_NOINLINE void throw_out_of_bounds(double reward) const {
        throw data_error("ScalarReward: reward = " + detail::routing::number_text(reward) +
                         ": must be finite and in [" + detail::routing::number_text(low_) + ", " +
                         detail::routing::number_text(high_) + "]");
    }

    double low_ = std::numeric_limits<double>::lowest();
    double high_ = std::numeric_limits<double>::max();
};

static_assert(RewardPolicy<WeightedReward>);
static_assert(RewardPolicy<ScalarReward>);

} // namespace v0
} // namespace augur
