#include <augur/core/archive.hpp>
#include <augur/core/quantile.hpp>
#include <augur/core/random.hpp>
#include <augur/core/stats.hpp>

#include "archive_support.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

const std::vector<double> probes{0.0, 0.001, 0.01, 0.05, 0.1,  0.25,  0.333, 0.5,
                                 0.6, 0.75,  0.9,  0.95, 0.99, 0.999, 1.0};

// The q-quantile of a window by sorting a copy.
double sorted_quantile(const std::deque<double>& window, double q) {
    std::vector<double> sorted(window.begin(), window.end());
    std::sort(sorted.begin(), sorted.end());
    return augur::quantile_sorted(sorted, q);
}

// Exact rank floor(q (n - 1)) order statistic of sorted data.
double order_statistic(const std::vector<double>& sorted, double q) {
    const auto rank =
        static_cast<std::size_t>(std::floor(q * static_cast<double>(sorted.size() - 1)));
    return sorted[rank];
}

// Checks the DDSketch guarantee on every probe and on a fine grid of q.
void check_bound(const augur::QuantileSketch& sketch, std::vector<double> values) {
    std::sort(values.begin(), values.end());
    REQUIRE(sketch.count() == values.size());
    REQUIRE(sketch.min() == values.front());
    REQUIRE(sketch.max() == values.back());
    const double alpha = sketch.relative_accuracy();
    std::vector<double> qs = probes;
    for (int i = 0; i <= 1000; ++i)
        qs.push_back(i / 1000.0);
    for (double q : qs) {
        const double truth = order_statistic(values, q);
        const double estimate = sketch.quantile(q);
        INFO("q = " << q << ", truth = " << truth << ", estimate = " << estimate);
        // 1e-12 relative slack for the rounding of log and exp.
        REQUIRE(std::abs(estimate - truth) <= alpha * std::abs(truth) * (1.0 + 1e-12));
    }
}

} // namespace

TEST_CASE("SlidingQuantile: known answers", "[core][quantile]") {
    augur::SlidingQuantile w(4);
    CHECK(w.window() == 4);
    CHECK(w.size() == 0);
    CHECK(w.empty());
    CHECK(std::isnan(w.quantile(0.5)));
    CHECK(std::isnan(w.median()));
    CHECK(std::isnan(w.min()));
    CHECK(std::isnan(w.max()));

    w.push(5.0);
    CHECK(w.median() == 5.0);
    CHECK(w.quantile(0.0) == 5.0);
    CHECK(w.quantile(1.0) == 5.0);
    w.push(1.0);
    CHECK(w.median() == 3.0);
    CHECK(w.quantile(0.25) == 2.0);
    w.push(3.0);
    w.push(2.0); // 5 1 3 2 -> 1 2 3 5
    CHECK(w.full());
    CHECK(w.median() == 2.5);
    CHECK(w.min() == 1.0);
    CHECK(w.max() == 5.0);
    CHECK(w.quantile(1.0 / 3.0) == 2.0);
    CHECK(w.quantile(0.75) == 3.5); // h = 2.25: 3 + 0.25 * 2
    w.push(10.0);                   // evicts 5: 1 2 3 10
    CHECK(w.size() == 4);
    CHECK(w.max() == 10.0);
    CHECK(w.quantile(2.0 / 3.0) == 3.0);
    w.push(0.0); // evicts 1: 0 2 3 10
    w.push(0.0); // evicts 3: 0 0 2 10
    CHECK(w.median() == 1.0);
    CHECK(w.min() == 0.0);

    w.clear();
    CHECK(w.empty());
    CHECK(std::isnan(w.median()));
    w.push(7.0);
    CHECK(w.median() == 7.0);
}

