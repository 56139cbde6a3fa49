#pragma once

// StandardScaler: centres each column of a feature table and divides it by its standard
// deviation, like scikit-learn's StandardScaler (population sd, ddof 0). A column whose
// variance is zero up to rounding (var <= n eps var + (n mean eps)^2, scikit-learn's test) gets
// scale 1, so it is only centred. NaN or infinite entries throw data_error naming the row and
// column (1-based). save/load go through augur/core/archive.hpp (tag "augur.StandardScaler")
// and round-trip every number.
//
// fit is O(n d) (two passes: mean, then the corrected sum of squared deviations);
// transform is O(n d). Thread-safety: not synchronized; const members (transform, accessors,
// save) may be called concurrently.

#include "augur/core/archive.hpp"
#include "augur/core/error.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>

namespace augur {
inline namespace v0 {

namespace detail {

/// Concatenates string-like parts by appending (no `"literal" + std::string` temporaries, which
/// trip GCC 12's -Wrestrict false positive at -O3).
template <class... Parts>
std::string scaler_message(const Parts&... parts) {
    std::string out;
    (out.append(std::string_view(parts)), ...);
    return out;
}

/// Throws data_error at the first non-finite entry of x ("row R, column C", 1-based).
inline void scaler_check_finite(const Eigen::MatrixXd& x, const char* where) {
    if (x.allFinite()) return;
    for (Eigen::Index c = 0; c < x.cols(); ++c)
        for (Eigen::Index r = 0; r < x.rows(); ++r)
            if (!std::isfinite(x(r, c)))
                throw data_error(scaler_message(
                    where, ": ", std::isnan(x(r, c)) ? "NaN" : "infinite value", " at row ",
                    std::to_string(r + 1), ", column ", std::to_string(c + 1)));
}

} // namespace detail

/// Per-column standardization z = (x - mean) / scale.
/// @code
///   augur::StandardScaler scaler;
///   Eigen::MatrixXd z = scaler.fit_transform(train);   // rows are observations
///   Eigen::MatrixXd z_new = scaler.transform(fresh);
/// @endcode
class StandardScaler {
public:
    /// Learns each column's mean and population standard deviation from x (>= 1 row and
    /// >= 1 column, all finite; else data_error).
    StandardScaler& fit(const Eigen::MatrixXd& x) {
        if (x.rows() < 1) throw data_error("StandardScaler::fit: need at least one row");
        if (x.cols() < 1) throw data_error("StandardScaler::fit: need at least one column");
        detail::scaler_check_finite(x, "StandardScaler::fit");
        const double n = static_cast<double>(x.rows());
        constexpr double eps = std::numeric_limits<double>::epsilon();
        mean_.resize(x.cols());
        scale_.resize(x.cols());
        for (Eigen::Index c = 0; c < x.cols(); ++c) {
            const double mean = x.col(c).sum() / n;
            const auto dev = x.col(c).array() - mean;
            // Corrected two-pass variance: the second term removes the rounding of the mean.
            const double correction = dev.sum();
            const double var =
                std::max(0.0, (dev.square().sum() - correction * correction / n) / n);
            const double bound = n * eps * var + (n * mean * eps) * (n * mean * eps);
            mean_[c] = mean;
            scale_[c] = var <= bound ? 1.0 : std::sqrt(var);
        }
        return *this;
    }

    /// (x - mean) / scale, column by column. Preconditions: fitted, x.cols() == n_features()
    /// (AUGUR_ASSERT); non-finite entries throw data_error.
    Eigen::MatrixXd transform(const Eigen::MatrixXd& x) const {
        AUGUR_ASSERT(fitted(), "StandardScaler::transform: call fit (or load) first");
        AUGUR_ASSERT(x.cols() == mean_.size(),
                     "StandardScaler::transform: x must have n_features() columns");
        detail::scaler_check_finite(x, "StandardScaler::transform");
        Eigen::MatrixXd out(x.rows(), x.cols());
        for (Eigen::Index c = 0; c < x.cols(); ++c)
            out.col(c) = (x.col(c).array() - mean_[c]) / scale_[c];
        return out;
    }

    /// mean + scale * z: undoes transform. Same preconditions.
    Eigen::MatrixXd inverse_transform(const Eigen::MatrixXd& z) const {
        AUGUR_ASSERT(fitted(), "StandardScaler::inverse_transform: call fit (or load) first");
        AUGUR_ASSERT(z.cols() == mean_.size(),
                     "StandardScaler::inverse_transform: z must have n_features() columns");
        detail::scaler_check_finite(z, "StandardScaler::inverse_transform");
        Eigen::MatrixXd out(z.rows(), z.cols());
        for (Eigen::Index c = 0; c < z.cols(); ++c)
            out.col(c) = z.col(c).array() * scale_[c] + mean_[c];
        return out;
    }

    /// fit(x) then transform(x).
    Eigen::MatrixXd fit_transform(const Eigen::MatrixXd& x) { return fit(x).transform(x); }

    /// Column means (empty before fit).
    const Eigen::VectorXd& mean() const noexcept { return mean_; }
    /// Column scales: the population sd, or 1 for a constant column (empty before fit).
    const Eigen::VectorXd& scale() const noexcept { return scale_; }
    std::size_t n_features() const noexcept { return static_cast<std::size_t>(mean_.size()); }
    bool fitted() const noexcept { return mean_.size() > 0; }

    /// The archive type tag.
    static constexpr std::string_view type_tag = "augur.StandardScaler";
    /// Current version of the saved format.
    static constexpr std::uint32_t format_version = 1;

    /// Writes the scaler (fitted or not) as an augur archive (augur/core/archive.hpp): the
    /// column means and scales, exactly. O(d). Throws augur::error when the stream fails.
    void save(std::ostream& out) const {
        write_archive(out, type_tag, format_version, [&](ArchiveWriter& w) { w(mean_, scale_); });
    }

    /// Reads what save() wrote; throws data_error on a corrupted, truncated, foreign or
    /// newer-version input, means and scales of different lengths, a non-finite mean or a
    /// scale that is not finite and > 0.
    static StandardScaler load(std::istream& in) {
        return read_archive(in, type_tag, format_version, [](ArchiveReader& r) {
            StandardScaler scaler;
            r(scaler.mean_, scaler.scale_);
            r.require(scaler.mean_.size() == scaler.scale_.size(),
                      "means and scales have different lengths");
            r.require(scaler.mean_.allFinite(), "a mean is not finite");
            for (Eigen::Index c = 0; c < scaler.scale_.size(); ++c)
                r.require(scaler.scale_[c] > 0.0 && std::isfinite(scaler.scale_[c]),
                          "scale must be finite and > 0");
            return scaler;
        });
    }

private:
    Eigen::VectorXd mean_;
    Eigen::VectorXd scale_;
};

} // namespace v0
} // namespace augur
