#pragma once

// Quantiles of streams: exact over a sliding window (SlidingQuantile) and approximate with a
// relative-error guarantee over a whole stream in constant memory (QuantileSketch).
//
// SlidingQuantile: an order-statistic treap over a node pool plus a ring of node indices;
// push and quantile are O(log window) expected; storage grows with the values held, up to the
// window (no allocation once the window is full). Saved and loaded through
// augur/core/archive.hpp.
// QuantileSketch: DDSketch (Masson, Rim & Lee, VLDB 2019): logarithmic buckets, at most
// max_buckets per sign; push O(1) (plus O(max_buckets) when the value range widens),
// quantile O(max_buckets), mergeable.
// Empty-state queries return NaN.
// Thread-safety: not synchronized; const members may be called concurrently.

#include "augur/core/error.hpp"
#include "augur/core/random.hpp"
#include "augur/core/window.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

namespace augur {
inline namespace v0 {

/// Exact quantiles of the last `window` values of a stream.
/// quantile(q) uses linear interpolation between order statistics (Hyndman & Fan type 7,
/// the definition of quantile_sorted): it equals quantile_sorted of the sorted window.
/// NaN values are skipped: push returns false, the window is unchanged, and skipped() counts
/// them. Infinities are ordered as usual.
/// push and quantile are O(log window) expected (a treap whose priorities are a hash of each
/// value's insertion sequence number, so results and timings are deterministic and a loaded
/// window continues exactly as the saved one would). Memory: sizeof(SlidingQuantile) plus
/// 36 bytes per value held (a 32-byte node and a 4-byte ring slot), growing geometrically with
/// the values held up to the window (memory_bytes()); nothing is allocated before the first
/// push, nor once the window is full.
/// Saved and loaded through augur/core/archive.hpp (save_fields / load_fields): the values
/// oldest first with their sequence numbers, so the size of a save is O(values held).
/// Thread-safety: not synchronized; const members may be called concurrently.
/// @code
///   augur::SlidingQuantile p(1000);          // the last 1000 latencies
///   for (double ms : latencies) p.push(ms);
///   double p99 = p.quantile(0.99);
/// @endcode
class SlidingQuantile {
public:
    /// Throws invalid_argument when window is 0 or does not fit 32-bit node indices.
    explicit SlidingQuantile(std::size_t window) : order_(checked_window(window)) {}

    /// Adds a value, evicting the oldest when the window is full. Returns false (and counts
    /// it in skipped()) for NaN, which is not added.
    bool push(double x) noexcept {
        if (std::isnan(x)) {
            ++skipped_;
            return false;
        }
        std::uint32_t node = 0;
        if (order_.full()) {
            node = order_.front();
            erase(node);
        } else {
            node = static_cast<std::uint32_t>(order_.size() + 1);
            if (node >= nodes_.size()) grow_nodes(node + 1);
        }
        order_.push(node); // overwrites the evicted node's slot when full
        place(node, x, next_seq_++);
        return true;
    }

    /// The q-quantile (type 7) of the values in the window; NaN when empty.
    /// Precondition: 0 <= q <= 1. O(log window).
    double quantile(double q) const {
        AUGUR_ASSERT(q >= 0.0 && q <= 1.0, "SlidingQuantile::quantile: q must be in [0, 1]");
        const std::size_t n = size();
        if (n == 0) return std::numeric_limits<double>::quiet_NaN();
        const double h = q * static_cast<double>(n - 1);
        const auto lo = static_cast<std::size_t>(std::floor(h));
        const double a = kth(lo);
        if (lo + 1 >= n) return a;
        const double b = kth(lo + 1);
        if (a == b) return a; // also keeps inf from becoming inf - inf = NaN
        return a + (h - static_cast<double>(lo)) * (b - a);
    }

    /// The median (quantile 0.5); NaN when empty.
    double median() const { return quantile(0.5); }
    /// The smallest value in the window; NaN when empty. O(log window).
    double min() const noexcept {
        return empty() ? std::numeric_limits<double>::quiet_NaN() : kth(0);
    }
    /// The largest value in the window; NaN when empty. O(log window).
    double max() const noexcept {
        return empty() ? std::numeric_limits<double>::quiet_NaN() : kth(size() - 1);
    }

    /// How many values are in the window (at most window()).
    std::size_t size() const noexcept { return order_.size(); }
    std::size_t window() const noexcept { return order_.capacity(); }
    bool empty() const noexcept { return order_.empty(); }
    bool full() const noexcept { return order_.full(); }
    /// How many NaN values push skipped since construction or clear().
    std::uint64_t skipped() const noexcept { return skipped_; }

    /// Empties the window and zeroes skipped(); no allocation (the storage is kept).
    void clear() noexcept {
        order_.clear();
        root_ = nil;
        skipped_ = 0;
    }

    /// Bytes owned on the heap (node pool and ring), excluding sizeof(*this).
    std::size_t allocated_bytes() const noexcept {
        return nodes_.capacity() * sizeof(Node) + order_.allocated_bytes();
    }

    /// Writes the window, the values oldest first with their sequence numbers, the next
    /// sequence number and skipped() (augur/core/archive.hpp).
    template <class Writer>
    void save_fields(Writer& w) const {
        w.write(static_cast<std::uint64_t>(window()));
        w.write_size(size());
        for (const std::uint32_t node : order_)
            w(nodes_[node].value, nodes_[node].seq);
        w(next_seq_, skipped_);
    }
    /// Reads what save_fields wrote and rebuilds the tree (O(n log n)); a window out of range,
    /// more values than it, a NaN value or sequence numbers that do not increase are a
    /// data_error.
    template <class Reader>
    void load_fields(Reader& r) {
        const auto window = r.template read<std::uint64_t>();
        if (window == 0 || window >= std::numeric_limits<std::uint32_t>::max())
            r.fail("a sliding window of " + std::to_string(window) + " values");
        const std::size_t n = r.read_size(2 * sizeof(double));
        if (n > window)
            r.fail("a sliding window holds " + std::to_string(n) + " values, more than its " +
                   std::to_string(window));
        SlidingQuantile loaded(static_cast<std::size_t>(window));
        if (n > 0) loaded.grow_nodes(n + 1);
        std::uint64_t previous = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const auto value = r.template read<double>();
            const auto seq = r.template read<std::uint64_t>();
            if (std::isnan(value)) r.fail("a sliding window holds NaN");
            if (i > 0 && seq <= previous) r.fail("sliding window sequence numbers must increase");
            previous = seq;
            const auto node = static_cast<std::uint32_t>(i + 1);
            loaded.order_.push(node);
            loaded.place(node, value, seq);
        }
        r(loaded.next_seq_, loaded.skipped_);
        if (n > 0 && loaded.next_seq_ <= previous)
            r.fail("a sliding window's next sequence number is not after its values'");
        *this = std::move(loaded);
    }

private:
    static constexpr std::uint32_t nil = 0; // nodes_[0]: sentinel with size 0

    struct Node {
        double value = 0.0;
        std::uint64_t seq = 0;               // insertion sequence: orders equal values
        std::uint32_t child[2] = {nil, nil}; // left, right
        std::uint32_t size = 0;              // nodes in this subtree
        std::uint32_t priority = 0;
    };

    // The treap priority of the value with sequence number `seq`: a SplitMix64 hash, so
    // priorities need no generator state (a loaded window rebuilds the same priorities).
    static std::uint32_t priority_of(std::uint64_t seq) noexcept {
        std::uint64_t state = seq;
        return static_cast<std::uint32_t>(splitmix64(state) >> 32);
    }

    // Grows the node pool (sentinel included) to at least `n` nodes, geometrically, never
    // beyond window() + 1.
    void grow_nodes(std::size_t n) {
        const std::size_t limit = window() + 1;
        if (n > nodes_.capacity())
            nodes_.reserve(std::min(limit, std::max({n, 2 * nodes_.capacity(), std::size_t{8}})));
        nodes_.resize(std::max(n, nodes_.size()));
    }

    // Sets up node `node` for value x and links it into the tree.
    void place(std::uint32_t node, double x, std::uint64_t seq) noexcept {
        Node& n = nodes_[node];
        n.value = x;
        n.seq = seq;
        n.child[0] = n.child[1] = nil;
        n.size = 1;
        n.priority = priority_of(seq);
        insert(node);
    }

    static std::size_t checked_window(std::size_t window) {
        if (window == 0 || window >= std::numeric_limits<std::uint32_t>::max())
            throw_invalid_config("SlidingQuantile", "window", window, "must be in [1, 2^32 - 2]");
        return window;
    }

    // Strict order on (value, seq): total, since NaN never enters. Bitwise, so no branches.
    static bool before(const Node& a, const Node& b) noexcept {
        return (a.value < b.value) | ((a.value == b.value) & (a.seq < b.seq));
    }

    void update_size(std::uint32_t t) noexcept {
        Node& n = nodes_[t];
        n.size = 1 + nodes_[n.child[0]].size + nodes_[n.child[1]].size;
    }

    // Splits subtree t into the nodes ordered before `key` (into l) and the others (into r).
    void split(std::uint32_t t, const Node& key, std::uint32_t& l, std::uint32_t& r) noexcept {
        if (t == nil) {
            l = r = nil;
            return;
        }
        Node& cur = nodes_[t];
        if (before(cur, key)) {
            split(cur.child[1], key, cur.child[1], r);
            l = t;
        } else {
            split(cur.child[0], key, l, cur.child[0]);
            r = t;
        }
        update_size(t);
    }

    // Joins two subtrees where every node of a is ordered before every node of b.
    std::uint32_t merge(std::uint32_t a, std::uint32_t b) noexcept {
        if (a == nil) return b;
        if (b == nil) return a;
        if (nodes_[a].priority > nodes_[b].priority) {
            const std::uint32_t joined = merge(nodes_[a].child[1], b);
            nodes_[a].child[1] = joined;
            update_size(a);
            return a;
        }
        const std::uint32_t joined = merge(a, nodes_[b].child[0]);
        nodes_[b].child[0] = joined;
        update_size(b);
        return b;
    }

    // Inserts a fresh node (size 1, no children): descend while the path's priorities are
    // higher, then split the subtree found there around the new node.
    void insert(std::uint32_t node) noexcept {
        Node& n = nodes_[node];
        std::uint32_t* link = &root_;
        while (*link != nil && nodes_[*link].priority >= n.priority) {
            Node& cur = nodes_[*link];
            ++cur.size;
            link = &cur.child[!(n.value < cur.value)]; // n is the newest: ties go right
        }
        std::uint32_t l = nil;
        std::uint32_t r = nil;
        split(*link, n, l, r);
        n.child[0] = l;
        n.child[1] = r;
        update_size(node);
        *link = node;
    }

    // Removes a node that is in the tree: replace it by the merge of its children.
    void erase(std::uint32_t node) noexcept {
        const Node& target = nodes_[node];
        std::uint32_t* link = &root_;
        while (*link != node) {
            Node& cur = nodes_[*link];
            --cur.size;
            link = &cur.child[!before(target, cur)];
        }
        *link = merge(target.child[0], target.child[1]);
    }

    // The k-th smallest value (0-based). Precondition: k < size().
    double kth(std::size_t k) const noexcept {
        std::uint32_t t = root_;
        for (;;) {
            const Node& cur = nodes_[t];
            const std::size_t left_size = nodes_[cur.child[0]].size;
            if (k < left_size) {
                t = cur.child[0];
            } else if (k == left_size) {
                return cur.value;
            } else {
                k -= left_size + 1;
                t = cur.child[1];
            }
        }
    }

    std::vector<Node> nodes_;         // pool: nodes_[1..size] hold the values; [0]: sentinel
    RingBuffer<std::uint32_t> order_; // node indices, oldest first
    std::uint32_t root_ = nil;
    std::uint64_t next_seq_ = 0;
    std::uint64_t skipped_ = 0;
};

/// Configuration of a QuantileSketch.
struct QuantileSketchConfig {
    /// alpha: every estimate is within alpha * |x| of the true order statistic x.
    /// Must be in [1e-9, 1).
    double relative_accuracy = 0.01;
    /// Most buckets per store (positive values, negative values); must be >= 1.
    /// Memory is at most 16 * max_buckets bytes plus sizeof(QuantileSketch) (176 bytes).
    std::size_t max_buckets = 2048;
};

namespace detail {

/// Counts of consecutive DDSketch bucket indices [offset, offset + counts.size()), at most
/// max_buckets of them; when more would be needed, the lowest indices are merged into the
/// lowest kept one.
struct DDSketchStore {
    std::vector<std::uint64_t> counts;
    std::int64_t offset = 0;
    std::uint64_t total = 0;
    bool collapsed = false;

