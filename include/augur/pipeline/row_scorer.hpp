#pragma once

// One verdict per input row of several series (a wide CSV row: timestamp,cpu,latency,...):
// fuse_columns combines what each column's sample got, and RowScorer runs a detector and an
// Annotator over a row's samples and fuses them (what `augur detect` writes per row).
//
// The rule: the row's score is the largest score over its columns (NaN counts as 0). The
// deciding column is the highest-scoring anomalous column if any column is anomalous, else
// the highest-scoring column; the first one wins a tie. The row is anomalous when a column
// is, and its anomaly (type, severity, explanation) is the deciding column's.
// Complexity: O(columns) per row, no allocation beyond the deciding AnomalyResult.
// Thread-safety: fuse_columns is pure; RowScorer is not synchronized.

#include "augur/anomaly/classify.hpp"
#include "augur/anomaly/detector.hpp"
#include "augur/anomaly/result.hpp"
#include "augur/core/sample.hpp"
#include "augur/core/series.hpp"
#include "augur/pipeline/any_detector.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {

/// What one column of a row got: the detector's Detection and, when anomalous, the
/// annotated AnomalyResult (may be empty if the caller does not annotate).
struct ColumnVerdict {
    Detection detection;
    std::optional<AnomalyResult> anomaly;
};

/// The fused verdict of one row.
struct RowVerdict {
    /// Largest score over the row's columns; 0 for a row without columns.
    double score = 0.0;
    /// Some column is anomalous.
    bool is_anomaly = false;
    /// The deciding column's index in the row (nullopt for a row without columns).
    std::optional<std::size_t> deciding;
    /// The deciding column's AnomalyResult when the row is anomalous.
    std::optional<AnomalyResult> anomaly;
};

/// Fuses a row's column verdicts (see the file comment). O(columns).
/// @code
///   augur::RowVerdict row = augur::fuse_columns(columns);
///   if (row.is_anomaly) report(row.score, row.anomaly->type);
/// @endcode
inline RowVerdict fuse_columns(std::span<const ColumnVerdict> columns) {
    RowVerdict row;
    double deciding_score = 0.0;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        const Detection& d = columns[i].detection;
        const double score = d.score >= 0.0 ? d.score : 0.0; // NaN -> 0
        row.score = std::max(row.score, score);
        const bool better = !row.deciding || (d.is_anomaly && !row.is_anomaly) ||
                            (d.is_anomaly == row.is_anomaly && score > deciding_score);
        if (better) {
            row.deciding = i;
            row.is_anomaly = d.is_anomaly;
            deciding_score = score;
        }
    }
    if (row.is_anomaly) row.anomaly = columns[*row.deciding].anomaly;
    return row;
}

/// Scores rows of samples with one AnyDetector and annotates anomalies with an Annotator<>.
/// @code
///   augur::RowScorer scorer(augur::make_detector("robust"), registry);
///   augur::RowVerdict v = scorer.score(row_samples);     // one Sample per value column
/// @endcode
class RowScorer {
public:
    /// `registry` names the series in explanations; it must outlive the scorer.
    RowScorer(AnyDetector detector, const SeriesRegistry& registry)
        : detector_(std::move(detector)), registry_(&registry) {}

    /// Observes each sample of the row in order (every series in `registry`) and fuses them.
    RowVerdict score(std::span<const Sample> samples) {
        columns_.clear();
        for (const Sample& s : samples) {
            ColumnVerdict c;
            c.detection = detector_.observe(s);
            c.anomaly =
                annotator_.annotate(s, c.detection, registry_->key(s.series), detector_.name());
            columns_.push_back(std::move(c));
        }
        return fuse_columns(columns_);
    }

    const AnyDetector& detector() const noexcept { return detector_; }
    AnyDetector& detector() noexcept { return detector_; }

private:
    AnyDetector detector_;
    Annotator<> annotator_;
    const SeriesRegistry* registry_;
    std::vector<ColumnVerdict> columns_;
};

} // namespace v0
} // namespace augur
