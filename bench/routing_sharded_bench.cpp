// ShardedRouter throughput: choose + observe per second in total over 1 and 2 threads, to
// compare with BM_ChooseObserve_Concurrent16 (one Router under one mutex) in routing_bench.cpp.

#include <augur/core/random.hpp>
#include <augur/routing/sharded_router.hpp>

#include <benchmark/benchmark.h>

#include <string>

namespace {

using Binary = augur::Router<augur::BetaBernoulli, augur::NoForgetting, augur::ScalarReward>;

// Arm i succeeds with probability 0.5 + 0.4 i / K.
double success_probability(std::uint32_t arm, std::int64_t k) {
    return 0.5 + 0.4 * static_cast<double>(arm) / static_cast<double>(k);
}

// The sharded router shared by the benchmark's threads: one shard per hardware thread, 16
// arms; `capacity` 0 = unlimited.
augur::ShardedRouter<Binary>& shared_router(std::uint32_t capacity) {
    const auto make = [](std::uint32_t c) {
        auto* router = new augur::ShardedRouter<Binary>(
            augur::ShardedConfig{.router = {.seed = 1}}, augur::BetaBernoulli{},
            augur::NoForgetting{}, augur::ScalarReward(0.0, 1.0));
        for (int i = 0; i < 16; ++i)
            router->add_arm("arm" + std::to_string(i), c);
        return router;
    };
    static augur::ShardedRouter<Binary>& unlimited = *make(0);
    static augur::ShardedRouter<Binary>& limited = *make(1000000);
    return capacity == 0 ? unlimited : limited;
}

void run(benchmark::State& state, std::uint32_t capacity) {
    auto& router = shared_router(capacity);
    augur::Rng env(static_cast<std::uint64_t>(state.thread_index()) + 11);
    for (auto _ : state) {
        const auto arm = router.choose();
        const double p = success_probability(augur::to_index(*arm), 16);
        router.observe(*arm, augur::uniform01(env) < p ? 1.0 : 0.0);
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["shards"] =
        benchmark::Counter(static_cast<double>(router.shards()), benchmark::Counter::kAvgThreads);
}

void BM_ChooseObserve_Sharded16(benchmark::State& state) {
    run(state, 0);
}
BENCHMARK(BM_ChooseObserve_Sharded16)->Threads(1)->Threads(2)->UseRealTime();

// The same with a (never reached) capacity on every arm: the global in-flight counts are
// taken by compare-and-swap instead of an increment.
void BM_ChooseObserve_Sharded16_Capacity(benchmark::State& state) {
    run(state, 1000000);
}
BENCHMARK(BM_ChooseObserve_Sharded16_Capacity)->Threads(1)->Threads(2)->UseRealTime();

} // namespace
