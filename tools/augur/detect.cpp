// augur detect [--detector NAME] [opts] [FILE|-]: per-sample anomaly scores and flags.
//
// Writes one output row per input row: the input columns unchanged, then anomaly_score (in
// [0, 1]), is_anomaly (0/1), type and severity (empty unless is_anomaly). A wide file with
// several value columns gets, per row, the largest score over its columns; is_anomaly, type
// and severity come from the column that decided it (an anomalous column if there is one,
// the highest-scoring one first). A sample the input policy drops (NaN, inf, out of order
// by default) scores 0 in its column.
//
// The default detector learns from the first 15% of each series (at most 750 samples, at
// least 20), so the input is read completely before the first row is written (standard
// input is buffered); with --learning N, or any other detector, rows are written as they are
// read.

#include "commands.hpp"
#include "common.hpp"

#include <augur/anomaly/change_point.hpp>
#include <augur/anomaly/classify.hpp>
#include <augur/anomaly/default_detector.hpp>
#include <augur/anomaly/detector.hpp>
#include <augur/anomaly/robust.hpp>
#include <augur/anomaly/seasonal.hpp>
#include <augur/anomaly/trend.hpp>
#include <augur/anomaly/zscore.hpp>
#include <augur/core/error.hpp>
#include <augur/core/input_policy.hpp>
#include <augur/core/io/sample_reader.hpp>
#include <augur/core/io/writer.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace augur_tool {
namespace {

struct DetectOptions {
    InputOptions input;
    std::string output = "-";
    std::string detector = "default";
    std::optional<double> threshold;
    std::optional<std::size_t> learning;
    std::optional<std::size_t> window;
    std::optional<double> half_life;
    std::optional<double> sigma;
    std::optional<std::size_t> period;
    std::optional<double> drift;
    std::optional<double> significance;
    std::optional<std::size_t> refractory;
};

/// Any streaming detector behind one call.
using DetectFn = std::function<augur::Detection(const augur::Sample&)>;

template <class Detector>
DetectFn wrap(Detector detector) {
    auto shared = std::make_shared<Detector>(std::move(detector));
    return [shared](const augur::Sample& s) { return shared->observe(s); };
}

void reject_unused(const DetectOptions& o, std::initializer_list<const char*> allowed) {
    auto check = [&](bool given, const char* name) {
        if (!given) return;
        for (const char* a : allowed)
            if (std::string_view(a) == name) return;
        throw usage_error(std::string("--") + name + " does not apply to --detector " + o.detector);
    };
    check(o.learning.has_value(), "learning");
    check(o.window.has_value(), "window");
    check(o.half_life.has_value(), "half-life");
    check(o.sigma.has_value(), "sigma");
    check(o.period.has_value(), "period");
    check(o.drift.has_value(), "drift");
    check(o.significance.has_value(), "significance");
    check(o.refractory.has_value(), "refractory");
}

/// The learning period of the default detector for a series of `samples` samples: 15%,
/// within [20, 750] (NAB's probationary period).
std::size_t auto_learning(std::size_t samples) {
    return std::clamp<std::size_t>(samples * 15 / 100, 20, 750);
}

DetectFn make_detector(const DetectOptions& o, std::size_t longest_series) {
    const std::string& name = o.detector;
    if (name == "default") {
        reject_unused(o, {"learning", "refractory"});
        augur::DefaultDetectorConfig c;
        c.learning = o.learning.value_or(auto_learning(longest_series));
        if (o.threshold) c.threshold = *o.threshold;
        if (o.refractory) c.refractory = *o.refractory;
        return wrap(augur::DefaultDetector(c));
    }
    if (name == "zscore") {
        reject_unused(o, {"learning", "window", "sigma"});
        augur::ZScoreConfig c;
        if (o.learning) c.learning = *o.learning;
        augur::WindowBaseline b;
        if (o.window) b.window = *o.window;
        return wrap(augur::WindowZScore(c, b, augur::SigmaThreshold{o.sigma.value_or(3.0)}));
    }
    if (name == "ewma") {
        reject_unused(o, {"learning", "half-life", "sigma"});
        augur::ZScoreConfig c;
        if (o.learning) c.learning = *o.learning;
        augur::EwmaBaseline b;
        if (o.half_life) b.half_life = *o.half_life;
        return wrap(augur::EwmaZScore(c, b, augur::SigmaThreshold{o.sigma.value_or(3.0)}));
    }
    if (name == "robust") {
        reject_unused(o, {"learning", "window", "sigma"});
        augur::RobustConfig c;
        if (o.window) c.window = *o.window;
        if (o.learning) c.learning = *o.learning;
        c.learning = std::min(c.learning, c.window);
        if (o.sigma) c.sigma = *o.sigma;
        return wrap(augur::RobustDetector(c));
    }
    if (name == "seasonal") {
        reject_unused(o, {"learning", "period", "sigma"});
        augur::SeasonalConfig c;
        if (o.period) c.period = *o.period;
        if (o.learning)
            c.learning = *o.learning;
        else if (c.period > 0)
            c.learning = std::max(c.learning, 2 * c.period);
        if (o.sigma) c.sigma = *o.sigma;
        return wrap(augur::SeasonalDetector(c));
    }
    if (name == "cusum") {
        reject_unused(o, {"learning", "drift", "sigma"});
        augur::CusumConfig c;
        if (o.learning) c.warmup = *o.learning;
        if (o.drift) c.drift = *o.drift;
        if (o.sigma) c.threshold = *o.sigma;
        return wrap(augur::LevelShiftDetector(c));
    }
    if (name == "trend") {
        reject_unused(o, {"learning", "window", "period", "significance"});
        augur::TrendConfig c;
        if (o.window) c.window = *o.window;
        if (o.learning) c.learning = *o.learning;
        if (o.period) c.period = *o.period;
        if (o.significance) c.significance = *o.significance;
        return wrap(augur::TrendDetector(c));
    }
    throw usage_error("unknown detector '" + name + "'");
}

/// One input row: its fields and the samples it gave (admitted or dropped).
struct Row {
    std::vector<std::string> fields;
    std::vector<std::optional<augur::Sample>> samples;
};

/// Scores rows and writes them.
class RowWriter {
public:
    RowWriter(std::ostream& out, const std::vector<std::string>& header, DetectFn detect,
              const augur::SeriesRegistry& registry, std::string detector_name,
              std::optional<double> threshold)
        : csv_(out), detect_(std::move(detect)), registry_(&registry),
          name_(std::move(detector_name)), threshold_(threshold) {
        for (const std::string& h : header)
            csv_.field(h);
        csv_.field("anomaly_score").field("is_anomaly").field("type").field("severity");
        csv_.end_row();
    }