TEST_CASE("SlidingQuantile: equals sorting the last window values at every step",
          "[core][quantile]") {
    // Values from a small set (many duplicates), a wide continuous set, and mixtures.
    const std::vector<std::function<double(augur::Rng&)>> sources{
        [](augur::Rng& r) { return static_cast<double>(augur::uniform_index(r, 5)); },
        [](augur::Rng& r) { return static_cast<double>(augur::uniform_index(r, 50)) - 25.0; },
        [](augur::Rng& r) { return augur::normal(r, 100.0, 30.0); },
        [](augur::Rng& r) {
            return augur::uniform01(r) < 0.5 ? 1.0 : std::exp(augur::normal(r, 0.0, 3.0));
        },
    };
    for (std::size_t window : {1, 2, 3, 5, 16, 100, 257}) {
        for (std::uint64_t seed = 0; seed < 12; ++seed) {
            const auto& source = sources[seed % sources.size()];
            augur::Rng rng(seed * 31 + window);
            augur::SlidingQuantile sq(window);
            std::deque<double> model;
            const std::size_t steps = 3 * window + 200;
            for (std::size_t step = 0; step < steps; ++step) {
                const double x = source(rng);
                REQUIRE(sq.push(x));
                model.push_back(x);
                if (model.size() > window) model.pop_front();
                INFO("window " << window << ", seed " << seed << ", step " << step);
                REQUIRE(sq.size() == model.size());
                for (double q : probes)
                    REQUIRE(sq.quantile(q) == sorted_quantile(model, q));
                REQUIRE(sq.median() == sorted_quantile(model, 0.5));
                REQUIRE(sq.min() == *std::min_element(model.begin(), model.end()));
                REQUIRE(sq.max() == *std::max_element(model.begin(), model.end()));
            }
        }
    }
}

TEST_CASE("SlidingQuantile: large window against sorting", "[core][quantile]") {
    const std::size_t window = 2000;
    augur::SlidingQuantile sq(window);
    std::deque<double> model;
    augur::Rng rng(99);
    for (std::size_t step = 0; step < 20000; ++step) {
        const double x = std::round(augur::normal(rng, 0.0, 50.0));
        sq.push(x);
        model.push_back(x);
        if (model.size() > window) model.pop_front();
        if (step % 997 == 0 || step + 1 == 20000)
            for (double q : probes)
                REQUIRE(sq.quantile(q) == sorted_quantile(model, q));
    }
}

TEST_CASE("SlidingQuantile: NaN is skipped and counted, infinities are ordered",
          "[core][quantile]") {
    augur::SlidingQuantile sq(3);
    CHECK(sq.push(1.0));
    CHECK_FALSE(sq.push(not_a_number));
    CHECK(sq.push(2.0));
    CHECK(sq.push(3.0));
    CHECK_FALSE(sq.push(not_a_number));
    CHECK(sq.skipped() == 2);
    CHECK(sq.size() == 3);
    CHECK(sq.median() == 2.0); // the window is 1 2 3: the NaNs took no place
    CHECK(sq.push(inf));
    CHECK(sq.push(inf));
    CHECK(sq.push(-inf)); // -inf inf inf
    CHECK(sq.min() == -inf);
    CHECK(sq.median() == inf);
    CHECK(sq.quantile(1.0) == inf);
    CHECK(sq.quantile(0.75) == inf); // between two infinities: not inf - inf
    sq.clear();
    CHECK(sq.skipped() == 0);
}

TEST_CASE("SlidingQuantile: copies are independent", "[core][quantile]") {
    augur::SlidingQuantile a(3);
    for (double x : {1.0, 2.0, 3.0})
        a.push(x);
    augur::SlidingQuantile b = a;
    b.push(10.0);
    b.push(11.0);
    CHECK(a.median() == 2.0);
    CHECK(b.median() == 10.0);
    a = b;
    CHECK(a.median() == 10.0);
}

namespace {
// A SlidingQuantile in an archive of its own, for the save / load tests.
struct SavedWindow {
    augur::SlidingQuantile window{1};
    void save(std::ostream& out) const {
        augur::write_archive(out, "test.SlidingQuantile", 1,
                             [&](augur::ArchiveWriter& w) { w(window); });
    }
    static SavedWindow load(std::istream& in) {
        return augur::read_archive(in, "test.SlidingQuantile", 1, [](augur::ArchiveReader& r) {
            SavedWindow s;
            r(s.window);
            return s;
        });
    }
};
} // namespace

