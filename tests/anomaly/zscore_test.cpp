#include <augur/anomaly/classify.hpp>
#include <augur/anomaly/zscore.hpp>
#include <augur/core/random.hpp>
#include <augur/core/series.hpp>

#include "anomaly/zscore_test_support.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

namespace {

using augur::Detection;
using augur::EwmaBaseline;
using augur::EwmaZScore;
using augur::SigmaThreshold;
using augur::WindowBaseline;
using augur::WindowZScore;
using augur::ZScoreConfig;
using namespace augur_test;

// Naive exponentially weighted mean and variance (the recurrence of augur::Ewma).
struct NaiveEwma {
    double alpha;
    double mean = 0.0, var = 0.0;
    std::size_t n = 0;
    void push(double x) {
        if (n++ == 0) {
            mean = x;
            return;
        }
        const double d = x - mean;
        mean += alpha * d;
        var = (1 - alpha) * (var + alpha * d * d);
    }
};

} // namespace

TEST_CASE("ZScoreDetector: default policies instantiate", "[anomaly][zscore]") {
    augur::ZScoreDetector<> detector;
    static_assert(std::is_same_v<decltype(detector), EwmaZScore>);
    STATIC_REQUIRE(augur::StreamingDetector<EwmaZScore>);
    STATIC_REQUIRE(augur::StreamingDetector<WindowZScore>);
    CHECK(detector.score_threshold() == Approx(0.9973002039).epsilon(1e-9));
}

TEST_CASE("ZScoreDetector: invalid configuration throws naming the field", "[anomaly][zscore]") {
    auto field_of = [](auto make) {
        try {
            make();
        } catch (const augur::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no exception");
    };
    CHECK_THAT(field_of([] { EwmaZScore d(ZScoreConfig{.learning = 1}); }),
               Catch::Matchers::Contains("learning"));
    CHECK_THAT(field_of([] { EwmaZScore d({}, EwmaBaseline{.half_life = 0.0}); }),
               Catch::Matchers::Contains("half_life"));
    CHECK_THAT(field_of([] { WindowZScore d({}, WindowBaseline{.window = 1}); }),
               Catch::Matchers::Contains("window"));
    CHECK_THAT(field_of([] { EwmaZScore d({}, {}, SigmaThreshold{.sigma = -1.0}); }),
               Catch::Matchers::Contains("sigma"));
    CHECK_THAT(field_of([] { EwmaZScore d(ZScoreConfig{.min_spread = kNaN}); }),
               Catch::Matchers::Contains("min_spread"));
}

TEST_CASE("EwmaZScore: z and score match a naive EWMA on random data", "[anomaly][zscore]") {
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
        const auto values = noise(seed, 400, 3.0, 2.0);
        const double half_life = 10.0 + static_cast<double>(seed);
        EwmaZScore detector(ZScoreConfig{.learning = 10}, EwmaBaseline{.half_life = half_life});
        NaiveEwma naive{1.0 - std::pow(2.0, -1.0 / half_life)};
        for (std::size_t i = 0; i < values.size(); ++i) {
            const Detection d = detector.observe(at(0, i, values[i]));
            if (naive.n >= 10) {
                const double z = (values[i] - naive.mean) / std::sqrt(naive.var);
                REQUIRE(d.expected == Approx(naive.mean).epsilon(1e-12));
                REQUIRE(d.score == Approx(std::erf(std::fabs(z) / std::sqrt(2.0))).margin(1e-12));
            } else {
                REQUIRE(d.learning);
            }
            naive.push(values[i]);
        }
    }
}

TEST_CASE("WindowZScore: mean and sd match a naive window", "[anomaly][zscore]") {
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
        auto values = noise(seed, 500, 1e6, 3.0); // a large offset tests cancellation
        const std::size_t w = 20 + seed;
        WindowZScore detector(ZScoreConfig{.learning = 5}, WindowBaseline{.window = w});
        for (std::size_t i = 0; i < values.size(); ++i) {
            const Detection d = detector.observe(at(0, i, values[i]));
            if (i < 5) continue;
            const std::size_t from = i > w ? i - w : 0;
            double mean = 0.0;
            for (std::size_t k = from; k < i; ++k)
                mean += values[k];
            mean /= static_cast<double>(i - from);
            double ss = 0.0;
            for (std::size_t k = from; k < i; ++k)
                ss += (values[k] - mean) * (values[k] - mean);
            const double sd = std::sqrt(ss / static_cast<double>(i - from - 1));
            REQUIRE(d.expected == Approx(mean).epsilon(1e-12));
            const double z = (values[i] - mean) / sd;
            REQUIRE(d.score == Approx(std::erf(std::fabs(z) / std::sqrt(2.0))).margin(1e-7));
        }
    }
}

TEST_CASE("ZScoreDetector: a planted spike is flagged at its row and typed", "[anomaly][zscore]") {
    auto values = noise(42, 500, 200.0, 10.0);
    values[350] = 400.0; // +20 sd
    augur::SeriesRegistry registry;
    const augur::SeriesId id = registry.intern("agent/planner/latency_ms");
    augur::Annotator<> annotator;
    for (int kind = 0; kind < 2; ++kind) {
        EwmaZScore ewma(ZScoreConfig{.learning = 50}, EwmaBaseline{.half_life = 50},
                        SigmaThreshold{.sigma = 5.0});
        WindowZScore window(ZScoreConfig{.learning = 50}, WindowBaseline{.window = 100},
                            SigmaThreshold{.sigma = 5.0});
        std::vector<std::size_t> flagged;
        for (std::size_t i = 0; i < values.size(); ++i) {
            const augur::Sample s{id, augur::from_epoch_seconds(60.0 * double(i)), values[i]};
            const Detection d = kind == 0 ? ewma.observe(s) : window.observe(s);
            if (!d.is_anomaly) continue;
            flagged.push_back(i);
            CHECK(d.direction == augur::Direction::up);
            CHECK(d.deviation > 150.0);
            const auto result = annotator.annotate(s, d, registry.key(id), "zscore");
            REQUIRE(result);
            CHECK(result->type == augur::AnomalyType::latency_spike);
        }
        CHECK(flagged == std::vector<std::size_t>{350});
    }
}

