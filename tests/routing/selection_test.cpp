#include <augur/routing/linear_gaussian.hpp>
#include <augur/routing/router.hpp>
#include <augur/routing/simulate.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>

template class augur::Router<augur::BetaBernoulli, augur::NoForgetting, augur::ScalarReward,
                             augur::EpsilonThompsonSampling>;

// The router's default selection: epsilon-exploring for context-free posteriors, plain
// Thompson sampling for contextual ones.
static_assert(std::is_same_v<augur::Router<>::selection_type, augur::EpsilonThompsonSampling>);
static_assert(std::is_same_v<augur::Router<augur::LinearGaussian, augur::NoForgetting,
                                           augur::ScalarReward>::selection_type,
                             augur::ThompsonSampling>);

namespace {

using EpsRouter = augur::EpsilonThompsonRouter;

// A router whose arms hold the given Beta(alpha, beta) posteriors (prior Beta(1, 1)).
EpsRouter make_router(std::uint64_t seed, const std::vector<std::pair<double, double>>& arms,
                      augur::EpsilonThompsonSampling rule = {}) {
    EpsRouter router({.seed = seed}, {}, {}, augur::ScalarReward(0.0, 1.0), rule);
    for (const auto& [successes, failures] : arms) {
        const auto id = router.add_arm();
        augur::BetaBernoulli p;
        if (successes > 0.0) p.update(1.0, successes);
        if (failures > 0.0) p.update(0.0, failures);
        router.set_posterior(id, p);
    }
    return router;
}

// Share of `n` choices (each slot released at once, nothing learnt) that go to `arm`.
double choice_share(EpsRouter& router, augur::ArmId arm, int n) {
    int hits = 0;
    for (int i = 0; i < n; ++i) {
        const auto chosen = router.choose();
        REQUIRE(chosen);
        hits += *chosen == arm ? 1 : 0;
        router.release(*chosen);
    }
    return static_cast<double>(hits) / n;
}

} // namespace

TEST_CASE("Epsilon-exploring Thompson sampling draws each arm with probability epsilon",
          "[routing][selection]") {
    // Arm 0: no evidence (Beta(1, 1)); the others: sharp posteriors at 0.7. Arm 0 wins only
    // when it is drawn (probability epsilon) and its uniform draw beats the others' scores,
    // whose mean is 0.7 whether drawn or not: with one other arm P(arm 0) = epsilon (1 - 0.7)
    // exactly.
    const int n = 100000;
    SECTION("default epsilon 2 / K with K = 4") {
        // Three sharp arms at 0.7 (sd 1.4e-4): P(arm 0) = 0.5 x 0.3 up to their spread.
        auto router = make_router(
            12, {{0.0, 0.0}, {7e6 - 1, 3e6 - 1}, {7e6 - 1, 3e6 - 1}, {7e6 - 1, 3e6 - 1}});
        CHECK(router.selection().epsilon_for(4) == 0.5);
        CHECK(choice_share(router, augur::ArmId{0}, n) == Approx(0.15).margin(0.006));
    }
    SECTION("epsilon 1 / K with K = 4 (one draw per decision)") {
        auto router = make_router(
            12, {{0.0, 0.0}, {7e6 - 1, 3e6 - 1}, {7e6 - 1, 3e6 - 1}, {7e6 - 1, 3e6 - 1}},
            augur::EpsilonThompsonSampling::per_decision(1.0));
        CHECK(choice_share(router, augur::ArmId{0}, n) == Approx(0.075).margin(0.004));
    }
    SECTION("two arms: epsilon 1, plain Thompson sampling") {
        auto router = make_router(11, {{0.0, 0.0}, {6999.0, 2999.0}});
        CHECK(router.selection().epsilon_for(2) == 1.0);
        CHECK(choice_share(router, augur::ArmId{0}, n) == Approx(0.3).margin(0.006));
    }
    SECTION("a fixed epsilon") {
        auto router =
            make_router(13, {{0.0, 0.0}, {6999.0, 2999.0}}, augur::EpsilonThompsonSampling(0.2));
        CHECK(choice_share(router, augur::ArmId{0}, n) == Approx(0.06).margin(0.004));
    }
    SECTION("epsilon 1 is plain Thompson sampling: P(Beta(1, 1) > 0.7) = 0.3") {
        auto router =
            make_router(14, {{0.0, 0.0}, {6999.0, 2999.0}}, augur::EpsilonThompsonSampling(1.0));
        CHECK(choice_share(router, augur::ArmId{0}, n) == Approx(0.3).margin(0.006));
    }
}

TEST_CASE("Epsilon-exploring Thompson sampling exploits the posterior mean",
          "[routing][selection]") {
    // With a tiny epsilon the best posterior mean is chosen, however wide the other posteriors.
    auto router = make_router(21, {{1.0, 0.0}, {69.0, 29.0}, {3.0, 5.0}},
                              augur::EpsilonThompsonSampling(1e-12));
    CHECK(choice_share(router, augur::ArmId{1}, 5000) == 1.0);
    // Ties between equal means are broken at random, not always to the first arm.
    auto tied = make_router(22, {{5.0, 5.0}, {5.0, 5.0}}, augur::EpsilonThompsonSampling(1e-12));
    CHECK(choice_share(tied, augur::ArmId{0}, 20000) == Approx(0.5).margin(0.02));
}

TEST_CASE("Epsilon-exploring Thompson sampling rejects a bad epsilon and learns",
          "[routing][selection]") {
    for (double bad : {0.0, -0.1, 1.5, std::nan("")})
        CHECK_THROWS_AS(augur::EpsilonThompsonSampling(bad), augur::invalid_argument);
    for (double bad : {0.0, -1.0, std::numeric_limits<double>::infinity(), std::nan("")})
        CHECK_THROWS_AS(augur::EpsilonThompsonSampling::per_decision(bad), augur::invalid_argument);
    CHECK(std::isnan(augur::EpsilonThompsonSampling{}.epsilon()));
    CHECK(augur::EpsilonThompsonSampling{}.epsilon_for(0) == 1.0);
    CHECK(augur::EpsilonThompsonSampling{}.epsilon_for(10) == 0.2);
    CHECK(augur::EpsilonThompsonSampling::per_decision(1.0).epsilon_for(10) == 0.1);
    CHECK(augur::EpsilonThompsonSampling(0.3).epsilon_for(10) == 0.3);

    // On the K = 4 routing arms it beats the baselines and moves traffic to the best arm.
    augur::SimulationConfig config;
    config.horizon = 3000;
    config.runs = 40;
    config.seed = 11;
    const auto routing = augur::bandit_scenario("routing");
    const auto eps = augur::simulate_policy("eps-ts", routing, config);
    const auto ucb = augur::simulate_policy("ucb1", routing, config);
    const auto greedy = augur::simulate_policy("egreedy", routing, config);
    CHECK(eps.regret.back().mean < ucb.regret.back().mean);
    CHECK(eps.regret.back().mean < greedy.regret.back().mean);
    CHECK(eps.final_share[0] > 0.8);
    // A fixed epsilon is passed through the policy options.
    augur::PolicyOptions options;
    options.sampling_share = 1.0;
    const auto plain = augur::simulate_policy("eps-ts", routing, config, options);
    CHECK(plain.run_regret != eps.run_regret);
}
