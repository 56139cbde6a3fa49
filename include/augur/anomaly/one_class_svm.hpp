#pragma once

// One-class support vector machine (Schölkopf et al. 2001), nu formulation, for novelty and
// outlier detection on feature tables.
//
// fit solves the dual   min_a 1/2 a'Qa,  0 <= a_i <= 1,  sum a_i = nu * l,   Q_ij = K(x_i, x_j)
// exactly as LIBSVM does (SMO with Fan, Chen & Lin's second-order working-set selection,
// shrinking, an LRU cache of kernel columns in single precision, the same starting point and
// stopping rule), so coefficients, rho and decision values match scikit-learn's OneClassSVM and
// LIBSVM's svm-train -s 2 on the same data and parameters (within their tolerance).
//   decision_function(x) = sum_i a_i K(x_i, x) - rho    (> 0 inlier, < 0 outlier)
//   score_samples(x)     = decision_function(x) + rho   (scikit-learn's score_samples)
// nu bounds the fraction of training outliers from above and of support vectors from below.
//
// The kernel is a policy (SvmKernel): RbfKernel (default; exp(-gamma |a - b|^2), gamma "scale"
// = 1 / (d * Var(X)) like scikit-learn unless set) or LinearKernel (a . b). Kernels are
// evaluated from inner products (|a - b|^2 = |a|^2 + |b|^2 - 2 a . b, as LIBSVM trains), so
// standardize features that sit far from the origin (StandardScaler) to avoid cancellation.
// Choices where LIBSVM is silent or fails: nu = 1 (every a_i = 1) gives rho = the largest
// training score (LIBSVM: infinite); a decision of exactly 0 predicts -1 (as LIBSVM); a matrix
// whose entries are all equal gets gamma "scale" = 1 (numpy may see rounding noise instead).
//
// Complexity: fit costs O(iterations * l) for the solver plus O(l * d) per kernel column that
// is not in the cache (cache_mb, default 200 MB, holds cache_mb * 2^18 floats); iterations grow
// roughly linearly with l. Memory O(l * d + cache). Scoring costs O(n_sv * d) per row.
// A BatchModel (augur/core/batch_model.hpp): score = -decision_function, higher = more
// anomalous; decision_function / score_samples / predict keep scikit-learn's signs. save/load
// go through augur/core/archive.hpp, tagged "augur.OneClassSvm<KERNEL NAME>", with the kernel's
// parameters, so load(in) needs no kernel argument.
// Thread-safety: not synchronized; const members (scoring, accessors, save) may be called
// concurrently.

#include "augur/anomaly/detail/svm_kernel_matrix.hpp"
#include "augur/anomaly/detail/svm_solver.hpp"
#include "augur/core/archive.hpp"
#include "augur/core/batch_model.hpp"
#include "augur/core/error.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <limits>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {

/// A kernel policy for OneClassSvm: K(a, b) as a function of a . b, |a|^2 and |b|^2 (this
/// covers the RBF, linear, polynomial and sigmoid kernels), so that inner products come from
/// Eigen's matrix products. Contract:
/// - `K::name()`: a short constant name, stored with a saved model ("rbf", "linear").
/// - `prepare(X, gamma)`: called by fit before any evaluation, with the training matrix and the
///   resolved width gamma > 0 (OneClassSvmConfig::gamma, or "scale"); may resolve
///   data-dependent parameters. A kernel without a width ignores it.
/// - `apply(values, sq_norms, sq_norm_x) const`: on entry values[r] = a_r . x, on exit
///   K(a_r, x), given sq_norms[r] = |a_r|^2 and sq_norm_x = |x|^2. O(size), no allocation.
///   K must be a symmetric positive semi-definite kernel and deterministic.
/// - `parameters() const` / `set_parameters(p)`: the numbers that define the prepared kernel,
///   for save/load; set_parameters returns false for values it cannot take.
template <class K>
concept SvmKernel = std::copyable<K> &&
    requires(K& k, const K& ck, const Eigen::MatrixXd& x, double v,
             Eigen::Ref<Eigen::VectorXd> values, const Eigen::Ref<const Eigen::VectorXd>& sq_norms,
             std::span<const double> p) {
    { K::name() } -> std::convertible_to<std::string_view>;
    k.prepare(x, v);
    ck.apply(values, sq_norms, v);
    { ck.parameters() } -> std::convertible_to<std::vector<double>>;
    { k.set_parameters(p) } -> std::same_as<bool>;
};

