#include <augur/anomaly/change_point.hpp>
#include <augur/anomaly/classify.hpp>
#include <augur/core/random.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace {

using augur::AnomalyType;
using augur::Detection;
using augur::Direction;
using augur::MetricKind;
using augur::Severity;
using augur::Shape;

Detection flagged(double score, Shape shape, Direction direction, double expected, double actual) {
    Detection d;
    d.score = score;
    d.is_anomaly = true;
    d.learning = false;
    d.expected = expected;
    d.deviation = actual - expected;
    d.threshold = 0.9;
    d.shape = shape;
    d.direction = direction;
    return d;
}

Detection quiet() {
    Detection d;
    d.learning = false;
    d.score = 0.1;
    return d;
}

augur::Sample at(std::uint32_t series, int i, double value) {
    return {augur::SeriesId{series}, augur::from_epoch_seconds(i), value};
}

// A classifier that names everything a memory leak, to check the policy is used.
struct EverythingLeaks {
    AnomalyType classify(MetricKind, Shape, Direction, std::size_t) const noexcept {
        return AnomalyType::memory_leak;
    }
};

// A severity policy without validate(), grading by type.
struct LeaksAreCritical {
    Severity grade(const augur::AnomalyResult& r) const noexcept {
        return r.type == AnomalyType::memory_leak ? Severity::critical : Severity::info;
    }
};

static_assert(augur::AnomalyClassifier<augur::DefaultClassifier>);
static_assert(augur::AnomalyClassifier<EverythingLeaks>);
static_assert(!augur::AnomalyClassifier<LeaksAreCritical>);
static_assert(augur::SeverityGrader<augur::DefaultSeverity>);
static_assert(augur::SeverityGrader<LeaksAreCritical>);
static_assert(!augur::SeverityGrader<EverythingLeaks>);

} // namespace

// Explicit instantiation with the default policies (catches errors in unused members).
template class augur::Annotator<>;

TEST_CASE("DefaultClassifier: the documented table", "[anomaly][classify]") {
    const augur::DefaultClassifier c;
    const auto up = Direction::up;
    const auto down = Direction::down;
    using T = AnomalyType;
    // latency
    CHECK(c.classify(MetricKind::latency, Shape::spike, up, 1) == T::latency_spike);
    CHECK(c.classify(MetricKind::latency, Shape::spike, up, 2) == T::latency_spike);
    CHECK(c.classify(MetricKind::latency, Shape::spike, up, 3) == T::performance_degradation);
    CHECK(c.classify(MetricKind::latency, Shape::level_shift, up, 1) == T::performance_degradation);
    CHECK(c.classify(MetricKind::latency, Shape::trend, up, 1) == T::performance_degradation);
    CHECK(c.classify(MetricKind::latency, Shape::spike, down, 1) == T::unusual_pattern);
    CHECK(c.classify(MetricKind::latency, Shape::pattern, up, 9) == T::unusual_pattern);
    // errors
    for (Shape s : {Shape::spike, Shape::level_shift, Shape::trend}) {
        CHECK(c.classify(MetricKind::error_rate, s, up, 1) == T::error_rate_spike);
        CHECK(c.classify(MetricKind::error_rate, s, down, 1) == T::unusual_pattern);
        CHECK(c.classify(MetricKind::success_rate, s, down, 1) == T::error_rate_spike);
        CHECK(c.classify(MetricKind::success_rate, s, up, 1) == T::unusual_pattern);
    }
    // memory
    CHECK(c.classify(MetricKind::memory, Shape::trend, up, 1) == T::memory_leak);
    CHECK(c.classify(MetricKind::memory, Shape::spike, up, 1) == T::resource_spike);
    CHECK(c.classify(MetricKind::memory, Shape::spike, up, 10) == T::resource_spike);
    CHECK(c.classify(MetricKind::memory, Shape::level_shift, up, 1) == T::resource_spike);
    CHECK(c.classify(MetricKind::memory, Shape::trend, down, 1) == T::unusual_pattern);
    // cpu
    CHECK(c.classify(MetricKind::cpu, Shape::spike, up, 1) == T::resource_spike);
    CHECK(c.classify(MetricKind::cpu, Shape::spike, up, 3) == T::cpu_overload);
    CHECK(c.classify(MetricKind::cpu, Shape::level_shift, up, 1) == T::cpu_overload);
    CHECK(c.classify(MetricKind::cpu, Shape::trend, up, 1) == T::cpu_overload);
    CHECK(c.classify(MetricKind::cpu, Shape::spike, down, 5) == T::unusual_pattern);
    // throughput and tokens
    for (MetricKind k : {MetricKind::throughput, MetricKind::tokens}) {
        CHECK(c.classify(k, Shape::spike, down, 1) == T::throughput_drop);
        CHECK(c.classify(k, Shape::level_shift, down, 1) == T::throughput_drop);
        CHECK(c.classify(k, Shape::spike, up, 1) == T::unusual_pattern);
    }
    // everything else
    for (MetricKind k : {MetricKind::queue, MetricKind::cost, MetricKind::other})
        for (Direction d : {up, down})
            CHECK(c.classify(k, Shape::level_shift, d, 4) == T::unusual_pattern);
    for (MetricKind k : augur::detail::all_metric_kinds) {
        CHECK(c.classify(k, Shape::none, up, 1) == T::unusual_pattern);
        CHECK(c.classify(k, Shape::spike, Direction::none, 1) == T::unusual_pattern);
    }
    // sustained_after is honoured
    const augur::DefaultClassifier eager{.sustained_after = 1};
    CHECK(eager.classify(MetricKind::cpu, Shape::spike, up, 1) == T::cpu_overload);
}

