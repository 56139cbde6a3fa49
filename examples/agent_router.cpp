// agent_router: route simulated requests among four AI agents with Thompson sampling.
//
// The agents differ in success rate, latency, cache efficiency and cost; each outcome is
// scored by WeightedReward (success 0.4, streaming/latency 0.2, cache 0.2, cost 0.2). Requests
// arrive at ~30 per second and stay in flight for their latency, so the concurrency limits
// matter; "budget" is down for a while, and "coder-fast", the best agent at first, degrades at
// half time (more failures, triple latency). The router uses ChangeDetecting forgetting and
// moves the traffic. Prints the traffic share of each agent over time, then what the router
// believes at the end.
//
// Usage: augur_agent_router [seed]

#include <augur/core/random.hpp>
#include <augur/routing/change_detecting.hpp>
#include <augur/routing/router.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <queue>
#include <string>
#include <vector>

namespace {

struct Agent {
    const char* name;
    double success;
    double latency_s; // median
    double cache;     // cache hit rate
    double cost;      // USD per request
    std::uint32_t capacity;
};

struct InFlight {
    double done_at;
    augur::ArmId arm;
    augur::Outcome outcome;
    bool operator>(const InFlight& other) const { return done_at > other.done_at; }
};

} // namespace

int main(int argc, char** argv) {
    const std::uint64_t seed = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 7;
    std::array<Agent, 4> agents{{
        {"planner-large", 0.93, 4.0, 0.6, 0.050, 64},
        {"coder-fast", 0.88, 1.0, 0.3, 0.010, 24},
        {"generalist", 0.85, 2.0, 0.5, 0.020, 64},
        {"budget", 0.70, 1.5, 0.2, 0.002, 64},
    }};

    using AgentRouter = augur::Router<augur::BetaBernoulli, augur::ChangeDetecting>;
    const augur::WeightedReward reward(
        {}, {.latency_best = 0.0, .latency_worst = 8.0, .cost_max = 0.06});
    AgentRouter router({.seed = seed}, augur::BetaBernoulli{}, augur::ChangeDetecting{}, reward);
    std::vector<augur::ArmId> ids;
    for (const Agent& a : agents)
        ids.push_back(router.add_arm(a.name, a.capacity));

    augur::Rng env(seed ^ 0x9E3779B97F4A7C15ULL);
    const double step = 0.1;        // seconds
    const double rate = 30.0;       // requests per second
    const double duration = 2400.0; // seconds: 40 minutes, ~72000 requests
    const double degrade_at = duration / 2;
    const double down_from = 0.3 * duration;
    const double down_to = 0.4 * duration;
    const int windows = 12;

    std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> in_flight;
    std::vector<std::array<long, 4>> counts(windows, std::array<long, 4>{});
    std::vector<long> refused(windows, 0);
    bool degraded = false;

    std::printf("augur agent_router: 4 agents, %.0f requests/s for %.0f min, seed %llu\n", rate,
                duration / 60, static_cast<unsigned long long>(seed));
    std::printf("expected reward per request (weights: success 0.4, latency 0.2, cache 0.2, "
                "cost 0.2):\n");
    for (const Agent& a : agents) {
        const double r = reward(
            {.success = a.success, .latency = a.latency_s, .cache = a.cache, .cost = a.cost});
        std::printf("  %-14s success %.2f  latency %.1fs  cache %.1f  cost $%.3f  cap %2u  "
                    "-> reward ~%.3f\n",
                    a.name, a.success, a.latency_s, a.cache, a.cost, a.capacity, r);
    }

    for (double now = 0.0; now < duration; now += step) {
        // Outcomes that arrived by now are learnt (and free their slots).
        while (!in_flight.empty() && in_flight.top().done_at <= now) {
            router.observe(in_flight.top().arm, in_flight.top().outcome);
            in_flight.pop();
        }
        if (!degraded && now >= degrade_at) {
            degraded = true;
            agents[1].success = 0.55;
            agents[1].latency_s *= 3.0;
        }
        router.set_available(ids[3], !(now >= down_from && now < down_to));

        const auto window = static_cast<std::size_t>(now / duration * windows);
        const std::uint64_t arrivals = augur::poisson(env, rate * step);
        for (std::uint64_t k = 0; k < arrivals; ++k) {
            const auto arm = router.choose();
            if (!arm) {
                ++refused[window];
                continue;
            }
            const auto a = augur::to_index(*arm);
            ++counts[window][a];
            const Agent& agent = agents[a];
            const double latency = agent.latency_s * std::exp(augur::normal(env, 0.0, 0.3));
            augur::Outcome outcome;
            outcome.success = augur::uniform01(env) < agent.success ? 1.0 : 0.0;
            outcome.latency = latency;
            outcome.cache = std::clamp(augur::normal(env, agent.cache, 0.1), 0.0, 1.0);
            outcome.cost = agent.cost * std::exp(augur::normal(env, 0.0, 0.2));
            in_flight.push({now + latency, *arm, outcome});
        }
    }

    // The requests still in flight finish.
    while (!in_flight.empty()) {
        router.observe(in_flight.top().arm, in_flight.top().outcome);
        in_flight.pop();
    }

    std::printf("\ntraffic share per %.0f-minute window (%% of requests):\n",
                duration / windows / 60);
    std::printf("  %-7s", "minute");
    for (const Agent& a : agents)
        std::printf(" %14s", a.name);
    std::printf(" %8s  event\n", "refused");
    for (int w = 0; w < windows; ++w) {
        long total = refused[static_cast<std::size_t>(w)];
        for (long c : counts[static_cast<std::size_t>(w)])
            total += c;
        const double from = w * duration / windows;
        std::printf("  %3.0f-%-3.0f", from / 60, (from + duration / windows) / 60);
        for (long c : counts[static_cast<std::size_t>(w)])
            std::printf(" %13.1f%%", 100.0 * static_cast<double>(c) / static_cast<double>(total));
        std::printf(" %8ld  ", refused[static_cast<std::size_t>(w)]);
        const double to = from + duration / windows;
        if (from <= down_from && down_from < to) std::printf("budget down; ");
        if (from < down_to && down_to <= to) std::printf("budget back; ");
        if (from <= degrade_at && degrade_at < to) std::printf("coder-fast degrades");
        std::printf("\n");
    }

    std::printf("\nwhat the router believes at the end (reward scale [0, 1]):\n");
    const auto best = router.probability_best(20000);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const auto& p = router.posterior(ids[i]);
        const auto ci = p.credible_interval(0.95);
        std::printf("  %-14s mean %.3f  95%% CI [%.3f, %.3f]  evidence %7.0f  P(best) %.3f\n",
                    router.name(ids[i]).c_str(), p.mean(), ci.lower, ci.upper, p.count(),
                    best[i].second);
    }
    std::printf("  changes detected: %llu (restarts %llu)\n",
                static_cast<unsigned long long>(router.forgetting().changes()),
                static_cast<unsigned long long>(router.forgetting().restarts()));
    std::printf("  fallback order now:");
    for (augur::ArmId id : router.rank())
        std::printf(" %s", router.name(id).c_str());
    std::printf("\n");
    return 0;
}