TEST_CASE("SlidingQuantile: storage grows with the values held", "[core][quantile]") {
    augur::SlidingQuantile p(1000);
    CHECK(p.allocated_bytes() == 0);
    p.push(1.0);
    const std::size_t one = p.allocated_bytes();
    CHECK(one > 0);
    CHECK(one < 1000);
    for (int i = 0; i < 5000; ++i)
        p.push(static_cast<double>(i % 17));
    const std::size_t full = p.allocated_bytes();
    CHECK(full >= 1000 * 36);
    CHECK(full <= 1001 * 36 + 64);
    for (int i = 0; i < 5000; ++i)
        p.push(static_cast<double>(i % 13));
    CHECK(p.allocated_bytes() == full);
}

TEST_CASE("SlidingQuantile: save, load and continue gives identical quantiles",
          "[core][quantile][archive]") {
    augur::Rng rng(8);
    for (const std::size_t cut : {0, 1, 7, 50, 333}) {
        augur::SlidingQuantile p(50);
        std::vector<double> values;
        for (int i = 0; i < 400; ++i)
            values.push_back(i % 29 == 0 ? std::numeric_limits<double>::quiet_NaN()
                                         : std::round(augur::normal(rng, 0.0, 5.0)));
        for (std::size_t i = 0; i < cut; ++i)
            p.push(values[i]);
        SavedWindow saved{p};
        const std::string bytes = augur_test::saved_bytes(saved);
        auto loaded = augur_test::load_bytes<SavedWindow>(bytes).window;
        CHECK(loaded.size() == p.size());
        CHECK(loaded.skipped() == p.skipped());
        for (std::size_t i = cut; i < values.size(); ++i) {
            REQUIRE(loaded.push(values[i]) == p.push(values[i]));
            for (const double q : {0.0, 0.1, 0.25, 0.5, 0.9, 1.0})
                REQUIRE((loaded.quantile(q) == p.quantile(q) ||
                         (std::isnan(loaded.quantile(q)) && std::isnan(p.quantile(q)))));
        }
        // The same bytes after the same pushes: the state is the same.
        CHECK(augur_test::saved_bytes(SavedWindow{loaded}) ==
              augur_test::saved_bytes(SavedWindow{p}));
    }
}

TEST_CASE("SlidingQuantile: a saved window that does not hold is a data error",
          "[core][quantile][archive]") {
    auto bytes_of = [](auto fill) {
        std::ostringstream out(std::ios::binary);
        augur::write_archive(out, "test.SlidingQuantile", 1, fill);
        return std::move(out).str();
    };
    // More values than the window; a NaN value; sequence numbers that do not increase.
    const std::string too_many = bytes_of([](augur::ArchiveWriter& w) {
        w(std::uint64_t{1});
        w.write_size(2);
        w(1.0, std::uint64_t{0}, 2.0, std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{0});
    });
    const std::string nan_value = bytes_of([](augur::ArchiveWriter& w) {
        w(std::uint64_t{4});
        w.write_size(1);
        w(std::numeric_limits<double>::quiet_NaN(), std::uint64_t{0}, std::uint64_t{1},
          std::uint64_t{0});
    });
    const std::string unordered = bytes_of([](augur::ArchiveWriter& w) {
        w(std::uint64_t{4});
        w.write_size(2);
        w(1.0, std::uint64_t{5}, 2.0, std::uint64_t{5}, std::uint64_t{6}, std::uint64_t{0});
    });
    for (const std::string& bytes : {too_many, nan_value, unordered})
        CHECK_THROWS_AS(augur_test::load_bytes<SavedWindow>(bytes), augur::data_error);
}

