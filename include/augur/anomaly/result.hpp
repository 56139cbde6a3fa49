#pragma once

// Typed, graded anomalies: AnomalyType, Severity, MetricKind and the AnomalyResult record
// that the Annotator (classify.hpp) builds from a detector's Detection.
//
// to_string / parse_* convert the enums to and from their snake_case names (parse throws
// augur::invalid_argument for an unknown name). infer_metric_kind guesses what a metric
// measures from its name. All functions are pure; the types are plain values.
// Thread-safety: no shared state.

#include "augur/anomaly/detector.hpp"
#include "augur/core/error.hpp"
#include "augur/core/sample.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace augur {
inline namespace v0 {

/// What kind of trouble an anomaly points at (see DefaultClassifier for the mapping).
enum class AnomalyType : std::uint8_t {
    performance_degradation,
    resource_spike,
    memory_leak,
    cpu_overload,
    latency_spike,
    error_rate_spike,
    throughput_drop,
    unusual_pattern
};

/// How urgent an anomaly is, in increasing order (see DefaultSeverity for the grading).
enum class Severity : std::uint8_t { info, warning, error, critical };

/// What a metric measures, as far as classification cares (see infer_metric_kind).
enum class MetricKind : std::uint8_t {
    latency,
    error_rate,
    success_rate,
    memory,
    cpu,
    throughput,
    queue,
    cost,
    tokens,
    other
};

constexpr const char* to_string(AnomalyType type) noexcept {
    switch (type) {
    case AnomalyType::performance_degradation:
        return "performance_degradation";
    case AnomalyType::resource_spike:
        return "resource_spike";
    case AnomalyType::memory_leak:
        return "memory_leak";
    case AnomalyType::cpu_overload:
        return "cpu_overload";
    case AnomalyType::latency_spike:
        return "latency_spike";
    case AnomalyType::error_rate_spike:
        return "error_rate_spike";
    case AnomalyType::throughput_drop:
        return "throughput_drop";
    case AnomalyType::unusual_pattern:
        return "unusual_pattern";
    }
    return "?";
}

constexpr const char* to_string(Severity severity) noexcept {
    switch (severity) {
    case Severity::info:
        return "info";
    case Severity::warning:
        return "warning";
    case Severity::error:
        return "error";
    case Severity::critical:
        return "critical";
    }
    return "?";
}

constexpr const char* to_string(MetricKind kind) noexcept {
    switch (kind) {
    case MetricKind::latency:
        return "latency";
    case MetricKind::error_rate:
        return "error_rate";
    case MetricKind::success_rate:
        return "success_rate";
    case MetricKind::memory:
        return "memory";
    case MetricKind::cpu:
        return "cpu";
    case MetricKind::throughput:
        return "throughput";
    case MetricKind::queue:
        return "queue";
    case MetricKind::cost:
        return "cost";
    case MetricKind::tokens:
        return "tokens";
    case MetricKind::other:
        return "other";
    }
    return "?";
}

namespace detail {

// The enumerator whose to_string equals `name`; throws invalid_argument listing the names.
template <class Enum, std::size_t N>
Enum parse_enum(std::string_view name, const std::array<Enum, N>& all, const char* what) {
    for (Enum e : all)
        if (name == to_string(e)) return e;
    std::string names;
    for (Enum e : all)
        names += std::string(names.empty() ? "" : ", ") + to_string(e);
    throw invalid_argument(std::string("unknown ") + what + " '" + std::string(name) +
                           "' (expected one of: " + names + ")");
}

inline constexpr std::array<AnomalyType, 8> all_anomaly_types{AnomalyType::performance_degradation,
                                                              AnomalyType::resource_spike,
                                                              AnomalyType::memory_leak,
                                                              AnomalyType::cpu_overload,
                                                              AnomalyType::latency_spike,
                                                              AnomalyType::error_rate_spike,
                                                              AnomalyType::throughput_drop,
                                                              AnomalyType::unusual_pattern};
inline constexpr std::array<Severity, 4> all_severities{Severity::info, Severity::warning,
                                                        Severity::error, Severity::critical};
inline constexpr std::array<MetricKind, 10> all_metric_kinds{
    MetricKind::latency, MetricKind::error_rate, MetricKind::success_rate, MetricKind::memory,
    MetricKind::cpu,     MetricKind::throughput, MetricKind::queue,        MetricKind::cost,
    MetricKind::tokens,  MetricKind::other};

inline char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
inline bool ascii_alnum(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

} // namespace detail

/// The AnomalyType named `name` ("memory_leak"); throws invalid_argument otherwise.
inline AnomalyType parse_anomaly_type(std::string_view name) {
    return detail::parse_enum(name, detail::all_anomaly_types, "anomaly type");
}
/// The Severity named `name` ("critical"); throws invalid_argument otherwise.
inline Severity parse_severity(std::string_view name) {
    return detail::parse_enum(name, detail::all_severities, "severity");
}
/// The MetricKind named `name` ("latency"); throws invalid_argument otherwise.
inline MetricKind parse_metric_kind(std::string_view name) {
    return detail::parse_enum(name, detail::all_metric_kinds, "metric kind");
}

/// Guesses what a metric measures from its name. The name is split into lower-case words at
/// non-alphanumeric characters and lower-to-upper case changes ("p99LatencyMs" -> p99,
/// latency, ms); the name gets the kind of the first rule below that any of its words matches:
///   latency      latency, duration, elapsed, rtt, "response time"     (latency_ms, p99_latency)
///   error_rate   error*, err, errs, fail*, exception*, timeout*        (errors, failure_rate)
///   success_rate success*, succeeded
///   memory       mem, memory*, rss, heap                               (memory_bytes, heap_mb)
///   cpu          cpu*
///   queue        queue*, backlog
///   cost         cost*, usd, spend, dollars
///   tokens       token*
///   throughput   throughput, rps, qps, tps, req, reqs, request(s)      (requests_per_second)
///   other        anything else
/// So "failed_requests" is error_rate, "token_cost_usd" cost, "tokens_per_second" tokens.
/// O(length of the name); no allocation.
inline MetricKind infer_metric_kind(std::string_view metric_name) noexcept {
    // The rules in priority order; a word's rule is the first that matches it.
    constexpr MetricKind by_priority[] = {
        MetricKind::latency, MetricKind::error_rate, MetricKind::success_rate,
        MetricKind::memory,  MetricKind::cpu,        MetricKind::queue,
        MetricKind::cost,    MetricKind::tokens,     MetricKind::throughput};
    constexpr int none = 9;
    auto starts = [](std::string_view w, std::string_view prefix) {
        return w.substr(0, prefix.size()) == prefix;
    };
    auto rule_of = [&](std::string_view w, std::string_view previous) {
        if (w == "latency" || w == "latencies" || w == "duration" || w == "durations" ||
            w == "elapsed" || w == "rtt" || (previous == "response" && w == "time"))
            return 0;
        if (starts(w, "error") || w == "err" || w == "errs" || starts(w, "fail") ||
            starts(w, "exception") || starts(w, "timeout"))
            return 1;
        if (starts(w, "success") || w == "succeeded") return 2;
        if (w == "mem" || starts(w, "memory") || w == "rss" || w == "heap") return 3;
        if (starts(w, "cpu")) return 4;
        if (starts(w, "queue") || w == "backlog") return 5;
        if (starts(w, "cost") || w == "usd" || w == "spend" || w == "dollars") return 6;
        if (starts(w, "token")) return 7;
        if (w == "throughput" || w == "rps" || w == "qps" || w == "tps" || w == "req" ||
            w == "reqs" || w == "request" || w == "requests")
            return 8;
        return none;
    };
    // Words longer than 32 characters are cut; no rule needs more.
    constexpr std::size_t max_word = 32;
    char buffers[2][max_word];
    int current = 0;
    std::size_t length = 0;
    std::string_view previous;
    int best = none;
    auto flush = [&] {
        if (length == 0) return;
        const std::string_view w(buffers[current], length);
        best = std::min(best, rule_of(w, previous));
        previous = w;
        current = 1 - current;
        length = 0;
    };
    char last = '\0';
    for (const char c : metric_name) {
        if (!detail::ascii_alnum(c)) {
            flush();
        } else {
            const bool upper = c >= 'A' && c <= 'Z';
            const bool last_lower = (last >= 'a' && last <= 'z') || (last >= '0' && last <= '9');
            if (upper && last_lower) flush();
            if (length < max_word) buffers[current][length++] = detail::ascii_lower(c);
        }
        last = c;
    }
    flush();
    return best == none ? MetricKind::other : by_priority[best];
}

/// One classified, graded anomaly: what the Annotator makes of an anomalous Detection.
struct AnomalyResult {
    Timestamp time{};
    SeriesId series{};
    AnomalyType type = AnomalyType::unusual_pattern;
    /// The detector's calibrated score in [0, 1].
    double score = 0.0;
    /// Belief that this is a real anomaly, in [0, 1] (see Annotator).
    double confidence = 0.0;
    Severity severity = Severity::info;
    double actual = std::numeric_limits<double>::quiet_NaN();
    double expected = std::numeric_limits<double>::quiet_NaN();
    /// actual - expected.
    double deviation = std::numeric_limits<double>::quiet_NaN();
    /// The detector's score threshold.
    double threshold = 1.0;
    Shape shape = Shape::none;
    Direction direction = Direction::none;
    /// Consecutive anomalous samples of this series so far, this one included.
    std::size_t persistence = 0;
    /// Name of the detector that flagged the sample.
    std::string detector;
    /// One human sentence, e.g. "latency_ms of agent/planner rose to 812 (expected 240,
    /// +238%) — a level shift lasting 6 samples".
    std::string explanation;
};

} // namespace v0
} // namespace augur
