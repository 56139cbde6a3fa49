// Save / load of the streaming detectors: a detector saved after k samples and loaded
// continues with Detections identical to one that never stopped; corrupted archives are
// rejected; per-series memory grows with the history held.

#include <augur/anomaly/change_point.hpp>
#include <augur/anomaly/default_detector.hpp>
#include <augur/anomaly/ensemble.hpp>
#include <augur/anomaly/robust.hpp>
#include <augur/anomaly/seasonal.hpp>
#include <augur/anomaly/trend.hpp>
#include <augur/anomaly/zscore.hpp>
#include <augur/core/archive.hpp>
#include <augur/core/error.hpp>

#include "archive_support.hpp"

#include "anomaly/zscore_test_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

namespace {

using augur::Detection;
using augur::Sample;
using namespace augur_test;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Three series of n samples: noise with a spike, a seasonal series with a level shift, and a
// series that starts trending half-way; NaN and +-inf mixed in.
std::vector<Sample> mixed_samples(std::size_t n, std::size_t period = 24) {
    auto spiky = noise(11, n, 100.0, 5.0);
    spiky[n / 8] = kNaN;
    spiky[n / 2] = kInf;
    spiky[n / 2 + 3] = -kInf;
    spiky[n * 5 / 8] = 200.0;
    spiky[n * 3 / 4] = kNaN;
    auto seasonal = noise(12, n, 0.0, 1.0);
    for (std::size_t i = 0; i < n; ++i) {
        seasonal[i] += 50.0 + 10.0 * std::sin(2.0 * std::numbers::pi * static_cast<double>(i) /
                                              static_cast<double>(period));
        if (i >= n * 7 / 10) seasonal[i] += 25.0;
    }
    seasonal[n * 3 / 10] = kNaN;
    auto trending = noise(13, n, 10.0, 1.0);
    for (std::size_t i = n / 2; i < n; ++i)
        trending[i] += 0.2 * static_cast<double>(i - n / 2);
    trending[n * 6 / 10] = kInf;
    return interleave({spiky, seasonal, trending});
}

// `same` for check_corruption: a model equals the original when it saves the same bytes.
template <class D>
std::function<bool(const D&)> saves(const std::string& bytes) {
    return [bytes](const D& loaded) { return saved_bytes(loaded) == bytes; };
}

// A small detector of each type fed a short history on two series, then the corruption sweep.
template <class D>
void check_small_corruption(D detector, std::size_t samples_per_series) {
    std::vector<std::vector<double>> series = {noise(21, samples_per_series, 5.0, 1.0),
                                               noise(22, samples_per_series / 2, -3.0, 2.0)};
    series[0][1] = kNaN;
    series[0][samples_per_series - 1] = 40.0;
    for (const Sample& s : interleave(series))
        (void)detector.observe(s);
    const std::string bytes = saved_bytes(detector);
    const CorruptionCounts counts = check_corruption<D>(bytes, saves<D>(bytes));
    CHECK(counts.rejected >= bytes.size());
}

template <class D>
std::string archive_of(const std::function<void(augur::ArchiveWriter&)>& fill,
                       const std::string& tag) {
    std::ostringstream out(std::ios::binary);
    augur::write_archive(out, tag, 1, fill);
    return std::move(out).str();
}

} // namespace

TEST_CASE("ZScoreDetector: save, load and continue gives identical detections",
          "[anomaly][zscore][archive]") {
    const auto samples = mixed_samples(480);
    SECTION("EwmaZScore") {
        check_resume<augur::EwmaZScore>([] { return augur::EwmaZScore({.learning = 40}); }, samples,
                                        {100, 700});
    }
    SECTION("WindowZScore, anomalies not learned") {
        check_resume<augur::WindowZScore>(
            [] {
                return augur::WindowZScore(
                    {.learning = 40, .learn_anomalies = false, .max_skipped = 3},
                    augur::WindowBaseline{.window = 60});
            },
            samples, {100, 700});
    }
    SECTION("one-sided threshold") {
        using D = augur::ZScoreDetector<augur::EwmaBaseline, augur::OneSidedThreshold>;
        check_resume<D>(
            [] {
                return D({.learning = 40}, augur::EwmaBaseline{.half_life = 20},
                         augur::OneSidedThreshold{.sigma = 3.0, .side = augur::Direction::up});
            },
            samples);
    }
    CHECK(augur::EwmaZScore::archive_tag() == "augur.ZScoreDetector<ewma,sigma>");
    CHECK(augur::WindowZScore::archive_tag() == "augur.ZScoreDetector<window,sigma>");
}

