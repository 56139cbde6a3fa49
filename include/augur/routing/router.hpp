#pragma once

// Router: Thompson-sampling routing of requests among arms (agents, models), learning from
// every outcome.
//
// Router<Posterior, Forgetting, Reward, Selection>:
//   Posterior  BetaBernoulli (default), NormalGamma, or a ContextualPosterior such as
//              LinearGaussian (then choose(context) / observe(arm, outcome, context)).
//   Forgetting NoForgetting (default), Discounted, SlidingWindow, ChangeDetecting.
//   Reward     WeightedReward (default: an Outcome scored into [0, 1]) or ScalarReward.
//   Selection  EpsilonThompsonSampling (default for a context-free posterior: each arm scored
//              by a posterior draw with probability min(1, 2/K), else by its posterior mean),
//              ThompsonSampling (every arm drawn; default for a contextual posterior);
//              Ucb1, KlUcb, EpsilonGreedy, UniformRandom as baselines in the same framework.
//
// choose() scores every eligible arm (available and below its concurrency limit) and takes
// the best; an arm that is down or full is never chosen, and choose() returns nullopt when no
// arm is eligible. A chosen arm holds one in-flight slot until observe() (or release()) for it.
// Options (RouterConfig): an exploration floor (with that probability a uniformly random
// eligible arm), load balancing (among arms whose scores are within balance_tolerance of the
// best, the least loaded one: in_flight / capacity, capacity 1 for unlimited arms), decide()
// that also reports the propensity of the choice for off-policy evaluation, shadow evaluation
// of an alternative policy on a share of traffic, probability_best(), rank() for fallbacks,
// arms added and removed at run time, save/load, and a seed: the same seed and the same calls
// give the same choices.
// Complexity: choose O(K) scores (a BetaBernoulli draw ~7 ns, a posterior mean ~2 ns; about
// two draws per decision by default, K with ThompsonSampling), observe O(1) (O(K) with
// Discounted); no allocation in choose / observe. decide() costs propensity_draws extra
// rounds.
// Thread-safety: not synchronized (like a standard container): one router per thread, or
// ConcurrentRouter (concurrent_router.hpp). const members may be called concurrently.
// @code
//   augur::Router<> router({.seed = 42});
//   auto fast = router.add_arm("fast-model", 8);      // at most 8 requests in flight
//   auto smart = router.add_arm("smart-model");
//   if (auto arm = router.choose()) {
//       // ... send the request to *arm ...
//       router.observe(*arm, {.success = 1.0, .latency = 0.8, .cost = 0.01});
//   }
// @endcode

#include "augur/core/archive.hpp"
#include "augur/core/error.hpp"
#include "augur/core/random.hpp"
#include "augur/routing/forgetting.hpp"
#include "augur/routing/posterior.hpp"
#include "augur/routing/reward.hpp"
#include "augur/routing/selection.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <istream>
#include <limits>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {

namespace detail::routing {

/// Monte Carlo probability that each of `arms` arms has the highest draw: over `draws` rounds,
/// the share of rounds arm i's draw (sample(i), called for every arm each round) is the
/// largest. O(draws x arms).
template <class Sample>
std::vector<double> best_shares(std::size_t arms, std::size_t draws, Sample&& sample) {
    std::vector<std::uint64_t> wins(arms, 0);
    for (std::size_t d = 0; d < draws && arms > 0; ++d) {
        std::size_t best = 0;
        double best_draw = -std::numeric_limits<double>::infinity();
        for (std::size_t i = 0; i < arms; ++i) {
            const double s = sample(i);
            if (s > best_draw) {
                best_draw = s;
                best = i;
            }
        }
        ++wins[best];
    }
    std::vector<double> shares(arms);
    for (std::size_t i = 0; i < arms; ++i)
        shares[i] = static_cast<double>(wins[i]) / static_cast<double>(draws);
    return shares;
}

} // namespace detail::routing

/// Identifies an arm of a router; stable while the arm exists, never reused by that router.
enum class ArmId : std::uint32_t {};

/// The number of an ArmId.
constexpr std::uint32_t to_index(ArmId id) noexcept {
    return static_cast<std::uint32_t>(id);
}

/// Capacity meaning "no concurrency limit".
inline constexpr std::uint32_t unlimited_capacity = 0;

/// Numbers that configure a router; validated by the router's constructor.
struct RouterConfig {
    /// Seed of the router's generator: same seed, same calls -> same choices.
    std::uint64_t seed = 0;
    /// Probability in [0, 1) of choosing a uniformly random eligible arm instead.
    double exploration_floor = 0.0;
    /// Arms whose scores are within this of the best are balanced by load; >= 0.
    double balance_tolerance = 0.0;
    /// Monte Carlo rounds decide() uses to estimate a choice's propensity (0: not computed).
    std::uint32_t propensity_draws = 1000;
    /// Share of decide() calls in [0, 1] on which the shadow alternative is scored.
    double shadow_share = 0.0;