    std::int64_t lowest() const noexcept { return offset; }
    std::int64_t highest() const noexcept {
        return offset + static_cast<std::int64_t>(counts.size()) - 1;
    }

    void add(std::int64_t index, std::uint64_t count, std::size_t max_buckets) {
        const auto max_span = static_cast<std::int64_t>(max_buckets);
        if (counts.empty()) {
            reserve_at_least(1, max_buckets);
            counts.assign(1, 0);
            offset = index;
        } else if (index < offset) {
            // Widen downwards as far as max_buckets allows; lower indices land in the lowest.
            const std::int64_t floor_index = highest() - (max_span - 1);
            if (index < floor_index) {
                collapsed = true;
                index = floor_index;
            }
            if (index < offset) {
                const auto grow = static_cast<std::size_t>(offset - index);
                reserve_at_least(counts.size() + grow, max_buckets);
                counts.insert(counts.begin(), grow, 0);
                offset = index;
            }
        } else if (index > highest()) {
            // Widen upwards; buckets that fall below the new lowest are merged into it.
            const std::int64_t new_lowest = std::max(offset, index - (max_span - 1));
            if (new_lowest > offset) {
                const auto drop = static_cast<std::size_t>(std::min<std::int64_t>(
                    new_lowest - offset, static_cast<std::int64_t>(counts.size())));
                const std::uint64_t moved = std::accumulate(
                    counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(drop),
                    std::uint64_t{0});
                counts.erase(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(drop));
                if (counts.empty()) counts.push_back(0);
                counts.front() += moved;
                offset = new_lowest;
                if (moved > 0) collapsed = true;
            }
            const auto needed = static_cast<std::size_t>(index - offset + 1);
            reserve_at_least(needed, max_buckets);
            counts.resize(needed, 0);
        }
        counts[static_cast<std::size_t>(index - offset)] += count;
        total += count;
    }

