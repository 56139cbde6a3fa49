#pragma once

// Parsing timestamps from text: ISO-8601 date-times and epoch numbers.
//
// Accepted forms (surrounding spaces and tabs ignored):
//   ISO-8601   YYYY-MM-DD, optionally followed by 'T', 't' or ' ' and hh:mm or hh:mm:ss, an
//              optional fraction of the seconds ('.' or ',' and 1 to 9 digits), and an optional
//              zone: 'Z'/'z', +hh, -hh, +hhmm, -hhmm, +hh:mm or -hh:mm. No zone means UTC.
//              Ranges are checked (month 1-12, the day against the month, leap years included;
//              hour 0-23, minute 0-59, second 0-59: no leap second, no 24:00).
//   epoch      a number of seconds, milliseconds, microseconds or nanoseconds since
//              1970-01-01T00:00:00Z: an integer or a decimal fraction (converted exactly,
//              rounded to the nearest nanosecond), optionally signed, or in scientific
//              notation (converted through double). TimeUnit::automatic reads the number as
//              milliseconds when |value| >= 1e11 and as seconds otherwise: 1e11 s is in the
//              year 5138, while 1e11 ms is 1973-03-03, so real-world epoch seconds and
//              milliseconds (from 1973 on) are told apart. Use an explicit unit for epoch
//              microseconds or nanoseconds, or for milliseconds before 1973.
// Anything else gives nullopt: trailing characters, out-of-range fields, and times outside
// what Timestamp can hold (about 1677-09-21 to 2262-04-11).
// Format timestamps with augur::to_iso8601 (core/sample.hpp); parse_timestamp reads its output
// back exactly.
//
// Complexity: O(length), no allocation. Thread-safety: pure functions.

#include "augur/core/io/csv.hpp"
#include "augur/core/sample.hpp"
#include "augur/detail/io_text.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <system_error>

