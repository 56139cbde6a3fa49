// Benchmarks of augur::OneClassSvm: fit (RBF, gamma scale, 10 features) over the training size
// and nu, and decision_function throughput. Build in Release (scripts/bench.sh).

#include <augur/anomaly/one_class_svm.hpp>
#include <augur/core/random.hpp>

#include <benchmark/benchmark.h>

namespace {

// A main cloud plus 5% spread-out points, 10 features.
Eigen::MatrixXd make_data(Eigen::Index n, std::uint64_t seed) {
    augur::Rng rng(seed);
    Eigen::MatrixXd x(n, 10);
    for (Eigen::Index r = 0; r < n; ++r) {
        const double spread = augur::uniform01(rng) < 0.05 ? 4.0 : 1.0;
        for (Eigen::Index c = 0; c < x.cols(); ++c)
            x(r, c) = spread * augur::normal(rng);
    }
    return x;
}

void BM_OcsvmFit(benchmark::State& state) {
    const Eigen::MatrixXd x = make_data(state.range(0), 1);
    augur::OneClassSvmConfig config;
    config.nu = static_cast<double>(state.range(1)) / 100.0;
    std::size_t iterations = 0;
    for (auto _ : state) {
        augur::OneClassSvm<> svm(config);
        svm.fit(x);
        iterations = svm.iterations();
        benchmark::DoNotOptimize(svm.rho());
    }
    state.counters["smo_iterations"] = static_cast<double>(iterations);
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_OcsvmFit)
    ->ArgsProduct({benchmark::CreateRange(1000, 8000, 2), {10, 50}})
    ->Unit(benchmark::kMillisecond);

void BM_OcsvmFitLinear(benchmark::State& state) {
    const Eigen::MatrixXd x = make_data(state.range(0), 2);
    for (auto _ : state) {
        augur::LinearOneClassSvm svm({.nu = 0.1});
        svm.fit(x);
        benchmark::DoNotOptimize(svm.rho());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_OcsvmFitLinear)->Range(1000, 8000)->Unit(benchmark::kMillisecond);

// Scoring cost per row grows with the number of support vectors (about nu * n).
void BM_OcsvmDecision(benchmark::State& state) {
    const Eigen::MatrixXd x = make_data(state.range(0), 3);
    const Eigen::MatrixXd queries = make_data(1000, 4);
    augur::OneClassSvm<> svm({.nu = 0.1});
    svm.fit(x);
    for (auto _ : state) {
        Eigen::VectorXd d = svm.decision_function(queries);
        benchmark::DoNotOptimize(d.data());
    }
    state.counters["support_vectors"] = static_cast<double>(svm.support().size());
    state.SetItemsProcessed(state.iterations() * queries.rows());
}
BENCHMARK(BM_OcsvmDecision)->Range(1000, 8000)->Unit(benchmark::kMicrosecond);

} // namespace
