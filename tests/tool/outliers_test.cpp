// Tests of `augur outliers`: run the built binary (AUGUR_TOOL_PATH, or the AUGUR_TOOL
// environment variable) on generated CSV files and check its output against the library.

#include <augur/anomaly/isolation_forest.hpp>
#include <augur/anomaly/one_class_svm.hpp>
#include <augur/core/io/csv.hpp>
#include <augur/core/random.hpp>
#include <augur/core/scaler.hpp>

#include <catch2/catch.hpp>

#include "tool_runner.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using augur_test::Run;
using augur_test::slurp;
using augur_test::tool_path;

// `augur outliers --help` works and documents --model (checked once per test case).
bool outliers_available() {
    const Run help = augur_test::run_tool("outliers --help");
    REQUIRE(help.status == 0);
    REQUIRE(help.out.find("--model") != std::string::npos);
    return true;
}

fs::path write_file(const std::string& name, const std::string& text) {
    const fs::path path = augur_test::scratch() / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
    std::istringstream in(text);
    augur::io::CsvParser csv{in, "output"};
    augur::io::CsvRecord record;
    std::vector<std::vector<std::string>> rows;
    while (csv.next(record)) {
        std::vector<std::string> row;
        for (std::size_t i = 0; i < record.size(); ++i)
            row.emplace_back(record[i]);
        rows.push_back(std::move(row));
    }
    return rows;
}

double number(const std::string& text) {
    const auto value = augur::io::parse_double(text);
    REQUIRE(value.has_value());
    return *value;
}

// 2-D Gaussian rows written with 6 significant digits, a text label column in the middle, and
// `planted` far rows at the end. Returns the CSV text and fills the parsed feature matrix.
std::string feature_csv(std::size_t inliers, std::size_t planted, std::uint64_t seed,
                        Eigen::MatrixXd& x) {
    augur::Rng rng{seed};
    const std::size_t n = inliers + planted;
    x.resize(static_cast<Eigen::Index>(n), 2);
    std::string text = "alpha,label,beta\n";
    for (std::size_t i = 0; i < n; ++i) {
        const bool far = i >= inliers;
        char a[32];
        char b[32];
        std::snprintf(a, sizeof a, "%.6g", far ? 20.0 + augur::uniform01(rng) : augur::normal(rng));
        std::snprintf(b, sizeof b, "%.6g",
                      far ? -20.0 - augur::uniform01(rng) : augur::normal(rng));
        x(static_cast<Eigen::Index>(i), 0) = number(a);
        x(static_cast<Eigen::Index>(i), 1) = number(b);
        text += std::string(a) + "," + (far ? "\"far, planted\"" : "normal") + "," + b + "\n";
    }
    return text;
}

} // namespace

TEST_CASE("augur outliers: iforest scores match the library", "[tool][outliers]") {
    if (!outliers_available()) return;
    Eigen::MatrixXd x;
    const std::string input = feature_csv(300, 3, 5, x);
    const fs::path file = write_file("features.csv", input);
    const Run r = augur_test::run_tool("outliers --model iforest --seed 7 --label-column label " +
                                       augur_test::quote(file.string()));
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
    const auto out = parse_csv(r.out);
    const auto in = parse_csv(input);
    REQUIRE(out.size() == in.size());
    CHECK(out[0] == std::vector<std::string>{"alpha", "label", "beta", "score"});

    augur::IsolationForest<> forest{{.seed = 7}};
    const Eigen::VectorXd expected = forest.fit(x).score(x);
    std::vector<double> scores;
    for (std::size_t i = 1; i < out.size(); ++i) {
        REQUIRE(out[i].size() == 4);
        // The input columns are unchanged (text, quoting undone by the parser).
        CHECK(std::vector<std::string>(out[i].begin(), out[i].begin() + 3) == in[i]);
        scores.push_back(number(out[i][3]));
        REQUIRE(scores.back() == expected(static_cast<Eigen::Index>(i - 1)));
    }
    // The planted rows have the three highest scores.
    std::vector<std::size_t> order(scores.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
    order.resize(3);
    std::sort(order.begin(), order.end());
    CHECK(order == std::vector<std::size_t>{300, 301, 302});
    // The quoted label keeps its quotes in the raw output.
    CHECK(r.out.find("\"far, planted\"") != std::string::npos);
}

TEST_CASE("augur outliers: determinism and threads and stdin and flag", "[tool][outliers]") {
    if (!outliers_available()) return;
    Eigen::MatrixXd x;
    const fs::path file = write_file("features2.csv", feature_csv(97, 3, 9, x));
    const std::string path = augur_test::quote(file.string());
    const Run a = augur_test::run_tool("outliers --model iforest --label-column label " + path);
    const Run b =
        augur_test::run_tool("outliers --model iforest --label-column label --threads 3 " + path);
    const Run c =
        augur_test::run_tool("outliers --model iforest --label-column label --seed 1 " + path);
    const Run d =
        augur_test::run_tool("outliers --model iforest --label-column label -", file.string());
    REQUIRE(a.status == 0);
    CHECK(a.out == b.out);
    CHECK(a.out == d.out);
    CHECK(a.out != c.out);

    const Run flagged = augur_test::run_tool(
        "outliers --model iforest --label-column label --contamination 0.1 --flag " + path);
    REQUIRE(flagged.status == 0);
    const auto rows = parse_csv(flagged.out);
    REQUIRE(rows[0].back() == "outlier");
    int count = 0;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        REQUIRE((rows[i].back() == "0" || rows[i].back() == "1"));
        count += rows[i].back() == "1";
    }
    // 100 rows, the 10th percentile of score_samples: floor(0.1 * 99) + 1 rows below it.
    CHECK(count == 10);
    for (std::size_t i = 98; i <= 100; ++i)
        CHECK(rows[i].back() == "1");

    // -o writes the same to a file.
    const fs::path out = augur_test::scratch() / "scored.csv";
    REQUIRE(augur_test::run_tool("outliers --model iforest --label-column label -o " +
                                 augur_test::quote(out.string()) + " " + path)
                .status == 0);
    CHECK(slurp(out) == a.out);
}

