#include <augur/anomaly/result.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <string_view>

namespace {

using augur::AnomalyType;
using augur::MetricKind;
using augur::Severity;

} // namespace

TEST_CASE("result: enum names round-trip and unknown names throw", "[anomaly][result]") {
    for (AnomalyType t : augur::detail::all_anomaly_types)
        CHECK(augur::parse_anomaly_type(augur::to_string(t)) == t);
    for (Severity s : augur::detail::all_severities)
        CHECK(augur::parse_severity(augur::to_string(s)) == s);
    for (MetricKind k : augur::detail::all_metric_kinds)
        CHECK(augur::parse_metric_kind(augur::to_string(k)) == k);

    static_assert(std::string_view(augur::to_string(AnomalyType::memory_leak)) == "memory_leak");
    static_assert(std::string_view(augur::to_string(Severity::critical)) == "critical");
    static_assert(std::string_view(augur::to_string(MetricKind::success_rate)) == "success_rate");
    CHECK(std::string(augur::to_string(AnomalyType::performance_degradation)) ==
          "performance_degradation");
    CHECK(std::string(augur::to_string(AnomalyType::throughput_drop)) == "throughput_drop");

    CHECK_THROWS_AS(augur::parse_anomaly_type("leak"), augur::invalid_argument);
    CHECK_THROWS_AS(augur::parse_anomaly_type(""), augur::invalid_argument);
    CHECK_THROWS_AS(augur::parse_severity("Critical"), augur::invalid_argument);
    CHECK_THROWS_AS(augur::parse_metric_kind("latency "), augur::invalid_argument);
    try {
        augur::parse_severity("fatal");
        FAIL("no exception");
    } catch (const augur::invalid_argument& e) {
        CHECK_THAT(e.what(), Catch::Matchers::Contains("'fatal'"));
        CHECK_THAT(e.what(), Catch::Matchers::Contains("info, warning, error, critical"));
    }
    // Severity orders by urgency.
    CHECK(Severity::info < Severity::warning);
    CHECK(Severity::error < Severity::critical);
}

TEST_CASE("result: infer_metric_kind", "[anomaly][result]") {
    struct Case {
        const char* name;
        MetricKind kind;
    };
    const Case cases[] = {
        {"latency_ms", MetricKind::latency},
        {"p99_latency", MetricKind::latency},
        {"duration", MetricKind::latency},
        {"request_duration_seconds", MetricKind::latency},
        {"p99LatencyMs", MetricKind::latency},
        {"http.response_time", MetricKind::latency},
        {"response-time-ms", MetricKind::latency},
        {"errors", MetricKind::error_rate},
        {"error_rate", MetricKind::error_rate},
        {"failure_rate", MetricKind::error_rate},
        {"failed_requests", MetricKind::error_rate},
        {"Timeouts", MetricKind::error_rate},
        {"success_rate", MetricKind::success_rate},
        {"successful_requests", MetricKind::success_rate},
        {"memory_bytes", MetricKind::memory},
        {"rss", MetricKind::memory},
        {"heap_mb", MetricKind::memory},
        {"mem", MetricKind::memory},
        {"container.memoryUsage", MetricKind::memory},
        {"cpu", MetricKind::cpu},
        {"cpu_utilization", MetricKind::cpu},
        {"CPUPercent", MetricKind::cpu},
        {"rps", MetricKind::throughput},
        {"qps", MetricKind::throughput},
        {"requests", MetricKind::throughput},
        {"requests_per_second", MetricKind::throughput},
        {"throughput", MetricKind::throughput},
        {"queue_depth", MetricKind::queue},
        {"queued_requests", MetricKind::queue},
        {"cost", MetricKind::cost},
        {"cost_usd", MetricKind::cost},
        {"usd", MetricKind::cost},
        {"token_cost_usd", MetricKind::cost},
        {"tokens", MetricKind::tokens},
        {"tokens_per_second", MetricKind::tokens},
        {"total_tokens", MetricKind::tokens},
        {"value", MetricKind::other},
        {"", MetricKind::other},
        {"timestamp", MetricKind::other},
        {"members", MetricKind::other},
        {"time", MetricKind::other},
        {"___", MetricKind::other},
        {"a_very_long_word_that_goes_on_and_on_for_more_than_thirty_two_characters_latency",
         MetricKind::latency},
        {"latencylatencylatencylatencylatencylatency", MetricKind::other},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        CHECK(augur::to_string(augur::infer_metric_kind(c.name)) ==
              std::string(augur::to_string(c.kind)));
    }
}

TEST_CASE("result: AnomalyResult defaults", "[anomaly][result]") {
    const augur::AnomalyResult r;
    CHECK(r.type == AnomalyType::unusual_pattern);
    CHECK(r.severity == Severity::info);
    CHECK(r.persistence == 0);
    CHECK(std::isnan(r.actual));
    CHECK(std::isnan(r.expected));
    CHECK(r.detector.empty());
}
