#pragma once

// Helpers shared by the tests of the streaming detectors (zscore, robust, seasonal, default):
// sample makers, the properties every StreamingDetector must have, and the save / load
// resume check.

#include <augur/anomaly/detector.hpp>
#include <augur/core/random.hpp>
#include <augur/core/sample.hpp>

#include "archive_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

namespace augur_test {

using augur::Detection;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

inline augur::Sample at(std::uint32_t series, std::size_t i, double value) {
    return {augur::SeriesId{series}, augur::from_epoch_seconds(60.0 * static_cast<double>(i)),
            value};
}

inline std::vector<double> noise(std::uint64_t seed, std::size_t n, double mean = 100.0,
                                 double sd = 5.0) {
    augur::Rng rng(seed);
    std::vector<double> v(n);
    for (double& x : v)
        x = augur::normal(rng, mean, sd);
    return v;
}

template <class D>
std::vector<Detection> run(D& detector, const std::vector<double>& values,
                           std::uint32_t series = 0) {
    std::vector<Detection> out;
    for (std::size_t i = 0; i < values.size(); ++i)
        out.push_back(detector.observe(at(series, i, values[i])));
    return out;
}

inline bool same(const Detection& a, const Detection& b) {
    auto eq = [](double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); };
    return a.score == b.score && a.is_anomaly == b.is_anomaly && a.learning == b.learning &&
           eq(a.expected, b.expected) && eq(a.deviation, b.deviation);
}

// Every field of two Detections equal (NaN equals NaN), score included.
inline bool identical(const Detection& a, const Detection& b) {
    auto eq = [](double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); };
    return a.score == b.score && a.is_anomaly == b.is_anomaly && a.learning == b.learning &&
           eq(a.expected, b.expected) && eq(a.deviation, b.deviation) &&
           a.threshold == b.threshold && a.shape == b.shape && a.direction == b.direction;
}

// "Save after k samples, load, feed the rest" gives Detections identical to "feed everything",
// for k at the given cuts plus: the first sample, mid-learning, just after learning ends, just
// after the first and the last alarm, and the second to last sample. Requires an alarm in
// `samples`. Also checks that a loaded detector saves the same bytes (canonical archive).
template <class D, class Make>
void check_resume(Make make, const std::vector<augur::Sample>& samples,
                  std::vector<std::size_t> cuts = {}) {
    D whole = make();
    std::vector<Detection> expected;
    for (const augur::Sample& s : samples)
        expected.push_back(whole.observe(s));
    const auto first_scored = std::find_if(expected.begin(), expected.end(),
                                           [](const Detection& d) { return !d.learning; });
    REQUIRE(first_scored != expected.end());
    const auto scored_at = static_cast<std::size_t>(first_scored - expected.begin());
    std::vector<std::size_t> alarms;
    for (std::size_t i = 0; i < expected.size(); ++i)
        if (expected[i].is_anomaly) alarms.push_back(i);
    REQUIRE_FALSE(alarms.empty());
    cuts.insert(cuts.end(), {1, scored_at / 2, scored_at + 1, alarms.front() + 1, alarms.back() + 1,
                             samples.size() - 1});
    for (const std::size_t k : std::set<std::size_t>(cuts.begin(), cuts.end())) {
        if (k == 0 || k >= samples.size()) continue;
        INFO("saved after " << k << " of " << samples.size() << " samples");
        D first = make();
        for (std::size_t i = 0; i < k; ++i)
            (void)first.observe(samples[i]);
        const std::string bytes = saved_bytes(first);
        D resumed = load_bytes<D>(bytes);
        REQUIRE(saved_bytes(resumed) == bytes);
        for (std::size_t i = k; i < samples.size(); ++i) {
            INFO("sample " << i);
            REQUIRE(identical(resumed.observe(samples[i]), expected[i]));
        }
    }
}

// Round-robin interleaving of several series (series s gets SeriesId s, sample i at minute i).
inline std::vector<augur::Sample> interleave(const std::vector<std::vector<double>>& series) {
    std::vector<augur::Sample> out;
    std::size_t longest = 0;
    for (const auto& v : series)
        longest = std::max(longest, v.size());
    for (std::size_t i = 0; i < longest; ++i)
        for (std::size_t s = 0; s < series.size(); ++s)
            if (i < series[s].size())
                out.push_back(at(static_cast<std::uint32_t>(s), i, series[s][i]));
    return out;
}

