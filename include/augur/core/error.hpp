#pragma once

// Exceptions thrown by augur and the AUGUR_ASSERT precondition check.
//
// Bad data (a malformed file, a NaN under the Reject policy) throws augur::data_error;
// an invalid configuration value throws augur::invalid_argument naming the field and value.
// Both derive from augur::error, itself a std::runtime_error, so a service can catch
// everything augur throws in one place.
//
// Broken preconditions (wrong dimensions, k = 0 passed in code) are programmer errors and go
// through AUGUR_ASSERT. By default a failed assertion prints the condition and location to
// stderr and calls std::abort(). Override it either by defining AUGUR_ASSERT(cond, msg) before
// including any augur header, or at run time with augur::set_assert_handler (e.g. to throw
// in tests). Define AUGUR_NO_ASSERT to compile the checks out.

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace augur {
inline namespace v0 {

/// Base of every exception augur throws.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A configuration value or argument is invalid; the message names the field and the value.
class invalid_argument : public error {
public:
    using error::error;
};

/// Where in an input a data error was found; line and column are 1-based, 0 when unknown.
struct SourceLocation {
    std::string file;
    std::uint64_t line = 0;
    std::uint64_t column = 0;
};

/// Input data is malformed or violates the configured input policy.
/// what() reads "FILE:LINE:COL: message" when the location is known.
class data_error : public error {
public:
    explicit data_error(const std::string& message) : error(message), message_(message) {}
    data_error(SourceLocation where, const std::string& message)
        : error(format(where, message)), where_(std::move(where)), message_(message) {}

    /// The location, when the error came from a file or stream.
    const SourceLocation& where() const noexcept { return where_; }
    /// The message without the location prefix.
    const std::string& message() const noexcept { return message_; }

private:
    static std::string format(const SourceLocation& where, const std::string& message) {
        std::string out = where.file.empty() ? std::string("<input>") : where.file;
        // Appended piecewise: "literal" + std::string trips a false -Wrestrict in GCC 12 at -O3.
        if (where.line > 0) {
            out += ':';
            out += std::to_string(where.line);
        }
        if (where.column > 0) {
            out += ':';
            out += std::to_string(where.column);
        }
        out += ": ";
        out += message;
        return out;
    }

    SourceLocation where_;
    std::string message_;
};

/// Signature of a handler called when an AUGUR_ASSERT fails. It must not return normally
/// (throw or terminate); if it returns, std::abort() is called.
using AssertHandler = void (*)(const char* condition, const char* message, const char* file,
                               int line);

namespace detail {

inline void default_assert_handler(const char* condition, const char* message, const char* file,
                                   int line) {
    std::fprintf(stderr, "augur: assertion failed at %s:%d: %s (%s)\n", file, line, message,
                 condition);
    std::abort();
}

inline AssertHandler& assert_handler_slot() noexcept {
    static AssertHandler handler = &default_assert_handler;
    return handler;
}

[[noreturn]] inline void assert_failed(const char* condition, const char* message, const char* file,
                                       int line) {
    assert_handler_slot()(condition, message, file, line);
    std::abort();
}

} // namespace detail

/// Installs a handler for failed AUGUR_ASSERT checks and returns the previous one.
/// Not synchronized: set it once at start-up.
inline AssertHandler set_assert_handler(AssertHandler handler) noexcept {
    return std::exchange(detail::assert_handler_slot(),
                         handler ? handler : &detail::default_assert_handler);
}

namespace detail {

/// Joins text pieces into one string. Built by appends: GCC 12 at -O3 reports false
/// -Wrestrict / -Wstringop-overflow errors on chains of "literal" + std::string.
inline std::string join_text(std::initializer_list<std::string_view> pieces) {
    std::size_t size = 0;
    for (std::string_view piece : pieces)
        size += piece.size();
    std::string out;
    out.reserve(size);
    for (std::string_view piece : pieces)
        out.append(piece.data(), piece.size());
    return out;
}

} // namespace detail

/// Throws invalid_argument "<where>: <field> = <value>: <requirement>".
template <class Value>
[[noreturn]] void throw_invalid_config(const char* where, const char* field, const Value& value,
                                       const char* requirement) {
    std::string shown;
    if constexpr (std::is_convertible_v<const Value&, std::string_view>) {
        shown = detail::join_text({"'", std::string_view(value), "'"});
    } else if constexpr (std::is_arithmetic_v<Value>) {
        char buffer[64];
        const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
        shown.assign(buffer, result.ptr);
    } else {
        shown = to_string(value);
    }
    throw invalid_argument(
        detail::join_text({where, ": ", field, " = ", shown, ": ", requirement}));
}

} // namespace v0
} // namespace augur

#ifndef AUGUR_ASSERT
#ifdef AUGUR_NO_ASSERT
#define AUGUR_ASSERT(condition, message) ((void)0)
#else
#define AUGUR_ASSERT(condition, message)                                                           \
    ((condition) ? (void)0                                                                         \
                 : ::augur::detail::assert_failed(#condition, message, __FILE__, __LINE__))
#endif
#endif