    void clear() noexcept {
        counts.clear();
        offset = 0;
        total = 0;
        collapsed = false;
    }

private:
    // Grows the capacity geometrically but never beyond max_buckets.
    void reserve_at_least(std::size_t n, std::size_t max_buckets) {
        if (counts.capacity() >= n) return;
        counts.reserve(std::min(max_buckets, std::max(n, 2 * counts.capacity())));
    }
};

} // namespace detail

/// Streaming quantile estimates with a relative-error guarantee, in bounded memory (DDSketch,
/// Masson, Rim & Lee 2019).
///
/// A positive value x goes to bucket i = ceil(log_gamma(x)), gamma = (1 + alpha) / (1 - alpha),
/// which covers (gamma^(i-1), gamma^i] and is represented by 2 gamma^i / (gamma + 1); negative
/// values go to a second store by magnitude; zeros are counted apart.
/// Guarantee: for any q, quantile(q) returns x_hat with |x_hat - x| <= alpha * |x| (up to
/// floating-point rounding), where x is the rank floor(q * (n - 1)) order statistic (0-based)
/// of the n values pushed; q = 0 and q = 1 return the exact min() and max().
/// Collapse: a store never holds more than max_buckets buckets. When a value would need more,
/// the lowest-magnitude buckets are merged into the lowest kept one, whose estimate is then
/// returned for those values (too large in magnitude, the bound no longer holds for ranks that
/// fall there; every other rank keeps it). collapsed() tells whether this happened. With the
/// defaults a store spans magnitudes over a ratio gamma^2048 ~ 6e17 (say 1e-9 .. 6e8) before
/// collapsing.
/// Non-finite values (NaN, +-inf) are skipped: push returns false and skipped() counts them.
/// Cost: push O(1), one log; allocation only when the value range widens (never in a steady
/// state). quantile O(max_buckets). Memory: memory_bytes() <= sizeof + 16 * max_buckets.
/// Thread-safety: not synchronized; const members may be called concurrently.
/// @code
///   augur::QuantileSketch sketch;                     // alpha = 1 %, 2048 buckets
///   for (double ms : latencies) sketch.push(ms);
///   double p99 = sketch.quantile(0.99);               // within 1 % of the true p99
///   other_replica.merge(sketch);
/// @endcode
class QuantileSketch {
public:
    using Config = QuantileSketchConfig;

