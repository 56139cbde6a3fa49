#pragma once

// Bandit simulation: runs routers on Bernoulli arms and measures their pseudo-regret (the sum
// over decisions of the gap between the best arm's mean and the chosen arm's mean), for
// comparing policies against each other and against theory. Used by `augur route simulate`
// and bench/anchors/regret.sh.
//
// simulate_bandit(scenario, config, make_router) runs config.runs independent runs of
// config.horizon decisions; run r uses seeds forked from config.seed and r, so the result does
// not depend on config.threads. simulate_policy() does the same for a policy named as in the
// tool (thompson, eps-ts, ucb1, kl-ucb, egreedy, uniform, discounted-ts, sliding-ts,
// change-ts).
// Built-in scenarios (bandit_scenario):
//   routing        K = 4, success 0.9 / 0.85 / 0.8 / 0.6
//   swap           routing, the means reversed at half time (0.6 / 0.8 / 0.85 / 0.9)
//   degrade        routing, the best arm drops to 0.5 at half time
//   improve        routing, the worst arm rises to 0.95 at half time (only exploration sees it)
//   chapelle-0.1   K = 10, best 0.5, the others 0.4   (Chapelle & Li 2011)
//   chapelle-0.02  K = 10, best 0.5, the others 0.48
// Cost: O(runs x horizon x K) score draws. Thread-safety: each call is independent.

