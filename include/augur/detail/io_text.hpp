#pragma once

// Small ASCII text helpers shared by the io/ headers (not part of the API).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace augur {
inline namespace v0 {
namespace detail {

constexpr bool io_is_blank(char c) noexcept {
    return c == ' ' || c == '\t';
}

constexpr bool io_is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

constexpr char io_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// `text` without leading and trailing spaces and tabs.
constexpr std::string_view io_trim(std::string_view text) noexcept {
    while (!text.empty() && io_is_blank(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && io_is_blank(text.back()))
        text.remove_suffix(1);
    return text;
}

/// ASCII case-insensitive equality.
constexpr bool io_iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (io_lower(a[i]) != io_lower(b[i])) return false;
    return true;
}

/// Reads exactly `count` decimal digits at `text[pos]`; false if any is not a digit or the text
/// is too short.
constexpr bool io_fixed_digits(std::string_view text, std::size_t pos, std::size_t count,
                               int& out) noexcept {
    if (pos + count > text.size()) return false;
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const char c = text[pos + i];
        if (!io_is_digit(c)) return false;
        value = value * 10 + (c - '0');
    }
    out = value;
    return true;
}

/// `text` quoted for an error message: at most about `max_chars` bytes (then "...", cut at a
/// UTF-8 character boundary), control bytes shown as \xHH so the message stays on one line.
inline std::string io_excerpt(std::string_view text, std::size_t max_chars = 40) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "'";
    std::size_t shown = text.size() < max_chars ? text.size() : max_chars;
    while (shown > 0 && shown < text.size() &&
           (static_cast<unsigned char>(text[shown]) & 0xc0) == 0x80)
        --shown;
    for (std::size_t i = 0; i < shown; ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x20 || byte == 0x7f) {
            out += "\\x";
            out += hex[byte >> 4];
            out += hex[byte & 0xf];
        } else {
            out += static_cast<char>(byte);
        }
    }
    if (shown < text.size()) out += "...";
    out += "'";
    return out;
}

} // namespace detail
} // namespace v0
} // namespace augur
