#pragma once

// SampleReader: a MetricStream of Samples read from a CSV file or stream.
//
// Two layouts, told apart from the header row (names matched case-insensitively, surrounding
// spaces ignored):
//   long   one sample per row, with a series column ("series", "metric" or "name"), a
//          timestamp column ("timestamp", "time", "ts", "date" or "datetime") and a "value"
//          column, in any order; other columns are ignored. Series names are interned through
//          SeriesRegistry::intern(std::string_view), so they may use the SeriesKey text form.
//   wide   a timestamp column and one column per series, e.g. "timestamp,cpu,mem" or a NAB
//          file "timestamp,value". The timestamp column is the first one named like a
//          timestamp, else the first column; each other column is a series named by its
//          header. A row gives one sample per series column, in column order.
// CsvLayout::automatic picks long when the header has series, timestamp and value columns,
// wide otherwise. SampleReaderOptions can force the layout and name the columns; in the wide
// layout a value_column restricts the series to that single column.
//
// Cells: timestamps as io::parse_timestamp reads them (ISO-8601 or epoch numbers in
// options.time_unit); values as io::parse_double reads them, where an empty cell, "NA", "N/A",
// "NaN" or "null" (any case) is a missing value and gives a NaN sample (an InputGuard
// downstream counts and handles those).
//
// Errors throw augur::data_error located at FILE:LINE:COLUMN: empty input (no header), a
// header without a usable layout (a single column, a missing named column, an empty or
// repeated series name, a first row that looks like data rather than a header), a row with
// the wrong number of fields, an unparsable timestamp or value (the message names the column
// and quotes the text), and any malformed CSV (see csv.hpp).
//
// Complexity: O(bytes); memory is constant (the CSV buffer and one record), and nothing is
// allocated per sample except when a new long-format series first appears.
// Thread-safety: not synchronized; one reader per stream.

#include "augur/core/error.hpp"
#include "augur/core/io/csv.hpp"
#include "augur/core/io/timestamp.hpp"
#include "augur/core/sample.hpp"
#include "augur/core/series.hpp"
#include "augur/core/stream.hpp"
#include "augur/detail/io_text.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <istream>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {
namespace io {

/// The layout of a sample CSV (see the file comment).
enum class CsvLayout { automatic, long_format, wide };

/// "automatic", "long" or "wide".
constexpr const char* to_string(CsvLayout layout) noexcept {
    switch (layout) {
    case CsvLayout::automatic:
        return "automatic";
    case CsvLayout::long_format:
        return "long";
    case CsvLayout::wide:
        return "wide";
    }
    return "?";
}

/// Options of SampleReader. Column names are matched case-insensitively; empty = detect.
struct SampleReaderOptions {
    CsvLayout layout = CsvLayout::automatic;
    TimeUnit time_unit = TimeUnit::automatic;
    char delimiter = ',';
    std::string timestamp_column;
    std::string series_column;
    std::string value_column;
};

/// Reads Samples from CSV (see the file comment). A single-pass MetricStream: iterate it
/// with range-for (begin() starts from the current position) or call next().
/// @code
///   augur::SeriesRegistry registry;
///   augur::io::SampleReader reader{std::filesystem::path{"nab.csv"}, registry};
///   for (const augur::Sample& s : reader)
///       std::cout << registry.name(s.series) << ' ' << s.value << '\n';
/// @endcode
class SampleReader {
public:
    /// Input iterator over the remaining samples; compare with std::default_sentinel.
    class iterator {
    public:
        using value_type = Sample;
        using difference_type = std::ptrdiff_t;
        using reference = const Sample&;
        using iterator_concept = std::input_iterator_tag;

        iterator() = default;
        explicit iterator(SampleReader* parent) noexcept : parent_(parent) {}

        const Sample& operator*() const noexcept { return parent_->current_; }
        const Sample* operator->() const noexcept { return &parent_->current_; }
        iterator& operator++() {
            parent_->advance();
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
            return it.done();
        }

    private:
        bool done() const noexcept { return parent_ == nullptr || !parent_->has_current_; }

        SampleReader* parent_ = nullptr;
    };

