#pragma once

// Isolation Forest (Liu, Ting & Zhou 2008) and Extended Isolation Forest (Hariri, Kind &
// Brunner 2018): unsupervised outlier scores for rows of a feature matrix.
//
// Each tree isolates a random subsample of max_samples rows by random splits until every
// sample is alone, identical to the rest of its node, or the height limit ceil(log2(psi)) is
// reached. Anomalies are isolated in fewer splits: the score of a row is
// s(x) = 2^(-E[h(x)] / c(psi)) in (0, 1], where h(x) is the path length in one tree plus
// c(size) at the leaf, and c(n) = 2 H(n - 1) - 2 (n - 1) / n is the average path length of an
// unsuccessful binary-search-tree search. Scores near 1 are anomalies; near 0.5 or below,
// normal. The conventions (score_samples = -s, offset_, decision_function, predict) and the
// defaults are scikit-learn's.
//
// Complexity: fit O(trees * psi * log psi) (+ O(n * d) input checks, + one scoring pass when
// contamination > 0); score O(n * trees * log psi) (times d for Extended), no allocation per
// row. Memory O(trees * psi). Trees are built and rows scored on `threads` threads
// (augur::detail::parallel_for); the result is the same for any thread count (each tree has
// its own Rng forked by tree index).
// A BatchModel (augur/core/batch_model.hpp): score is higher for more anomalous rows;
// save/load go through augur/core/archive.hpp, tagged "augur.IsolationForest<SPLIT NAME>".
// Thread-safety: not synchronized; const members (score, save, ...) may be called
// concurrently.

#include "augur/anomaly/detail/isolation_tree.hpp"
#include "augur/core/archive.hpp"
#include "augur/core/batch_model.hpp"
#include "augur/core/error.hpp"
#include "augur/core/random.hpp"
#include "augur/detail/parallel.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <limits>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {

/// c(n), the average path length of an unsuccessful search in a binary search tree of n keys:
/// 2 H(n - 1) - 2 (n - 1) / n with H(i) = ln(i) + Euler's constant, c(0) = c(1) = 0, c(2) = 1.
/// The normalizer of isolation-forest path lengths. O(1).
inline double average_path_length(std::size_t n) noexcept {
    return detail::average_path_length(n);
}

/// The contract of an IsolationForest split policy: a copyable value type with
///  - `static std::string_view name()`: the name written into saved models;
///  - `std::optional<IsolationSplit> choose(const IsolationNodeView& node, Rng& rng,
///    std::vector<std::uint32_t>& scratch, std::vector<double>& coefficients) const`:
///    a random split of the node's samples (nullopt when they cannot be split, i.e. all
///    identical), O(node size * d); it may append data to the tree's `coefficients`
///    (which start with d zeros) and refer to it by the split's index;
///  - `static double project(std::uint32_t index, const double* coefficients,
///    const double* row, std::size_t features) noexcept`: the value compared with the
///    threshold (<= goes left); it must be finite for finite rows and safe for index 0;
///  - `static bool valid_index(std::uint32_t index, std::size_t features,
///    std::size_t coefficient_count)`: whether a loaded split index is in range.
/// Optional: `void validate(std::size_t features) const` (throws invalid_argument), and
/// configuration saved with the model: `void save_fields(ArchiveWriter&) const` with
/// `void load_fields(ArchiveReader&)`, or a symmetric `template <class A> void archive(A&)`
/// (augur/core/archive.hpp). A stateless policy needs neither.
template <class S>
concept IsolationSplitPolicy = std::copyable<S> &&
    requires(const S& policy, const IsolationNodeView& node, Rng& rng,
             std::vector<std::uint32_t>& scratch, std::vector<double>& coefficients,
             std::uint32_t index, const double* values, std::size_t features) {
    { S::name() } -> std::convertible_to<std::string_view>;
    {
        policy.choose(node, rng, scratch, coefficients)
        } -> std::same_as<std::optional<IsolationSplit>>;
    { S::project(index, values, values, features) }
    noexcept->std::same_as<double>;
    { S::valid_index(index, features, features) } -> std::same_as<bool>;
};