/// Gaussian kernel exp(-gamma * |a - b|^2), with |a - b|^2 = |a|^2 + |b|^2 - 2 a . b (as LIBSVM
/// trains; clamped at 0). exp is Eigen's vectorized one.
struct RbfKernel {
    static constexpr std::string_view name() noexcept { return "rbf"; }
    void prepare(const Eigen::MatrixXd&, double width) noexcept { gamma_ = width; }
    void apply(Eigen::Ref<Eigen::VectorXd> values,
               const Eigen::Ref<const Eigen::VectorXd>& sq_norms, double sq_norm_x) const noexcept {
        values.array() =
            ((sq_norms.array() + sq_norm_x - 2.0 * values.array()).max(0.0) * -gamma_).exp();
    }
    std::vector<double> parameters() const { return {gamma_}; }
    bool set_parameters(std::span<const double> p) noexcept {
        if (p.size() != 1 || !(p[0] > 0.0) || !std::isfinite(p[0])) return false;
        gamma_ = p[0];
        return true;
    }
    /// The width in use (set by prepare).
    double gamma() const noexcept { return gamma_; }

private:
    double gamma_ = 1.0;
};

/// Linear kernel a . b (gamma is not used).
struct LinearKernel {
    static constexpr std::string_view name() noexcept { return "linear"; }
    void prepare(const Eigen::MatrixXd&, double) noexcept {}
    void apply(Eigen::Ref<Eigen::VectorXd>, const Eigen::Ref<const Eigen::VectorXd>&,
               double) const noexcept {}
    std::vector<double> parameters() const { return {}; }
    bool set_parameters(std::span<const double> p) noexcept { return p.empty(); }
};

static_assert(SvmKernel<RbfKernel>);
static_assert(SvmKernel<LinearKernel>);

/// Settings of OneClassSvm; validate() throws invalid_argument naming the field.
struct OneClassSvmConfig {
    /// Upper bound on the fraction of training outliers, lower bound on the fraction of support
    /// vectors; in (0, 1].
    double nu = 0.5;
    /// RBF width; <= 0 means "scale": 1 / (n_features * X.var()) over all entries of X, or 1
    /// when every entry is equal (scikit-learn's rule). Finite.
    double gamma = 0.0;
    /// Stopping tolerance on the maximal violating pair's gradient gap; > 0 (LIBSVM's -e).
    double tolerance = 1e-3;
    /// Kernel column cache in MiB (at least two columns are always kept).
    std::size_t cache_mb = 200;
    /// Iteration limit; when reached, fit keeps the current solution and converged() is false.
    std::size_t max_iterations = 10'000'000;
    /// Shrinking heuristic (LIBSVM's -h 1, scikit-learn's default); the result is the same.
    bool shrinking = true;

    void validate() const {
        if (!(nu > 0.0 && nu <= 1.0))
            throw_invalid_config("OneClassSvmConfig", "nu", nu, "must be in (0, 1]");
        if (!std::isfinite(gamma))
            throw_invalid_config("OneClassSvmConfig", "gamma", gamma,
                                 "must be finite (<= 0 means 'scale')");
        if (!(tolerance > 0.0 && std::isfinite(tolerance)))
            throw_invalid_config("OneClassSvmConfig", "tolerance", tolerance,
                                 "must be finite and > 0");
        if (cache_mb > (std::size_t{1} << 40))
            throw_invalid_config("OneClassSvmConfig", "cache_mb", cache_mb, "must be <= 2^40");
        if (max_iterations == 0)
            throw_invalid_config("OneClassSvmConfig", "max_iterations", max_iterations,
                                 "must be >= 1");
    }
};

