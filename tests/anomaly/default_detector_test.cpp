#include <augur/anomaly/classify.hpp>
#include <augur/anomaly/default_detector.hpp>
#include <augur/core/input_policy.hpp>
#include <augur/core/io/sample_reader.hpp>
#include <augur/core/io/timestamp.hpp>
#include <augur/core/random.hpp>
#include <augur/core/series.hpp>

#include "anomaly/zscore_test_support.hpp"
#include "archive_support.hpp"
#include "shared_data.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <numbers>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

using augur::DefaultDetector;
using augur::DefaultDetectorConfig;
using augur::DefaultEvidence;
using augur::Detection;
using namespace augur_test;

augur::Sample at5(std::uint32_t series, std::size_t i, double value) {
    return {augur::SeriesId{series},
            augur::from_epoch_seconds(1.4e9 + 300.0 * static_cast<double>(i)), value};
}

std::vector<std::size_t> alarms_of(DefaultDetector& detector, const std::vector<double>& v) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < v.size(); ++i)
        if (detector.observe(at5(0, i, v[i])).is_anomaly) out.push_back(i);
    return out;
}

DefaultDetectorConfig small_config() {
    DefaultDetectorConfig c;
    c.learning = 50;
    c.history = 200;
    c.calibration = 500;
    return c;
}

// ---- NAB scoring (standard and the two other profiles) at a fixed threshold --------------
// Lavin & Ahmad 2015: rows of the first 15% (at most 750) are probationary; the earliest
// detection in a window scores tp * sig(-(r - i + 1) / w) / sig(-1); a detection outside every
// window scores fp * sig((i - r') / (w' - 1)) after the last window (r', w') that ended before
// it, or -fp; a missed window -fn; normalized 100 * (raw - null) / (perfect - null).

double nab_sigmoid(double y) {
    return y > 3.0 ? -1.0 : 2.0 / (1.0 + std::exp(5.0 * y)) - 1.0;
}

struct NabFile {
    std::vector<double> scores;
    std::vector<std::pair<std::size_t, std::size_t>> windows;
};

struct NabProfile {
    double tp, fn, fp;
};

double nab_score(const std::vector<NabFile>& files, double threshold, NabProfile c) {
    double raw = 0.0, null = 0.0, perfect = 0.0;
    for (const NabFile& f : files) {
        const std::size_t n = f.scores.size();
        const std::size_t probation = std::min<std::size_t>(n * 15 / 100, 750);
        std::vector<double> best(f.windows.size(), -c.fn);
        std::size_t k = 0;
        std::optional<std::pair<std::size_t, std::size_t>> previous;
        for (std::size_t i = 0; i < n; ++i) {
            while (k < f.windows.size() && f.windows[k].second < i)
                previous = f.windows[k++];
            if (i < probation || f.scores[i] < threshold) continue;
            if (k < f.windows.size() && f.windows[k].first <= i) {
                const double w = double(f.windows[k].second - f.windows[k].first + 1);
                const double v = c.tp * nab_sigmoid(-double(f.windows[k].second - i + 1) / w) /
                                 nab_sigmoid(-1.0);
                best[k] = std::max(best[k], v);
            } else if (previous && previous->second > previous->first) {
                const double w = double(previous->second - previous->first + 1);
                raw += c.fp * nab_sigmoid(double(i - previous->second) / (w - 1.0));
            } else {
                raw -= c.fp;
            }
        }
        for (std::size_t w = 0; w < f.windows.size(); ++w) {
            perfect += c.tp;
            if (f.windows[w].second < probation) continue; // not scored
            null -= c.fn;
            raw += best[w];
        }
    }
    return 100.0 * (raw - null) / (perfect - null);
}

augur::Timestamp window_time(std::string text) {
    if (const auto dot = text.find('.'); dot != std::string::npos) text.resize(dot);
    const auto t = augur::io::parse_timestamp(text);
    REQUIRE(t);
    return *t;
}

} // namespace

