// Quickstart: a per-series summary of a metric stream.
//
//   augur_quickstart               the embedded agent-fleet data set (4 agents, 14 days)
//   augur_quickstart metrics.csv   a CSV file, long (series,timestamp,value) or wide
//                                  (timestamp,<series>,...)

#include <augur/core/input_policy.hpp>
#include <augur/core/io/sample_reader.hpp>
#include <augur/core/summary.hpp>
#include <augur/datasets/agent_fleet.hpp>

#include <cstdio>
#include <filesystem>
#include <utility>

int main(int argc, char** argv) {
    augur::SeriesRegistry registry; // series names <-> dense ids
    augur::InputGuard guard;        // drops NaN/inf and out-of-order samples, and counts them
    augur::Summarizer summarizer;   // exact per-series statistics
    auto consume = [&](const augur::Sample& sample) {
        if (auto admitted = guard.admit(sample)) summarizer.observe(*admitted);
    };

    try {
        if (argc > 1) {
            augur::io::SampleReader reader{std::filesystem::path{argv[1]}, registry};
            for (const augur::Sample& sample : reader)
                consume(sample);
        } else {
            augur::AgentFleet fleet = augur::make_agent_fleet();
            registry = std::move(fleet.registry);
            for (const augur::Sample& sample : fleet.samples)
                consume(sample);
            std::printf("Embedded data set: %zu samples; injected incidents:\n",
                        fleet.samples.size());
            for (const augur::Incident& incident : fleet.incidents)
                std::printf("  %s  %s\n", augur::to_iso8601(incident.start).c_str(),
                            incident.description.c_str());
            std::printf("\n");
        }
    } catch (const augur::error& e) { // a malformed file: "FILE:LINE:COL: what is wrong"
        std::fprintf(stderr, "quickstart: %s\n", e.what());
        return 1;
    }

    std::printf("%-28s %7s %11s %11s %11s %11s %11s\n", "series", "count", "mean", "sd", "p50",
                "p95", "max");
    for (const augur::SeriesSummary& s : summarizer.summaries())
        std::printf("%-28s %7llu %11.6g %11.6g %11.6g %11.6g %11.6g\n",
                    registry.name(s.series).c_str(), static_cast<unsigned long long>(s.count),
                    s.mean, s.sd, s.p50, s.p95, s.max);
    if (!guard.counters().clean())
        std::fprintf(stderr, "note: %s\n", guard.counters().describe().c_str());
    return 0;
}