    /// Reads the header from `in` (not owned; must outlive the reader). `source_name` names
    /// the input in error messages (e.g. the file name or "<stdin>"). Series are interned in
    /// `registry` (must outlive the reader). Throws data_error on an empty input or an
    /// unusable header, invalid_argument on bad options.
    SampleReader(std::istream& in, std::string source_name, SeriesRegistry& registry,
                 SampleReaderOptions options = {})
        : SampleReader(nullptr, in, std::move(source_name), registry, std::move(options)) {}

    /// Opens and reads `file`. Throws data_error naming the file when it cannot be opened.
    SampleReader(const std::filesystem::path& file, SeriesRegistry& registry,
                 SampleReaderOptions options = {})
        : SampleReader(open(file), file.string(), registry, std::move(options)) {}

    /// The next sample into `out`; false at the end of the input. Throws data_error.
    bool next(Sample& out) {
        if (layout_ == CsvLayout::wide) {
            while (next_column_ >= value_columns_.size()) {
                if (!read_row()) return false;
                row_time_ = time_of();
                next_column_ = 0;
            }
            const std::size_t c = value_columns_[next_column_];
            const SeriesId series = column_series_[next_column_];
            record_column_ = c;
            ++next_column_; // a caller that catches a bad cell continues with the next one
            out.value = value_of(c);
            out.series = series;
            out.time = row_time_;
            return true;
        }
        if (!read_row()) return false;
        out.series = series_of(series_column_);
        out.time = time_of();
        out.value = value_of(value_column_);
        record_column_ = value_column_;
        return true;
    }

    /// Starts iteration at the current position (reads the first remaining sample).
    iterator begin() {
        advance();
        return iterator{this};
    }
    std::default_sentinel_t end() const noexcept { return {}; }

    /// The layout in use (never automatic).
    CsvLayout layout() const noexcept { return layout_; }
    /// The header row's fields, as written.
    const std::vector<std::string>& header() const noexcept { return header_; }
    /// The current row (the one the last sample came from); valid until the next read.
    const CsvRecord& record() const noexcept { return record_; }
    /// The column index (into header()) of the last sample's value.
    std::size_t record_column() const noexcept { return record_column_; }
    /// 1-based line where the current row starts (the header's line before the first row).
    std::uint64_t line() const noexcept { return parser_.line(); }
    const std::string& source_name() const noexcept { return parser_.source_name(); }
    /// Wide layout: the series of each value column, in column order (parallel to
    /// value_columns()); empty in the long layout.
    const std::vector<SeriesId>& column_series() const noexcept { return column_series_; }
    /// The column indices that hold values: wide, one per series; long, the value column.
    const std::vector<std::size_t>& value_columns() const noexcept { return value_columns_; }
    /// The timestamp column's index.
    std::size_t timestamp_column() const noexcept { return time_column_; }
    /// Long layout: the series column's index; npos in the wide layout.
    std::size_t series_column() const noexcept { return series_column_; }
    /// Data rows read so far (the header excluded).
    std::uint64_t rows() const noexcept { return rows_; }
    /// Bytes of input consumed so far (for progress reports).
    std::uint64_t bytes_consumed() const noexcept { return parser_.bytes_consumed(); }
    const SeriesRegistry& registry() const noexcept { return *registry_; }
    const SampleReaderOptions& options() const noexcept { return options_; }

    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

private:
    SampleReader(std::unique_ptr<std::istream>&& owned, std::istream& in, std::string source_name,
                 SeriesRegistry& registry, SampleReaderOptions options)
        : owned_(std::move(owned)),
          parser_(in, std::move(source_name), CsvOptions{options.delimiter}), registry_(&registry),
          options_(std::move(options)) {
        read_header();
    }

    SampleReader(std::unique_ptr<std::istream>&& owned, std::string source_name,
                 SeriesRegistry& registry, SampleReaderOptions options)
        : SampleReader(std::move(owned), *owned, std::move(source_name), registry,
                       std::move(options)) {}