    void validate() const {
        if (!(exploration_floor >= 0.0 && exploration_floor < 1.0))
            throw_invalid_config("RouterConfig", "exploration_floor", exploration_floor,
                                 "must be in [0, 1)");
        if (!(balance_tolerance >= 0.0 && std::isfinite(balance_tolerance)))
            throw_invalid_config("RouterConfig", "balance_tolerance", balance_tolerance,
                                 "must be finite and >= 0");
        if (!(shadow_share >= 0.0 && shadow_share <= 1.0))
            throw_invalid_config("RouterConfig", "shadow_share", shadow_share, "must be in [0, 1]");
        if (shadow_share > 0.0 && propensity_draws == 0)
            throw_invalid_config("RouterConfig", "propensity_draws", propensity_draws,
                                 "must be > 0 when shadow_share > 0");
    }
};

/// A routing decision with what an offline evaluator needs.
struct Decision {
    ArmId arm{};
    /// Probability with which this arm was chosen given the router's state (Monte Carlo
    /// estimate over RouterConfig::propensity_draws rounds, the realised round included;
    /// NaN when propensity_draws is 0). Log it for inverse propensity scoring.
    double propensity = std::numeric_limits<double>::quiet_NaN();
    /// True when the exploration floor picked the arm.
    bool explored = false;
    /// What the shadow alternative would have chosen, when this decision was scored.
    std::optional<ArmId> shadow;
};

/// How the shadow alternative compares with the router on the scored decisions.
struct ShadowReport {
    /// Scored decisions whose outcome was observed.
    std::uint64_t decisions = 0;
    /// Of those, how many the alternative agreed with.
    std::uint64_t agreements = 0;
    /// Mean reward the router obtained on them.
    double primary_value = std::numeric_limits<double>::quiet_NaN();
    /// Inverse-propensity estimate of the alternative's mean reward, and its standard error.
    double shadow_value = std::numeric_limits<double>::quiet_NaN();
    double shadow_stderr = std::numeric_limits<double>::quiet_NaN();
};

/// The common face of the three context-free router front ends (Router, ConcurrentRouter,
/// ShardedRouter), so code can be written once for any of them. Contract:
///   add_arm(name, capacity) -> ArmId; remove_arm, set_available, set_capacity
///   contains(ArmId), size(), arms(), find(name), in_flight(ArmId), total_in_flight()
///   choose() -> std::optional<ArmId>: an eligible arm (available, below its capacity), one of
///       its in-flight slots taken; nullopt when none is eligible
///   observe(ArmId, const input_type&) learns and frees the slot; record(...) learns only;
///   release(ArmId) frees a slot without learning; bad arm: invalid_argument, bad outcome:
///   data_error, nothing changed then
///   rank() -> eligible arms best first; probability_best(draws) -> (ArmId, share) per arm
///   decisions(), observations(): counts so far
/// What differs is thread-safety (Router: none; the others: every member) and cost (see each
/// type). Checked by static_assert next to each front end.
template <class R>
concept RouterFrontEnd = requires(R& r, const R& cr, ArmId a, const typename R::input_type& outcome,
                                  std::string name, std::uint32_t capacity, std::size_t draws) {
    typename R::input_type;
    { r.add_arm(name, capacity) } -> std::same_as<ArmId>;
    r.remove_arm(a);
    r.set_available(a, true);
    r.set_capacity(a, capacity);
    { cr.contains(a) } -> std::convertible_to<bool>;
    { cr.size() } -> std::convertible_to<std::size_t>;
    { cr.arms() } -> std::same_as<std::vector<ArmId>>;
    { cr.find(name) } -> std::same_as<std::optional<ArmId>>;
    { cr.in_flight(a) } -> std::convertible_to<std::uint32_t>;
    { cr.total_in_flight() } -> std::convertible_to<std::uint64_t>;
    { r.choose() } -> std::same_as<std::optional<ArmId>>;
    r.observe(a, outcome);
    r.record(a, outcome);
    r.release(a);
    { r.rank() } -> std::same_as<std::vector<ArmId>>;
    { r.probability_best(draws) } -> std::same_as<std::vector<std::pair<ArmId, double>>>;
    { cr.decisions() } -> std::convertible_to<std::uint64_t>;
    { cr.observations() } -> std::convertible_to<std::uint64_t>;
};

/// The selection policy of a Router unless told otherwise: EpsilonThompsonSampling (about two
/// posterior draws per decision) for a context-free posterior, ThompsonSampling for a
/// contextual one.
template <class P>
using default_selection_t =
    std::conditional_t<ContextualPosterior<P>, ThompsonSampling, EpsilonThompsonSampling>;