TEST_CASE("DefaultDetector: invalid configuration throws naming the field",
          "[anomaly][default_detector]") {
    auto message = [](auto change) {
        DefaultDetectorConfig c;
        change(c);
        try {
            DefaultDetector d(c);
        } catch (const augur::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no exception");
    };
    using C = DefaultDetectorConfig;
    CHECK_THAT(message([](C& c) { c.learning = 5; }), Catch::Matchers::Contains("learning"));
    CHECK_THAT(message([](C& c) { c.history = 1; }), Catch::Matchers::Contains("history"));
    CHECK_THAT(message([](C& c) { c.calibration = 10; }), Catch::Matchers::Contains("calibration"));
    CHECK_THAT(message([](C& c) { c.value_bins = 2; }), Catch::Matchers::Contains("value_bins"));
    CHECK_THAT(message([](C& c) { c.rate_window = 0; }), Catch::Matchers::Contains("rate_window"));
    CHECK_THAT(message([](C& c) { c.suppression = 2.0; }),
               Catch::Matchers::Contains("suppression"));
    CHECK_THAT(message([](C& c) { c.threshold = 0.0; }), Catch::Matchers::Contains("threshold"));
    CHECK_THAT(message([](C& c) { c.season_half_life = -1.0; }),
               Catch::Matchers::Contains("season_half_life"));
    CHECK_THAT(message([](C& c) { c.refresh = 0; }), Catch::Matchers::Contains("refresh"));
    CHECK(message([](C&) {}) == "no exception");
    STATIC_REQUIRE(augur::StreamingDetector<DefaultDetector>);
}

TEST_CASE("DefaultDetector: common streaming properties", "[anomaly][default_detector]") {
    STATIC_REQUIRE(augur::StreamingDetector<DefaultDetector>);
    check_common_properties([] { return DefaultDetector(small_config()); }, 50);
}

TEST_CASE("DefaultDetector: a planted spike is flagged at its row and typed",
          "[anomaly][default_detector]") {
    augur::SeriesRegistry registry;
    const augur::SeriesId id = registry.intern("agent/planner/latency_ms");
    DefaultDetectorConfig config;
    config.refractory = 0; // an earlier false alarm must not damp the spike
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
        auto v = noise(seed, 3000, 200.0, 10.0);
        v[2000] = 400.0;
        DefaultDetector detector(config); // learning 500
        augur::Annotator<> annotator;
        for (std::size_t i = 0; i < v.size(); ++i) {
            const augur::Sample s{id, at5(0, i, v[i]).time, v[i]};
            DefaultEvidence evidence;
            const Detection d = detector.observe(s, evidence);
            REQUIRE(d.learning == (i < 500));
            if (i != 2000) {
                annotator.annotate(s, d, registry.key(id), "default");
                continue;
            }
            CHECK(d.is_anomaly);
            CHECK(d.score > 0.9999);
            CHECK(evidence.strongest == DefaultEvidence::spike);
            CHECK(d.shape == augur::Shape::spike);
            CHECK(d.direction == augur::Direction::up);
            CHECK(d.expected == Approx(200.0).margin(3.0));
            const auto r = annotator.annotate(s, d, registry.key(id), "default");
            REQUIRE(r);
            CHECK(r->type == augur::AnomalyType::latency_spike);
        }
    }
}

TEST_CASE("DefaultDetector: a level shift raises one alarm at its onset",
          "[anomaly][default_detector]") {
    int onsets = 0;
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
        auto v = noise(100 + seed, 3000, 50.0, 2.0);
        for (std::size_t i = 1500; i < 1800; ++i)
            v[i] -= 25.0; // a 300-sample outage
        DefaultDetector detector;
        std::vector<std::size_t> alarms;
        for (std::size_t i = 0; i < v.size(); ++i) {
            DefaultEvidence e;
            const Detection d = detector.observe(at5(0, i, v[i]), e);
            if (d.is_anomaly) alarms.push_back(i);
            if (i == 1500) {
                // The evidence is overwhelming at the first sample of the shift; the alarm is
                // raised there unless an earlier (false) alarm's refractory period covers it.
                const double p = *std::min_element(e.probability.begin(), e.probability.end());
                CHECK(p < 1e-9);
                CHECK(d.is_anomaly == !e.suppressed);
                onsets += d.is_anomaly ? 1 : 0;
            }
        }
        const auto in_incident = std::count_if(alarms.begin(), alarms.end(),
                                               [](std::size_t i) { return i >= 1500 && i < 1800; });
        CHECK(in_incident <= 1); // one incident, at most one alarm
    }
    CHECK(onsets >= 14); // measured: 14 of 20 (the others damped by an earlier false alarm)
}

TEST_CASE("DefaultDetector: a leak (0.04 sd per sample) is found within 150 samples",
          "[anomaly][default_detector]") {
    for (std::uint64_t seed = 0; seed < 10; ++seed) {
        auto v = noise(200 + seed, 4000, 1000.0, 5.0);
        for (std::size_t i = 2000; i < v.size(); ++i)
            v[i] += 0.2 * double(i - 2000);
        DefaultDetectorConfig config;
        config.refractory = 0; // an earlier false alarm must not damp the onset
        DefaultDetector detector(config);
        const auto alarms = alarms_of(detector, v);
        const auto first =
            std::find_if(alarms.begin(), alarms.end(), [](std::size_t i) { return i >= 2000; });
        REQUIRE(first != alarms.end());
        CHECK(*first < 2000 + 150); // 30 units = 6 sd of drift (measured: 20-41 samples)
    }
}

