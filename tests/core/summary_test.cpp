#include <augur/core/random.hpp>
#include <augur/core/summary.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

static_assert(augur::MetricSink<augur::Summarizer>);

namespace {

/// Reference: two passes over the finite values, type-7 quantiles written out.
augur::SeriesSummary naive_summary(augur::SeriesId id, std::vector<double> v) {
    augur::SeriesSummary s;
    s.series = id;
    s.count = v.size();
    if (v.empty()) return s;
    double sum = 0.0;
    for (double x : v)
        sum += x;
    const double n = static_cast<double>(v.size());
    s.mean = sum / n;
    double ss = 0.0;
    for (double x : v)
        ss += (x - s.mean) * (x - s.mean);
    s.sd = v.size() > 1 ? std::sqrt(ss / (n - 1.0)) : std::numeric_limits<double>::quiet_NaN();
    std::sort(v.begin(), v.end());
    s.min = v.front();
    s.max = v.back();
    auto q = [&](double p) {
        const double h = (n - 1.0) * p;
        const double lo = std::floor(h);
        const auto i = static_cast<std::size_t>(lo);
        const double next = i + 1 < v.size() ? v[i + 1] : v[i];
        return v[i] + (h - lo) * (next - v[i]);
    };
    s.p50 = q(0.50);
    s.p95 = q(0.95);
    s.p99 = q(0.99);
    return s;
}

bool close(double a, double b) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    return std::abs(a - b) <= 1e-10 * std::max({1.0, std::abs(a), std::abs(b)});
}

void check_same(const augur::SeriesSummary& got, const augur::SeriesSummary& want) {
    CHECK(got.series == want.series);
    CHECK(got.count == want.count);
    CHECK(close(got.mean, want.mean));
    CHECK(close(got.sd, want.sd));
    CHECK(close(got.min, want.min));
    CHECK(close(got.p50, want.p50));
    CHECK(close(got.p95, want.p95));
    CHECK(close(got.p99, want.p99));
    CHECK(close(got.max, want.max));
}

augur::Sample at(std::uint32_t series, double value) {
    return augur::Sample{augur::SeriesId{series}, augur::from_epoch_seconds(0), value};
}

} // namespace

TEST_CASE("summary: known answers on 1..100", "[core][summary]") {
    augur::Summarizer summarizer;
    for (int i = 100; i >= 1; --i)
        summarizer.observe(at(0, i));
    const auto all = summarizer.summaries();
    REQUIRE(all.size() == 1);
    const augur::SeriesSummary& s = all[0];
    CHECK(s.count == 100);
    CHECK(s.mean == Approx(50.5));
    CHECK(s.sd == Approx(std::sqrt(841.6666666666666)));
    CHECK(s.min == 1.0);
    CHECK(s.max == 100.0);
    CHECK(s.p50 == Approx(50.5));  // R: quantile(1:100, 0.5)
    CHECK(s.p95 == Approx(95.05)); // R: quantile(1:100, 0.95)
    CHECK(s.p99 == Approx(99.01)); // R: quantile(1:100, 0.99)
}

TEST_CASE("summary: matches a naive two-pass computation on random interleaved series",
          "[core][summary]") {
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        augur::Rng rng{seed};
        const auto series_count = static_cast<std::uint32_t>(1 + augur::uniform_index(rng, 6));
        const auto n = static_cast<std::size_t>(augur::uniform_index(rng, 400));
        std::map<std::uint32_t, std::vector<double>> finite;
        std::map<std::uint32_t, bool> seen;
        std::uint64_t non_finite = 0;
        augur::Summarizer summarizer;
        std::vector<augur::Sample> samples;
        for (std::size_t i = 0; i < n; ++i) {
            // Series ids with gaps, values on very different scales, some NaN and inf.
            const auto id = static_cast<std::uint32_t>(2 * augur::uniform_index(rng, series_count));
            double value = augur::normal(rng, 1e3 * static_cast<double>(id), 1.0 + id);
            const double u = augur::uniform01(rng);
            if (u < 0.03)
                value = std::numeric_limits<double>::quiet_NaN();
            else if (u < 0.05)
                value = (u < 0.04 ? 1 : -1) * std::numeric_limits<double>::infinity();
            else if (u < 0.10)
                value = std::round(value); // ties
            seen[id] = true;
            if (std::isfinite(value))
                finite[id].push_back(value);
            else
                ++non_finite;
            samples.push_back(at(id, value));
            summarizer.observe(samples.back());
        }
        INFO("seed " << seed);
        const auto got = summarizer.summaries();
        REQUIRE(got.size() == seen.size());
        std::size_t k = 0;
        for (const auto& [id, _] : seen)
            check_same(got[k++], naive_summary(augur::SeriesId{id}, finite[id]));
        CHECK(summarizer.skipped() == non_finite);

        // The convenience function agrees, and so does summary(id).
        const auto again = augur::summarize(samples);
        REQUIRE(again.size() == got.size());
        for (std::size_t i = 0; i < got.size(); ++i)
            check_same(again[i], got[i]);
        for (const auto& s : got)
            check_same(summarizer.summary(s.series).value(), s);
    }
}

TEST_CASE("summary: edge cases", "[core][summary]") {
    augur::Summarizer summarizer;
    CHECK(summarizer.summaries().empty());
    CHECK_FALSE(summarizer.summary(augur::SeriesId{0}).has_value());

    // Ordered by SeriesId whatever the arrival order; unseen ids are not listed.
    summarizer.observe(at(5, 2.5));
    summarizer.observe(at(1, std::numeric_limits<double>::quiet_NaN()));
    summarizer.observe(at(3, -1.0));
    summarizer.observe(at(3, 3.0));
    const auto all = summarizer.summaries();
    REQUIRE(all.size() == 3);
    CHECK(all[0].series == augur::SeriesId{1});
    CHECK(all[1].series == augur::SeriesId{3});
    CHECK(all[2].series == augur::SeriesId{5});
    CHECK_FALSE(summarizer.summary(augur::SeriesId{2}).has_value());
    CHECK_FALSE(summarizer.summary(augur::SeriesId{99}).has_value());

    // A series whose values were all skipped: count 0, everything NaN.
    CHECK(all[0].count == 0);
    CHECK(std::isnan(all[0].mean));
    CHECK(std::isnan(all[0].p50));
    CHECK(std::isnan(all[0].max));
    CHECK(summarizer.skipped() == 1);

    // One value: sd NaN, every quantile the value.
    CHECK(all[2].count == 1);
    CHECK(all[2].mean == 2.5);
    CHECK(std::isnan(all[2].sd));
    CHECK(all[2].p50 == 2.5);
    CHECK(all[2].p99 == 2.5);
    CHECK(all[2].min == 2.5);
    CHECK(all[2].max == 2.5);

    // Two values: type-7 interpolation.
    CHECK(all[1].p50 == 1.0);
    CHECK(all[1].p95 == Approx(-1.0 + 0.95 * 4.0));
    CHECK(all[1].sd == Approx(std::sqrt(8.0)));

    summarizer.reset();
    CHECK(summarizer.summaries().empty());
    CHECK(summarizer.skipped() == 0);
}

TEST_CASE("summary: large offsets keep precision (Welford)", "[core][summary]") {
    augur::Summarizer summarizer;
    for (int i = 0; i < 1000; ++i)
        summarizer.observe(at(0, 1e9 + (i % 2 == 0 ? 1.0 : -1.0)));
    const auto s = summarizer.summaries().at(0);
    CHECK(s.mean == Approx(1e9));
    CHECK(s.sd == Approx(std::sqrt(1000.0 / 999.0)).epsilon(1e-9));
}