TEST_CASE("augur outliers: ocsvm scores match the library", "[tool][outliers]") {
    if (!outliers_available()) return;
    Eigen::MatrixXd x;
    const fs::path file = write_file("features3.csv", feature_csv(120, 2, 3, x));
    const std::string path = augur_test::quote(file.string());
    const Run r = augur_test::run_tool(
        "outliers --model ocsvm --standardize --nu 0.1 --label-column label " + path);
    INFO(r.err);
    REQUIRE(r.status == 0);
    const Eigen::MatrixXd z = augur::StandardScaler{}.fit_transform(x);
    augur::OneClassSvm<> svm{{.nu = 0.1}};
    const Eigen::VectorXd expected = -svm.fit(z).decision_function(z);
    const auto rows = parse_csv(r.out);
    REQUIRE(rows.size() == 123);
    for (std::size_t i = 1; i < rows.size(); ++i)
        CHECK(number(rows[i].back()) ==
              Approx(expected(static_cast<Eigen::Index>(i - 1))).epsilon(1e-12).margin(1e-12));
    // The planted rows are outside the learned region.
    CHECK(number(rows[121].back()) > 0.0);
    CHECK(number(rows[122].back()) > 0.0);

    const Run linear =
        augur_test::run_tool("outliers --model ocsvm --kernel linear --label-column label " + path);
    CHECK(linear.status == 0);
    const Run gamma =
        augur_test::run_tool("outliers --model ocsvm --gamma 0.5 --label-column label " + path);
    CHECK(gamma.status == 0);
    CHECK(gamma.out != r.out);
}

TEST_CASE("augur outliers: bad data and bad usage", "[tool][outliers]") {
    using Catch::Matchers::Contains;
    using Catch::Matchers::StartsWith;
    if (!outliers_available()) return;
    const fs::path good = write_file("good.csv", "a,b\n1,2\n3,4\n5,7\n");
    const std::string g = augur_test::quote(good.string());

    const fs::path text_cell = write_file("text.csv", "a,b\n1,2\n3,x\n");
    Run r =
        augur_test::run_tool("outliers --model iforest " + augur_test::quote(text_cell.string()));
    CHECK(r.status == 1);
    CHECK_THAT(r.err, StartsWith("augur: " + text_cell.string() + ":3:") && Contains("'b'"));

    const fs::path nan_cell = write_file("nan.csv", "a,b\n1,2\nnan,4\n");
    r = augur_test::run_tool("outliers --model iforest " + augur_test::quote(nan_cell.string()));
    CHECK(r.status == 1);
    CHECK_THAT(r.err, StartsWith("augur: " + nan_cell.string() + ":3:"));

    const fs::path short_row = write_file("short.csv", "a,b\n1,2\n3\n");
    r = augur_test::run_tool("outliers --model iforest " + augur_test::quote(short_row.string()));
    CHECK(r.status == 1);
    CHECK_THAT(r.err, StartsWith("augur: " + short_row.string() + ":3:"));

    const fs::path one_row = write_file("one.csv", "a,b\n1,2\n");
    CHECK(augur_test::run_tool("outliers --model iforest " + augur_test::quote(one_row.string()))
              .status == 1);
    const fs::path header_only = write_file("header.csv", "a,b\n");
    CHECK(
        augur_test::run_tool("outliers --model iforest " + augur_test::quote(header_only.string()))
            .status == 1);
    CHECK(augur_test::run_tool("outliers --model iforest " +
                               augur_test::quote((augur_test::scratch() / "missing.csv").string()))
              .status == 1);
    // The label column may hold text; a text cell elsewhere is an error.
    const fs::path labelled = write_file("labelled.csv", "a,name\n1,x\n2,y\n3,z\n");
    CHECK(augur_test::run_tool("outliers --model iforest --label-column name " +
                               augur_test::quote(labelled.string()))
              .status == 0);
    CHECK(augur_test::run_tool("outliers --model iforest " + augur_test::quote(labelled.string()))
              .status == 1);

    for (const char* args :
         {"outliers --model iforest --label-column nope ", "outliers --model iforest --nu 0.2 ",
          "outliers --model ocsvm --trees 5 ", "outliers --model ocsvm --gamma abc ",
          "outliers --model ocsvm --nu 0 ", "outliers --model ocsvm --kernel linear --gamma 1 ",
          "outliers --model lof ", "outliers ", "outliers --model iforest --trees 0 ",
          "outliers --model iforest --contamination 0.7 "}) {
        INFO(args);
        r = augur_test::run_tool(std::string(args) + g);
        CHECK(r.status == 2);
        CHECK_THAT(r.err, StartsWith("augur: "));
    }
}

