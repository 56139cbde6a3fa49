#pragma once

// CsvWriter and JsonLinesWriter: row-at-a-time output of results to a std::ostream.
//
// Both build one row (CSV) or one top-level JSON value (JSON lines) in an internal buffer and
// hand it to the stream with a single write when it is complete; they never flush the stream
// (call flush() or let the stream flush itself). Stream errors are left in the stream's state
// for the caller to check, as with any ostream output.
//
// Numbers: doubles are written in the shortest form that reads back to the same double
// (std::to_chars), so parse_double(text) == value for every finite value. CSV writes NaN as an
// empty field (read back as a missing value) and infinities as "inf"/"-inf"; JSON writes every
// non-finite double as null.
// Text: CSV quotes a field only when it holds the delimiter, a quote, CR or LF (RFC 4180,
// quotes doubled); a row of one empty field is written as "" so it is not a blank line.
// JSON strings escape '"', '\\' and control characters; valid UTF-8 passes through unchanged
// and each byte of an invalid UTF-8 sequence becomes U+FFFD.
//
// Complexity: O(output bytes); no allocation per row once the row buffer has grown.
// Thread-safety: not synchronized; one writer per stream.

#include "augur/core/error.hpp"
#include "augur/core/sample.hpp"

#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {

namespace detail {

template <class T>
concept IoPlainInteger = std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char> &&
                         !std::same_as<T, std::int64_t> && !std::same_as<T, std::uint64_t>;

inline void io_append_double(std::string& out, double value) {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr);
}

template <class Integer>
void io_append_integer(std::string& out, Integer value) {
    char buffer[24];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr);
}

// Length of the valid UTF-8 sequence starting at text[i] (a byte >= 0x80), or 0 if invalid
// (Unicode 15, table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF).
inline std::size_t io_utf8_length(std::string_view text, std::size_t i) noexcept {
    auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = at(i);
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF; // range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;
        if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;
        if (lead == 0xF4) high = 0x8F;
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    if (at(i + 1) < low || at(i + 1) > high) return 0;
    for (std::size_t k = 2; k < length; ++k)
        if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
    return length;
}

/// Appends `text` as a quoted JSON string (see writer.hpp's file comment).
inline void io_append_json_string(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t run = i;
        while (i < text.size()) {
            const auto c = static_cast<unsigned char>(text[i]);
            if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
            ++i;
        }
        out.append(text.data() + run, i - run);
        if (i == text.size()) break;
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            const std::size_t length = io_utf8_length(text, i);
            if (length == 0) {
                out += "\xEF\xBF\xBD";
                ++i;
            } else {
                out.append(text.data() + i, length);
                i += length;
            }
            continue;
        }
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        default:
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
        ++i;
    }
    out += '"';
}

} // namespace detail

namespace io {

/// Writes CSV rows (RFC 4180) to a stream, a row at a time.
/// @code
///   augur::io::CsvWriter csv{std::cout};
///   csv.row({"series", "timestamp", "value"});
///   csv.field("cpu").field(augur::to_iso8601(t)).field(0.25).end_row();
/// @endcode
class CsvWriter {
public:
    /// Writes to `out` (not owned; must outlive the writer). The delimiter must not be a
    /// quote, CR or LF (AUGUR_ASSERT).
    explicit CsvWriter(std::ostream& out, char delimiter = ',')
        : out_(&out), delimiter_(delimiter) {
        AUGUR_ASSERT(delimiter != '"' && delimiter != '\n' && delimiter != '\r',
                     "CsvWriter: the delimiter must not be a quote or a line end");
    }

    /// A text field, quoted only when needed.
    CsvWriter& field(std::string_view text) {
        separate();
        if (text.find_first_of(special()) == std::string_view::npos) {
            row_.append(text);
        } else {
            row_ += '"';
            for (const char c : text) {
                if (c == '"') row_ += '"';
                row_ += c;
            }
            row_ += '"';
        }
        last_empty_ = text.empty();
        return *this;
    }
    CsvWriter& field(const char* text) { return field(std::string_view(text)); }
    CsvWriter& field(const std::string& text) { return field(std::string_view(text)); }

    /// A number in shortest round-trip form; NaN as an empty field, infinities as inf/-inf.
    CsvWriter& field(double value) {
        separate();
        last_empty_ = std::isnan(value);
        if (std::isinf(value))
            row_ += value > 0 ? "inf" : "-inf";
        else if (!last_empty_)
            detail::io_append_double(row_, value);
        return *this;
    }
    CsvWriter& field(std::int64_t value) { return integer(value); }
    CsvWriter& field(std::uint64_t value) { return integer(value); }
    /// Other integer types (int, unsigned, long long, ...).
    template <detail::IoPlainInteger Integer>
    CsvWriter& field(Integer value) {
        return integer(value);
    }
    /// A timestamp as ISO-8601 UTC (augur::to_iso8601).
    CsvWriter& field(Timestamp time) { return field(std::string_view(to_iso8601(time))); }

    /// Ends the row and writes it to the stream.
    void end_row() {
        if (fields_ == 1 && last_empty_) row_ += "\"\"";
        row_ += '\n';
        out_->write(row_.data(), static_cast<std::streamsize>(row_.size()));
        row_.clear();
        fields_ = 0;
    }