namespace detail {

/// Concatenates string-like parts by appending (no `"literal" + std::string` temporaries, which
/// trip GCC 12's -Wrestrict false positive at -O3).
template <class... Parts>
std::string svm_message(const Parts&... parts) {
    std::string out;
    (out.append(std::string_view(parts)), ...);
    return out;
}

/// Throws data_error at the first non-finite entry ("row R, column C", 1-based, in the message)
/// or for an empty matrix.
inline void svm_check_matrix(const Eigen::MatrixXd& x, const char* where) {
    if (x.rows() < 1) throw data_error(svm_message(where, ": need at least one row"));
    if (x.cols() < 1) throw data_error(svm_message(where, ": need at least one column"));
    if (x.allFinite()) return;
    for (Eigen::Index c = 0; c < x.cols(); ++c)
        for (Eigen::Index r = 0; r < x.rows(); ++r)
            if (!std::isfinite(x(r, c)))
                throw data_error(svm_message(
                    where, ": ", std::isnan(x(r, c)) ? "NaN" : "infinite value", " at row ",
                    std::to_string(r + 1), ", column ", std::to_string(c + 1)));
}

/// scikit-learn's gamma = "scale": 1 / (d * Var(X)) with the population variance of all
/// entries; 1 when all entries are equal.
inline double svm_scale_gamma(const Eigen::MatrixXd& x) {
    if (x.maxCoeff() == x.minCoeff()) return 1.0;
    const double mean = x.mean();
    const double var = (x.array() - mean).square().mean();
    if (!(var > 0.0)) return 1.0;
    return 1.0 / (static_cast<double>(x.cols()) * var);
}

} // namespace detail

/// One-class SVM with kernel policy `Kernel` (an SvmKernel).
/// @code
///   augur::StandardScaler scaler;
///   Eigen::MatrixXd z = scaler.fit_transform(features);        // rows are observations
///   augur::OneClassSvm<> svm({.nu = 0.05});                      // RBF, gamma "scale"
///   svm.fit(z);
///   Eigen::VectorXd d = svm.decision_function(scaler.transform(fresh));  // < 0: outlier
/// @endcode
/// @tparam Kernel an SvmKernel (RbfKernel, LinearKernel or your own).
template <class Kernel = RbfKernel>
class OneClassSvm {
    static_assert(SvmKernel<Kernel>,
                  "Kernel must satisfy augur::SvmKernel: static name(), prepare(X, gamma), "
                  "apply(values, sq_norms, sq_norm_x) const, parameters() const, "
                  "set_parameters(p) -> bool");

public:
    explicit OneClassSvm(OneClassSvmConfig config = {}, Kernel kernel = {})
        : config_(config), kernel_(std::move(kernel)) {
        config_.validate();
    }