    void write(const Row& row) {
        double best_score = 0.0;
        bool best_anomaly = false;
        std::optional<augur::AnomalyResult> best_result;
        for (const auto& sample : row.samples) {
            if (!sample) continue;
            augur::Detection d = detect_(*sample);
            if (!(d.score >= 0.0)) d.score = 0.0; // NaN never reaches the output
            d.score = std::min(d.score, 1.0);
            if (threshold_ && !d.learning) d.is_anomaly = d.score >= *threshold_;
            auto result = annotator_.annotate(*sample, d, registry_->key(sample->series), name_);
            const bool better = (d.is_anomaly && !best_anomaly) ||
                                (d.is_anomaly == best_anomaly && d.score > best_score);
            if (better) {
                best_anomaly = d.is_anomaly;
                best_result = std::move(result);
            }
            best_score = std::max(best_score, d.score);
        }
        for (const std::string& f : row.fields)
            csv_.field(f);
        csv_.field(best_score).field(best_anomaly ? 1 : 0);
        if (best_anomaly && best_result) {
            csv_.field(augur::to_string(best_result->type));
            csv_.field(augur::to_string(best_result->severity));
        } else {
            csv_.field("").field("");
        }
        csv_.end_row();
    }

private:
    augur::io::CsvWriter csv_;
    DetectFn detect_;
    augur::Annotator<> annotator_;
    const augur::SeriesRegistry* registry_;
    std::string name_;
    std::optional<double> threshold_;
};

void run_detect(const DetectOptions& options) {
    // Options first: a bad option is a usage error even when the input is also bad.
    if (options.threshold && !(*options.threshold > 0.0 && *options.threshold <= 1.0))
        augur::throw_invalid_config("augur detect", "--threshold", *options.threshold,
                                    "must be in (0, 1]");
    augur::InputGuard guard{input_policy(options.input)};
    const augur::io::SampleReaderOptions reader_opts = reader_options(options.input);
    const bool buffered = options.detector == "default" && !options.learning;
    // Validate the detector options before reading (the learning period is a placeholder
    // when it depends on the input).
    DetectFn detect = make_detector(options, 1000);

    augur::SeriesRegistry registry;
    std::optional<augur::io::SampleReader> reader;
    if (options.input.path == "-")
        reader.emplace(std::cin, source_name(options.input), registry, reader_opts);
    else
        reader.emplace(std::filesystem::path(options.input.path), registry, reader_opts);

    Output output{options.output};
    std::optional<RowWriter> writer;
    if (!buffered)
        writer.emplace(output.stream(), reader->header(), detect, registry, options.detector,
                       options.threshold);

    std::vector<Row> rows;
    std::vector<std::size_t> per_series;
    Row row;
    std::uint64_t row_number = 0;
    auto finish_row = [&] {
        if (row_number == 0) return;
        if (buffered)
            rows.push_back(std::move(row));
        else
            writer->write(row);
        row = Row{};
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
        if (admitted) {
            if (per_series.size() <= admitted->series.index())
                per_series.resize(admitted->series.index() + 1, 0);
            ++per_series[admitted->series.index()];
        }
        row.samples.push_back(admitted);
    }
    finish_row();

    if (buffered) {
        const std::size_t longest =
            per_series.empty() ? 0 : *std::max_element(per_series.begin(), per_series.end());
        writer.emplace(output.stream(), reader->header(), make_detector(options, longest), registry,
                       options.detector, options.threshold);
        for (const Row& r : rows)
            writer->write(r);
    }
    const augur::InputCounters& counters = guard.counters();
    if (counters.skipped + counters.clamped > 0)
        print_warning(reader->source_name() + ": " + counters.describe());
    output.finish();
}

} // namespace

