#include "common.hpp"

#include <augur/core/error.hpp>
#include <augur/core/io/timestamp.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <new>
#include <optional>
#include <utility>

#include <unistd.h>

namespace augur_tool {

void print_error(const std::string& message) {
    std::cout.flush();
    std::cerr << "augur: " << message << '\n' << std::flush;
}

void print_warning(const std::string& message) {
    std::cerr << "augur: warning: " << message << '\n' << std::flush;
}

int run(CLI::App& app, int argc, char** argv) {
    app.failure_message([](const CLI::App* top, const CLI::Error& e) {
        std::string command = top->get_name();
        for (const CLI::App* sub : top->get_subcommands())
            command += " " + sub->get_name();
        return "augur: " + std::string(e.what()) + "\nRun '" + command +
               " --help' for more information.\n";
    });
    try {
        app.parse(argc, argv);
        return exit_success;
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? exit_success : exit_bad_usage;
    } catch (const CLI::Error& e) {
        print_error(e.what());
        return exit_bad_usage;
    } catch (const usage_error& e) {
        print_error(e.what());
        return exit_bad_usage;
    } catch (const augur::invalid_argument& e) {
        print_error(e.what());
        return exit_bad_usage;
    } catch (const augur::data_error& e) {
        print_error(e.what());
        return exit_bad_data;
    } catch (const std::bad_alloc&) {
        print_error("out of memory");
        return exit_bad_data;
    } catch (const std::exception& e) {
        print_error(e.what());
        return exit_bad_data;
    }
}

void add_input_options(CLI::App& command, InputOptions& options) {
    command
        .add_option("FILE", options.path,
                    "CSV input: long (series,timestamp,value) or wide "
                    "(timestamp,<series>...); '-' reads standard input")
        ->type_name("FILE")
        ->capture_default_str();
    command
        .add_option("--layout", options.layout,
                    "CSV layout: auto (long when the header has series, timestamp and value "
                    "columns), long or wide")
        ->check(CLI::IsMember({"auto", "long", "wide"}))
        ->capture_default_str();
    command
        .add_option("--time-unit", options.time_unit,
                    "Unit of epoch-number timestamps: auto (ms when >= 1e11, else s), s, ms, us "
                    "or ns")
        ->check(CLI::IsMember({"auto", "s", "ms", "us", "ns"}))
        ->capture_default_str();
}

void add_input_policy_options(CLI::App& command, InputOptions& options,
                              const augur::InputPolicy& defaults) {
    options.on_nan = augur::to_string(defaults.nan);
    options.on_inf = augur::to_string(defaults.infinite);
    options.on_out_of_order = augur::to_string(defaults.out_of_order);
    options.on_duplicate = augur::to_string(defaults.duplicate_time);
    const std::string group = "Input policy";
    command.add_option("--on-nan", options.on_nan, "NaN or missing values: reject, skip or clamp")
        ->type_name("ACTION")
        ->group(group)
        ->capture_default_str();
    command
        .add_option("--on-inf", options.on_inf,
                    "Infinite values: reject, skip or clamp (to the largest finite value)")
        ->type_name("ACTION")
        ->group(group)
        ->capture_default_str();
    command
        .add_option("--on-out-of-order", options.on_out_of_order,
                    "A time before the series' previous one: reject, skip, clamp or keep")
        ->type_name("ACTION")
        ->group(group)
        ->capture_default_str();
    command
        .add_option("--on-duplicate", options.on_duplicate,
                    "A time equal to the series' previous one: reject, skip or keep")
        ->type_name("ACTION")
        ->group(group)
        ->capture_default_str();
}

augur::InputPolicy input_policy(const InputOptions& options) {
    augur::InputPolicy policy;
    policy.nan = augur::parse_input_action(options.on_nan, "--on-nan");
    policy.infinite = augur::parse_input_action(options.on_inf, "--on-inf");
    policy.out_of_order = augur::parse_input_action(options.on_out_of_order, "--on-out-of-order");
    policy.duplicate_time = augur::parse_input_action(options.on_duplicate, "--on-duplicate");
    // Name the option, not the policy field, for the actions a condition does not allow.
    if (policy.nan == augur::InputAction::keep)
        augur::throw_invalid_config("augur", "--on-nan", options.on_nan,
                                    "NaN cannot be kept; use reject, skip or clamp");
    if (policy.infinite == augur::InputAction::keep)
        augur::throw_invalid_config("augur", "--on-inf", options.on_inf,
                                    "infinite values cannot be kept; use reject, skip or clamp");
    if (policy.duplicate_time == augur::InputAction::clamp)
        augur::throw_invalid_config("augur", "--on-duplicate", options.on_duplicate,
                                    "use reject, skip or keep");
    policy.validate();
    return policy;
}

augur::io::SampleReaderOptions reader_options(const InputOptions& options) {
    augur::io::SampleReaderOptions out;
    if (options.layout == "auto")
        out.layout = augur::io::CsvLayout::automatic;
    else if (options.layout == "long")
        out.layout = augur::io::CsvLayout::long_format;
    else if (options.layout == "wide")
        out.layout = augur::io::CsvLayout::wide;
    else
        augur::throw_invalid_config("augur", "--layout", options.layout,
                                    "expected auto, long or wide");
    const auto unit = augur::io::parse_time_unit(options.time_unit);
    if (!unit)
        augur::throw_invalid_config("augur", "--time-unit", options.time_unit,
                                    "expected auto, s, ms, us or ns");
    out.time_unit = *unit;
    return out;
}

std::string source_name(const InputOptions& options) {
    return options.path == "-" ? std::string("<stdin>") : options.path;
}

Progress::Progress() : enabled_(::isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() {
    clear();
}

void Progress::update(const std::string& what, std::size_t done, std::size_t total) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (shown_ && done < total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    shown_ = true;
    std::cerr << "\r\033[K" << what << ' ' << done << '/' << total << std::flush;
}

void Progress::clear() {
    if (!shown_) return;
    std::cerr << "\r\033[K" << std::flush;
    shown_ = false;
}

std::string with_series_name(const std::string& message, augur::SeriesId id,
                             const augur::SeriesRegistry& registry) {
    const std::string numbered = "series " + std::to_string(id.value);
    const std::string named = "series '" + registry.name(id) + "'";
    if (message.rfind(numbered, 0) == 0) return named + message.substr(numbered.size());
    return named + ": " + message;
}

augur::InputCounters read_samples(const InputOptions& options, augur::SeriesRegistry& registry,
                                  const std::function<void(const augur::Sample&)>& on_sample) {
    // Options first: a bad option is a usage error even when the input is also bad.
    augur::InputGuard guard{input_policy(options)};
    const augur::io::SampleReaderOptions reader_opts = reader_options(options);

    std::optional<augur::io::SampleReader> reader;
    if (options.path == "-")
        reader.emplace(std::cin, source_name(options), registry, reader_opts);
    else
        reader.emplace(std::filesystem::path(options.path), registry, reader_opts);

    augur::Sample sample;
    while (reader->next(sample)) {
        std::optional<augur::Sample> admitted;
        try {
            admitted = guard.admit(sample);
        } catch (const augur::data_error& e) {
            throw augur::data_error(augur::SourceLocation{reader->source_name(), reader->line()},
                                    with_series_name(e.message(), sample.series, registry));
        }
        if (admitted) on_sample(*admitted);
    }
    const augur::InputCounters& counters = guard.counters();
    if (counters.skipped + counters.clamped > 0)
        print_warning(reader->source_name() + ": " + counters.describe());
    return counters;
}

Output::Output(const std::string& path) : path_(path), out_(&std::cout) {
    if (path == "-") return;
    file_ = std::make_unique<std::ofstream>(path, std::ios::binary | std::ios::trunc);
    if (!file_->is_open())
        throw augur::data_error(augur::SourceLocation{path}, "cannot open for writing");
    out_ = file_.get();
}

void Output::finish() {
    out_->flush();
    if (file_) file_->close();
    if (!*out_)
        throw augur::data_error(augur::SourceLocation{path_ == "-" ? "<stdout>" : path_},
                                "write failed");
}

void add_output_option(CLI::App& command, std::string& path) {
    command.add_option("-o,--output", path, "Write to this file instead of standard output ('-')")
        ->type_name("FILE")
        ->capture_default_str();
}

void add_format_option(CLI::App& command, std::string& format,
                       const std::vector<std::string>& allowed) {
    std::string names;
    for (const std::string& name : allowed)
        names += (names.empty() ? "" : ", ") + name;
    command.add_option("--format", format, "Output format: " + names)
        ->check(CLI::IsMember(allowed))
        ->capture_default_str();
}

std::string format_number(double value) {
    std::array<char, 64> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    return std::string(buffer.data(), result.ptr);
}

void print_summary_table(std::ostream& out, const augur::SeriesRegistry& registry,
                         const std::vector<augur::SeriesSummary>& summaries) {
    constexpr std::size_t columns = 9;
    const std::array<std::string, columns> header{"series", "count", "mean", "sd", "min",
                                                  "p50",    "p95",   "p99",  "max"};
    auto human = [](double x) {
        if (std::isnan(x)) return std::string("-");
        char text[32];
        std::snprintf(text, sizeof text, "%.6g", x);
        return std::string(text);
    };
    std::vector<std::array<std::string, columns>> rows;
    for (const augur::SeriesSummary& s : summaries)
        rows.push_back({registry.name(s.series), std::to_string(s.count), human(s.mean),
                        human(s.sd), human(s.min), human(s.p50), human(s.p95), human(s.p99),
                        human(s.max)});
    std::array<std::size_t, columns> width{};
    for (std::size_t c = 0; c < columns; ++c) {
        width[c] = header[c].size();
        for (const auto& row : rows)
            width[c] = std::max(width[c], row[c].size());
    }
    auto print_row = [&](const std::array<std::string, columns>& row) {
        std::string line = row[0] + std::string(width[0] - row[0].size(), ' ');
        for (std::size_t c = 1; c < columns; ++c)
            line += "  " + std::string(width[c] - row[c].size(), ' ') + row[c];
        out << line << '\n';
    };
    print_row(header);
    for (const auto& row : rows)
        print_row(row);
}

} // namespace augur_tool