TEST_CASE("DefaultDetector: a missing daily peak is flagged on the day it is missing",
          "[anomaly][default_detector]") {
    // 5-minute data, a busy day-time plateau every day except day 8.
    for (std::uint64_t seed = 0; seed < 5; ++seed) {
        augur::Rng rng(300 + seed);
        std::vector<double> v(12 * 288);
        for (std::size_t i = 0; i < v.size(); ++i) {
            const std::size_t day = i / 288, minute = i % 288;
            const bool busy = minute >= 96 && minute < 216 && day != 8;
            v[i] = (busy ? 80.0 : 20.0) + augur::normal(rng, 0.0, 2.0);
        }
        DefaultDetectorConfig config;
        config.learning = 600; // two days: the daily cycle is found
        DefaultDetector detector(config);
        const auto alarms = alarms_of(detector, v);
        CHECK(detector.period(augur::SeriesId{0}) == 288);
        const auto hit = std::find_if(alarms.begin(), alarms.end(), [](std::size_t i) {
            return i >= 8 * 288 + 96 && i < 8 * 288 + 216;
        });
        CHECK(hit != alarms.end());
    }
}

TEST_CASE("DefaultDetector: few false alarms on clean data", "[anomaly][default_detector]") {
    // White noise, a random walk and a noisy daily cycle: the alarms per 10 000 scored
    // samples stay low (the refractory period keeps them so).
    std::size_t alarms = 0, scored = 0;
    for (std::uint64_t seed = 0; seed < 10; ++seed) {
        augur::Rng rng(400 + seed);
        double walk = 0.0;
        for (int kind = 0; kind < 3; ++kind) {
            DefaultDetector detector;
            for (std::size_t i = 0; i < 4000; ++i) {
                walk += augur::normal(rng);
                const double x =
                    kind == 0   ? augur::normal(rng, 10.0, 1.0)
                    : kind == 1 ? walk
                                : 50.0 + 30.0 * std::sin(2.0 * std::numbers::pi * double(i) / 288) +
                                      augur::normal(rng);
                const Detection d = detector.observe(at5(0, i, x));
                scored += d.learning ? 0 : 1;
                alarms += d.is_anomaly ? 1 : 0;
            }
        }
    }
    const double per_10k = double(alarms) / double(scored) * 10000.0;
    INFO("alarms per 10 000 scored samples: " << per_10k);
    CHECK(per_10k < 12.0);
}

TEST_CASE("DefaultDetector: refractory period and suppression", "[anomaly][default_detector]") {
    auto v = noise(7, 2000, 0.0, 1.0);
    v[1000] = 30.0;
    v[1100] = 30.0; // within the refractory period of the first
    v[1600] = 30.0; // after it
    DefaultDetector detector;
    std::vector<std::size_t> flagged;
    std::vector<double> scores(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        DefaultEvidence e;
        const Detection d = detector.observe(at5(0, i, v[i]), e);
        scores[i] = d.score;
        if (d.is_anomaly) flagged.push_back(i);
        if (i > 1000 && i <= 1300) REQUIRE(e.suppressed);
        if (i == 1000 || i == 1600) REQUIRE_FALSE(e.suppressed);
    }
    CHECK(flagged == std::vector<std::size_t>{1000, 1600});
    CHECK(scores[1100] <= 0.5);
    CHECK(scores[1100] > 0.49); // suppressed: half of a ~1 score

    DefaultDetectorConfig no_refractory;
    no_refractory.refractory = 0;
    DefaultDetector plain(no_refractory);
    flagged.clear();
    for (std::size_t i = 0; i < v.size(); ++i)
        if (plain.observe(at5(0, i, v[i])).is_anomaly) flagged.push_back(i);
    CHECK(std::count(flagged.begin(), flagged.end(), 1100) == 1);
}

TEST_CASE("DefaultDetector: infinite samples score 1 and are not learned",
          "[anomaly][default_detector]") {
    const auto v = noise(9, 1000, 5.0, 1.0);
    DefaultDetectorConfig config = small_config();
    config.refractory = 0;
    DefaultDetector with_inf(config);
    DefaultDetector without(config);
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i == 700) {
            const Detection d =
                with_inf.observe(at5(0, i, -std::numeric_limits<double>::infinity()));
            CHECK(d.score == 1.0);
            CHECK(d.direction == augur::Direction::down);
        }
        DefaultEvidence a, b;
        with_inf.observe(at5(0, i, v[i]), a);
        without.observe(at5(0, i, v[i]), b);
        // The evidence (what was learned) is the same; only the alarms' refractory differs.
        REQUIRE(a.statistic == b.statistic);
        REQUIRE(a.probability == b.probability);
    }
}

