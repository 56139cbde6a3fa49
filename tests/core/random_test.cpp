#include <augur/core/random.hpp>

#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/exponential.hpp>
#include <boost/math/distributions/gamma.hpp>
#include <boost/math/distributions/normal.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

namespace {

// Kolmogorov–Smirnov statistic of `draws` against the continuous CDF `cdf`.
double ks_statistic(std::vector<double> draws, const std::function<double(double)>& cdf) {
    std::sort(draws.begin(), draws.end());
    const double n = static_cast<double>(draws.size());
    double d = 0.0;
    for (std::size_t i = 0; i < draws.size(); ++i) {
        const double f = cdf(draws[i]);
        d = std::max({d, static_cast<double>(i + 1) / n - f, f - static_cast<double>(i) / n});
    }
    return d;
}

// Critical value of the KS statistic at significance 0.001 (asymptotic).
double ks_critical(std::size_t n) {
    return 1.949 / std::sqrt(static_cast<double>(n));
}

template <class Draw>
std::vector<double> draw_many(std::size_t n, std::uint64_t seed, Draw draw) {
    augur::Rng rng(seed);
    std::vector<double> out(n);
    for (auto& x : out)
        x = draw(rng);
    return out;
}

} // namespace

TEST_CASE("xoshiro256++ matches the reference output", "[core][random]") {
    augur::Rng rng;
    const std::uint64_t state[4] = {1, 2, 3, 4};
    rng.set_state(state);
    const std::uint64_t expected[] = {41943041ULL, 58720359ULL, 3588806011781223ULL,
                                      3591011842654386ULL, 9228616714210784205ULL};
    for (std::uint64_t e : expected)
        CHECK(rng() == e);
}

TEST_CASE("splitmix64 matches the reference output", "[core][random]") {
    std::uint64_t state = 0;
    CHECK(augur::splitmix64(state) == 0xe220a8397b1dcdafULL);
    CHECK(augur::splitmix64(state) == 0x6e789e6aa1b965f4ULL);
}

TEST_CASE("Rng is reproducible per seed and differs between seeds", "[core][random]") {
    static_assert(std::uniform_random_bit_generator<augur::Rng>);
    augur::Rng a(7), b(7), c(8);
    for (int i = 0; i < 100; ++i) {
        const auto x = a();
        CHECK(x == b());
        CHECK(x != c());
    }
    const augur::Rng f1 = a.fork(1), f1_again = a.fork(1), f2 = a.fork(2);
    CHECK(f1 == f1_again);
    CHECK_FALSE(f1 == f2);
    augur::Rng f1_copy = f1;
    augur::Rng f2_copy = f2;
    CHECK(f1_copy() != f2_copy());
}

TEST_CASE("uniform draws are in range and uniform", "[core][random]") {
    augur::Rng rng(1);
    for (int i = 0; i < 100000; ++i) {
        const double u = augur::uniform01(rng);
        REQUIRE(u >= 0.0);
        REQUIRE(u < 1.0);
        const double o = augur::uniform_open01(rng);
        REQUIRE(o > 0.0);
        REQUIRE(o < 1.0);
    }
    const auto draws = draw_many(20000, 3, [](augur::Rng& r) { return augur::uniform01(r); });
    CHECK(ks_statistic(draws, [](double x) { return x; }) < ks_critical(draws.size()));
}

TEST_CASE("uniform_index is unbiased and in range", "[core][random]") {
    augur::Rng rng(11);
    for (std::uint64_t n : {1ULL, 2ULL, 3ULL, 7ULL, 10ULL}) {
        std::vector<int> counts(n, 0);
        const int draws = 70000;
        for (int i = 0; i < draws; ++i) {
            const auto k = augur::uniform_index(rng, n);
            REQUIRE(k < n);
            ++counts[k];
        }
        // Chi-square with n - 1 degrees of freedom; 0.999 quantile for df <= 9 is below 28.
        const double expected = static_cast<double>(draws) / static_cast<double>(n);
        double chi2 = 0.0;
        for (int c : counts)
            chi2 += (c - expected) * (c - expected) / expected;
        CHECK(chi2 < 28.0);
    }
}

TEST_CASE("normal, exponential, gamma and beta draws follow their distributions",
          "[core][random]") {
    const std::size_t n = 20000;
    SECTION("standard normal") {
        const auto draws = draw_many(n, 5, [](augur::Rng& r) { return augur::normal(r); });
        boost::math::normal_distribution<> dist;
        CHECK(ks_statistic(draws, [&](double x) { return cdf(dist, x); }) < ks_critical(n));
    }
    SECTION("normal(10, 3)") {
        const auto draws = draw_many(n, 6, [](augur::Rng& r) { return augur::normal(r, 10, 3); });
        boost::math::normal_distribution<> dist(10, 3);
        CHECK(ks_statistic(draws, [&](double x) { return cdf(dist, x); }) < ks_critical(n));
    }
    SECTION("exponential(2.5)") {
        const auto draws =
            draw_many(n, 7, [](augur::Rng& r) { return augur::exponential(r, 2.5); });
        boost::math::exponential_distribution<> dist(2.5);
        CHECK(ks_statistic(draws, [&](double x) { return cdf(dist, x); }) < ks_critical(n));
    }
    for (double shape : {0.3, 1.0, 2.5, 40.0}) {
        DYNAMIC_SECTION("gamma(" << shape << ")") {
            const auto draws =
                draw_many(n, 8, [shape](augur::Rng& r) { return augur::gamma(r, shape); });
            boost::math::gamma_distribution<> dist(shape);
            CHECK(ks_statistic(draws, [&](double x) { return cdf(dist, x); }) < ks_critical(n));
        }
    }
    for (auto [a, b] : {std::pair{1.0, 1.0}, std::pair{0.5, 0.5}, std::pair{30.0, 4.0}}) {
        DYNAMIC_SECTION("beta(" << a << ", " << b << ")") {
            const auto draws =
                draw_many(n, 9, [a = a, b = b](augur::Rng& r) { return augur::beta(r, a, b); });
            boost::math::beta_distribution<> dist(a, b);
            CHECK(ks_statistic(draws, [&](double x) { return cdf(dist, x); }) < ks_critical(n));
        }
    }
}

TEST_CASE("poisson draws have the right mean and variance", "[core][random]") {
    for (double mean : {0.0, 0.7, 12.0, 95.0}) {
        augur::Rng rng(13);
        const int n = 40000;
        double sum = 0.0, sum2 = 0.0;
        for (int i = 0; i < n; ++i) {
            const auto k = static_cast<double>(augur::poisson(rng, mean));
            sum += k;
            sum2 += k * k;
        }
        const double m = sum / n;
        const double v = sum2 / n - m * m;
        // Five standard errors of the sample mean.
        CHECK(std::abs(m - mean) <= 5.0 * std::sqrt(std::max(mean, 1e-12) / n) + 1e-12);
        CHECK(v == Approx(mean).margin(0.05 * mean + 1e-12));
    }
}
