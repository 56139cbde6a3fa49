#pragma once

// The learning length `augur detect` gives the default detector when none is asked for:
// 15% of the longest series, clamped to [20, 750] — NAB's probationary period (15% of a data
// file) with a floor that lets short files learn at all and a cap that keeps long files from
// waiting for weeks. The NAB figures documented in docs/anomaly.md were measured with it.
// Complexity O(1). Thread-safety: a pure function.

#include <algorithm>
#include <cstddef>

namespace augur {
inline namespace v0 {

/// Smallest and largest learning length auto_learning_length returns.
inline constexpr std::size_t auto_learning_min = 20;
inline constexpr std::size_t auto_learning_max = 750;

/// The default detector's learning length for a run whose longest series has
/// `longest_series` samples: floor(15% of it), within [20, 750].
/// @code
///   augur::DetectorOptions o;
///   o.learning = augur::auto_learning_length(rows_in_file);   // 1000 rows -> 150
///   augur::AnyDetector detector = augur::make_detector("default", o);
/// @endcode
constexpr std::size_t auto_learning_length(std::size_t longest_series) noexcept {
    // samples * 15 / 100 without overflow for any size_t.
    const std::size_t fifteen_percent = longest_series / 100 * 15 + longest_series % 100 * 15 / 100;
    return std::clamp(fifteen_percent, auto_learning_min, auto_learning_max);
}

} // namespace v0
} // namespace augur