    /// Trains on the rows of `x` (l >= 1 rows, d >= 1 columns, all finite; else data_error
    /// naming the row and column). Replaces any previous fit; on an exception the previous fit
    /// is kept.
    OneClassSvm& fit(const Eigen::MatrixXd& x) {
        detail::svm_check_matrix(x, "OneClassSvm::fit");
        const auto l = static_cast<std::size_t>(x.rows());
        const double gamma = config_.gamma > 0.0 ? config_.gamma : detail::svm_scale_gamma(x);
        Kernel kernel = kernel_;
        kernel.prepare(x, gamma);

        // LIBSVM's starting point: the first floor(nu l) coefficients at 1, the next one the
        // remainder, the rest 0. nu l is summed term by term as scikit-learn's LIBSVM does
        // (rounding included), so the start, and with it the path, is the same as theirs.
        std::vector<double> alpha(l, 0.0);
        double nu_l = 0.0;
        for (std::size_t i = 0; i < l; ++i)
            nu_l += config_.nu;
        for (std::size_t i = 0; i < l && nu_l > 0.0; ++i) {
            alpha[i] = std::min(1.0, nu_l);
            nu_l -= alpha[i];
        }

        detail::SvmSolution solution;
        {
            detail::SvmKernelMatrix<Kernel> q(x, kernel, config_.cache_mb << 20);
            detail::OneClassSmo<detail::SvmKernelMatrix<Kernel>> solver(
                q, l, config_.tolerance, config_.shrinking, config_.max_iterations);
            solution = solver.solve(std::move(alpha));
        }

        std::size_t n_sv = 0;
        for (double a : solution.alpha)
            n_sv += a > 0.0 ? 1 : 0;
        std::vector<std::size_t> support(n_sv);
        Eigen::MatrixXd support_vectors(static_cast<Eigen::Index>(n_sv), x.cols());
        Eigen::VectorXd dual_coef(static_cast<Eigen::Index>(n_sv));
        for (std::size_t i = 0, k = 0; i < l; ++i) {
            if (!(solution.alpha[i] > 0.0)) continue;
            const auto row = static_cast<Eigen::Index>(k);
            support[k] = i;
            support_vectors.row(row) = x.row(static_cast<Eigen::Index>(i));
            dual_coef[row] = solution.alpha[i];
            ++k;
        }
        Eigen::VectorXd sv_sq_norms = support_vectors.rowwise().squaredNorm();
        sv_sq_norms_ = std::move(sv_sq_norms);
        support_ = std::move(support);
        support_vectors_ = std::move(support_vectors);
        dual_coef_ = std::move(dual_coef);
        kernel_ = std::move(kernel);
        gamma_ = gamma;
        rho_ = solution.rho;
        objective_ = solution.objective;
        iterations_ = solution.iterations;
        converged_ = solution.converged;
        n_features_ = static_cast<std::size_t>(x.cols());
        return *this;
    }

    /// sum_i a_i K(sv_i, x) - rho for each row: > 0 inside the learned region, < 0 outside.
    /// Same sign convention and scale as scikit-learn's decision_function. O(rows * n_sv * d).
    /// Preconditions: fitted, x.cols() == n_features() (AUGUR_ASSERT); non-finite entries throw
    /// data_error.
    Eigen::VectorXd decision_function(const Eigen::MatrixXd& x) const {
        Eigen::VectorXd out = score_samples(x);
        out.array() -= rho_;
        return out;
    }

    /// sum_i a_i K(sv_i, x) for each row (= decision_function + rho, scikit-learn's
    /// score_samples): higher is more normal.
    Eigen::VectorXd score_samples(const Eigen::MatrixXd& x) const {
        AUGUR_ASSERT(fitted(), "OneClassSvm: call fit (or load) before scoring");
        AUGUR_ASSERT(static_cast<std::size_t>(x.cols()) == n_features_,
                     "OneClassSvm: x must have n_features() columns");
        Eigen::VectorXd out(x.rows());
        if (x.rows() == 0) return out;
        detail::svm_check_matrix(x, "OneClassSvm::decision_function");
        // Blocks of rows: inner products with every support vector by one matrix product.
        constexpr Eigen::Index block = 128;
        const Eigen::Index rows = std::min(block, x.rows());
        Eigen::MatrixXd values(support_vectors_.rows(), rows);
        const Eigen::VectorXd sq_x = x.rowwise().squaredNorm();
        for (Eigen::Index begin = 0; begin < x.rows(); begin += block) {
            const Eigen::Index count = std::min(block, x.rows() - begin);
            auto v = values.leftCols(count);
            v.noalias() = support_vectors_ * x.middleRows(begin, count).transpose();
            for (Eigen::Index k = 0; k < count; ++k)
                kernel_.apply(v.col(k), sv_sq_norms_, sq_x[begin + k]);
            out.segment(begin, count).noalias() = v.transpose() * dual_coef_;
        }
        return out;
    }