namespace augur {
inline namespace v0 {
namespace io {

/// The unit of epoch numbers (see the file comment for `automatic`).
enum class TimeUnit { automatic, seconds, milliseconds, microseconds, nanoseconds };

/// The short name of a unit: "auto", "s", "ms", "us", "ns".
constexpr const char* to_string(TimeUnit unit) noexcept {
    switch (unit) {
    case TimeUnit::automatic:
        return "auto";
    case TimeUnit::seconds:
        return "s";
    case TimeUnit::milliseconds:
        return "ms";
    case TimeUnit::microseconds:
        return "us";
    case TimeUnit::nanoseconds:
        return "ns";
    }
    return "?";
}

/// Parses a unit name: "auto", "s", "ms", "us", "ns" (or "seconds", "milliseconds",
/// "microseconds", "nanoseconds"); nullopt otherwise.
constexpr std::optional<TimeUnit> parse_time_unit(std::string_view name) noexcept {
    if (name == "auto" || name == "automatic") return TimeUnit::automatic;
    if (name == "s" || name == "seconds") return TimeUnit::seconds;
    if (name == "ms" || name == "milliseconds") return TimeUnit::milliseconds;
    if (name == "us" || name == "microseconds") return TimeUnit::microseconds;
    if (name == "ns" || name == "nanoseconds") return TimeUnit::nanoseconds;
    return std::nullopt;
}

} // namespace io

namespace detail {

// seconds * 1e9 + nanos as a Timestamp, or nullopt when it does not fit in 64 bits.
constexpr std::optional<Timestamp> io_make_timestamp(std::int64_t seconds,
                                                     std::int64_t nanos) noexcept {
    constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t min = std::numeric_limits<std::int64_t>::min();
    constexpr std::int64_t giga = 1'000'000'000;
    if (seconds > max / giga || seconds < min / giga) return std::nullopt;
    const std::int64_t base = seconds * giga;
    if ((nanos > 0 && base > max - nanos) || (nanos < 0 && base < min - nanos)) return std::nullopt;
    return Timestamp{Duration{base + nanos}};
}

constexpr std::optional<Timestamp> io_parse_iso8601(std::string_view s) noexcept {
    using namespace std::chrono;
    int y = 0, mo = 0, d = 0;
    if (!io_fixed_digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' ||
        !io_fixed_digits(s, 5, 2, mo) || s[7] != '-' || !io_fixed_digits(s, 8, 2, d))
        return std::nullopt;
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                             day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return std::nullopt;
    std::int64_t seconds = std::int64_t{sys_days{ymd}.time_since_epoch().count()} * 86400;
    std::int64_t nanos = 0;
    std::size_t pos = 10;
    if (pos == s.size()) return io_make_timestamp(seconds, 0);

    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
    ++pos;
    int hh = 0, mm = 0, ss = 0;
    if (!io_fixed_digits(s, pos, 2, hh) || pos + 2 >= s.size() || s[pos + 2] != ':' ||
        !io_fixed_digits(s, pos + 3, 2, mm))
        return std::nullopt;
    pos += 5;
    if (hh > 23 || mm > 59) return std::nullopt;
    if (pos < s.size() && s[pos] == ':') {
        if (!io_fixed_digits(s, pos + 1, 2, ss) || ss > 59) return std::nullopt;
        pos += 3;
        if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
            ++pos;
            std::size_t digits = 0;
            while (pos < s.size() && io_is_digit(s[pos])) {
                if (++digits > 9) return std::nullopt;
                nanos = nanos * 10 + (s[pos] - '0');
                ++pos;
            }
            if (digits == 0) return std::nullopt;
            for (; digits < 9; ++digits)
                nanos *= 10;
        }
    }
    seconds += std::int64_t{hh} * 3600 + std::int64_t{mm} * 60 + ss;

    if (pos < s.size()) {
        const char zone = s[pos];
        if (zone == 'Z' || zone == 'z') {
            ++pos;
        } else if (zone == '+' || zone == '-') {
            int oh = 0, om = 0;
            if (!io_fixed_digits(s, pos + 1, 2, oh)) return std::nullopt;
            pos += 3;
            if (pos < s.size()) {
                if (s[pos] == ':') ++pos;
                if (!io_fixed_digits(s, pos, 2, om)) return std::nullopt;
                pos += 2;
            }
            if (oh > 23 || om > 59) return std::nullopt;
            const std::int64_t offset = std::int64_t{oh} * 3600 + std::int64_t{om} * 60;
            seconds -= zone == '+' ? offset : -offset; // local = UTC + offset
        } else {
            return std::nullopt;
        }
    }
    if (pos != s.size()) return std::nullopt;
    return io_make_timestamp(seconds, nanos);
}

inline std::optional<Timestamp> io_parse_epoch(std::string_view s, io::TimeUnit unit) noexcept {
    std::string_view text = s;
    bool negative = false;
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    // One pass over the digits; up to 19 of them cannot overflow 64 bits.
    std::uint64_t whole = 0;
    std::size_t int_end = 0;
    while (int_end < text.size() && io_is_digit(text[int_end])) {
        whole = whole * 10 + static_cast<std::uint64_t>(text[int_end] - '0');
        ++int_end;
    }
    std::size_t frac_end = int_end;
    if (frac_end < text.size() && text[frac_end] == '.') {
        ++frac_end;
        while (frac_end < text.size() && io_is_digit(text[frac_end]))
            ++frac_end;
    }
    const std::size_t frac_digits = frac_end > int_end ? frac_end - int_end - 1 : 0;

    if (frac_end == text.size() && (int_end > 0 || frac_digits > 0)) {
        // Plain decimal: exact integer arithmetic.
        if (int_end > 19) { // redo with overflow detection (leading zeros are still fine)
            const auto r = std::from_chars(text.data(), text.data() + int_end, whole);
            if (r.ec != std::errc{}) return std::nullopt;
        }
        if (unit == io::TimeUnit::automatic)
            unit = whole >= 100'000'000'000ULL ? io::TimeUnit::milliseconds : io::TimeUnit::seconds;
        std::size_t scale_digits = 9; // nanoseconds per unit = 10^scale_digits
        std::uint64_t per_unit = 1'000'000'000;
        switch (unit) {
        case io::TimeUnit::milliseconds:
            scale_digits = 6;
            per_unit = 1'000'000;
            break;
        case io::TimeUnit::microseconds:
            scale_digits = 3;
            per_unit = 1'000;
            break;
        case io::TimeUnit::nanoseconds:
            scale_digits = 0;
            per_unit = 1;
            break;
        default:
            break;
        }
        constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        if (whole > max / per_unit) return std::nullopt;
        std::uint64_t total = whole * per_unit;
        if (frac_digits > 0) {
            // The fraction in nanoseconds, rounded half away from zero.
            std::uint64_t fraction = 0;
            const char* digits = text.data() + int_end + 1;
            for (std::size_t i = 0; i < scale_digits; ++i)
                fraction = fraction * 10 +
                           (i < frac_digits ? static_cast<std::uint64_t>(digits[i] - '0') : 0);
            if (frac_digits > scale_digits && digits[scale_digits] >= '5') ++fraction;
            if (total > max - fraction) return std::nullopt;
            total += fraction;
        }
        const auto ns = static_cast<std::int64_t>(total);
        return Timestamp{Duration{negative ? -ns : ns}};
    }

    // Scientific notation and the like: through double.
    const auto value = io::parse_double(s);
    if (!value || !std::isfinite(*value)) return std::nullopt;
    if (unit == io::TimeUnit::automatic)
        unit = std::fabs(*value) >= 1e11 ? io::TimeUnit::milliseconds : io::TimeUnit::seconds;
    double per_unit = 1e9;
    switch (unit) {
    case io::TimeUnit::milliseconds:
        per_unit = 1e6;
        break;
    case io::TimeUnit::microseconds:
        per_unit = 1e3;
        break;
    case io::TimeUnit::nanoseconds:
        per_unit = 1.0;
        break;
    default:
        break;
    }
    const double ns = std::round(*value * per_unit);
    // 2^63 is exactly representable; every double below it converts without overflow.
    if (!(ns < 9223372036854775808.0 && ns >= -9223372036854775808.0)) return std::nullopt;
    return Timestamp{Duration{static_cast<std::int64_t>(ns)}};
}

} // namespace detail

namespace io {

/// Parses an ISO-8601 date-time or an epoch number (see the file comment); nullopt when the
/// text is malformed or out of range. `unit` applies to epoch numbers only.
/// @code
///   auto t = augur::io::parse_timestamp("2014-04-01 00:05:00");        // UTC
///   auto u = augur::io::parse_timestamp("1396310700");                 // same instant
///   auto v = augur::io::parse_timestamp("1396310700000");              // ms, automatically
/// @endcode
inline std::optional<Timestamp> parse_timestamp(std::string_view text,
                                                TimeUnit unit = TimeUnit::automatic) noexcept {
    text = detail::io_trim(text);
    if (text.size() >= 5 && text[4] == '-' && detail::io_is_digit(text[0]) &&
        detail::io_is_digit(text[1]) && detail::io_is_digit(text[2]) &&
        detail::io_is_digit(text[3]))
        return detail::io_parse_iso8601(text);
    return detail::io_parse_epoch(text, unit);
}

} // namespace io
} // namespace v0
} // namespace augur
