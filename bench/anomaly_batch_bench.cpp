// Batch anomaly models: IsolationForest fit and score (axis-parallel and extended splits), and
// the evaluation metrics, over a range of row counts. 10 columns, 100 trees, max_samples 256,
// one thread unless the name says otherwise.

#include <augur/anomaly/evaluation.hpp>
#include <augur/anomaly/isolation_forest.hpp>
#include <augur/core/random.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

namespace {

Eigen::MatrixXd gaussian(std::int64_t rows, std::int64_t cols) {
    augur::Rng rng{42};
    Eigen::MatrixXd x(rows, cols);
    for (Eigen::Index i = 0; i < x.size(); ++i)
        x.data()[i] = augur::normal(rng);
    return x;
}

template <class Split>
void fit(benchmark::State& state) {
    const Eigen::MatrixXd x = gaussian(state.range(0), 10);
    std::uint64_t seed = 0;
    for (auto _ : state) {
        augur::IsolationForest<Split> forest{{.seed = seed++}};
        forest.fit(x);
        benchmark::DoNotOptimize(forest.node_count());
    }
    state.SetItemsProcessed(state.iterations() * 100); // trees
}

template <class Split>
void score(benchmark::State& state) {
    const Eigen::MatrixXd x = gaussian(state.range(0), 10);
    augur::IsolationForest<Split> forest{{.threads = static_cast<std::size_t>(state.range(1))}};
    forest.fit(x);
    for (auto _ : state) {
        Eigen::VectorXd s = forest.score(x);
        benchmark::DoNotOptimize(s.data());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0)); // rows
}

void BM_IsolationForestFit(benchmark::State& state) {
    fit<augur::AxisParallel>(state);
}
void BM_IsolationForestScore(benchmark::State& state) {
    score<augur::AxisParallel>(state);
}
void BM_ExtendedIsolationForestFit(benchmark::State& state) {
    fit<augur::Extended>(state);
}
void BM_ExtendedIsolationForestScore(benchmark::State& state) {
    score<augur::Extended>(state);
}

// fit + score of every row: the figure compared with scikit-learn in the anchor script.
void BM_IsolationForestFitScore(benchmark::State& state) {
    const Eigen::MatrixXd x = gaussian(state.range(0), 10);
    for (auto _ : state) {
        augur::IsolationForest<> forest;
        Eigen::VectorXd s = forest.fit(x).score(x);
        benchmark::DoNotOptimize(s.data());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_RocAuc(benchmark::State& state) {
    augur::Rng rng{3};
    std::vector<double> scores(static_cast<std::size_t>(state.range(0)));
    std::vector<int> labels(scores.size());
    for (std::size_t i = 0; i < scores.size(); ++i) {
        scores[i] = augur::normal(rng);
        labels[i] = augur::uniform01(rng) < 0.1 ? 1 : 0;
    }
    labels[0] = 1;
    labels[1] = 0;
    for (auto _ : state)
        benchmark::DoNotOptimize(augur::roc_auc(scores, labels));
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

} // namespace

BENCHMARK(BM_IsolationForestFit)
    ->RangeMultiplier(10)
    ->Range(1000, 1000000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ExtendedIsolationForestFit)
    ->RangeMultiplier(10)
    ->Range(1000, 100000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IsolationForestScore)
    ->ArgsProduct({{1000, 10000, 100000, 1000000}, {1}})
    ->Args({1000000, 2})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ExtendedIsolationForestScore)
    ->ArgsProduct({{1000, 10000, 100000}, {1}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IsolationForestFitScore)
    ->RangeMultiplier(10)
    ->Range(10000, 1000000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RocAuc)->RangeMultiplier(10)->Range(1000, 1000000);
