// augur summarize [FILE|-]: per-series count, mean, sd, min, p50, p95, p99, max.

#include "commands.hpp"
#include "common.hpp"

#include <augur/core/io/writer.hpp>
#include <augur/core/summary.hpp>

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace augur_tool {
namespace {

struct SummarizeOptions {
    InputOptions input;
    std::string format = "csv";
    std::string output = "-";
};

void write_csv(std::ostream& out, const augur::SeriesRegistry& registry,
               const std::vector<augur::SeriesSummary>& summaries) {
    augur::io::CsvWriter csv{out};
    csv.row({"series", "count", "mean", "sd", "min", "p50", "p95", "p99", "max"});
    for (const augur::SeriesSummary& s : summaries) {
        csv.field(registry.name(s.series)).field(s.count);
        for (const double x : {s.mean, s.sd, s.min, s.p50, s.p95, s.p99, s.max})
            csv.field(x);
        csv.end_row();
    }
}

void write_json(std::ostream& out, const std::string& source, const augur::SeriesRegistry& registry,
                const std::vector<augur::SeriesSummary>& summaries,
                const augur::InputCounters& counters) {
    nlohmann::ordered_json doc;
    doc["series"] = nlohmann::ordered_json::array();
    for (const augur::SeriesSummary& s : summaries) {
        // NaN (sd of one value, everything of an empty series) is written as null.
        doc["series"].push_back({{"name", registry.name(s.series)},
                                 {"count", s.count},
                                 {"mean", s.mean},
                                 {"sd", s.sd},
                                 {"min", s.min},
                                 {"p50", s.p50},
                                 {"p95", s.p95},
                                 {"p99", s.p99},
                                 {"max", s.max}});
    }
    doc["input"] = {{"source", source},
                    {"seen", counters.seen},
                    {"accepted", counters.accepted},
                    {"skipped", counters.skipped},
                    {"clamped", counters.clamped},
                    {"nan", counters.nan},
                    {"infinite", counters.infinite},
                    {"out_of_range", counters.out_of_range},
                    {"out_of_order", counters.out_of_order},
                    {"duplicate_time", counters.duplicate_time}};
    out << doc.dump(2) << '\n';
}

void run_summarize(const SummarizeOptions& options) {
    augur::SeriesRegistry registry;
    augur::Summarizer summarizer;
    const augur::InputCounters counters = read_samples(
        options.input, registry, [&](const augur::Sample& s) { summarizer.observe(s); });

    // Every series of the input is listed, with count 0 when all its samples were dropped.
    std::vector<augur::SeriesSummary> summaries;
    for (std::uint32_t i = 0; i < registry.size(); ++i) {
        const augur::SeriesId id{i};
        augur::SeriesSummary empty;
        empty.series = id;
        summaries.push_back(summarizer.summary(id).value_or(empty));
    }

    Output output{options.output};
    if (options.format == "json")
        write_json(output.stream(), source_name(options.input), registry, summaries, counters);
    else if (options.format == "table")
        print_summary_table(output.stream(), registry, summaries);
    else
        write_csv(output.stream(), registry, summaries);
    output.finish();
}

} // namespace

void add_summarize_command(CLI::App& app) {
    auto options = std::make_shared<SummarizeOptions>();
    CLI::App* command = app.add_subcommand(
        "summarize", "Per-series count, mean, sd, min, p50, p95, p99 and max of a CSV of samples");
    add_input_options(*command, options->input);
    // The order of samples does not change a summary: keep out-of-order ones by default.
    augur::InputPolicy defaults;
    defaults.out_of_order = augur::InputAction::keep;
    add_input_policy_options(*command, options->input, defaults);
    add_format_option(*command, options->format, {"csv", "json", "table"});
    add_output_option(*command, options->output);
    command->footer("Quantiles are exact (type 7, as R and numpy); sd is the sample standard\n"
                    "deviation. NaN and infinite values are skipped by default (a warning\n"
                    "counts them).\n"
                    "Examples:\n"
                    "  augur summarize metrics.csv\n"
                    "  augur summarize --format json --on-nan reject metrics.csv\n"
                    "  augur demo --emit-data | augur summarize - --format table");
    command->callback([options] { run_summarize(*options); });
}

} // namespace augur_tool
