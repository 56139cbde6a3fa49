#include <augur/routing/change_detecting.hpp>
#include <augur/routing/forgetting.hpp>
#include <augur/routing/linear_gaussian.hpp>
#include <augur/routing/posterior.hpp>

#include <catch2/catch.hpp>

#include "support.hpp"

#include <array>
#include <cmath>
#include <deque>
#include <span>
#include <vector>

namespace {

template <class F, class P>
void add_arms(F& f, std::vector<P>& arms, std::size_t k, const P& prototype = P{}) {
    for (std::size_t i = 0; i < k; ++i) {
        arms.push_back(prototype);
        f.arm_added(arms.size() - 1);
    }
}

} // namespace

TEST_CASE("NoForgetting keeps every observation", "[routing][forgetting]") {
    augur::NoForgetting f;
    std::vector<augur::BetaBernoulli> arms;
    add_arms(f, arms, 2);
    for (int i = 0; i < 100; ++i)
        f.observe(std::span(arms), static_cast<std::size_t>(i % 2), {i % 3 == 0 ? 1.0 : 0.0});
    CHECK(arms[0].count() == 50.0);
    CHECK(arms[1].count() == 50.0);
}

TEST_CASE("Discounted weighs an observation gamma^age", "[routing][forgetting]") {
    const double gamma = 0.9;
    augur::Discounted f(gamma);
    std::vector<augur::BetaBernoulli> arms;
    add_arms(f, arms, 3);
    augur::Rng rng(3);
    std::vector<double> rewards;
    std::vector<std::size_t> pulled;
    for (int i = 0; i < 60; ++i) {
        const auto arm = static_cast<std::size_t>(augur::uniform_index(rng, 3));
        const double r = augur::uniform01(rng) < 0.5 ? 1.0 : 0.0;
        f.observe(std::span(arms), arm, {r});
        rewards.push_back(r);
        pulled.push_back(arm);
    }
    // Closed form: successes of arm a = sum over its observations of r * gamma^(age).
    for (std::size_t a = 0; a < 3; ++a) {
        double s = 0.0;
        double n = 0.0;
        for (std::size_t i = 0; i < rewards.size(); ++i) {
            if (pulled[i] != a) continue;
            const double w = std::pow(gamma, static_cast<double>(rewards.size() - 1 - i));
            s += w * rewards[i];
            n += w;
        }
        CHECK(arms[a].successes() == Approx(s).epsilon(1e-12));
        CHECK(arms[a].count() == Approx(n).epsilon(1e-12));
    }
    // The effective memory is bounded by 1 / (1 - gamma).
    for (int i = 0; i < 2000; ++i)
        f.observe(std::span(arms), 0, {1.0});
    CHECK(arms[0].count() == Approx(1.0 / (1.0 - gamma)).epsilon(1e-9));
    CHECK_THROWS_AS(augur::Discounted(0.0), augur::invalid_argument);
    CHECK_THROWS_AS(augur::Discounted(1.01), augur::invalid_argument);
}

TEST_CASE("SlidingWindow equals the posterior of the last W observations",
          "[routing][forgetting]") {
    const std::size_t window = 25;
    augur::SlidingWindow f(window);
    std::vector<augur::NormalGamma> arms;
    add_arms(f, arms, 3);
    augur::Rng rng(11);
    std::deque<std::pair<std::size_t, double>> last;
    for (int i = 0; i < 400; ++i) {
        const auto arm = static_cast<std::size_t>(augur::uniform_index(rng, 3));
        const double r = augur::normal(rng, static_cast<double>(arm), 1.0);
        f.observe(std::span(arms), arm, {r});
        last.emplace_back(arm, r);
        if (last.size() > window) last.pop_front();
        if (i % 37 != 0) continue;
        for (std::size_t a = 0; a < 3; ++a) {
            augur::NormalGamma reference;
            for (const auto& [which, reward] : last)
                if (which == a) reference.update(reward);
            REQUIRE(arms[a].count() == Approx(reference.count()).margin(1e-9));
            REQUIRE(arms[a].mean() == Approx(reference.mean()).epsilon(1e-9));
            REQUIRE(arms[a].beta_n() == Approx(reference.beta_n()).epsilon(1e-7));
        }
    }
    CHECK(f.size() == window);
    CHECK_THROWS_AS(augur::SlidingWindow(0), augur::invalid_argument);
}

TEST_CASE("SlidingWindow follows arm removal", "[routing][forgetting]") {
    augur::SlidingWindow f(4);
    std::vector<augur::BetaBernoulli> arms;
    add_arms(f, arms, 3);
    f.observe(std::span(arms), 0, {1.0});
    f.observe(std::span(arms), 2, {1.0});
    f.observe(std::span(arms), 1, {0.0});
    // Remove arm 0: arm 2 moves into slot 0.
    arms[0] = arms[2];
    arms.pop_back();
    f.arm_removed(0, 2);
    f.observe(std::span(arms), 1, {0.0}); // window full (4)
    f.observe(std::span(arms), 1, {0.0}); // evicts the removed arm's entry: nothing to undo
    CHECK(arms[0].successes() == 1.0);
    f.observe(std::span(arms), 1, {0.0}); // evicts the moved arm's entry from slot 0
    CHECK(arms[0].count() == 0.0);
    CHECK(arms[1].count() == 4.0);
}

