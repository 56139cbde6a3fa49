// augur detect [--detector NAME] [opts] [FILE|-]: per-sample anomaly scores and flags.
//
// Writes one output row per input row: the input columns unchanged, then anomaly_score (in
// [0, 1]), is_anomaly (0/1), type and severity (empty unless is_anomaly). A wide file with
// several value columns gets one verdict per row (augur::RowScorer: the largest score over
// its columns; is_anomaly, type and severity from the deciding column). A sample the input
// policy drops (NaN, inf, out of order by default) scores 0 in its column.
//
// The detector comes from augur::make_detector. The default detector learns from
// augur::auto_learning_length of the longest series (15%, within [20, 750]), so the input is
// read completely before the first row is written (standard input is buffered); with
// --learning N, --load, or any other detector, rows are written as they are read.
// --save FILE writes the detector's state after the run, with the series names in the order
// of their ids; --load FILE starts from such a state (the series of the new input keep the
// ids they had), so detecting a file in two parts with --save then --load gives the scores of
// one run over the whole file.

#include "commands.hpp"
#include "common.hpp"

#include <augur/anomaly/result.hpp>
#include <augur/core/archive.hpp>
#include <augur/core/error.hpp>
#include <augur/core/input_policy.hpp>
#include <augur/core/io/sample_reader.hpp>
#include <augur/core/io/writer.hpp>
#include <augur/core/series.hpp>
#include <augur/pipeline/any_detector.hpp>
#include <augur/pipeline/learning.hpp>
#include <augur/pipeline/row_scorer.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace augur_tool {
namespace {

struct DetectOptions {
    InputOptions input;
    std::string output = "-";
    std::string detector = "default";
    augur::DetectorOptions config;
    std::string save;
    std::string load;
    std::size_t max_series = 0;
    std::string on_series_limit = "evict";
    /// Options given that configure a detector (their names), for --load's check.
    std::vector<std::string> configuring;
};

// The --save / --load file: the series names in id order and the AnyDetector's own archive.
constexpr std::string_view state_type = "augur.detect";
constexpr std::uint32_t state_version = 1;

void save_state(const std::string& path, const augur::AnyDetector& detector,
                const augur::SeriesRegistry& registry) {
    std::vector<std::string> names;
    names.reserve(registry.size());
    for (std::uint32_t i = 0; i < registry.size(); ++i)
        names.push_back(registry.name(augur::SeriesId(i)));
    const std::string bytes = augur::save_to_bytes(detector);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw augur::data_error(augur::SourceLocation{path}, "cannot open for writing");
    augur::write_archive(out, state_type, state_version,
                         [&](augur::ArchiveWriter& w) { w(names, bytes); });
    out.close();
    if (!out) throw augur::data_error(augur::SourceLocation{path}, "writing failed");
}

/// The saved detector; registers the saved series names in `registry` (empty) in id order.
/// Also reads a bare AnyDetector archive.
augur::AnyDetector load_state(const std::string& path, augur::SeriesRegistry& registry) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw augur::data_error(augur::SourceLocation{path}, "cannot open");
    try {
        // A bare AnyDetector archive (saved by a program): the series take ids in the order
        // they appear in the input.
        if (augur::read_archive_header(in).type == augur::AnyDetector::archive_type)
            return augur::AnyDetector::load(in);
        return augur::read_archive(in, state_type, state_version, [&](augur::ArchiveReader& r) {
            const auto names = r.read<std::vector<std::string>>();
            const auto bytes = r.read<std::string>();
            for (const std::string& name : names) {
                augur::SeriesId id;
                try {
                    id = registry.intern(name);
                } catch (const augur::invalid_argument& e) {
                    r.fail(std::string("a series name is malformed: ") + e.what());
                }
                r.require(id.index() + 1 == registry.size(), "a series name is given twice");
            }
            return augur::load_from_bytes<augur::AnyDetector>(bytes);
        });
    } catch (const augur::data_error& e) {
        throw augur::data_error(augur::SourceLocation{path}, e.what());
    }
}

/// Scores rows and writes them.
class RowWriter {
public:
    RowWriter(std::ostream& out, const std::vector<std::string>& header,
              augur::AnyDetector detector, const augur::SeriesRegistry& registry)
        : csv_(out), scorer_(std::move(detector), registry) {
        for (const std::string& h : header)
            csv_.field(h);
        csv_.field("anomaly_score").field("is_anomaly").field("type").field("severity");
        csv_.end_row();
    }