    static std::unique_ptr<std::istream> open(const std::filesystem::path& file) {
        std::error_code ec;
        const auto status = std::filesystem::status(file, ec);
        if (!std::filesystem::exists(status))
            throw data_error(SourceLocation{file.string()}, "cannot open: no such file");
        if (std::filesystem::is_directory(status))
            throw data_error(SourceLocation{file.string()}, "cannot open: is a directory");
        auto stream = std::make_unique<std::ifstream>(file, std::ios::binary);
        if (!stream->is_open())
            throw data_error(SourceLocation{file.string()},
                             "cannot open for reading (permission denied?)");
        return stream;
    }

    void advance() { has_current_ = next(current_); }

    [[noreturn]] void fail_at(std::size_t column, const std::string& message) const {
        throw data_error(SourceLocation{parser_.source_name(), record_.line_of(column),
                                        record_.column_of(column)},
                         message);
    }

    std::string column_label(std::size_t column) const {
        return "column '" + std::string(detail::io_trim(header_[column])) + "'";
    }

    // Index of the header field named like one of `names` (or exactly `wanted` when given).
    std::size_t find_column(std::initializer_list<std::string_view> names,
                            const std::string& wanted, const char* option) const {
        for (std::size_t i = 0; i < header_.size(); ++i) {
            const std::string_view name = detail::io_trim(header_[i]);
            if (!wanted.empty()) {
                if (detail::io_iequals(name, detail::io_trim(wanted))) return i;
                continue;
            }
            for (const std::string_view candidate : names)
                if (detail::io_iequals(name, candidate)) return i;
        }
        if (!wanted.empty())
            throw data_error(SourceLocation{parser_.source_name(), 1, 0},
                             std::string("no column named ") + detail::io_excerpt(wanted) +
                                 " in the header (" + option + ")");
        return npos;
    }

    void read_header() {
        if (!parser_.next(record_))
            throw data_error(SourceLocation{parser_.source_name()}, "empty input");
        header_.reserve(record_.size());
        for (std::size_t i = 0; i < record_.size(); ++i)
            header_.emplace_back(record_[i]);
        const std::string& source = parser_.source_name();
        const std::uint64_t header_line = record_.line();

        time_column_ = find_column({"timestamp", "time", "ts", "date", "datetime"},
                                   options_.timestamp_column, "timestamp_column");
        series_column_ =
            find_column({"series", "metric", "name"}, options_.series_column, "series_column");
        value_column_ = find_column({"value"}, options_.value_column, "value_column");

        layout_ = options_.layout;
        if (layout_ == CsvLayout::automatic)
            layout_ = (time_column_ != npos && series_column_ != npos && value_column_ != npos)
                          ? CsvLayout::long_format
                          : CsvLayout::wide;
        if (layout_ == CsvLayout::wide && time_column_ == npos) time_column_ = 0;

        // A header is required: a first row of numbers or times is data.
        bool all_numbers = true;
        for (const std::string& name : header_)
            all_numbers = all_numbers && parse_double(name);
        if (all_numbers ||
            (time_column_ != npos && parse_timestamp(header_[time_column_], options_.time_unit)))
            throw data_error(SourceLocation{source, header_line, 0},
                             "the first row looks like data; a header row is required (e.g. "
                             "timestamp,value or series,timestamp,value)");
        if (layout_ == CsvLayout::long_format) {
            if (time_column_ == npos || series_column_ == npos || value_column_ == npos)
                throw data_error(SourceLocation{source, header_line, 0},
                                 "the long layout needs series, timestamp and value columns; "
                                 "the header has " +
                                     describe_header());
            if (time_column_ == series_column_ || time_column_ == value_column_ ||
                series_column_ == value_column_)
                throw data_error(SourceLocation{source, header_line, 0},
                                 "the series, timestamp and value columns must differ");
            value_columns_.push_back(value_column_);
        } else {
            series_column_ = npos;
            if (header_.size() < 2)
                throw data_error(SourceLocation{source, header_line, 0},
                                 "no usable layout: a wide file needs a timestamp column and at "
                                 "least one value column; the header has " +
                                     describe_header());
            // Validate every name before interning any, so a bad header leaves the registry
            // untouched.
            for (std::size_t i = 0; i < header_.size(); ++i) {
                if (i == time_column_) continue;
                if (!options_.value_column.empty() && i != value_column_) continue;
                const std::string_view name = detail::io_trim(header_[i]);
                if (name.empty()) fail_at(i, "empty column name: every value column needs one");
                for (const std::size_t earlier : value_columns_)
                    if (detail::io_trim(header_[earlier]) == name)
                        fail_at(i, "column name " + detail::io_excerpt(name) + " appears twice");
                try {
                    (void)SeriesKey::parse(name);
                } catch (const invalid_argument& e) {
                    fail_at(i, "column name " + detail::io_excerpt(name) +
                                   " is not a valid series name: " + e.what());
                }
                value_columns_.push_back(i);
            }
            for (const std::size_t i : value_columns_)
                column_series_.push_back(registry_->intern(detail::io_trim(header_[i])));
            if (value_columns_.empty())
                throw data_error(SourceLocation{source, header_line, 0},
                                 "no value column besides the timestamp column");
        }

        record_column_ = value_columns_.front();
        next_column_ = value_columns_.size();
    }

