#pragma once

// Selection policies: how a router scores each eligible arm before taking the best score.
//
// ThompsonSampling (the default) scores an arm by a draw from its posterior.
// EpsilonThompsonSampling (epsilon-exploring TS, after Jin, Yang, Xiao & Xu, ICML 2023) scores
// each arm by a posterior draw with probability epsilon (default min(1, 2/K)), else by its
// posterior mean: less exploration, lower regret when many arms are nearly equal, fewer draws
// per decision. The baselines, for comparison in the same framework, use the posterior's evidence
// and sample mean:
//   Ucb1            mean + sqrt(2 ln t / n)                       (Auer et al. 2002)
//   KlUcb           max { q : n kl(mean, q) <= ln t } for rewards in [0, 1]  (Garivier & Cappe
//                   2011, with c = 0 as in their experiments)
//   EpsilonGreedy   with probability epsilon a uniformly random arm, else the best mean
//   UniformRandom   a uniformly random arm
// Arms without evidence score +infinity in the index policies (each is tried once).
//
// Contract of a selection policy S for posterior P:
//   begin_round(Rng&, const Round& round) const   once per decision; `round` holds what every
//       policy may use (observations so far, number of arms). Returns the policy's own
//       per-decision state: Round itself, or the policy's nested type holding a Round (e.g.
//       EpsilonGreedy::State) with what only that policy decides once per decision.
//   double score(const P&, Rng&, const R&) const  per eligible arm, R what begin_round
//       returned; larger is better
//   optionally score(const P&, Rng&, const R&, std::span<const double> context) for a
//   ContextualPosterior.
// O(1) per arm (KlUcb: a few Newton steps). Thread-safety: immutable policies; the state of a
// decision is in what begin_round returned and in the caller's Rng.

#include "augur/core/error.hpp"
#include "augur/core/random.hpp"
#include "augur/routing/posterior.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>
#include <utility>

