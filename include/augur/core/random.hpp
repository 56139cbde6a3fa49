#pragma once

// Seeded random generation that is reproducible on every platform.
//
// Rng is xoshiro256++ (Blackman & Vigna): 256-bit state, period 2^256 - 1, ~1 ns per draw,
// seeded through SplitMix64 so any 64-bit seed (0 included) gives a well-mixed state.
// It satisfies std::uniform_random_bit_generator, but the draws below are written out here so
// that the same seed gives the same numbers with any standard library (the std::
// distributions are implementation-defined).
// Every randomized component in augur takes a seed and owns its Rng.
// Gamma draws (gamma, beta, and the routing posteriors' Thompson draws) all go through one
// sampler, GammaDraw (Marsaglia & Tsang on ziggurat normals, ~3-4 ns a draw); normal() is
// the polar method.
// Thread-safety: an Rng is a value; use one per thread (see fork()).

#include "augur/core/error.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>

namespace augur {
inline namespace v0 {

namespace detail {
__extension__ using uint128 = unsigned __int128;
} // namespace detail

/// SplitMix64 step: advances `state` and returns a mixed 64-bit value.
constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/// xoshiro256++ generator. O(1) per draw, 32 bytes of state.
class Rng {
public:
    using result_type = std::uint64_t;

    constexpr explicit Rng(std::uint64_t seed = 0) noexcept { reseed(seed); }

    constexpr void reseed(std::uint64_t seed) noexcept {
        std::uint64_t sm = seed;
        for (auto& word : state_)
            word = splitmix64(sm);
    }

    static constexpr result_type min() noexcept { return 0; }
    static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

    constexpr result_type operator()() noexcept {
        const std::uint64_t result = std::rotl(state_[0] + state_[3], 23) + state_[0];
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = std::rotl(state_[3], 45);
        return result;
    }

    /// An independent generator for sub-stream `stream` (e.g. a tree or a thread index),
    /// derived deterministically from this generator's current state without advancing it.
    constexpr Rng fork(std::uint64_t stream) const noexcept {
        std::uint64_t mix = state_[0] ^ std::rotl(state_[1], 13) ^ std::rotl(state_[2], 29) ^
                            std::rotl(state_[3], 47);
        mix ^= stream * 0xD1B54A32D192ED03ULL;
        return Rng{splitmix64(mix)};
    }

    friend constexpr bool operator==(const Rng&, const Rng&) noexcept = default;

    /// The raw state, for saving a generator with a model.
    constexpr const std::uint64_t (&state() const noexcept)[4] { return state_; }
    /// Restores a state from state(). Precondition: not all zero.
    constexpr void set_state(const std::uint64_t (&words)[4]) noexcept {
        for (int i = 0; i < 4; ++i)
            state_[i] = words[i];
    }

private:
    std::uint64_t state_[4]{};
};

/// Uniform double in [0, 1) with 53 random bits.
template <class G>
constexpr double uniform01(G& rng) noexcept {
    return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

/// Uniform double in (0, 1): never 0, safe under log().
template <class G>
constexpr double uniform_open01(G& rng) noexcept {
    return (static_cast<double>(rng() >> 12) + 0.5) * 0x1.0p-52;
}

/// Uniform double in [low, high).
template <class G>
constexpr double uniform(G& rng, double low, double high) noexcept {
    return low + (high - low) * uniform01(rng);
}

/// Uniform integer in [0, n), unbiased (Lemire's multiply-shift with rejection). n > 0.
template <class G>
constexpr std::uint64_t uniform_index(G& rng, std::uint64_t n) noexcept {
    AUGUR_ASSERT(n > 0, "uniform_index: n must be positive");
    detail::uint128 m = static_cast<detail::uint128>(rng()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
        const std::uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            m = static_cast<detail::uint128>(rng()) * n;
            low = static_cast<std::uint64_t>(m);
        }
    }
    return static_cast<std::uint64_t>(m >> 64);
}

/// Standard normal draw (Marsaglia's polar method; the spare value is discarded so that each
/// call consumes a self-contained number of draws).
template <class G>
double normal(G& rng) noexcept {
    for (;;) {
        const double u = 2.0 * uniform01(rng) - 1.0;
        const double v = 2.0 * uniform01(rng) - 1.0;
        const double s = u * u + v * v;
        if (s > 0.0 && s < 1.0) return u * std::sqrt(-2.0 * std::log(s) / s);
    }
}

/// Normal draw with the given mean and standard deviation.
template <class G>
double normal(G& rng, double mean, double sd) noexcept {
    return mean + sd * normal(rng);
}

/// Exponential draw with the given rate (> 0).
template <class G>
double exponential(G& rng, double rate) noexcept {
    return -std::log(uniform_open01(rng)) / rate;
}

namespace detail::random {

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

/// The tables, built once (thread-safe static).
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
[[gnu::noinline]] double ziggurat_slow(G& rng, const ZigguratTables& t, std::size_t i,
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

/// Standard normal draw by the ziggurat (Marsaglia & Tsang 2000, 256 layers, the layer index
/// and the uniform taken from disjoint bits of one 64-bit draw as in Doornik 2005). Exact;
/// ~99% of draws cost one generator call, a table lookup and a compare (inline).
template <class G>
[[gnu::always_inline]] inline double ziggurat_normal(G& rng, const ZigguratTables& t) noexcept {
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

} // namespace detail::random

/// Gamma(shape, scale 1) sampler with the shape's constants computed once: the one gamma
/// sampler of augur (gamma() and beta() below and the routing posteriors use it), for callers
/// whose shape changes less often than they draw (a posterior redraws until it learns).
/// Marsaglia & Tsang (2000) on ziggurat normals; shape < 1 through the U^(1/shape) boost.
/// Exact. The squeeze u < 1 - k x^4 uses k = 0.0225 / d (d = shape - 1/3) instead of the
/// paper's 0.0331 for every shape: with R(x) = x^2 / 2 + d (1 - v + log v) the squeeze is valid
/// when k >= sup_x (1 - exp R(x)) / x^4, and that supremum times d, computed numerically, falls
/// from 0.02205 at shape 1 to 1/108 as the shape grows; the log test then runs for ~3k of the
/// draws (~10% at shape 1, <1% from shape 8 on). ~3-4 ns a draw, 32 bytes.
/// Thread-safety: a value; const draws may run concurrently, each with its own generator.
/// @code
///   augur::GammaDraw draw(2.5);
///   double g = draw(rng);
/// @endcode
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
    [[gnu::always_inline]] inline double
    operator()(G& rng, const detail::random::ZigguratTables& t) const noexcept {
        const double x = detail::random::ziggurat_normal(rng, t);
        const double cx = 1.0 + c_ * x;
        const double v = cx * cx * cx;
        const double u = detail::random::open_unit_from_bits(rng());
        const double x2 = x * x;
        if (cx > 0.0 && u < 1.0 - squeeze_ * x2 * x2) [[likely]]
            return d_ * v;
        return slow(rng, t, x, v, u);
    }
    template <class G>
    double operator()(G& rng) const noexcept {
        return (*this)(rng, detail::random::ziggurat_tables());
    }

private:
    // Marsaglia & Tsang's full test for the candidate (x, v, u), the shape < 1 boost, and on
    // rejection fresh candidates.
    template <class G>
    [[gnu::noinline]] double slow(G& rng, const detail::random::ZigguratTables& t, double x,
                                  double v, double u) const noexcept {
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
            x = detail::random::ziggurat_normal(rng, t);
            const double cx = 1.0 + c_ * x;
            v = cx * cx * cx;
            u = detail::random::open_unit_from_bits(rng());
        }
    }

    double d_ = 2.0 / 3.0;
    double c_ = 0.408248290463863; // 1 / sqrt(6): shape 1
    double squeeze_ = 0.03375;     // 0.0225 / d (+inf with the boost)
    double inv_shape_ = 0.0;       // 1 / shape when shape < 1, else 0
};

/// Gamma(shape, scale = 1) draw: GammaDraw(shape)(rng) (set up the GammaDraw once to draw the
/// same shape repeatedly). shape > 0 and finite.
template <class G>
double gamma(G& rng, double shape) noexcept {
    AUGUR_ASSERT(shape > 0.0, "gamma: shape must be positive");
    return GammaDraw(shape)(rng);
}

/// Beta(a, b) draw through two gamma draws. a, b > 0.
template <class G>
double beta(G& rng, double a, double b) noexcept {
    const double x = gamma(rng, a);
    const double y = gamma(rng, b);
    return x / (x + y);
}

/// Poisson(mean) draw: Knuth's multiplication method on chunks of mean at most 30 (a sum of
/// independent Poisson draws is Poisson), so it is exact for any mean. O(mean).
template <class G>
std::uint64_t poisson(G& rng, double mean) noexcept {
    AUGUR_ASSERT(mean >= 0.0 && std::isfinite(mean), "poisson: mean must be finite and >= 0");
    std::uint64_t total = 0;
    while (mean > 30.0) {
        total += poisson(rng, 30.0);
        mean -= 30.0;
    }
    const double limit = std::exp(-mean);
    double product = uniform01(rng);
    while (product > limit) {
        ++total;
        product *= uniform01(rng);
    }
    return total;
}

} // namespace v0
} // namespace augur
