#pragma once

// LinearGaussian: Bayesian linear regression of a reward on a context vector, for contextual
// Thompson sampling (route by task features such as type, length, language).
//
// Model: reward = w . x + noise, noise ~ N(0, sigma^2); prior w ~ N(0, sigma^2 / lambda I),
// 1 / sigma^2 ~ Gamma(alpha, rate beta) (Normal-inverse-gamma, conjugate). The data enter
// only through X'X, X'y, y'y and the evidence n, so merge adds them (the prior counted once),
// remove subtracts one observation, and decay scales them.
// Posterior: Lambda_n = lambda I + X'X, mu_n = Lambda_n^-1 X'y, alpha_n = alpha + n / 2,
// beta_n = beta + (y'y - mu_n' X'y) / 2. For a context x, w . x has a Student-t marginal with
// 2 alpha_n degrees of freedom, location mu_n . x and squared scale beta_n / alpha_n x' Sigma x,
// Sigma = Lambda_n^-1; sample() draws sigma^2 then w . x given sigma^2 (O(d^2), no allocation).
// Include a constant 1 in the context for an intercept.
// Cost: update/remove/decay/merge O(d^3) (the factorisation is refreshed), sample and mean
// O(d^2), d = dimension(). Thread-safety: value type, not synchronized; const members may be
// called concurrently.
// @code
//   augur::LinearGaussian p(3);                       // context: {1, is_code, log_length}
//   p.update(std::array{1.0, 1.0, 2.3}, 0.8);
//   double draw = p.sample(rng, std::array{1.0, 0.0, 1.1});
// @endcode

#include "augur/core/archive.hpp"
#include "augur/core/error.hpp"
#include "augur/core/random.hpp"
#include "augur/routing/detail/attributes.hpp"
#include "augur/routing/posterior.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <istream>
#include <limits>
#include <ostream>
#include <span>
#include <string>

