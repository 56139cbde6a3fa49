// Throughput of the core streaming primitives: statistics, windows and quantiles.
// Every loop reads values from a pre-generated array (no RNG in the timed loop) and reports
// items per second.

#include <augur/core/quantile.hpp>
#include <augur/core/random.hpp>
#include <augur/core/stats.hpp>
#include <augur/core/window.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <vector>

namespace {

constexpr std::size_t data_size = 1 << 16; // a power of two: index with a mask

// Latency-like values: lognormal around 100 ms.
const std::vector<double>& latencies() {
    static const std::vector<double> data = [] {
        augur::Rng rng(42);
        std::vector<double> out(data_size);
        for (double& x : out)
            x = 100.0 * std::exp(augur::normal(rng, 0.0, 0.7));
        return out;
    }();
    return data;
}

// Quantile levels in [0.01, 0.99], so each query walks a different path.
const std::vector<double>& levels() {
    static const std::vector<double> data = [] {
        augur::Rng rng(7);
        std::vector<double> out(data_size);
        for (double& q : out)
            q = augur::uniform(rng, 0.01, 0.99);
        return out;
    }();
    return data;
}

// Processes the whole array once per iteration.
template <class Push>
void run_over_data(benchmark::State& state, Push push) {
    const std::vector<double>& data = latencies();
    for (auto _ : state) {
        for (double x : data)
            push(x);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(data.size()));
}

void BM_RunningStats_push(benchmark::State& state) {
    augur::RunningStats stats;
    run_over_data(state, [&](double x) { stats.push(x); });
    benchmark::DoNotOptimize(stats);
}
BENCHMARK(BM_RunningStats_push);

void BM_Ewma_push(benchmark::State& state) {
    auto ewma = augur::Ewma::from_half_life(50.0);
    run_over_data(state, [&](double x) { ewma.push(x); });
    benchmark::DoNotOptimize(ewma);
}
BENCHMARK(BM_Ewma_push);

void BM_Ewma_push_timed(benchmark::State& state) {
    // Irregular spacing: the elapsed time is the value itself read as milliseconds, so the
    // decay (one exp2) is computed per update, not hoisted out of the loop.
    auto ewma = augur::Ewma::from_alpha(0.1);
    const augur::Duration half_life = std::chrono::seconds(10);
    run_over_data(state, [&](double x) {
        ewma.push(x, augur::Duration(static_cast<std::int64_t>(x * 1e6)), half_life);
    });
    benchmark::DoNotOptimize(ewma);
}
BENCHMARK(BM_Ewma_push_timed);

void BM_MinMax_push(benchmark::State& state) {
    augur::MinMax minmax;
    run_over_data(state, [&](double x) { minmax.push(x); });
    benchmark::DoNotOptimize(minmax);
}
BENCHMARK(BM_MinMax_push);

void BM_RingBuffer_push(benchmark::State& state) {
    augur::RingBuffer<double> ring(static_cast<std::size_t>(state.range(0)));
    run_over_data(state, [&](double x) {
        auto evicted = ring.push(x);
        benchmark::DoNotOptimize(evicted);
    });
    benchmark::DoNotOptimize(ring.back());
}
BENCHMARK(BM_RingBuffer_push)->RangeMultiplier(16)->Range(64, 16384);

void BM_TimeWindow_push(benchmark::State& state) {
    // One sample per 10 ms into a window of range(0) * 10 ms (the time limit binds).
    const auto span = std::chrono::milliseconds(10 * state.range(0));
    augur::TimeWindow<double> window(span, static_cast<std::size_t>(2 * state.range(0)));
    augur::Timestamp t{};
    const augur::Duration step = std::chrono::milliseconds(10);
    run_over_data(state, [&](double x) {
        t += step;
        benchmark::DoNotOptimize(window.push(t, x));
    });
    benchmark::DoNotOptimize(window.back());
}
BENCHMARK(BM_TimeWindow_push)->RangeMultiplier(16)->Range(64, 16384);

void BM_SlidingQuantile_push(benchmark::State& state) {
    augur::SlidingQuantile sq(static_cast<std::size_t>(state.range(0)));
    run_over_data(state, [&](double x) { benchmark::DoNotOptimize(sq.push(x)); });
    benchmark::DoNotOptimize(sq.median());
}
BENCHMARK(BM_SlidingQuantile_push)->RangeMultiplier(4)->Range(64, 4096);

void BM_SlidingQuantile_quantile(benchmark::State& state) {
    const std::vector<double>& data = latencies();
    augur::SlidingQuantile sq(static_cast<std::size_t>(state.range(0)));
    for (double x : data)
        sq.push(x);
    const std::vector<double>& qs = levels();
    std::size_t i = 0;
    for (auto _ : state)
        benchmark::DoNotOptimize(sq.quantile(qs[i++ & (data_size - 1)]));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SlidingQuantile_quantile)->RangeMultiplier(4)->Range(64, 4096);

void BM_QuantileSketch_push(benchmark::State& state) {
    augur::QuantileSketch sketch;
    run_over_data(state, [&](double x) { benchmark::DoNotOptimize(sketch.push(x)); });
    benchmark::DoNotOptimize(sketch.count());
}
BENCHMARK(BM_QuantileSketch_push);

void BM_QuantileSketch_quantile(benchmark::State& state) {
    const std::vector<double>& data = latencies();
    augur::QuantileSketch sketch;
    for (double x : data)
        sketch.push(x);
    const std::vector<double>& qs = levels();
    std::size_t i = 0;
    for (auto _ : state)
        benchmark::DoNotOptimize(sketch.quantile(qs[i++ & (data_size - 1)]));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QuantileSketch_quantile);

} // namespace