TEST_CASE("RobustDetector: save, load and continue gives identical detections",
          "[anomaly][robust][archive]") {
    const auto samples = mixed_samples(480);
    SECTION("half-IQR MAD") {
        check_resume<augur::RobustDetector>(
            [] { return augur::RobustDetector({.window = 60, .learning = 30}); }, samples,
            {50, 400});
    }
    SECTION("exact MAD") {
        check_resume<augur::RobustDetector>(
            [] { return augur::RobustDetector({.window = 50, .learning = 20, .exact_mad = true}); },
            samples);
    }
}

TEST_CASE("SeasonalDetector: save, load and continue gives identical detections",
          "[anomaly][seasonal][archive]") {
    const auto samples = mixed_samples(480);
    SECTION("given period") {
        check_resume<augur::SeasonalDetector>(
            [] { return augur::SeasonalDetector({.period = 24, .learning = 96}); }, samples,
            {200, 287, 288, 289});
    }
    SECTION("period found while learning") {
        check_resume<augur::SeasonalDetector>(
            [] {
                return augur::SeasonalDetector(
                    {.learning = 120,
                     .candidate_spans = {std::chrono::minutes(24), std::chrono::hours(1)}});
            },
            samples, {359, 360, 361});
    }
}

TEST_CASE("LevelShiftDetector and Cusum: save, load and continue gives identical results",
          "[anomaly][change_point][archive]") {
    const auto samples = mixed_samples(480);
    check_resume<augur::LevelShiftDetector>(
        [] { return augur::LevelShiftDetector({.threshold = 4.0, .warmup = 30}); }, samples,
        {60, 500});

    augur::Cusum cusum({.warmup = 10});
    const auto values = noise(3, 200, 0.0, 1.0);
    for (std::size_t i = 0; i < 50; ++i)
        (void)cusum.update(values[i] + (i > 30 ? 3.0 : 0.0));
    const std::string bytes = saved_bytes(cusum);
    auto loaded = load_bytes<augur::Cusum>(bytes);
    for (std::size_t i = 50; i < values.size(); ++i) {
        const auto a = cusum.update(values[i]);
        const auto b = loaded.update(values[i]);
        REQUIRE(a.detected == b.detected);
        REQUIRE(a.statistic == b.statistic);
        REQUIRE(a.direction == b.direction);
        REQUIRE(a.run_length == b.run_length);
        REQUIRE(a.change_age == b.change_age);
    }
}

TEST_CASE("TrendDetector: save, load and continue gives identical detections",
          "[anomaly][trend][archive]") {
    const auto samples = mixed_samples(480);
    SECTION("default window") {
        check_resume<augur::TrendDetector>([] { return augur::TrendDetector{}; }, samples,
                                           {150, 299, 300, 301, 900});
    }
    SECTION("seasonal Mann-Kendall, frequent refits") {
        check_resume<augur::TrendDetector>(
            [] {
                return augur::TrendDetector(
                    {.window = 48, .learning = 48, .period = 4, .slope_stride = 5});
            },
            samples, {1000, 1001, 1002});
    }
}