void add_detect_command(CLI::App& app) {
    auto options = std::make_shared<DetectOptions>();
    CLI::App* command = app.add_subcommand(
        "detect", "Per-sample anomaly scores and flagged anomalies of a CSV of samples");
    add_input_options(*command, options->input);
    add_input_policy_options(*command, options->input, augur::InputPolicy{});
    add_output_option(*command, options->output);
    command
        ->add_option("--detector", options->detector,
                     "default (multi-scale, NAB-tuned), zscore (sliding window), ewma, robust "
                     "(median/MAD), seasonal, cusum (level shifts) or trend (Mann-Kendall)")
        ->check(
            CLI::IsMember({"default", "zscore", "ewma", "robust", "seasonal", "cusum", "trend"}))
        ->capture_default_str();
    command->add_option("--threshold", options->threshold,
                        "Flag scores >= this, in (0, 1] (default: the detector's own rule; "
                        "default detector 0.997)");
    const std::string group = "Detector options";
    command
        ->add_option("--learning", options->learning,
                     "Samples each series learns from before it is scored (default detector: "
                     "15% of the longest series, in [20, 750]; cusum: its warm-up)")
        ->group(group);
    command->add_option("--window", options->window, "zscore, robust, trend: window in samples")
        ->group(group);
    command->add_option("--half-life", options->half_life, "ewma: half-life in samples")
        ->group(group);
    command
        ->add_option("--sigma", options->sigma,
                     "zscore, ewma, robust, seasonal: flag |z| >= sigma; cusum: decision "
                     "threshold h in sd units")
        ->group(group);
    command
        ->add_option("--period", options->period,
                     "seasonal: period in samples (default: found in learning); trend: "
                     "seasonal period")
        ->group(group);
    command->add_option("--drift", options->drift, "cusum: allowance k in sd units")->group(group);
    command
        ->add_option("--significance", options->significance,
                     "trend: Mann-Kendall p-value at or below which a trend is flagged")
        ->group(group);
    command
        ->add_option("--refractory", options->refractory,
                     "default: samples after an alarm whose scores are damped (one alarm per "
                     "incident)")
        ->group(group);
    command->footer(
        "Output: the input columns, then anomaly_score in [0, 1], is_anomaly (0/1), type and\n"
        "severity (empty unless anomalous). Wide files with several value columns: the\n"
        "row's largest score, type and severity from that column.\n"
        "Examples:\n"
        "  augur detect metrics.csv > scored.csv\n"
        "  augur detect --detector robust --window 200 --sigma 4 latency.csv\n"
        "  cat nab.csv | augur detect - --threshold 0.999");
    command->callback([options] { run_detect(*options); });
}

} // namespace augur_tool
