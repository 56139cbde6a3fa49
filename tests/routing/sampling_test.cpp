#include <augur/core/random.hpp>

#include <catch2/catch.hpp>

#include "routing_support.hpp"

#include <boost/math/distributions/gamma.hpp>

#include <cmath>
#include <vector>

namespace {

double normal_cdf(double x) {
    return 0.5 * std::erfc(-x / std::sqrt(2.0));
}

} // namespace

TEST_CASE("ziggurat tables are consistent", "[routing][sampling]") {
    const auto& t = augur::detail::random::ziggurat_tables();
    // Decreasing edges from the base strip to 0; every layer has area v.
    for (int i = 0; i < augur::detail::random::ZigguratTables::layers; ++i) {
        const auto k = static_cast<std::size_t>(i);
        REQUIRE(t.x[k] > t.x[k + 1]);
        if (i >= 1 && i < augur::detail::random::ZigguratTables::layers - 1)
            CHECK(t.x[k] * (t.f[k + 1] - t.f[k]) ==
                  Approx(augur::detail::random::ZigguratTables::v).epsilon(1e-9));
    }
    // The base strip holds the rectangle under f(r) plus the tail: v in total.
    const double tail = std::sqrt(2.0 * std::acos(-1.0)) * 0.5 *
                        std::erfc(augur::detail::random::ZigguratTables::r / std::sqrt(2.0));
    CHECK(augur::detail::random::ZigguratTables::r * t.f[1] + tail ==
          Approx(augur::detail::random::ZigguratTables::v).epsilon(1e-8));
}

TEST_CASE("ziggurat normal draws are standard normal", "[routing][sampling]") {
    augur::Rng rng(2024);
    const std::size_t n = 20000;
    std::vector<double> draws(n);
    for (auto& d : draws)
        d = augur::detail::random::ziggurat_normal(rng);
    CHECK(augur_test::ks_statistic(draws, normal_cdf) < augur_test::ks_critical_001(n));

    // Moments and the tail frequency over many draws.
    const std::size_t many = 1'000'000;
    double sum = 0.0;
    double sum_sq = 0.0;
    std::size_t tail = 0;
    for (std::size_t i = 0; i < many; ++i) {
        const double z = augur::detail::random::ziggurat_normal(rng);
        sum += z;
        sum_sq += z * z;
        tail += std::fabs(z) > augur::detail::random::ZigguratTables::r ? 1 : 0;
    }
    const auto m = static_cast<double>(many);
    CHECK(std::fabs(sum / m) < 5.0 / std::sqrt(m));
    CHECK(std::fabs(sum_sq / m - 1.0) < 5.0 * std::sqrt(2.0 / m));
    const double expected_tail =
        m * std::erfc(augur::detail::random::ZigguratTables::r / std::sqrt(2.0));
    CHECK(std::fabs(static_cast<double>(tail) - expected_tail) < 5.0 * std::sqrt(expected_tail));
}

TEST_CASE("GammaDraw matches the gamma distribution for small and large shapes",
          "[routing][sampling]") {
    for (double shape : {0.3, 1.0, 2.5, 40.0, 10000.0}) {
        INFO("shape " << shape);
        augur::Rng rng(static_cast<std::uint64_t>(shape * 1000));
        const augur::GammaDraw draw(shape);
        const auto& tables = augur::detail::random::ziggurat_tables();
        const std::size_t n = 5000;
        std::vector<double> draws(n);
        for (auto& d : draws)
            d = draw(rng, tables);
        const boost::math::gamma_distribution<double> dist(shape);
        const double d =
            augur_test::ks_statistic(draws, [&](double x) { return boost::math::cdf(dist, x); });
        CHECK(d < augur_test::ks_critical_001(n));
    }
}

TEST_CASE("draws are reproducible per seed", "[routing][sampling]") {
    augur::Rng a(5);
    augur::Rng b(5);
    const augur::GammaDraw draw(3.0);
    const auto& tables = augur::detail::random::ziggurat_tables();
    for (int i = 0; i < 1000; ++i)
        REQUIRE(draw(a, tables) == draw(b, tables));
}