    /// Throws invalid_argument naming the field for an invalid configuration.
    explicit QuantileSketch(Config config = {}) : config_(checked(config)) {
        const double alpha = config_.relative_accuracy;
        const double gamma = (1.0 + alpha) / (1.0 - alpha);
        log_gamma_ = std::log1p(2.0 * alpha / (1.0 - alpha));
        inv_log_gamma_ = 1.0 / log_gamma_;
        value_scale_ = 2.0 / (gamma + 1.0);
    }

    /// Adds a value; returns false (and counts it in skipped()) when x is not finite.
    bool push(double x) { return push(x, 1); }

    /// Adds `count` copies of x; returns false (and adds count to skipped()) when x is not
    /// finite. count 0 adds nothing.
    bool push(double x, std::uint64_t count) {
        if (!std::isfinite(x)) {
            skipped_ += count;
            return false;
        }
        if (count == 0) return true;
        if (x > 0.0) {
            positive_.add(index_of(x), count, config_.max_buckets);
        } else if (x < 0.0) {
            negative_.add(index_of(-x), count, config_.max_buckets);
        } else {
            zero_count_ += count;
        }
        count_ += count;
        min_ = x < min_ ? x : min_;
        max_ = x > max_ ? x : max_;
        return true;
    }

    /// An estimate of the rank floor(q * (n - 1)) order statistic (see the class comment for
    /// the bound); NaN when empty. Precondition: 0 <= q <= 1. O(max_buckets).
    double quantile(double q) const {
        AUGUR_ASSERT(q >= 0.0 && q <= 1.0, "QuantileSketch::quantile: q must be in [0, 1]");
        if (count_ == 0) return std::numeric_limits<double>::quiet_NaN();
        const auto rank =
            static_cast<std::uint64_t>(std::floor(q * static_cast<double>(count_ - 1)));
        if (rank == 0) return min_;
        if (rank >= count_ - 1) return max_;
        std::uint64_t seen = 0;
        // Negative values, most negative (highest magnitude index) first.
        for (std::size_t i = negative_.counts.size(); i-- > 0;) {
            seen += negative_.counts[i];
            if (seen > rank)
                return clamp(-bucket_value(negative_.offset + static_cast<std::int64_t>(i)));
        }
        seen += zero_count_;
        if (seen > rank) return 0.0;
        for (std::size_t i = 0; i < positive_.counts.size(); ++i) {
            seen += positive_.counts[i];
            if (seen > rank)
                return clamp(bucket_value(positive_.offset + static_cast<std::int64_t>(i)));
        }
        return max_;
    }

