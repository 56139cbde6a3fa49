#pragma once

// What every command of the `augur` tool shares: the exit statuses and error reporting, the
// input options (FILE or '-' for stdin, CSV layout, time unit, input policy), reading samples
// through an InputGuard, the output destination and the --format option.

#include <augur/core/input_policy.hpp>
#include <augur/core/io/sample_reader.hpp>
#include <augur/core/sample.hpp>
#include <augur/core/series.hpp>
#include <augur/core/summary.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstddef>
#include <fstream>
#include <functional>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace augur_tool {

/// Exit statuses of every command.
enum ExitStatus : int { exit_success = 0, exit_bad_data = 1, exit_bad_usage = 2 };

/// Options that do not fit together, found after parsing: reported like a CLI11 error, exit 2.
class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Parses the command line and runs the selected command, mapping what it throws to an exit
/// status and a message on stderr ("augur: FILE:LINE: what is wrong"):
/// CLI11 parse errors, usage_error and augur::invalid_argument -> 2; augur::data_error and any
/// other exception -> 1. --help and --version print to stdout and return 0.
int run(CLI::App& app, int argc, char** argv);

/// Prints "augur: <message>" on stderr.
void print_error(const std::string& message);
/// Prints "augur: warning: <message>" on stderr.
void print_warning(const std::string& message);

/// Options of commands that read samples from a CSV file or standard input.
struct InputOptions {
    std::string path = "-";
    std::string layout = "auto";
    std::string time_unit = "auto";
    std::string on_nan;
    std::string on_inf;
    std::string on_out_of_order;
    std::string on_duplicate;
};

/// Adds the positional FILE (default '-', standard input), --layout and --time-unit.
void add_input_options(CLI::App& command, InputOptions& options);

/// Adds --on-nan, --on-inf, --on-out-of-order and --on-duplicate, defaulting to `defaults`.
void add_input_policy_options(CLI::App& command, InputOptions& options,
                              const augur::InputPolicy& defaults);

/// The InputPolicy the options ask for. Throws augur::invalid_argument on a bad action.
augur::InputPolicy input_policy(const InputOptions& options);

/// The SampleReader options the options ask for. Throws augur::invalid_argument.
augur::io::SampleReaderOptions reader_options(const InputOptions& options);

/// The name of the input in messages: the path, or "<stdin>" for '-'.
std::string source_name(const InputOptions& options);

/// Progress of a long run on stderr, shown only when stderr is a terminal: one line rewritten
/// at most ten times a second, erased when done. Not thread-safe (serialise the calls).
class Progress {
public:
    Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;
    ~Progress();
    /// Shows "<what> <done>/<total>".
    void update(const std::string& what, std::size_t done, std::size_t total);
    /// Erases the line.
    void clear();

private:
    bool enabled_;
    bool shown_ = false;
    std::chrono::steady_clock::time_point last_{};
};

/// An InputGuard message about series `id`, with the series named by its name instead of
/// its number.
std::string with_series_name(const std::string& message, augur::SeriesId id,
                             const augur::SeriesRegistry& registry);

/// Reads every sample of the input through an InputGuard with input_policy(options) and calls
/// on_sample with each admitted one. Interns series in `registry`. Errors of the data (a
/// malformed file, a sample rejected by the policy) throw augur::data_error located at the
/// file and line. Prints a warning when samples were skipped or clamped. Returns the counters.
augur::InputCounters read_samples(const InputOptions& options, augur::SeriesRegistry& registry,
                                  const std::function<void(const augur::Sample&)>& on_sample);

/// Where a command writes: standard output for '-', else the file (truncated).
class Output {
public:
    /// Throws augur::data_error when the file cannot be opened for writing.
    explicit Output(const std::string& path);
    std::ostream& stream() noexcept { return *out_; }
    /// Flushes; throws augur::data_error when writing failed (disk full, closed pipe).
    void finish();

private:
    std::string path_;
    std::unique_ptr<std::ofstream> file_;
    std::ostream* out_;
};

/// Adds the -o/--output option (default '-').
void add_output_option(CLI::App& command, std::string& path);

/// Adds --format with the allowed values; `format` holds the default.
void add_format_option(CLI::App& command, std::string& format,
                       const std::vector<std::string>& allowed);

/// Formats a number for machines: the shortest text that reads back exactly; "nan", "inf".
std::string format_number(double value);

/// Writes the summaries as a table with aligned columns for people.
void print_summary_table(std::ostream& out, const augur::SeriesRegistry& registry,
                         const std::vector<augur::SeriesSummary>& summaries);

} // namespace augur_tool
