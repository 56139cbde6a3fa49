#pragma once

// Evaluation of anomaly detectors.
// Point-wise, against 0/1 labels (1 = anomaly / positive): ROC AUC, average precision, and
// precision / recall / F1 at a threshold. The definitions are scikit-learn's (roc_auc_score,
// average_precision_score, precision_recall_fscore_support with zero_division = 0), so
// figures compare directly. Every such function takes scores and labels of equal length
// (AUGUR_ASSERT), higher score = more anomalous. Labels other than 0/1 or NaN scores throw
// invalid_argument.
// Incident-level, against labelled windows: evaluate_incidents says which incidents a
// detector found and how late, and which of its alarms fell outside every incident.
// Complexity: roc_auc and average_precision O(n log n) (one sort, O(n) extra memory);
// binary_metrics O(n); evaluate_incidents O((n + w) log(n + w)) for n detections and w
// window-series pairs. Thread-safety: pure functions.

#include "augur/core/error.hpp"
#include "augur/core/sample.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

namespace augur {
inline namespace v0 {

namespace detail {

struct LabelCounts {
    std::size_t positives = 0;
    std::size_t negatives = 0;
};

inline LabelCounts check_scores_and_labels(std::span<const double> scores,
                                           std::span<const int> labels, const char* where) {
    AUGUR_ASSERT(scores.size() == labels.size(), "scores and labels differ in length");
    LabelCounts counts;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] != 0 && labels[i] != 1)
            throw invalid_argument(std::string(where) + ": labels[" + std::to_string(i) +
                                   "] = " + std::to_string(labels[i]) + ": labels must be 0 or 1");
        if (std::isnan(scores[i]))
            throw invalid_argument(std::string(where) + ": scores[" + std::to_string(i) +
                                   "] is NaN");
        ++(labels[i] == 1 ? counts.positives : counts.negatives);
    }
    return counts;
}

/// Indices of `scores` sorted by descending score (ties in index order).
inline std::vector<std::size_t> order_descending(std::span<const double> scores) {
    std::vector<std::size_t> order(scores.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
    return order;
}

} // namespace detail

/// Area under the ROC curve: the probability that a random positive scores above a random
/// negative, ties counting one half (the Mann-Whitney U statistic / (P * N)); equal to
/// scikit-learn's roc_auc_score. Throws invalid_argument when either class is missing.
/// @code
///   double auc = augur::roc_auc(scores, labels); // 0.5 = chance, 1 = perfect ranking
/// @endcode
inline double roc_auc(std::span<const double> scores, std::span<const int> labels) {
    const auto counts = detail::check_scores_and_labels(scores, labels, "roc_auc");
    if (counts.positives == 0 || counts.negatives == 0)
        throw invalid_argument("roc_auc: labels hold only one class (" +
                               std::to_string(counts.positives) + " positives, " +
                               std::to_string(counts.negatives) +
                               " negatives); ROC AUC is undefined");
    const auto order = detail::order_descending(scores);
    // Walk tie groups from the top: each positive in a group beats the negatives below it and
    // ties with half of the negatives in its group.
    double wins = 0.0;
    std::size_t negatives_below = counts.negatives;
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        std::size_t group_positives = 0;
        std::size_t group_negatives = 0;
        while (j < order.size() && scores[order[j]] == scores[order[i]]) {
            ++(labels[order[j]] == 1 ? group_positives : group_negatives);
            ++j;
        }
        negatives_below -= group_negatives;
        wins += static_cast<double>(group_positives) *
                (static_cast<double>(negatives_below) + 0.5 * static_cast<double>(group_negatives));
        i = j;
    }
    return wins / (static_cast<double>(counts.positives) * static_cast<double>(counts.negatives));
}