TEST_CASE("SlidingQuantile: invalid use", "[core][quantile]") {
    CHECK_THROWS_AS(augur::SlidingQuantile(0), augur::invalid_argument);
    CHECK_THROWS_WITH(augur::SlidingQuantile(0), Catch::Contains("window"));
    augur::SlidingQuantile sq(2);
    sq.push(1.0);
    CHECK_THROWS_AS(sq.quantile(-0.1), augur_test::AssertionFailure);
    CHECK_THROWS_AS(sq.quantile(1.1), augur_test::AssertionFailure);
    CHECK_THROWS_AS(sq.quantile(not_a_number), augur_test::AssertionFailure);
}

TEST_CASE("QuantileSketch: empty state and configuration", "[core][quantile]") {
    augur::QuantileSketch sketch;
    CHECK(sketch.relative_accuracy() == 0.01);
    CHECK(sketch.max_buckets() == 2048);
    CHECK(sketch.count() == 0);
    CHECK(std::isnan(sketch.quantile(0.5)));
    CHECK(std::isnan(sketch.min()));
    CHECK(std::isnan(sketch.max()));
    CHECK_FALSE(sketch.collapsed());

    using Config = augur::QuantileSketchConfig;
    for (double bad : {0.0, -0.01, 1.0, 2.0, 1e-12, not_a_number}) {
        CHECK_THROWS_AS(augur::QuantileSketch(Config{bad, 100}), augur::invalid_argument);
        CHECK_THROWS_WITH(augur::QuantileSketch(Config{bad, 100}),
                          Catch::Contains("relative_accuracy"));
    }
    CHECK_THROWS_AS(augur::QuantileSketch(Config{0.01, 0}), augur::invalid_argument);
    CHECK_THROWS_WITH(augur::QuantileSketch(Config{0.01, 0}), Catch::Contains("max_buckets"));
    CHECK_NOTHROW(augur::QuantileSketch(Config{0.5, 1}));

    sketch.push(1.0);
    CHECK_THROWS_AS(sketch.quantile(1.5), augur_test::AssertionFailure);
}

TEST_CASE("QuantileSketch: small known cases", "[core][quantile]") {
    augur::QuantileSketch sketch;
    sketch.push(42.0);
    CHECK(sketch.quantile(0.0) == 42.0);
    CHECK(sketch.quantile(0.5) == 42.0);
    CHECK(sketch.quantile(1.0) == 42.0);

    augur::QuantileSketch s;
    for (double x : {-3.0, 0.0, 0.0, 1.0, 100.0})
        s.push(x);
    CHECK(s.count() == 5);
    CHECK(s.quantile(0.0) == -3.0);
    CHECK(s.quantile(0.25) == 0.0);
    CHECK(s.quantile(0.5) == 0.0);
    CHECK(std::abs(s.quantile(0.75) - 1.0) <= 0.01);
    CHECK(s.quantile(1.0) == 100.0);

    // Weighted push equals repeated push.
    augur::QuantileSketch weighted;
    augur::QuantileSketch repeated;
    weighted.push(2.5, 1000);
    weighted.push(-7.0, 3);
    weighted.push(1.0, 0); // adds nothing
    for (int i = 0; i < 1000; ++i)
        repeated.push(2.5);
    for (int i = 0; i < 3; ++i)
        repeated.push(-7.0);
    CHECK(weighted.count() == 1003);
    for (double q : probes)
        CHECK(weighted.quantile(q) == repeated.quantile(q));
}

TEST_CASE("QuantileSketch: non-finite values are skipped and counted", "[core][quantile]") {
    augur::QuantileSketch sketch;
    CHECK(sketch.push(1.0));
    CHECK_FALSE(sketch.push(not_a_number));
    CHECK_FALSE(sketch.push(inf));
    CHECK_FALSE(sketch.push(-inf, 5));
    CHECK(sketch.skipped() == 7);
    CHECK(sketch.count() == 1);
    CHECK(sketch.max() == 1.0);
    sketch.clear();
    CHECK(sketch.skipped() == 0);
    CHECK(sketch.count() == 0);
    CHECK(std::isnan(sketch.quantile(0.5)));
}