TEST_CASE("Ensemble: save, load and continue gives identical detections",
          "[anomaly][ensemble][archive]") {
    const auto samples = mixed_samples(480);
    SECTION("MeanRank over three members") {
        using E = augur::Ensemble<augur::MeanRank, augur::EwmaZScore, augur::LevelShiftDetector,
                                  augur::TrendDetector>;
        check_resume<E>(
            [] {
                return E(augur::MeanRank{.history = 50, .min_history = 10, .threshold = 0.9},
                         augur::EwmaZScore({.learning = 40}), augur::LevelShiftDetector{},
                         augur::TrendDetector{});
            },
            samples);
        CHECK(E::archive_tag() == "augur.Ensemble<mean_rank,3>");
    }
    SECTION("MeanScore, nested ensemble") {
        using Inner = augur::Ensemble<augur::Vote, augur::RobustDetector, augur::WindowZScore>;
        using E = augur::Ensemble<augur::MeanScore, Inner, augur::SeasonalDetector>;
        check_resume<E>(
            [] {
                return E(augur::MeanScore{},
                         Inner(augur::Vote{1}, augur::RobustDetector({.window = 40}),
                               augur::WindowZScore({.learning = 20})),
                         augur::SeasonalDetector({.period = 24, .learning = 96}));
            },
            samples);
    }
}

TEST_CASE("Streaming detectors: corrupted archives are rejected",
          "[anomaly][archive][corruption]") {
    SECTION("EwmaZScore") {
        check_small_corruption(augur::EwmaZScore({.learning = 4}), 10);
    }
    SECTION("WindowZScore") {
        check_small_corruption(
            augur::WindowZScore({.learning = 3}, augur::WindowBaseline{.window = 4}), 10);
    }
    SECTION("RobustDetector") {
        check_small_corruption(augur::RobustDetector({.window = 5, .learning = 3}), 10);
    }
    SECTION("SeasonalDetector") {
        check_small_corruption(augur::SeasonalDetector({.period = 2, .learning = 8}), 12);
    }
    SECTION("LevelShiftDetector") {
        check_small_corruption(augur::LevelShiftDetector({.warmup = 3}), 10);
    }
    SECTION("TrendDetector") {
        check_small_corruption(augur::TrendDetector({.window = 8, .learning = 8}), 12);
    }
    SECTION("Ensemble") {
        using E = augur::Ensemble<augur::MeanRank, augur::EwmaZScore, augur::LevelShiftDetector>;
        check_small_corruption(E(augur::MeanRank{.history = 3, .min_history = 1},
                                 augur::EwmaZScore({.learning = 3}),
                                 augur::LevelShiftDetector({.warmup = 3})),
                               8);
    }
}

TEST_CASE("Streaming detectors: archives that do not fit are data errors", "[anomaly][archive]") {
    augur::RobustDetector robust({.window = 10, .learning = 5});
    (void)robust.observe(at(0, 0, 1.0));
    const std::string robust_bytes = saved_bytes(robust);
    // The wrong type.
    CHECK_THROWS_AS(load_bytes<augur::EwmaZScore>(robust_bytes), augur::data_error);
    CHECK_THROWS_AS(load_bytes<augur::WindowZScore>(saved_bytes(augur::EwmaZScore{})),
                    augur::data_error);
    // A saved configuration that does not validate.
    const std::string bad_config = archive_of<augur::EwmaZScore>(
        [](augur::ArchiveWriter& w) {
            w(augur::ZScoreConfig{.learning = 1}, augur::EwmaBaseline{}, augur::SigmaThreshold{},
              augur::PerSeries<augur::EwmaZScore::State>{});
        },
        augur::EwmaZScore::archive_tag());
    CHECK_THROWS_WITH(load_bytes<augur::EwmaZScore>(bad_config),
                      Catch::Contains("configuration rejected") && Catch::Contains("learning"));
    // A series' window of another size than the configuration's.
    augur::WindowZScore other({}, augur::WindowBaseline{.window = 5});
    (void)other.observe(at(0, 0, 1.0));
    const auto* state = other.state(augur::SeriesId{0});
    REQUIRE(state != nullptr);
    augur::PerSeries<augur::WindowZScore::State> states(*state);
    states[augur::SeriesId{0}] = *state;
    const std::string bad_state = archive_of<augur::WindowZScore>(
        [&](augur::ArchiveWriter& w) {
            w(augur::ZScoreConfig{}, augur::WindowBaseline{.window = 6}, augur::SigmaThreshold{},
              states);
        },
        augur::WindowZScore::archive_tag());
    CHECK_THROWS_WITH(load_bytes<augur::WindowZScore>(bad_state), Catch::Contains("does not fit"));
}

