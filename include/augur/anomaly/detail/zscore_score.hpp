#pragma once

// Helpers shared by the statistical streaming detectors (zscore.hpp, robust.hpp,
// seasonal.hpp, default_detector.hpp): the calibration of a z value to a score in [0, 1] and
// the guarded z computation. Not part of the API.

#include "augur/anomaly/detector.hpp"

#include <boost/math/special_functions/erf.hpp>

#include <cmath>
#include <limits>

namespace augur {
inline namespace v0 {
namespace detail {

/// Two-sided normal calibration: 1 - 2 * (1 - Phi(|z|)) = erf(|z| / sqrt 2), in [0, 1].
/// NaN z (no evidence) gives 0. O(1), no allocation.
inline double score_from_z(double z) noexcept {
    if (std::isnan(z)) return 0.0;
    const double a = std::fabs(z);
    if (a >= 9.0) return 1.0; // erf saturates to 1 in double well before this
    return std::erf(a * 0.70710678118654752440);
}

/// The |z| at which score_from_z reaches `score` (inverse of score_from_z), for score in
/// [0, 1); infinity for score >= 1. Uses Boost.Math's erf_inv.
inline double z_from_score(double score) {
    if (!(score > 0.0)) return 0.0;
    if (score >= 1.0) return std::numeric_limits<double>::infinity();
    return boost::math::erf_inv(score) * 1.41421356237309504880;
}

/// (x - expected) / spread guarded for degenerate inputs: spread 0 gives 0 for x == expected
/// and +-inf otherwise; NaN (e.g. inf / inf after an overflow) gives 0 (no evidence).
inline double guarded_z(double x, double expected, double spread) noexcept {
    const double d = x - expected;
    if (d == 0.0) return 0.0;
    if (!(spread > 0.0)) {
        if (std::isnan(d)) return 0.0;
        return d > 0 ? std::numeric_limits<double>::infinity()
                     : -std::numeric_limits<double>::infinity();
    }
    const double z = d / spread;
    return std::isnan(z) ? 0.0 : z;
}

/// Direction of a deviation.
inline Direction direction_of(double deviation) noexcept {
    return deviation > 0 ? Direction::up : deviation < 0 ? Direction::down : Direction::none;
}

/// The spread used to scale a deviation: max(spread, absolute floor, relative floor * |level|),
/// so that round-off on a constant series is never an anomaly while any real change is.
inline double floored_spread(double spread, double absolute_floor, double level) noexcept {
    const double rel = 1e-12 * std::fabs(level);
    double s = spread > absolute_floor ? spread : absolute_floor;
    if (std::isfinite(rel) && rel > s) s = rel;
    return s;
}

/// Scores `x` against a baseline (expected value and spread) into `d`: the z-score's score,
/// expected, deviation, is_anomaly against `threshold`, and shape spike with its direction
/// when anomalous.
inline void score_spike(Detection& d, double x, double expected, double spread,
                        double threshold) noexcept {
    d.score = score_from_z(guarded_z(x, expected, spread));
    d.expected = expected;
    d.deviation = x - expected;
    d.is_anomaly = d.score >= threshold;
    if (d.is_anomaly) {
        d.shape = Shape::spike;
        d.direction = direction_of(d.deviation);
    }
}

/// A Detection for a sample that was not scored (NaN input or learning).
inline Detection unscored_detection(bool learning, double threshold) noexcept {
    Detection d;
    d.learning = learning;
    d.threshold = threshold;
    return d;
}

} // namespace detail
} // namespace v0
} // namespace augur