/// Split policy of the original Isolation Forest: a random feature (among those not constant
/// in the node, drawn without replacement as scikit-learn does), cut uniformly between its
/// minimum and maximum in the node. choose O(node size) per feature tried; project O(1).
/// Stateless; thread-safe.
struct AxisParallel {
    static constexpr std::string_view name() noexcept { return "axis_parallel"; }

    std::optional<IsolationSplit> choose(const IsolationNodeView& node, Rng& rng,
                                         std::vector<std::uint32_t>& scratch,
                                         std::vector<double>& /*coefficients*/) const {
        const std::size_t d = node.features;
        scratch.resize(d);
        for (std::size_t f = 0; f < d; ++f)
            scratch[f] = static_cast<std::uint32_t>(f);
        for (std::size_t k = 0; k < d; ++k) {
            std::swap(scratch[k], scratch[k + uniform_index(rng, d - k)]);
            const std::uint32_t feature = scratch[k];
            double lo = std::numeric_limits<double>::infinity();
            double hi = -lo;
            for (const std::uint32_t row : node.rows) {
                const double v = node.value(row, feature);
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
            if (!(hi > lo)) continue;
            double threshold = uniform(rng, lo, hi);
            if (!(threshold < hi)) threshold = lo; // rounding (or overflow of hi - lo)
            return IsolationSplit{feature, threshold};
        }
        return std::nullopt;
    }

    static double project(std::uint32_t index, const double* /*coefficients*/, const double* row,
                          std::size_t /*features*/) noexcept {
        return row[index];
    }

    static bool valid_index(std::uint32_t index, std::size_t features,
                            std::size_t /*coefficient_count*/) noexcept {
        return index < features;
    }
};

/// Split policy of the Extended Isolation Forest: a random hyperplane with normal vector drawn
/// from N(0, I) and intercept point uniform in the node's bounding box; rows with
/// (x - p) . n <= 0 go left. `extension_level` (0 .. d - 1) keeps extension_level + 1 nonzero
/// coordinates of the normal (0 = random axis-parallel directions with uniform cuts, full =
/// d - 1, the default). Removes the axis-aligned artefacts of the original's score maps.
/// choose O(node size * d); project O(d). Thread-safe (const).
/// @code
///   augur::IsolationForest<augur::Extended> forest{{.seed = 7}, augur::Extended{1}};
/// @endcode
struct Extended {
    static constexpr std::size_t full = std::numeric_limits<std::size_t>::max();
    std::size_t extension_level = full;

    static constexpr std::string_view name() noexcept { return "extended"; }

    /// Throws invalid_argument unless extension_level is full or < features.
    void validate(std::size_t features) const {
        if (extension_level != full && extension_level >= features)
            throw_invalid_config("Extended", "extension_level", extension_level,
                                 "must be < the number of features (or Extended::full)");
    }

