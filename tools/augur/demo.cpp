// augur demo: the workflow on the embedded agent-fleet data set: generate it, summarize every
// series, list the injected incidents, then stream the data through the default anomaly
// detector and show which incidents it found, how early, and what else it raised.
// With --emit-data it writes the data set as long CSV for the other commands instead.

#include "commands.hpp"
#include "common.hpp"

#include <augur/anomaly/classify.hpp>
#include <augur/anomaly/default_detector.hpp>
#include <augur/anomaly/evaluation.hpp>
#include <augur/core/io/writer.hpp>
#include <augur/core/stream.hpp>
#include <augur/core/summary.hpp>
#include <augur/datasets/agent_fleet.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace augur_tool {
namespace {

struct DemoOptions {
    bool emit_data = false;
    std::size_t days = 14;
    std::size_t agents = 4;
    std::uint64_t seed = 42;
    bool no_incidents = false;
    std::string output = "-";
};

void emit_data(std::ostream& out, const augur::AgentFleet& fleet) {
    augur::io::CsvWriter csv{out};
    csv.row({"series", "timestamp", "value"});
    for (const augur::Sample& s : fleet.samples)
        csv.field(fleet.registry.name(s.series))
            .field(augur::to_iso8601(s.time))
            .field(s.value)
            .end_row();
}

void print_report(std::ostream& out, const augur::AgentFleetConfig& config,
                  const augur::AgentFleet& fleet) {
    out << "augur demo: " << config.agents << " agents, " << config.days << " days from "
        << augur::to_iso8601(config.start) << " every " << augur::to_seconds(config.interval) / 60.0
        << " min, seed " << config.seed << " (" << fleet.samples.size() << " samples in "
        << fleet.registry.size() << " series)\n\n";

    augur::Summarizer summarizer;
    augur::feed(fleet.samples, summarizer);
    out << "Per-series summary:\n";
    print_summary_table(out, fleet.registry, summarizer.summaries());

    out << "\nInjected incidents (" << fleet.incidents.size() << "):\n";
    std::size_t kind_width = 0;
    for (const augur::Incident& i : fleet.incidents)
        kind_width = std::max(kind_width, std::string(augur::to_string(i.kind)).size());
    for (const augur::Incident& i : fleet.incidents) {
        const std::string kind = augur::to_string(i.kind);
        out << "  " << augur::to_iso8601(i.start) << " .. " << augur::to_iso8601(i.end) << "  "
            << kind << std::string(kind_width - kind.size(), ' ') << "  " << i.description << '\n';
    }
    if (fleet.incidents.empty()) out << "  (none)\n";
}

// Streams the data set through the default detector and reports, per injected incident, the
// first anomaly on one of its series during it (augur::evaluate_incidents); then counts the
// serious anomalies elsewhere.
void print_detection(std::ostream& out, const augur::AgentFleet& fleet) {
    augur::DefaultDetector detector;
    augur::Annotator<> annotator;
    std::vector<augur::AnomalyResult> anomalies;
    for (const augur::Sample& sample : fleet.samples) {
        const augur::Detection detection = detector.observe(sample);
        if (auto anomaly =
                annotator.annotate(sample, detection, fleet.registry.key(sample.series), "default"))
            anomalies.push_back(std::move(*anomaly));
    }

    std::vector<augur::IncidentWindow> windows;
    for (const augur::Incident& i : fleet.incidents)
        // [start, end]: the incident's end is exclusive in the data set, but the first sample
        // after it (the metric returning to normal) is part of what it causes.
        windows.push_back({i.start, i.end, i.series});
    std::vector<augur::TimedDetection> alarms;
    for (const augur::AnomalyResult& a : anomalies)
        alarms.push_back({a.series, a.time, true});
    const augur::IncidentMetrics metrics = augur::evaluate_incidents(windows, alarms);

    out << "\nDetection (default detector, " << anomalies.size() << " anomalies in "
        << fleet.samples.size() << " samples):\n";
    for (std::size_t k = 0; k < fleet.incidents.size(); ++k) {
        const augur::Incident& incident = fleet.incidents[k];
        const augur::IncidentOutcome& outcome = metrics.incidents[k];
        out << "  " << augur::to_string(incident.kind) << " (" << incident.agent << "): ";
        if (!outcome.detected) {
            out << "missed\n";
            continue;
        }
        const augur::AnomalyResult& first = anomalies[*outcome.first];
        const double minutes = augur::to_seconds(outcome.delay) / 60.0;
        out << "found after " << minutes << " min as " << augur::to_string(first.type) << ", "
            << augur::to_string(first.severity) << "\n      " << first.explanation << '\n';
    }
    std::size_t serious_elsewhere = 0;
    for (const std::size_t i : metrics.false_alarms)
        if (anomalies[i].severity >= augur::Severity::error) ++serious_elsewhere;
    out << "  " << metrics.detected << " of " << fleet.incidents.size() << " incidents found; "
        << serious_elsewhere
        << " anomalies of severity error or critical outside them (heavy-tailed latency and\n"
           "  bursty queues make some of those real outliers rather than false alarms).\n";
}

void run_demo(const DemoOptions& options) {
    augur::AgentFleetConfig config;
    config.days = options.days;
    config.agents = options.agents;
    config.seed = options.seed;
    config.inject_incidents = !options.no_incidents;
    config.validate(); // a bad option is a usage error (exit 2), checked before any output

    Output output{options.output};
    const augur::AgentFleet fleet = augur::make_agent_fleet(config);
    if (options.emit_data)
        emit_data(output.stream(), fleet);
    else {
        print_report(output.stream(), config, fleet);
        print_detection(output.stream(), fleet);
    }
    output.finish();
}

} // namespace

void add_demo_command(CLI::App& app) {
    auto options = std::make_shared<DemoOptions>();
    CLI::App* command =
        app.add_subcommand("demo", "The end-to-end workflow on the embedded agent-fleet data set");
    command->add_flag("--emit-data", options->emit_data,
                      "Write the data set as long CSV (series,timestamp,value) instead");
    command->add_option("--days", options->days, "Days of data (>= 5 with incidents)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command->add_option("--agents", options->agents, "Number of agents (1..1000)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command->add_option("--seed", options->seed, "Random seed of the data set")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    command->add_flag("--no-incidents", options->no_incidents, "Do not inject incidents");
    add_output_option(*command, options->output);
    command->footer("The data set: agents planner, coder, reviewer, retriever (then agent-5...)\n"
                    "with latency_ms, tokens, success, cost, cpu, memory_mb and queue_depth every\n"
                    "5 minutes, daily and weekly seasonality, and one injected incident of each\n"
                    "kind (latency spike, error-rate spike, memory leak, throughput drop,\n"
                    "resource spike) after the first 3 days.\n"
                    "Examples:\n"
                    "  augur demo\n"
                    "  augur demo --agents 6 --days 7 --seed 1\n"
                    "  augur demo --emit-data -o fleet.csv && augur summarize fleet.csv");
    command->callback([options] { run_demo(*options); });
}

} // namespace augur_tool