TEST_CASE("SlidingWindow keeps contexts for contextual posteriors", "[routing][forgetting]") {
    augur::SlidingWindow f(10);
    std::vector<augur::LinearGaussian> arms;
    add_arms(f, arms, 1, augur::LinearGaussian(2));
    augur::Rng rng(2);
    std::deque<std::pair<std::array<double, 2>, double>> last;
    for (int i = 0; i < 35; ++i) {
        const std::array<double, 2> x{1.0, augur::normal(rng)};
        const double r = 0.3 * x[1] + augur::normal(rng, 0.0, 0.1);
        f.observe(std::span(arms), 0, {r, 1.0, x});
        last.emplace_back(x, r);
        if (last.size() > 10) last.pop_front();
    }
    augur::LinearGaussian reference(2);
    for (const auto& [x, r] : last)
        reference.update(x, r);
    CHECK((arms[0].weights_mean() - reference.weights_mean()).norm() < 1e-9);
    CHECK(arms[0].count() == Approx(10.0));
}

TEST_CASE("ChangeDetecting restarts after a drop and stays quiet on a stationary stream",
          "[routing][forgetting]") {
    augur::ChangeDetecting f;
    std::vector<augur::BetaBernoulli> arms;
    add_arms(f, arms, 3);
    augur::Rng rng(17);
    arms[1].update(1.0, 30.0);
    arms[2].update(0.0, 5.0);
    // Stationary: arm 0 succeeds 90% of the time for 20000 rewards.
    for (int i = 0; i < 20000; ++i)
        f.observe(std::span(arms), 0, {augur::uniform01(rng) < 0.9 ? 1.0 : 0.0});
    CHECK(f.changes() == 0);
    CHECK(arms[0].count() == 20000.0);
    // The success rate drops to 60%: detected within a few hundred rewards.
    int detected_after = -1;
    for (int i = 0; i < 1000 && detected_after < 0; ++i) {
        f.observe(std::span(arms), 0, {augur::uniform01(rng) < 0.6 ? 1.0 : 0.0});
        if (f.changes() > 0) detected_after = i + 1;
    }
    REQUIRE(detected_after > 0);
    CHECK(detected_after < 300);
    CHECK(f.restarts() == 1);
    CHECK(f.last_change_arm() == 0);
    // The changed arm restarted from its prior with the triggering reward; the others forgot.
    CHECK(arms[0].count() == 1.0);
    CHECK(arms[1].count() == 0.0);
    CHECK(arms[2].count() == 0.0);
}

TEST_CASE("ChangeDetecting responses are configurable", "[routing][forgetting]") {
    augur::ChangeDetectingConfig config;
    config.cusum.warmup = 20;
    config.cusum.threshold = 5.0;
    config.on_decrease = augur::ChangeResponse::reset_all;
    config.keep = 4.0;
    augur::ChangeDetecting f(config);
    std::vector<augur::NormalGamma> arms;
    add_arms(f, arms, 2);
    arms[1].update(0.8, 10.0);
    augur::Rng rng(5);
    for (int i = 0; i < 20; ++i)
        f.observe(std::span(arms), 0, {augur::normal(rng, 1.0, 0.1)});
    for (int i = 0; i < 50 && f.changes() == 0; ++i)
        f.observe(std::span(arms), 0, {augur::normal(rng, 0.0, 0.1)});
    REQUIRE(f.changes() == 1);
    CHECK(arms[1].count() == Approx(4.0)); // kept 4 observations' worth
    CHECK(arms[1].sample_mean() == Approx(0.8));

    // An increase resets only that arm by default.
    augur::ChangeDetecting g(config);
    std::vector<augur::NormalGamma> more;
    add_arms(g, more, 2);
    more[1].update(0.5, 10.0);
    for (int i = 0; i < 20; ++i)
        g.observe(std::span(more), 0, {augur::normal(rng, 0.0, 0.1)});
    for (int i = 0; i < 50 && g.changes() == 0; ++i)
        g.observe(std::span(more), 0, {augur::normal(rng, 1.0, 0.1)});
    REQUIRE(g.changes() == 1);
    CHECK(g.restarts() == 0);
    CHECK(more[1].count() == 10.0);

    augur::ChangeDetectingConfig bad;
    bad.keep = -1.0;
    CHECK_THROWS_AS(augur::ChangeDetecting(bad), augur::invalid_argument);
    bad = {};
    bad.cusum.threshold = 0.0;
    CHECK_THROWS_AS(augur::ChangeDetecting(bad), augur::invalid_argument);
}
