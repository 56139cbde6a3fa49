// augur outliers --model iforest|ocsvm [opts] FILE: per-row outlier scores for a feature table.
//
// Reads a CSV with a header and numeric columns (one row per observation; the library's
// augur::io::read_feature_table), fits the model on every row (or, with --load, takes a model
// saved by --save), and writes the input columns unchanged followed by `score` (higher = more
// anomalous; with --flag also `outlier`, 1 when the model's own threshold flags the row).
// Both models go through one code path: the augur::BatchModel concept.
//
// --save FILE writes one augur archive "augur.tool.OutliersModel" (version 1) holding the
// model kind ("iforest", "ocsvm-rbf", "ocsvm-linear"), the feature column names, the
// StandardScaler when --standardize was given, and the model's own archive; --load FILE reads
// it back and checks that the input has the same feature columns.

#include "commands.hpp"
#include "common.hpp"

#include <augur/anomaly/isolation_forest.hpp>
#include <augur/anomaly/one_class_svm.hpp>
#include <augur/core/archive.hpp>
#include <augur/core/batch_model.hpp>
#include <augur/core/error.hpp>
#include <augur/core/io/csv.hpp>
#include <augur/core/io/feature_table.hpp>
#include <augur/core/io/writer.hpp>
#include <augur/core/scaler.hpp>

#include <Eigen/Core>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace augur_tool {
namespace {

struct OutliersOptions {
    std::string path;
    std::string model;
    std::string label_column;
    std::string output = "-";
    std::string save;
    std::string load;
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

double parse_gamma(const std::string& text) {
    if (text == "scale") return 0.0;
    const std::optional<double> value = augur::io::parse_double(text);
    if (!value || !std::isfinite(*value) || *value <= 0.0)
        throw usage_error("--gamma: '" + text + "' is neither 'scale' nor a number > 0");
    return *value;
}

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

// The models the tool knows, by the kind stored in a saved file.
using Iforest = augur::IsolationForest<>;
using RbfOcsvm = augur::OneClassSvm<augur::RbfKernel>;
using LinearOcsvm = augur::OneClassSvm<augur::LinearKernel>;

template <class M>
constexpr const char* kind_of() {
    if constexpr (std::is_same_v<M, Iforest>)
        return "iforest";
    else if constexpr (std::is_same_v<M, RbfOcsvm>)
        return "ocsvm-rbf";
    else
        return "ocsvm-linear";
}

// Calls fn(std::type_identity<M>{}) for the model type named by `kind`.
template <class Fn>
decltype(auto) with_model_type(const std::string& kind, Fn&& fn) {
    if (kind == kind_of<Iforest>()) return fn(std::type_identity<Iforest>{});
    if (kind == kind_of<RbfOcsvm>()) return fn(std::type_identity<RbfOcsvm>{});
    if (kind == kind_of<LinearOcsvm>()) return fn(std::type_identity<LinearOcsvm>{});
    throw augur::data_error("unknown model kind '" + kind + "'");
}

std::string kind_from_options(const OutliersOptions& options) {
    if (options.model == "iforest") return kind_of<Iforest>();
    return options.kernel == "linear" ? kind_of<LinearOcsvm>() : kind_of<RbfOcsvm>();
}

template <class M>
M make_model(const OutliersOptions& options) {
    if constexpr (std::is_same_v<M, Iforest>)
        return M{iforest_config(options)};
    else
        return M{ocsvm_config(options)};
}

/// What --save writes and --load reads (see the file comment).
struct SavedModel {
    static constexpr std::string_view type_tag = "augur.tool.OutliersModel";
    std::string kind;
    std::vector<std::string> feature_names;
    std::optional<std::string> scaler; // StandardScaler archive, with --standardize
    std::string model;                 // the model's archive
};

void write_saved(const std::string& path, const SavedModel& saved) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw augur::data_error("cannot open '" + path + "' for writing (--save)");
    augur::write_archive(out, SavedModel::type_tag, 1, [&](augur::ArchiveWriter& w) {
        w(saved.kind, saved.feature_names, saved.scaler, saved.model);
    });
    out.close();
    if (!out) throw augur::data_error("writing '" + path + "' failed (--save)");
}

SavedModel read_saved(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw augur::data_error("cannot open '" + path + "' for reading (--load)");
    return augur::read_archive(in, SavedModel::type_tag, 1, [](augur::ArchiveReader& r) {
        SavedModel saved;
        r(saved.kind, saved.feature_names, saved.scaler, saved.model);
        return saved;
    });
}

struct Scores {
    Eigen::VectorXd score;   // higher = more anomalous
    Eigen::VectorXi outlier; // 1 = flagged by the model's threshold (with --flag)
};

// The one scoring path for every model: score() (higher = more anomalous) and the model's
// own threshold through predict() (-1 = outlier).
template <augur::BatchModel M>
Scores score_rows(const M& model, const Eigen::MatrixXd& x, bool flag) {
    Scores s;
    s.score = model.score(x);
    if (flag) s.outlier = (model.predict(x).array() < 0).template cast<int>();
    return s;
}

void check_options(const CLI::App& command, const OutliersOptions& options) {
    const char* fit_only[] = {"--model",         "--trees",      "--max-samples", "--seed",
                              "--contamination", "--threads",    "--nu",          "--gamma",
                              "--kernel",        "--standardize"};
    if (!options.load.empty()) {
        for (const char* name : fit_only)
            if (command.count(name) > 0)
                throw usage_error(std::string(name) +
                                  " configures fitting; with --load the saved model is used");
        if (!options.save.empty()) throw usage_error("--save and --load do not go together");
        return;
    }
    if (options.model.empty()) throw usage_error("--model is required (unless --load is given)");
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

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names)
        out += (out.empty() ? "" : ",") + name;
    return out;
}

