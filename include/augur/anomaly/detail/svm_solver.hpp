#pragma once

// SMO solver for the one-class SVM dual (not part of the API).
//
//     min_a  1/2 a'Qa   subject to  0 <= a_i <= 1,  sum_i a_i = nu * l,
//
// solved as LIBSVM solves it (Chang & Lin 2011; Fan, Chen & Lin 2005): pairs chosen by
// second-order working-set selection (WSS2), stop when the maximal violating pair's gap
// max_{a_j > 0} G_j - min_{a_i < 1} G_i drops below the tolerance, optional shrinking of bounded
// variables with gradient reconstruction, and rho taken as the mean gradient over the free
// variables (the midpoint of the feasible interval when there is none). G = Qa is the gradient.
// Ties are broken as LIBSVM breaks them, so the path is the same as scikit-learn's.
//
// The QMatrix provides, for positions that the solver may permute:
//     const float* column(i, len)          Q(0..len-1, i); the two latest stay valid;
//     void add_columns(cols, a, b, g, g_bar)  g += sum a[c] Q(:, c), g_bar += sum b[c] Q(:, c);
//     const double* diagonal()             Q(i, i) for every position;
//     void swap_indices(span of (i, j))    swap positions, pair by pair in order.
// Complexity: O(active size) per iteration plus the kernel columns not in the cache.
// Thread-safety: not synchronized.

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {
namespace detail {

/// What the solver returns: the coefficients in the original order, rho, the dual objective.
struct SvmSolution {
    std::vector<double> alpha;
    double rho = 0.0;
    double objective = 0.0;
    std::size_t iterations = 0;
    bool converged = true;
};

template <class QMatrix>
class OneClassSmo {
public:
    OneClassSmo(QMatrix& q, std::size_t size, double tolerance, bool shrinking,
                std::size_t max_iterations)
        : q_(q), l_(size), eps_(tolerance), shrinking_(shrinking), max_iter_(max_iterations) {}

    /// Solves from the feasible starting point `alpha` (size l, entries in [0, 1]).
    SvmSolution solve(std::vector<double> alpha) {
        alpha_ = std::move(alpha);
        qd_ = q_.diagonal();
        status_.resize(l_);
        active_set_.resize(l_);
        for (std::size_t i = 0; i < l_; ++i) {
            update_status(i);
            active_set_[i] = i;
        }
        active_size_ = l_;
        unshrink_ = false;

        // G = Q a; G_bar = sum over a_i at the upper bound of C Q(:, i).
        G_.assign(l_, 0.0);
        G_bar_.assign(l_, 0.0);
        std::vector<std::size_t> nonzero;
        std::vector<double> bar_weight(l_, 0.0);
        for (std::size_t i = 0; i < l_; ++i) {
            if (status_[i] == lower) continue;
            nonzero.push_back(i);
            if (status_[i] == upper) bar_weight[i] = upper_bound;
        }
        const auto size = static_cast<Eigen::Index>(l_);
        q_.add_columns(nonzero, alpha_.data(), bar_weight.data(),
                       Eigen::Map<Eigen::VectorXd>(G_.data(), size),
                       Eigen::Map<Eigen::VectorXd>(G_bar_.data(), size));

        SvmSolution out;
        std::size_t iter = 0;
        std::size_t counter = std::min<std::size_t>(l_, 1000) + 1;
        for (;;) {
            if (iter >= max_iter_) {
                out.converged = false;
                break;
            }
            if (--counter == 0) {
                counter = std::min<std::size_t>(l_, 1000);
                if (shrinking_) shrink();
            }
            std::size_t i = 0;
            std::size_t j = 0;
            if (!select_working_set(i, j)) {
                reconstruct_gradient();
                active_size_ = l_;
                if (!select_working_set(i, j)) break;
                counter = 1; // shrink at the next iteration
            }
            ++iter;
            take_step(i, j);
        }
        if (active_size_ < l_) { // stopped by the iteration limit
            reconstruct_gradient();
            active_size_ = l_;
        }

        out.rho = calculate_rho();
        double v = 0.0;
        for (std::size_t i = 0; i < l_; ++i)
            v += alpha_[i] * G_[i];
        out.objective = v / 2;
        out.iterations = iter;
        out.alpha.assign(l_, 0.0);
        for (std::size_t i = 0; i < l_; ++i)
            out.alpha[active_set_[i]] = alpha_[i];
        return out;
    }

private:
    static constexpr double upper_bound = 1.0;
    static constexpr double tau = 1e-12;
    static constexpr double inf = std::numeric_limits<double>::infinity();
    static constexpr std::size_t none = static_cast<std::size_t>(-1);
    enum Status : std::uint8_t { lower, upper, free };

    void update_status(std::size_t i) noexcept {
        if (alpha_[i] >= upper_bound)
            status_[i] = upper;
        else if (alpha_[i] <= 0)
            status_[i] = lower;
        else
            status_[i] = free;
    }

    // WSS2: i maximizes -G over a_i < 1; j minimizes the second-order objective decrease over
    // a_j > 0 with G_j > G_i. False when the gap is below the tolerance (optimal).
    bool select_working_set(std::size_t& out_i, std::size_t& out_j) {
        double Gmax = -inf;
        std::size_t Gmax_idx = none;
        for (std::size_t t = 0; t < active_size_; ++t)
            if (status_[t] != upper && -G_[t] >= Gmax) {
                Gmax = -G_[t];
                Gmax_idx = t;
            }

        double Gmax2 = -inf;
        std::size_t Gmin_idx = none;
        double obj_diff_min = inf;
        if (Gmax_idx != none) {
            const std::size_t i = Gmax_idx;
            const float* Q_i = q_.column(i, active_size_);
            const double qd_i = qd_[i];
            for (std::size_t j = 0; j < active_size_; ++j) {
                if (status_[j] == lower) continue;
                const double g = G_[j];
                if (g >= Gmax2) Gmax2 = g;
                const double grad_diff = Gmax + g;
                if (grad_diff > 0) {
                    const double quad = qd_i + qd_[j] - 2.0 * Q_i[j];
                    const double obj_diff = -(grad_diff * grad_diff) / (quad > 0 ? quad : tau);
                    if (obj_diff <= obj_diff_min) {
                        Gmin_idx = j;
                        obj_diff_min = obj_diff;
                    }
                }
            }
        } else {
            for (std::size_t j = 0; j < active_size_; ++j)
                if (status_[j] != lower && G_[j] >= Gmax2) Gmax2 = G_[j];
        }

        if (Gmax + Gmax2 < eps_ || Gmin_idx == none) return false;
        out_i = Gmax_idx;
        out_j = Gmin_idx;
        return true;
    }

    // Moves a_i and a_j along the equality constraint, clipped to the box, then updates G and
    // G_bar (the gradient contribution of the variables at the upper bound).
    void take_step(std::size_t i, std::size_t j) {
        const float* Q_i = q_.column(i, active_size_);
        const float* Q_j = q_.column(j, active_size_);
        const double old_i = alpha_[i];
        const double old_j = alpha_[j];

        double quad = qd_[i] + qd_[j] - 2.0 * Q_i[j];
        if (quad <= 0) quad = tau;
        const double delta = (G_[i] - G_[j]) / quad;
        const double sum = alpha_[i] + alpha_[j];
        alpha_[i] -= delta;
        alpha_[j] += delta;
        if (sum > upper_bound) {
            if (alpha_[i] > upper_bound) {
                alpha_[i] = upper_bound;
                alpha_[j] = sum - upper_bound;
            }
        } else if (alpha_[j] < 0) {
            alpha_[j] = 0;
            alpha_[i] = sum;
        }
        if (sum > upper_bound) {
            if (alpha_[j] > upper_bound) {
                alpha_[j] = upper_bound;
                alpha_[i] = sum - upper_bound;
            }
        } else if (alpha_[i] < 0) {
            alpha_[i] = 0;
            alpha_[j] = sum;
        }

        const double d_i = alpha_[i] - old_i;
        const double d_j = alpha_[j] - old_j;
        double* G = G_.data();
        for (std::size_t k = 0; k < active_size_; ++k)
            G[k] += Q_i[k] * d_i + Q_j[k] * d_j;

        const bool was_upper_i = status_[i] == upper;
        const bool was_upper_j = status_[j] == upper;
        update_status(i);
        update_status(j);
        if (was_upper_i != (status_[i] == upper)) update_g_bar(i, was_upper_i);
        if (was_upper_j != (status_[j] == upper)) update_g_bar(j, was_upper_j);
    }

    void update_g_bar(std::size_t i, bool left_upper) {
        const float* Q_i = q_.column(i, l_);
        const double c = left_upper ? -upper_bound : upper_bound;
        for (std::size_t k = 0; k < l_; ++k)
            G_bar_[k] += c * Q_i[k];
    }

    bool be_shrunk(std::size_t i, double Gmax1, double Gmax2) const noexcept {
        if (status_[i] == upper) return -G_[i] > Gmax1;
        if (status_[i] == lower) return G_[i] > Gmax2;
        return false;
    }

    // Swaps positions i and j; the QMatrix gets the swaps in one batch (flush_swaps).
    void swap_index(std::size_t i, std::size_t j) {
        swaps_.emplace_back(i, j);
        std::swap(G_[i], G_[j]);
        std::swap(status_[i], status_[j]);
        std::swap(alpha_[i], alpha_[j]);
        std::swap(active_set_[i], active_set_[j]);
        std::swap(G_bar_[i], G_bar_[j]);
    }

    void shrink() {
        double Gmax1 = -inf; // max -G over a < 1
        double Gmax2 = -inf; // max G over a > 0
        for (std::size_t i = 0; i < active_size_; ++i) {
            if (status_[i] != upper && -G_[i] >= Gmax1) Gmax1 = -G_[i];
            if (status_[i] != lower && G_[i] >= Gmax2) Gmax2 = G_[i];
        }
        if (!unshrink_ && Gmax1 + Gmax2 <= eps_ * 10) {
            unshrink_ = true;
            reconstruct_gradient();
            active_size_ = l_;
        }
        for (std::size_t i = 0; i < active_size_; ++i) {
            if (!be_shrunk(i, Gmax1, Gmax2)) continue;
            --active_size_;
            while (active_size_ > i) {
                if (!be_shrunk(active_size_, Gmax1, Gmax2)) {
                    swap_index(i, active_size_);
                    break;
                }
                --active_size_;
            }
        }
        q_.swap_indices(swaps_);
        swaps_.clear();
    }

    // Recomputes G for the inactive positions from G_bar and the free variables.
    void reconstruct_gradient() {
        if (active_size_ == l_) return;
        for (std::size_t j = active_size_; j < l_; ++j)
            G_[j] = G_bar_[j];
        std::size_t nr_free = 0;
        for (std::size_t j = 0; j < active_size_; ++j)
            if (status_[j] == free) ++nr_free;
        if (nr_free * l_ > 2 * active_size_ * (l_ - active_size_)) {
            for (std::size_t i = active_size_; i < l_; ++i) {
                const float* Q_i = q_.column(i, active_size_);
                for (std::size_t j = 0; j < active_size_; ++j)
                    if (status_[j] == free) G_[i] += alpha_[j] * Q_i[j];
            }
        } else {
            for (std::size_t i = 0; i < active_size_; ++i) {
                if (status_[i] != free) continue;
                const float* Q_i = q_.column(i, l_);
                const double a = alpha_[i];
                for (std::size_t j = active_size_; j < l_; ++j)
                    G_[j] += a * Q_i[j];
            }
        }
    }

    // rho: mean G over free variables; without any, the midpoint of [max G over a = 1,
    // min G over a = 0]. When one side is empty (nu = 1: every a at 1) the finite end is used.
    double calculate_rho() const noexcept {
        double ub = inf;
        double lb = -inf;
        double sum_free = 0.0;
        std::size_t nr_free = 0;
        for (std::size_t i = 0; i < active_size_; ++i) {
            if (status_[i] == upper)
                lb = std::max(lb, G_[i]);
            else if (status_[i] == lower)
                ub = std::min(ub, G_[i]);
            else {
                ++nr_free;
                sum_free += G_[i];
            }
        }
        if (nr_free > 0) return sum_free / static_cast<double>(nr_free);
        if (std::isinf(ub)) return lb;
        if (std::isinf(lb)) return ub;
        return (ub + lb) / 2;
    }

    QMatrix& q_;
    std::size_t l_;
    double eps_;
    bool shrinking_;
    std::size_t max_iter_;
    const double* qd_ = nullptr;
    std::vector<double> alpha_;
    std::vector<double> G_;     // gradient Q a
    std::vector<double> G_bar_; // gradient part of the variables at the upper bound
    std::vector<std::pair<std::size_t, std::size_t>> swaps_;
    std::vector<std::uint8_t> status_;
    std::vector<std::size_t> active_set_;
    std::size_t active_size_ = 0;
    bool unshrink_ = false;
};

} // namespace detail
} // namespace v0
} // namespace augur
