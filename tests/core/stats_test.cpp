#include <augur/core/random.hpp>
#include <augur/core/stats.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

namespace {

using Catch::Matchers::WithinRel;

// Naive two-pass mean and variance, summed in long double.
struct TwoPass {
    double mean = 0.0;
    double sample_variance = 0.0;
    double population_variance = 0.0;
};

TwoPass two_pass(const std::vector<double>& xs) {
    long double sum = 0.0L;
    for (double x : xs)
        sum += x;
    const long double mean = sum / static_cast<long double>(xs.size());
    long double ss = 0.0L;
    for (double x : xs)
        ss += (x - mean) * (x - mean);
    return {static_cast<double>(mean),
            static_cast<double>(ss / static_cast<long double>(xs.size() - 1)),
            static_cast<double>(ss / static_cast<long double>(xs.size()))};
}

// Naive exponentially weighted mean and variance from the explicit weights: after n values,
// value i has weight w_i = alpha (1-alpha)^(n-1-i) for i >= 1 and (1-alpha)^(n-1) for i = 0;
// the variance is sum w_i (x_i - mean)^2.
std::pair<double, double> naive_ewma(const std::vector<double>& xs, double alpha) {
    const std::size_t n = xs.size();
    std::vector<long double> w(n);
    for (std::size_t i = 0; i < n; ++i) {
        const long double decay = std::pow(1.0L - alpha, static_cast<long double>(n - 1 - i));
        w[i] = i == 0 ? decay : alpha * decay;
    }
    long double mean = 0.0L;
    for (std::size_t i = 0; i < n; ++i)
        mean += w[i] * xs[i];
    long double var = 0.0L;
    for (std::size_t i = 0; i < n; ++i)
        var += w[i] * (xs[i] - mean) * (xs[i] - mean);
    return {static_cast<double>(mean), static_cast<double>(var)};
}

struct Distribution {
    const char* name;
    std::function<double(augur::Rng&)> draw;
    double condition = 1.0; // |mean| / sd: rounding of the mean costs eps * condition
};

constexpr double eps = std::numeric_limits<double>::epsilon();

// Relative tolerance of a one-pass variance: a naive sum-of-squares formula would be off by
// eps * condition^2 (for 1e9 + N(0, 1): by 100 %); Welford stays within eps * condition.
double variance_tolerance(const Distribution& d) {
    return 1e-10 + 4.0 * eps * d.condition;
}

std::vector<Distribution> distributions() {
    return {
        {"standard normal", [](augur::Rng& r) { return augur::normal(r); }},
        {"uniform [-5, 5)", [](augur::Rng& r) { return augur::uniform(r, -5.0, 5.0); }},
        {"exponential", [](augur::Rng& r) { return augur::exponential(r, 0.5); }},
        {"lognormal(0, 2)", [](augur::Rng& r) { return std::exp(augur::normal(r, 0.0, 2.0)); }},
        {"1e9 + N(0, 1)", [](augur::Rng& r) { return 1e9 + augur::normal(r); }, 1e9},
        {"-1e12 + N(0, 100)", [](augur::Rng& r) { return -1e12 + augur::normal(r, 0.0, 100.0); },
         1e10},
        {"constant", [](augur::Rng&) { return 42.5; }},
    };
}

std::vector<double> draw_n(const Distribution& d, augur::Rng& rng, std::size_t n) {
    std::vector<double> xs(n);
    for (double& x : xs)
        x = d.draw(rng);
    return xs;
}

// |a - b| <= rel * |b| + abs.
bool close(double a, double b, double rel, double abs = 0.0) {
    return std::abs(a - b) <= rel * std::abs(b) + abs;
}

} // namespace

TEST_CASE("RunningStats: known answers", "[core][stats]") {
    augur::RunningStats s;
    CHECK(s.count() == 0);
    CHECK(std::isnan(s.mean()));
    CHECK(std::isnan(s.variance()));
    CHECK(std::isnan(s.population_variance()));
    CHECK(std::isnan(s.min()));
    CHECK(std::isnan(s.max()));
    CHECK(s.sum() == 0.0);

    for (double x : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0})
        s.push(x);
    CHECK(s.count() == 8);
    CHECK(s.mean() == 5.0);
    CHECK(s.population_variance() == 4.0);
    CHECK_THAT(s.variance(), WithinRel(32.0 / 7.0, 1e-15));
    CHECK_THAT(s.stddev(), WithinRel(std::sqrt(32.0 / 7.0), 1e-15));
    CHECK(s.min() == 2.0);
    CHECK(s.max() == 9.0);
    CHECK(s.sum() == 40.0);

    augur::RunningStats one;
    one.push(3.0);
    CHECK(one.mean() == 3.0);
    CHECK(std::isnan(one.variance()));
    CHECK(one.population_variance() == 0.0);
    one.reset();
    CHECK(one.count() == 0);
}

