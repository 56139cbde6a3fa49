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
// row. Memory O(trees * psi). Trees are built and rows scored on `threads` std::threads; the
// result is the same for any thread count (each tree has its own Rng forked by tree index).
// Thread-safety: not synchronized; const members (score, save, ...) may be called
// concurrently.

#include "augur/anomaly/detail/isolation_tree.hpp"
#include "augur/core/error.hpp"
#include "augur/core/random.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <istream>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
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
/// Optional: `void validate(std::size_t features) const` (throws invalid_argument),
/// `void save(std::ostream&) const` and `static S load(std::istream&)` for configuration.
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

    void save(std::ostream& out) const { detail::BinaryWriter(out).u64(extension_level); }

    static Extended load(std::istream& in) {
        const std::uint64_t level = detail::BinaryReader(in, "IsolationForest::load").u64();
        if (level != std::uint64_t{full} && level > (std::uint64_t{1} << 32))
            throw data_error("IsolationForest::load: bad extension_level " + std::to_string(level));
        return Extended{static_cast<std::size_t>(level)};
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
        const std::size_t workers = worker_count(config_.trees);
        run_workers(workers, [&](std::size_t worker) {
            detail::IsolationTreeScratch scratch;
            scratch.data.resize(psi * d);
            for (std::size_t t = worker; t < trees.size(); t += workers) {
                Rng rng = root.fork(t);
                detail::sample_without_replacement(rng, n, psi, scratch.chosen, scratch.table);
                for (std::size_t j = 0; j < psi; ++j)
                    for (std::size_t f = 0; f < d; ++f)
                        scratch.data[j * d + f] = X(static_cast<Eigen::Index>(scratch.chosen[j]),
                                                    static_cast<Eigen::Index>(f));
                trees[t] = detail::grow_isolation_tree(split_, psi, d, depth_limit, rng, scratch);
            }
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
    /// Precondition (AUGUR_ASSERT): fitted, X.cols() == features(). Non-finite values throw
    /// data_error.
    Eigen::VectorXd score(const Eigen::MatrixXd& X) const {
        AUGUR_ASSERT(fitted(), "IsolationForest::score: the forest is not fitted");
        AUGUR_ASSERT(static_cast<std::size_t>(X.cols()) == features_,
                     "IsolationForest::score: column count differs from the fitted data");
        check_input(X, "score");
        const auto n = static_cast<std::size_t>(X.rows());
        Eigen::VectorXd out(X.rows());
        if (n == 0) return out;
        constexpr std::size_t rows_per_worker = 2048;
        const std::size_t workers = worker_count((n + rows_per_worker - 1) / rows_per_worker);
        const std::size_t chunk = (n + workers - 1) / workers;
        run_workers(workers, [&](std::size_t worker) {
            const std::size_t begin = std::min(n, worker * chunk);
            const std::size_t end = std::min(n, begin + chunk);
            score_rows(X, begin, end, out.data());
        });
        return out;
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
    /// Number of columns seen at fit (0 before).
    std::size_t features() const noexcept { return features_; }
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

    /// Writes the model (fitted or not) in augur's binary format: magic "AUGURIF", format
    /// version, split policy name and configuration, config, fitted state and trees; numbers
    /// little-endian. Throws augur::error when the stream fails.
    void save(std::ostream& out) const {
        detail::BinaryWriter w(out);
        w.bytes(std::string_view("AUGURIF\0", 8));
        w.u32(format_version);
        w.string(Split::name());
        if constexpr (requires { split_.save(out); }) split_.save(out);
        w.u64(config_.trees);
        w.u64(config_.max_samples);
        w.f64(config_.contamination);
        w.u64(config_.seed);
        w.u64(config_.threads);
        w.u64(features_);
        w.u64(sample_size_);
        w.f64(offset_);
        w.u64(trees_.size());
        for (const auto& tree : trees_) {
            w.u64(tree.nodes.size());
            for (std::size_t i = 0; i < tree.nodes.size(); ++i) {
                w.f64(tree.nodes[i].threshold);
                w.u32(tree.nodes[i].index);
                w.u32(tree.nodes[i].left);
                w.u32(tree.size[i]);
            }
            w.u64(tree.coefficients.size());
            for (const double c : tree.coefficients)
                w.f64(c);
        }
        w.bytes(std::string_view("END\0", 4));
        if (!out) throw error("IsolationForest::save: write failed");
    }

    /// Reads a model written by save(). Throws data_error for a wrong magic, format version or
    /// split policy, an invalid configuration or tree, or truncated input.
    static IsolationForest load(std::istream& in) {
        detail::BinaryReader r(in, "IsolationForest::load");
        if (r.bytes(8) != std::string_view("AUGURIF\0", 8))
            r.fail("not an augur isolation forest (bad magic)");
        const std::uint32_t version = r.u32();
        if (version != format_version)
            r.fail("unsupported format version " + std::to_string(version) + " (this build reads " +
                   std::to_string(format_version) + ")");
        const std::string name = r.string(256);
        if (name != Split::name())
            r.fail("the model uses split policy '" + name + "', not '" +
                   std::string(Split::name()) + "'");
        Split split{};
        if constexpr (requires { Split::load(in); }) split = Split::load(in);

        IsolationForestConfig config;
        config.trees = static_cast<std::size_t>(r.u64());
        config.max_samples = static_cast<std::size_t>(r.u64());
        config.contamination = r.f64();
        config.seed = r.u64();
        config.threads = static_cast<std::size_t>(r.u64());
        try {
            config.validate();
        } catch (const invalid_argument& e) {
            r.fail(std::string("bad configuration: ") + e.what());
        }
        IsolationForest forest{config, std::move(split)};
        const std::uint64_t features = r.u64();
        const std::uint64_t sample_size = r.u64();
        const double offset = r.f64();
        const std::uint64_t tree_count = r.u64();
        if (tree_count == 0) {
            if (features != 0 || sample_size != 0) r.fail("inconsistent unfitted model");
        } else {
            if (tree_count != config.trees)
                r.fail("tree count " + std::to_string(tree_count) + " differs from config");
            if (features < 1 || features > (std::uint64_t{1} << 24))
                r.fail("bad feature count " + std::to_string(features));
            if (sample_size < 2 || sample_size > config.max_samples)
                r.fail("bad sample size " + std::to_string(sample_size));
            if (!std::isfinite(offset)) r.fail("offset is not finite");
            const auto d = static_cast<std::size_t>(features);
            const std::size_t depth_limit =
                detail::ceil_log2(static_cast<std::size_t>(sample_size));
            const std::uint64_t max_nodes = (std::uint64_t{2} << depth_limit) - 1;
            forest.trees_.resize(static_cast<std::size_t>(tree_count));
            for (auto& tree : forest.trees_) {
                const std::uint64_t count = r.u64();
                if (count < 1 || count > max_nodes)
                    r.fail("bad node count " + std::to_string(count));
                tree.nodes.resize(static_cast<std::size_t>(count));
                tree.path_length.resize(static_cast<std::size_t>(count));
                tree.size.resize(static_cast<std::size_t>(count));
                for (std::size_t i = 0; i < count; ++i) {
                    tree.nodes[i].threshold = r.f64();
                    tree.nodes[i].index = r.u32();
                    tree.nodes[i].left = r.u32();
                    tree.size[i] = r.u32();
                }
                const std::uint64_t coefficient_count = r.u64();
                if (coefficient_count < d || coefficient_count > (count + 1) * d)
                    r.fail("bad coefficient count " + std::to_string(coefficient_count));
                tree.coefficients.resize(static_cast<std::size_t>(coefficient_count));
                for (auto& c : tree.coefficients) {
                    c = r.f64();
                    if (!std::isfinite(c)) r.fail("coefficient is not finite");
                }
                for (std::size_t f = 0; f < d; ++f)
                    if (tree.coefficients[f] != 0.0) r.fail("leaf coefficients are not zero");
                check_tree(tree, d, static_cast<std::size_t>(sample_size), depth_limit, r);
            }
            forest.features_ = d;
            forest.sample_size_ = static_cast<std::size_t>(sample_size);
            forest.offset_ = offset;
        }
        if (r.bytes(4) != std::string_view("END\0", 4)) r.fail("bad end marker");
        return forest;
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
                           std::size_t depth_limit, const detail::BinaryReader& r) {
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

    std::size_t worker_count(std::size_t tasks) const noexcept {
        std::size_t threads = config_.threads;
        if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
        return std::max<std::size_t>(1, std::min(threads, tasks));
    }

    // Runs work(0 .. workers - 1), workers - 1 of them on new threads; rethrows the first
    // exception.
    template <class Work>
    static void run_workers(std::size_t workers, Work&& work) {
        if (workers <= 1) {
            work(std::size_t{0});
            return;
        }
        std::vector<std::exception_ptr> errors(workers);
        std::vector<std::thread> threads;
        threads.reserve(workers - 1);
        auto guarded = [&](std::size_t worker) {
            try {
                work(worker);
            } catch (...) {
                errors[worker] = std::current_exception();
            }
        };
        for (std::size_t w = 1; w < workers; ++w)
            threads.emplace_back(guarded, w);
        guarded(0);
        for (auto& thread : threads)
            thread.join();
        for (const auto& e : errors)
            if (e) std::rethrow_exception(e);
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

} // namespace v0
} // namespace augur