// Scores with the model saved in options.load; a bad file is a data_error naming it.
Scores score_loaded(const OutliersOptions& options, const augur::io::FeatureTable& table) {
    try {
        const SavedModel saved = read_saved(options.load);
        if (saved.feature_names != table.feature_names())
            throw augur::data_error("the model was fitted on the columns " +
                                    joined(saved.feature_names) + ", the input has " +
                                    joined(table.feature_names()));
        Eigen::MatrixXd x = table.features();
        if (saved.scaler) {
            const auto scaler = augur::load_from_bytes<augur::StandardScaler>(*saved.scaler);
            if (scaler.n_features() != static_cast<std::size_t>(x.cols()))
                throw augur::data_error("the saved scaler does not match the feature columns");
            x = scaler.transform(x);
        }
        return with_model_type(saved.kind, [&]<class M>(std::type_identity<M>) {
            const M model = augur::load_from_bytes<M>(saved.model);
            if (!model.fitted() || model.n_features() != static_cast<std::size_t>(x.cols()))
                throw augur::data_error("the saved model does not match the feature columns");
            return score_rows(model, x, options.flag);
        });
    } catch (const augur::data_error& e) {
        throw augur::data_error(augur::SourceLocation{options.load, 0, 0}, e.what());
    }
}

// Fits the model the options ask for (standardizing first with --standardize), saves it
// with --save, and scores every row.
Scores fit_and_score(const OutliersOptions& options, const augur::io::FeatureTable& table) {
    Eigen::MatrixXd x = table.features();
    std::optional<augur::StandardScaler> scaler;
    if (options.standardize) {
        scaler.emplace();
        x = scaler->fit_transform(x);
    }
    const std::string kind = kind_from_options(options);
    return with_model_type(kind, [&]<class M>(std::type_identity<M>) {
        M model = make_model<M>(options);
        model.fit(x);
        if (!options.save.empty()) {
            SavedModel saved{kind, table.feature_names(), std::nullopt,
                             augur::save_to_bytes(model)};
            if (scaler) saved.scaler = augur::save_to_bytes(*scaler);
            write_saved(options.save, saved);
        }
        return score_rows(model, x, options.flag);
    });
}

void run_outliers(const CLI::App& command, const OutliersOptions& options) {
    check_options(command, options);
    // Configuration errors (exit 2) before reading the data.
    if (options.load.empty()) {
        if (options.model == "iforest")
            iforest_config(options).validate();
        else
            ocsvm_config(options).validate();
    }
    const augur::io::FeatureTableOptions table_options{.label_column = options.label_column};
    const augur::io::FeatureTable table =
        options.path == "-"
            ? augur::io::read_feature_table(std::cin, "<stdin>", table_options)
            : augur::io::read_feature_table(std::filesystem::path(options.path), table_options);
    const Scores scores =
        options.load.empty() ? fit_and_score(options, table) : score_loaded(options, table);

    Output output{options.output};
    augur::io::CsvWriter csv{output.stream()};
    for (const std::string& name : table.header())
        csv.field(name);
    csv.field("score");
    if (options.flag) csv.field("outlier");
    csv.end_row();
    for (std::size_t r = 0; r < table.rows(); ++r) {
        for (std::size_t c = 0; c < table.header().size(); ++c)
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
                     "iforest (Isolation Forest) or ocsvm (one-class SVM); required unless "
                     "--load")
        ->check(CLI::IsMember({"iforest", "ocsvm"}));
    command->add_option("--save", options->save,
                        "After fitting, save the model (and the scaler of --standardize) to "
                        "this file");
    command->add_option("--load", options->load,
                        "Score with a model saved by --save instead of fitting (the input must "
                        "have the same feature columns)");
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
        "decision function. Every row is used for fitting and scored. --save FILE keeps the\n"
        "fitted model (with its scaler) in one augur archive; --load FILE scores new rows\n"
        "with it (a corrupted or foreign file: a message and exit status 1).\n"
        "Examples:\n"
        "  augur outliers --model iforest --label-column label data.csv\n"
        "  augur outliers --model iforest --contamination 0.05 --flag -o scored.csv data.csv\n"
        "  augur outliers --model ocsvm --standardize --nu 0.1 data.csv\n"
        "  augur outliers --model iforest --save model.augur train.csv\n"
        "  augur outliers --load model.augur fresh.csv");
    command->callback([options, command] { run_outliers(*command, *options); });
}

} // namespace augur_tool