namespace augur {
inline namespace v0 {

/// What the router tells a selection policy at the start of every decision.
struct Round {
    /// Observations so far (>= 0).
    std::uint64_t t = 0;
    /// Number of arms of the router.
    std::size_t arms = 0;
};

/// What begin_round of selection policy S returns: its per-decision state.
template <class S>
using round_state_t = std::remove_cvref_t<decltype(std::declval<const S&>().begin_round(
    std::declval<Rng&>(), std::declval<const Round&>()))>;

/// A selection policy for posterior P (see the file comment).
template <class S, class P>
concept SelectionPolicy = requires(const S& s, Rng& rng, const Round& round) {
    s.begin_round(rng, round);
}
&&requires(const S& s, const P& p, Rng& rng, const round_state_t<S>& state) {
    { s.score(p, rng, state) } -> std::convertible_to<double>;
};

/// A selection policy that also scores arms under a context.
template <class S, class P>
concept ContextualSelectionPolicy = requires(const S& s, Rng& rng, const Round& round) {
    s.begin_round(rng, round);
}
&&requires(const S& s, const P& p, Rng& rng, const round_state_t<S>& state,
           std::span<const double> x) {
    { s.score(p, rng, state, x) } -> std::convertible_to<double>;
};

namespace detail::routing {

/// begin_round of a policy that decides nothing once per decision: the Round itself.
struct PlainRound {
    template <class G>
    Round begin_round(G&, const Round& round) const noexcept {
        return round;
    }
};

/// The index of an arm with evidence n, or +infinity without evidence (tried first).
template <class Index>
double index_or_untried(double n, Index&& index) noexcept {
    return n > 0.0 ? index(n) : std::numeric_limits<double>::infinity();
}

} // namespace detail::routing

/// Thompson sampling: an arm's score is a draw from its posterior.
struct ThompsonSampling : detail::routing::PlainRound {
    static constexpr const char* name = "thompson";
    template <class P, class G>
    double score(const P& posterior, G& rng, const Round&) const noexcept {
        return posterior.sample(rng);
    }
    template <class P, class G>
    double score(const P& posterior, G& rng, const Round&, std::span<const double> x) const {
        return posterior.sample(rng, x);
    }
};

/// Epsilon-exploring Thompson sampling: each arm's score is, with probability epsilon, a draw
/// from its posterior, else its posterior mean (a tiny random jitter breaks ties). By default
/// epsilon = min(1, 2 / K) for K arms: about two posterior draws per decision, whatever K.
/// Jin et al. (2023) prove the rule asymptotically and minimax optimal. One draw per decision
/// (per_decision(1), epsilon 1 / K) lowers regret further on many near-equal arms but leaves a
/// heavier tail on few arms (docs/routing.md has both). Compared with ThompsonSampling it explores
/// less: lower mean regret when many arms are nearly equal or the horizon is short, and K times
/// fewer posterior draws per decision.
class EpsilonThompsonSampling {
public:
    static constexpr const char* name = "eps-ts";
    /// epsilon = min(1, 2 / K).
    EpsilonThompsonSampling() noexcept = default;
    /// A fixed epsilon in (0, 1] (invalid_argument); 1 is ThompsonSampling.
    explicit EpsilonThompsonSampling(double epsilon) : epsilon_(epsilon) {
        if (!(epsilon > 0.0 && epsilon <= 1.0))
            throw_invalid_config("EpsilonThompsonSampling", "epsilon", epsilon,
                                 "must be in (0, 1]");
    }
    /// epsilon = min(1, draws / K): `draws` posterior draws per decision on average (> 0,
    /// finite; invalid_argument).
    static EpsilonThompsonSampling per_decision(double draws) {
        if (!(draws > 0.0 && std::isfinite(draws)))
            throw_invalid_config("EpsilonThompsonSampling", "draws", draws,
                                 "must be finite and > 0");
        EpsilonThompsonSampling rule;
        rule.draws_ = draws;
        return rule;
    }
    /// Per-decision state: an arm is drawn from its posterior when 53 random bits fall below
    /// draw_below (epsilon x 2^53).
    struct State {
        Round round;
        std::uint64_t draw_below = std::uint64_t{1} << 53;
    };
    /// epsilon for round.arms arms, computed once per decision (round.arms = 0: every arm
    /// drawn unless epsilon is fixed).
    template <class G>
    State begin_round(G&, const Round& round) const noexcept {
        const double epsilon = epsilon_for(round.arms);
        State d{.round = round};
        if (epsilon < 1.0) d.draw_below = static_cast<std::uint64_t>(std::ldexp(epsilon, 53));
        return d;
    }
    template <class P, class G>
    double score(const P& posterior, G& rng, const State& d) const noexcept {
        // One generator call decides the draw and, when the mean is used, breaks ties.
        const std::uint64_t bits = rng() >> 11;
        if (draws(d, bits)) return posterior.sample(rng);
        return exploit(posterior, bits);
    }
    /// True when the 53 random `bits` of an arm say it is drawn from its posterior.
    static bool draws(const State& d, std::uint64_t bits) noexcept { return bits < d.draw_below; }
    /// The score of an arm that is not drawn, given the 53 bits that decided so.
    template <class P>
    double exploit(const P& posterior, std::uint64_t bits) const noexcept {
        return posterior.mean() + 0x1.0p-53 * 1e-12 * static_cast<double>(bits);
    }
    template <class P, class G>
    double score(const P& posterior, G& rng, const State& d, std::span<const double> x) const {
        const std::uint64_t bits = rng() >> 11;
        if (draws(d, bits)) return posterior.sample(rng, x);
        return posterior.mean(x) + 0x1.0p-53 * 1e-12 * static_cast<double>(bits);
    }
    /// The fixed epsilon, or NaN when it follows the number of arms.
    double epsilon() const noexcept { return epsilon_; }
    /// Posterior draws per decision when epsilon follows the number of arms.
    double draws() const noexcept { return draws_; }
    /// The epsilon used with k arms.
    double epsilon_for(std::size_t k) const noexcept {
        if (!std::isnan(epsilon_)) return epsilon_;
        return std::min(1.0, draws_ / static_cast<double>(std::max<std::size_t>(1, k)));
    }

private:
    double epsilon_ = std::numeric_limits<double>::quiet_NaN();
    double draws_ = 2.0;
};

/// A selection policy that draws only some arms from their posteriors (EpsilonThompsonSampling).
/// The router may then score in two passes with the same result distribution as score(): for
/// each arm 53 random bits; draws(state, bits): the arm's score is a posterior draw, else
/// exploit(posterior, bits). The first pass has no data-dependent branch, which matters when
/// half of the arms are drawn.
template <class S, class P>
concept PartialDrawSelection = requires(const S& s, const P& p, std::uint64_t bits,
                                        const round_state_t<S>& state) {
    { s.draws(state, bits) } -> std::convertible_to<bool>;
    { s.exploit(p, bits) } -> std::convertible_to<double>;
};

namespace detail::routing {

inline double index_log(std::uint64_t t) noexcept {
    return std::log(std::max<double>(1.0, static_cast<double>(t)));
}

/// Bernoulli KL divergence kl(p, q), with 0 log 0 = 0.
inline double bernoulli_kl(double p, double q) noexcept {
    constexpr double eps = 1e-15;
    q = std::clamp(q, eps, 1.0 - eps);
    double kl = 0.0;
    if (p > 0.0) kl += p * std::log(p / q);
    if (p < 1.0) kl += (1.0 - p) * std::log((1.0 - p) / (1.0 - q));
    return kl;
}

/// The largest q in [p, 1] with kl(p, q) <= bound: Newton's method on the convex, increasing
/// f(q) = kl(p, q) - bound, started where the second-order expansion
/// (q - p)^2 = 2 bound q (1 - q) holds. From the left Newton overshoots once, then converges
/// monotonically; an overshoot past the smallest known point right of the root is replaced by
/// a bisection (so q never crawls along the log barrier at 1). Stops when |f| <= 1e-9 bound;
/// usually 3-5 evaluations of kl.
inline double kl_upper_bound(double p, double bound) noexcept {
    p = std::clamp(p, 0.0, 1.0);
    if (!(bound > 0.0)) return p;
    if (p >= 1.0) return 1.0;
    constexpr double top = 1.0 - 1e-15;
    const double b = p + bound;
    const double quadratic =
        (b + std::sqrt(std::max(0.0, b * b - (1.0 + 2.0 * bound) * p * p))) / (1.0 + 2.0 * bound);
    double q = std::clamp(quadratic, p, top);
    double right = 1.0; // smallest point known to be right of the root
    for (int i = 0; i < 200; ++i) {
        const double f = bernoulli_kl(p, q) - bound;
        if (std::fabs(f) <= 1e-9 * bound) break;
        if (f > 0.0) right = q;
        const double slope = (q - p) / (q * (1.0 - q));
        double next = slope > 0.0 ? q - f / slope : 0.5 * (q + right);
        if (!(next < right)) next = 0.5 * (q + right);
        next = std::clamp(next, p, top);
        if (next == q) break;
        q = next;
    }
    return q;
}

} // namespace detail::routing

/// UCB1: mean + sqrt(2 ln t / n); arms without evidence first.
struct Ucb1 : detail::routing::PlainRound {
    static constexpr const char* name = "ucb1";
    template <class P, class G>
    double score(const P& posterior, G&, const Round& round) const noexcept {
        return detail::routing::index_or_untried(posterior.count(), [&](double n) {
            return posterior.sample_mean() +
                   std::sqrt(2.0 * detail::routing::index_log(round.t) / n);
        });
    }
};

/// KL-UCB for rewards in [0, 1]: max { q : n kl(mean, q) <= ln t }.
struct KlUcb : detail::routing::PlainRound {
    static constexpr const char* name = "kl-ucb";
    template <class P, class G>
    double score(const P& posterior, G&, const Round& round) const noexcept {
        return detail::routing::index_or_untried(posterior.count(), [&](double n) {
            return detail::routing::kl_upper_bound(posterior.sample_mean(),
                                                   detail::routing::index_log(round.t) / n);
        });
    }
};

/// Epsilon-greedy: explores uniformly with probability epsilon, else takes the best sample
/// mean (arms without evidence first; ties broken at random).
class EpsilonGreedy {
public:
    static constexpr const char* name = "egreedy";
    /// epsilon in [0, 1] (invalid_argument).
    explicit EpsilonGreedy(double epsilon = 0.1) : epsilon_(epsilon) {
        if (!(epsilon >= 0.0 && epsilon <= 1.0))
            throw_invalid_config("EpsilonGreedy", "epsilon", epsilon, "must be in [0, 1]");
    }
    /// Per-decision state: whether this decision explores.
    struct State {
        Round round;
        bool explore = false;
    };
    template <class G>
    State begin_round(G& rng, const Round& round) const noexcept {
        return State{.round = round, .explore = uniform01(rng) < epsilon_};
    }
    template <class P, class G>
    double score(const P& posterior, G& rng, const State& d) const noexcept {
        if (d.explore) return uniform01(rng);
        return detail::routing::index_or_untried(posterior.count(), [&](double) {
            return posterior.sample_mean() + 1e-12 * uniform01(rng);
        });
    }
    double epsilon() const noexcept { return epsilon_; }

private:
    double epsilon_;
};

/// Uniformly random routing.
struct UniformRandom : detail::routing::PlainRound {
    static constexpr const char* name = "uniform";
    template <class P, class G>
    double score(const P&, G& rng, const Round&) const noexcept {
        return uniform01(rng);
    }
};

static_assert(SelectionPolicy<ThompsonSampling, BetaBernoulli>);
static_assert(SelectionPolicy<EpsilonThompsonSampling, BetaBernoulli>);
static_assert(PartialDrawSelection<EpsilonThompsonSampling, BetaBernoulli>);
static_assert(SelectionPolicy<Ucb1, BetaBernoulli>);
static_assert(SelectionPolicy<KlUcb, BetaBernoulli>);
static_assert(SelectionPolicy<EpsilonGreedy, BetaBernoulli>);
static_assert(SelectionPolicy<UniformRandom, NormalGamma>);

} // namespace v0
} // namespace augur
