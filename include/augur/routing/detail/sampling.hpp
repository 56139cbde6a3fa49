#pragma once

// Fast exact draws for Thompson sampling, built on augur::Rng and the uniform draws of
// core/random.hpp. The core normal() (polar method: a log and a sqrt per draw) and gamma()
// are exact but cost 20-40 ns; routing samples one or two gammas per arm per decision, so it
// uses these instead:
//   ziggurat_normal   Marsaglia & Tsang's ziggurat with 256 layers, the layer index and the
//                     uniform taken from disjoint bits of one 64-bit draw (Doornik 2005);
//                     ~99% of draws cost one generator call and a compare. Exact.
//   GammaDraw         Marsaglia & Tsang (2000) with the shape's constants computed once, for a
//                     posterior whose shape changes only when it learns; shape < 1 through the
//                     U^(1/shape) boost. Exact. The squeeze u < 1 - k x^4 uses k = 0.0225 / d
//                     (d = shape - 1/3) instead of the paper's 0.0331 for every shape: with
//                     R(x) = x^2 / 2 + d (1 - v + log v) the squeeze is valid when
//                     k >= sup_x (1 - exp R(x)) / x^4, and that supremum times d, computed
//                     numerically, falls from 0.02205 at shape 1 to 1/108 as the shape grows.
//                     The log test then runs for ~3k of the draws (~10% at shape 1, <1% from
//                     shape 8 on).
// Thread-safety: the tables are built once (thread-safe static); draws use the caller's Rng.

