// Tests of augur/pipeline/row_scorer.hpp (fusing a wide row's columns) and
// augur/pipeline/learning.hpp (the default detector's automatic learning length).

#include <catch2/catch.hpp>

#include <augur/core/random.hpp>
#include <augur/core/series.hpp>
#include <augur/pipeline/learning.hpp>
#include <augur/pipeline/row_scorer.hpp>

#include <chrono>
#include <cmath>
#include <limits>
#include <vector>

namespace {

augur::ColumnVerdict column(double score, bool anomalous, augur::AnomalyType type = {}) {
    augur::ColumnVerdict c;
    c.detection.score = score;
    c.detection.is_anomaly = anomalous;
    c.detection.learning = false;
    if (anomalous) {
        c.anomaly.emplace();
        c.anomaly->score = score;
        c.anomaly->type = type;
    }
    return c;
}

} // namespace

TEST_CASE("auto_learning_length: 15% of the longest series within [20, 750]",
          "[pipeline][learning]") {
    CHECK(augur::auto_learning_length(0) == 20);
    CHECK(augur::auto_learning_length(100) == 20);
    CHECK(augur::auto_learning_length(139) == 20); // 20.85 -> 20
    CHECK(augur::auto_learning_length(140) == 21);
    CHECK(augur::auto_learning_length(1000) == 150);
    CHECK(augur::auto_learning_length(4032) == 604); // 604.8 -> 604 (NAB art_* files)
    CHECK(augur::auto_learning_length(4999) == 749);
    CHECK(augur::auto_learning_length(5000) == 750);
    CHECK(augur::auto_learning_length(22695) == 750);
    CHECK(augur::auto_learning_length(std::numeric_limits<std::size_t>::max()) == 750);
    static_assert(augur::auto_learning_length(2000) == 300);
}

TEST_CASE("fuse_columns: the row's score is the largest, the anomaly the deciding column's",
          "[pipeline][row_scorer]") {
    using augur::AnomalyType;
    SECTION("no columns") {
        const augur::RowVerdict v = augur::fuse_columns({});
        CHECK(v.score == 0.0);
        CHECK_FALSE(v.is_anomaly);
        CHECK_FALSE(v.deciding);
        CHECK_FALSE(v.anomaly);
    }
    SECTION("nothing anomalous: the highest score decides, the first on a tie") {
        const std::vector<augur::ColumnVerdict> row{column(0.2, false), column(0.7, false),
                                                    column(0.7, false)};
        const augur::RowVerdict v = augur::fuse_columns(row);
        CHECK(v.score == 0.7);
        CHECK_FALSE(v.is_anomaly);
        CHECK(v.deciding == 1u);
        CHECK_FALSE(v.anomaly);
    }
    SECTION("an anomalous column decides even when another scores higher") {
        const std::vector<augur::ColumnVerdict> row{column(0.95, false),
                                                    column(0.6, true, AnomalyType::memory_leak)};
        const augur::RowVerdict v = augur::fuse_columns(row);
        CHECK(v.score == 0.95);
        CHECK(v.is_anomaly);
        CHECK(v.deciding == 1u);
        REQUIRE(v.anomaly);
        CHECK(v.anomaly->type == AnomalyType::memory_leak);
    }
    SECTION("the highest-scoring anomalous column decides, wherever the others are") {
        const std::vector<augur::ColumnVerdict> row{
            column(0.5, true, AnomalyType::cpu_overload), column(0.9, false),
            column(0.8, true, AnomalyType::latency_spike),
            column(0.8, true, AnomalyType::throughput_drop)};
        const augur::RowVerdict v = augur::fuse_columns(row);
        CHECK(v.score == 0.9);
        CHECK(v.is_anomaly);
        CHECK(v.deciding == 2u);
        CHECK(v.anomaly->type == AnomalyType::latency_spike);
    }
    SECTION("a NaN score counts as 0") {
        const std::vector<augur::ColumnVerdict> row{
            column(std::numeric_limits<double>::quiet_NaN(), false), column(0.0, false)};
        const augur::RowVerdict v = augur::fuse_columns(row);
        CHECK(v.score == 0.0);
        CHECK(v.deciding == 0u);
    }
}

TEST_CASE("RowScorer: a spike in one column of a wide row", "[pipeline][row_scorer]") {
    augur::SeriesRegistry registry;
    const augur::SeriesId cpu = registry.intern("cpu_percent");
    const augur::SeriesId latency = registry.intern("latency_ms");
    augur::RowScorer scorer(augur::make_detector("robust", {.sigma = 8.0}), registry);
    augur::AnyDetector reference = augur::make_detector("robust", {.sigma = 8.0});
    augur::Rng rng(4);
    const augur::Timestamp t0 = augur::from_epoch_seconds(1.4e9);
    std::size_t anomalous_rows = 0;
    for (std::size_t i = 0; i < 1000; ++i) {
        const augur::Timestamp t = t0 + std::chrono::minutes(5 * i);
        const std::vector<augur::Sample> row{
            {cpu, t, i == 800 ? 99.0 : augur::normal(rng, 40.0, 1.0)},
            {latency, t, augur::normal(rng, 200.0, 5.0)}};
        const augur::RowVerdict v = scorer.score(row);
        const augur::Detection a = reference.observe(row[0]);
        const augur::Detection b = reference.observe(row[1]);
        REQUIRE(v.score == std::max(a.score, b.score));
        REQUIRE(v.is_anomaly == (a.is_anomaly || b.is_anomaly));
        if (v.is_anomaly) {
            ++anomalous_rows;
            CHECK(i == 800);
            CHECK(v.deciding == 0u);
            REQUIRE(v.anomaly);
            CHECK(v.anomaly->series == cpu);
            CHECK(v.anomaly->type == augur::AnomalyType::resource_spike);
            CHECK(v.anomaly->detector == "robust");
        }
    }
    CHECK(anomalous_rows == 1);
    CHECK(scorer.detector().name() == "robust");
}
