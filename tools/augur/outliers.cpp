// augur outliers --model iforest|ocsvm [opts] FILE: per-row outlier scores for a feature table.
//
// Reads a CSV with a header and numeric columns (one row per observation), fits the model on
// every row, and writes the input columns unchanged followed by `score` (higher = more
// anomalous; with --flag also `outlier`, 1 when the model's own threshold flags the row).

#include "commands.hpp"
#include "common.hpp"

#include <augur/anomaly/isolation_forest.hpp>
#include <augur/anomaly/one_class_svm.hpp>
#include <augur/core/error.hpp>
#include <augur/core/io/csv.hpp>
#include <augur/core/io/writer.hpp>
#include <augur/core/scaler.hpp>

#include <Eigen/Core>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace augur_tool {
namespace {

struct OutliersOptions {
    std::string path;
    std::string model;
    std::string label_column;
    std::string output = "-";
    // Isolation Forest
    std::size_t trees = 100;
    std::size_t max_samples = 256;
    std::uint64_t seed = 0;
    double contamination = 0.0;
    std::size_t threads = 1;
    // One-class SVM
    double nu = 0.5;
    std::string gamma = "scale";
    std::string kernel = "rbf";
    // Both
    bool standardize = false;
    bool flag = false;
};

/// The input table: every cell's text kept for the output, the features parsed.
struct Table {
    std::vector<std::string> header;
    std::string text;              // all cells, back to back
    std::vector<std::size_t> ends; // end offset of each cell in `text`, row after row
    std::vector<double> features;  // row-major, rows x feature count
    std::size_t rows = 0;
    std::size_t label = SIZE_MAX; // index of the label column, SIZE_MAX when none
    std::size_t feature_count = 0;

    std::string_view cell(std::size_t row, std::size_t column) const {
        const std::size_t i = row * header.size() + column;
        const std::size_t begin = i == 0 ? 0 : ends[i - 1];
        return std::string_view(text).substr(begin, ends[i] - begin);
    }
};

Table read_table(const OutliersOptions& options) {
    std::ifstream file;
    std::istream* in = &std::cin;
    const std::string source = options.path == "-" ? "<stdin>" : options.path;
    if (options.path != "-") {
        file.open(options.path, std::ios::binary);
        if (!file) throw augur::data_error("cannot open '" + options.path + "' for reading");
        in = &file;
    }
    augur::io::CsvParser csv{*in, source};
    augur::io::CsvRecord record;
    Table table;
    if (!csv.next(record)) throw augur::data_error(source + ": empty input (no header)");
    for (std::size_t i = 0; i < record.size(); ++i) {
        table.header.emplace_back(record[i]);
        if (!options.label_column.empty() && record[i] == options.label_column) {
            if (table.label != SIZE_MAX)
                throw augur::data_error(augur::SourceLocation{source, record.line(), 0},
                                        "label column '" + options.label_column +
                                            "' appears twice in the header");
            table.label = i;
        }
    }
    if (!options.label_column.empty() && table.label == SIZE_MAX)
        throw usage_error("--label-column: no column named '" + options.label_column + "' in " +
                          source);
    const std::size_t columns = table.header.size();
    table.feature_count = columns - (table.label == SIZE_MAX ? 0 : 1);
    if (table.feature_count == 0)
        throw augur::data_error(augur::SourceLocation{source, record.line(), 0},
                                "no feature columns (only the label column)");

    while (csv.next(record)) {
        if (record.size() != columns)
            throw augur::data_error(augur::SourceLocation{source, record.line(), 0},
                                    "expected " + std::to_string(columns) + " fields, got " +
                                        std::to_string(record.size()));
        for (std::size_t i = 0; i < columns; ++i) {
            const std::string_view cell = record[i];
            table.text.append(cell);
            table.ends.push_back(table.text.size());
            if (i == table.label) continue;
            const std::optional<double> value = augur::io::parse_double(cell);
            if (!value || !std::isfinite(*value))
                throw augur::data_error(
                    augur::SourceLocation{source, record.line_of(i), record.column_of(i)},
                    "column '" + table.header[i] + "': '" + std::string(cell) + "' is not " +
                        (value ? "a finite number" : "a number"));
            table.features.push_back(*value);
        }
        ++table.rows;
    }
    if (table.rows == 0) throw augur::data_error(source + ": no data rows");
    return table;
}

Eigen::MatrixXd feature_matrix(const Table& table) {
    Eigen::MatrixXd x(static_cast<Eigen::Index>(table.rows),
                      static_cast<Eigen::Index>(table.feature_count));
    for (std::size_t r = 0; r < table.rows; ++r)
        for (std::size_t c = 0; c < table.feature_count; ++c)
            x(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) =
                table.features[r * table.feature_count + c];
    return x;
}

double parse_gamma(const std::string& text) {
    if (text == "scale") return 0.0;
    const std::optional<double> value = augur::io::parse_double(text);
    if (!value || !std::isfinite(*value) || *value <= 0.0)
        throw usage_error("--gamma: '" + text + "' is neither 'scale' nor a number > 0");
    return *value;
}

struct Scores {
    Eigen::VectorXd score;   // higher = more anomalous
    Eigen::VectorXi outlier; // 1 = flagged by the model's threshold
};

augur::IsolationForestConfig iforest_config(const OutliersOptions& options) {
    return {.trees = options.trees,
            .max_samples = options.max_samples,
            .contamination = options.contamination,
            .seed = options.seed,
            .threads = options.threads};
}

augur::OneClassSvmConfig ocsvm_config(const OutliersOptions& options) {
    return {.nu = options.nu, .gamma = parse_gamma(options.gamma)};
}

Scores run_iforest(const OutliersOptions& options, const Eigen::MatrixXd& x) {
    augur::IsolationForest<> forest{iforest_config(options)};
    forest.fit(x);
    Scores s;
    s.score = forest.score(x);
    s.outlier = (forest.predict(x).array() < 0).cast<int>();
    return s;
}

template <class Kernel>
Scores run_ocsvm(const OutliersOptions& options, const Eigen::MatrixXd& x) {
    augur::OneClassSvm<Kernel> svm{ocsvm_config(options)};
    svm.fit(x);
    const Eigen::VectorXd decision = svm.decision_function(x);
    Scores s;
    s.score = -decision;
    s.outlier = (decision.array() < 0.0).cast<int>();
    return s;
}

void check_options(const CLI::App& command, const OutliersOptions& options) {
    const bool iforest = options.model == "iforest";
    for (const char* name : {"--trees", "--max-samples", "--seed", "--contamination", "--threads"})
        if (!iforest && command.count(name) > 0)
            throw usage_error(std::string(name) + " applies to --model iforest only");
    for (const char* name : {"--nu", "--gamma", "--kernel"})
        if (iforest && command.count(name) > 0)
            throw usage_error(std::string(name) + " applies to --model ocsvm only");
    if (options.kernel == "linear" && command.count("--gamma") > 0)
        throw usage_error("--gamma applies to --kernel rbf only");
}

void run_outliers(const CLI::App& command, const OutliersOptions& options) {
    check_options(command, options);
    // Configuration errors (exit 2) before reading the data.
    if (options.model == "iforest")
        iforest_config(options).validate();
    else
        ocsvm_config(options).validate();
    const Table table = read_table(options);
    Eigen::MatrixXd x = feature_matrix(table);
    if (options.standardize) x = augur::StandardScaler{}.fit_transform(x);

    Scores scores;
    if (options.model == "iforest")
        scores = run_iforest(options, x);
    else if (options.kernel == "linear")
        scores = run_ocsvm<augur::LinearKernel>(options, x);
    else
        scores = run_ocsvm<augur::RbfKernel>(options, x);

    Output output{options.output};
    augur::io::CsvWriter csv{output.stream()};
    for (const std::string& name : table.header)
        csv.field(name);
    csv.field("score");
    if (options.flag) csv.field("outlier");
    csv.end_row();
    for (std::size_t r = 0; r < table.rows; ++r) {
        for (std::size_t c = 0; c < table.header.size(); ++c)
            csv.field(table.cell(r, c));
        csv.field(scores.score(static_cast<Eigen::Index>(r)));
        if (options.flag) csv.field(scores.outlier(static_cast<Eigen::Index>(r)));
        csv.end_row();
    }
    output.finish();
}

} // namespace