/// Routes requests among arms by Thompson sampling (see the file comment).
/// @tparam P a Posterior or ContextualPosterior
/// @tparam F a ForgettingPolicy for P
/// @tparam R a RewardPolicy
/// @tparam S a SelectionPolicy for P (ContextualSelectionPolicy when P is contextual);
///           default_selection_t<P> by default
template <class P = BetaBernoulli, class F = NoForgetting, class R = WeightedReward,
          class S = default_selection_t<P>>
class Router {
    static_assert(Posterior<P> || ContextualPosterior<P>,
                  "Router: P must satisfy augur::Posterior or augur::ContextualPosterior "
                  "(sample, check, update, remove, decay, reset, merge, mean, count, "
                  "credible_interval, save, load)");
    static_assert(ForgettingPolicy<F, P>, "Router: F must satisfy augur::ForgettingPolicy "
                                          "(observe, arm_added, arm_removed, reset)");
    static_assert(RewardPolicy<R>, "Router: R must satisfy augur::RewardPolicy "
                                   "(input_type and double operator()(const input_type&))");

public:
    static constexpr bool contextual = ContextualPosterior<P>;
    static_assert(contextual ? ContextualSelectionPolicy<S, P> : SelectionPolicy<S, P>,
                  "Router: S must satisfy augur::SelectionPolicy for P (begin_round(rng, Round), "
                  "score(posterior, rng, state); score with a context for a contextual "
                  "posterior)");

    using posterior_type = P;
    using forgetting_type = F;
    using reward_type = R;
    using selection_type = S;
    using input_type = typename R::input_type;
    using Context = std::span<const double>;

    /// `prototype` is the posterior every new arm starts from (its prior).
    explicit Router(const RouterConfig& config = {}, P prototype = P{}, F forgetting = F{},
                    R reward = R{}, S selection = S{})
        : config_(config), prototype_(std::move(prototype)), forgetting_(std::move(forgetting)),
          reward_(std::move(reward)), selection_(std::move(selection)), rng_(config.seed),
          side_rng_(Rng(config.seed).fork(0x5eed)) {
        config_.validate();
    }

    // ---- arms ----------------------------------------------------------------------------

    /// Adds an arm starting from the prototype posterior; capacity 0 = unlimited. O(1)
    /// amortised. Names are labels (may be empty or repeat); find() returns the first match.
    ArmId add_arm(std::string name = {}, std::uint32_t capacity = unlimited_capacity) {
        return add_arm(std::move(name), prototype_, capacity);
    }

    /// Adds an arm with a given posterior (warm start, or one loaded from another process).
    ArmId add_arm(std::string name, P initial, std::uint32_t capacity = unlimited_capacity) {
        if (next_id_ == std::numeric_limits<std::uint32_t>::max())
            throw invalid_argument("Router::add_arm: arm ids exhausted");
        const ArmId id{next_id_++};
        posteriors_.push_back(std::move(initial));
        slots_.push_back({id, capacity, 0, true});
        names_.push_back(std::move(name));
        index_of_.push_back(static_cast<std::uint32_t>(slots_.size() - 1));
        scores_.resize(slots_.size());
        drawn_.resize(slots_.size());
        forgetting_.arm_added(slots_.size() - 1);
        return id;
    }

    /// Removes an arm (its in-flight requests are forgotten). Unknown arm: invalid_argument.
    void remove_arm(ArmId arm) {
        const std::size_t i = index("Router::remove_arm", arm);
        const std::size_t last = slots_.size() - 1;
        total_in_flight_ -= slots_[i].in_flight;
        if (i != last) {
            posteriors_[i] = std::move(posteriors_[last]);
            slots_[i] = slots_[last];
            names_[i] = std::move(names_[last]);
            index_of_[to_index(slots_[i].id)] = static_cast<std::uint32_t>(i);
        }
        posteriors_.pop_back();
        slots_.pop_back();
        names_.pop_back();
        index_of_[to_index(arm)] = npos32;
        forgetting_.arm_removed(i, last);
    }

    bool contains(ArmId arm) const noexcept {
        return to_index(arm) < index_of_.size() && index_of_[to_index(arm)] != npos32;
    }
    /// Number of arms.
    std::size_t size() const noexcept { return slots_.size(); }
    /// The arms, in internal order (changes when an arm is removed).
    std::vector<ArmId> arms() const {
        std::vector<ArmId> ids;
        ids.reserve(slots_.size());
        for (const auto& s : slots_)
            ids.push_back(s.id);
        return ids;
    }
    /// The first arm with this name.
    std::optional<ArmId> find(std::string_view name) const {
        for (std::size_t i = 0; i < names_.size(); ++i)
            if (names_[i] == name) return slots_[i].id;
        return std::nullopt;
    }
    const std::string& name(ArmId arm) const { return names_[index("Router::name", arm)]; }