    std::optional<IsolationSplit> choose(const IsolationNodeView& node, Rng& rng,
                                         std::vector<std::uint32_t>& scratch,
                                         std::vector<double>& coefficients) const {
        const std::size_t d = node.features;
        const std::size_t offset = coefficients.size();
        coefficients.resize(offset + d);
        double* normal_vector = coefficients.data() + offset;
        for (std::size_t f = 0; f < d; ++f)
            normal_vector[f] = normal(rng);
        const std::size_t level = std::min(extension_level, d - 1);
        const std::size_t zeros = d - 1 - level;
        if (zeros > 0) {
            scratch.resize(d);
            for (std::size_t f = 0; f < d; ++f)
                scratch[f] = static_cast<std::uint32_t>(f);
            for (std::size_t k = 0; k < zeros; ++k) {
                std::swap(scratch[k], scratch[k + uniform_index(rng, d - k)]);
                normal_vector[scratch[k]] = 0.0;
            }
        }
        double threshold = 0.0;
        bool degenerate = true;
        for (std::size_t f = 0; f < d; ++f) {
            double lo = std::numeric_limits<double>::infinity();
            double hi = -lo;
            for (const std::uint32_t row : node.rows) {
                const double v = node.value(row, f);
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
            if (hi > lo) degenerate = false;
            const double point = lo + (hi - lo) * uniform01(rng);
            threshold += normal_vector[f] * point;
        }
        if (degenerate || !std::isfinite(threshold)) {
            coefficients.resize(offset);
            return std::nullopt;
        }
        return IsolationSplit{static_cast<std::uint32_t>(offset), threshold};
    }

    static double project(std::uint32_t index, const double* coefficients, const double* row,
                          std::size_t features) noexcept {
        const double* normal_vector = coefficients + index;
        double sum = 0.0;
        for (std::size_t f = 0; f < features; ++f)
            sum += normal_vector[f] * row[f];
        return sum;
    }

    static bool valid_index(std::uint32_t index, std::size_t features,
                            std::size_t coefficient_count) noexcept {
        return std::size_t{index} + features <= coefficient_count;
    }

    /// Saved with the model (augur/core/archive.hpp).
    void save_fields(ArchiveWriter& w) const { w(static_cast<std::uint64_t>(extension_level)); }
    /// Loads extension_level: Extended::full or below 2^32, else data_error.
    void load_fields(ArchiveReader& r) {
        const auto level = r.read<std::uint64_t>();
        r.require(level == std::uint64_t{full} || level < (std::uint64_t{1} << 32),
                  "bad extension_level " + std::to_string(level));
        extension_level = static_cast<std::size_t>(level);
    }
};

static_assert(IsolationSplitPolicy<AxisParallel>);
static_assert(IsolationSplitPolicy<Extended>);

/// Configuration of IsolationForest (scikit-learn's defaults).
struct IsolationForestConfig {
    std::size_t trees = 100;       ///< number of trees, >= 1
    std::size_t max_samples = 256; ///< subsample size psi, >= 2; clipped to the rows at fit
    /// Expected share of outliers in [0, 0.5]; 0 = "auto": offset = -0.5. Otherwise offset is
    /// that percentile of the training score_samples, so predict flags that share.
    double contamination = 0.0;
    std::uint64_t seed = 0;  ///< same seed, same data -> same model
    std::size_t threads = 1; ///< worker threads for fit and score; 0 = hardware concurrency

    /// Throws invalid_argument naming the field: trees in [1, 2^24], max_samples in
    /// [2, 2^30], contamination in [0, 0.5], threads <= 1024.
    void validate() const {
        constexpr const char* where = "IsolationForestConfig";
        if (trees < 1 || trees > (std::size_t{1} << 24))
            throw_invalid_config(where, "trees", trees, "must be in [1, 2^24]");
        if (max_samples < 2 || max_samples > (std::size_t{1} << 30))
            throw_invalid_config(where, "max_samples", max_samples, "must be in [2, 2^30]");
        if (!(contamination >= 0.0 && contamination <= 0.5))
            throw_invalid_config(where, "contamination", contamination,
                                 "must be in [0, 0.5] (0 = auto)");
        if (threads > 1024) throw_invalid_config(where, "threads", threads, "must be <= 1024");
    }
};

/// An ensemble of isolation trees scoring how easily each row is isolated.
/// @tparam Split an IsolationSplitPolicy: AxisParallel (default) or Extended.
/// Complexity: fit O(trees * psi * log psi), score O(n * trees * log psi).
/// Thread-safety: not synchronized; const members may be called concurrently.
/// @code
///   augur::IsolationForest<> forest{{.trees = 100, .seed = 1}};
///   forest.fit(X);                                  // rows = samples
///   Eigen::VectorXd s = forest.score(X);            // in (0, 1], higher = more anomalous
///   Eigen::VectorXi label = forest.predict(X);      // -1 outlier, +1 inlier
/// @endcode
template <class Split = AxisParallel>
class IsolationForest {
    static_assert(
        requires { Split::name(); },
        "IsolationForest: Split must provide static name() -> std::string_view");
    static_assert(
        requires(const Split& s, const IsolationNodeView& v, Rng& r, std::vector<std::uint32_t>& u,
                 std::vector<double>& c) { s.choose(v, r, u, c); },
        "IsolationForest: Split must provide choose(const IsolationNodeView&, Rng&, "
        "std::vector<std::uint32_t>&, std::vector<double>&) const -> "
        "std::optional<IsolationSplit>");
    static_assert(
        requires(std::uint32_t i, const double* p, std::size_t d) {
            { Split::project(i, p, p, d) }
            noexcept;
        },
        "IsolationForest: Split must provide static project(std::uint32_t, const double*, const "
        "double*, std::size_t) noexcept -> double");
    static_assert(
        requires(std::uint32_t i, std::size_t d) { Split::valid_index(i, d, d); },
        "IsolationForest: Split must provide static valid_index(std::uint32_t, "
        "std::size_t, std::size_t) -> bool");
    static_assert(IsolationSplitPolicy<Split>,
                  "IsolationForest: Split does not satisfy IsolationSplitPolicy");

public:
    using split_type = Split;

