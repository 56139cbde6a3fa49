#pragma once

// Streaming CSV parsing (RFC 4180) and locale-independent number parsing.
//
// CsvParser reads one record at a time from any std::istream (files, std::cin, string streams)
// through a fixed-size buffer (256 KiB by default) that grows only for a single record longer
// than the buffer, so memory stays constant however long the input is.
//
// Accepted syntax:
//   - fields separated by CsvOptions::delimiter (',' by default), records ended by LF or CRLF;
//     the last record may lack a line end;
//   - quoted fields ("a,b"), with "" standing for one quote and line ends kept inside quotes;
//     spaces or tabs (other than the delimiter) are allowed before an opening quote and after a
//     closing quote;
//   - an optional UTF-8 byte-order mark at the start (skipped; columns count after it);
//   - blank lines (nothing, or only a CR, before the LF) are skipped: they are not records, but
//     they count in line numbers. A line of spaces is a record (of one field, or more).
// Malformed input throws augur::data_error with SourceLocation{source, line, column}: an
// unterminated quoted field (located at its opening quote), a quote inside an unquoted field,
// anything but a delimiter or line end after a closing quote, or a record longer than
// CsvOptions::max_record_size. A read error of the stream (std::ios_base::failure from its
// streambuf) becomes a data_error too.
//
// Complexity: O(bytes) per record; no allocation per record once the field list and the
// buffer have reached their working size. Thread-safety: a parser is not synchronized; use
// one per stream.

#include "augur/core/error.hpp"
#include "augur/detail/io_text.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ios>
#include <istream>
#include <limits>
#include <optional>
#include <streambuf>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {

namespace detail {

// The correctly rounded value of a well-formed decimal that std::from_chars reported as out of
// range: +-inf when its magnitude is >= 1 (overflow), +-0 when below 1 (underflow).
inline double io_out_of_range_double(std::string_view text) noexcept {
    const bool negative = text.front() == '-';
    if (negative) text.remove_prefix(1);
    const std::size_t e = text.find_first_of("eE");
    const std::string_view mantissa = text.substr(0, e);
    long long exponent = 0;
    if (e != std::string_view::npos) {
        std::string_view digits = text.substr(e + 1);
        bool exponent_negative = false;
        if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
            exponent_negative = digits.front() == '-';
            digits.remove_prefix(1);
        }
        const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), exponent);
        if (r.ec == std::errc::result_out_of_range) exponent = std::numeric_limits<int>::max();
        if (exponent_negative) exponent = -exponent;
    }
    const std::size_t dot = std::min(mantissa.find('.'), mantissa.size());
    const std::size_t lead = mantissa.find_first_not_of("0.");
    long long magnitude = 0; // decimal exponent of the leading significant digit
    if (lead != std::string_view::npos)
        magnitude = lead < dot ? static_cast<long long>(dot - lead) - 1
                               : -static_cast<long long>(lead - dot);
    const double huge = std::numeric_limits<double>::infinity();
    if (magnitude + exponent >= 0) return negative ? -huge : huge;
    return negative ? -0.0 : 0.0;
}

// Clinger's fast path for plain decimals ("-12.345"): when the digits form an integer
// m <= 2^53 and there are k <= 22 fraction digits, m and 10^k are exact doubles and one IEEE
// division gives the correctly rounded value. False (out untouched) for anything else.
inline bool io_exact_decimal(std::string_view text, double& out) noexcept {
    static constexpr double powers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char* p = text.data();
    const char* const end = p + text.size();
    const bool negative = *p == '-';
    if (negative) ++p;
    std::uint64_t mantissa = 0;
    int digits = 0;
    int fraction = -1; // digits after the point; -1 while no point was seen
    for (; p != end; ++p) {
        const char c = *p;
        if (io_is_digit(c)) {
            if (++digits > 19) return false; // mantissa stays below 10^19 < 2^64
            mantissa = mantissa * 10 + static_cast<std::uint64_t>(c - '0');
            if (fraction >= 0) ++fraction;
        } else if (c == '.' && fraction < 0) {
            fraction = 0;
        } else {
            return false;
        }
    }
    if (digits == 0 || mantissa > (std::uint64_t{1} << 53) || fraction > 22) return false;
    double value = static_cast<double>(mantissa);
    if (fraction > 0) value /= powers[fraction];
    out = negative ? -value : value;
    return true;
}