    std::string describe_header() const {
        std::string out;
        for (std::size_t i = 0; i < header_.size() && i < 8; ++i) {
            if (i > 0) out += ',';
            out += detail::io_excerpt(header_[i], 24);
        }
        if (header_.size() > 8) out += ",...";
        return out;
    }

    bool read_row() {
        if (!parser_.next(record_)) return false;
        ++rows_;
        if (record_.size() != header_.size()) {
            const std::string message = "expected " + std::to_string(header_.size()) +
                                        " fields as in the header, found " +
                                        std::to_string(record_.size());
            if (record_.size() > header_.size()) fail_at(header_.size(), message);
            throw data_error(SourceLocation{parser_.source_name(), record_.line(), 0}, message);
        }
        return true;
    }

    Timestamp time_of() const {
        const std::string_view text = record_[time_column_];
        if (const auto t = parse_timestamp(text, options_.time_unit)) return *t;
        fail_at(time_column_, column_label(time_column_) +
                                  ": not a timestamp: " + detail::io_excerpt(text) +
                                  " (expected ISO-8601 or epoch seconds/milliseconds)");
    }

    double value_of(std::size_t column) const {
        const std::string_view text = record_[column];
        double value = 0.0;
        if (detail::io_parse_double(text, value)) return value;
        const std::string_view t = detail::io_trim(text);
        if (t.empty() || detail::io_iequals(t, "na") || detail::io_iequals(t, "n/a") ||
            detail::io_iequals(t, "nan") || detail::io_iequals(t, "null"))
            return std::numeric_limits<double>::quiet_NaN();
        fail_at(column, column_label(column) + ": not a number: " + detail::io_excerpt(text));
    }

    SeriesId series_of(std::size_t column) {
        const std::string_view name = detail::io_trim(record_[column]);
        if (has_last_series_ && name == last_series_name_) return last_series_id_;
        if (name.empty()) fail_at(column, column_label(column) + ": empty series name");
        SeriesId id;
        try {
            id = registry_->intern(name);
        } catch (const invalid_argument& e) {
            fail_at(column, column_label(column) + ": not a valid series name: " +
                                detail::io_excerpt(name) + ": " + e.what());
        }
        last_series_name_.assign(name);
        last_series_id_ = id;
        has_last_series_ = true;
        return id;
    }

    std::unique_ptr<std::istream> owned_; // the file, when the reader opened it
    CsvParser parser_;
    SeriesRegistry* registry_;
    SampleReaderOptions options_;
    CsvLayout layout_ = CsvLayout::wide;
    std::vector<std::string> header_;
    CsvRecord record_;
    std::size_t time_column_ = npos;
    std::size_t series_column_ = npos;
    std::size_t value_column_ = npos;
    std::vector<std::size_t> value_columns_;
    std::vector<SeriesId> column_series_;
    std::size_t next_column_ = 0;
    std::size_t record_column_ = 0;
    Timestamp row_time_{};
    std::string last_series_name_;
    SeriesId last_series_id_{};
    bool has_last_series_ = false;
    Sample current_{};
    bool has_current_ = false;
    std::uint64_t rows_ = 0;
};

static_assert(MetricStream<SampleReader&>);

} // namespace io
} // namespace v0
} // namespace augur
