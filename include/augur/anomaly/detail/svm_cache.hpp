#pragma once

// Least-recently-used cache of kernel-matrix columns for the SVM solver (not part of the API).
//
// Each of the l columns may hold a prefix [0, len) of its values in single precision (as LIBSVM
// stores Q). A request for a longer prefix extends the column in place and evicts the least
// recently used columns until the budget allows it. swap_indices keeps every cached column
// consistent when the solver swaps positions (shrinking): a column whose prefix covers i but
// not j is dropped. The budget counts floats; at least two full columns always fit.
// Complexity: get is O(1) plus the eviction and extension it needs; swap_indices is
// O(columns held * swaps).
// Thread-safety: not synchronized.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {
namespace detail {

class SvmColumnCache {
public:
    /// A cache for `count` columns of `count` values, using about `budget_bytes` bytes.
    SvmColumnCache(std::size_t count, std::size_t budget_bytes)
        : columns_(count), prev_(count + 1), next_(count + 1) {
        const std::size_t overhead = count * (sizeof(Column) + 2 * sizeof(std::size_t));
        const std::size_t bytes = budget_bytes > overhead ? budget_bytes - overhead : 0;
        budget_ = std::max(bytes / sizeof(float), 2 * count);
        prev_[count] = next_[count] = count; // the sentinel closes the circular list
    }

    SvmColumnCache(const SvmColumnCache&) = delete;
    SvmColumnCache& operator=(const SvmColumnCache&) = delete;

    /// The storage of column `index`, extended to at least `len` values, and the position from
    /// which the caller must fill it (>= len when the prefix was already cached). Marks the
    /// column as most recently used.
    std::pair<float*, std::size_t> get(std::size_t index, std::size_t len) {
        Column& column = columns_[index];
        if (column.len > 0) unlink(index);
        std::size_t start = column.len;
        if (len > column.len) {
            const std::size_t more = len - column.len;
            while (budget_ < more)
                evict(next_[sentinel()]);
            auto grown = std::make_unique_for_overwrite<float[]>(len);
            std::copy_n(column.data.get(), column.len, grown.get());
            column.data = std::move(grown);
            budget_ -= more;
            column.len = len;
        } else {
            start = len;
        }
        link_last(index);
        return {column.data.get(), start};
    }

    /// Applies the position swaps (i, j), in order, to every cached column and to the columns
    /// themselves, as if each were done on its own: a column whose prefix covers i but not j is
    /// dropped. Batched so that each column is visited once. O(columns held * swaps).
    void swap_indices(std::span<const std::pair<std::size_t, std::size_t>> swaps) {
        if (swaps.empty()) return;
        for (const auto& [i, j] : swaps) {
            if (i == j) continue;
            if (columns_[i].len > 0) unlink(i);
            if (columns_[j].len > 0) unlink(j);
            std::swap(columns_[i], columns_[j]);
            if (columns_[i].len > 0) link_last(i);
            if (columns_[j].len > 0) link_last(j);
        }
        // The entry swaps act on every column alike, so they commute with the relabelling above.
        for (std::size_t h = next_[sentinel()]; h != sentinel();) {
            const std::size_t following = next_[h];
            Column& column = columns_[h];
            float* data = column.data.get();
            for (const auto& [a, b] : swaps) {
                const std::size_t lo = std::min(a, b);
                const std::size_t hi = std::max(a, b);
                if (lo == hi || column.len <= lo) continue;
                if (column.len <= hi) {
                    evict(h);
                    break;
                }
                std::swap(data[lo], data[hi]);
            }
            h = following;
        }
    }

    /// Number of floats still free in the budget.
    std::size_t free_floats() const noexcept { return budget_; }

private:
    struct Column {
        std::unique_ptr<float[]> data;
        std::size_t len = 0;
    };

    std::size_t sentinel() const noexcept { return columns_.size(); }

    void unlink(std::size_t h) noexcept {
        next_[prev_[h]] = next_[h];
        prev_[next_[h]] = prev_[h];
    }

    void link_last(std::size_t h) noexcept {
        const std::size_t s = sentinel();
        next_[h] = s;
        prev_[h] = prev_[s];
        next_[prev_[s]] = h;
        prev_[s] = h;
    }

    void evict(std::size_t h) {
        unlink(h);
        Column& column = columns_[h];
        budget_ += column.len;
        column.len = 0;
        column.data.reset();
    }

    std::vector<Column> columns_;
    std::vector<std::size_t> prev_;
    std::vector<std::size_t> next_;
    std::size_t budget_ = 0;
};

} // namespace detail
} // namespace v0
} // namespace augur