    /// Current version of the save() format.
    static constexpr std::uint32_t format_version = 1;

    /// Validates `config` (invalid_argument naming the field).
    explicit IsolationForest(IsolationForestConfig config = {}, Split split = {})
        : config_(config), split_(std::move(split)) {
        config_.validate();
    }

    /// Fits the forest on the rows of X (samples x features). Throws data_error for fewer
    /// than 2 rows, no columns, or a non-finite value (naming its row and column), and
    /// invalid_argument when the split policy rejects the column count.
    IsolationForest& fit(const Eigen::MatrixXd& X) {
        check_input(X, "fit");
        if (X.rows() < 2)
            throw data_error("IsolationForest::fit: need at least 2 rows, got " +
                             std::to_string(X.rows()));
        if (X.cols() < 1) throw data_error("IsolationForest::fit: X has no columns");
        const auto n = static_cast<std::size_t>(X.rows());
        const auto d = static_cast<std::size_t>(X.cols());
        if constexpr (requires { split_.validate(d); }) split_.validate(d);

        const std::size_t psi = std::min(config_.max_samples, n);
        const std::size_t depth_limit = detail::ceil_log2(psi);
        std::vector<detail::IsolationTree> trees(config_.trees);
        const Rng root{config_.seed};
        // One task per tree, each with its own Rng forked by tree index: the forest does not
        // depend on the thread count.
        detail::parallel_for(config_.trees, config_.threads, [&](std::size_t t) {
            detail::IsolationTreeScratch scratch;
            scratch.data.resize(psi * d);
            Rng rng = root.fork(t);
            detail::sample_without_replacement(rng, n, psi, scratch.chosen, scratch.table);
            for (std::size_t j = 0; j < psi; ++j)
                for (std::size_t f = 0; f < d; ++f)
                    scratch.data[j * d + f] = X(static_cast<Eigen::Index>(scratch.chosen[j]),
                                                static_cast<Eigen::Index>(f));
            trees[t] = detail::grow_isolation_tree(split_, psi, d, depth_limit, rng, scratch);
        });

        trees_ = std::move(trees);
        features_ = d;
        sample_size_ = psi;
        offset_ = -0.5;
        if (config_.contamination > 0.0) {
            const Eigen::VectorXd s = score(X);
            std::vector<double> samples(static_cast<std::size_t>(s.size()));
            for (std::size_t i = 0; i < samples.size(); ++i)
                samples[i] = -s(static_cast<Eigen::Index>(i));
            offset_ = detail::percentile_linear(samples, 100.0 * config_.contamination);
        }
        return *this;
    }

    /// Anomaly score s(x) = 2^(-E[h(x)] / c(psi)) in (0, 1] per row; higher = more anomalous.
    /// Precondition (AUGUR_ASSERT): fitted, X.cols() == n_features(). Non-finite values throw
    /// data_error.
    Eigen::VectorXd score(const Eigen::MatrixXd& X) const {
        AUGUR_ASSERT(fitted(), "IsolationForest::score: the forest is not fitted");
        AUGUR_ASSERT(static_cast<std::size_t>(X.cols()) == features_,
                     "IsolationForest::score: column count differs from the fitted data");
        check_input(X, "score");
        const auto n = static_cast<std::size_t>(X.rows());
        Eigen::VectorXd out(X.rows());
        if (n == 0) return out;
        // Blocks of rows scored independently (each row's score depends only on the row).
        constexpr std::size_t rows_per_task = 2048;
        detail::parallel_for((n + rows_per_task - 1) / rows_per_task, config_.threads,
                             [&](std::size_t task) {
                                 const std::size_t begin = task * rows_per_task;
                                 const std::size_t end = std::min(n, begin + rows_per_task);
                                 score_rows(X, begin, end, out.data());
                             });
        return out;
    }