    /// Adds the values summarized by `other`. Throws invalid_argument when the relative
    /// accuracies differ. The result is the sketch of both streams (the same buckets as
    /// pushing every value into one sketch, unless a collapse intervened).
    /// Uses this sketch's max_buckets. O(buckets of both).
    void merge(const QuantileSketch& other) {
        if (other.config_.relative_accuracy != config_.relative_accuracy)
            throw_invalid_config("QuantileSketch::merge", "other.relative_accuracy",
                                 other.config_.relative_accuracy,
                                 "must equal this sketch's relative_accuracy");
        if (&other == this) {
            const QuantileSketch copy = other;
            merge(copy);
            return;
        }
        skipped_ += other.skipped_;
        if (other.count_ == 0) return;
        merge_store(positive_, other.positive_);
        merge_store(negative_, other.negative_);
        zero_count_ += other.zero_count_;
        count_ += other.count_;
        min_ = std::min(min_, other.min_);
        max_ = std::max(max_, other.max_);
    }

    /// Number of values summarized (skipped values excluded).
    std::uint64_t count() const noexcept { return count_; }
    /// Exact smallest value; NaN when empty.
    double min() const noexcept { return count_ ? min_ : std::numeric_limits<double>::quiet_NaN(); }
    /// Exact largest value; NaN when empty.
    double max() const noexcept { return count_ ? max_ : std::numeric_limits<double>::quiet_NaN(); }
    /// How many non-finite values were skipped.
    std::uint64_t skipped() const noexcept { return skipped_; }
    /// True when a store exceeded max_buckets and merged low-magnitude buckets (see above).
    bool collapsed() const noexcept { return positive_.collapsed || negative_.collapsed; }
    double relative_accuracy() const noexcept { return config_.relative_accuracy; }
    std::size_t max_buckets() const noexcept { return config_.max_buckets; }
    /// Bytes used, the object and its bucket storage.
    std::size_t memory_bytes() const noexcept {
        return sizeof(*this) +
               (positive_.counts.capacity() + negative_.counts.capacity()) * sizeof(std::uint64_t);
    }