    /// Marks an arm up or down; a down arm is never chosen.
    void set_available(ArmId arm, bool available) {
        slots_[index("Router::set_available", arm)].available = available;
    }
    bool available(ArmId arm) const { return slots_[index("Router::available", arm)].available; }
    /// Sets the concurrency limit (0 = unlimited); in-flight requests above it stay.
    void set_capacity(ArmId arm, std::uint32_t capacity) {
        slots_[index("Router::set_capacity", arm)].capacity = capacity;
    }
    std::uint32_t capacity(ArmId arm) const {
        return slots_[index("Router::capacity", arm)].capacity;
    }
    /// Requests chosen for this arm and not yet observed or released.
    std::uint32_t in_flight(ArmId arm) const {
        return slots_[index("Router::in_flight", arm)].in_flight;
    }
    /// True when the arm is available and below its capacity.
    bool eligible(ArmId arm) const { return eligible_at(index("Router::eligible", arm)); }
    /// Frees one in-flight slot without learning (a request abandoned or failed to send).
    void release(ArmId arm) { release_at(index("Router::release", arm)); }

    const P& posterior(ArmId arm) const { return posteriors_[index("Router::posterior", arm)]; }
    /// Replaces an arm's posterior (e.g. after merging another replica's evidence into it).
    void set_posterior(ArmId arm, P posterior) {
        posteriors_[index("Router::set_posterior", arm)] = std::move(posterior);
    }
    const P& prototype() const noexcept { return prototype_; }

    // ---- decisions -----------------------------------------------------------------------

    /// Chooses an eligible arm and takes one of its in-flight slots; nullopt when no arm is
    /// eligible. O(K), no allocation.
    std::optional<ArmId> choose() requires(!contextual) { return choose_impl({}, AllArms{}); }
    /// Chooses for a context (contextual posteriors).
    std::optional<ArmId> choose(Context x) requires contextual { return choose_impl(x, AllArms{}); }

    /// choose() among the eligible arms for which `gate(ArmId)` is also true (a shared
    /// capacity or health check kept outside this router, as ShardedRouter does). `gate` must
    /// not call this router's members.
    template <class Gate>
    std::optional<ArmId> choose_if(Gate&& gate) requires(!contextual) {
        return choose_impl({}, gate);
    }
    template <class Gate>
    std::optional<ArmId> choose_if(Context x, Gate&& gate) requires contextual {
        return choose_impl(x, gate);
    }

    /// choose() that also reports the choice's propensity and the shadow alternative's pick.
    std::optional<Decision> decide() requires(!contextual) { return decide_impl({}); }
    std::optional<Decision> decide(Context x) requires contextual { return decide_impl(x); }

    /// Eligible arms ordered best first by one score each (for Thompson sampling, a posterior
    /// draw): the choice followed by fallbacks. Takes no slot. O(K log K).
    std::vector<ArmId> rank() requires(!contextual) { return rank_impl({}); }
    std::vector<ArmId> rank(Context x) requires contextual { return rank_impl(x); }

    /// Posterior probability that each arm (eligible or not) has the highest expected reward,
    /// by `draws` Monte Carlo rounds (own generator: choices are not affected). O(draws K).
    std::vector<std::pair<ArmId, double>>
    probability_best(std::size_t draws = 10000) requires(!contextual) {
        return probability_best_impl(draws, {});
    }
    std::vector<std::pair<ArmId, double>>
    probability_best(Context x, std::size_t draws = 10000) requires contextual {
        return probability_best_impl(draws, x);
    }

    // ---- learning ------------------------------------------------------------------------

    /// Learns the outcome of a request sent to `arm` and frees its in-flight slot. Unknown
    /// arm: invalid_argument; a bad outcome (NaN, out of bounds): data_error. On error
    /// nothing changes. O(1), no allocation (O(K) with Discounted).
    void observe(ArmId arm, const input_type& outcome) requires(!contextual) {
        learn_impl(arm, outcome, {}, true);
    }
    void observe(ArmId arm, const input_type& outcome, Context x) requires contextual {
        learn_impl(arm, outcome, x, true);
    }
    /// observe() for a decision from decide(); also scores the shadow alternative.
    void observe(const Decision& decision, const input_type& outcome) requires(!contextual) {
        const double reward = learn_impl(decision.arm, outcome, {}, true);
        score_shadow(decision, reward);
    }
    void observe(const Decision& decision, const input_type& outcome,
                 Context x) requires contextual {
        const double reward = learn_impl(decision.arm, outcome, x, true);
        score_shadow(decision, reward);
    }
    /// Learns an outcome without touching in-flight slots (replayed logs, other replicas).
    void record(ArmId arm, const input_type& outcome) requires(!contextual) {
        learn_impl(arm, outcome, {}, false);
    }
    void record(ArmId arm, const input_type& outcome, Context x) requires contextual {
        learn_impl(arm, outcome, x, false);
    }