    /// score(X) for one row of n_features() values (bit-identical to the batch form); no
    /// allocation, O(trees * log psi). Same preconditions; a non-finite value is data_error.
    double score(std::span<const double> row) const {
        AUGUR_ASSERT(fitted(), "IsolationForest::score: the forest is not fitted");
        AUGUR_ASSERT(row.size() == features_,
                     "IsolationForest::score: row length differs from the fitted data");
        for (std::size_t f = 0; f < row.size(); ++f)
            if (!std::isfinite(row[f]))
                throw data_error(std::string("IsolationForest::score: ") +
                                 (std::isnan(row[f]) ? "NaN" : "infinite value") + " at column " +
                                 std::to_string(f + 1));
        double sum = 0.0;
        for (const auto& tree : trees_)
            descend<1>(tree, row.data(), features_, &sum);
        const double normalizer =
            static_cast<double>(trees_.size()) * detail::average_path_length(sample_size_);
        return std::exp2(-sum / normalizer);
    }

    /// scikit-learn's score_samples: -score(X) (lower = more anomalous).
    Eigen::VectorXd score_samples(const Eigen::MatrixXd& X) const { return -score(X); }

    /// score_samples(X) - offset(): negative for outliers.
    Eigen::VectorXd decision_function(const Eigen::MatrixXd& X) const {
        return (score_samples(X).array() - offset_).matrix();
    }

    /// -1 for outliers (decision_function < 0), +1 for inliers.
    Eigen::VectorXi predict(const Eigen::MatrixXd& X) const {
        const Eigen::VectorXd decision = decision_function(X);
        Eigen::VectorXi labels(decision.size());
        for (Eigen::Index i = 0; i < decision.size(); ++i)
            labels(i) = decision(i) < 0.0 ? -1 : 1;
        return labels;
    }

    /// Threshold on score_samples: -0.5 for contamination "auto", else the contamination
    /// percentile of the training score_samples.
    double offset() const noexcept { return offset_; }
    bool fitted() const noexcept { return !trees_.empty(); }
    /// Number of columns seen at fit (0 before): the width score() expects.
    std::size_t n_features() const noexcept { return features_; }
    /// The subsample size used: min(max_samples, rows at fit) (0 before fit).
    std::size_t sample_size() const noexcept { return sample_size_; }
    /// Total nodes over all trees (0 before fit).
    std::size_t node_count() const noexcept {
        std::size_t total = 0;
        for (const auto& tree : trees_)
            total += tree.nodes.size();
        return total;
    }
    const IsolationForestConfig& config() const noexcept { return config_; }
    const Split& split() const noexcept { return split_; }
    Split& split() noexcept { return split_; }

    /// The archive type tag: "augur.IsolationForest<" + Split::name() + ">".
    static std::string type_tag() {
        return "augur.IsolationForest<" + std::string(Split::name()) + ">";
    }

    /// Writes the model (fitted or not) as an augur archive (augur/core/archive.hpp) tagged
    /// type_tag(), version format_version: the split policy's configuration, the config, the
    /// fitted state and the trees. O(size of the model). Throws augur::error when the stream
    /// fails.
    void save(std::ostream& out) const {
        write_archive(out, type_tag(), format_version, [&](ArchiveWriter& w) {
            if constexpr (FieldArchivable<Split>) w(split_);
            w(std::uint64_t{config_.trees}, std::uint64_t{config_.max_samples},
              config_.contamination, config_.seed, std::uint64_t{config_.threads});
            w(std::uint64_t{features_}, std::uint64_t{sample_size_}, offset_,
              std::uint64_t{trees_.size()});
            for (const auto& tree : trees_) {
                w.write_size(tree.nodes.size());
                for (std::size_t i = 0; i < tree.nodes.size(); ++i)
                    w(tree.nodes[i].threshold, tree.nodes[i].index, tree.nodes[i].left,
                      tree.size[i]);
                w(tree.coefficients);
            }
        });
    }