    /// Writes a whole row of text fields.
    void row(std::initializer_list<std::string_view> fields) {
        for (const std::string_view f : fields)
            field(f);
        end_row();
    }

    /// Flushes the stream (a partial row stays pending).
    void flush() { out_->flush(); }

    char delimiter() const noexcept { return delimiter_; }

private:
    std::string_view special() const noexcept {
        return {special_chars_, sizeof special_chars_ - 1};
    }

    void separate() {
        if (fields_ > 0) row_ += delimiter_;
        ++fields_;
    }

    template <class Integer>
    CsvWriter& integer(Integer value) {
        separate();
        detail::io_append_integer(row_, value);
        last_empty_ = false;
        return *this;
    }

    std::ostream* out_;
    char delimiter_;
    char special_chars_[5] = {delimiter_, '"', '\n', '\r', '\0'};
    std::string row_;
    std::size_t fields_ = 0;
    bool last_empty_ = false;
};

/// Writes JSON lines: one JSON value (usually an object) per line.
/// @code
///   augur::io::JsonLinesWriter json{std::cout};
///   json.begin_object().field("series", "cpu").field("value", 0.5).end_object();
///   // {"series":"cpu","value":0.5}
/// @endcode
/// Objects and arrays nest (key("k").begin_array()...end_array()); the line is written when
/// the outermost value is complete. Misuse (a value in an object without a key, unbalanced
/// ends) fails an AUGUR_ASSERT.
class JsonLinesWriter {
public:
    /// Writes to `out` (not owned; must outlive the writer).
    explicit JsonLinesWriter(std::ostream& out) : out_(&out) {}

    JsonLinesWriter& begin_object() {
        before_value();
        line_ += '{';
        stack_.push_back(Level{true, true});
        return *this;
    }
    /// Closes the current object; closing the outermost one writes the line ('\n').
    JsonLinesWriter& end_object() { return close(true, '}'); }

    JsonLinesWriter& begin_array() {
        before_value();
        line_ += '[';
        stack_.push_back(Level{false, true});
        return *this;
    }
    JsonLinesWriter& end_array() { return close(false, ']'); }

    /// The key of the next value in the current object.
    JsonLinesWriter& key(std::string_view name) {
        AUGUR_ASSERT(!stack_.empty() && stack_.back().object && !after_key_,
                     "JsonLinesWriter: key() outside an object or twice in a row");
        if (!stack_.back().first) line_ += ',';
        stack_.back().first = false;
        detail::io_append_json_string(line_, name);
        line_ += ':';
        after_key_ = true;
        return *this;
    }

    /// A number; non-finite values are written as null.
    JsonLinesWriter& value(double number) {
        before_value();
        if (std::isfinite(number))
            detail::io_append_double(line_, number);
        else
            line_ += "null";
        return after_value();
    }
    JsonLinesWriter& value(std::int64_t number) { return integer(number); }
    JsonLinesWriter& value(std::uint64_t number) { return integer(number); }
    template <detail::IoPlainInteger Integer>
    JsonLinesWriter& value(Integer number) {
        return integer(number);
    }
    JsonLinesWriter& value(bool flag) {
        before_value();
        line_ += flag ? "true" : "false";
        return after_value();
    }
    JsonLinesWriter& value(std::string_view text) {
        before_value();
        detail::io_append_json_string(line_, text);
        return after_value();
    }
    JsonLinesWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonLinesWriter& value(const std::string& text) { return value(std::string_view(text)); }
    JsonLinesWriter& value(std::nullptr_t) {
        before_value();
        line_ += "null";
        return after_value();
    }
    /// A timestamp as an ISO-8601 UTC string (augur::to_iso8601).
    JsonLinesWriter& value(Timestamp time) { return value(std::string_view(to_iso8601(time))); }

    /// key(name) followed by value(v).
    template <class T>
    JsonLinesWriter& field(std::string_view name, T&& v) {
        key(name);
        return value(std::forward<T>(v));
    }

    /// Flushes the stream (an incomplete value stays pending).
    void flush() { out_->flush(); }

private:
    struct Level {
        bool object;
        bool first;
    };

    void before_value() {
        if (stack_.empty()) return;
        if (stack_.back().object) {
            AUGUR_ASSERT(after_key_, "JsonLinesWriter: a value in an object needs a key first");
            after_key_ = false;
        } else {
            if (!stack_.back().first) line_ += ',';
            stack_.back().first = false;
        }
    }

    JsonLinesWriter& after_value() {
        if (stack_.empty()) finish_line();
        return *this;
    }

    JsonLinesWriter& close(bool object, char bracket) {
        AUGUR_ASSERT(!stack_.empty() && stack_.back().object == object && !after_key_,
                     "JsonLinesWriter: unbalanced end_object()/end_array() or a key without "
                     "a value");
        line_ += bracket;
        stack_.pop_back();
        return after_value();
    }

    template <class Integer>
    JsonLinesWriter& integer(Integer number) {
        before_value();
        detail::io_append_integer(line_, number);
        return after_value();
    }

    void finish_line() {
        line_ += '\n';
        out_->write(line_.data(), static_cast<std::streamsize>(line_.size()));
        line_.clear();
    }

    std::ostream* out_;
    std::string line_;
    std::vector<Level> stack_;
    bool after_key_ = false;
};

} // namespace io
} // namespace v0
} // namespace augur