TEST_CASE("DefaultDetector: NAB regression on the shared subset", "[anomaly][default_detector]") {
    namespace fs = std::filesystem;
    const auto found = shared_data_path("nab-subset/combined_windows.json");
    if (!found) return; // skipped with a warning (a failure under CI)
    const fs::path labels_path = *found;
    const fs::path root = labels_path.parent_path();
    std::ifstream labels_in(labels_path);
    const nlohmann::json labels = nlohmann::json::parse(labels_in);
    std::vector<NabFile> files;
    for (const auto& [name, windows] : labels.items()) {
        augur::SeriesRegistry registry;
        augur::io::SampleReader reader(root / name, registry);
        augur::InputGuard guard; // as `augur detect`: out-of-order rows are skipped
        DefaultDetectorConfig config;
        std::vector<augur::Sample> samples;
        for (const augur::Sample& s : reader)
            samples.push_back(s);
        config.learning = std::clamp<std::size_t>(samples.size() * 15 / 100, 20, 750);
        DefaultDetector detector(config);
        NabFile file;
        std::vector<augur::Timestamp> times;
        for (const augur::Sample& s : samples) {
            times.push_back(s.time);
            const auto admitted = guard.admit(s);
            file.scores.push_back(admitted ? detector.observe(*admitted).score : 0.0);
            REQUIRE(file.scores.back() >= 0.0);
            REQUIRE(file.scores.back() <= 1.0);
        }
        for (const auto& w : windows) {
            const auto first = std::find(times.begin(), times.end(), window_time(w[0]));
            const auto last = std::find(times.begin(), times.end(), window_time(w[1]));
            REQUIRE(first != times.end());
            REQUIRE(last != times.end());
            file.windows.emplace_back(first - times.begin(), last - times.begin());
        }
        files.push_back(std::move(file));
    }
    REQUIRE(files.size() == 13);
    const double threshold = DefaultDetectorConfig{}.threshold;
    const double standard = nab_score(files, threshold, {1.0, 1.0, 0.11});
    const double low_fp = nab_score(files, threshold, {1.0, 1.0, 0.22});
    const double low_fn = nab_score(files, threshold, {1.0, 2.0, 0.11});
    INFO("NAB standard " << standard << ", reward_low_FP_rate " << low_fp << ", reward_low_FN_rate "
                         << low_fn);
    // Measured at this threshold: 57.33, 50.75 and 62.22 (nab_score.py agrees).
    CHECK(standard >= 54.0);
    CHECK(low_fp >= 48.0);
    CHECK(low_fn >= 59.0);
}

namespace {

// Interleaved samples of three series: seasonal, a random walk with a level shift, and noise
// with NaN, inf and a spike, 5-minute steps (a daily cycle is 288 samples).
std::vector<augur::Sample> mixed_stream(std::size_t n) {
    augur::Rng rng(77);
    std::vector<augur::Sample> out;
    double walk = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double day = std::sin(2.0 * std::numbers::pi * static_cast<double>(i) / 288.0);
        out.push_back(at5(0, i, 100.0 + 20.0 * day + augur::normal(rng, 0.0, 2.0)));
        walk += augur::normal(rng, 0.0, 1.0) + (i == n / 2 ? 40.0 : 0.0);
        out.push_back(at5(1, i, walk));
        double x = augur::normal(rng, 10.0, 1.0);
        if (i % 97 == 5) x = kNaN;
        if (i % 331 == 7) x = std::numeric_limits<double>::infinity();
        if (i == 2 * n / 3) x = 40.0;
        out.push_back(at5(2, i, x));
    }
    return out;
}

bool same_evidence(const DefaultEvidence& a, const DefaultEvidence& b) {
    return a.statistic == b.statistic && a.probability == b.probability &&
           a.strongest == b.strongest && a.suppressed == b.suppressed;
}

} // namespace