#include "augur/core/random.hpp"
#include "augur/routing/detail/attributes.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace augur {
inline namespace v0 {
namespace detail::routing {

/// Layer edges x[i] and densities f[i] = exp(-x[i]^2 / 2) of a 256-layer normal ziggurat.
struct ZigguratTables {
    static constexpr int layers = 256;
    static constexpr double r = 3.6541528853610088; // start of the tail
    static constexpr double v = 4.92867323399e-3;   // area of each layer
    std::array<double, layers + 1> x{};
    std::array<double, layers + 1> f{};
};

inline ZigguratTables make_ziggurat_tables() noexcept {
    ZigguratTables t;
    const auto density = [](double x) { return std::exp(-0.5 * x * x); };
    t.x[0] = ZigguratTables::v / density(ZigguratTables::r);
    t.x[1] = ZigguratTables::r;
    for (int i = 1; i < ZigguratTables::layers - 1; ++i) {
        const auto k = static_cast<std::size_t>(i);
        t.x[k + 1] = std::sqrt(-2.0 * std::log(ZigguratTables::v / t.x[k] + density(t.x[k])));
    }
    t.x[ZigguratTables::layers] = 0.0;
    for (std::size_t i = 0; i < t.x.size(); ++i)
        t.f[i] = density(t.x[i]);
    return t;
}

inline const ZigguratTables& ziggurat_tables() noexcept {
    static const ZigguratTables tables = make_ziggurat_tables();
    return tables;
}

/// Uniform in [-1, 1) from the top 52 bits of `bits` (exponent trick: no int-to-double
/// conversion on the critical path).
constexpr double signed_unit_from_bits(std::uint64_t bits) noexcept {
    return std::bit_cast<double>((bits >> 12) | 0x4000000000000000ULL) - 3.0;
}

/// Uniform in (0, 1) from the top 52 bits of `bits`: (2m + 1) 2^-53 for a 52-bit m, the
/// same values as augur::uniform_open01.
constexpr double open_unit_from_bits(std::uint64_t bits) noexcept {
    return std::bit_cast<double>((bits >> 12) | 0x3FF0000000000000ULL) - (1.0 - 0x1.0p-53);
}

/// The rare part of a ziggurat draw (~1.2% of draws): the tail (layer 0 beyond r) or the
/// wedge test of layer i for the candidate x; on rejection, fresh draws until one is accepted.
template <class G>
AUGUR_ROUTING_NOINLINE double ziggurat_slow(G& rng, const ZigguratTables& t, std::size_t i,
                                            double x) noexcept {
    for (;;) {
        if (i == 0) {
            // The tail beyond r (Marsaglia 1964).
            double a = 0.0;
            double b = 0.0;
            do {
                a = -std::log(uniform_open01(rng)) / ZigguratTables::r;
                b = -std::log(uniform_open01(rng));
            } while (b + b < a * a);
            return x < 0.0 ? -(ZigguratTables::r + a) : ZigguratTables::r + a;
        }
        const double y = t.f[i] + uniform01(rng) * (t.f[i + 1] - t.f[i]);
        if (y < std::exp(-0.5 * x * x)) return x;
        const std::uint64_t bits = rng();
        i = static_cast<std::size_t>(bits & 0xFFU);
        x = signed_unit_from_bits(bits) * t.x[i];
        if (std::fabs(x) < t.x[i + 1]) return x;
    }
}

/// Standard normal draw by the ziggurat. O(1) expected; exact. The common case (a point inside
/// a layer's rectangle: one generator call, a table lookup, a compare) is inline.
template <class G>
AUGUR_ROUTING_INLINE double ziggurat_normal(G& rng, const ZigguratTables& t) noexcept {
    const std::uint64_t bits = rng();
    const auto i = static_cast<std::size_t>(bits & 0xFFU);
    const double x = signed_unit_from_bits(bits) * t.x[i]; // uniform from bits 12..63
    if (std::fabs(x) < t.x[i + 1]) [[likely]]
        return x;
    return ziggurat_slow(rng, t, i, x);
}

template <class G>
double ziggurat_normal(G& rng) noexcept {
    return ziggurat_normal(rng, ziggurat_tables());
}

/// Gamma(shape, scale 1) draws with the shape's constants precomputed. 32 bytes.
class GammaDraw {
public:
    constexpr GammaDraw() noexcept = default;
    /// shape > 0 and finite (AUGUR_ASSERT).
    explicit GammaDraw(double shape) noexcept { set_shape(shape); }

    void set_shape(double shape) noexcept {
        AUGUR_ASSERT(shape > 0.0 && std::isfinite(shape), "GammaDraw: shape must be > 0");
        const bool boost = shape < 1.0;
        d_ = (boost ? shape + 1.0 : shape) - 1.0 / 3.0;
        c_ = 1.0 / std::sqrt(9.0 * d_);
        // 0.0225 / d = 0.2025 c^2. With the boost (shape < 1) the fast path must not accept:
        // an infinite squeeze makes its test false (1 - inf x^4 is -inf or NaN).
        squeeze_ = boost ? std::numeric_limits<double>::infinity() : 0.2025 * c_ * c_;
        inv_shape_ = boost ? 1.0 / shape : 0.0;
    }

    /// A draw. The common case (v > 0, the squeeze accepts, shape >= 1) is inline.
    template <class G>
    AUGUR_ROUTING_INLINE double operator()(G& rng, const ZigguratTables& t) const noexcept {
        const double x = ziggurat_normal(rng, t);
        const double cx = 1.0 + c_ * x;
        const double v = cx * cx * cx;
        const double u = open_unit_from_bits(rng());
        const double x2 = x * x;
        if (cx > 0.0 && u < 1.0 - squeeze_ * x2 * x2) [[likely]]
            return d_ * v;
        return slow(rng, t, x, v, u);
    }

private:
    // Marsaglia & Tsang's full test for the candidate (x, v, u), the shape < 1 boost, and on
    // rejection fresh candidates.
    template <class G>
    AUGUR_ROUTING_NOINLINE double slow(G& rng, const ZigguratTables& t, double x, double v,
                                       double u) const noexcept {
        for (;;) {
            if (v > 0.0) {
                const double x2 = x * x;
                // Accept when log u < 0.5 x^2 + d (1 - v + log v); as 1 - 1/v <= log v <= v - 1
                // the bounds 0.5 x^2 and 0.5 x^2 + d (2 - v - 1/v) mostly spare the log v.
                bool accept = u < 1.0 - 0.2025 * c_ * c_ * x2 * x2;
                if (!accept) {
                    const double log_u = std::log(u);
                    if (log_u < 0.5 * x2)
                        accept = log_u < 0.5 * x2 + d_ * (2.0 - v - 1.0 / v) ||
                                 log_u < 0.5 * x2 + d_ * (1.0 - v + std::log(v));
                }
                if (accept) {
                    const double g = d_ * v;
                    return inv_shape_ == 0.0 ? g : g * std::pow(uniform_open01(rng), inv_shape_);
                }
            }
            x = ziggurat_normal(rng, t);
            const double cx = 1.0 + c_ * x;
            v = cx * cx * cx;
            u = open_unit_from_bits(rng());
        }
    }

    double d_ = 2.0 / 3.0;
    double c_ = 0.408248290463863; // 1 / sqrt(6): shape 1
    double squeeze_ = 0.03375;     // 0.0225 / d (+inf with the boost)
    double inv_shape_ = 0.0;       // 1 / shape when shape < 1, else 0
};

} // namespace detail::routing
} // namespace v0
} // namespace augur