    // ---- shadow evaluation ---------------------------------------------------------------

    /// Sets the alternative scored on RouterConfig::shadow_share of decide() calls: a callable
    /// returning the arm it would choose (it must not call this router's mutating members).
    /// The user never sees its choice; shadow_report() estimates its value by inverse
    /// propensity scoring against this router's decisions.
    void set_shadow(std::function<std::optional<ArmId>()> alternative) {
        shadow_ = std::move(alternative);
    }
    ShadowReport shadow_report() const {
        ShadowReport report;
        report.decisions = shadow_count_;
        report.agreements = shadow_agree_;
        if (shadow_count_ > 0) {
            const auto n = static_cast<double>(shadow_count_);
            report.primary_value = primary_sum_ / n;
            report.shadow_value = ips_sum_ / n;
            const double var =
                std::max(0.0, ips_sq_ / n - report.shadow_value * report.shadow_value);
            report.shadow_stderr = std::sqrt(var / n);
        }
        return report;
    }
    void reset_shadow_report() noexcept {
        shadow_count_ = shadow_agree_ = 0;
        primary_sum_ = ips_sum_ = ips_sq_ = 0.0;
    }

    // ---- state ---------------------------------------------------------------------------

    /// Observations learnt so far.
    std::uint64_t observations() const noexcept { return t_; }
    /// Decisions made so far (choose and decide).
    std::uint64_t decisions() const noexcept { return decisions_; }
    /// In-flight requests over all arms.
    std::uint64_t total_in_flight() const noexcept { return total_in_flight_; }
    const RouterConfig& config() const noexcept { return config_; }
    F& forgetting() noexcept { return forgetting_; }
    const F& forgetting() const noexcept { return forgetting_; }
    const R& reward() const noexcept { return reward_; }
    const S& selection() const noexcept { return selection_; }

    /// Forgets all evidence (every arm back to the prototype's prior), keeps the arms.
    void reset_evidence() {
        for (auto& p : posteriors_)
            p = prototype_;
        forgetting_.reset();
        t_ = 0;
    }

    /// Writes arms, posteriors, counters, generators and the forgetting policy's state (when it
    /// has one, see forgetting.hpp) as an archive "augur.Router" (core/archive.hpp). The
    /// configuration, prototype and policies are not saved, nor in-flight counts. Throws
    /// augur::error if the stream fails.
    void save(std::ostream& out) const {
        write_archive(out, archive_tag, format_version, [&](ArchiveWriter& w) {
            w(std::string(detail::routing::posterior_tag<P>()), next_id_, t_, decisions_);
            for (const Rng* g : {&rng_, &side_rng_})
                for (std::uint64_t word : g->state())
                    w(word);
            w(static_cast<std::uint64_t>(slots_.size()));
            for (std::size_t i = 0; i < slots_.size(); ++i) {
                w(to_index(slots_[i].id), names_[i], slots_[i].available, slots_[i].capacity);
                detail::routing::write_nested(w, posteriors_[i]);
            }
            if constexpr (FieldArchivable<F>) {
                w(true, forgetting_);
            } else {
                w(false);
            }
        });
    }

