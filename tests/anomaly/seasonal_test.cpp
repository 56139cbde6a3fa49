#include <augur/anomaly/classify.hpp>
#include <augur/anomaly/seasonal.hpp>
#include <augur/anomaly/zscore.hpp>
#include <augur/core/random.hpp>
#include <augur/core/series.hpp>

#include "anomaly/zscore_test_support.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <vector>

namespace {

using augur::Detection;
using augur::SeasonalConfig;
using augur::SeasonalDetector;
using namespace augur_test;

constexpr double step_seconds = 300.0; // 5-minute data: 288 samples a day

augur::Sample at5(std::uint32_t series, std::size_t i, double value) {
    return {augur::SeriesId{series},
            augur::from_epoch_seconds(1.4e9 + step_seconds * static_cast<double>(i)), value};
}

/// A daily profile: low at night, high in the day, with noise; 5-minute samples.
std::vector<double> daily(std::uint64_t seed, std::size_t n, double noise_sd = 1.0) {
    augur::Rng rng(seed);
    std::vector<double> v(n);
    for (std::size_t i = 0; i < n; ++i) {
        const double phase = 2.0 * std::numbers::pi * static_cast<double>(i % 288) / 288.0;
        v[i] = 100.0 - 50.0 * std::cos(phase) + augur::normal(rng, 0.0, noise_sd);
    }
    return v;
}

} // namespace