#include "augur/core/error.hpp"
#include "augur/core/random.hpp"
#include "augur/core/stats.hpp"
#include "augur/detail/parallel.hpp"
#include "augur/routing/change_detecting.hpp"
#include "augur/routing/forgetting.hpp"
#include "augur/routing/posterior.hpp"
#include "augur/routing/reward.hpp"
#include "augur/routing/router.hpp"
#include "augur/routing/selection.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace augur {
inline namespace v0 {

/// Bernoulli arms whose means may change once.
struct BanditScenario {
    std::string name = "custom";
    /// Success probability of each arm, in [0, 1].
    std::vector<double> means;
    /// The means after the change (empty: no change); same size as `means`.
    std::vector<double> means_after;
    /// When the change happens, as a fraction of the horizon in (0, 1).
    double change_at = 0.5;

    /// Throws invalid_argument naming the field.
    void validate() const {
        if (means.empty()) throw invalid_argument("BanditScenario: means: needs at least one arm");
        for (double m : means)
            if (!(m >= 0.0 && m <= 1.0))
                throw_invalid_config("BanditScenario", "means", m, "must be in [0, 1]");
        if (!means_after.empty()) {
            if (means_after.size() != means.size())
                throw_invalid_config("BanditScenario", "means_after", means_after.size(),
                                     "must have as many arms as means");
            for (double m : means_after)
                if (!(m >= 0.0 && m <= 1.0))
                    throw_invalid_config("BanditScenario", "means_after", m, "must be in [0, 1]");
            if (!(change_at > 0.0 && change_at < 1.0))
                throw_invalid_config("BanditScenario", "change_at", change_at, "must be in (0, 1)");
        }
    }
};

/// Names of the built-in scenarios.
inline std::vector<std::string> bandit_scenario_names() {
    return {"routing", "swap", "degrade", "improve", "chapelle-0.1", "chapelle-0.02"};
}

/// A built-in scenario by name (see the file comment); unknown name: invalid_argument.
inline BanditScenario bandit_scenario(std::string_view name) {
    BanditScenario s;
    s.name = std::string(name);
    const std::vector<double> routing{0.9, 0.85, 0.8, 0.6};
    if (name == "routing") {
        s.means = routing;
    } else if (name == "swap") {
        s.means = routing;
        s.means_after.assign(routing.rbegin(), routing.rend());
    } else if (name == "degrade") {
        s.means = routing;
        s.means_after = {0.5, 0.85, 0.8, 0.6};
    } else if (name == "improve") {
        s.means = routing;
        s.means_after = {0.9, 0.85, 0.8, 0.95};
    } else if (name == "chapelle-0.1" || name == "chapelle-0.02") {
        const double gap = name == "chapelle-0.1" ? 0.1 : 0.02;
        s.means.assign(10, 0.5 - gap);
        s.means[0] = 0.5;
    } else {
        throw_invalid_config("bandit_scenario", "name", std::string(name),
                             "expected routing, swap, degrade, improve, chapelle-0.1 or "
                             "chapelle-0.02");
    }
    return s;
}

/// How many runs of how long.
struct SimulationConfig {
    std::uint64_t horizon = 10000;
    std::uint32_t runs = 200;
    std::uint64_t seed = 1;
    /// Worker threads (>= 1); results do not depend on it.
    unsigned threads = 1;
    /// Called after each finished run with (runs finished, runs), one call at a time (the
    /// calls are serialised), from the worker threads; empty: no calls. For progress output.
    std::function<void(std::size_t, std::size_t)> on_progress;

    void validate() const {
        if (horizon == 0 || horizon > (std::uint64_t{1} << 40))
            throw_invalid_config("SimulationConfig", "horizon", horizon, "must be in [1, 2^40]");
        if (runs == 0) throw_invalid_config("SimulationConfig", "runs", runs, "must be >= 1");
        if (threads == 0 || threads > 256)
            throw_invalid_config("SimulationConfig", "threads", threads, "must be in [1, 256]");
    }
};

/// Cumulative pseudo-regret after t decisions over the runs: mean and 5% / 95% quantiles.
struct RegretCheckpoint {
    std::uint64_t t = 0;
    double mean = 0.0;
    double p05 = 0.0;
    double p95 = 0.0;
    /// Standard error of the mean (sample sd / sqrt(runs); 0 for one run).
    double stderr_mean = 0.0;
};

struct SimulationResult {
    std::string policy;
    BanditScenario scenario;
    SimulationConfig config;
    /// At log-spaced checkpoints (log_checkpoints), the last one the horizon.
    std::vector<RegretCheckpoint> regret;
    /// Mean share of decisions per arm over the whole horizon, and over its last 10%.
    std::vector<double> share;
    std::vector<double> final_share;
    /// Final regret of each run, in run order.
    std::vector<double> run_regret;
    /// Wall-clock time of the simulation.
    double seconds = 0.0;
};

/// 1, 2, 5, 10, 20, 50, ... below the horizon, then the horizon.
inline std::vector<std::uint64_t> log_checkpoints(std::uint64_t horizon) {
    std::vector<std::uint64_t> points;
    for (std::uint64_t decade = 10; decade <= horizon; decade *= 10)
        for (std::uint64_t m : {1U, 2U, 5U})
            if (decade * m < horizon) points.push_back(decade * m);
    points.push_back(horizon);
    return points;
}

/// Runs `make_router(seed)` (a router with ScalarReward-like double input, no arms) on the
/// scenario; arm k of the scenario is the k-th arm added. See the file comment.
template <class MakeRouter>
SimulationResult simulate_bandit(const BanditScenario& scenario, const SimulationConfig& config,
                                 MakeRouter make_router) {
    scenario.validate();
    config.validate();
    const auto start = std::chrono::steady_clock::now();
    const std::size_t k = scenario.means.size();
    const std::uint64_t horizon = config.horizon;
    const bool changes = !scenario.means_after.empty();
    const auto change_t = changes ? static_cast<std::uint64_t>(std::floor(
                                        scenario.change_at * static_cast<double>(horizon)))
                                  : horizon;
    const std::uint64_t final_from = horizon - horizon / 10;
    const std::vector<std::uint64_t> points = log_checkpoints(horizon);
    const std::size_t runs = config.runs;

    std::vector<double> regret(runs * points.size());
    std::vector<double> share(runs * k);
    std::vector<double> final_share(runs * k);
    const Rng base(config.seed);

    const auto run_one = [&](std::size_t run) {
        Rng run_rng = base.fork(run);
        auto router = make_router(run_rng());
        Rng env = run_rng.fork(1);
        std::vector<ArmId> ids;
        for (std::size_t a = 0; a < k; ++a)
            ids.push_back(router.add_arm("arm" + std::to_string(a)));
        std::vector<std::uint64_t> pulls(k, 0);
        std::vector<std::uint64_t> late(k, 0);
        double total = 0.0;
        std::size_t next = 0;
        const double* means = scenario.means.data();
        double best = *std::max_element(scenario.means.begin(), scenario.means.end());
        for (std::uint64_t t = 1; t <= horizon; ++t) {
            if (changes && t == change_t + 1) {
                means = scenario.means_after.data();
                best = *std::max_element(scenario.means_after.begin(), scenario.means_after.end());
            }
            const auto arm = router.choose();
            AUGUR_ASSERT(arm.has_value(), "simulate_bandit: the router chose no arm");
            const std::size_t a = to_index(*arm);
            total += best - means[a];
            router.observe(*arm, uniform01(env) < means[a] ? 1.0 : 0.0);
            ++pulls[a];
            if (t > final_from) ++late[a];
            if (t == points[next]) regret[run * points.size() + next++] = total;
        }
        for (std::size_t a = 0; a < k; ++a) {
            share[run * k + a] = static_cast<double>(pulls[a]) / static_cast<double>(horizon);
            final_share[run * k + a] =
                static_cast<double>(late[a]) /
                static_cast<double>(std::max<std::uint64_t>(1, horizon - final_from));
        }
    };

    std::mutex progress_mutex;
    std::size_t finished = 0;
    const auto run_and_report = [&](std::size_t run) {
        run_one(run);
        if (!config.on_progress) return;
        std::lock_guard lock(progress_mutex);
        config.on_progress(++finished, runs);
    };
    detail::parallel_for(runs, config.threads, run_and_report);

    SimulationResult result;
    result.scenario = scenario;
    result.config = config;
    std::vector<double> column(runs);
    for (std::size_t c = 0; c < points.size(); ++c) {
        for (std::size_t run = 0; run < runs; ++run)
            column[run] = regret[run * points.size() + c];
        std::sort(column.begin(), column.end());
        RunningStats stats;
        for (double v : column)
            stats.push(v);
        const double se = runs > 1 ? std::sqrt(stats.variance() / static_cast<double>(runs)) : 0.0;
        result.regret.push_back({points[c], stats.mean(), quantile_sorted(column, 0.05),
                                 quantile_sorted(column, 0.95), se});
    }
    result.share.assign(k, 0.0);
    result.final_share.assign(k, 0.0);
    for (std::size_t run = 0; run < runs; ++run)
        for (std::size_t a = 0; a < k; ++a) {
            result.share[a] += share[run * k + a] / static_cast<double>(runs);
            result.final_share[a] += final_share[run * k + a] / static_cast<double>(runs);
        }
    result.run_regret.resize(runs);
    for (std::size_t run = 0; run < runs; ++run)
        result.run_regret[run] = regret[run * points.size() + points.size() - 1];
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

/// Parameters of the named policies of simulate_policy.
struct PolicyOptions {
    /// discounted-ts: gamma.
    double gamma = 0.999;
    /// sliding-ts: window.
    std::size_t window = 1000;
    /// egreedy: epsilon.
    double epsilon = 0.1;
    /// eps-ts: posterior draws per decision (epsilon = min(1, draws / K)), or a fixed
    /// epsilon when sampling_share is set (not NaN).
    double draws = 2.0;
    double sampling_share = std::numeric_limits<double>::quiet_NaN();
    /// change-ts: the change detection.
    ChangeDetectingConfig change{};
    /// Every policy: RouterConfig::exploration_floor.
    double exploration_floor = 0.0;
};

/// Names accepted by simulate_policy.
inline std::vector<std::string> bandit_policy_names() {
    return {"thompson", "eps-ts",        "ucb1",       "kl-ucb",   "egreedy",
            "uniform",  "discounted-ts", "sliding-ts", "change-ts"};
}

/// simulate_bandit for a named policy on Beta(1, 1) Beta-Bernoulli evidence; unknown name:
/// invalid_argument.
inline SimulationResult simulate_policy(std::string_view policy, const BanditScenario& scenario,
                                        const SimulationConfig& config,
                                        const PolicyOptions& options = {}) {
    const auto make_config = [&](std::uint64_t seed) {
        RouterConfig rc;
        rc.seed = seed;
        rc.exploration_floor = options.exploration_floor;
        return rc;
    };
    const ScalarReward unit(0.0, 1.0);
    SimulationResult result;
    if (policy == "thompson") {
        result = simulate_bandit(scenario, config, [&](std::uint64_t seed) {
            return ThompsonRouter(make_config(seed), {}, {}, unit);
        });
    } else if (policy == "eps-ts") {
        const EpsilonThompsonSampling rule =
            std::isnan(options.sampling_share)
                ? EpsilonThompsonSampling::per_decision(options.draws)
                : EpsilonThompsonSampling(options.sampling_share);
        result = simulate_bandit(scenario, config, [&](std::uint64_t seed) {
            return EpsilonThompsonRouter(make_config(seed), {}, {}, unit, rule);
        });
    } else if (policy == "ucb1") {
        result = simulate_bandit(scenario, config, [&](std::uint64_t seed) {
            return Ucb1Router(make_config(seed), {}, {}, unit);
        });
    } else if (policy == "kl-ucb") {
        result = simulate_bandit(scenario, config, [&](std::uint64_t seed) {
            return KlUcbRouter(make_config(seed), {}, {}, unit);
        });
    } else if (policy == "egreedy") {
        const EpsilonGreedy greedy(options.epsilon);
        result = simulate_bandit(scenario, config, [&](std::uint64_t seed) {
            return EpsilonGreedyRouter(make_config(seed), {}, {}, unit, greedy);
        });
    } else if (policy == "uniform") {
        result = simulate_bandit(scenario, config, [&](std::uint64_t seed) {
            return UniformRouter(make_config(seed), {}, {}, unit);
        });
    } else if (policy == "discounted-ts") {
        const Discounted discount(options.gamma);
        result = simulate_bandit(scenario, config, [&](std::uint64_t seed) {
            return Router<BetaBernoulli, Discounted, ScalarReward, ThompsonSampling>(
                make_config(seed), {}, discount, unit);
        });
    } else if (policy == "sliding-ts") {
        const SlidingWindow window(options.window);
        result = simulate_bandit(scenario, config, [&](std::uint64_t seed) {
            return Router<BetaBernoulli, SlidingWindow, ScalarReward, ThompsonSampling>(
                make_config(seed), {}, window, unit);
        });
    } else if (policy == "change-ts") {
        const ChangeDetecting change(options.change);
        result = simulate_bandit(scenario, config, [&](std::uint64_t seed) {
            return Router<BetaBernoulli, ChangeDetecting, ScalarReward, ThompsonSampling>(
                make_config(seed), {}, change, unit);
        });
    } else {
        throw_invalid_config("simulate_policy", "policy", std::string(policy),
                             "expected thompson, eps-ts, ucb1, kl-ucb, egreedy, uniform, "
                             "discounted-ts, sliding-ts or change-ts");
    }
    result.policy = std::string(policy);
    return result;
}

} // namespace v0
} // namespace augur
