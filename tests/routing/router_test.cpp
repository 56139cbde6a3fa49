#include <augur/routing/change_detecting.hpp>
#include <augur/routing/linear_gaussian.hpp>
#include <augur/routing/router.hpp>

#include <catch2/catch.hpp>

#include "support.hpp"

#include <boost/math/distributions/beta.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <vector>

// Every policy of the router, instantiated explicitly (catches errors in members never called).
template class augur::Router<>;
template class augur::Router<augur::NormalGamma, augur::Discounted, augur::ScalarReward>;
template class augur::Router<augur::BetaBernoulli, augur::SlidingWindow, augur::ScalarReward,
                             augur::KlUcb>;
template class augur::Router<augur::BetaBernoulli, augur::ChangeDetecting>;
template class augur::Router<augur::LinearGaussian, augur::SlidingWindow, augur::ScalarReward>;

namespace {

// Plain Thompson sampling: the choice probabilities below are P(arm is best).
using Binary = augur::ThompsonRouter;
constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

Binary make_binary(std::uint64_t seed, std::size_t arms, augur::RouterConfig config = {}) {
    config.seed = seed;
    Binary router(config, {}, {}, augur::ScalarReward(0.0, 1.0));
    for (std::size_t i = 0; i < arms; ++i)
        router.add_arm("arm" + std::to_string(i));
    return router;
}

// P(X > Y) for independent Beta variables, by Simpson's rule on f_X * F_Y.
double beta_greater(double a1, double b1, double a2, double b2) {
    const boost::math::beta_distribution<double> x(a1, b1);
    const boost::math::beta_distribution<double> y(a2, b2);
    const int n = 4000;
    double total = 0.0;
    for (int i = 0; i <= n; ++i) {
        const double u = static_cast<double>(i) / n;
        const double w = (i == 0 || i == n) ? 1.0 : (i % 2 ? 4.0 : 2.0);
        const double fx = (u <= 0.0 || u >= 1.0) ? 0.0 : boost::math::pdf(x, u);
        total += w * fx * boost::math::cdf(y, u);
    }
    return total / (3.0 * n);
}

} // namespace

TEST_CASE("Router with default policies learns from Outcomes", "[routing][router]") {
    augur::Router<> router({.seed = 42});
    const auto good = router.add_arm("good");
    const auto bad = router.add_arm("bad");
    CHECK(router.size() == 2);
    CHECK(router.name(good) == "good");
    CHECK(router.find("bad") == bad);
    CHECK_FALSE(router.find("missing"));
    augur::Rng env(1);
    std::map<augur::ArmId, int> late;
    for (int t = 0; t < 3000; ++t) {
        const auto arm = router.choose();
        REQUIRE(arm);
        const bool ok = augur::uniform01(env) < (*arm == good ? 0.9 : 0.5);
        router.observe(*arm, {.success = ok ? 1.0 : 0.0, .latency = *arm == good ? 1.0 : 4.0});
        if (t >= 2000) ++late[*arm];
    }
    CHECK(late[good] > 950);
    CHECK(router.observations() == 3000);
    CHECK(router.posterior(good).mean() > router.posterior(bad).mean());
    CHECK(router.total_in_flight() == 0);
}

TEST_CASE("Router is reproducible per seed", "[routing][router]") {
    const auto trace = [](std::uint64_t seed) {
        auto router = make_binary(seed, 5);
        augur::Rng env(seed + 1000);
        std::vector<std::uint32_t> out;
        for (int t = 0; t < 500; ++t) {
            const auto arm = *router.choose();
            out.push_back(augur::to_index(arm));
            router.observe(arm, augur::uniform01(env) < 0.1 * augur::to_index(arm) ? 1.0 : 0.0);
        }
        return out;
    };
    CHECK(trace(7) == trace(7));
    CHECK(trace(7) != trace(8));
}

