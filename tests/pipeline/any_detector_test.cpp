// Tests of augur/pipeline/any_detector.hpp: building by name, option validation, the
// threshold override, copying, and saving / loading every detector that supports it.

#include <catch2/catch.hpp>

#include <augur/core/error.hpp>
#include <augur/core/random.hpp>
#include <augur/pipeline/any_detector.hpp>

#include "archive_support.hpp"

#include <chrono>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

namespace {

/// Two interleaved series of noise with a spike each, 5-minute steps.
std::vector<augur::Sample> two_series(std::size_t n, std::uint64_t seed = 7) {
    augur::Rng rng(seed);
    std::vector<augur::Sample> samples;
    const augur::Timestamp t0 = augur::from_epoch_seconds(1.4e9);
    for (std::size_t i = 0; i < n; ++i) {
        const augur::Timestamp t = t0 + std::chrono::minutes(5 * i);
        const double a = i == n * 3 / 4 ? 500.0 : augur::normal(rng, 100.0, 5.0);
        const double b =
            i == n * 4 / 5 ? -50.0
                           : 10.0 + 3.0 * std::sin(0.1 * double(i)) + augur::normal(rng, 0.0, 0.5);
        samples.push_back({augur::SeriesId(0), t, a});
        samples.push_back({augur::SeriesId(1), t, b});
    }
    return samples;
}

/// Options that make every detector learn within the test data.
augur::DetectorOptions small_options(std::string_view name) {
    augur::DetectorOptions o;
    if (name == "default") o.learning = 100;
    if (name == "seasonal") o.learning = 200;
    if (name == "trend") o.window = 64;
    return o;
}

bool same_detection(const augur::Detection& a, const augur::Detection& b) {
    auto same = [](double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); };
    return a.score == b.score && a.is_anomaly == b.is_anomaly && a.learning == b.learning &&
           same(a.expected, b.expected) && same(a.deviation, b.deviation) &&
           a.threshold == b.threshold && a.shape == b.shape && a.direction == b.direction;
}

} // namespace

TEST_CASE("make_detector builds every named detector", "[pipeline][any_detector]") {
    const auto samples = two_series(600);
    for (std::string_view name : augur::detector_names) {
        INFO(name);
        augur::AnyDetector d = augur::make_detector(name, small_options(name));
        CHECK(d.name() == name);
        CHECK_FALSE(d.threshold());
        std::size_t scored = 0;
        for (const augur::Sample& s : samples) {
            const augur::Detection r = d.observe(s);
            CHECK(r.score >= 0.0);
            CHECK(r.score <= 1.0);
            scored += r.learning ? 0 : 1;
        }
        CHECK(scored > 0);
        d.reset();
        CHECK(d.observe(samples[0]).learning);
    }
}

TEST_CASE("AnyDetector gives the wrapped detector's detections", "[pipeline][any_detector]") {
    const auto samples = two_series(400);
    augur::AnyDetector any = augur::make_detector("ewma", {.learning = 20, .half_life = 30.0});
    augur::EwmaZScore plain({.learning = 20}, augur::EwmaBaseline{.half_life = 30.0});
    REQUIRE(any.get<augur::EwmaZScore>() != nullptr);
    CHECK(any.get<augur::WindowZScore>() == nullptr);
    for (const augur::Sample& s : samples)
        REQUIRE(same_detection(any.observe(s), plain.observe(s)));
}

TEST_CASE("make_detector: the option semantics of augur detect", "[pipeline][any_detector]") {
    SECTION("default: learning, threshold and refractory reach the config") {
        const auto d =
            augur::make_detector("default", {.threshold = 0.99, .learning = 42, .refractory = 7});
        const auto* inner = d.get<augur::DefaultDetector>();
        REQUIRE(inner != nullptr);
        CHECK(inner->config().learning == 42);
        CHECK(inner->config().threshold == 0.99);
        CHECK(inner->config().refractory == 7);
        CHECK(d.threshold() == 0.99);
    }
    SECTION("default without learning: the config's default") {
        const auto d = augur::make_detector("default");
        CHECK(d.get<augur::DefaultDetector>()->config().learning ==
              augur::DefaultDetectorConfig{}.learning);
    }
    SECTION("robust: learning at most the window") {
        const auto d = augur::make_detector("robust", {.window = 10});
        CHECK(d.get<augur::RobustDetector>()->config().learning == 10);
    }
    SECTION("cusum: learning is the warm-up, sigma the threshold h") {
        const auto d = augur::make_detector("cusum", {.learning = 40, .sigma = 8.0, .drift = 1.0});
        const auto& c = d.get<augur::LevelShiftDetector>()->config();
        CHECK(c.warmup == 40);
        CHECK(c.threshold == 8.0);
        CHECK(c.drift == 1.0);
    }
    SECTION("zscore: window and sigma") {
        const auto d = augur::make_detector("zscore", {.window = 50, .sigma = 4.0});
        const auto* z = d.get<augur::WindowZScore>();
        CHECK(z->baseline().window == 50);
        CHECK(z->threshold().sigma == 4.0);
    }
}

