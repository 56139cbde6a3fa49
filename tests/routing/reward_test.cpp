#include <augur/routing/reward.hpp>

#include <catch2/catch.hpp>

#include <limits>

TEST_CASE("WeightedReward uses the default weights", "[routing][reward]") {
    const augur::WeightedReward reward;
    CHECK(reward.weights().success == 0.4);
    CHECK(reward.weights().streaming == 0.2);
    CHECK(reward.weights().cache == 0.2);
    CHECK(reward.weights().cost == 0.2);
    CHECK(reward.weights().tokens == 0.0);
    // Perfect on every dimension -> 1, worst -> 0.
    CHECK(reward({.success = 1.0, .latency = 0.0, .cache = 1.0, .cost = 0.0}) == Approx(1.0));
    CHECK(reward({.success = 0.0, .latency = 10.0, .cache = 0.0, .cost = 1.0}) == Approx(0.0));
    // 0.4 * 1 + 0.2 * (1 - 2.5 / 10) + 0.2 * 0.5 + 0.2 * (1 - 0.25)
    CHECK(reward({.success = 1.0, .latency = 2.5, .cache = 0.5, .cost = 0.25}) ==
          Approx(0.4 + 0.15 + 0.1 + 0.15));
}

TEST_CASE("WeightedReward normalises, clamps and shares missing weights", "[routing][reward]") {
    const augur::WeightedReward reward(
        {.success = 0.5, .streaming = 0.25, .cache = 0.0, .cost = 0.25, .tokens = 0.0},
        {.latency_best = 1.0, .latency_worst = 3.0, .cost_max = 0.1});
    // Latency below best scores 1, above worst 0 (clamped).
    CHECK(reward({.latency = 0.5}) == Approx(1.0));
    CHECK(reward({.latency = 30.0}) == Approx(0.0));
    CHECK(reward({.latency = 2.0}) == Approx(0.5));
    // A given streaming score overrides latency.
    CHECK(reward({.latency = 30.0, .streaming = 0.8}) == Approx(0.8));
    // Only success and cost present: their weights are renormalised (0.5 / 0.75, 0.25 / 0.75).
    CHECK(reward({.success = 1.0, .cost = 0.05}) == Approx((0.5 * 1.0 + 0.25 * 0.5) / 0.75));
    // Cost beyond cost_max scores 0.
    CHECK(reward({.success = 0.0, .cost = 5.0}) == Approx(0.0));
}

TEST_CASE("WeightedReward rejects bad outcomes and configurations", "[routing][reward]") {
    const augur::WeightedReward reward;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(reward({.success = nan}), augur::data_error);
    CHECK_THROWS_WITH(reward({.success = 1.2}), Catch::Contains("success"));
    CHECK_THROWS_WITH(reward({.latency = -1.0}), Catch::Contains("latency"));
    CHECK_THROWS_AS(reward({.cache = 2.0}), augur::data_error);
    CHECK_THROWS_AS(reward({.cost = std::numeric_limits<double>::infinity()}), augur::data_error);
    CHECK_THROWS_AS(reward({}), augur::data_error);                // nothing to score
    CHECK_THROWS_AS(reward({.tokens = 100.0}), augur::data_error); // tokens weight is 0

    CHECK_THROWS_WITH(augur::WeightedReward({.success = -1.0}), Catch::Contains("weights.success"));
    CHECK_THROWS_AS(augur::WeightedReward({0.0, 0.0, 0.0, 0.0, 0.0}), augur::invalid_argument);
    CHECK_THROWS_WITH(augur::WeightedReward({}, {.latency_best = 2.0, .latency_worst = 1.0}),
                      Catch::Contains("latency_worst"));
    CHECK_THROWS_AS(augur::WeightedReward({}, {.cost_max = 0.0}), augur::invalid_argument);
}

TEST_CASE("ScalarReward checks its bounds", "[routing][reward]") {
    const augur::ScalarReward any;
    CHECK(any(-3.5) == -3.5);
    CHECK_THROWS_AS(any(std::numeric_limits<double>::quiet_NaN()), augur::data_error);
    CHECK_THROWS_AS(any(std::numeric_limits<double>::infinity()), augur::data_error);
    const augur::ScalarReward unit(0.0, 1.0);
    CHECK(unit(1.0) == 1.0);
    CHECK_THROWS_WITH(unit(1.5), Catch::Contains("reward = 1.5"));
    CHECK_THROWS_AS(augur::ScalarReward(1.0, 1.0), augur::invalid_argument);
}