// The general case of parse_double: std::from_chars on trimmed text without a leading '+'.
inline std::optional<double> io_parse_double_general(std::string_view text) noexcept {
    double value = 0.0;
    const char* last = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), last, value);
    if (ptr != last) return std::nullopt;
    // Out of range is reported for well-formed text beyond the double range: round it as
    // IEEE arithmetic would (to +-inf or +-0).
    if (ec == std::errc::result_out_of_range) return io_out_of_range_double(text);
    if (ec != std::errc{}) return std::nullopt;
    return value;
}

// parse_double without the optional (returned in memory, it costs a store-forwarding stall
// per call in tight loops): true and `out` set on success.
inline bool io_parse_double(std::string_view text, double& out) noexcept {
    text = io_trim(text);
    if (!text.empty() && text.front() == '+') {
        text.remove_prefix(1);
        if (!text.empty() && (text.front() == '+' || text.front() == '-')) return false;
    }
    if (text.empty()) return false;
    if (io_exact_decimal(text, out)) return true;
    const auto value = io_parse_double_general(text);
    if (value) out = *value;
    return value.has_value();
}

} // namespace detail

namespace io {

/// Parses a decimal number the way a CSV cell holds it: surrounding spaces and tabs are
/// ignored, a leading '+' is accepted, as are "inf", "infinity" and "nan" (any case, signed),
/// and scientific notation. Returns nullopt for empty text or anything else (hex, trailing
/// characters, "1,5"). Locale-independent (std::from_chars), round-trips shortest to_chars
/// output exactly. O(length), no allocation.
inline std::optional<double> parse_double(std::string_view text) noexcept {
    double value = 0.0;
    if (detail::io_parse_double(text, value)) return value;
    return std::nullopt;
}

/// Options of CsvParser.
struct CsvOptions {
    char delimiter = ',';                               ///< not '"', CR or LF
    std::size_t buffer_size = std::size_t{1} << 18;     ///< initial read buffer, bytes (> 0)
    std::size_t max_record_size = std::size_t{1} << 30; ///< longer records are a data_error
};

class CsvParser;

/// One CSV record: its fields as string_views (with quotes removed and "" unescaped). The
/// views point into the parser's buffer and stay valid until the next call of
/// CsvParser::next() with this record (or the parser's destruction). Cheap to reuse: pass the
/// same record to every next() call so nothing is allocated per record.
class CsvRecord {
public:
    /// Number of fields (>= 1 for a record returned by next()).
    std::size_t size() const noexcept { return fields_.size(); }
    bool empty() const noexcept { return fields_.empty(); }

    /// Field `i` (precondition: i < size()).
    std::string_view operator[](std::size_t i) const {
        AUGUR_ASSERT(i < fields_.size(), "CsvRecord: field index out of range");
        const Field& f = fields_[i];
        return {(f.escaped ? scratch_.data() : base_) + f.offset, f.size};
    }

    /// 1-based byte column where field `i` starts on its physical line (at its opening quote
    /// when quoted).
    std::uint64_t column_of(std::size_t i) const {
        AUGUR_ASSERT(i < fields_.size(), "CsvRecord: field index out of range");
        return fields_[i].column;
    }

    /// 1-based physical line where field `i` starts (differs from line() only after a line
    /// end inside a quoted field).
    std::uint64_t line_of(std::size_t i) const {
        AUGUR_ASSERT(i < fields_.size(), "CsvRecord: field index out of range");
        return line_ + fields_[i].line_offset;
    }

    /// 1-based physical line where the record starts.
    std::uint64_t line() const noexcept { return line_; }

private:
    friend class CsvParser;

    struct Field {
        std::size_t offset = 0; // into the record's bytes, or into scratch_ when escaped
        std::size_t size = 0;
        std::uint64_t column = 0;
        std::uint64_t line_offset = 0;
        bool escaped = false;
    };