    /// The BatchModel score, higher = more anomalous: -decision_function(x) = rho - sum_i a_i
    /// K(sv_i, x) per row (> 0 outside the learned region). Same preconditions and cost.
    Eigen::VectorXd score(const Eigen::MatrixXd& x) const { return -decision_function(x); }

    /// score(x) for one row of n_features() values. Equal to the batch form up to rounding
    /// (the matrix product of a single row takes another Eigen kernel). O(n_sv * d).
    double score(std::span<const double> row) const {
        AUGUR_ASSERT(row.size() == n_features_,
                     "OneClassSvm: the row must have n_features() values");
        const Eigen::MatrixXd x =
            Eigen::Map<const Eigen::RowVectorXd>(row.data(), static_cast<Eigen::Index>(row.size()));
        return score(x)[0];
    }

    /// +1 for inliers (decision > 0), -1 otherwise (0 included), like LIBSVM's and
    /// scikit-learn's predict.
    Eigen::VectorXi predict(const Eigen::MatrixXd& x) const {
        const Eigen::VectorXd d = decision_function(x);
        return (d.array() > 0.0)
            .select(Eigen::VectorXi::Ones(d.size()), Eigen::VectorXi::Constant(d.size(), -1));
    }

    /// The support vectors (rows with a_i > 0, in training order), n_sv x d.
    const Eigen::MatrixXd& support_vectors() const noexcept { return support_vectors_; }
    /// Their coefficients a_i in (0, 1]; they sum to nu * l.
    const Eigen::VectorXd& dual_coef() const noexcept { return dual_coef_; }
    /// Their row indices in the training matrix.
    const std::vector<std::size_t>& support() const noexcept { return support_; }
    /// The offset: decision = score - rho (scikit-learn's offset_ = -intercept_).
    double rho() const noexcept { return rho_; }
    /// The resolved kernel width (config gamma, or "scale" from the training data); resolved
    /// for every kernel like scikit-learn's _gamma, used only by kernels with a width.
    double gamma() const noexcept { return gamma_; }
    /// Solver iterations of the last fit.
    std::size_t iterations() const noexcept { return iterations_; }
    /// False when the last fit stopped at max_iterations.
    bool converged() const noexcept { return converged_; }
    /// Dual objective 1/2 a'Qa at the solution.
    double objective() const noexcept { return objective_; }
    std::size_t n_features() const noexcept { return n_features_; }
    bool fitted() const noexcept { return n_features_ > 0; }
    const OneClassSvmConfig& config() const noexcept { return config_; }
    const Kernel& kernel() const noexcept { return kernel_; }

    /// The archive type tag: "augur.OneClassSvm<" + Kernel::name() + ">".
    static std::string type_tag() {
        return "augur.OneClassSvm<" + std::string(Kernel::name()) + ">";
    }

    /// Writes the model (fitted or not) as an augur archive (augur/core/archive.hpp) tagged
    /// type_tag(): the kernel's parameters, the config, and the fitted state (support vectors,
    /// coefficients, rho). Every number round-trips exactly. O(n_sv * d). Throws augur::error
    /// when the stream fails.
    void save(std::ostream& out) const {
        write_archive(out, type_tag(), format_version, [&](ArchiveWriter& w) {
            w(kernel_.parameters());
            w(config_.nu, config_.gamma, config_.tolerance, std::uint64_t{config_.cache_mb},
              std::uint64_t{config_.max_iterations}, config_.shrinking);
            w(gamma_, rho_, objective_, std::uint64_t{iterations_}, converged_,
              std::uint64_t{n_features_});
            std::vector<std::uint64_t> support(support_.begin(), support_.end());
            w(support, dual_coef_, support_vectors_);
        });
    }