TEST_CASE("RunningStats: matches a two-pass computation", "[core][stats]") {
    for (const auto& d : distributions()) {
        for (std::uint64_t seed = 0; seed < 20; ++seed) {
            INFO(d.name << ", seed " << seed);
            augur::Rng rng(seed);
            const auto xs = draw_n(d, rng, 1 + augur::uniform_index(rng, 5000) + 1);
            augur::RunningStats s;
            for (double x : xs)
                s.push(x);
            const TwoPass ref = two_pass(xs);
            REQUIRE(s.count() == xs.size());
            REQUIRE(close(s.mean(), ref.mean, 1e-14, 1e-14));
            REQUIRE(close(s.variance(), ref.sample_variance, variance_tolerance(d), 1e-20));
            REQUIRE(close(s.population_variance(), ref.population_variance, variance_tolerance(d),
                          1e-20));
            REQUIRE(s.min() == *std::min_element(xs.begin(), xs.end()));
            REQUIRE(s.max() == *std::max_element(xs.begin(), xs.end()));
        }
    }
}

TEST_CASE("RunningStats: merging halves equals the whole", "[core][stats]") {
    for (const auto& d : distributions()) {
        for (std::uint64_t seed = 0; seed < 50; ++seed) {
            INFO(d.name << ", seed " << seed);
            augur::Rng rng(seed * 7919 + 1);
            const auto xs = draw_n(d, rng, 2 + augur::uniform_index(rng, 2000));
            const std::size_t cut = augur::uniform_index(rng, xs.size() + 1); // empty sides too
            augur::RunningStats whole;
            augur::RunningStats left;
            augur::RunningStats right;
            for (std::size_t i = 0; i < xs.size(); ++i) {
                whole.push(xs[i]);
                (i < cut ? left : right).push(xs[i]);
            }
            left.merge(right);
            REQUIRE(left.count() == whole.count());
            REQUIRE(close(left.mean(), whole.mean(), 1e-14, 1e-14));
            REQUIRE(close(left.variance(), whole.variance(), variance_tolerance(d), 1e-20));
            REQUIRE(left.min() == whole.min());
            REQUIRE(left.max() == whole.max());
        }
    }
}