    /// Replaces arms, posteriors, counters and generators with what save() wrote, into a
    /// router constructed like the saved one (this router's config, prototype and policies are
    /// kept; in-flight counts start at 0; a forgetting policy without saved state is reset).
    /// Throws data_error on anything malformed (core/archive.hpp), another posterior type, or
    /// forgetting state that does not fit this router's policy; on error this router is
    /// unchanged.
    void load(std::istream& in) {
        Router loaded = read_archive(in, archive_tag, format_version, [&](ArchiveReader& r) {
            const auto tag = r.read<std::string>();
            r.require(tag == detail::routing::posterior_tag<P>(),
                      "the router was saved with posterior '" + tag + "', this one has '" +
                          detail::routing::posterior_tag<P>() + "'");
            Router copy(config_, prototype_, forgetting_, reward_, selection_);
            // The policy copy still holds per-arm state for this router's arms: drop it.
            for (std::size_t i = slots_.size(); i-- > 0;)
                copy.forgetting_.arm_removed(i, i);
            r(copy.next_id_, copy.t_, copy.decisions_);
            for (Rng* g : {&copy.rng_, &copy.side_rng_}) {
                std::uint64_t words[4];
                for (auto& word : words)
                    r(word);
                r.require((words[0] | words[1] | words[2] | words[3]) != 0, "zero generator state");
                g->set_state(words);
            }
            const auto arms = r.read<std::uint64_t>();
            r.require(arms <= copy.next_id_, "more arms than ids");
            // Ids are never reused, so next_id may exceed the arms; bound what a forged value
            // can allocate (index_of_: 4 bytes per id).
            r.require(copy.next_id_ <= std::max<std::uint64_t>(r.remaining() + arms, 1U << 24),
                      "implausible number of arm ids");
            copy.index_of_.assign(copy.next_id_, npos32);
            for (std::uint64_t k = 0; k < arms; ++k) {
                const auto id = r.read<std::uint32_t>();
                r.require(id < copy.next_id_ && copy.index_of_[id] == npos32, "bad arm id");
                auto name = r.read<std::string>();
                const auto available = r.read<bool>();
                const auto capacity = r.read<std::uint32_t>();
                P posterior = prototype_;
                detail::routing::read_nested(r, posterior);
                copy.index_of_[id] = static_cast<std::uint32_t>(copy.slots_.size());
                copy.posteriors_.push_back(std::move(posterior));
                copy.slots_.push_back({ArmId{id}, capacity, 0, available});
                copy.names_.push_back(std::move(name));
                copy.forgetting_.arm_added(copy.slots_.size() - 1);
            }
            copy.scores_.resize(copy.slots_.size());
            copy.drawn_.resize(copy.slots_.size());
            copy.forgetting_.reset();
            if (r.read<bool>()) {
                if constexpr (FieldArchivable<F>) {
                    r(copy.forgetting_);
                    if constexpr (requires(const F& f) { f.valid_for(std::size_t{}); })
                        r.require(copy.forgetting_.valid_for(copy.slots_.size()),
                                  "the forgetting state names an arm that does not exist");
                } else {
                    r.fail("saved forgetting state, but this router's policy has none");
                }
            }
            return copy;
        });
        loaded.shadow_ = shadow_;
        *this = std::move(loaded);
    }

    /// Type tag and format version of a router's archive.
    static constexpr const char* archive_tag = "augur.Router";
    static constexpr std::uint32_t format_version = 1;

private:
    static constexpr std::uint32_t npos32 = std::numeric_limits<std::uint32_t>::max();

    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    struct Slot {
        ArmId id;
        std::uint32_t capacity;
        std::uint32_t in_flight;
        bool available;
    };

    [[noreturn]] AUGUR_ROUTING_NOINLINE static void throw_unknown_arm(const char* where,
                                                                      ArmId arm) {
        throw invalid_argument(std::string(where) + ": unknown arm " +
                               std::to_string(to_index(arm)));
    }

    std::size_t index(const char* where, ArmId arm) const {
        if (!contains(arm)) [[unlikely]]
            throw_unknown_arm(where, arm);
        return index_of_[to_index(arm)];
    }

    bool eligible_at(std::size_t i) const noexcept {
        const Slot& s = slots_[i];
        return s.available && (s.capacity == 0 || s.in_flight < s.capacity);
    }

    void acquire_at(std::size_t i) noexcept {
        ++slots_[i].in_flight;
        ++total_in_flight_;
    }
    void release_at(std::size_t i) noexcept {
        if (slots_[i].in_flight > 0) {
            --slots_[i].in_flight;
            --total_in_flight_;
        }
    }

    using RoundState = round_state_t<S>;

    template <class G>
    double score_at(std::size_t i, G& rng, const RoundState& round, Context x) const {
        if constexpr (contextual)
            return selection_.score(posteriors_[i], rng, round, x);
        else
            return selection_.score(posteriors_[i], rng, round);
    }

    // The selection policy's state for this decision.
    template <class G>
    RoundState begin_round(G& rng) const {
        return selection_.begin_round(rng, Round{.t = t_, .arms = slots_.size()});
    }

    // Admits every arm: the gate of choose().
    struct AllArms {
        constexpr bool operator()(ArmId) const noexcept { return true; }
    };

    template <class Gate>
    bool eligible_at(std::size_t i, Gate& gate) const {
        if constexpr (std::is_same_v<std::remove_const_t<Gate>, AllArms>)
            return eligible_at(i);
        else
            return eligible_at(i) && static_cast<bool>(gate(slots_[i].id));
    }

    template <class Gate = AllArms>
    std::size_t eligible_count(Gate&& gate = {}) const {
        std::size_t n = 0;
        for (std::size_t i = 0; i < slots_.size(); ++i)
            n += eligible_at(i, gate) ? 1 : 0;
        return n;
    }