    /// Scores the row's samples, then forgets the series the input guard evicted while
    /// reading it (each was seen before the series that displaced it, so after scoring is
    /// exactly when the guard let it go).
    void write(const std::vector<std::string>& fields, std::span<const augur::Sample> samples,
               std::span<const augur::SeriesId> evicted) {
        const augur::RowVerdict v = scorer_.score(samples);
        for (const augur::SeriesId id : evicted)
            scorer_.detector().forget(id);
        for (const std::string& f : fields)
            csv_.field(f);
        csv_.field(v.score).field(v.is_anomaly ? 1 : 0);
        if (v.is_anomaly && v.anomaly) {
            csv_.field(augur::to_string(v.anomaly->type));
            csv_.field(augur::to_string(v.anomaly->severity));
        } else {
            csv_.field("").field("");
        }
        csv_.end_row();
    }

    const augur::AnyDetector& detector() const noexcept { return scorer_.detector(); }

private:
    augur::io::CsvWriter csv_;
    augur::RowScorer scorer_;
};

/// One input row: its fields, the samples the input policy admitted and the series it evicted.
struct Row {
    std::vector<std::string> fields;
    std::vector<augur::Sample> samples;
    std::vector<augur::SeriesId> evicted;
};

void run_detect(const DetectOptions& options) {
    // Options first: a bad option is a usage error even when the input is also bad.
    if (!options.load.empty() && !options.configuring.empty()) {
        std::string given;
        for (const std::string& o : options.configuring)
            given += (given.empty() ? "" : ", ") + o;
        throw usage_error("--load starts from a saved detector: " + given + " cannot configure it");
    }
    augur::InputPolicy policy = input_policy(options.input);
    policy.max_series = options.max_series;
    policy.over_series_limit =
        augur::parse_series_limit_action(options.on_series_limit, "--on-series-limit");
    augur::InputGuard guard{policy};
    const augur::io::SampleReaderOptions reader_opts = reader_options(options.input);
    augur::SeriesRegistry registry;
    std::optional<augur::AnyDetector> detector;
    bool buffered = false;
    if (options.load.empty()) {
        // Validates the options before reading; the default detector's learning length is
        // set below when it depends on the input.
        detector.emplace(augur::make_detector(options.detector, options.config));
        buffered = options.detector == "default" && !options.config.learning;
    } else {
        detector.emplace(load_state(options.load, registry));
    }
    if (!options.save.empty() && !detector->can_save())
        throw usage_error("--save: detector " + detector->name() + " cannot be saved yet");

    std::optional<augur::io::SampleReader> reader;
    if (options.input.path == "-")
        reader.emplace(std::cin, source_name(options.input), registry, reader_opts);
    else
        reader.emplace(std::filesystem::path(options.input.path), registry, reader_opts);

    Output output{options.output};
    std::optional<RowWriter> writer;
    if (!buffered) writer.emplace(output.stream(), reader->header(), *detector, registry);

    std::vector<Row> rows;
    std::vector<std::size_t> per_series;
    Row row;
    std::uint64_t row_number = 0;
    auto finish_row = [&] {
        if (row_number == 0) return;
        if (buffered)
            rows.push_back(std::move(row));
        else
            writer->write(row.fields, row.samples, row.evicted);
        row.fields.clear();
        row.samples.clear();
        row.evicted.clear();
    };
    augur::Sample sample;
    while (reader->next(sample)) {
        if (reader->rows() != row_number) {
            finish_row();
            row_number = reader->rows();
            const augur::io::CsvRecord& record = reader->record();
            row.fields.reserve(record.size());
            for (std::size_t i = 0; i < record.size(); ++i)
                row.fields.emplace_back(record[i]);
        }
        std::optional<augur::Sample> admitted;
        try {
            admitted = guard.admit(sample);
        } catch (const augur::data_error& e) {
            throw augur::data_error(augur::SourceLocation{reader->source_name(), reader->line()},
                                    with_series_name(e.message(), sample.series, registry));
        }
        if (const auto gone = guard.evicted()) row.evicted.push_back(*gone);
        if (admitted) {
            if (per_series.size() <= admitted->series.index())
                per_series.resize(admitted->series.index() + 1, 0);
            ++per_series[admitted->series.index()];
            row.samples.push_back(*admitted);
        }
    }
    finish_row();

    if (buffered) {
        const std::size_t longest =
            per_series.empty() ? 0 : *std::max_element(per_series.begin(), per_series.end());
        augur::DetectorOptions config = options.config;
        config.learning = augur::auto_learning_length(longest);
        writer.emplace(output.stream(), reader->header(),
                       augur::make_detector(options.detector, config), registry);
        for (const Row& r : rows)
            writer->write(r.fields, r.samples, r.evicted);
    }
    const augur::InputCounters& counters = guard.counters();
    if (counters.skipped + counters.clamped + counters.evicted_series > 0)
        print_warning(reader->source_name() + ": " + counters.describe());
    output.finish();
    if (!options.save.empty()) save_state(options.save, writer->detector(), registry);
}

} // namespace

