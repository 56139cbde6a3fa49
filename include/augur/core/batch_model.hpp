#pragma once

// BatchModel: the contract every model fitted on a feature matrix follows (isolation forest,
// one-class SVM; clustering and forecasting models as they adopt it), so a caller (the
// `augur outliers` tool, a pipeline, an ensemble) fits, scores, saves and loads any of them
// through one code path.
//
// A BatchModel M provides:
//  - `m.fit(X)` with `const Eigen::MatrixXd& X` (rows = observations, columns = features):
//    learns from X, replacing any earlier fit. Bad data (too few rows, a NaN or infinite
//    value) throws augur::data_error naming what is wrong; it never yields a silently wrong
//    model. Cost: the model's own (documented in its header); typically superlinear in rows.
//  - `m.fitted()`: whether fit (or load of a fitted model) has happened.
//  - `m.n_features()`: the number of columns the model was fitted on (0 before fit): the
//    width score() expects.
//  - `m.score(X)` -> Eigen::VectorXd, one value per row of X, and `m.score(row)` -> double for
//    one row given as `std::span<const double>` of n_features() values. HIGHER MEANS MORE
//    ANOMALOUS, for every model (an outlier score, a distance to the nearest centre, a
//    forecast error...), so scores rank rows the same way whatever the model; a model with
//    another convention (e.g. scikit-learn's decision_function, positive for inliers) keeps
//    it under that other name. Preconditions (AUGUR_ASSERT): fitted(), X.cols() ==
//    n_features(); a non-finite value is data_error. Typically O(rows x model size); the
//    one-row form allocates nothing where the model allows it.
//  - `m.save(out)` / `M::load(in)`: the fitted (or unfitted) state through one archive
//    (augur/core/archive.hpp); a loaded model scores bit-identically to the saved one, and a
//    corrupted or foreign file throws augur::data_error.
// Thread-safety: fit and load mutate / create; score and save are const and may be called
// concurrently on one model (no internal synchronization, like a standard container).
// Determinism: same data, same configuration (seed) and build -> the same scores, whatever
// the thread count.
//
// @code
//   template <augur::BatchModel M>
//   Eigen::VectorXd fit_and_score(M& model, const Eigen::MatrixXd& X) {
//       model.fit(X);
//       return model.score(X); // higher = more anomalous, whatever M is
//   }
//   static_assert(augur::BatchModel<augur::IsolationForest<>>);
// @endcode

#include <Eigen/Core>

#include <concepts>
#include <cstddef>
#include <istream>
#include <ostream>
#include <span>

namespace augur {
inline namespace v0 {

/// See the file comment for the contract (meaning of fit and score, complexity,
/// thread-safety).
template <class M>
concept BatchModel = std::movable<M> &&
    requires(M& m, const M& cm, const Eigen::MatrixXd& X, std::span<const double> row,
             std::ostream& out, std::istream& in) {
    m.fit(X);
    { cm.fitted() } -> std::convertible_to<bool>;
    { cm.n_features() } -> std::convertible_to<std::size_t>;
    { cm.score(X) } -> std::same_as<Eigen::VectorXd>;
    { cm.score(row) } -> std::convertible_to<double>;
    cm.save(out);
    { M::load(in) } -> std::same_as<M>;
};

} // namespace v0
} // namespace augur
