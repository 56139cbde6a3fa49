// Uses augur through its umbrella header: intern a series, stream samples through a guard
// into running statistics, and print the mean (expected 2).
#include <augur/augur.hpp>

#include <cmath>
#include <cstdio>

int main() {
    augur::SeriesRegistry registry;
    const augur::SeriesId id = registry.intern("agent/a1/latency_ms");
    augur::InputGuard guard;
    augur::RunningStats stats;
    const double values[] = {1.0, 2.0, std::nan(""), 3.0};
    for (int i = 0; i < 4; ++i) {
        if (auto s = guard.admit({id, augur::from_epoch_seconds(i), values[i]}))
            stats.push(s->value);
    }
    std::printf("%s mean=%g skipped=%llu\n", registry.name(id).c_str(), stats.mean(),
                static_cast<unsigned long long>(guard.counters().skipped));
    return stats.mean() == 2.0 && guard.counters().skipped == 1 ? 0 : 1;
}