    /// Forgets every value; keeps the configuration and the allocated buckets.
    void clear() noexcept {
        positive_.clear();
        negative_.clear();
        zero_count_ = 0;
        count_ = 0;
        skipped_ = 0;
        min_ = std::numeric_limits<double>::infinity();
        max_ = -std::numeric_limits<double>::infinity();
    }

private:
    static Config checked(const Config& config) {
        if (!(config.relative_accuracy >= 1e-9 && config.relative_accuracy < 1.0))
            throw_invalid_config("QuantileSketch", "relative_accuracy", config.relative_accuracy,
                                 "must be in [1e-9, 1)");
        if (config.max_buckets == 0)
            throw_invalid_config("QuantileSketch", "max_buckets", config.max_buckets,
                                 "must be >= 1");
        return config;
    }

    std::int64_t index_of(double magnitude) const noexcept {
        return static_cast<std::int64_t>(std::ceil(std::log(magnitude) * inv_log_gamma_));
    }

    double bucket_value(std::int64_t index) const noexcept {
        return std::exp(static_cast<double>(index) * log_gamma_) * value_scale_;
    }

    // The true order statistic lies in [min, max], so clamping only moves an estimate closer.
    double clamp(double estimate) const noexcept { return std::clamp(estimate, min_, max_); }

    void merge_store(detail::DDSketchStore& into, const detail::DDSketchStore& from) {
        if (from.total == 0) return;
        // Cover the whole range first, so the loop below never shifts the buckets.
        into.add(from.highest(), 0, config_.max_buckets);
        into.add(from.lowest(), 0, config_.max_buckets);
        for (std::size_t i = 0; i < from.counts.size(); ++i)
            if (from.counts[i] != 0)
                into.add(from.offset + static_cast<std::int64_t>(i), from.counts[i],
                         config_.max_buckets);
        into.collapsed = into.collapsed || from.collapsed;
    }

    Config config_;
    double log_gamma_ = 0.0;
    double inv_log_gamma_ = 0.0;
    double value_scale_ = 0.0;
    detail::DDSketchStore positive_;
    detail::DDSketchStore negative_;
    std::uint64_t zero_count_ = 0;
    std::uint64_t count_ = 0;
    std::uint64_t skipped_ = 0;
    double min_ = std::numeric_limits<double>::infinity();
    double max_ = -std::numeric_limits<double>::infinity();
};

} // namespace v0
} // namespace augur
