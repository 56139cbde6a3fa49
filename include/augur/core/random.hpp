#pragma once

// Seeded random generation that is reproducible on every platform.
//
// Rng is xoshiro256++ (Blackman & Vigna): 256-bit state, period 2^256 - 1, ~1 ns per draw,
// seeded through SplitMix64 so any 64-bit seed (0 included) gives a well-mixed state.
// It satisfies std::uniform_random_bit_generator, but the draws below are written out here so
// that the same seed gives the same numbers with any standard library (the std::
// distributions are implementation-defined).
// Every randomized component in augur takes a seed and owns its Rng.
// Thread-safety: an Rng is a value; use one per thread (see fork()).

#include "augur/core/error.hpp"

#include <bit>
#include <cmath>
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

/// Gamma(shape, scale = 1) draw (Marsaglia & Tsang 2000; shape < 1 by the boost
/// U^(1/shape) trick). shape > 0.
template <class G>
double gamma(G& rng, double shape) noexcept {
    AUGUR_ASSERT(shape > 0.0, "gamma: shape must be positive");
    if (shape < 1.0) {
        const double boost = std::pow(uniform_open01(rng), 1.0 / shape);
        return gamma(rng, shape + 1.0) * boost;
    }
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
        double x = 0.0;
        double v = 0.0;
        do {
            x = normal(rng);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        const double u = uniform_open01(rng);
        if (u < 1.0 - 0.0331 * (x * x) * (x * x)) return d * v;
        if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
    }
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