TEST_CASE("Router never chooses an arm that is down or full (random schedules)",
          "[routing][router]") {
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        augur::RouterConfig config;
        config.exploration_floor = seed % 2 ? 0.2 : 0.0;
        config.balance_tolerance = seed % 3 ? 0.05 : 0.0;
        auto router = make_binary(seed, 1 + seed % 6, config);
        augur::Rng schedule(seed * 7919 + 1);
        std::vector<augur::ArmId> outstanding;
        for (int step = 0; step < 400; ++step) {
            const auto ids = router.arms();
            const std::uint64_t action = augur::uniform_index(schedule, 10);
            if (action < 4) {
                const auto chosen = router.choose();
                bool any_eligible = false;
                for (auto id : ids)
                    any_eligible = any_eligible || router.eligible(id);
                if (!chosen) {
                    REQUIRE_FALSE(any_eligible);
                    continue;
                }
                REQUIRE(router.available(*chosen));
                const auto cap = router.capacity(*chosen);
                REQUIRE((cap == 0 || router.in_flight(*chosen) <= cap));
                outstanding.push_back(*chosen);
            } else if (action < 6 && !outstanding.empty()) {
                const auto k = augur::uniform_index(schedule, outstanding.size());
                const auto arm = outstanding[k];
                outstanding.erase(outstanding.begin() + static_cast<std::ptrdiff_t>(k));
                if (router.contains(arm))
                    router.observe(arm, augur::uniform01(schedule) < 0.5 ? 1.0 : 0.0);
            } else if (action == 6 && !ids.empty()) {
                const auto arm = ids[augur::uniform_index(schedule, ids.size())];
                router.set_available(arm, augur::uniform01(schedule) < 0.6);
            } else if (action == 7 && !ids.empty()) {
                const auto arm = ids[augur::uniform_index(schedule, ids.size())];
                router.set_capacity(arm,
                                    static_cast<std::uint32_t>(augur::uniform_index(schedule, 4)));
            } else if (action == 8 && augur::uniform01(schedule) < 0.1) {
                if (!ids.empty() && augur::uniform01(schedule) < 0.5)
                    router.remove_arm(ids[augur::uniform_index(schedule, ids.size())]);
                else
                    router.add_arm("new", 2);
            }
            // Invariant: in-flight counts add up, and no arm is over capacity because of us.
            std::uint64_t total = 0;
            for (auto id : router.arms())
                total += router.in_flight(id);
            REQUIRE(total == router.total_in_flight());
        }
    }
}

TEST_CASE("Router capacity: slots are taken by choose and freed by observe or release",
          "[routing][router]") {
    auto router = make_binary(1, 2);
    const auto a = router.arms()[0];
    const auto b = router.arms()[1];
    router.set_capacity(a, 1);
    router.set_capacity(b, 2);
    std::vector<augur::ArmId> got;
    for (int i = 0; i < 3; ++i)
        got.push_back(*router.choose());
    CHECK_FALSE(router.choose()); // both full
    CHECK(router.in_flight(a) == 1);
    CHECK(router.in_flight(b) == 2);
    router.release(a);
    CHECK(router.choose() == a);
    router.observe(b, 1.0);
    CHECK(router.choose() == b);
    router.set_available(b, false);
    router.observe(a, 0.0);
    for (int i = 0; i < 20; ++i) {
        const auto arm = router.choose();
        REQUIRE(arm == a);
        router.observe(*arm, 1.0);
    }
    router.record(a, 1.0); // learns without touching slots
    CHECK(router.in_flight(a) == 0);
}

TEST_CASE("Router balances load among near-equal arms", "[routing][router]") {
    augur::RouterConfig config;
    config.seed = 3;
    config.balance_tolerance = 1.0; // every arm is "near-equal": pure least-loaded
    auto router = make_binary(3, 3, config);
    std::map<augur::ArmId, int> counts;
    for (int i = 0; i < 30; ++i)
        ++counts[*router.choose()];
    // With nothing released, least-loaded routing spreads requests evenly.
    for (const auto& [arm, n] : counts)
        CHECK(n == 10);
}

