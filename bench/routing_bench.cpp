// Routing throughput: choose + observe per second for the router's policies, and the cost of
// the pieces (posterior draws, rewards, propensities, the locked and the sharded router).

#include <augur/core/random.hpp>
#include <augur/routing/change_detecting.hpp>
#include <augur/routing/concurrent_router.hpp>
#include <augur/routing/linear_gaussian.hpp>
#include <augur/routing/router.hpp>
#include <augur/routing/sharded_router.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <memory>
#include <vector>

namespace {

template <class RouterType>
void add_arms(RouterType& router, std::int64_t k) {
    for (std::int64_t i = 0; i < k; ++i)
        router.add_arm("arm" + std::to_string(i));
}

// Arm i succeeds with probability 0.5 + 0.4 i / K.
double success_probability(std::uint32_t arm, std::int64_t k) {
    return 0.5 + 0.4 * static_cast<double>(arm) / static_cast<double>(k);
}

template <class RouterType>
void run_choose_observe(benchmark::State& state, RouterType& router) {
    const std::int64_t k = state.range(0);
    add_arms(router, k);
    std::vector<double> p(static_cast<std::size_t>(k));
    for (std::int64_t i = 0; i < k; ++i)
        p[static_cast<std::size_t>(i)] = success_probability(static_cast<std::uint32_t>(i), k);
    augur::Rng env(99);
    for (auto _ : state) {
        const auto arm = router.choose();
        const double r = augur::uniform01(env) < p[augur::to_index(*arm)] ? 1.0 : 0.0;
        router.observe(*arm, r);
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["arms"] = static_cast<double>(k);
}

// Plain Thompson sampling: a Beta draw for every arm on every decision.
void BM_ChooseObserve_BetaBernoulli(benchmark::State& state) {
    augur::ThompsonRouter router({.seed = 1}, {}, {}, augur::ScalarReward(0.0, 1.0));
    run_choose_observe(state, router);
}
BENCHMARK(BM_ChooseObserve_BetaBernoulli)->Arg(2)->Arg(4)->Arg(8)->Arg(16)->Arg(64);

// The default selection: epsilon-exploring Thompson sampling, about two draws per decision.
void BM_ChooseObserve_EpsilonThompson(benchmark::State& state) {
    augur::EpsilonThompsonRouter router({.seed = 1}, {}, {}, augur::ScalarReward(0.0, 1.0));
    run_choose_observe(state, router);
}
BENCHMARK(BM_ChooseObserve_EpsilonThompson)->Arg(4)->Arg(16)->Arg(64);

void BM_ChooseObserve_WeightedOutcome(benchmark::State& state) {
    augur::Router<> router({.seed = 1});
    const std::int64_t k = state.range(0);
    add_arms(router, k);
    augur::Rng env(3);
    for (auto _ : state) {
        const auto arm = router.choose();
        const double p = success_probability(augur::to_index(*arm), k);
        router.observe(*arm, {.success = augur::uniform01(env) < p ? 1.0 : 0.0,
                              .latency = 2.0 * augur::uniform01(env),
                              .cache = 0.5,
                              .cost = 0.01});
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ChooseObserve_WeightedOutcome)->Arg(4)->Arg(16);

void BM_ChooseObserve_Discounted(benchmark::State& state) {
    augur::Router<augur::BetaBernoulli, augur::Discounted, augur::ScalarReward> router(
        {.seed = 1}, {}, augur::Discounted(0.999), augur::ScalarReward(0.0, 1.0));
    run_choose_observe(state, router);
}
BENCHMARK(BM_ChooseObserve_Discounted)->Arg(4)->Arg(16);

void BM_ChooseObserve_SlidingWindow(benchmark::State& state) {
    augur::Router<augur::BetaBernoulli, augur::SlidingWindow, augur::ScalarReward> router(
        {.seed = 1}, {}, augur::SlidingWindow(1000), augur::ScalarReward(0.0, 1.0));
    run_choose_observe(state, router);
}
BENCHMARK(BM_ChooseObserve_SlidingWindow)->Arg(4)->Arg(16);

void BM_ChooseObserve_ChangeDetecting(benchmark::State& state) {
    augur::Router<augur::BetaBernoulli, augur::ChangeDetecting, augur::ScalarReward> router(
        {.seed = 1}, {}, augur::ChangeDetecting{}, augur::ScalarReward(0.0, 1.0));
    run_choose_observe(state, router);
}
BENCHMARK(BM_ChooseObserve_ChangeDetecting)->Arg(4)->Arg(16);

void BM_ChooseObserve_NormalGamma(benchmark::State& state) {
    augur::Router<augur::NormalGamma, augur::NoForgetting, augur::ScalarReward> router(
        {.seed = 1}, {}, {}, augur::ScalarReward(0.0, 1.0));
    run_choose_observe(state, router);
}
BENCHMARK(BM_ChooseObserve_NormalGamma)->Arg(4)->Arg(16);

void BM_ChooseObserve_KlUcb(benchmark::State& state) {
    augur::KlUcbRouter router({.seed = 1}, {}, {}, augur::ScalarReward(0.0, 1.0));
    run_choose_observe(state, router);
}
BENCHMARK(BM_ChooseObserve_KlUcb)->Arg(4)->Arg(16);

void BM_ChooseObserve_LinearGaussian(benchmark::State& state) {
    const auto d = static_cast<std::size_t>(state.range(0));
    augur::Router<augur::LinearGaussian, augur::NoForgetting, augur::ScalarReward> router(
        {.seed = 1}, augur::LinearGaussian(d), {}, augur::ScalarReward(0.0, 1.0));
    add_arms(router, 4);
    augur::Rng env(5);
    std::vector<double> x(d, 0.0);
    for (auto _ : state) {
        x[0] = 1.0;
        for (std::size_t j = 1; j < d; ++j)
            x[j] = augur::uniform01(env);
        const auto arm = router.choose(x);
        const double p = 0.3 + 0.5 * x[1 % d] * (augur::to_index(*arm) % 2 ? 1.0 : 0.5);
        router.observe(*arm, augur::uniform01(env) < p ? 1.0 : 0.0, x);
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["dimension"] = static_cast<double>(d);
}
BENCHMARK(BM_ChooseObserve_LinearGaussian)->Arg(4)->Arg(16);

void BM_Decide_Propensity(benchmark::State& state) {
    augur::Router<augur::BetaBernoulli, augur::NoForgetting, augur::ScalarReward> router(
        {.seed = 1, .propensity_draws = static_cast<std::uint32_t>(state.range(0))}, {}, {},
        augur::ScalarReward(0.0, 1.0));
    add_arms(router, 4);
    augur::Rng env(7);
    for (auto _ : state) {
        const auto d = router.decide();
        const double p = success_probability(augur::to_index(d->arm), 4);
        router.observe(*d, augur::uniform01(env) < p ? 1.0 : 0.0);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Decide_Propensity)->Arg(100)->Arg(1000);

// Routers shared by the benchmark's threads (16 arms): one Router under one mutex, and a
// ShardedRouter (one shard per hardware thread) without and with a (never reached) capacity
// on every arm, whose global in-flight counts are then taken by compare-and-swap.
using Binary = augur::Router<augur::BetaBernoulli, augur::NoForgetting, augur::ScalarReward>;

augur::ConcurrentRouter<Binary>& concurrent_router() {
    static augur::ConcurrentRouter<Binary> router(augur::RouterConfig{.seed = 1},
                                                  augur::BetaBernoulli{}, augur::NoForgetting{},
                                                  augur::ScalarReward(0.0, 1.0));
    static const bool arms = [] {
        add_arms(router, 16);
        return true;
    }();
    (void)arms;
    return router;
}

augur::ShardedRouter<Binary>& sharded_router(std::uint32_t capacity) {
    const auto make = [](std::uint32_t c) {
        auto* router = new augur::ShardedRouter<Binary>(
            augur::ShardedConfig{.router = {.seed = 1}}, augur::BetaBernoulli{},
            augur::NoForgetting{}, augur::ScalarReward(0.0, 1.0));
        for (int i = 0; i < 16; ++i)
            router->add_arm("arm" + std::to_string(i), c);
        return router;
    };
    static augur::ShardedRouter<Binary>& unlimited = *make(augur::unlimited_capacity);
    static augur::ShardedRouter<Binary>& limited = *make(1000000);
    return capacity == augur::unlimited_capacity ? unlimited : limited;
}

template <class SharedRouter>
void run_shared(benchmark::State& state, SharedRouter& router) {
    augur::Rng env(static_cast<std::uint64_t>(state.thread_index()) + 11);
    for (auto _ : state) {
        const auto arm = router.choose();
        const double p = success_probability(augur::to_index(*arm), 16);
        router.observe(*arm, augur::uniform01(env) < p ? 1.0 : 0.0);
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_ChooseObserve_Concurrent16(benchmark::State& state) {
    run_shared(state, concurrent_router());
}
BENCHMARK(BM_ChooseObserve_Concurrent16)->Threads(1)->Threads(2)->UseRealTime();

void BM_ChooseObserve_Sharded16(benchmark::State& state) {
    run_shared(state, sharded_router(augur::unlimited_capacity));
}
BENCHMARK(BM_ChooseObserve_Sharded16)->Threads(1)->Threads(2)->UseRealTime();

void BM_ChooseObserve_Sharded16_Capacity(benchmark::State& state) {
    run_shared(state, sharded_router(1000000));
}
BENCHMARK(BM_ChooseObserve_Sharded16_Capacity)->Threads(1)->Threads(2)->UseRealTime();

void BM_BetaDraw_Fast(benchmark::State& state) {
    augur::BetaBernoulli p;
    p.update(1.0, 900.0);
    p.update(0.0, 100.0);
    augur::Rng rng(1);
    for (auto _ : state)
        benchmark::DoNotOptimize(p.sample(rng));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BetaDraw_Fast);

void BM_BetaDraw_Core(benchmark::State& state) {
    augur::Rng rng(1);
    for (auto _ : state)
        benchmark::DoNotOptimize(augur::beta(rng, 901.0, 101.0));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BetaDraw_Core);

} // namespace
