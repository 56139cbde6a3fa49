#pragma once

// StandardScaler: centres each column of a feature table and divides it by its standard
// deviation, like scikit-learn's StandardScaler (population sd, ddof 0). A column whose
// variance is zero up to rounding (var <= n eps var + (n mean eps)^2, scikit-learn's test) gets
// scale 1, so it is only centred. NaN or infinite entries throw data_error naming the row and
// column (1-based). save/load use a versioned text format that round-trips every number.
//
// fit is O(n d) (two passes: mean, then the corrected sum of squared deviations);
// transform is O(n d). Thread-safety: not synchronized; const members (transform, accessors,
// save) may be called concurrently.

#include "augur/core/error.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <iterator>
#include <limits>
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

    /// Writes "augur.standard_scaler 1", the feature count, then one "mean scale" line per
    /// feature (shortest round-trip form).
    void save(std::ostream& out) const {
        AUGUR_ASSERT(fitted(), "StandardScaler::save: nothing fitted");
        out << format_tag << ' ' << format_version << "\nn_features " << mean_.size() << '\n';
        for (Eigen::Index c = 0; c < mean_.size(); ++c) {
            write_number(out, mean_[c]);
            out << ' ';
            write_number(out, scale_[c]);
            out << '\n';
        }
        out << "end\n";
        if (!out) throw error("StandardScaler::save: write failed");
    }

    /// Reads what save() wrote; throws data_error (with the line) on a malformed, truncated or
    /// newer-version input, a non-finite mean or a scale that is not > 0.
    static StandardScaler load(std::istream& in) {
        Reader reader(in);
        if (reader.word() != format_tag) reader.fail("not a saved StandardScaler");
        const std::uint64_t version = reader.integer();
        if (version != format_version)
            reader.fail(
                detail::scaler_message("unsupported format version ", std::to_string(version)));
        if (reader.word() != "n_features") reader.fail("expected 'n_features'");
        const std::uint64_t d = reader.integer();
        if (d < 1 || d > (std::uint64_t{1} << 24)) reader.fail("n_features out of range");
        StandardScaler scaler;
        scaler.mean_.resize(static_cast<Eigen::Index>(d));
        scaler.scale_.resize(static_cast<Eigen::Index>(d));
        for (Eigen::Index c = 0; c < scaler.mean_.size(); ++c) {
            scaler.mean_[c] = reader.number();
            scaler.scale_[c] = reader.number();
            if (!(scaler.scale_[c] > 0.0)) reader.fail("scale must be > 0");
        }
        if (reader.word() != "end") reader.fail("expected 'end'");
        if (!reader.at_end()) reader.fail("unexpected text after the scaler");
        return scaler;
    }

private:
    static constexpr std::string_view format_tag = "augur.standard_scaler";
    static constexpr std::uint64_t format_version = 1;

    static void write_number(std::ostream& out, double value) {
        char buffer[32];
        const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
        out.write(buffer, result.ptr - buffer);
    }

    // Whitespace-separated tokens with the line kept for error messages.
    class Reader {
    public:
        explicit Reader(std::istream& in)
            : text_(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()) {}

        std::string_view word() {
            skip_space();
            if (pos_ >= text_.size()) fail("unexpected end of input");
            const std::size_t begin = pos_;
            while (pos_ < text_.size() && !is_space(text_[pos_]))
                ++pos_;
            return std::string_view(text_).substr(begin, pos_ - begin);
        }

        double number() {
            const std::string_view token = word();
            double value = 0.0;
            const auto r = std::from_chars(token.data(), token.data() + token.size(), value);
            if (r.ec != std::errc() || r.ptr != token.data() + token.size() ||
                !std::isfinite(value))
                fail(detail::scaler_message("expected a finite number, got '", token, "'"));
            return value;
        }

        std::uint64_t integer() {
            const std::string_view token = word();
            std::uint64_t value = 0;
            const auto r = std::from_chars(token.data(), token.data() + token.size(), value);
            if (r.ec != std::errc() || r.ptr != token.data() + token.size())
                fail(detail::scaler_message("expected a non-negative integer, got '", token, "'"));
            return value;
        }

        bool at_end() {
            skip_space();
            return pos_ >= text_.size();
        }

        [[noreturn]] void fail(std::string_view message) const {
            throw data_error(detail::scaler_message("StandardScaler::load: line ",
                                                    std::to_string(line_), ": ", message));
        }

    private:
        static constexpr bool is_space(char c) noexcept {
            return c == ' ' || c == '\t' || c == '\n' || c == '\r';
        }
        void skip_space() noexcept {
            while (pos_ < text_.size() && is_space(text_[pos_])) {
                if (text_[pos_] == '\n') ++line_;
                ++pos_;
            }
        }

        std::string text_;
        std::size_t pos_ = 0;
        std::uint64_t line_ = 1;
    };

    Eigen::VectorXd mean_;
    Eigen::VectorXd scale_;
};

} // namespace v0
} // namespace augur