TEST_CASE("DefaultSeverity: the documented table", "[anomaly][classify]") {
    const augur::DefaultSeverity s;
    CHECK(s.grade(0.5, 1) == Severity::info);
    CHECK(s.grade(0.949, 2) == Severity::info);
    CHECK(s.grade(0.949, 3) == Severity::warning);
    CHECK(s.grade(0.95, 1) == Severity::warning);
    CHECK(s.grade(0.98, 3) == Severity::error);
    CHECK(s.grade(0.99, 1) == Severity::error);
    CHECK(s.grade(0.99, 2) == Severity::error);
    CHECK(s.grade(0.99, 3) == Severity::critical);
    CHECK(s.grade(1.0, 100) == Severity::critical);
    const augur::DefaultSeverity strict{{.warning = 0.5, .error = 0.6, .sustained = 1}};
    CHECK(strict.grade(0.4, 1) == Severity::warning);
    CHECK(strict.grade(0.55, 1) == Severity::error);
    CHECK(strict.grade(0.6, 1) == Severity::critical);
}

TEST_CASE("anomaly_confidence", "[anomaly][classify]") {
    CHECK(augur::anomaly_confidence(0.9, 1) == Approx(0.9));
    CHECK(augur::anomaly_confidence(0.9, 0) == Approx(0.9));
    CHECK(augur::anomaly_confidence(0.9, 2) == Approx(0.95));
    CHECK(augur::anomaly_confidence(0.9, 4) == Approx(1.0 - 0.1 / 8));
    CHECK(augur::anomaly_confidence(1.5, 1) == 1.0);
    CHECK(augur::anomaly_confidence(-1.0, 1) == 0.0);
    CHECK(augur::anomaly_confidence(std::nan(""), 1) == 0.0);
    double last = 0.0;
    for (std::size_t n = 1; n < 60; ++n) {
        const double c = augur::anomaly_confidence(0.3, n);
        CHECK(c >= last);
        CHECK(c <= 1.0);
        last = c;
    }
}