    /// Reads a model written by save() with the same Split policy. Throws data_error for
    /// anything wrong: not an archive, another type or split policy, a newer version, a
    /// corrupted or truncated file, an invalid configuration, or trees that are not
    /// well-formed (children in range and reached once, depth within the height limit, leaf
    /// sizes adding up to the subsample size, split indices valid for the policy).
    static IsolationForest load(std::istream& in) {
        return read_archive(in, type_tag(), format_version, [](ArchiveReader& r) {
            Split split{};
            if constexpr (FieldArchivable<Split>) r(split);
            IsolationForestConfig config;
            config.trees = static_cast<std::size_t>(r.read<std::uint64_t>());
            config.max_samples = static_cast<std::size_t>(r.read<std::uint64_t>());
            config.contamination = r.read<double>();
            config.seed = r.read<std::uint64_t>();
            config.threads = static_cast<std::size_t>(r.read<std::uint64_t>());
            auto forest = r.construct<IsolationForest>(config, std::move(split));
            const auto features = r.read<std::uint64_t>();
            const auto sample_size = r.read<std::uint64_t>();
            const double offset = r.read<double>();
            const auto tree_count = r.read<std::uint64_t>();
            if (tree_count == 0) {
                r.require(features == 0 && sample_size == 0, "inconsistent unfitted model");
                return forest;
            }
            r.require(tree_count == config.trees,
                      "tree count " + std::to_string(tree_count) + " differs from config");
            r.require(features >= 1 && features <= (std::uint64_t{1} << 24),
                      "bad feature count " + std::to_string(features));
            r.require(sample_size >= 2 && sample_size <= config.max_samples,
                      "bad sample size " + std::to_string(sample_size));
            r.require(std::isfinite(offset), "offset is not finite");
            const auto d = static_cast<std::size_t>(features);
            if constexpr (requires { forest.split_.validate(d); }) {
                try {
                    forest.split_.validate(d);
                } catch (const invalid_argument& e) {
                    r.fail(std::string("split policy rejects the feature count: ") + e.what());
                }
            }
            const std::size_t depth_limit =
                detail::ceil_log2(static_cast<std::size_t>(sample_size));
            const std::uint64_t max_nodes = (std::uint64_t{2} << depth_limit) - 1;
            forest.trees_.resize(static_cast<std::size_t>(tree_count));
            for (auto& tree : forest.trees_) {
                // threshold (8) + index (4) + left (4) + size (4) bytes per node.
                const std::size_t count = r.read_size(20);
                r.require(count >= 1 && count <= max_nodes,
                          "bad node count " + std::to_string(count));
                tree.nodes.resize(count);
                tree.path_length.resize(count);
                tree.size.resize(count);
                for (std::size_t i = 0; i < count; ++i)
                    r(tree.nodes[i].threshold, tree.nodes[i].index, tree.nodes[i].left,
                      tree.size[i]);
                r(tree.coefficients);
                const std::size_t coefficient_count = tree.coefficients.size();
                r.require(coefficient_count >= d && coefficient_count <= (count + 1) * d,
                          "bad coefficient count " + std::to_string(coefficient_count));
                for (const double c : tree.coefficients)
                    r.require(std::isfinite(c), "coefficient is not finite");
                for (std::size_t f = 0; f < d; ++f)
                    r.require(tree.coefficients[f] == 0.0, "leaf coefficients are not zero");
                check_tree(tree, d, static_cast<std::size_t>(sample_size), depth_limit, r);
            }
            forest.features_ = d;
            forest.sample_size_ = static_cast<std::size_t>(sample_size);
            forest.offset_ = offset;
            return forest;
        });
    }

private:
    // Rows scored together: the block is transposed to row-major so each row is contiguous,
    // and kLanes rows descend each tree together (independent loads overlap).
    static constexpr std::size_t kBlock = 256;
    static constexpr std::size_t kLanes = 16;

    // Throws data_error naming the first non-finite entry (row R, column C, 1-based, as
    // OneClassSvm does).
    static void check_input(const Eigen::MatrixXd& X, const char* what) {
        if (X.allFinite()) return;
        for (Eigen::Index c = 0; c < X.cols(); ++c) {
            const double* column = X.col(c).data();
            for (Eigen::Index i = 0; i < X.rows(); ++i)
                if (!std::isfinite(column[i]))
                    throw data_error(std::string("IsolationForest::") + what + ": " +
                                     (std::isnan(column[i]) ? "NaN" : "infinite value") +
                                     " at row " + std::to_string(i + 1) + ", column " +
                                     std::to_string(c + 1));
        }
    }

