#pragma once

// Isolation trees: the flat node layout and tree growing used by
// IsolationForest (augur/anomaly/isolation_forest.hpp). IsolationSplit and IsolationNodeView
// are the public vocabulary of split policies; everything in augur::detail is internal.
//
// Layout: one tree is a contiguous array of 16-byte nodes in depth-first order with the two
// children of a node adjacent (right = left + 1). A leaf points to itself (left == its own
// index) with threshold +inf, so every finite row stays there: a row is scored by exactly
// `depth` branch-free steps, and the leaf's path length (depth + c(size)) is read from a
// parallel array.

#include "augur/core/error.hpp"
#include "augur/core/random.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {

/// A split chosen by a split policy: rows whose projection is <= threshold go to the left
/// child. `index` is interpreted by the policy (a feature for AxisParallel, an offset into the
/// tree's coefficient array for Extended).
struct IsolationSplit {
    std::uint32_t index = 0;
    double threshold = 0.0;
};

/// The samples that reach one node while a tree is grown: `rows` indexes into a row-major
/// `sample_count x features` block of finite values.
/// Thread-safety: a view; valid only during the policy call that receives it.
struct IsolationNodeView {
    const double* data = nullptr;
    std::size_t features = 0;
    std::span<const std::uint32_t> rows;

    /// Pointer to the `features` values of sample `row`.
    const double* row(std::uint32_t row) const noexcept { return data + row * features; }
    /// Value of `feature` for sample `row`.
    double value(std::uint32_t row, std::size_t feature) const noexcept {
        return data[row * features + feature];
    }
};

namespace detail {

/// c(n): the average path length of an unsuccessful search in a binary search tree of n
/// keys, 2 H(n - 1) - 2 (n - 1) / n with H(i) = ln(i) + Euler's constant; c(0) = c(1) = 0,
/// c(2) = 1 (Liu, Ting & Zhou 2008; the same as scikit-learn).
inline double average_path_length(std::size_t n) noexcept {
    if (n <= 1) return 0.0;
    if (n == 2) return 1.0;
    const auto m = static_cast<double>(n);
    return 2.0 * (std::log(m - 1.0) + std::numbers::egamma) - 2.0 * (m - 1.0) / m;
}

/// Smallest L with 2^L >= n (n >= 1): the height limit ceil(log2(n)).
inline std::size_t ceil_log2(std::size_t n) noexcept {
    std::size_t depth = 0;
    while ((std::size_t{1} << depth) < n)
        ++depth;
    return depth;
}

/// One node: internal (left > own index, right = left + 1) or leaf (left == own index,
/// threshold = +inf).
struct IsolationNode {
    double threshold = std::numeric_limits<double>::infinity();
    std::uint32_t index = 0;
    std::uint32_t left = 0;
};
static_assert(sizeof(IsolationNode) == 16);

/// One fitted tree.
struct IsolationTree {
    std::vector<IsolationNode> nodes;
    std::vector<double> path_length;  ///< per node: depth + c(size) at leaves, 0 elsewhere
    std::vector<std::uint32_t> size;  ///< per node: training samples at leaves, 0 elsewhere
    std::vector<double> coefficients; ///< policy data; starts with `features` zeros
    std::size_t depth = 0;            ///< longest root-to-leaf path (steps to reach any leaf)

