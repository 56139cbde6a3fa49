#pragma once

// to_feature_matrix: from a MetricStream (samples of many series, in any order: a long-format
// file, what SampleReader yields from a wide file, a vector of Samples) to the feature matrix
// batch models take (augur/core/batch_model.hpp): one row per distinct timestamp (ascending),
// one column per series (ascending SeriesId, or the order of a given list).
//
// Policies, chosen in FeatureMatrixConfig and counted in the result:
//  - a missing cell (no sample of that series at that time):
//      MissingCell::reject   (default) data_error naming the series and the time;
//      MissingCell::nan      the cell is NaN (a model's fit then rejects it, or the caller
//                            imputes);
//      MissingCell::previous the series' latest earlier value (last observation carried
//                            forward); cells before a series' first value stay NaN and are
//                            counted in `left_nan`.
//  - a duplicate cell (two samples of one series at one time):
//      DuplicateCell::reject    (default) data_error naming the series and the time;
//      DuplicateCell::keep_last the later sample in stream order wins.
//  - samples of series not among FeatureMatrixConfig::columns (when given) are skipped and
//    counted in `ignored`.
// A sample's value is copied as it is (a NaN value is a present cell holding NaN): screen
// values upstream with the input policy (augur/core/input_policy.hpp) if needed.
//
// Complexity: O(N log N) time and O(N + rows * columns) memory for N samples.
// Thread-safety: a free function; the stream is consumed once.
// @code
//   augur::SeriesRegistry registry;
//   augur::io::SampleReader reader{std::filesystem::path{"metrics.csv"}, registry};
//   const augur::FeatureMatrix m = augur::to_feature_matrix(
//       reader, {.missing = augur::MissingCell::previous}, &registry);
//   augur::IsolationForest<> forest;
//   forest.fit(m.values);                 // m.times[i] is the time of row i
// @endcode

#include "augur/core/error.hpp"
#include "augur/core/sample.hpp"
#include "augur/core/series.hpp"
#include "augur/core/stream.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <ranges>
#include <string>
#include <unordered_map>
#include <vector>