TEST_CASE("Streaming detectors: a series' memory grows with its history", "[anomaly][memory]") {
    auto bytes_after = [](auto detector, std::size_t n) {
        const auto values = noise(5, n);
        for (std::size_t i = 0; i < n; ++i)
            (void)detector.observe(at(0, i, values[i]));
        return detector.series_bytes(augur::SeriesId{0});
    };
    CHECK(bytes_after(augur::EwmaZScore{}, 0) == 0);
    CHECK(bytes_after(augur::EwmaZScore{}, 1) == bytes_after(augur::EwmaZScore{}, 1000));
    CHECK(bytes_after(augur::WindowZScore{}, 1) < bytes_after(augur::WindowZScore{}, 100));
    CHECK(bytes_after(augur::WindowZScore{}, 100) == bytes_after(augur::WindowZScore{}, 1000));
    CHECK(bytes_after(augur::RobustDetector{}, 1) * 4 < bytes_after(augur::RobustDetector{}, 100));
    CHECK(bytes_after(augur::RobustDetector{}, 100) == bytes_after(augur::RobustDetector{}, 1000));
    CHECK(bytes_after(augur::SeasonalDetector{}, 1) * 100 <
          bytes_after(augur::SeasonalDetector{}, 2015));
    CHECK(bytes_after(augur::LevelShiftDetector{}, 1) == sizeof(augur::Cusum));
}

// Prints the per-series bytes of each detector with its default configuration (run with the
// tag [.memory_table] to read the numbers documented in the headers).
TEST_CASE("Streaming detectors: bytes per series stay small for short series and never shrink "
          "with history (the table in docs/anomaly.md)",
          "[anomaly][memory]") {
    auto bytes_after = [](auto detector, std::size_t n, bool seasonal = false) {
        for (std::size_t i = 0; i < n; ++i) {
            const double x =
                seasonal ? 10.0 * std::sin(2.0 * std::numbers::pi * static_cast<double>(i) / 288)
                         : 1.0 + 0.001 * static_cast<double>(i % 7);
            (void)detector.observe(
                {augur::SeriesId{0}, augur::from_epoch_seconds(300.0 * static_cast<double>(i)), x});
        }
        return detector.series_bytes(augur::SeriesId{0});
    };
    // A series that has seen 10 samples costs at most 8 KB with any detector (most are far
    // below); a longer history never costs less.
    auto row = [&](const char* name, auto make, std::size_t full, bool seasonal = false) {
        const std::size_t one = bytes_after(make(), 1, seasonal);
        const std::size_t ten = bytes_after(make(), 10, seasonal);
        const std::size_t all = bytes_after(make(), full, seasonal);
        INFO(name << ": " << one << " / " << ten << " / " << all << " bytes after 1 / 10 / " << full
                  << " samples");
        CHECK(one > 0);
        CHECK(one <= ten);
        CHECK(ten <= all);
        CHECK(ten <= 8 * 1024);
    };
    row(
        "EwmaZScore", [] { return augur::EwmaZScore{}; }, 1000);
    row(
        "WindowZScore", [] { return augur::WindowZScore{}; }, 100);
    row(
        "RobustDetector", [] { return augur::RobustDetector{}; }, 100);
    row(
        "RobustDetector exact_mad", [] { return augur::RobustDetector({.exact_mad = true}); }, 100);
    row(
        "SeasonalDetector (learning)", [] { return augur::SeasonalDetector{}; }, 2015, true);
    row(
        "SeasonalDetector (learned)", [] { return augur::SeasonalDetector{}; }, 2016, true);
    row(
        "LevelShiftDetector", [] { return augur::LevelShiftDetector{}; }, 1000);
    row(
        "TrendDetector", [] { return augur::TrendDetector{}; }, 100);
    row(
        "Ensemble<MeanRank,Ewma,LS>",
        [] {
            return augur::Ensemble<augur::MeanRank, augur::EwmaZScore, augur::LevelShiftDetector>{};
        },
        200);
    row(
        "DefaultDetector", [] { return augur::DefaultDetector{}; }, 3000);
}
