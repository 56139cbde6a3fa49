#pragma once

// read_feature_table: a CSV feature table (a header, then one row per observation of numeric
// columns) read into the matrix batch models take (augur/core/batch_model.hpp), with every
// cell's text kept so a tool can echo the input unchanged next to its results.
//
// One column may be named as a label (FeatureTableOptions::label_column): it is kept out of
// the features and may hold any text. Every other cell must parse as a finite number.
// Errors are augur::data_error located as "FILE:LINE:COL: message" like the rest of core/io:
// an empty input, a header naming the label column twice or only the label column, a row
// with the wrong number of fields, a cell that is not a finite number (naming its column),
// no data rows. A label column absent from the header is augur::invalid_argument (the
// option does not fit the file). A file that cannot be opened is data_error.
//
// Complexity: O(size of the input) time and memory. Thread-safety: a free function; the
// returned FeatureTable is a value (const members safe to call concurrently).
// @code
//   const augur::io::FeatureTable t = augur::io::read_feature_table(
//       std::filesystem::path{"features.csv"}, {.label_column = "label"});
//   augur::IsolationForest<> forest;
//   forest.fit(t.features());
// @endcode

#include "augur/core/error.hpp"
#include "augur/core/io/csv.hpp"

#include <Eigen/Core>

#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace augur {
inline namespace v0 {
namespace io {

/// Options of read_feature_table.
struct FeatureTableOptions {
    /// A column kept out of the features (any text); empty: every column is a feature.
    std::string label_column{};
};

/// A feature table: the header, the numeric features and the text of every cell.
class FeatureTable {
public:
    /// The header's column names, in file order (the label column included).
    const std::vector<std::string>& header() const noexcept { return header_; }
    /// The names of the feature columns (the header without the label column).
    const std::vector<std::string>& feature_names() const noexcept { return feature_names_; }
    /// rows() x feature_names().size(), every entry finite.
    const Eigen::MatrixXd& features() const noexcept { return features_; }
    /// The label column's index in header(), when there is one.
    std::optional<std::size_t> label() const noexcept { return label_; }
    /// Data rows (the header excluded).
    std::size_t rows() const noexcept { return rows_; }
    /// The text of a cell as it was in the file (unquoted). Precondition (AUGUR_ASSERT):
    /// row < rows(), column < header().size().
    std::string_view cell(std::size_t row, std::size_t column) const {
        AUGUR_ASSERT(row < rows_ && column < header_.size(), "FeatureTable::cell: out of range");
        const std::size_t i = row * header_.size() + column;
        const std::size_t begin = i == 0 ? 0 : ends_[i - 1];
        return std::string_view(text_).substr(begin, ends_[i] - begin);
    }

private:
    friend FeatureTable read_feature_table(std::istream&, const std::string&,
                                           const FeatureTableOptions&);

    std::vector<std::string> header_;
    std::vector<std::string> feature_names_;
    Eigen::MatrixXd features_;
    std::optional<std::size_t> label_;
    std::size_t rows_ = 0;
    std::string text_;              // every cell, back to back
    std::vector<std::size_t> ends_; // end offset of each cell in text_, row after row
};

/// Reads a feature table from `in`; `source_name` names it in error messages. See the file
/// comment for the format and the errors.
inline FeatureTable read_feature_table(std::istream& in, const std::string& source_name,
                                       const FeatureTableOptions& options = {}) {
    CsvParser csv{in, source_name};
    CsvRecord record;
    FeatureTable table;
    if (!csv.next(record))
        throw data_error(SourceLocation{source_name, 1, 0}, "empty input (no header)");
    for (std::size_t i = 0; i < record.size(); ++i) {
        table.header_.emplace_back(record[i]);
        if (!options.label_column.empty() && record[i] == options.label_column) {
            if (table.label_)
                throw data_error(
                    SourceLocation{source_name, record.line_of(i), record.column_of(i)},
                    "label column '" + options.label_column + "' appears twice in the header");
            table.label_ = i;
        } else {
            table.feature_names_.emplace_back(record[i]);
        }
    }
    if (!options.label_column.empty() && !table.label_)
        throw invalid_argument("read_feature_table: no column named '" + options.label_column +
                               "' (the label column) in " + source_name);
    const std::size_t columns = table.header_.size();
    const std::size_t d = table.feature_names_.size();
    if (d == 0)
        throw data_error(SourceLocation{source_name, record.line(), 0},
                         "no feature columns (only the label column)");

    std::vector<double> values; // row-major
    while (csv.next(record)) {
        if (record.size() != columns)
            throw data_error(SourceLocation{source_name, record.line(), 0},
                             "expected " + std::to_string(columns) + " fields, got " +
                                 std::to_string(record.size()));
        for (std::size_t i = 0; i < columns; ++i) {
            const std::string_view cell = record[i];
            table.text_.append(cell);
            table.ends_.push_back(table.text_.size());
            if (table.label_ && i == *table.label_) continue;
            const std::optional<double> value = parse_double(cell);
            if (!value || !std::isfinite(*value))
                throw data_error(
                    SourceLocation{source_name, record.line_of(i), record.column_of(i)},
                    "column '" + table.header_[i] + "': '" + std::string(cell) + "' is not " +
                        (value ? "a finite number" : "a number"));
            values.push_back(*value);
        }
        ++table.rows_;
    }
    if (table.rows_ == 0)
        throw data_error(SourceLocation{source_name, record.line(), 0}, "no data rows");
    table.features_.resize(static_cast<Eigen::Index>(table.rows_), static_cast<Eigen::Index>(d));
    for (std::size_t r = 0; r < table.rows_; ++r)
        for (std::size_t c = 0; c < d; ++c)
            table.features_(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) =
                values[r * d + c];
    return table;
}

/// Reads the feature table in `file` (named by its path in errors); a file that cannot be
/// opened is data_error.
inline FeatureTable read_feature_table(const std::filesystem::path& file,
                                       const FeatureTableOptions& options = {}) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw data_error("cannot open '" + file.string() + "' for reading");
    return read_feature_table(in, file.string(), options);
}

} // namespace io
} // namespace v0
} // namespace augur
