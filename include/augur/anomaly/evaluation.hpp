#pragma once

// Evaluation of anomaly scores against 0/1 labels (1 = anomaly / positive): ROC AUC, average
// precision, and precision / recall / F1 at a threshold. The definitions are scikit-learn's
// (roc_auc_score, average_precision_score, precision_recall_fscore_support with
// zero_division = 0), so figures compare directly.
//
// Every function takes scores and labels of equal length (AUGUR_ASSERT), higher score = more
// anomalous. Labels other than 0/1 or NaN scores throw invalid_argument.
// Complexity: roc_auc and average_precision O(n log n) (one sort, O(n) extra memory);
// binary_metrics O(n). Thread-safety: pure functions.

#include "augur/core/error.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <span>
#include <string>
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

} // namespace v0
} // namespace augur