namespace augur {
inline namespace v0 {

/// What to_feature_matrix does with a (time, series) cell that has no sample.
enum class MissingCell { reject, nan, previous };

/// What to_feature_matrix does with two samples of one series at one time.
enum class DuplicateCell { reject, keep_last };

/// Options of to_feature_matrix.
struct FeatureMatrixConfig {
    MissingCell missing = MissingCell::reject;
    DuplicateCell duplicate = DuplicateCell::reject;
    /// The columns, in order; empty: every series in the stream, by ascending SeriesId.
    /// A series listed twice throws invalid_argument.
    std::vector<SeriesId> columns{};
};

/// A feature matrix built from a stream, with what the policies did.
struct FeatureMatrix {
    Eigen::MatrixXd values;       ///< times.size() x series.size()
    std::vector<Timestamp> times; ///< the time of each row, strictly ascending
    std::vector<SeriesId> series; ///< the series of each column
    std::size_t missing = 0;      ///< cells with no sample (filled by the missing policy)
    std::size_t left_nan = 0;     ///< of those, cells left NaN (MissingCell::nan, or before a
                                  ///< series' first value under MissingCell::previous)
    std::size_t duplicates = 0;   ///< samples that replaced an earlier one (keep_last)
    std::size_t ignored = 0;      ///< samples of series not among the requested columns
};

namespace detail {

inline std::string feature_series_name(SeriesId id, const SeriesRegistry* registry) {
    if (registry != nullptr && id.index() < registry->size()) return registry->name(id);
    return "#" + std::to_string(id.value);
}

} // namespace detail

/// Builds the feature matrix of `stream` (see the file comment for the policies). `registry`
/// (optional) names the series in error messages. Throws data_error for a missing or
/// duplicate cell under the reject policies, invalid_argument for a repeated column.
template <MetricStream Stream>
FeatureMatrix to_feature_matrix(Stream&& stream, const FeatureMatrixConfig& config = {},
                                const SeriesRegistry* registry = nullptr) {
    constexpr const char* where = "to_feature_matrix";
    FeatureMatrix out;
    struct Cell {
        Timestamp time;
        std::uint32_t column;
        double value;
    };
    std::vector<Cell> cells;
    std::unordered_map<SeriesId, std::uint32_t> column_of;
    const bool fixed = !config.columns.empty();
    if (fixed) {
        for (std::size_t c = 0; c < config.columns.size(); ++c)
            if (!column_of.emplace(config.columns[c], static_cast<std::uint32_t>(c)).second)
                throw invalid_argument(std::string(where) + ": columns lists series " +
                                       detail::feature_series_name(config.columns[c], registry) +
                                       " twice");
        out.series = config.columns;
    }
    for (auto&& element : stream) {
        const Sample sample = element;
        auto it = column_of.find(sample.series);
        if (it == column_of.end()) {
            if (fixed) {
                ++out.ignored;
                continue;
            }
            // Provisional column; renumbered by ascending SeriesId below.
            it = column_of.emplace(sample.series, static_cast<std::uint32_t>(out.series.size()))
                     .first;
            out.series.push_back(sample.series);
        }
        cells.push_back({sample.time, it->second, sample.value});
    }
    if (!fixed) {
        std::vector<SeriesId> sorted = out.series;
        std::sort(sorted.begin(), sorted.end());
        std::vector<std::uint32_t> renumber(sorted.size());
        for (std::size_t c = 0; c < sorted.size(); ++c)
            renumber[column_of.at(sorted[c])] = static_cast<std::uint32_t>(c);
        for (auto& cell : cells)
            cell.column = renumber[cell.column];
        out.series = std::move(sorted);
    }
    // Stable: samples of one cell keep their stream order, so "last" is the stream's last.
    std::stable_sort(cells.begin(), cells.end(), [](const Cell& a, const Cell& b) {
        return a.time != b.time ? a.time < b.time : a.column < b.column;
    });
    for (std::size_t i = 0; i < cells.size(); ++i)
        if (i == 0 || cells[i].time != cells[i - 1].time) out.times.push_back(cells[i].time);

    const auto rows = static_cast<Eigen::Index>(out.times.size());
    const auto cols = static_cast<Eigen::Index>(out.series.size());
    out.values.setConstant(rows, cols, std::numeric_limits<double>::quiet_NaN());
    std::vector<std::uint8_t> present(static_cast<std::size_t>(rows * cols), 0);
    Eigen::Index row = -1;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        const Cell& cell = cells[i];
        if (i == 0 || cell.time != cells[i - 1].time) ++row;
        const auto col = static_cast<Eigen::Index>(cell.column);
        auto& seen = present[static_cast<std::size_t>(col * rows + row)];
        if (seen != 0) {
            if (config.duplicate == DuplicateCell::reject)
                throw data_error(std::string(where) + ": series " +
                                 detail::feature_series_name(out.series[cell.column], registry) +
                                 " has two samples at " + to_iso8601(cell.time));
            ++out.duplicates;
        }
        seen = 1;
        out.values(row, col) = cell.value;
    }
    for (Eigen::Index c = 0; c < cols; ++c) {
        bool started = false;
        for (Eigen::Index r = 0; r < rows; ++r) {
            if (present[static_cast<std::size_t>(c * rows + r)] != 0) {
                started = true;
                continue;
            }
            ++out.missing;
            switch (config.missing) {
            case MissingCell::reject:
                throw data_error(
                    std::string(where) + ": series " +
                    detail::feature_series_name(out.series[static_cast<std::size_t>(c)], registry) +
                    " has no sample at " + to_iso8601(out.times[static_cast<std::size_t>(r)]));
            case MissingCell::nan:
                ++out.left_nan;
                break;
            case MissingCell::previous:
                if (started)
                    out.values(r, c) = out.values(r - 1, c);
                else
                    ++out.left_nan;
                break;
            }
        }
    }
    return out;
}

} // namespace v0
} // namespace augur
