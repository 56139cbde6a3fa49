// Throughput of the streaming anomaly detectors (samples per second), on pre-generated data:
// one series, and 1000 series interleaved sample by sample (per-series state lookups and cache
// misses). Build with -DCMAKE_BUILD_TYPE=Release.
//
// To add a detector: one AUGUR_DETECTOR_BENCHMARK(name, expression) line in the list below;
// `expression` builds the detector (it may contain commas).

#include <augur/anomaly/change_point.hpp>
#include <augur/anomaly/ensemble.hpp>
#include <augur/anomaly/trend.hpp>
#include <augur/core/random.hpp>
#include <augur/core/sample.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace {

constexpr std::size_t kSamples = std::size_t(1) << 20;

// kSamples samples of `series` interleaved series, one second apart per series: Gaussian noise
// (100 +- 5) whose level steps by +20 for 4096 samples of the series out of every 8192, and a
// slow leak (+0.01 per sample) over the second half of each step. Generated once per count.
const std::vector<augur::Sample>& samples_for(std::size_t series) {
    static std::map<std::size_t, std::vector<augur::Sample>> cache;
    auto& samples = cache[series];
    if (samples.empty()) {
        augur::Rng rng(2024);
        samples.reserve(kSamples);
        for (std::size_t i = 0; i < kSamples; ++i) {
            const std::size_t k = i / series; // the sample's index within its series
            const std::size_t phase = k % 8192;
            double value = augur::normal(rng, 100.0, 5.0);
            if (phase >= 4096) value += 20.0;
            if (phase >= 6144) value += 0.01 * static_cast<double>(phase - 6144);
            samples.push_back({augur::SeriesId{static_cast<std::uint32_t>(i % series)},
                               augur::from_epoch_seconds(static_cast<double>(k)), value});
        }
    }
    return samples;
}

// Feeds the data set through a detector made by `make`, again and again.
template <class Make>
void detector_throughput(benchmark::State& state, Make make) {
    const auto& samples = samples_for(static_cast<std::size_t>(state.range(0)));
    auto detector = make();
    for (auto _ : state) {
        for (const augur::Sample& sample : samples)
            benchmark::DoNotOptimize(detector.observe(sample));
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(samples.size()));
}

#define AUGUR_DETECTOR_BENCHMARK(name, ...)                                                        \
    BENCHMARK_CAPTURE(detector_throughput, name, [] { return __VA_ARGS__; })                       \
        ->ArgName("series")                                                                        \
        ->Arg(1)                                                                                   \
        ->Arg(1000)                                                                                \
        ->Unit(benchmark::kMillisecond)

// ---- the streaming detectors -------------------------------------------------------------
AUGUR_DETECTOR_BENCHMARK(level_shift, augur::LevelShiftDetector{});
AUGUR_DETECTOR_BENCHMARK(trend_w100, augur::TrendDetector{});
AUGUR_DETECTOR_BENCHMARK(trend_w168_period24,
                         augur::TrendDetector({.window = 168, .learning = 168, .period = 24}));
AUGUR_DETECTOR_BENCHMARK(ensemble_mean_level_shift_trend,
                         augur::Ensemble{augur::LevelShiftDetector{}, augur::TrendDetector{}});
AUGUR_DETECTOR_BENCHMARK(ensemble_rank_level_shift_trend,
                         augur::Ensemble{augur::MeanRank{}, augur::LevelShiftDetector{},
                                         augur::TrendDetector{}});
// (add detectors here)

// ---- building blocks -----------------------------------------------------------------------

// Cusum::update on one stream of doubles.
void cusum_update(benchmark::State& state) {
    const auto& samples = samples_for(1);
    std::vector<double> values;
    values.reserve(samples.size());
    for (const augur::Sample& s : samples)
        values.push_back(s.value);
    augur::Cusum cusum;
    for (auto _ : state) {
        for (double x : values)
            benchmark::DoNotOptimize(cusum.update(x));
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values.size()));
}
BENCHMARK(cusum_update)->Unit(benchmark::kMillisecond);

// TrendDetector on one series against the window size: O(window) per sample.
void trend_window(benchmark::State& state) {
    const auto window = static_cast<std::size_t>(state.range(0));
    const auto& samples = samples_for(1);
    augur::TrendDetector detector({.window = window, .learning = window});
    for (auto _ : state) {
        for (const augur::Sample& sample : samples)
            benchmark::DoNotOptimize(detector.observe(sample));
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(samples.size()));
}
BENCHMARK(trend_window)->RangeMultiplier(4)->Range(16, 1024)->Unit(benchmark::kMillisecond);

} // namespace