TEST_CASE("Ewma: construction and validation", "[core][stats]") {
    const auto a = augur::Ewma::from_alpha(0.25);
    CHECK(a.alpha() == 0.25);
    CHECK(augur::Ewma::from_alpha(1.0).alpha() == 1.0);
    // Half-life h: (1 - alpha)^h = 1/2.
    for (double h : {0.5, 1.0, 2.0, 10.0, 1000.0}) {
        const auto e = augur::Ewma::from_half_life(h);
        CHECK_THAT(std::pow(1.0 - e.alpha(), h), WithinRel(0.5, 1e-12));
    }
    CHECK(augur::Ewma::from_half_life(1.0).alpha() == 0.5);

    for (double bad : {0.0, -0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
        CHECK_THROWS_AS(augur::Ewma::from_alpha(bad), augur::invalid_argument);
        CHECK_THROWS_WITH(augur::Ewma::from_alpha(bad), Catch::Contains("alpha"));
    }
    for (double bad : {0.0, -3.0, std::numeric_limits<double>::infinity(),
                       std::numeric_limits<double>::quiet_NaN()}) {
        CHECK_THROWS_AS(augur::Ewma::from_half_life(bad), augur::invalid_argument);
        CHECK_THROWS_WITH(augur::Ewma::from_half_life(bad), Catch::Contains("half_life"));
    }
}

TEST_CASE("alpha_from_half_life: closed-form values", "[core][stats]") {
    // alpha = 1 - 2^(-1/h).
    CHECK(augur::alpha_from_half_life(1.0) == 0.5);
    CHECK_THAT(augur::alpha_from_half_life(0.5), WithinRel(0.75, 1e-15));
    CHECK_THAT(augur::alpha_from_half_life(2.0), WithinRel(1.0 - 1.0 / std::sqrt(2.0), 1e-15));
    CHECK_THAT(augur::alpha_from_half_life(0.25), WithinRel(15.0 / 16.0, 1e-15));
    CHECK_THAT(augur::alpha_from_half_life(1.0 / 3.0), WithinRel(7.0 / 8.0, 1e-15));
    // Long half-lives: alpha ~ ln2 / h, accurate where 1 - exp2(-1/h) would cancel.
    CHECK_THAT(augur::alpha_from_half_life(1e12), WithinRel(std::numbers::ln2 / 1e12, 1e-11));
    // Tiny half-lives stay clamped to 1; an infinite half-life learns nothing.
    CHECK(augur::alpha_from_half_life(1e-300) == 1.0);
    CHECK(augur::alpha_from_half_life(std::numeric_limits<double>::infinity()) == 0.0);
    for (double h : {0.5, 3.0, 50.0, 1e6})
        CHECK(augur::Ewma::from_half_life(h).alpha() == augur::alpha_from_half_life(h));
}

TEST_CASE("Ewma: known answers", "[core][stats]") {
    auto e = augur::Ewma::from_alpha(0.5);
    CHECK(e.count() == 0);
    CHECK(std::isnan(e.mean()));
    CHECK(std::isnan(e.variance()));
    CHECK(std::isnan(e.stddev()));

    e.push(2.0);
    CHECK(e.mean() == 2.0);
    CHECK(e.variance() == 0.0);
    e.push(4.0); // diff 2, mean 3, var 0.5 * (0 + 2 * 1) = 1
    CHECK(e.mean() == 3.0);
    CHECK(e.variance() == 1.0);
    e.push(3.0); // diff 0: mean 3, var 0.5
    CHECK(e.mean() == 3.0);
    CHECK(e.variance() == 0.5);
    CHECK(e.stddev() == std::sqrt(0.5));
    CHECK(e.count() == 3);

    e.reset();
    CHECK(e.count() == 0);
    CHECK(e.alpha() == 0.5);
    CHECK(std::isnan(e.mean()));
    e.push(-1.0);
    CHECK(e.mean() == -1.0);

    // alpha = 1 tracks the last value.
    auto last = augur::Ewma::from_alpha(1.0);
    for (double x : {5.0, -2.0, 7.0})
        last.push(x);
    CHECK(last.mean() == 7.0);
    CHECK(last.variance() == 0.0);

    // A constant stream.
    auto c = augur::Ewma::from_alpha(0.1);
    for (int i = 0; i < 100; ++i)
        c.push(1e9);
    CHECK(c.mean() == 1e9);
    CHECK(c.variance() == 0.0);
}

TEST_CASE("Ewma: matches the explicit weighted sums", "[core][stats]") {
    for (const auto& d : distributions()) {
        for (double alpha : {0.01, 0.1, 0.5, 0.9}) {
            for (std::uint64_t seed = 0; seed < 10; ++seed) {
                INFO(d.name << ", alpha " << alpha << ", seed " << seed);
                augur::Rng rng(seed + 1000);
                const auto xs = draw_n(d, rng, 1 + augur::uniform_index(rng, 400));
                auto e = augur::Ewma::from_alpha(alpha);
                for (double x : xs)
                    e.push(x);
                const auto [mean, var] = naive_ewma(xs, alpha);
                REQUIRE(e.count() == xs.size());
                REQUIRE(close(e.mean(), mean, 1e-13, 1e-13));
                REQUIRE(close(e.variance(), var, variance_tolerance(d), 1e-30));
            }
        }
    }
}

TEST_CASE("Ewma: time-aware update", "[core][stats]") {
    using namespace std::chrono_literals;
    // Regular spacing with half-life h steps equals from_half_life(h).
    auto timed = augur::Ewma::from_alpha(0.5); // alpha unused by the timed push
    auto fixed = augur::Ewma::from_half_life(4.0);
    augur::Rng rng(3);
    for (int i = 0; i < 200; ++i) {
        const double x = augur::normal(rng, 10.0, 3.0);
        timed.push(x, 1s, 4s);
        fixed.push(x);
        REQUIRE(close(timed.mean(), fixed.mean(), 1e-12));
        REQUIRE(close(timed.variance(), fixed.variance(), 1e-10, 1e-14));
    }
    // Two steps of 1 s == one step of 2 s for the weight of the past.
    auto a = augur::Ewma::from_alpha(0.5);
    a.push(0.0, 0s, 1s);
    a.push(8.0, 2s, 1s); // decay 1/4: mean 6
    CHECK(a.mean() == 6.0);
    CHECK(a.variance() == 0.25 * (0.0 + 8.0 * 6.0));
    // elapsed 0 gives the value no weight; a long gap resets to the value.
    a.push(100.0, 0s, 1s);
    CHECK(a.mean() == 6.0);
    CHECK(a.count() == 3);
    a.push(-3.0, 10000s, 1s);
    CHECK(a.mean() == -3.0);
    CHECK(a.variance() == 0.0);

    CHECK_THROWS_AS(a.push(1.0, -1s, 1s), augur_test::AssertionFailure);
    CHECK_THROWS_AS(a.push(1.0, 1s, 0s), augur_test::AssertionFailure);
}

TEST_CASE("MinMax: known answers, NaN, merge", "[core][stats]") {
    augur::MinMax m;
    CHECK(m.count() == 0);
    CHECK(std::isnan(m.min()));
    CHECK(std::isnan(m.max()));
    CHECK(std::isnan(m.range()));
    m.push(std::numeric_limits<double>::quiet_NaN());
    CHECK(m.count() == 1);
    CHECK(std::isnan(m.min()));
    for (double x : {3.0, -1.0, 7.5, 2.0})
        m.push(x);
    m.push(std::numeric_limits<double>::quiet_NaN());
    CHECK(m.count() == 6);
    CHECK(m.min() == -1.0);
    CHECK(m.max() == 7.5);
    CHECK(m.range() == 8.5);

    augur::MinMax single;
    single.push(-std::numeric_limits<double>::infinity());
    CHECK(single.min() == -std::numeric_limits<double>::infinity());
    CHECK(single.max() == -std::numeric_limits<double>::infinity());

    for (std::uint64_t seed = 0; seed < 100; ++seed) {
        augur::Rng rng(seed);
        const std::size_t n = 1 + augur::uniform_index(rng, 100);
        const std::size_t cut = augur::uniform_index(rng, n + 1);
        augur::MinMax whole;
        augur::MinMax left;
        augur::MinMax right;
        std::vector<double> xs(n);
        for (std::size_t i = 0; i < n; ++i) {
            xs[i] = augur::normal(rng);
            whole.push(xs[i]);
            (i < cut ? left : right).push(xs[i]);
        }
        left.merge(right);
        REQUIRE(left.count() == n);
        REQUIRE(left.min() == whole.min());
        REQUIRE(left.max() == whole.max());
        REQUIRE(whole.min() == *std::min_element(xs.begin(), xs.end()));
        REQUIRE(whole.max() == *std::max_element(xs.begin(), xs.end()));
    }
    m.reset();
    CHECK(m.count() == 0);
    CHECK(std::isnan(m.max()));
}

TEST_CASE("median_of: equals quantile_sorted(0.5) of the sorted values", "[core][stats]") {
    CHECK(std::isnan(augur::median_of({})));
    std::vector<double> one{4.0};
    CHECK(augur::median_of(one) == 4.0);
    std::vector<double> even{4.0, 1.0, 3.0, 2.0};
    CHECK(augur::median_of(even) == 2.5);
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> infinite{inf, 1.0, inf, inf};
    CHECK(augur::median_of(infinite) == inf);
    augur::Rng rng(4);
    for (std::size_t n = 1; n < 60; ++n) {
        std::vector<double> xs(n);
        for (double& x : xs)
            x = augur::normal(rng, 0.0, 1e3);
        std::vector<double> sorted = xs;
        std::sort(sorted.begin(), sorted.end());
        REQUIRE(augur::median_of(xs) == augur::quantile_sorted(sorted, 0.5));
    }
}

TEST_CASE("sampling_interval: the median positive gap", "[core][stats]") {
    using augur::from_epoch_seconds;
    CHECK(augur::sampling_interval({}) == augur::Duration::zero());
    const std::vector<augur::Timestamp> one{from_epoch_seconds(5.0)};
    CHECK(augur::sampling_interval(one) == augur::Duration::zero());
    // Gaps 60, 0 (left out), 60, 120, 3600: the median of 60, 60, 120, 3600 (upper) is 120.
    std::vector<augur::Timestamp> times;
    for (const double t : {0.0, 60.0, 60.0, 120.0, 240.0, 3840.0})
        times.push_back(from_epoch_seconds(t));
    CHECK(augur::sampling_interval(times) == std::chrono::seconds(120));
    times.pop_back(); // gaps 60, 60, 120: 60
    CHECK(augur::sampling_interval(times) == std::chrono::seconds(60));
}

TEST_CASE("quantile_sorted: known answers", "[core][stats]") {
    const std::vector<double> xs{1.0, 2.0, 3.0, 4.0, 10.0};
    CHECK(augur::quantile_sorted(xs, 0.0) == 1.0);
    CHECK(augur::quantile_sorted(xs, 1.0) == 10.0);
    CHECK(augur::quantile_sorted(xs, 0.5) == 3.0);
    CHECK(augur::quantile_sorted(xs, 0.25) == 2.0);
    CHECK(augur::quantile_sorted(xs, 0.875) == 7.0); // h = 3.5: 4 + 0.5 * 6
    CHECK(std::isnan(augur::quantile_sorted({}, 0.5)));
    CHECK_THROWS_AS(augur::quantile_sorted(xs, 1.5), augur_test::AssertionFailure);
}