    std::vector<Field> fields_;
    std::string scratch_; // unescaped text of fields that contained ""
    const char* base_ = nullptr;
    std::uint64_t line_ = 0;
};

/// Streaming RFC 4180 reader (see the file comment for the accepted syntax).
/// @code
///   augur::io::CsvParser csv{std::cin, "<stdin>"};
///   augur::io::CsvRecord record;
///   while (csv.next(record))
///       for (std::size_t i = 0; i < record.size(); ++i) use(record[i]);
/// @endcode
/// Reading: the parser takes whatever the stream has available without blocking and blocks
/// only when it has nothing to parse, so records of an interactive stream are returned as
/// they arrive (with std::cin, call std::ios::sync_with_stdio(false) for that and for speed).
class CsvParser {
public:
    /// Reads from `in` (not owned; must outlive the parser). `source_name` is used in error
    /// locations. Throws invalid_argument on a bad delimiter or buffer size.
    CsvParser(std::istream& in, std::string source_name, CsvOptions options = {})
        : in_(&in), source_(std::move(source_name)), options_(options) {
        const char d = options_.delimiter;
        if (d == '"' || d == '\n' || d == '\r')
            throw_invalid_config("CsvOptions", "delimiter", std::string(1, d),
                                 "must not be a quote or a line end");
        if (options_.buffer_size == 0)
            throw_invalid_config("CsvOptions", "buffer_size", options_.buffer_size,
                                 "must be positive");
        if (options_.max_record_size < options_.buffer_size)
            throw_invalid_config("CsvOptions", "max_record_size", options_.max_record_size,
                                 "must be >= buffer_size");
        buffer_.resize(options_.buffer_size);
    }

    CsvParser(const CsvParser&) = delete;
    CsvParser& operator=(const CsvParser&) = delete;
    CsvParser(CsvParser&&) noexcept = default;
    CsvParser& operator=(CsvParser&&) noexcept = default;
    ~CsvParser() = default;

    /// Reads the next record into `record`; false at the end of the input (then `record` is
    /// empty). Throws data_error on a malformed record.
    bool next(CsvRecord& record) {
        record.fields_.clear();
        record.scratch_.clear();
        record.base_ = nullptr;
        if (!started_) skip_bom();
        if (!skip_blank_lines()) return false;

        record_line_ = next_line_;
        record.line_ = record_line_;
        std::size_t stop = 0;
        std::uint64_t lines = 0;
        while (!parse_record(record, stop, lines)) {
            record.fields_.clear();
            record.scratch_.clear();
            refill();
        }
        record.base_ = buffer_.data() + pos_;
        consumed_ += stop - pos_;
        pos_ = stop;
        next_line_ += lines;
        return true;
    }

    /// 1-based physical line where the last record started (0 before the first record).
    std::uint64_t line() const noexcept { return record_line_; }

    /// Bytes of input consumed through the last record (for progress reports).
    std::uint64_t bytes_consumed() const noexcept { return consumed_; }

    const std::string& source_name() const noexcept { return source_; }
    const CsvOptions& options() const noexcept { return options_; }

private:
    // Parses the record starting at pos_. Returns false when it needs more input (then nothing
    // is consumed); true with `stop` (the offset after the record and its line end) and
    // `lines` (line ends consumed) once complete.
    bool parse_record(CsvRecord& record, std::size_t& stop, std::uint64_t& lines) {
        const char* const b = buffer_.data();
        const char* const first = b + pos_;
        const char* const last = b + end_;
        const auto* nl = static_cast<const char*>(std::memchr(first, '\n', end_ - pos_));
        if (nl == nullptr && !eof_) return false;
        const char* line_end = nl ? nl : last;
        if (std::memchr(first, '"', line_end - first) != nullptr)
            return parse_quoted_record(record, stop, lines);

        // Fast path: one physical line without quotes.
        if (line_end > first && line_end[-1] == '\r') --line_end;
        const char delimiter = options_.delimiter;
        const char* field = first;
        for (const char* p = first;; ++p) {
            if (p == line_end || *p == delimiter) {
                record.fields_.push_back(CsvRecord::Field{
                    static_cast<std::size_t>(field - first), static_cast<std::size_t>(p - field),
                    static_cast<std::uint64_t>(field - first) + 1, 0, false});
                if (p == line_end) break;
                field = p + 1;
            }
        }
        stop = nl ? static_cast<std::size_t>(nl + 1 - b) : end_;
        lines = nl ? 1 : 0;
        return true;
    }