    /// Reads a model written by save(): the kernel (a default-constructed `kernel`, or the one
    /// given) takes the saved parameters, so no kernel argument is needed. Throws data_error
    /// for anything wrong: not an archive, another kernel type, a newer version, a corrupted
    /// or truncated file, an invalid configuration or kernel parameters, or an inconsistent
    /// fitted state (shapes, coefficients outside (0, 1], indices not increasing, non-finite
    /// numbers).
    static OneClassSvm load(std::istream& in, Kernel kernel = {}) {
        return read_archive(in, type_tag(), format_version, [&](ArchiveReader& r) {
            const auto params = r.read<std::vector<double>>();
            r.require(kernel.set_parameters(params), "invalid kernel parameters");
            OneClassSvmConfig config;
            config.nu = r.read<double>();
            config.gamma = r.read<double>();
            config.tolerance = r.read<double>();
            config.cache_mb = static_cast<std::size_t>(r.read<std::uint64_t>());
            config.max_iterations = static_cast<std::size_t>(r.read<std::uint64_t>());
            config.shrinking = r.read<bool>();
            auto model = r.construct<OneClassSvm>(config, std::move(kernel));
            model.gamma_ = r.finite("gamma");
            model.rho_ = r.finite("rho");
            model.objective_ = r.finite("objective");
            model.iterations_ = static_cast<std::size_t>(r.read<std::uint64_t>());
            model.converged_ = r.read<bool>();
            const auto d = r.read<std::uint64_t>();
            r.require(d <= (std::uint64_t{1} << 24), "n_features out of range");
            const auto support = r.read<std::vector<std::uint64_t>>();
            r(model.dual_coef_, model.support_vectors_);
            const auto n_sv = static_cast<Eigen::Index>(support.size());
            if (d == 0) {
                r.require(n_sv == 0 && model.dual_coef_.size() == 0 &&
                              model.support_vectors_.size() == 0,
                          "an unfitted model has support vectors");
                return model;
            }
            r.require(n_sv >= 1, "a fitted model has at least one support vector");
            r.require(model.dual_coef_.size() == n_sv && model.support_vectors_.rows() == n_sv &&
                          model.support_vectors_.cols() == static_cast<Eigen::Index>(d),
                      "support vectors, coefficients and n_features disagree");
            for (std::size_t k = 1; k < support.size(); ++k)
                r.require(support[k] > support[k - 1], "support vector indices must increase");
            for (Eigen::Index k = 0; k < n_sv; ++k)
                r.require(model.dual_coef_[k] > 0.0 && model.dual_coef_[k] <= 1.0,
                          "coefficient outside (0, 1]");
            r.require(model.support_vectors_.allFinite(), "a support vector is not finite");
            model.support_.assign(support.begin(), support.end());
            model.sv_sq_norms_ = model.support_vectors_.rowwise().squaredNorm();
            model.n_features_ = static_cast<std::size_t>(d);
            return model;
        });
    }

private:
    static constexpr std::uint32_t format_version = 1;

    OneClassSvmConfig config_;
    Kernel kernel_;
    double gamma_ = 0.0;
    double rho_ = 0.0;
    double objective_ = 0.0;
    std::size_t iterations_ = 0;
    bool converged_ = true;
    std::size_t n_features_ = 0;
    std::vector<std::size_t> support_;
    Eigen::MatrixXd support_vectors_;
    Eigen::VectorXd sv_sq_norms_;
    Eigen::VectorXd dual_coef_;
};

/// The linear-kernel variant.
using LinearOneClassSvm = OneClassSvm<LinearKernel>;

static_assert(BatchModel<OneClassSvm<>>);
static_assert(BatchModel<LinearOneClassSvm>);

} // namespace v0
} // namespace augur