TEST_CASE("Annotator: invalid policies throw", "[anomaly][classify]") {
    CHECK_THROWS_AS(augur::Annotator<>({.sustained_after = 0}), augur::invalid_argument);
    CHECK_THROWS_AS(augur::Annotator<>({}, augur::DefaultSeverity{{.warning = 1.5}}),
                    augur::invalid_argument);
    CHECK_THROWS_AS(augur::Annotator<>({}, augur::DefaultSeverity{{.warning = 0.9, .error = 0.8}}),
                    augur::invalid_argument);
    CHECK_THROWS_AS(augur::Annotator<>({}, augur::DefaultSeverity{{.sustained = 0}}),
                    augur::invalid_argument);
}

TEST_CASE("Annotator: results, persistence, explanation", "[anomaly][classify]") {
    augur::Annotator<> annotator;
    const augur::SeriesKey latency("latency_ms", "agent", "planner");
    const augur::SeriesKey memory("rss_bytes", "", "worker-3", {{"region", "eu"}});

    SECTION("non-anomalous detections give nothing and break the run") {
        CHECK_FALSE(annotator.annotate(at(0, 0, 1.0), quiet(), latency, "z"));
        CHECK(annotator.persistence(augur::SeriesId{0}) == 0);
        CHECK(annotator.persistence(augur::SeriesId{7}) == 0);
    }

    SECTION("a level shift lasting several samples") {
        std::optional<augur::AnomalyResult> r;
        for (int i = 0; i < 6; ++i)
            r = annotator.annotate(at(0, i, 812.0),
                                   flagged(0.995, Shape::level_shift, Direction::up, 240.0, 812.0),
                                   latency, "level_shift");
        REQUIRE(r);
        CHECK(r->persistence == 6);
        CHECK(r->type == AnomalyType::performance_degradation);
        CHECK(r->severity == Severity::critical);
        CHECK(r->confidence == Approx(1.0 - 0.005 / 32));
        CHECK(r->detector == "level_shift");
        CHECK(r->actual == 812.0);
        CHECK(r->expected == 240.0);
        CHECK(r->deviation == 572.0);
        CHECK(r->threshold == 0.9);
        CHECK(r->score == 0.995);
        CHECK(r->time == augur::from_epoch_seconds(5));
        CHECK(r->series == augur::SeriesId{0});
        CHECK(r->explanation ==
              "latency_ms of agent/planner rose to 812 (expected 240, +238%) \u2014 a level "
              "shift lasting 6 samples");
        // A quiet sample ends the run; the next anomaly starts at 1.
        CHECK_FALSE(annotator.annotate(at(0, 6, 250.0), quiet(), latency, "level_shift"));
        r = annotator.annotate(at(0, 7, 900.0),
                               flagged(0.96, Shape::spike, Direction::up, 250.0, 900.0), latency,
                               "z");
        REQUIRE(r);
        CHECK(r->persistence == 1);
        CHECK(r->type == AnomalyType::latency_spike);
        CHECK(r->severity == Severity::warning);
        CHECK(r->confidence == Approx(0.96));
    }

    SECTION("series are independent; a change of direction starts a new run") {
        annotator.annotate(at(0, 0, 5.0), flagged(0.99, Shape::spike, Direction::up, 1, 5), latency,
                           "z");
        annotator.annotate(at(0, 1, 5.0), flagged(0.99, Shape::spike, Direction::up, 1, 5), latency,
                           "z");
        const auto other = annotator.annotate(
            at(1, 1, 5.0), flagged(0.99, Shape::trend, Direction::up, 1, 5), memory, "trend");
        REQUIRE(other);
        CHECK(other->persistence == 1);
        CHECK(other->type == AnomalyType::memory_leak);
        CHECK(annotator.persistence(augur::SeriesId{0}) == 2);
        const auto flipped = annotator.annotate(
            at(0, 2, 0.1), flagged(0.99, Shape::spike, Direction::down, 1, 0.1), latency, "z");
        REQUIRE(flipped);
        CHECK(flipped->persistence == 1);
        CHECK(flipped->explanation ==
              "latency_ms of agent/planner fell to 0.1 (expected 1, -90%) \u2014 a spike lasting "
              "1 sample");
        CHECK(other->explanation ==
              "rss_bytes of worker-3{region=eu} rose to 5 (expected 1, +400%) \u2014 a trend "
              "lasting 1 sample");
        annotator.reset();
        CHECK(annotator.persistence(augur::SeriesId{0}) == 0);
    }

    SECTION("explanations without a baseline, with a zero baseline, without a component") {
        const augur::SeriesKey bare("errors");
        auto r = annotator.annotate(
            at(2, 0, 3.0), flagged(0.97, Shape::spike, Direction::up, 0.0, 3.0), bare, "z");
        REQUIRE(r);
        CHECK(r->type == AnomalyType::error_rate_spike);
        CHECK(r->explanation ==
              "errors rose to 3 (expected 0, +3) \u2014 a spike lasting 1 sample");
        Detection unknown = flagged(0.97, Shape::pattern, Direction::none, 0.0, 3.0);
        unknown.expected = std::nan("");
        r = annotator.annotate(at(3, 0, 1234.5678), unknown, bare, "seasonal");
        REQUIRE(r);
        CHECK(r->type == AnomalyType::unusual_pattern);
        CHECK(r->explanation == "errors was 1235 \u2014 an unusual pattern lasting 1 sample");
        r = annotator.annotate(at(4, 0, 0.5), flagged(0.97, Shape::spike, Direction::up, 0.48, 0.5),
                               bare, "z");
        REQUIRE(r);
        CHECK(r->explanation ==
              "errors rose to 0.5 (expected 0.48, +4.2%) \u2014 a spike lasting 1 sample");
        r = annotator.annotate(at(5, 0, 2.5e-5),
                               flagged(0.97, Shape::spike, Direction::up, 1.5, 2.5e-5), bare, "z");
        REQUIRE(r);
        CHECK(r->explanation ==
              "errors rose to 2.5e-05 (expected 1.5, -100%) \u2014 a spike lasting 1 sample");
    }

    SECTION("the metric kind can be given") {
        const auto r =
            annotator.annotate(at(0, 0, 9.0), flagged(0.99, Shape::trend, Direction::up, 1.0, 9.0),
                               latency, "trend", MetricKind::memory);
        REQUIRE(r);
        CHECK(r->type == AnomalyType::memory_leak);
    }
}