void add_outliers_command(CLI::App& app) {
    auto options = std::make_shared<OutliersOptions>();
    CLI::App* command = app.add_subcommand(
        "outliers",
        "Per-row outlier scores for a feature table (Isolation Forest or one-class SVM)");
    command
        ->add_option("FILE", options->path,
                     "CSV with a header and numeric columns; '-' reads "
                     "standard input")
        ->required();
    command
        ->add_option("--model", options->model,
                     "iforest (Isolation Forest) or ocsvm "
                     "(one-class SVM)")
        ->required()
        ->check(CLI::IsMember({"iforest", "ocsvm"}));
    command->add_option("--label-column", options->label_column,
                        "A column kept out of the features (copied to the output)");
    command->add_flag("--standardize", options->standardize,
                      "z-score each feature with its mean and sd before fitting");
    command->add_flag("--flag", options->flag,
                      "Also write 'outlier' (1/0): the model's own threshold (iforest: "
                      "contamination or auto; ocsvm: decision < 0)");
    command->add_option("--trees", options->trees, "iforest: number of trees")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24))
        ->capture_default_str();
    command->add_option("--max-samples", options->max_samples, "iforest: subsample size per tree")
        ->check(CLI::Range(std::size_t{2}, std::size_t{1} << 30))
        ->capture_default_str();
    command->add_option("--seed", options->seed, "iforest: random seed")->capture_default_str();
    command
        ->add_option("--contamination", options->contamination,
                     "iforest: expected outlier share in [0, 0.5] for --flag; 0 = auto")
        ->check(CLI::Range(0.0, 0.5))
        ->capture_default_str();
    command
        ->add_option("--threads", options->threads,
                     "iforest: worker threads; 0 = all cores (same result for any count)")
        ->check(CLI::Range(std::size_t{0}, std::size_t{1024}))
        ->capture_default_str();
    command->add_option("--nu", options->nu, "ocsvm: bound on the outlier share, in (0, 1]")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    command->add_option("--gamma", options->gamma, "ocsvm: RBF width, a number > 0 or 'scale'")
        ->capture_default_str();
    command->add_option("--kernel", options->kernel, "ocsvm: rbf or linear")
        ->check(CLI::IsMember({"rbf", "linear"}))
        ->capture_default_str();
    add_output_option(*command, options->output);
    command->footer(
        "Writes the input columns unchanged, then 'score' (higher = more anomalous): the\n"
        "Isolation Forest score 2^(-E[h]/c(psi)) in (0, 1], or minus the one-class SVM\n"
        "decision function. Every row is used for fitting and scored.\n"
        "Examples:\n"
        "  augur outliers --model iforest --label-column label data.csv\n"
        "  augur outliers --model iforest --contamination 0.05 --flag -o scored.csv data.csv\n"
        "  augur outliers --model ocsvm --standardize --nu 0.1 data.csv");
    command->callback([options, command] { run_outliers(*command, *options); });
}

} // namespace augur_tool