    // Checks the structure read by load() and recomputes the leaves' path lengths: children
    // after their parent, each node reached once, depth within the limit, leaf sizes adding
    // up to the subsample size.
    static void check_tree(detail::IsolationTree& tree, std::size_t d, std::size_t sample_size,
                           std::size_t depth_limit, const ArchiveReader& r) {
        const std::size_t count = tree.nodes.size();
        std::vector<std::uint8_t> parents(count, 0);
        std::vector<std::uint32_t> depth(count, 0);
        tree.depth = 0;
        std::size_t samples = 0;
        for (std::size_t i = 0; i < count; ++i) {
            const auto& node = tree.nodes[i];
            if (i > 0 && parents[i] != 1) r.fail("node " + std::to_string(i) + " is unreachable");
            if (node.left == i) {
                if (node.index != 0 || node.threshold != std::numeric_limits<double>::infinity() ||
                    tree.size[i] > sample_size)
                    r.fail("bad leaf " + std::to_string(i));
                samples += tree.size[i];
                tree.path_length[i] =
                    static_cast<double>(depth[i]) + detail::average_path_length(tree.size[i]);
                tree.depth = std::max<std::size_t>(tree.depth, depth[i]);
                continue;
            }
            if (node.left <= i || std::size_t{node.left} + 1 >= count ||
                !std::isfinite(node.threshold) || tree.size[i] != 0 ||
                !Split::valid_index(node.index, d, tree.coefficients.size()))
                r.fail("bad split node " + std::to_string(i));
            for (std::uint32_t child : {node.left, node.left + 1}) {
                if (parents[child]++ != 0) r.fail("node " + std::to_string(child) + " is shared");
                depth[child] = depth[i] + 1;
                if (depth[child] > depth_limit) r.fail("tree deeper than its height limit");
            }
        }
        if (samples != sample_size) r.fail("leaf sizes do not add up to the sample size");
    }

    template <std::size_t Lanes>
    static void descend(const detail::IsolationTree& tree, const double* rows, std::size_t d,
                        double* sums) noexcept {
        const detail::IsolationNode* nodes = tree.nodes.data();
        const double* coefficients = tree.coefficients.data();
        std::uint32_t at[Lanes] = {};
        for (std::size_t step = 0; step < tree.depth; ++step)
            for (std::size_t l = 0; l < Lanes; ++l) {
                const detail::IsolationNode& node = nodes[at[l]];
                at[l] = node.left + static_cast<std::uint32_t>(
                                        Split::project(node.index, coefficients, rows + l * d, d) >
                                        node.threshold);
            }
        for (std::size_t l = 0; l < Lanes; ++l)
            sums[l] += tree.path_length[at[l]];
    }

    void score_rows(const Eigen::MatrixXd& X, std::size_t begin, std::size_t end,
                    double* out) const {
        const std::size_t d = features_;
        std::vector<double> block(kBlock * d);
        double sums[kBlock];
        const double normalizer =
            static_cast<double>(trees_.size()) * detail::average_path_length(sample_size_);
        for (std::size_t first = begin; first < end; first += kBlock) {
            const std::size_t m = std::min(kBlock, end - first);
            for (std::size_t f = 0; f < d; ++f) {
                const double* column = X.col(static_cast<Eigen::Index>(f)).data() + first;
                for (std::size_t r = 0; r < m; ++r)
                    block[r * d + f] = column[r];
            }
            std::fill(sums, sums + m, 0.0);
            for (const auto& tree : trees_) {
                std::size_t r = 0;
                for (; r + kLanes <= m; r += kLanes)
                    descend<kLanes>(tree, block.data() + r * d, d, sums + r);
                for (; r < m; ++r)
                    descend<1>(tree, block.data() + r * d, d, sums + r);
            }
            for (std::size_t r = 0; r < m; ++r)
                out[first + r] = std::exp2(-sums[r] / normalizer);
        }
    }

    IsolationForestConfig config_;
    Split split_;
    std::vector<detail::IsolationTree> trees_;
    std::size_t features_ = 0;
    std::size_t sample_size_ = 0;
    double offset_ = -0.5;
};

static_assert(BatchModel<IsolationForest<>>);
static_assert(BatchModel<IsolationForest<Extended>>);

} // namespace v0
} // namespace augur