TEST_CASE("Annotator: custom policies are used", "[anomaly][classify]") {
    augur::Annotator<EverythingLeaks, LeaksAreCritical> annotator;
    const auto r =
        annotator.annotate(at(0, 0, 2.0), flagged(0.5, Shape::spike, Direction::up, 1.0, 2.0),
                           augur::SeriesKey("cost_usd"), "z");
    REQUIRE(r);
    CHECK(r->type == AnomalyType::memory_leak);
    CHECK(r->severity == Severity::critical);
    CHECK(annotator.classifier().classify(MetricKind::cpu, Shape::none, Direction::up, 1) ==
          AnomalyType::memory_leak);
}

TEST_CASE("Annotator over a real detector", "[anomaly][classify]") {
    // A CPU series whose level jumps: LevelShiftDetector flags it, the Annotator calls it
    // cpu_overload (a level shift is sustained) with severity error (score >= 0.99, one sample).
    augur::LevelShiftDetector detector;
    augur::Annotator<> annotator;
    const augur::SeriesKey cpu("cpu_percent", "service", "api");
    augur::Rng rng(21);
    std::vector<augur::AnomalyResult> found;
    for (int i = 0; i < 300; ++i) {
        const double value = augur::normal(rng, i < 150 ? 35.0 : 70.0, 3.0);
        const augur::Sample s = at(0, i, value);
        if (auto r = annotator.annotate(s, detector.observe(s), cpu, "level_shift"))
            found.push_back(*r);
    }
    REQUIRE_FALSE(found.empty());
    CHECK(found.front().time >= augur::from_epoch_seconds(150));
    CHECK(found.front().type == AnomalyType::cpu_overload);
    CHECK(found.front().severity == Severity::error);
    CHECK(found.front().direction == Direction::up);
    CHECK_THAT(found.front().explanation,
               Catch::Matchers::StartsWith("cpu_percent of service/api rose to "));
}