namespace augur {
inline namespace v0 {

/// The prior of a LinearGaussian: weight precision lambda (relative to the noise), and the
/// noise precision's Gamma(alpha, rate beta). Defaults suit rewards in [0, 1].
struct LinearGaussianPrior {
    double precision = 1.0;
    double alpha = 2.0;
    double beta = 0.25;
};

/// Bayesian linear regression posterior over a context of fixed dimension (see file comment).
class LinearGaussian {
public:
    /// Type tag and format version of its archive (core/archive.hpp).
    static constexpr const char* archive_tag = "augur.LinearGaussian";
    static constexpr std::uint32_t format_version = 1;

    /// dimension >= 1 (invalid_argument); prior values finite and > 0 (invalid_argument).
    explicit LinearGaussian(std::size_t dimension, const LinearGaussianPrior& prior = {})
        : prior_(prior), dim_(static_cast<Eigen::Index>(dimension)) {
        if (dimension == 0 || dimension > 4096)
            throw_invalid_config("LinearGaussian", "dimension", dimension, "must be in [1, 4096]");
        detail::routing::check_prior("LinearGaussian", "prior.precision", prior.precision);
        detail::routing::check_prior("LinearGaussian", "prior.alpha", prior.alpha);
        detail::routing::check_prior("LinearGaussian", "prior.beta", prior.beta);
        xtx_ = Eigen::MatrixXd::Zero(dim_, dim_);
        xty_ = Eigen::VectorXd::Zero(dim_);
        refresh();
    }

    std::size_t dimension() const noexcept { return static_cast<std::size_t>(dim_); }

    /// A Thompson draw of the expected reward w . x for context x. O(d^2), no allocation.
    /// Precondition: x.size() == dimension() (AUGUR_ASSERT).
    template <class G>
    double sample(G& rng, std::span<const double> x) const {
        AUGUR_ASSERT(x.size() == dimension(), "LinearGaussian::sample: wrong context size");
        const auto& tables = detail::random::ziggurat_tables();
        const double noise_var = beta_n_ / draw_precision_(rng, tables);
        const double spread = std::sqrt(noise_var * quadratic(x));
        return dot_mean(x) + spread * detail::random::ziggurat_normal(rng, tables);
    }

    /// A draw of the whole weight vector (allocates). O(d^2).
    template <class G>
    Eigen::VectorXd sample_weights(G& rng) const {
        const auto& tables = detail::random::ziggurat_tables();
        const double noise_var = beta_n_ / draw_precision_(rng, tables);
        Eigen::VectorXd z(dim_);
        for (Eigen::Index i = 0; i < dim_; ++i)
            z[i] = detail::random::ziggurat_normal(rng, tables);
        // Lambda = L L'  =>  L'^-1 z has covariance Lambda^-1.
        const Eigen::VectorXd shift = factor_.matrixU().solve(z);
        return mu_ + std::sqrt(noise_var) * shift;
    }

    /// Throws data_error unless the reward and every context value are finite.
    /// Precondition: x.size() == dimension() (AUGUR_ASSERT).
    void check(std::span<const double> x, double reward) const {
        AUGUR_ASSERT(x.size() == dimension(), "LinearGaussian: wrong context size");
        if (!std::isfinite(reward))
            detail::routing::throw_bad_reward("LinearGaussian", reward, "must be finite");
        for (double v : x)
            if (!std::isfinite(v))
                throw data_error("LinearGaussian: context value " + std::to_string(v) +
                                 " is not finite");
    }

    void update(std::span<const double> x, double reward, double weight = 1.0) {
        check(x, reward);
        detail::routing::check_weight("LinearGaussian::update", weight);
        accumulate(x, reward, weight);
        refresh();
    }

    /// Unlearns an observation learnt before (sliding windows).
    void remove(std::span<const double> x, double reward, double weight = 1.0) {
        check(x, reward);
        detail::routing::check_weight("LinearGaussian::remove", weight);
        accumulate(x, reward, -weight);
        if (n_ <= 1e-12) {
            reset();
            return;
        }
        refresh();
    }

    void decay(double factor) {
        detail::routing::check_decay("LinearGaussian::decay", factor);
        xtx_ *= factor;
        xty_ *= factor;
        yty_ *= factor;
        n_ *= factor;
        refresh();
    }

    void reset() {
        xtx_.setZero();
        xty_.setZero();
        yty_ = n_ = 0.0;
        refresh();
    }

    /// Adds the evidence of `other`: same dimension (AUGUR_ASSERT) and prior (invalid_argument).
    void merge(const LinearGaussian& other) {
        AUGUR_ASSERT(other.dim_ == dim_, "LinearGaussian::merge: dimensions differ");
        if (other.prior_.precision != prior_.precision || other.prior_.alpha != prior_.alpha ||
            other.prior_.beta != prior_.beta)
            throw invalid_argument("LinearGaussian::merge: the priors differ");
        xtx_ += other.xtx_;
        xty_ += other.xty_;
        yty_ += other.yty_;
        n_ += other.n_;
        refresh();
    }

    const LinearGaussianPrior& prior() const noexcept { return prior_; }
    /// Evidence: weighted number of observations.
    double count() const noexcept { return n_; }
    /// Posterior mean of w . x.
    double mean(std::span<const double> x) const {
        AUGUR_ASSERT(x.size() == dimension(), "LinearGaussian::mean: wrong context size");
        return dot_mean(x);
    }
    /// Posterior mean of the weights.
    const Eigen::VectorXd& weights_mean() const noexcept { return mu_; }
    /// Posterior covariance of the weights given sigma^2 = 1, i.e. Lambda_n^-1.
    const Eigen::MatrixXd& weights_scale() const noexcept { return sigma_; }
    double alpha_n() const noexcept { return alpha_n_; }
    double beta_n() const noexcept { return beta_n_; }
    /// Posterior mean of the noise variance; +inf when alpha_n <= 1.
    double noise_variance() const noexcept {
        return alpha_n_ > 1.0 ? beta_n_ / (alpha_n_ - 1.0)
                              : std::numeric_limits<double>::infinity();
    }
    /// Equal-tailed credible interval of w . x (Student-t marginal); level in (0, 1).
    Interval credible_interval(std::span<const double> x, double level = 0.95) const {
        detail::routing::check_level("LinearGaussian::credible_interval", level);
        AUGUR_ASSERT(x.size() == dimension(), "LinearGaussian: wrong context size");
        const boost::math::students_t t(2.0 * alpha_n_);
        const double q = boost::math::quantile(t, 0.5 + 0.5 * level);
        const double scale = std::sqrt(beta_n_ / alpha_n_ * quadratic(x));
        const double m = dot_mean(x);
        return {m - q * scale, m + q * scale};
    }

    /// Writes an archive (core/archive.hpp); throws augur::error if the stream fails.
    void save(std::ostream& out) const {
        write_archive(out, archive_tag, format_version, [&](ArchiveWriter& w) { w(*this); });
    }

    /// Reads what save wrote; data_error on anything malformed or invalid values.
    static LinearGaussian load(std::istream& in) {
        return read_archive(in, archive_tag, format_version, [](ArchiveReader& r) {
            LinearGaussian p(1);
            r(p);
            return p;
        });
    }

    /// The fields: dimension, prior (precision, alpha, beta), evidence, y'y, X'y and the upper
    /// triangle of X'X (column by column).
    void save_fields(ArchiveWriter& w) const {
        w(static_cast<std::uint64_t>(dim_), prior_.precision, prior_.alpha, prior_.beta, n_, yty_,
          xty_);
        for (Eigen::Index j = 0; j < dim_; ++j)
            for (Eigen::Index i = 0; i <= j; ++i)
                w(xtx_(i, j));
    }
    /// Reads save_fields' fields into this posterior (any dimension up to 4096); data_error
    /// (nothing changed) on a prior the constructor rejects, values that are not finite,
    /// negative evidence or an X'X that is not positive semi-definite.
    void load_fields(ArchiveReader& r) {
        const auto d = r.read<std::uint64_t>();
        r.require(d >= 1 && d <= 4096, "dimension " + std::to_string(d) + " out of range");
        LinearGaussianPrior prior;
        prior.precision = r.finite("prior.precision");
        prior.alpha = r.finite("prior.alpha");
        prior.beta = r.finite("prior.beta");
        LinearGaussian p = r.construct<LinearGaussian>(static_cast<std::size_t>(d), prior);
        p.n_ = r.finite("count");
        p.yty_ = r.finite("yty");
        r.require(p.n_ >= 0.0 && p.yty_ >= 0.0, "negative evidence");
        r(p.xty_);
        r.require(p.xty_.size() == p.dim_ && p.xty_.allFinite(), "bad X'y");
        for (Eigen::Index j = 0; j < p.dim_; ++j)
            for (Eigen::Index i = 0; i <= j; ++i)
                p.xtx_(i, j) = p.xtx_(j, i) = r.finite("xtx");
        p.refresh();
        r.require(p.factor_.info() == Eigen::Success, "X'X is not positive semi-definite");
        *this = std::move(p);
    }

    friend bool operator==(const LinearGaussian& a, const LinearGaussian& b) {
        return a.dim_ == b.dim_ && a.prior_.precision == b.prior_.precision &&
               a.prior_.alpha == b.prior_.alpha && a.prior_.beta == b.prior_.beta && a.n_ == b.n_ &&
               a.yty_ == b.yty_ && a.xty_ == b.xty_ && a.xtx_ == b.xtx_;
    }

private:
    void accumulate(std::span<const double> x, double reward, double weight) {
        const Eigen::Map<const Eigen::VectorXd> v(x.data(), dim_);
        xtx_.noalias() += weight * v * v.transpose();
        xty_ += weight * reward * v;
        yty_ += weight * reward * reward;
        n_ += weight;
    }

    void refresh() {
        // Workspaces keep their size, so a refresh allocates nothing after the first.
        lambda_ = xtx_;
        lambda_.diagonal().array() += prior_.precision;
        factor_.compute(lambda_);
        mu_ = xty_;
        factor_.solveInPlace(mu_);
        sigma_.setIdentity(dim_, dim_);
        factor_.solveInPlace(sigma_);
        alpha_n_ = prior_.alpha + 0.5 * n_;
        beta_n_ = prior_.beta + std::max(0.0, 0.5 * (yty_ - mu_.dot(xty_)));
        draw_precision_.set_shape(alpha_n_);
    }

    double dot_mean(std::span<const double> x) const noexcept {
        double s = 0.0;
        for (Eigen::Index i = 0; i < dim_; ++i)
            s += mu_[i] * x[static_cast<std::size_t>(i)];
        return s;
    }

    // x' Sigma x without allocating.
    double quadratic(std::span<const double> x) const noexcept {
        double total = 0.0;
        for (Eigen::Index j = 0; j < dim_; ++j) {
            double column = 0.0;
            for (Eigen::Index i = 0; i < dim_; ++i)
                column += sigma_(i, j) * x[static_cast<std::size_t>(i)];
            total += column * x[static_cast<std::size_t>(j)];
        }
        return std::max(0.0, total);
    }

    LinearGaussianPrior prior_;
    Eigen::Index dim_;
    Eigen::MatrixXd xtx_;
    Eigen::VectorXd xty_;
    double yty_ = 0.0;
    double n_ = 0.0;
    Eigen::MatrixXd lambda_;
    Eigen::LLT<Eigen::MatrixXd> factor_;
    Eigen::VectorXd mu_;
    Eigen::MatrixXd sigma_;
    double alpha_n_ = 1.0;
    double beta_n_ = 1.0;
    GammaDraw draw_precision_;
};

static_assert(ContextualPosterior<LinearGaussian>);

} // namespace v0
} // namespace augur