    // The selection rule without the exploration floor.
    template <class G, class Gate = AllArms>
    std::size_t select_greedy(G& rng, Context x, Gate&& gate = {}) {
        const RoundState round = begin_round(rng);
        const std::size_t k = slots_.size();
        std::size_t best = npos;
        double best_score = -std::numeric_limits<double>::infinity();
        if (!(config_.balance_tolerance > 0.0 && total_in_flight_ > 0)) {
            if constexpr (!contextual && PartialDrawSelection<S, P>)
                return select_partial_draw(rng, round, gate);
            for (std::size_t i = 0; i < k; ++i) {
                if (!eligible_at(i, gate)) continue;
                const double s = score_at(i, rng, round, x);
                if (best == npos || s > best_score) {
                    best = i;
                    best_score = s;
                }
            }
            return best;
        }
        for (std::size_t i = 0; i < k; ++i) {
            if (!eligible_at(i, gate)) continue;
            scores_[i] = score_at(i, rng, round, x);
            if (best == npos || scores_[i] > best_score) {
                best = i;
                best_score = scores_[i];
            }
        }
        if (best == npos) return npos;
        const auto load = [&](std::size_t i) {
            const Slot& s = slots_[i];
            return static_cast<double>(s.in_flight) / static_cast<double>(std::max(1U, s.capacity));
        };
        std::size_t pick = best;
        double pick_load = load(best);
        for (std::size_t i = 0; i < k; ++i) {
            if (i == best || !eligible_at(i, gate)) continue;
            if (!(scores_[i] >= best_score - config_.balance_tolerance)) continue;
            const double l = load(i);
            if (l < pick_load || (l == pick_load && scores_[i] > scores_[pick])) {
                pick = i;
                pick_load = l;
            }
        }
        return pick;
    }

    // Two passes for a PartialDrawSelection: the arms scored without a draw (branch-free:
    // their score, or -inf for a drawn arm, and the drawn arm's index appended), then the
    // draws. The same scores as score() from the same bits.
    template <class G, class Gate>
    std::size_t select_partial_draw(G& rng, const RoundState& round, Gate& gate) {
        const std::size_t k = slots_.size();
        constexpr double never = -std::numeric_limits<double>::infinity();
        std::size_t best = npos;
        double best_score = never;
        std::size_t drawn = 0;
        for (std::size_t i = 0; i < k; ++i) {
            if (!eligible_at(i, gate)) continue;
            const std::uint64_t bits = rng() >> 11;
            const bool draw = selection_.draws(round, bits);
            drawn_[drawn] = static_cast<std::uint32_t>(i);
            drawn += draw ? 1 : 0;
            const double s = draw ? never : selection_.exploit(posteriors_[i], bits);
            best = s > best_score ? i : best;
            best_score = s > best_score ? s : best_score;
        }
        for (std::size_t j = 0; j < drawn; ++j) {
            const std::size_t i = drawn_[j];
            const double s = posteriors_[i].sample(rng);
            if (best == npos || s > best_score) {
                best = i;
                best_score = s;
            }
        }
        return best;
    }

    template <class G, class Gate>
    std::size_t select(G& rng, Context x, bool& explored, Gate& gate) {
        explored = false;
        if (config_.exploration_floor > 0.0 && uniform01(rng) < config_.exploration_floor) {
            const std::size_t n = eligible_count(gate);
            if (n == 0) return npos;
            std::uint64_t k = uniform_index(rng, n);
            explored = true;
            for (std::size_t i = 0; i < slots_.size(); ++i)
                if (eligible_at(i, gate) && k-- == 0) return i;
        }
        return select_greedy(rng, x, gate);
    }

    template <class Gate>
    std::optional<ArmId> choose_impl(Context x, Gate&& gate) {
        bool explored = false;
        const std::size_t i = select(rng_, x, explored, gate);
        if (i == npos) return std::nullopt;
        acquire_at(i);
        ++decisions_;
        return slots_[i].id;
    }

    double propensity_of(std::size_t pick, bool explored, Context x) {
        if (config_.propensity_draws == 0) return std::numeric_limits<double>::quiet_NaN();
        const double floor = config_.exploration_floor;
        const double uniform_part =
            floor > 0.0 ? floor / static_cast<double>(eligible_count()) : 0.0;
        // The realised greedy round is one of the rounds when the greedy rule made the choice.
        std::uint64_t hits = explored ? 0 : 1;
        std::uint64_t rounds = explored ? 0 : 1;
        for (std::uint32_t k = 0; k < config_.propensity_draws; ++k, ++rounds)
            hits += select_greedy(side_rng_, x) == pick ? 1 : 0;
        return uniform_part +
               (1.0 - floor) * static_cast<double>(hits) / static_cast<double>(rounds);
    }