TEST_CASE("Router rejects bad input and leaves its state unchanged", "[routing][router]") {
    auto router = make_binary(5, 2);
    const auto arm = *router.choose();
    CHECK_THROWS_AS(router.observe(augur::ArmId{99}, 1.0), augur::invalid_argument);
    CHECK_THROWS_WITH(router.observe(augur::ArmId{99}, 1.0), Catch::Contains("unknown arm 99"));
    CHECK_THROWS_AS(router.observe(arm, not_a_number), augur::data_error);
    CHECK_THROWS_AS(router.observe(arm, 1.5), augur::data_error);
    CHECK(router.in_flight(arm) == 1);
    CHECK(router.observations() == 0);
    CHECK(router.posterior(arm).count() == 0.0);
    CHECK_THROWS_AS(router.set_available(augur::ArmId{7}, false), augur::invalid_argument);
    router.remove_arm(arm);
    CHECK_FALSE(router.contains(arm));
    CHECK_THROWS_AS(router.observe(arm, 1.0), augur::invalid_argument);
    CHECK_THROWS_AS(router.remove_arm(arm), augur::invalid_argument);

    augur::Router<> weighted;
    const auto w = weighted.add_arm("w");
    CHECK_THROWS_AS(weighted.observe(w, {.success = not_a_number}), augur::data_error);
    CHECK_THROWS_AS(weighted.observe(w, {}), augur::data_error);

    CHECK_THROWS_AS(Binary({.exploration_floor = 1.0}), augur::invalid_argument);
    CHECK_THROWS_AS(Binary({.balance_tolerance = -1.0}), augur::invalid_argument);
    CHECK_THROWS_AS(Binary({.propensity_draws = 0, .shadow_share = 0.5}), augur::invalid_argument);
}

TEST_CASE("Router arms can be added and removed at run time", "[routing][router]") {
    auto router = make_binary(9, 3);
    const auto ids = router.arms();
    for (int i = 0; i < 30; ++i)
        router.record(ids[2], 1.0);
    router.remove_arm(ids[0]); // the last arm moves into its slot
    CHECK(router.size() == 2);
    CHECK(router.posterior(ids[2]).successes() == 30.0);
    CHECK(router.name(ids[2]) == "arm2");
    const auto added = router.add_arm("late");
    CHECK(augur::to_index(added) == 3); // ids are never reused
    std::set<augur::ArmId> seen;
    for (int i = 0; i < 200; ++i) {
        const auto arm = *router.choose();
        seen.insert(arm);
        router.observe(arm, 0.0);
    }
    CHECK_FALSE(seen.count(ids[0]));
    CHECK(seen.count(added));
}

TEST_CASE("Router probability_best and decide propensities match the posterior",
          "[routing][router]") {
    augur::RouterConfig config;
    config.propensity_draws = 20000;
    auto router = make_binary(11, 2, config);
    const auto a = router.arms()[0];
    const auto b = router.arms()[1];
    for (double r : {1.0, 1.0, 0.0, 1.0})
        router.record(a, r); // Beta(4, 2)
    for (double r : {1.0, 0.0, 0.0})
        router.record(b, r); // Beta(2, 3)
    const double exact = beta_greater(4.0, 2.0, 2.0, 3.0);
    const auto best = router.probability_best(40000);
    REQUIRE(best.size() == 2);
    CHECK(best[0].first == a);
    CHECK(best[0].second == Approx(exact).margin(0.01));
    CHECK(best[0].second + best[1].second == Approx(1.0));
    // Thompson sampling chooses an arm with its probability of being best.
    const auto d = router.decide();
    REQUIRE(d);
    const double expected = d->arm == a ? exact : 1.0 - exact;
    CHECK(d->propensity == Approx(expected).margin(0.01));
    CHECK_FALSE(d->explored);
    router.release(d->arm);

    // Empirical choice frequencies agree too.
    int chose_a = 0;
    for (int i = 0; i < 20000; ++i) {
        const auto arm = *router.choose();
        chose_a += arm == a ? 1 : 0;
        router.release(arm);
    }
    CHECK(chose_a / 20000.0 == Approx(exact).margin(0.012));
}