TEST_CASE("DefaultDetector: save after k samples, load, feed the rest == feed everything",
          "[anomaly][default_detector][archive]") {
    DefaultDetectorConfig config = small_config();
    config.learning = 650; // over two days: long enough to find the daily cycle of series 0
    const std::vector<augur::Sample> stream = mixed_stream(1500);
    std::vector<Detection> whole;
    std::vector<DefaultEvidence> whole_evidence;
    {
        DefaultDetector detector(config);
        for (const augur::Sample& s : stream) {
            DefaultEvidence e;
            whole.push_back(detector.observe(s, e));
            whole_evidence.push_back(e);
        }
        REQUIRE(detector.period(augur::SeriesId{0}) == 288);
    }
    REQUIRE(std::count_if(whole.begin(), whole.end(),
                          [](const Detection& d) { return d.is_anomaly; }) > 0);
    // k: before any series learns, mid-learning, just after, after alarms, near the end.
    for (const std::size_t k : {0UL, 1UL, 200UL, 1950UL, 1960UL, 3000UL, 4499UL}) {
        DefaultDetector first(config);
        for (std::size_t i = 0; i < k; ++i)
            (void)first.observe(stream[i]);
        DefaultDetector resumed = load_bytes<DefaultDetector>(saved_bytes(first));
        for (std::size_t i = k; i < stream.size(); ++i) {
            DefaultEvidence e;
            const Detection d = resumed.observe(stream[i], e);
            INFO("k = " << k << ", sample " << i);
            REQUIRE(same(d, whole[i]));
            REQUIRE(d.shape == whole[i].shape);
            REQUIRE(d.direction == whole[i].direction);
            REQUIRE(same_evidence(e, whole_evidence[i]));
        }
    }
}

TEST_CASE("DefaultDetector: the saved configuration is restored",
          "[anomaly][default_detector][archive]") {
    DefaultDetectorConfig config = small_config();
    config.threshold = 0.99;
    config.refractory = 17;
    const DefaultDetector loaded =
        load_bytes<DefaultDetector>(saved_bytes(DefaultDetector(config)));
    CHECK(loaded.config().threshold == 0.99);
    CHECK(loaded.config().refractory == 17);
    CHECK(loaded.config().learning == 50);
}

TEST_CASE("DefaultDetector: every flipped byte and every truncation of a saved detector is "
          "rejected",
          "[anomaly][default_detector][archive]") {
    DefaultDetectorConfig config;
    config.learning = 20;
    config.history = 20;
    config.calibration = 100;
    config.value_bins = 4;
    config.rate_window = 2;
    DefaultDetector detector(config);
    const std::vector<augur::Sample> stream = mixed_stream(30);
    for (const augur::Sample& s : stream)
        if (s.series.value != 2) (void)detector.observe(s); // one learned series, one not
    (void)detector.observe(at5(2, 0, 1.0));
    const std::string bytes = saved_bytes(detector);
    const auto counts = check_corruption<DefaultDetector>(
        bytes, [&](const DefaultDetector& d) { return saved_bytes(d) == bytes; });
    CHECK(counts.rejected == 3 * bytes.size());
}

TEST_CASE("DefaultDetector: a saved state that does not fit its configuration is rejected",
          "[anomaly][default_detector][archive]") {
    // A detector saved with 50 value bins, its configuration rewritten to 40 bins (a forged
    // archive with a valid checksum): loading must not index past the histogram.
    DefaultDetectorConfig config = small_config();
    DefaultDetector detector(config);
    for (const augur::Sample& s : mixed_stream(200))
        (void)detector.observe(s);
    std::ostringstream out(std::ios::binary);
    DefaultDetectorConfig forged = config;
    forged.value_bins = 40;
    augur::write_archive(out, DefaultDetector::archive_type, 1, [&](augur::ArchiveWriter& w) {
        w(forged);
        // The states as the real detector wrote them: re-read from its own archive.
        const std::string real = saved_bytes(detector);
        std::istringstream in(real, std::ios::binary);
        augur::read_archive(in, DefaultDetector::archive_type, 1, [&](augur::ArchiveReader& r) {
            auto c = r.read<DefaultDetectorConfig>();
            augur::PerSeries<DefaultDetector::State> states;
            r(states);
            w(states);
            return c.learning;
        });
    });
    try {
        (void)load_bytes<DefaultDetector>(out.str());
        FAIL("loaded");
    } catch (const augur::data_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("does not fit the saved configuration"));
    }
}

TEST_CASE("DefaultDetector: forget releases a series, which then learns again",
          "[anomaly][default_detector]") {
    DefaultDetector detector(small_config());
    const std::vector<double> v = noise(3, 120);
    for (std::size_t i = 0; i < v.size(); ++i)
        (void)detector.observe(at5(4, i, v[i]));
    REQUIRE_FALSE(detector.observe(at5(4, 120, 100.0)).learning);
    detector.forget(augur::SeriesId{4});
    CHECK(detector.observe(at5(4, 121, 100.0)).learning);
    detector.forget(augur::SeriesId{99}); // unknown: nothing to do
}