/// Average precision, sum over distinct thresholds (descending) of (R_k - R_{k-1}) * P_k
/// with tied scores grouped into one threshold: scikit-learn's average_precision_score
/// (step-wise, no interpolation). Throws invalid_argument when there is no positive label.
inline double average_precision(std::span<const double> scores, std::span<const int> labels) {
    const auto counts = detail::check_scores_and_labels(scores, labels, "average_precision");
    if (counts.positives == 0)
        throw invalid_argument("average_precision: no positive label; average precision is "
                               "undefined");
    const auto order = detail::order_descending(scores);
    const auto positives = static_cast<double>(counts.positives);
    double ap = 0.0;
    std::size_t true_positives = 0;
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        std::size_t group_positives = 0;
        while (j < order.size() && scores[order[j]] == scores[order[i]]) {
            group_positives += labels[order[j]] == 1 ? 1 : 0;
            ++j;
        }
        true_positives += group_positives;
        const double precision = static_cast<double>(true_positives) / static_cast<double>(j);
        ap += static_cast<double>(group_positives) / positives * precision;
        i = j;
    }
    return ap;
}

/// Confusion counts and the derived rates of a thresholded score.
struct BinaryMetrics {
    double precision = 0.0; ///< tp / (tp + fp); 0 when nothing is flagged
    double recall = 0.0;    ///< tp / (tp + fn); 0 when there is no positive
    double f1 = 0.0;        ///< harmonic mean of precision and recall; 0 when both are 0
    std::size_t tp = 0;
    std::size_t fp = 0;
    std::size_t fn = 0;
    std::size_t tn = 0;
};

/// Flags score >= threshold as positive and compares with the labels. Undefined ratios are 0
/// (scikit-learn's zero_division = 0). Throws invalid_argument for a NaN threshold.
inline BinaryMetrics binary_metrics(std::span<const double> scores, std::span<const int> labels,
                                    double threshold) {
    detail::check_scores_and_labels(scores, labels, "binary_metrics");
    if (std::isnan(threshold))
        throw_invalid_config("binary_metrics", "threshold", threshold, "must not be NaN");
    BinaryMetrics m;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        const bool flagged = scores[i] >= threshold;
        if (labels[i] == 1)
            ++(flagged ? m.tp : m.fn);
        else
            ++(flagged ? m.fp : m.tn);
    }
    if (m.tp + m.fp > 0) m.precision = static_cast<double>(m.tp) / static_cast<double>(m.tp + m.fp);
    if (m.tp + m.fn > 0) m.recall = static_cast<double>(m.tp) / static_cast<double>(m.tp + m.fn);
    if (m.precision + m.recall > 0.0)
        m.f1 = 2.0 * m.precision * m.recall / (m.precision + m.recall);
    return m;
}

/// A labelled incident: the time interval [start, end] (both ends included) on the series it
/// shows on (one or more).
struct IncidentWindow {
    Timestamp start{};
    Timestamp end{};
    std::vector<SeriesId> series{};
};

/// A detector's verdict on one sample, as evaluate_incidents reads it. Verdicts with
/// is_anomaly false are ignored (so every Detection can be passed, flagged or not).
struct TimedDetection {
    SeriesId series{};
    Timestamp time{};
    bool is_anomaly = true;
};

/// What happened to one labelled incident.
struct IncidentOutcome {
    /// An anomalous detection fell inside the window on one of its series.
    bool detected = false;
    /// The index (in the detections given) of the earliest such detection; among detections
    /// at the same time, the first given.
    std::optional<std::size_t> first;
    /// Its time minus the window's start; zero when missed.
    Duration delay{};
};

/// Incident-level figures of a detector's alarms.
struct IncidentMetrics {
    /// One outcome per window, in the order given.
    std::vector<IncidentOutcome> incidents;
    /// Indices (ascending) of the anomalous detections outside every window of their series.
    std::vector<std::size_t> false_alarms;
    std::size_t detected = 0; ///< incidents detected
    std::size_t missed = 0;   ///< incidents not detected
    /// detected / (detected + false alarms): each found incident counts once, each alarm
    /// outside the incidents once; 0 when both are 0.
    double precision = 0.0;
    /// detected / incidents; 0 without incidents.
    double recall = 0.0;
    /// Harmonic mean of precision and recall; 0 when both are 0.
    double f1 = 0.0;
};