    // The general state machine: quoted fields, "" escapes, line ends inside quotes.
    bool parse_quoted_record(CsvRecord& record, std::size_t& stop, std::uint64_t& lines) {
        const char* const b = buffer_.data();
        const std::size_t e = end_;
        const char delimiter = options_.delimiter;
        std::size_t line_start = pos_; // offset where the current physical line starts
        std::uint64_t line_offset = 0; // physical lines since the record's first
        auto push = [&](std::size_t offset, std::size_t size, std::uint64_t column,
                        std::uint64_t field_line, bool escaped) {
            record.fields_.push_back(CsvRecord::Field{offset, size, column, field_line, escaped});
        };
        auto finish = [&](std::size_t at, std::uint64_t line_ends) {
            stop = at;
            lines = line_offset + line_ends;
            return true;
        };

        for (std::size_t i = pos_;;) {
            const std::uint64_t column = i - line_start + 1;
            const std::uint64_t field_line = line_offset;
            std::size_t j = i;
            while (j < e && b[j] != delimiter && b[j] != '\n' && b[j] != '"')
                ++j;

            if (j < e && b[j] == '"') {
                for (std::size_t k = i; k < j; ++k)
                    if (!detail::io_is_blank(b[k]))
                        fail(line_offset, j - line_start + 1, "quote inside an unquoted field");
                const std::size_t open = j;
                const std::uint64_t open_column = j - line_start + 1;
                const std::uint64_t open_line = line_offset;
                const std::size_t scratch_begin = record.scratch_.size();
                bool escaped = false;
                std::size_t k = open + 1;
                std::size_t segment = k;
                std::size_t close = 0;
                for (;;) {
                    const auto* q = static_cast<const char*>(std::memchr(b + k, '"', e - k));
                    const std::size_t qi = q ? static_cast<std::size_t>(q - b) : e;
                    for (const char* x = b + k;
                         (x = static_cast<const char*>(std::memchr(x, '\n', (b + qi) - x))); ++x) {
                        ++line_offset;
                        line_start = static_cast<std::size_t>(x - b) + 1;
                    }
                    if (q == nullptr) {
                        if (!eof_) return false;
                        fail(open_line, open_column, "unterminated quoted field");
                    }
                    if (qi + 1 == e && !eof_) return false; // cannot tell "" from a closing quote
                    if (qi + 1 < e && b[qi + 1] == '"') {
                        record.scratch_.append(b + segment, b + qi + 1);
                        k = qi + 2;
                        segment = k;
                        escaped = true;
                        continue;
                    }
                    close = qi;
                    break;
                }
                if (escaped) {
                    record.scratch_.append(b + segment, b + close);
                    push(scratch_begin, record.scratch_.size() - scratch_begin, column, field_line,
                         true);
                } else {
                    push(open + 1 - pos_, close - open - 1, column, field_line, false);
                }
                std::size_t k2 = close + 1;
                while (k2 < e && b[k2] != delimiter && detail::io_is_blank(b[k2]))
                    ++k2;
                if (k2 == e) {
                    if (!eof_) return false;
                    return finish(e, 0);
                }
                if (b[k2] == delimiter) {
                    i = k2 + 1;
                    continue;
                }
                if (b[k2] == '\n') return finish(k2 + 1, 1);
                if (b[k2] == '\r') {
                    if (k2 + 1 == e) {
                        if (!eof_) return false;
                        return finish(e, 0);
                    }
                    if (b[k2 + 1] == '\n') return finish(k2 + 2, 1);
                }
                fail(line_offset, k2 - line_start + 1,
                     "unexpected character after a closing quote (expected a delimiter or a "
                     "line end)");
            }

            if (j == e) {
                if (!eof_) return false;
                std::size_t field_end = j;
                if (field_end > i && b[field_end - 1] == '\r') --field_end;
                push(i - pos_, field_end - i, column, field_line, false);
                return finish(e, 0);
            }
            if (b[j] == delimiter) {
                push(i - pos_, j - i, column, field_line, false);
                i = j + 1;
                continue;
            }
            // b[j] == '\n'
            std::size_t field_end = j;
            if (field_end > i && b[field_end - 1] == '\r') --field_end;
            push(i - pos_, field_end - i, column, field_line, false);
            return finish(j + 1, 1);
        }
    }

    [[noreturn]] void fail(std::uint64_t line_offset, std::uint64_t column,
                           const char* message) const {
        throw data_error(SourceLocation{source_, record_line_ + line_offset, column}, message);
    }

    void skip_bom() {
        started_ = true;
        while (end_ - pos_ < 3 && !eof_)
            refill();
        if (end_ - pos_ >= 3 && static_cast<unsigned char>(buffer_[pos_]) == 0xEF &&
            static_cast<unsigned char>(buffer_[pos_ + 1]) == 0xBB &&
            static_cast<unsigned char>(buffer_[pos_ + 2]) == 0xBF) {
            pos_ += 3;
            consumed_ += 3;
        }
    }

