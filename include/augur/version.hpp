#pragma once

// The augur version; the CMake project version is checked against these in the tests.
#define AUGUR_VERSION_MAJOR 0
#define AUGUR_VERSION_MINOR 1
#define AUGUR_VERSION_PATCH 0
#define AUGUR_VERSION_STRING "0.1.0"

namespace augur {
inline namespace v0 {

/// The library version as "major.minor.patch".
inline constexpr const char* version_string = AUGUR_VERSION_STRING;

} // namespace v0
} // namespace augur
