#pragma once

// Shared helpers for augur's tests.

#include <augur/core/error.hpp>

#include <stdexcept>
#include <string>

namespace augur_test {

/// Thrown by the assert handler that tests/main.cpp installs, so REQUIRE_THROWS_AS can check
/// that an AUGUR_ASSERT fires. (Only usable where the failing check is not inside a noexcept
/// function: throwing out of one terminates.)
struct AssertionFailure : std::logic_error {
    using std::logic_error::logic_error;
};

[[noreturn]] inline void throwing_assert_handler(const char* condition, const char* message,
                                                 const char* file, int line) {
    throw AssertionFailure(std::string(message) + " (" + condition + ") at " + file + ":" +
                           std::to_string(line));
}

} // namespace augur_test
