// Per-series cost of the default detector over the number of series (1, 1k, 10k, 100k):
// samples per second and heap bytes per series, each series fed the same number of samples.
//   fresh/N     a new detector, N series x 10 samples (all still learning, as most series of
//               a large Prometheus server are short): what `augur detect` pays per series;
//   learned/N   learning = 20, N series x 100 samples (80 scored each): learning, the end of
//               learning and scoring, from a new detector;
//   steady/N    learning = 20, every series already past learning (50 samples each, untimed):
//               the time of one more round of N samples, one per series (the scoring path).
// The time per sample must not grow with N; bytes_per_series is the heap the detector holds
// after the feed divided by N (counted by replacing the global operator new / delete).

#include <augur/anomaly/default_detector.hpp>
#include <augur/core/random.hpp>

#include <benchmark/benchmark.h>

#include <malloc.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

namespace {
std::atomic<std::int64_t> live_bytes{0};
} // namespace

// malloc / free behind operator new / delete, which GCC's inliner reports as a mismatch.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
    void* p = std::malloc(size == 0 ? 1 : size);
    if (p == nullptr) throw std::bad_alloc();
    live_bytes.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)),
                         std::memory_order_relaxed);
    return p;
}
void operator delete(void* p) noexcept {
    if (p == nullptr) return;
    live_bytes.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)),
                         std::memory_order_relaxed);
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    operator delete(p);
}

namespace {

/// `per_series` samples of each of `series` series, interleaved (one round per time step).
std::vector<augur::Sample> make_samples(std::uint32_t series, std::size_t per_series) {
    augur::Rng rng(7);
    std::vector<augur::Sample> out;
    out.reserve(series * per_series);
    for (std::size_t t = 0; t < per_series; ++t)
        for (std::uint32_t s = 0; s < series; ++s)
            out.push_back({augur::SeriesId{s}, augur::from_epoch_seconds(1.7e9 + 60.0 * double(t)),
                           augur::normal(rng, 10.0, 1.0)});
    return out;
}

void run(benchmark::State& state, augur::DefaultDetectorConfig config, std::size_t per_series) {
    const auto series = static_cast<std::uint32_t>(state.range(0));
    const std::vector<augur::Sample> samples = make_samples(series, per_series);
    double sink = 0.0;
    std::int64_t bytes = 0;
    for (auto _ : state) {
        const std::int64_t before = live_bytes.load();
        auto start = std::chrono::steady_clock::now();
        {
            augur::DefaultDetector detector(config);
            for (const augur::Sample& s : samples)
                sink += detector.observe(s).score;
            const auto stop = std::chrono::steady_clock::now();
            state.SetIterationTime(std::chrono::duration<double>(stop - start).count());
            bytes = live_bytes.load() - before;
        }
    }
    benchmark::DoNotOptimize(sink);
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(samples.size()));
    state.counters["bytes_per_series"] = static_cast<double>(bytes) / series;
}

void BM_DefaultDetector_fresh(benchmark::State& state) {
    run(state, augur::DefaultDetectorConfig{}, 10);
}
BENCHMARK(BM_DefaultDetector_fresh)
    ->Arg(1)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_DefaultDetector_learned(benchmark::State& state) {
    augur::DefaultDetectorConfig config;
    config.learning = 20;
    run(state, config, 100);
}
BENCHMARK(BM_DefaultDetector_learned)
    ->Arg(1)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_DefaultDetector_steady(benchmark::State& state) {
    const auto series = static_cast<std::uint32_t>(state.range(0));
    augur::DefaultDetectorConfig config;
    config.learning = 20;
    const std::int64_t before = live_bytes.load();
    augur::DefaultDetector detector(config);
    for (const augur::Sample& s : make_samples(series, 50))
        (void)detector.observe(s);
    const double bytes = static_cast<double>(live_bytes.load() - before) / series;
    augur::Rng rng(11);
    std::vector<augur::Sample> round(series);
    double sink = 0.0;
    std::size_t t = 50;
    for (auto _ : state) {
        for (std::uint32_t s = 0; s < series; ++s)
            round[s] = {augur::SeriesId{s}, augur::from_epoch_seconds(1.7e9 + 60.0 * double(t)),
                        augur::normal(rng, 10.0, 1.0)};
        ++t;
        const auto start = std::chrono::steady_clock::now();
        for (const augur::Sample& s : round)
            sink += detector.observe(s).score;
        state.SetIterationTime(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    benchmark::DoNotOptimize(sink);
    state.SetItemsProcessed(state.iterations() * series);
    state.counters["bytes_per_series"] = bytes;
}
BENCHMARK(BM_DefaultDetector_steady)
    ->Arg(1)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

} // namespace
