#pragma once

// Where tests find the shared reference data (/work/shared/data: ODDS, NAB, ARIMA references),
// and what happens when a file is missing.
//
// The root is $AUGUR_SHARED_DATA when set, else AUGUR_SHARED_DATA_DIR (set by
// tests/CMakeLists.txt to <source>/../shared/data). A missing file:
//  - under CI (CI set in the environment to anything but "", "0" or "false"): the test FAILS,
//    so a reference check can never pass by not running;
//  - otherwise (a user's clone without the data): a WARN naming the path and how to point at
//    the data, and std::nullopt, so the caller skips that check.
//
//   const auto file = augur_test::shared_data_path("odds/reference_auc.csv");
//   if (!file) return; // skipped, with a warning (never under CI)

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace augur_test {

/// The root of the shared data: $AUGUR_SHARED_DATA, else the build's AUGUR_SHARED_DATA_DIR.
inline std::filesystem::path shared_data_root() {
    if (const char* env = std::getenv("AUGUR_SHARED_DATA"); env != nullptr && *env != '\0')
        return env;
#ifdef AUGUR_SHARED_DATA_DIR
    return AUGUR_SHARED_DATA_DIR;
#else
    return "shared/data";
#endif
}

/// Whether the environment says this is a CI run (CI set, and not "", "0" or "false").
inline bool running_under_ci() {
    const char* env = std::getenv("CI");
    if (env == nullptr) return false;
    const std::string_view value = env;
    return !(value.empty() || value == "0" || value == "false" || value == "FALSE" ||
             value == "False");
}

/// shared_data_root() / relative when that file or directory exists. When it does not: FAIL
/// under CI, else WARN ("skipped: ...") and std::nullopt.
inline std::optional<std::filesystem::path> shared_data_path(std::string_view relative) {
    const std::filesystem::path path = shared_data_root() / std::filesystem::path(relative);
    std::error_code ignored;
    if (std::filesystem::exists(path, ignored)) return path;
    if (running_under_ci())
        FAIL("shared test data missing under CI: " << path.string()
                                                   << " (set AUGUR_SHARED_DATA to its root)");
    WARN("skipped: shared test data not found at "
         << path.string() << " (set AUGUR_SHARED_DATA to the shared data root to run this check)");
    return std::nullopt;
}

} // namespace augur_test