TEST_CASE("QuantileSketch: relative error bound", "[core][quantile]") {
    struct Source {
        const char* name;
        std::function<double(augur::Rng&)> draw;
    };
    const std::vector<Source> sources{
        {"lognormal(0, 2)", [](augur::Rng& r) { return std::exp(augur::normal(r, 0.0, 2.0)); }},
        {"normal(0, 100) with negatives",
         [](augur::Rng& r) { return augur::normal(r, 0.0, 100.0); }},
        {"normal(5, 3) with 20% zeros",
         [](augur::Rng& r) {
             return augur::uniform01(r) < 0.2 ? 0.0 : augur::normal(r, 5.0, 3.0);
         }},
        {"pareto-like latencies",
         [](augur::Rng& r) { return 10.0 / std::pow(augur::uniform_open01(r), 1.5); }},
        {"integers 0..9",
         [](augur::Rng& r) { return static_cast<double>(augur::uniform_index(r, 10)); }},
    };
    for (const auto& source : sources) {
        for (double alpha : {0.001, 0.01, 0.05}) {
            for (std::uint64_t seed = 0; seed < 4; ++seed) {
                INFO(source.name << ", alpha " << alpha << ", seed " << seed);
                augur::Rng rng(seed + 17);
                augur::QuantileSketch sketch({.relative_accuracy = alpha, .max_buckets = 1 << 16});
                const std::size_t n = 1 + augur::uniform_index(rng, 20000);
                std::vector<double> values(n);
                for (double& v : values) {
                    v = source.draw(rng);
                    sketch.push(v);
                }
                REQUIRE_FALSE(sketch.collapsed());
                check_bound(sketch, values);
            }
        }
    }
}

TEST_CASE("QuantileSketch: bound at bucket edges and extreme magnitudes", "[core][quantile]") {
    const double alpha = 0.02;
    const double gamma = (1.0 + alpha) / (1.0 - alpha);
    augur::QuantileSketch sketch({.relative_accuracy = alpha, .max_buckets = 1 << 16});
    std::vector<double> values;
    for (int i = -40; i <= 40; ++i) { // exact powers of gamma and their neighbours
        const double edge = std::pow(gamma, i);
        for (double v : {edge, std::nextafter(edge, 0.0), std::nextafter(edge, inf), -edge}) {
            values.push_back(v);
            sketch.push(v);
        }
    }
    check_bound(sketch, values);

    augur::QuantileSketch wide({.relative_accuracy = 0.01, .max_buckets = 100000});
    std::vector<double> extremes{1e-300, 4.9e-324, 1e300, 1.7e308, -1e-300, -1e300, 1.0, 0.0};
    for (double v : extremes)
        wide.push(v);
    REQUIRE_FALSE(wide.collapsed());
    check_bound(wide, extremes);
}

TEST_CASE("QuantileSketch: merge equals the sketch of the whole stream", "[core][quantile]") {
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        INFO("seed " << seed);
        augur::Rng rng(seed);
        const std::size_t n = 1 + augur::uniform_index(rng, 3000);
        const std::size_t cut = augur::uniform_index(rng, n + 1);
        augur::QuantileSketch whole;
        augur::QuantileSketch left;
        augur::QuantileSketch right;
        std::vector<double> values(n);
        for (std::size_t i = 0; i < n; ++i) {
            const double u = augur::uniform01(rng);
            values[i] = u < 0.1   ? 0.0
                        : u < 0.4 ? -std::exp(augur::normal(rng))
                                  : std::exp(3 * augur::normal(rng));
            whole.push(values[i]);
            (i < cut ? left : right).push(values[i]);
        }
        left.merge(right);
        REQUIRE(left.count() == whole.count());
        REQUIRE(left.min() == whole.min());
        REQUIRE(left.max() == whole.max());
        for (double q : probes)
            REQUIRE(left.quantile(q) == whole.quantile(q));
        check_bound(left, values);
    }

    // Merging into an empty sketch, an empty one into a full one, and a sketch with itself.
    augur::QuantileSketch a;
    augur::QuantileSketch empty;
    for (int i = 1; i <= 100; ++i)
        a.push(i);
    augur::QuantileSketch b;
    b.merge(a);
    a.merge(empty);
    for (double q : probes)
        CHECK(a.quantile(q) == b.quantile(q));
    augur::QuantileSketch twice;
    for (int i = 1; i <= 100; ++i)
        twice.push(i, 2);
    a.merge(a);
    CHECK(a.count() == 200);
    for (double q : probes)
        CHECK(a.quantile(q) == twice.quantile(q));

    augur::QuantileSketch other({.relative_accuracy = 0.02});
    CHECK_THROWS_AS(a.merge(other), augur::invalid_argument);
    CHECK_THROWS_WITH(a.merge(other), Catch::Contains("relative_accuracy"));
}