void add_detect_command(CLI::App& app) {
    auto options = std::make_shared<DetectOptions>();
    augur::DetectorOptions& c = options->config;
    CLI::App* command = app.add_subcommand(
        "detect", "Per-sample anomaly scores and flagged anomalies of a CSV of samples");
    add_input_options(*command, options->input);
    add_input_policy_options(*command, options->input, augur::InputPolicy{});
    add_output_option(*command, options->output);
    std::vector<std::string> names(augur::detector_names.begin(), augur::detector_names.end());
    // The options that configure a detector (not allowed with --load).
    std::vector<CLI::Option*> configuring;
    configuring.push_back(
        command
            ->add_option("--detector", options->detector,
                         "default (multi-scale, NAB-tuned), zscore (sliding window), ewma, robust "
                         "(median/MAD), seasonal, cusum (level shifts) or trend (Mann-Kendall)")
            ->check(CLI::IsMember(names))
            ->capture_default_str());
    configuring.push_back(
        command->add_option("--threshold", c.threshold,
                            "Flag scores >= this, in (0, 1] (default: the detector's own rule; "
                            "default detector 0.997)"));
    const std::string group = "Detector options";
    configuring.push_back(
        command
            ->add_option("--learning", c.learning,
                         "Samples each series learns from before it is scored (default detector: "
                         "15% of the longest series, in [20, 750]; cusum: its warm-up)")
            ->group(group));
    configuring.push_back(
        command->add_option("--window", c.window, "zscore, robust, trend: window in samples")
            ->group(group));
    configuring.push_back(
        command->add_option("--half-life", c.half_life, "ewma: half-life in samples")
            ->group(group));
    configuring.push_back(
        command
            ->add_option("--sigma", c.sigma,
                         "zscore, ewma, robust, seasonal: flag |z| >= sigma; cusum: decision "
                         "threshold h in sd units")
            ->group(group));
    configuring.push_back(
        command
            ->add_option("--period", c.period,
                         "seasonal: period in samples (default: found in learning); trend: "
                         "seasonal period")
            ->group(group));
    configuring.push_back(
        command->add_option("--drift", c.drift, "cusum: allowance k in sd units")->group(group));
    configuring.push_back(
        command
            ->add_option("--significance", c.significance,
                         "trend: Mann-Kendall p-value at or below which a trend is flagged")
            ->group(group));
    configuring.push_back(
        command
            ->add_option("--refractory", c.refractory,
                         "default: samples after an alarm whose scores are damped (one alarm per "
                         "incident)")
            ->group(group));
    command
        ->add_option("--max-series", options->max_series,
                     "At most this many series at once (0: no limit); bounds the memory")
        ->group("Input policy");
    command
        ->add_option("--on-series-limit", options->on_series_limit,
                     "A new series beyond --max-series: evict (forget the least recently seen "
                     "series), skip (drop its samples) or reject (stop with an error)")
        ->check(CLI::IsMember({"evict", "skip", "reject"}))
        ->group("Input policy")
        ->capture_default_str();
    command
        ->add_option("--save", options->save,
                     "After the run, save the detector's state to this file")
        ->type_name("FILE");
    command
        ->add_option("--load", options->load,
                     "Start from a detector saved with --save instead of a new one (no "
                     "detector options then)")
        ->type_name("FILE");
    command->footer(
        "Output: the input columns, then anomaly_score in [0, 1], is_anomaly (0/1), type and\n"
        "severity (empty unless anomalous). Wide files with several value columns: the\n"
        "row's largest score, type and severity from that column.\n"
        "Examples:\n"
        "  augur detect metrics.csv > scored.csv\n"
        "  augur detect --detector robust --window 200 --sigma 4 latency.csv\n"
        "  cat nab.csv | augur detect - --threshold 0.999\n"
        "  augur detect --detector ewma --save ewma.state monday.csv > monday.scored.csv\n"
        "  augur detect --load ewma.state --save ewma.state tuesday.csv > tuesday.scored.csv");
    command->callback([options, configuring] {
        options->configuring.clear();
        for (const CLI::Option* o : configuring)
            if (o->count() > 0) options->configuring.push_back(o->get_name());
        run_detect(*options);
    });
}

} // namespace augur_tool