TEST_CASE("make_detector rejects what does not apply", "[pipeline][any_detector]") {
    using Catch::Matchers::Contains;
    CHECK_THROWS_AS(augur::make_detector("nope"), augur::invalid_argument);
    CHECK_THROWS_WITH(augur::make_detector("nope"), Contains("unknown detector 'nope'"));
    CHECK_THROWS_WITH(augur::make_detector("zscore", {.period = 3}),
                      Contains("period") && Contains("zscore"));
    CHECK_THROWS_WITH(augur::make_detector("default", {.window = 10}), Contains("window"));
    CHECK_THROWS_WITH(augur::make_detector("ewma", {.window = 10}), Contains("window"));
    CHECK_THROWS_WITH(augur::make_detector("trend", {.sigma = 3.0}), Contains("sigma"));
    CHECK_THROWS_WITH(augur::make_detector("robust", {.half_life = 3.0}), Contains("half_life"));
    CHECK_THROWS_WITH(augur::make_detector("seasonal", {.drift = 1.0}), Contains("drift"));
    CHECK_THROWS_WITH(augur::make_detector("cusum", {.significance = 0.1}),
                      Contains("significance"));
    CHECK_THROWS_WITH(augur::make_detector("zscore", {.refractory = 1}), Contains("refractory"));
    // Values the detector's config rejects.
    CHECK_THROWS_AS(augur::make_detector("ewma", {.half_life = -1.0}), augur::invalid_argument);
    CHECK_THROWS_AS(augur::make_detector("robust", {.window = 2}), augur::invalid_argument);
    CHECK_THROWS_AS(augur::make_detector("default", {.learning = 5}), augur::invalid_argument);
    for (const double t : {0.0, 1.5, -0.1, std::nan("")}) {
        INFO(t);
        CHECK_THROWS_AS(augur::make_detector("ewma", {.threshold = t}), augur::invalid_argument);
    }
    CHECK_NOTHROW(augur::make_detector("ewma", {.threshold = 1.0}));
}

TEST_CASE("AnyDetector: a threshold overrides the detector's rule once learned",
          "[pipeline][any_detector]") {
    const auto samples = two_series(300);
    augur::AnyDetector plain = augur::make_detector("ewma", {.learning = 20});
    augur::AnyDetector strict = augur::make_detector("ewma", {.threshold = 0.5, .learning = 20});
    std::size_t differ = 0;
    for (const augur::Sample& s : samples) {
        const augur::Detection a = plain.observe(s);
        const augur::Detection b = strict.observe(s);
        REQUIRE(a.score == b.score);
        if (b.learning)
            REQUIRE(b.is_anomaly == a.is_anomaly);
        else
            REQUIRE(b.is_anomaly == (b.score >= 0.5));
        differ += a.is_anomaly != b.is_anomaly ? 1 : 0;
    }
    CHECK(differ > 0);
}

TEST_CASE("AnyDetector copies are independent", "[pipeline][any_detector]") {
    const auto samples = two_series(200);
    augur::AnyDetector a = augur::make_detector("zscore", {.learning = 10, .window = 20});
    for (std::size_t i = 0; i < 100; ++i)
        a.observe(samples[i]);
    augur::AnyDetector b = a;
    augur::AnyDetector c = augur::make_detector("cusum");
    c = b;
    CHECK(c.name() == "zscore");
    for (std::size_t i = 100; i < samples.size(); ++i) {
        const augur::Detection da = a.observe(samples[i]);
        REQUIRE(same_detection(da, b.observe(samples[i])));
        REQUIRE(same_detection(da, c.observe(samples[i])));
    }
}

