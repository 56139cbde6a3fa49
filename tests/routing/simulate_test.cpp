#include <augur/routing/simulate.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

TEST_CASE("log_checkpoints are 1-2-5 spaced and end at the horizon", "[routing][simulate]") {
    CHECK(augur::log_checkpoints(1000) ==
          std::vector<std::uint64_t>{10, 20, 50, 100, 200, 500, 1000});
    CHECK(augur::log_checkpoints(3000) ==
          std::vector<std::uint64_t>{10, 20, 50, 100, 200, 500, 1000, 2000, 3000});
    CHECK(augur::log_checkpoints(5) == std::vector<std::uint64_t>{5});
}

TEST_CASE("Scenarios are built in and validated", "[routing][simulate]") {
    const auto swap = augur::bandit_scenario("swap");
    CHECK(swap.means == std::vector<double>{0.9, 0.85, 0.8, 0.6});
    CHECK(swap.means_after == std::vector<double>{0.6, 0.8, 0.85, 0.9});
    const auto chapelle = augur::bandit_scenario("chapelle-0.02");
    REQUIRE(chapelle.means.size() == 10);
    CHECK(chapelle.means[0] == 0.5);
    CHECK(chapelle.means[9] == Approx(0.48));
    for (const auto& name : augur::bandit_scenario_names())
        CHECK_NOTHROW(augur::bandit_scenario(name).validate());
    CHECK_THROWS_AS(augur::bandit_scenario("nope"), augur::invalid_argument);
    augur::BanditScenario bad;
    bad.means = {0.5, 1.5};
    CHECK_THROWS_AS(bad.validate(), augur::invalid_argument);
    augur::SimulationConfig config;
    config.runs = 0;
    CHECK_THROWS_AS(config.validate(), augur::invalid_argument);
    CHECK_THROWS_AS(augur::simulate_policy("nope", swap, {}), augur::invalid_argument);
}

TEST_CASE("Simulations are deterministic whatever the thread count", "[routing][simulate]") {
    augur::SimulationConfig config;
    config.horizon = 300;
    config.runs = 12;
    config.seed = 5;
    config.threads = 1;
    const auto one = augur::simulate_policy("thompson", augur::bandit_scenario("routing"), config);
    config.threads = 3;
    const auto three =
        augur::simulate_policy("thompson", augur::bandit_scenario("routing"), config);
    CHECK(one.run_regret == three.run_regret);
    REQUIRE(one.regret.size() == three.regret.size());
    CHECK(one.regret.back().mean == three.regret.back().mean);
    double total = 0.0;
    for (double s : one.share)
        total += s;
    CHECK(total == Approx(1.0));
    CHECK(one.regret.back().p05 <= one.regret.back().mean);
    CHECK(one.regret.back().mean <= one.regret.back().p95);
    // The standard error of the final mean, from the runs' regrets (two-pass).
    double mean = 0.0;
    for (double r : one.run_regret)
        mean += r / static_cast<double>(one.run_regret.size());
    double squares = 0.0;
    for (double r : one.run_regret)
        squares += (r - mean) * (r - mean);
    const auto n = static_cast<double>(one.run_regret.size());
    CHECK(one.regret.back().mean == Approx(mean).epsilon(1e-12));
    CHECK(one.regret.back().stderr_mean == Approx(std::sqrt(squares / (n - 1) / n)).epsilon(1e-9));
}

TEST_CASE("Simulations report progress once per run, in order", "[routing][simulate]") {
    augur::SimulationConfig config;
    config.horizon = 100;
    config.runs = 17;
    config.threads = 3;
    std::vector<std::size_t> seen;
    config.on_progress = [&](std::size_t done, std::size_t runs) {
        CHECK(runs == 17);
        seen.push_back(done);
    };
    const auto with = augur::simulate_policy("eps-ts", augur::bandit_scenario("routing"), config);
    REQUIRE(seen.size() == 17);
    for (std::size_t i = 0; i < seen.size(); ++i)
        CHECK(seen[i] == i + 1);
    config.on_progress = nullptr;
    const auto without =
        augur::simulate_policy("eps-ts", augur::bandit_scenario("routing"), config);
    CHECK(with.run_regret == without.run_regret);
}

TEST_CASE("Thompson sampling beats the baselines and change detection follows a swap",
          "[routing][simulate]") {
    augur::SimulationConfig config;
    config.horizon = 3000;
    config.runs = 40;
    config.seed = 11;
    const auto routing = augur::bandit_scenario("routing");
    const auto ts = augur::simulate_policy("thompson", routing, config).regret.back().mean;
    const auto ucb = augur::simulate_policy("ucb1", routing, config).regret.back().mean;
    const auto kl = augur::simulate_policy("kl-ucb", routing, config).regret.back().mean;
    const auto greedy = augur::simulate_policy("egreedy", routing, config).regret.back().mean;
    const auto uniform = augur::simulate_policy("uniform", routing, config).regret.back().mean;
    CHECK(ts < kl);
    CHECK(kl < ucb);
    CHECK(ts < greedy);
    CHECK(ucb < uniform);
    // Uniform routing's regret is known exactly in expectation: mean gap x horizon.
    CHECK(uniform == Approx((0.0 + 0.05 + 0.1 + 0.3) / 4.0 * 3000).epsilon(0.05));

    config.horizon = 20000;
    config.runs = 10;
    const auto swap = augur::bandit_scenario("swap");
    const auto stuck = augur::simulate_policy("thompson", swap, config);
    const auto adaptive = augur::simulate_policy("change-ts", swap, config);
    CHECK(adaptive.regret.back().mean < 0.25 * stuck.regret.back().mean);
    CHECK(adaptive.final_share[3] > 0.9); // traffic moved to the new best arm
}