    // Skips empty lines (LF, CRLF, or a lone CR before the end); false at the end of input.
    bool skip_blank_lines() {
        for (;;) {
            if (pos_ == end_) {
                if (eof_) return false;
                refill();
                continue;
            }
            const char c = buffer_[pos_];
            if (c == '\n') {
                ++pos_;
                ++consumed_;
                ++next_line_;
                continue;
            }
            if (c == '\r') {
                if (pos_ + 1 == end_) {
                    if (!eof_) {
                        refill();
                        continue;
                    }
                    ++pos_;
                    ++consumed_;
                    continue;
                }
                if (buffer_[pos_ + 1] == '\n') {
                    pos_ += 2;
                    consumed_ += 2;
                    ++next_line_;
                    continue;
                }
            }
            return true;
        }
    }

    // Moves the unconsumed bytes to the front, grows the buffer if they fill it, and reads
    // more. Sets eof_ when the stream has nothing more.
    void refill() {
        const std::size_t kept = end_ - pos_;
        if (pos_ > 0) {
            if (kept > 0) std::memmove(buffer_.data(), buffer_.data() + pos_, kept);
            pos_ = 0;
            end_ = kept;
        }
        if (end_ == buffer_.size()) {
            if (buffer_.size() >= options_.max_record_size)
                throw data_error(SourceLocation{source_, next_line_, 0},
                                 "record longer than " + std::to_string(options_.max_record_size) +
                                     " bytes (unterminated quote?)");
            const std::size_t grown = buffer_.size() * 2;
            buffer_.resize(grown < options_.max_record_size ? grown : options_.max_record_size);
        }
        // Past a few KiB of pending record, insist on proportional progress so a huge record
        // arriving in small pieces is not re-scanned once per piece.
        const std::size_t wanted = kept > 4096 ? kept / 2 : 1;
        std::size_t got = 0;
        try {
            got = read_into(buffer_.data() + end_, buffer_.size() - end_, wanted);
        } catch (const std::ios_base::failure& e) {
            throw data_error(SourceLocation{source_, next_line_, 0},
                             std::string("read error: ") + e.what());
        }
        end_ += got;
        if (got == 0) eof_ = true;
    }

    // Reads up to `space` bytes: everything available without blocking, blocking only while
    // fewer than `wanted` bytes were read. Returns 0 only at the end of the input.
    std::size_t read_into(char* dst, std::size_t space, std::size_t wanted) {
        std::streambuf* sb = in_->rdbuf();
        if (sb == nullptr || space == 0) return 0;
        if (wanted > space) wanted = space;
        std::size_t total = 0;
        while (total < space) {
            const std::streamsize avail = sb->in_avail();
            if (avail > 0) {
                const auto n =
                    sb->sgetn(dst + total, static_cast<std::streamsize>(std::min<std::size_t>(
                                               static_cast<std::size_t>(avail), space - total)));
                if (n <= 0) break;
                total += static_cast<std::size_t>(n);
                continue;
            }
            if (avail < 0 || total >= wanted) break;
            // Nothing known to be available: block until at least one byte arrives.
            if (std::char_traits<char>::eq_int_type(sb->sgetc(), std::char_traits<char>::eof()))
                break;
            if (sb->in_avail() > 0) continue;
            // An unbuffered stream (e.g. std::cin synchronized with stdio): read a chunk.
            const std::size_t chunk = std::min<std::size_t>(space - total, 4096);
            const auto n = sb->sgetn(dst + total, static_cast<std::streamsize>(chunk));
            if (n <= 0) break;
            total += static_cast<std::size_t>(n);
        }
        return total;
    }

    std::istream* in_;
    std::string source_;
    CsvOptions options_;
    std::vector<char> buffer_;
    std::size_t pos_ = 0; // next unconsumed byte
    std::size_t end_ = 0; // end of the valid bytes
    bool eof_ = false;
    bool started_ = false;
    std::uint64_t next_line_ = 1;   // physical line of pos_
    std::uint64_t record_line_ = 0; // line of the last record
    std::uint64_t consumed_ = 0;
};

} // namespace io
} // namespace v0
} // namespace augur