    friend bool operator==(const IsolationTree&, const IsolationTree&) = default;
};

/// Reusable buffers for growing trees on one thread.
struct IsolationTreeScratch {
    std::vector<double> data;          ///< row-major subsample
    std::vector<std::uint32_t> rows;   ///< permutation of the subsample during partitioning
    std::vector<std::uint32_t> picks;  ///< policy scratch
    std::vector<std::uint64_t> chosen; ///< subsample row indices
    std::vector<std::uint64_t> table;  ///< hash set for sampling
    struct Pending {
        std::uint32_t node;
        std::uint32_t begin;
        std::uint32_t end;
        std::uint32_t depth;
    };
    std::vector<Pending> stack;
};

/// Draws k distinct indices from [0, n) (Floyd's algorithm), ascending. O(k log k) expected,
/// with an open-addressing set in `table` (reused between calls).
inline void sample_without_replacement(Rng& rng, std::uint64_t n, std::size_t k,
                                       std::vector<std::uint64_t>& out,
                                       std::vector<std::uint64_t>& table) {
    out.clear();
    if (k >= n) {
        for (std::uint64_t i = 0; i < n; ++i)
            out.push_back(i);
        return;
    }
    std::size_t capacity = 16;
    while (capacity < 4 * k)
        capacity *= 2;
    constexpr std::uint64_t empty = std::numeric_limits<std::uint64_t>::max();
    table.assign(capacity, empty);
    const std::size_t mask = capacity - 1;
    // Inserts v; false when it was already there.
    auto insert = [&](std::uint64_t v) {
        std::size_t slot = static_cast<std::size_t>((v * 0x9E3779B97F4A7C15ULL) >> 32) & mask;
        while (table[slot] != empty) {
            if (table[slot] == v) return false;
            slot = (slot + 1) & mask;
        }
        table[slot] = v;
        return true;
    };
    for (std::uint64_t j = n - k; j < n; ++j) {
        const std::uint64_t t = uniform_index(rng, j + 1);
        if (insert(t)) {
            out.push_back(t);
        } else {
            insert(j);
            out.push_back(j);
        }
    }
    // Sorted: the subsample is read from X in row order (cache friendly) and its order no
    // longer depends on the draw sequence.
    std::sort(out.begin(), out.end());
}

/// Grows one tree on the row-major `count x features` block in scratch.data, splitting nodes
/// until they hold one sample, their samples are identical (the policy returns nullopt), or
/// `depth_limit` is reached.
template <class Split>
IsolationTree grow_isolation_tree(const Split& split, std::size_t count, std::size_t features,
                                  std::size_t depth_limit, Rng& rng,
                                  IsolationTreeScratch& scratch) {
    IsolationTree tree;
    tree.coefficients.assign(features, 0.0);
    tree.nodes.reserve(2 * count);
    tree.path_length.reserve(2 * count);
    tree.size.reserve(2 * count);
    scratch.rows.resize(count);
    for (std::size_t i = 0; i < count; ++i)
        scratch.rows[i] = static_cast<std::uint32_t>(i);

    tree.nodes.emplace_back();
    tree.path_length.push_back(0.0);
    tree.size.push_back(0);
    scratch.stack.clear();
    scratch.stack.push_back({0, 0, static_cast<std::uint32_t>(count), 0});
    const double* data = scratch.data.data();
    while (!scratch.stack.empty()) {
        const auto [at, begin, end, depth] = scratch.stack.back();
        scratch.stack.pop_back();
        const std::size_t size = end - begin;
        std::optional<IsolationSplit> chosen;
        if (size > 1 && depth < depth_limit) {
            const IsolationNodeView view{
                data, features, std::span<const std::uint32_t>(scratch.rows.data() + begin, size)};
            chosen = split.choose(view, rng, scratch.picks, tree.coefficients);
        }
        if (!chosen) {
            tree.nodes[at] = IsolationNode{std::numeric_limits<double>::infinity(), 0, at};
            tree.path_length[at] = static_cast<double>(depth) + average_path_length(size);
            tree.size[at] = static_cast<std::uint32_t>(size);
            if (depth > tree.depth) tree.depth = depth;
            continue;
        }
        // Partition rows[begin, end): projection <= threshold first.
        std::uint32_t* rows = scratch.rows.data();
        std::uint32_t lo = begin;
        std::uint32_t hi = end;
        const double* coef = tree.coefficients.data();
        while (lo < hi) {
            if (Split::project(chosen->index, coef, data + rows[lo] * features, features) <=
                chosen->threshold) {
                ++lo;
            } else {
                --hi;
                std::swap(rows[lo], rows[hi]);
            }
        }
        const auto left = static_cast<std::uint32_t>(tree.nodes.size());
        tree.nodes[at] = IsolationNode{chosen->threshold, chosen->index, left};
        tree.nodes.resize(tree.nodes.size() + 2);
        tree.path_length.resize(tree.nodes.size(), 0.0);
        tree.size.resize(tree.nodes.size(), 0);
        scratch.stack.push_back({left + 1, lo, end, depth + 1});
        scratch.stack.push_back({left, begin, lo, depth + 1});
    }
    return tree;
}

/// numpy.percentile(values, q) with the default linear interpolation; sorts `values`.
inline double percentile_linear(std::vector<double>& values, double q) {
    AUGUR_ASSERT(!values.empty(), "percentile_linear: no values");
    std::sort(values.begin(), values.end());
    const double position = q / 100.0 * static_cast<double>(values.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(position));
    const std::size_t hi = std::min(lo + 1, values.size() - 1);
    const double t = position - static_cast<double>(lo);
    const double a = values[lo];
    const double b = values[hi];
    return t < 0.5 ? a + (b - a) * t : b - (b - a) * (1.0 - t);
}

} // namespace detail
} // namespace v0
} // namespace augur
