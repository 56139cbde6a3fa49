#pragma once

// Text helpers for saving and loading SVM models (not part of the API): numbers are written in
// the shortest form that reads back to the same double, and read back token by token with the
// line number kept for error messages (in the message: see svm_message for why not in
// SourceLocation).
// Thread-safety: not synchronized.

#include "augur/core/error.hpp"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <iterator>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>

namespace augur {
inline namespace v0 {
namespace detail {

/// Concatenates string-like parts by appending (no `"literal" + std::string` temporaries, which
/// trip GCC 12's -Wrestrict false positive at -O3).
template <class... Parts>
std::string svm_message(const Parts&... parts) {
    std::string out;
    (out.append(std::string_view(parts)), ...);
    return out;
}

/// Writes `value` so that it reads back exactly (shortest round-trip form).
inline void svm_write_number(std::ostream& out, double value) {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.write(buffer, result.ptr - buffer);
}

/// Reads whitespace-separated tokens of a saved model; every failure throws data_error naming
/// `what` (e.g. "OneClassSvm::load") and the line.
class SvmTextReader {
public:
    SvmTextReader(std::istream& in, const char* what)
        : text_(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()), what_(what) {
        if (in.bad()) fail("cannot read the stream");
    }

    /// The next token; throws at the end of the input.
    std::string_view word() {
        while (pos_ < text_.size() && is_space(text_[pos_])) {
            if (text_[pos_] == '\n') ++line_;
            ++pos_;
        }
        if (pos_ >= text_.size()) fail("unexpected end of input");
        token_line_ = line_;
        const std::size_t begin = pos_;
        while (pos_ < text_.size() && !is_space(text_[pos_]))
            ++pos_;
        return std::string_view(text_).substr(begin, pos_ - begin);
    }

    /// Reads a token and checks that it is `expected`.
    void expect(std::string_view expected) {
        const std::string_view got = word();
        if (got != expected) fail(svm_message("expected '", expected, "', got '", got, "'"));
    }

    /// Reads a finite double.
    double number() {
        const std::string_view token = word();
        double value = 0.0;
        const auto result = std::from_chars(token.data(), token.data() + token.size(), value);
        if (result.ec != std::errc() || result.ptr != token.data() + token.size() ||
            !std::isfinite(value))
            fail(svm_message("expected a finite number, got '", token, "'"));
        return value;
    }

    /// Reads an unsigned integer.
    std::uint64_t count() {
        const std::string_view token = word();
        std::uint64_t value = 0;
        const auto result = std::from_chars(token.data(), token.data() + token.size(), value);
        if (result.ec != std::errc() || result.ptr != token.data() + token.size())
            fail(svm_message("expected a non-negative integer, got '", token, "'"));
        return value;
    }

    /// Throws unless only whitespace is left.
    void expect_end() {
        while (pos_ < text_.size() && is_space(text_[pos_])) {
            if (text_[pos_] == '\n') ++line_;
            ++pos_;
        }
        if (pos_ < text_.size()) {
            token_line_ = line_;
            fail("unexpected text after the model");
        }
    }

    /// Throws data_error "<what>: line <n>: <message>" for the line of the last token.
    [[noreturn]] void fail(std::string_view message) const {
        throw data_error(svm_message(what_, ": line ", std::to_string(token_line_), ": ", message));
    }

private:
    static constexpr bool is_space(char c) noexcept {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    std::string text_;
    const char* what_;
    std::size_t pos_ = 0;
    std::uint64_t line_ = 1;
    std::uint64_t token_line_ = 1;
};

} // namespace detail
} // namespace v0
} // namespace augur