TEST_CASE("SeasonalDetector: invalid configuration throws naming the field",
          "[anomaly][seasonal]") {
    auto message = [](SeasonalConfig c) {
        try {
            SeasonalDetector d(c);
        } catch (const augur::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no exception");
    };
    CHECK_THAT(message({.learning = 4}), Catch::Matchers::Contains("learning"));
    CHECK_THAT(message({.period = 100, .learning = 150}), Catch::Matchers::Contains("learning"));
    CHECK_THAT(message({.period = 1}), Catch::Matchers::Contains("period"));
    CHECK_THAT(message({.min_autocorrelation = 2.0}),
               Catch::Matchers::Contains("min_autocorrelation"));
    CHECK_THAT(message({.half_life_cycles = 0.0}), Catch::Matchers::Contains("half_life_cycles"));
    CHECK_THAT(message({.sigma = -1.0}), Catch::Matchers::Contains("sigma"));
    CHECK_THAT(message({.spread_floor = 1.5}), Catch::Matchers::Contains("spread_floor"));
    CHECK_THAT(message({.candidate_spans = {augur::Duration::zero()}}),
               Catch::Matchers::Contains("candidate_spans"));
    STATIC_REQUIRE(augur::StreamingDetector<SeasonalDetector>);
}

TEST_CASE("SeasonalDetector: the period is found by autocorrelation during learning",
          "[anomaly][seasonal]") {
    SECTION("5-minute data with a daily cycle: 288") {
        SeasonalDetector detector({.learning = 3 * 288});
        const auto v = daily(1, 3 * 288);
        for (std::size_t i = 0; i < v.size(); ++i)
            detector.observe(at5(0, i, v[i]));
        CHECK(detector.period(augur::SeriesId{0}) == 288);
        CHECK(detector.interval(augur::SeriesId{0}) == std::chrono::seconds(300));
    }
    SECTION("hourly data with a daily cycle, two weeks learned: 24 (not the weekly 168)") {
        SeasonalDetector detector({.learning = 336});
        augur::Rng rng(2);
        for (std::size_t i = 0; i < 336; ++i) {
            const double x = 10.0 * std::sin(2.0 * std::numbers::pi * double(i % 24) / 24.0) +
                             augur::normal(rng, 0.0, 1.0);
            detector.observe(
                {augur::SeriesId{0}, augur::from_epoch_seconds(3600.0 * double(i)), x});
        }
        CHECK(detector.period(augur::SeriesId{0}) == 24);
    }
    SECTION("white noise: not seasonal (period 1)") {
        SeasonalDetector detector({.learning = 3 * 288});
        const auto v = noise(3, 3 * 288);
        for (std::size_t i = 0; i < v.size(); ++i)
            detector.observe(at5(0, i, v[i]));
        CHECK(detector.period(augur::SeriesId{0}) == 1);
    }
    SECTION("a given period is used as is") {
        SeasonalDetector detector({.period = 50, .learning = 100});
        const auto v = noise(4, 100);
        for (std::size_t i = 0; i < v.size(); ++i)
            detector.observe(at5(0, i, v[i]));
        CHECK(detector.period(augur::SeriesId{0}) == 50);
    }
}

TEST_CASE("SeasonalDetector: quiet on clean seasonal data", "[anomaly][seasonal]") {
    int alarms = 0;
    for (std::uint64_t seed = 0; seed < 10; ++seed) {
        SeasonalDetector detector({.learning = 3 * 288, .sigma = 5.0});
        const auto v = daily(100 + seed, 10 * 288);
        for (std::size_t i = 0; i < v.size(); ++i)
            alarms += detector.observe(at5(0, i, v[i])).is_anomaly ? 1 : 0;
    }
    CHECK(alarms <= 2); // 70 000 scored samples
}

TEST_CASE("SeasonalDetector: an off-peak spike that a global z-score misses is caught",
          "[anomaly][seasonal]") {
    augur::SeriesRegistry registry;
    const augur::SeriesId id = registry.intern("service/api/latency_ms");
    for (std::uint64_t seed = 0; seed < 10; ++seed) {
        auto v = daily(200 + seed, 8 * 288);
        const std::size_t spike = 6 * 288 + 10; // night: the profile is at ~50
        v[spike] += 40.0;                       // 90: an ordinary daytime value
        SeasonalDetector seasonal({.learning = 3 * 288, .sigma = 5.0});
        augur::EwmaZScore global(augur::ZScoreConfig{.learning = 3 * 288},
                                 augur::EwmaBaseline{.half_life = 2000},
                                 augur::SigmaThreshold{.sigma = 5.0});
        augur::Annotator<> annotator;
        std::vector<std::size_t> flagged;
        bool global_flagged = false;
        for (std::size_t i = 0; i < v.size(); ++i) {
            const augur::Sample s{id, at5(0, i, v[i]).time, v[i]};
            const Detection d = seasonal.observe(s);
            global_flagged = global_flagged || global.observe(s).is_anomaly;
            if (!d.is_anomaly) continue;
            flagged.push_back(i);
            const auto r = annotator.annotate(s, d, registry.key(id), "seasonal");
            REQUIRE(r);
            CHECK(r->type == augur::AnomalyType::latency_spike);
            CHECK(d.expected == Approx(50.0).margin(3.0));
        }
        CHECK(flagged == std::vector<std::size_t>{spike});
        CHECK_FALSE(global_flagged);
    }
}

TEST_CASE("SeasonalDetector: irregular times keep their phase", "[anomaly][seasonal]") {
    // Drop a random 20% of the samples: phases come from the time, not the sample count.
    augur::Rng rng(5);
    auto v = daily(300, 8 * 288);
    const std::size_t spike = 6 * 288 + 20;
    v[spike] += 40.0;
    SeasonalDetector detector({.learning = 2 * 288, .sigma = 5.0});
    std::vector<std::size_t> flagged;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i != spike && augur::uniform01(rng) < 0.2) continue;
        if (detector.observe(at5(0, i, v[i])).is_anomaly) flagged.push_back(i);
    }
    CHECK(detector.period(augur::SeriesId{0}) == 288);
    CHECK(flagged == std::vector<std::size_t>{spike});
}

TEST_CASE("SeasonalDetector: a lasting change of the profile is learned within a few cycles",
          "[anomaly][seasonal]") {
    auto v = daily(400, 20 * 288);
    for (std::size_t i = 6 * 288; i < v.size(); ++i)
        v[i] += 30.0;
    SeasonalDetector detector({.learning = 3 * 288, .half_life_cycles = 2.0, .sigma = 5.0});
    std::size_t first = 0, last = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (!detector.observe(at5(0, i, v[i])).is_anomaly) continue;
        if (first == 0) first = i;
        last = i;
    }
    CHECK(first == 6 * 288);
    CHECK(last < 14 * 288);
}

TEST_CASE("SeasonalDetector: common streaming properties", "[anomaly][seasonal]") {
    STATIC_REQUIRE(augur::StreamingDetector<SeasonalDetector>);
    check_common_properties([] { return SeasonalDetector({.period = 10, .learning = 40}); }, 40);
}

TEST_CASE("SeasonalDetector (automatic period): common streaming properties",
          "[anomaly][seasonal]") {
    STATIC_REQUIRE(augur::StreamingDetector<SeasonalDetector>);
    check_common_properties([] { return SeasonalDetector({.learning = 40}); }, 40);
}