// The properties every streaming detector must have (see anomaly/detector.hpp).
template <class Make>
void check_common_properties(Make make, std::size_t learning) {
    SECTION("scores stay in [0, 1] on random data with huge values") {
        for (std::uint64_t seed = 0; seed < 40; ++seed) {
            augur::Rng rng(seed);
            auto detector = make();
            for (std::size_t i = 0; i < 600; ++i) {
                double x = augur::normal(rng, 0.0, 1.0);
                const double u = augur::uniform01(rng);
                if (u < 0.02)
                    x = 1e300;
                else if (u < 0.04)
                    x = -1e300;
                else if (u < 0.05)
                    x = std::numeric_limits<double>::infinity();
                else if (u < 0.06)
                    x = kNaN;
                else if (u < 0.07)
                    x = 1e-300;
                const Detection d = detector.observe(at(0, i, x));
                REQUIRE(d.score >= 0.0);
                REQUIRE(d.score <= 1.0);
                REQUIRE(d.threshold > 0.0);
            }
        }
    }
    SECTION("constant series: no alarm, then any change is flagged") {
        auto detector = make();
        for (std::size_t i = 0; i < learning + 200; ++i) {
            const Detection d = detector.observe(at(0, i, 7.25));
            REQUIRE(d.score == 0.0);
            REQUIRE_FALSE(d.is_anomaly);
        }
        const Detection d = detector.observe(at(0, learning + 200, 8.25));
        CHECK(d.score == 1.0);
        CHECK(d.is_anomaly);
    }
    SECTION("all-NaN series: never scored, never NaN, still learning") {
        auto detector = make();
        for (std::size_t i = 0; i < learning + 100; ++i) {
            const Detection d = detector.observe(at(0, i, kNaN));
            REQUIRE(d.score == 0.0);
            REQUIRE_FALSE(d.is_anomaly);
            REQUIRE(d.learning);
        }
    }
    SECTION("NaN samples are ignored: the detections of the other samples are unchanged") {
        const auto values = noise(3, learning + 300);
        auto plain = make();
        auto with_nan = make();
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (i % 7 == 3) {
                const Detection n = with_nan.observe(at(0, i, kNaN));
                REQUIRE(n.score == 0.0);
                REQUIRE_FALSE(n.is_anomaly);
            }
            const Detection a = plain.observe(at(0, i, values[i]));
            const Detection b = with_nan.observe(at(0, i, values[i]));
            REQUIRE(same(a, b));
        }
    }
    SECTION("shorter than the learning period: no score, no alarm, learning") {
        auto detector = make();
        const auto values = noise(4, learning - 1);
        for (std::size_t i = 0; i < values.size(); ++i) {
            const Detection d = detector.observe(at(0, i, i == 5 ? 1e6 : values[i]));
            REQUIRE(d.learning);
            REQUIRE_FALSE(d.is_anomaly);
            REQUIRE(d.score == 0.0);
        }
    }
    SECTION("interleaved series give the same detections as each series alone") {
        constexpr std::uint32_t n_series = 5;
        std::vector<std::vector<double>> values;
        for (std::uint32_t s = 0; s < n_series; ++s) {
            auto v = noise(10 + s, learning + 250, 10.0 * s, 1.0 + s);
            v[learning + 100 + s] += 50.0 * (1.0 + s);
            values.push_back(v);
        }
        auto together = make();
        std::vector<std::vector<Detection>> mixed(n_series);
        for (std::size_t i = 0; i < values[0].size(); ++i)
            for (std::uint32_t s = 0; s < n_series; ++s)
                mixed[s].push_back(together.observe(at(s, i, values[s][i])));
        for (std::uint32_t s = 0; s < n_series; ++s) {
            auto alone = make();
            const auto single = run(alone, values[s], s);
            for (std::size_t i = 0; i < single.size(); ++i)
                REQUIRE(same(single[i], mixed[s][i]));
        }
    }
    SECTION("forget: a forgotten series starts over, the others are untouched") {
        const auto a = noise(21, learning + 200);
        const auto b = noise(22, learning + 200, 50.0, 2.0);
        auto detector = make();
        auto reference = make(); // sees series 1 only
        const std::size_t half = a.size() / 2;
        for (std::size_t i = 0; i < half; ++i) {
            (void)detector.observe(at(0, i, a[i]));
            REQUIRE(same(detector.observe(at(1, i, b[i])), reference.observe(at(1, i, b[i]))));
        }
        detector.forget(augur::SeriesId{0});
        detector.forget(augur::SeriesId{7}); // never seen: nothing happens
        auto fresh = make();                 // series 0 from its second half on, as if new
        for (std::size_t i = half; i < a.size(); ++i) {
            REQUIRE(same(detector.observe(at(0, i, a[i])), fresh.observe(at(0, i, a[i]))));
            REQUIRE(same(detector.observe(at(1, i, b[i])), reference.observe(at(1, i, b[i]))));
        }
    }
    SECTION("causal: appending future data does not change past detections") {
        const auto values = noise(5, learning + 400);
        auto full = make();
        const auto all = run(full, values);
        std::vector<double> prefix(values.begin(), values.begin() + learning + 150);
        auto part = make();
        const auto head = run(part, prefix);
        for (std::size_t i = 0; i < head.size(); ++i)
            REQUIRE(same(head[i], all[i]));
    }
}

} // namespace augur_test
