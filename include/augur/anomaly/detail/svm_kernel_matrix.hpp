#pragma once

// The kernel matrix Q(i, j) = K(x_i, x_j) of a training set, as the SVM solver sees it
// (not part of the API): columns computed on demand (inner products by Eigen's matrix-vector
// product, then the kernel policy's apply), stored in single precision in an LRU cache
// (svm_cache.hpp), positions swappable for shrinking.
// column() costs O(len * d) for the part not cached; add_columns computes many columns at once
// with a matrix product; swap_indices is O(d) per swap plus the cache's work.
// Thread-safety: not synchronized.

#include "augur/anomaly/detail/svm_cache.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <span>
#include <utility>

namespace augur {
inline namespace v0 {
namespace detail {

template <class Kernel>
class SvmKernelMatrix {
public:
    /// Copies `x` (rows are points); the cache uses about `cache_bytes` bytes.
    SvmKernelMatrix(const Eigen::MatrixXd& x, const Kernel& kernel, std::size_t cache_bytes)
        : x_(x), sq_(x.rowwise().squaredNorm()), kernel_(kernel),
          cache_(static_cast<std::size_t>(x.rows()), cache_bytes), diagonal_(x.rows()),
          point_(x.cols()), scratch_(x.rows()) {
        // K(x_i, x_i) from the inner product x_i . x_i = |x_i|^2.
        for (Eigen::Index i = 0; i < x_.rows(); ++i) {
            auto one = diagonal_.segment(i, 1);
            one[0] = sq_[i];
            kernel_.apply(one, sq_.segment(i, 1), sq_[i]);
        }
    }

    /// Q(0..len-1, i) for the current positions; stays valid while fewer than two other columns
    /// are requested.
    const float* column(std::size_t i, std::size_t len) {
        auto [data, start] = cache_.get(i, len);
        if (start < len) {
            const auto first = static_cast<Eigen::Index>(start);
            const auto count = static_cast<Eigen::Index>(len - start);
            point_ = x_.row(static_cast<Eigen::Index>(i)).transpose();
            auto out = scratch_.head(count);
            out.noalias() = x_.middleRows(first, count) * point_;
            kernel_.apply(out, sq_.segment(first, count), sq_[static_cast<Eigen::Index>(i)]);
            for (Eigen::Index k = 0; k < count; ++k)
                data[start + static_cast<std::size_t>(k)] = static_cast<float>(out[k]);
        }
        return data;
    }

    /// For every position c in `cols` (all < l): g += a[c] * Q(:, c) and g_bar += b[c] * Q(:, c)
    /// over all l positions, with Q in single precision as column() gives it; the columns go
    /// into the cache as they would through column(c, l). Blocked matrix products.
    void add_columns(std::span<const std::size_t> cols, const double* a, const double* b,
                     Eigen::Ref<Eigen::VectorXd> g, Eigen::Ref<Eigen::VectorXd> g_bar) {
        constexpr Eigen::Index block = 64;
        const Eigen::Index l = x_.rows();
        Eigen::MatrixXd points(
            std::min<Eigen::Index>(block, static_cast<Eigen::Index>(cols.size())), x_.cols());
        Eigen::MatrixXd values(l, points.rows());
        Eigen::VectorXd wa(points.rows());
        Eigen::VectorXd wb(points.rows());
        for (std::size_t begin = 0; begin < cols.size(); begin += block) {
            const auto count = static_cast<Eigen::Index>(
                std::min<std::size_t>(static_cast<std::size_t>(block), cols.size() - begin));
            for (Eigen::Index k = 0; k < count; ++k) {
                const std::size_t c = cols[begin + static_cast<std::size_t>(k)];
                points.row(k) = x_.row(static_cast<Eigen::Index>(c));
                wa[k] = a[c];
                wb[k] = b[c];
            }
            auto v = values.leftCols(count);
            v.noalias() = x_ * points.topRows(count).transpose();
            for (Eigen::Index k = 0; k < count; ++k) {
                const std::size_t c = cols[begin + static_cast<std::size_t>(k)];
                auto column_k = v.col(k);
                kernel_.apply(column_k, sq_, sq_[static_cast<Eigen::Index>(c)]);
                auto [data, start] = cache_.get(c, static_cast<std::size_t>(l));
                for (Eigen::Index r = 0; r < l; ++r) {
                    const auto rounded = static_cast<float>(column_k[r]);
                    column_k[r] = rounded;
                    if (static_cast<std::size_t>(r) >= start) data[r] = rounded;
                }
            }
            g.noalias() += v * wa.head(count);
            g_bar.noalias() += v * wb.head(count);
        }
    }

    const double* diagonal() const noexcept { return diagonal_.data(); }

    /// Applies the position swaps (i, j) in order.
    void swap_indices(std::span<const std::pair<std::size_t, std::size_t>> swaps) {
        for (const auto& [i, j] : swaps) {
            if (i == j) continue;
            const auto a = static_cast<Eigen::Index>(i);
            const auto b = static_cast<Eigen::Index>(j);
            x_.row(a).swap(x_.row(b));
            std::swap(sq_[a], sq_[b]);
            std::swap(diagonal_[a], diagonal_[b]);
        }
        cache_.swap_indices(swaps);
    }

private:
    Eigen::MatrixXd x_;  // column-major; rows follow the solver's positions
    Eigen::VectorXd sq_; // |x_i|^2
    const Kernel& kernel_;
    SvmColumnCache cache_;
    Eigen::VectorXd diagonal_;
    Eigen::VectorXd point_;
    Eigen::VectorXd scratch_;
};

} // namespace detail
} // namespace v0
} // namespace augur