TEST_CASE("Router exploration floor spreads a share of traffic", "[routing][router]") {
    augur::RouterConfig config;
    config.exploration_floor = 0.2;
    config.propensity_draws = 2000;
    auto router = make_binary(13, 4, config);
    const auto ids = router.arms();
    for (int i = 0; i < 500; ++i)
        router.record(ids[0], 1.0); // arm 0 is clearly best
    std::map<augur::ArmId, int> counts;
    int explored = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
        const auto arm = *router.choose();
        ++counts[arm];
        router.release(arm);
    }
    for (std::size_t k = 1; k < 4; ++k)
        CHECK(counts[ids[k]] / double(n) == Approx(0.05).margin(0.01));
    // Propensity = floor / K + (1 - floor) P(greedy choice): ~0.05 for the others, ~0.85 for
    // the best arm, whichever way the arm was picked.
    for (int i = 0; i < 200; ++i) {
        const auto d = *router.decide();
        router.release(d.arm);
        explored += d.explored ? 1 : 0;
        CHECK(d.propensity == Approx(d.arm == ids[0] ? 0.845 : 0.052).margin(0.01));
    }
    CHECK(explored > 10);
}

TEST_CASE("Router shadow evaluation estimates an alternative's value", "[routing][router]") {
    augur::RouterConfig config;
    config.seed = 17;
    config.shadow_share = 0.5;
    config.propensity_draws = 100;
    config.exploration_floor = 0.45;
    auto router = make_binary(17, 3, config);
    const auto ids = router.arms();
    const std::array<double, 3> means{0.7, 0.5, 0.2};
    // The alternative always routes to arm 1 (true value 0.5).
    router.set_shadow([&] { return std::optional<augur::ArmId>(ids[1]); });
    augur::Rng env(4);
    for (int t = 0; t < 6000; ++t) {
        const auto d = *router.decide();
        const double mean = means[augur::to_index(d.arm)];
        router.observe(d, augur::uniform01(env) < mean ? 1.0 : 0.0);
    }
    const auto report = router.shadow_report();
    CHECK(report.decisions > 2700);
    CHECK(report.decisions < 3300);
    CHECK(report.agreements > 0);
    CHECK(report.shadow_value == Approx(0.5).margin(4.0 * report.shadow_stderr + 0.01));
    CHECK(report.shadow_stderr < 0.05);
    CHECK(report.primary_value > 0.55);
}

TEST_CASE("Router rank orders eligible arms for fallbacks", "[routing][router]") {
    auto router = make_binary(19, 4);
    const auto ids = router.arms();
    for (std::size_t k = 0; k < 4; ++k)
        for (int i = 0; i < 400; ++i)
            router.record(ids[k], i < 100 * static_cast<int>(k) ? 1.0 : 0.0);
    router.set_available(ids[1], false);
    const auto ranked = router.rank();
    REQUIRE(ranked.size() == 3);
    CHECK(ranked[0] == ids[3]);
    CHECK(ranked[1] == ids[2]);
    CHECK(ranked[2] == ids[0]);
    CHECK(router.total_in_flight() == 0);
}