/// Matches detections to labelled incidents: an incident is detected when an anomalous
/// detection of one of its series has a time in [start, end]; its delay is from start to the
/// earliest such detection. An anomalous detection inside no window of its own series is a
/// false alarm (each counts, consecutive or not; one inside any window is never a false
/// alarm, even a late one). Detections need not be sorted; windows may overlap.
/// Throws invalid_argument for a window that ends before it starts or names no series.
/// @code
///   std::vector<augur::IncidentWindow> incidents{{start, end, {cpu_id}}};
///   std::vector<augur::TimedDetection> alarms;   // {series, time, is_anomaly} per sample
///   augur::IncidentMetrics m = augur::evaluate_incidents(incidents, alarms);
///   // m.incidents[0].detected, m.incidents[0].delay, m.false_alarms.size(), m.f1
/// @endcode
inline IncidentMetrics evaluate_incidents(std::span<const IncidentWindow> windows,
                                          std::span<const TimedDetection> detections) {
    for (std::size_t i = 0; i < windows.size(); ++i) {
        if (windows[i].end < windows[i].start)
            throw invalid_argument(detail::join_text(
                {"evaluate_incidents: windows[", std::to_string(i), "] ends before it starts"}));
        if (windows[i].series.empty())
            throw invalid_argument(detail::join_text(
                {"evaluate_incidents: windows[", std::to_string(i), "] names no series"}));
    }
    // Anomalous detections by (series, time, index).
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < detections.size(); ++i)
        if (detections[i].is_anomaly) order.push_back(i);
    auto key = [&](std::size_t i) { return std::tuple(detections[i].series, detections[i].time); };
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return key(a) < key(b); });

    IncidentMetrics m;
    m.incidents.resize(windows.size());
    // (series, start, end) of every window, merged per series where they overlap.
    std::vector<std::tuple<SeriesId, Timestamp, Timestamp>> spans;
    for (std::size_t w = 0; w < windows.size(); ++w) {
        const IncidentWindow& window = windows[w];
        IncidentOutcome& outcome = m.incidents[w];
        for (const SeriesId series : window.series) {
            spans.emplace_back(series, window.start, window.end);
            const auto at = std::partition_point(order.begin(), order.end(), [&](std::size_t i) {
                return key(i) < std::tuple(series, window.start);
            });
            if (at == order.end() || detections[*at].series != series ||
                detections[*at].time > window.end)
                continue;
            const std::size_t i = *at;
            const bool earlier =
                !outcome.first || detections[i].time < detections[*outcome.first].time ||
                (detections[i].time == detections[*outcome.first].time && i < *outcome.first);
            if (earlier) outcome.first = i;
        }
        if (outcome.first) {
            outcome.detected = true;
            outcome.delay = detections[*outcome.first].time - window.start;
            ++m.detected;
        } else {
            ++m.missed;
        }
    }
    std::sort(spans.begin(), spans.end());
    std::vector<std::tuple<SeriesId, Timestamp, Timestamp>> merged;
    for (const auto& span : spans) {
        if (!merged.empty() && std::get<0>(merged.back()) == std::get<0>(span) &&
            std::get<1>(span) <= std::get<2>(merged.back()))
            std::get<2>(merged.back()) = std::max(std::get<2>(merged.back()), std::get<2>(span));
        else
            merged.push_back(span);
    }
    for (std::size_t i = 0; i < detections.size(); ++i) {
        const TimedDetection& d = detections[i];
        if (!d.is_anomaly) continue;
        // The last span starting at or before (series, time).
        const auto after =
            std::upper_bound(merged.begin(), merged.end(), std::tuple(d.series, d.time),
                             [](const auto& k, const auto& span) {
                                 return k < std::tuple(std::get<0>(span), std::get<1>(span));
                             });
        const bool inside = after != merged.begin() && std::get<0>(*(after - 1)) == d.series &&
                            d.time <= std::get<2>(*(after - 1));
        if (!inside) m.false_alarms.push_back(i);
    }
    const auto found = static_cast<double>(m.detected);
    const std::size_t alarms = m.detected + m.false_alarms.size();
    if (alarms > 0) m.precision = found / static_cast<double>(alarms);
    if (!windows.empty()) m.recall = found / static_cast<double>(windows.size());
    if (m.precision + m.recall > 0.0)
        m.f1 = 2.0 * m.precision * m.recall / (m.precision + m.recall);
    return m;
}

} // namespace v0
} // namespace augur