TEST_CASE("ZScoreDetector: learn_anomalies = false keeps a spike out of the baseline",
          "[anomaly][zscore]") {
    auto values = noise(7, 300, 0.0, 1.0);
    for (std::size_t i = 200; i < 203; ++i)
        values[i] = 50.0;
    EwmaZScore learns(ZScoreConfig{.learning = 30}, EwmaBaseline{.half_life = 20});
    EwmaZScore skips(ZScoreConfig{.learning = 30, .learn_anomalies = false},
                     EwmaBaseline{.half_life = 20});
    const auto a = run(learns, values);
    const auto b = run(skips, values);
    // The skipping baseline still expects ~0 after the burst; the learning one has moved.
    CHECK(std::fabs(b[203].expected) < 1.0);
    CHECK(a[203].expected > 3.0);
    CHECK(b[201].is_anomaly);
    CHECK(b[202].is_anomaly);
    // A lasting shift is learned after max_skipped flagged values.
    auto shifted = noise(8, 400, 0.0, 1.0);
    for (std::size_t i = 200; i < shifted.size(); ++i)
        shifted[i] += 100.0;
    EwmaZScore skips2(ZScoreConfig{.learning = 30, .learn_anomalies = false, .max_skipped = 10},
                      EwmaBaseline{.half_life = 5});
    const auto c = run(skips2, shifted);
    CHECK_FALSE(c[399].is_anomaly);
    CHECK(c[399].expected > 90.0);
}

TEST_CASE("ZScoreDetector: min_spread floors the spread", "[anomaly][zscore]") {
    EwmaZScore detector(ZScoreConfig{.learning = 10, .min_spread = 1.0});
    for (std::size_t i = 0; i < 50; ++i)
        detector.observe(at(0, i, 5.0));
    const Detection d = detector.observe(at(0, 50, 6.0)); // 1 floor-sd away
    CHECK(d.score == Approx(std::erf(1.0 / std::sqrt(2.0))));
    CHECK_FALSE(d.is_anomaly);
}

TEST_CASE("EwmaZScore: common streaming properties", "[anomaly][zscore]") {
    STATIC_REQUIRE(augur::StreamingDetector<EwmaZScore>);
    check_common_properties([] { return EwmaZScore(ZScoreConfig{.learning = 30}); }, 30);
}

TEST_CASE("WindowZScore: common streaming properties", "[anomaly][zscore]") {
    STATIC_REQUIRE(augur::StreamingDetector<WindowZScore>);
    check_common_properties(
        [] { return WindowZScore(ZScoreConfig{.learning = 30}, WindowBaseline{.window = 50}); },
        30);
}

TEST_CASE("ZScoreDetector: the threshold policy scores and decides", "[anomaly][zscore]") {
    // SigmaThreshold: two-sided, score erf(|z| / sqrt 2), alarms at |z| >= sigma.
    const SigmaThreshold two{.sigma = 3.0};
    CHECK(two.judge(3.0).is_anomaly);
    CHECK(two.judge(-3.0).is_anomaly);
    CHECK_FALSE(two.judge(2.9).is_anomaly);
    CHECK(two.judge(-2.0).score == two.judge(2.0).score);
    CHECK(two.judge(std::numeric_limits<double>::infinity()).score == 1.0);
    // OneSidedThreshold: only the configured side scores and alarms.
    const augur::OneSidedThreshold up{.sigma = 3.0, .side = augur::Direction::up};
    CHECK(up.judge(4.0).is_anomaly);
    CHECK(up.judge(4.0).score == two.judge(4.0).score);
    CHECK_FALSE(up.judge(-4.0).is_anomaly);
    CHECK(up.judge(-4.0).score == 0.0);
    CHECK(up.score_threshold() == two.score_threshold());
    using UpZScore = augur::ZScoreDetector<augur::EwmaBaseline, augur::OneSidedThreshold>;
    CHECK_THROWS_AS(UpZScore({}, {}, augur::OneSidedThreshold{.side = augur::Direction::none}),
                    augur::invalid_argument);

    // In a detector: a drop is ignored by an up-only detector, a rise is flagged by both.
    EwmaZScore both({.learning = 30});
    UpZScore rises({.learning = 30}, {}, augur::OneSidedThreshold{});
    auto values = noise(7, 200);
    values[100] = 40.0;  // a drop of 12 sd
    values[150] = 160.0; // a rise of 12 sd
    const auto a = run(both, values);
    const auto b = run(rises, values);
    CHECK(a[100].is_anomaly);
    CHECK_FALSE(b[100].is_anomaly);
    CHECK(b[100].score == 0.0);
    CHECK(a[150].is_anomaly);
    CHECK(b[150].is_anomaly);
    CHECK(b[150].score == a[150].score);
}