TEST_CASE("Router save and load continue the same run", "[routing][router]") {
    using Windowed = augur::Router<augur::BetaBernoulli, augur::SlidingWindow, augur::ScalarReward>;
    Windowed router({.seed = 21}, {}, augur::SlidingWindow(50), augur::ScalarReward(0.0, 1.0));
    router.add_arm("a", 3);
    router.add_arm("b");
    router.add_arm("c");
    router.remove_arm(augur::ArmId{1});
    augur::Rng env(2);
    for (int t = 0; t < 300; ++t) {
        const auto arm = *router.choose();
        router.observe(arm, augur::uniform01(env) < 0.5 ? 1.0 : 0.0);
    }
    std::ostringstream out(std::ios::binary);
    router.save(out);
    Windowed copy({.seed = 0}, {}, augur::SlidingWindow(50), augur::ScalarReward(0.0, 1.0));
    std::istringstream in(out.str(), std::ios::binary);
    copy.load(in);
    CHECK(copy.size() == 2);
    CHECK(copy.name(augur::ArmId{2}) == "c");
    CHECK(copy.capacity(augur::ArmId{0}) == 3);
    CHECK(copy.observations() == router.observations());
    augur::Rng env2 = env;
    for (int t = 0; t < 300; ++t) {
        const auto x = *router.choose();
        const auto y = *copy.choose();
        REQUIRE(x == y);
        const double r = augur::uniform01(env) < 0.5 ? 1.0 : 0.0;
        router.observe(x, r);
        copy.observe(y, augur::uniform01(env2) < 0.5 ? 1.0 : 0.0);
        REQUIRE(router.posterior(x) == copy.posterior(y));
    }
    const std::string bytes = out.str();
    for (std::size_t cut : {std::size_t{3}, std::size_t{40}, bytes.size() / 2, bytes.size() - 1}) {
        std::istringstream bad(bytes.substr(0, cut), std::ios::binary);
        CHECK_THROWS_AS(copy.load(bad), augur::data_error);
    }
    CHECK(copy.size() == 2); // a failed load changes nothing
    std::istringstream wrong("AUGRBETA\x01\x00\x00\x00", std::ios::binary);
    CHECK_THROWS_WITH(copy.load(wrong), Catch::Contains("magic"));
    // A different window size is refused.
    Windowed other({}, {}, augur::SlidingWindow(10), augur::ScalarReward(0.0, 1.0));
    std::istringstream again(bytes, std::ios::binary);
    CHECK_THROWS_AS(other.load(again), augur::data_error);
}

TEST_CASE("Contextual router learns which arm suits which context", "[routing][router]") {
    using Contextual =
        augur::Router<augur::LinearGaussian, augur::NoForgetting, augur::ScalarReward>;
    Contextual router({.seed = 23}, augur::LinearGaussian(2), {}, augur::ScalarReward(0.0, 1.0));
    const auto code = router.add_arm("code-agent");
    const auto prose = router.add_arm("prose-agent");
    augur::Rng env(6);
    int right = 0;
    for (int t = 0; t < 3000; ++t) {
        const double is_code = augur::uniform01(env) < 0.5 ? 1.0 : 0.0;
        const std::array<double, 2> x{1.0, is_code};
        const auto arm = *router.choose(x);
        const bool fits = (arm == code) == (is_code == 1.0);
        const double p = fits ? 0.9 : 0.3;
        router.observe(arm, augur::uniform01(env) < p ? 1.0 : 0.0, x);
        if (t >= 2000) right += fits ? 1 : 0;
    }
    CHECK(right > 900);
    const std::array<double, 2> code_task{1.0, 1.0};
    CHECK(router.posterior(code).mean(code_task) > router.posterior(prose).mean(code_task));
    const auto best = router.probability_best(code_task, 2000);
    CHECK(best[0].second > 0.95);
}

TEST_CASE("Baseline index policies compute their closed forms", "[routing][router]") {
    augur::BetaBernoulli p;
    for (int i = 0; i < 10; ++i)
        p.update(i < 7 ? 1.0 : 0.0);
    augur::Rng rng(1);
    const augur::Round round{.t = 100, .arms = 2};
    CHECK(augur::Ucb1{}.score(p, rng, round) ==
          Approx(0.7 + std::sqrt(2.0 * std::log(100.0) / 10.0)));
    // KL-UCB: n kl(0.7, q) = ln 100 at the returned q (checked by bisection).
    const double q = augur::KlUcb{}.score(p, rng, round);
    double lo = 0.7;
    double hi = 1.0;
    for (int i = 0; i < 100; ++i) {
        const double mid = 0.5 * (lo + hi);
        (10.0 * augur::detail::routing::bernoulli_kl(0.7, mid) > std::log(100.0) ? hi : lo) = mid;
    }
    CHECK(q == Approx(lo).margin(1e-8));
    CHECK(augur::detail::routing::kl_upper_bound(0.0, 0.5) ==
          Approx(1.0 - std::exp(-0.5)).margin(1e-8));
    // No evidence: tried first.
    CHECK(std::isinf(augur::Ucb1{}.score(augur::BetaBernoulli{}, rng, round)));
    CHECK_THROWS_AS(augur::EpsilonGreedy(1.5), augur::invalid_argument);
}