TEST_CASE("augur outliers: --save then --load scores the same", "[tool][outliers]") {
    if (!outliers_available()) return;
    Eigen::MatrixXd x;
    const std::string train = feature_csv(200, 2, 11, x);
    const fs::path train_file = write_file("train.csv", train);
    const fs::path fresh_file = write_file("fresh.csv", feature_csv(50, 1, 12, x));
    const std::string tr = augur_test::quote(train_file.string());
    const std::string fr = augur_test::quote(fresh_file.string());
    for (const char* fit :
         {"--model iforest --seed 3 --contamination 0.05", "--model ocsvm --standardize --nu 0.2",
          "--model ocsvm --kernel linear --nu 0.3"}) {
        INFO(fit);
        const fs::path model = augur_test::scratch() / "model.augur";
        const std::string m = augur_test::quote(model.string());
        const Run fitted = augur_test::run_tool(
            std::string("outliers ") + fit + " --label-column label --flag --save " + m + " " + tr);
        INFO(fitted.err);
        REQUIRE(fitted.status == 0);
        REQUIRE(fs::exists(model));
        // Scoring the training rows with the saved model gives the fitted run's output.
        const Run again =
            augur_test::run_tool("outliers --label-column label --flag --load " + m + " " + tr);
        INFO(again.err);
        REQUIRE(again.status == 0);
        CHECK(again.out == fitted.out);
        // New rows: scored, the far one the highest.
        const Run fresh =
            augur_test::run_tool("outliers --label-column label --load " + m + " " + fr);
        REQUIRE(fresh.status == 0);
        const auto rows = parse_csv(fresh.out);
        REQUIRE(rows.size() == 52);
        double top = -1e300;
        std::size_t top_row = 0;
        for (std::size_t i = 1; i < rows.size(); ++i)
            if (number(rows[i][3]) > top) {
                top = number(rows[i][3]);
                top_row = i;
            }
        if (std::string(fit).find("linear") == std::string::npos) CHECK(top_row == 51);
    }
}

TEST_CASE("augur outliers: a corrupted or mismatched saved model is exit 1", "[tool][outliers]") {
    using Catch::Matchers::Contains;
    using Catch::Matchers::StartsWith;
    if (!outliers_available()) return;
    const fs::path data = write_file("small.csv", "a,b\n1,2\n3,4\n5,7\n0,1\n");
    const std::string d = augur_test::quote(data.string());
    const fs::path model = augur_test::scratch() / "small.augur";
    const std::string m = augur_test::quote(model.string());
    REQUIRE(augur_test::run_tool("outliers --model iforest --save " + m + " " + d).status == 0);
    const std::string bytes = slurp(model);
    REQUIRE(bytes.size() > 100);

    std::string damaged = bytes;
    damaged[damaged.size() / 2] = static_cast<char>(damaged[damaged.size() / 2] ^ 0x5A);
    const fs::path corrupt = write_file("corrupt.augur", damaged);
    Run r =
        augur_test::run_tool("outliers --load " + augur_test::quote(corrupt.string()) + " " + d);
    CHECK(r.status == 1);
    CHECK_THAT(r.err, StartsWith("augur: " + corrupt.string() + ": ") && Contains("corrupted"));
    CHECK(r.out.empty());

    const fs::path truncated = write_file("truncated.augur", bytes.substr(0, bytes.size() - 9));
    r = augur_test::run_tool("outliers --load " + augur_test::quote(truncated.string()) + " " + d);
    CHECK(r.status == 1);
    CHECK_THAT(r.err, StartsWith("augur: "));

    const fs::path text = write_file("text.augur", "not a model\n");
    r = augur_test::run_tool("outliers --load " + augur_test::quote(text.string()) + " " + d);
    CHECK(r.status == 1);

    r = augur_test::run_tool("outliers --load " +
                             augur_test::quote((augur_test::scratch() / "none.augur").string()) +
                             " " + d);
    CHECK(r.status == 1);

    // Other feature columns than the model was fitted on.
    const fs::path other = write_file("other.csv", "a,c\n1,2\n3,4\n");
    r = augur_test::run_tool("outliers --load " + m + " " + augur_test::quote(other.string()));
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Contains("a,b") && Contains("a,c"));

    // Fit options do not go with --load; --save and --load do not go together.
    for (const char* args : {"--model iforest --load ", "--trees 5 --load ",
                             "--standardize --load ", "--save x.augur --load "}) {
        INFO(args);
        r = augur_test::run_tool(std::string("outliers ") + args + m + " " + d);
        CHECK(r.status == 2);
    }
}