TEST_CASE("AnyDetector save/load continues where it stopped, for every detector that saves",
          "[pipeline][any_detector]") {
    const auto samples = two_series(500);
    const std::size_t half = samples.size() / 2 + 1; // mid-row: series 0 is one sample ahead
    std::vector<std::string> saveable;
    for (std::string_view name : augur::detector_names) {
        INFO(name);
        augur::DetectorOptions options = small_options(name);
        options.threshold = 0.9;
        augur::AnyDetector whole = augur::make_detector(name, options);
        augur::AnyDetector first = augur::make_detector(name, options);
        for (std::size_t i = 0; i < half; ++i)
            REQUIRE(same_detection(whole.observe(samples[i]), first.observe(samples[i])));
        if (!first.can_save()) {
            std::ostringstream out;
            CHECK_THROWS_AS(first.save(out), augur::error);
            CHECK_THROWS_WITH(first.save(out),
                              "detector " + std::string(name) + " cannot be saved yet");
            continue;
        }
        saveable.emplace_back(name);
        const std::string bytes = augur_test::saved_bytes(first);
        augur::AnyDetector second = augur_test::load_bytes<augur::AnyDetector>(bytes);
        CHECK(second.name() == name);
        CHECK(second.threshold() == 0.9);
        for (std::size_t i = half; i < samples.size(); ++i)
            REQUIRE(same_detection(whole.observe(samples[i]), second.observe(samples[i])));
        // Saving the loaded detector again gives the same bytes as saving the original would.
        augur::AnyDetector again = augur_test::load_bytes<augur::AnyDetector>(bytes);
        CHECK(augur_test::saved_bytes(again) == bytes);
    }
    WARN("detectors that save and load through AnyDetector: " << saveable.size() << " of "
                                                              << augur::detector_names.size());
}

TEST_CASE("AnyDetector::load rejects corrupted and foreign archives", "[pipeline][any_detector]") {
    using Catch::Matchers::Contains;
    SECTION("not an archive, an empty stream, another type") {
        std::istringstream junk("this is not an archive at all, not even close");
        CHECK_THROWS_AS(augur::AnyDetector::load(junk), augur::data_error);
        std::istringstream empty;
        CHECK_THROWS_AS(augur::AnyDetector::load(empty), augur::data_error);
        std::ostringstream other(std::ios::binary);
        augur::write_archive(other, "augur.Other", 1, [](augur::ArchiveWriter& w) { w(1.0); });
        std::istringstream in(other.str(), std::ios::binary);
        CHECK_THROWS_WITH(augur::AnyDetector::load(in), Contains("augur.Other"));
    }
    SECTION("an unknown detector name, a bad threshold") {
        std::ostringstream out(std::ios::binary);
        augur::write_archive(out, augur::AnyDetector::archive_type, 1, [](augur::ArchiveWriter& w) {
            w(std::string("nope"), std::optional<double>(), std::string());
        });
        std::istringstream in(out.str(), std::ios::binary);
        CHECK_THROWS_WITH(augur::AnyDetector::load(in), Contains("unknown detector 'nope'"));
        std::ostringstream bad(std::ios::binary);
        augur::write_archive(bad, augur::AnyDetector::archive_type, 1, [](augur::ArchiveWriter& w) {
            w(std::string("ewma"), std::optional<double>(2.0), std::string());
        });
        std::istringstream bad_in(bad.str(), std::ios::binary);
        CHECK_THROWS_WITH(augur::AnyDetector::load(bad_in), Contains("threshold"));
    }
    SECTION("every flipped byte and every truncation of a saved detector") {
        for (std::string_view name : augur::detector_names) {
            augur::AnyDetector d = augur::make_detector(name, small_options(name));
            if (!d.can_save()) continue;
            INFO(name);
            const auto samples = two_series(40);
            for (const augur::Sample& s : samples)
                d.observe(s);
            const std::string bytes = augur_test::saved_bytes(d);
            const auto counts = augur_test::check_corruption<augur::AnyDetector>(
                bytes, [&](const augur::AnyDetector& loaded) {
                    return augur_test::saved_bytes(loaded) == bytes;
                });
            CHECK(counts.rejected > 0);
        }
    }
}
