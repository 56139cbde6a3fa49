// Throughput of the streaming detectors (samples per second, after the learning period):
// z-score (EWMA and window), robust median/MAD, seasonal and the default detector, for one
// series and for many interleaved series.

#include <augur/anomaly/default_detector.hpp>
#include <augur/anomaly/robust.hpp>
#include <augur/anomaly/seasonal.hpp>
#include <augur/anomaly/zscore.hpp>
#include <augur/core/random.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <vector>

namespace {

/// 5-minute samples of `series` interleaved series: a daily cycle plus noise and rare spikes.
std::vector<augur::Sample> make_samples(std::size_t n, std::uint32_t series) {
    augur::Rng rng(42);
    std::vector<augur::Sample> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t t = i / series;
        double x = 100.0 + 30.0 * std::sin(2.0 * std::numbers::pi * double(t % 288) / 288.0) +
                   augur::normal(rng, 0.0, 3.0);
        if (augur::uniform01(rng) < 0.001) x += 100.0;
        out.push_back({augur::SeriesId{static_cast<std::uint32_t>(i % series)},
                       augur::from_epoch_seconds(1.4e9 + 300.0 * double(t)), x});
    }
    return out;
}

/// Feeds `warm` samples first (learning), then times observe over the rest, cycling.
template <class Detector>
void run(benchmark::State& state, Detector& detector, std::uint32_t series, std::size_t warm) {
    const std::size_t n = std::max<std::size_t>(warm + (1u << 16), 1u << 18);
    const auto samples = make_samples(n, series);
    for (std::size_t i = 0; i < warm; ++i)
        detector.observe(samples[i]);
    std::size_t i = warm;
    double sink = 0.0;
    for (auto _ : state) {
        sink += detector.observe(samples[i]).score;
        if (++i == samples.size()) i = warm;
    }
    benchmark::DoNotOptimize(sink);
    state.SetItemsProcessed(state.iterations());
}

void BM_EwmaZScore(benchmark::State& state) {
    const auto series = static_cast<std::uint32_t>(state.range(0));
    augur::EwmaZScore detector;
    run(state, detector, series, 100 * series);
}
BENCHMARK(BM_EwmaZScore)->RangeMultiplier(16)->Range(1, 4096);

void BM_WindowZScore(benchmark::State& state) {
    augur::WindowZScore detector({},
                                 augur::WindowBaseline{static_cast<std::size_t>(state.range(0))});
    run(state, detector, 1, 2 * static_cast<std::size_t>(state.range(0)));
}
BENCHMARK(BM_WindowZScore)->RangeMultiplier(8)->Range(16, 4096);

void BM_Robust(benchmark::State& state) {
    const auto window = static_cast<std::size_t>(state.range(0));
    augur::RobustDetector detector({.window = window, .learning = 30});
    run(state, detector, 1, 2 * window);
}
BENCHMARK(BM_Robust)->RangeMultiplier(8)->Range(32, 2048);

void BM_RobustExactMad(benchmark::State& state) {
    const auto window = static_cast<std::size_t>(state.range(0));
    augur::RobustDetector detector({.window = window, .learning = 30, .exact_mad = true});
    run(state, detector, 1, 2 * window);
}
BENCHMARK(BM_RobustExactMad)->RangeMultiplier(8)->Range(32, 2048);

void BM_Seasonal(benchmark::State& state) {
    const auto series = static_cast<std::uint32_t>(state.range(0));
    augur::SeasonalDetector detector({.period = 288, .learning = 3 * 288});
    run(state, detector, series, 4 * 288 * series);
}
BENCHMARK(BM_Seasonal)->RangeMultiplier(16)->Range(1, 256);

void BM_DefaultDetector(benchmark::State& state) {
    const auto series = static_cast<std::uint32_t>(state.range(0));
    augur::DefaultDetector detector;
    run(state, detector, series, 3000 * series);
}
BENCHMARK(BM_DefaultDetector)->RangeMultiplier(8)->Range(1, 64);

} // namespace