TEST_CASE("QuantileSketch: collapsing keeps memory bounded and the upper ranks accurate",
          "[core][quantile]") {
    const std::size_t max_buckets = 64;
    const std::size_t max_bytes = sizeof(augur::QuantileSketch) + 2 * max_buckets * 8;
    augur::QuantileSketch sketch({.relative_accuracy = 0.01, .max_buckets = max_buckets});
    augur::Rng rng(5);
    std::vector<double> values;
    for (int i = 0; i < 100000; ++i) {
        // Magnitudes over 12 decades, both signs: far more than 64 buckets each.
        const double v = std::pow(10.0, augur::uniform(rng, -6.0, 6.0));
        values.push_back(augur::uniform01(rng) < 0.3 ? -v : v);
        sketch.push(values.back());
        REQUIRE(sketch.memory_bytes() <= max_bytes);
    }
    CHECK(sketch.collapsed());

    // Each store keeps the 64 buckets below its largest magnitude m; bucket ratio
    // gamma = 1.0202 so buckets above m / gamma^62 = m / 3.456 are untouched by the collapse and
    // their ranks keep the bound.
    std::sort(values.begin(), values.end());
    const double pos_floor = values.back() / 3.45;
    const double neg_floor = -values.front() / 3.45;
    std::size_t checked = 0;
    for (int i = 0; i <= 2000; ++i) {
        const double q = i / 2000.0;
        const double truth = order_statistic(values, q);
        if ((truth > 0 && truth < pos_floor) || (truth < 0 && -truth < neg_floor)) continue;
        INFO("q = " << q << ", truth = " << truth);
        REQUIRE(std::abs(sketch.quantile(q) - truth) <= 0.01 * std::abs(truth) * (1.0 + 1e-12));
        ++checked;
    }
    CHECK(checked > 60); // about 4.5 % of each sign lies in the untouched range
    // A collapsed positive rank is over-estimated, a collapsed negative one under-estimated.
    const auto first_positive = static_cast<std::size_t>(
        std::upper_bound(values.begin(), values.end(), 0.0) - values.begin());
    const double q_pos =
        (static_cast<double>(first_positive) + 0.5) / static_cast<double>(values.size() - 1);
    CHECK(sketch.quantile(q_pos) > 1.5 * values[first_positive]);
    const double q_neg =
        (static_cast<double>(first_positive - 1) + 0.5) / static_cast<double>(values.size() - 1);
    CHECK(sketch.quantile(q_neg) < 1.5 * values[first_positive - 1]);

    // Steady state: the same range again allocates nothing more.
    const std::size_t used = sketch.memory_bytes();
    for (double v : values)
        sketch.push(v);
    CHECK(sketch.memory_bytes() == used);

    // A single bucket per store still answers within [min, max].
    augur::QuantileSketch tiny({.relative_accuracy = 0.01, .max_buckets = 1});
    for (double v : values)
        tiny.push(v);
    CHECK(tiny.memory_bytes() <= sizeof(augur::QuantileSketch) + 2 * 8);
    CHECK(tiny.quantile(1.0) == values.back());
    CHECK(std::abs(tiny.quantile(0.9999) - values.back()) <= 0.01 * values.back());
}