    std::optional<Decision> decide_impl(Context x) {
        bool explored = false;
        AllArms all;
        const std::size_t i = select(rng_, x, explored, all);
        if (i == npos) return std::nullopt;
        Decision d;
        d.arm = slots_[i].id;
        d.explored = explored;
        d.propensity = propensity_of(i, explored, x);
        if (shadow_ && config_.shadow_share > 0.0 && uniform01(side_rng_) < config_.shadow_share)
            d.shadow = shadow_();
        acquire_at(i);
        ++decisions_;
        return d;
    }

    std::vector<ArmId> rank_impl(Context x) {
        const RoundState round = begin_round(rng_);
        std::vector<std::pair<double, ArmId>> scored;
        scored.reserve(slots_.size());
        for (std::size_t i = 0; i < slots_.size(); ++i)
            if (eligible_at(i)) scored.emplace_back(score_at(i, rng_, round, x), slots_[i].id);
        std::stable_sort(scored.begin(), scored.end(),
                         [](const auto& a, const auto& b) { return a.first > b.first; });
        std::vector<ArmId> ids;
        ids.reserve(scored.size());
        for (const auto& s : scored)
            ids.push_back(s.second);
        return ids;
    }

    std::vector<std::pair<ArmId, double>> probability_best_impl(std::size_t draws, Context x) {
        if (draws == 0)
            throw_invalid_config("Router::probability_best", "draws", draws, "must be > 0");
        const std::vector<double> shares =
            detail::routing::best_shares(slots_.size(), draws, [&](std::size_t i) {
                if constexpr (contextual)
                    return posteriors_[i].sample(side_rng_, x);
                else
                    return posteriors_[i].sample(side_rng_);
            });
        std::vector<std::pair<ArmId, double>> out;
        out.reserve(slots_.size());
        for (std::size_t i = 0; i < slots_.size(); ++i)
            out.emplace_back(slots_[i].id, shares[i]);
        return out;
    }

    double learn_impl(ArmId arm, const input_type& outcome, Context x, bool release_slot) {
        const std::size_t i = index("Router::observe", arm);
        const double reward = static_cast<double>(reward_(outcome));
        const Observation o{reward, 1.0, x};
        detail::routing::check_observation(posteriors_[i], o);
        forgetting_.observe(std::span<P>(posteriors_), i, o);
        if (release_slot) release_at(i);
        ++t_;
        return reward;
    }

    void score_shadow(const Decision& d, double reward) {
        if (!d.shadow || !(d.propensity > 0.0)) return;
        ++shadow_count_;
        primary_sum_ += reward;
        if (*d.shadow == d.arm) {
            ++shadow_agree_;
            const double v = reward / d.propensity;
            ips_sum_ += v;
            ips_sq_ += v * v;
        }
    }

    RouterConfig config_;
    P prototype_;
    F forgetting_;
    R reward_;
    S selection_;
    Rng rng_;
    Rng side_rng_;
    std::vector<P> posteriors_;
    std::vector<Slot> slots_;
    std::vector<std::string> names_;
    std::vector<std::uint32_t> index_of_;
    std::vector<double> scores_;
    std::vector<std::uint32_t> drawn_;
    std::uint32_t next_id_ = 0;
    std::uint64_t t_ = 0;
    std::uint64_t decisions_ = 0;
    std::uint64_t total_in_flight_ = 0;
    std::function<std::optional<ArmId>()> shadow_;
    std::uint64_t shadow_count_ = 0;
    std::uint64_t shadow_agree_ = 0;
    double primary_sum_ = 0.0;
    double ips_sum_ = 0.0;
    double ips_sq_ = 0.0;
};

static_assert(RouterFrontEnd<Router<>>);
static_assert(RouterFrontEnd<Router<NormalGamma, NoForgetting, ScalarReward>>);

/// Epsilon-exploring and plain Thompson sampling on Beta-Bernoulli evidence and scalar rewards.
using EpsilonThompsonRouter =
    Router<BetaBernoulli, NoForgetting, ScalarReward, EpsilonThompsonSampling>;
using ThompsonRouter = Router<BetaBernoulli, NoForgetting, ScalarReward, ThompsonSampling>;

/// Baselines in the same framework (Beta-Bernoulli evidence, scalar rewards).
using Ucb1Router = Router<BetaBernoulli, NoForgetting, ScalarReward, Ucb1>;
using KlUcbRouter = Router<BetaBernoulli, NoForgetting, ScalarReward, KlUcb>;
using EpsilonGreedyRouter = Router<BetaBernoulli, NoForgetting, ScalarReward, EpsilonGreedy>;
using UniformRouter = Router<BetaBernoulli, NoForgetting, ScalarReward, UniformRandom>;

} // namespace v0
} // namespace augur
