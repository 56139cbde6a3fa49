// Tests of the `augur` command-line tool: run the built binary, check its output and status.

#include <catch2/catch.hpp>

#include "tool_runner.hpp"
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using augur_test::lines_of;
using augur_test::quote;
using augur_test::Run;
using augur_test::scratch;

const std::string data_dir = AUGUR_TEST_DATA_DIR;

std::vector<std::string> split(const std::string& line, char delimiter = ',') {
    std::vector<std::string> fields;
    std::string field;
    std::istringstream in(line);
    while (std::getline(in, field, delimiter))
        fields.push_back(field);
    if (!line.empty() && line.back() == delimiter) fields.emplace_back();
    return fields;
}

double number(const std::string& text) {
    if (text.empty()) return std::nan("");
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    REQUIRE(used == text.size());
    return value;
}

/// The reference: count, mean, sd, min, max and type-7 quantiles, computed naively.
struct Reference {
    double count, mean, sd, min, p50, p95, p99, max;
};

Reference reference(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const double n = static_cast<double>(v.size());
    double sum = 0.0;
    for (double x : v)
        sum += x;
    const double mean = sum / n;
    double ss = 0.0;
    for (double x : v)
        ss += (x - mean) * (x - mean);
    auto q = [&](double p) {
        const double h = (n - 1.0) * p;
        const auto i = static_cast<std::size_t>(std::floor(h));
        const double next = i + 1 < v.size() ? v[i + 1] : v[i];
        return v[i] + (h - std::floor(h)) * (next - v[i]);
    };
    return {n,         mean,    v.size() > 1 ? std::sqrt(ss / (n - 1.0)) : std::nan(""),
            v.front(), q(0.5),  q(0.95),
            q(0.99),   v.back()};
}

bool close(double got, double want) {
    if (std::isnan(want)) return std::isnan(got);
    return std::abs(got - want) <= 1e-9 * std::max(std::abs(want), 1e-3);
}

/// Long CSV (series,timestamp,value) to values per series, in order of first appearance.
std::vector<std::pair<std::string, std::vector<double>>> values_by_series(const std::string& csv) {
    std::vector<std::pair<std::string, std::vector<double>>> out;
    std::map<std::string, std::size_t> index;
    const auto lines = lines_of(csv);
    REQUIRE(!lines.empty());
    REQUIRE(lines[0] == "series,timestamp,value");
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto f = split(lines[i]);
        REQUIRE(f.size() == 3);
        auto [it, added] = index.try_emplace(f[0], out.size());
        if (added) out.emplace_back(f[0], std::vector<double>{});
        out[it->second].second.push_back(number(f[2]));
    }
    return out;
}

/// Checks summarize's CSV output against the reference of each series.
void check_summary_csv(const std::string& csv,
                       const std::vector<std::pair<std::string, std::vector<double>>>& data) {
    const auto lines = lines_of(csv);
    REQUIRE(lines.size() == data.size() + 1);
    CHECK(lines[0] == "series,count,mean,sd,min,p50,p95,p99,max");
    for (std::size_t i = 0; i < data.size(); ++i) {
        const auto f = split(lines[i + 1]);
        REQUIRE(f.size() == 9);
        INFO(lines[i + 1]);
        CHECK(f[0] == data[i].first);
        const Reference r = reference(data[i].second);
        CHECK(number(f[1]) == r.count);
        CHECK(close(number(f[2]), r.mean));
        CHECK(close(number(f[3]), r.sd));
        CHECK(close(number(f[4]), r.min));
        CHECK(close(number(f[5]), r.p50));
        CHECK(close(number(f[6]), r.p95));
        CHECK(close(number(f[7]), r.p99));
        CHECK(close(number(f[8]), r.max));
    }
}

double json_number(const nlohmann::json& value) {
    return value.is_null() ? std::nan("") : value.get<double>();
}

bool starts_with(const std::string& text, const std::string& prefix) {
    return text.rfind(prefix, 0) == 0;
}

} // namespace

TEST_CASE("augur --version and --help", "[tool][augur]") {
    const Run version = augur_test::run_tool("--version");
    CHECK(version.status == 0);
    CHECK(version.out == "augur 0.1.0\n");
    CHECK(version.err.empty());

    const Run help = augur_test::run_tool("--help");
    CHECK(help.status == 0);
    CHECK(help.out.find("summarize") != std::string::npos);
    CHECK(help.out.find("demo") != std::string::npos);

    // Every command's help has an example.
    for (const std::string command : {"summarize", "demo"}) {
        const Run sub = augur_test::run_tool(command + " --help");
        INFO(command);
        CHECK(sub.status == 0);
        CHECK(sub.out.find("Example") != std::string::npos);
        CHECK(sub.out.find("augur " + command) != std::string::npos);
    }

    const Run none = augur_test::run_tool("");
    CHECK(none.status == 2);
    CHECK(starts_with(none.err, "augur: "));
}

TEST_CASE("augur summarize matches a naive computation on the demo data", "[tool][augur]") {
    const std::string data = (scratch() / "fleet.csv").string();
    const Run emit =
        augur_test::run_tool("demo --emit-data --days 5 --agents 3 --seed 7 -o " + quote(data));
    REQUIRE(emit.status == 0);
    CHECK(emit.out.empty());
    const auto by_series = values_by_series(augur_test::slurp(data));
    REQUIRE(by_series.size() == 3 * 7);
    for (const auto& [name, values] : by_series)
        CHECK(values.size() == 5 * 288);
    CHECK(by_series[0].first == "agent/planner/latency_ms");

    const Run from_file = augur_test::run_tool("summarize " + quote(data));
    REQUIRE(from_file.status == 0);
    CHECK(from_file.err.empty());
    check_summary_csv(from_file.out, by_series);

    // Standard input with '-' gives the same output.
    const Run from_stdin = augur_test::run_tool("summarize -", data);
    REQUIRE(from_stdin.status == 0);
    CHECK(from_stdin.out == from_file.out);

    // JSON: one document with the same numbers and the input counters.
    const Run json = augur_test::run_tool("summarize --format json -", data);
    REQUIRE(json.status == 0);
    const nlohmann::json doc = nlohmann::json::parse(json.out);
    REQUIRE(doc["series"].size() == by_series.size());
    for (std::size_t i = 0; i < by_series.size(); ++i) {
        const nlohmann::json& s = doc["series"][i];
        const Reference r = reference(by_series[i].second);
        INFO(by_series[i].first);
        CHECK(s["name"] == by_series[i].first);
        CHECK(s["count"].get<double>() == r.count);
        CHECK(close(json_number(s["mean"]), r.mean));
        CHECK(close(json_number(s["sd"]), r.sd));
        CHECK(close(json_number(s["min"]), r.min));
        CHECK(close(json_number(s["p50"]), r.p50));
        CHECK(close(json_number(s["p95"]), r.p95));
        CHECK(close(json_number(s["p99"]), r.p99));
        CHECK(close(json_number(s["max"]), r.max));
    }
    CHECK(doc["input"]["seen"] == 3 * 7 * 5 * 288);
    CHECK(doc["input"]["accepted"] == 3 * 7 * 5 * 288);
    CHECK(doc["input"]["skipped"] == 0);
    CHECK(doc["input"]["source"] == "<stdin>");

    // The table format is aligned: every line as long as the header.
    const Run table = augur_test::run_tool("summarize --format table " + quote(data));
    REQUIRE(table.status == 0);
    const auto rows = lines_of(table.out);
    REQUIRE(rows.size() == by_series.size() + 1);
    for (const std::string& row : rows)
        CHECK(row.size() == rows[0].size());
}

TEST_CASE("augur summarize reads the wide layout", "[tool][augur]") {
    const std::string wide = data_dir + "/tool_wide.csv";
    const Run r = augur_test::run_tool("summarize " + quote(wide));
    REQUIRE(r.status == 0);
    check_summary_csv(r.out,
                      {{"cpu", {10, 20, 30, 40, 50}}, {"memory", {100, 100, 200, 300, 500}}});
    // Known answers (R: quantile(c(100,100,200,300,500), c(.5,.95,.99)) = 200, 460, 492).
    const auto lines = lines_of(r.out);
    CHECK(lines[1] == "cpu,5,30,15.811388300841896,10,30,48,49.6,50");
    CHECK(lines[2] == "memory,5,240,167.33200530681512,100,200,460,492,500");

    // Forcing the long layout on a wide file is a data error.
    const Run forced = augur_test::run_tool("summarize --layout long " + quote(wide));
    CHECK(forced.status == 1);
    CHECK(starts_with(forced.err, "augur: " + wide + ":1:"));
}

TEST_CASE("augur summarize reports malformed input with file and line", "[tool][augur]") {
    const std::string bad = data_dir + "/tool_malformed.csv";
    const Run r = augur_test::run_tool("summarize " + quote(bad));
    CHECK(r.status == 1);
    CHECK(starts_with(r.err, "augur: " + bad + ":5:"));
    CHECK(r.err.find("not a number") != std::string::npos);
    CHECK(r.out.empty());

    // The same through standard input names <stdin>.
    const Run piped = augur_test::run_tool("summarize -", bad);
    CHECK(piped.status == 1);
    CHECK(starts_with(piped.err, "augur: <stdin>:5:"));

    // A row with a missing field, on line 3.
    const std::string short_row = (scratch() / "short_row.csv").string();
    std::ofstream(short_row) << "series,timestamp,value\ncpu,2026-01-05T00:00:00Z,1\ncpu,2\n";
    const Run s = augur_test::run_tool("summarize " + quote(short_row));
    CHECK(s.status == 1);
    CHECK(starts_with(s.err, "augur: " + short_row + ":3:"));

    // An empty file.
    const std::string empty = (scratch() / "empty.csv").string();
    std::ofstream{empty};
    const Run e = augur_test::run_tool("summarize " + quote(empty));
    CHECK(e.status == 1);
    CHECK(starts_with(e.err, "augur: " + empty));
}

TEST_CASE("augur exit status 1 for a missing file, 2 for bad usage", "[tool][augur]") {
    const std::string missing = (scratch() / "no_such_file.csv").string();
    const Run m = augur_test::run_tool("summarize " + quote(missing));
    CHECK(m.status == 1);
    CHECK(starts_with(m.err, "augur: " + missing + ":"));

    const std::string wide = quote(data_dir + "/tool_wide.csv");
    for (const std::string& args : std::vector<std::string>{
             "summarize --no-such-option " + wide, "no-such-command",
             "summarize --format xml " + wide, "summarize --layout diagonal " + wide,
             "summarize --on-nan sometimes " + wide, "summarize --on-nan keep " + wide,
             "summarize --on-duplicate clamp " + wide, "summarize --time-unit fortnights " + wide,
             "demo --days 3", "demo --days -3", "demo --agents 0", "demo --seed nope",
             "summarize " + wide + " extra.csv"}) {
        INFO(args);
        const Run r = augur_test::run_tool(args);
        CHECK(r.status == 2);
        CHECK(starts_with(r.err, "augur: "));
        CHECK(r.out.empty());
    }

    // A bad option wins over a bad file: usage is checked first.
    CHECK(augur_test::run_tool("summarize --on-nan sometimes " + quote(missing)).status == 2);
}

TEST_CASE("augur summarize warns about and counts NaN values", "[tool][augur]") {
    const std::string nan_file = data_dir + "/tool_nan.csv";
    const Run skip = augur_test::run_tool("summarize --format json " + quote(nan_file));
    REQUIRE(skip.status == 0);
    CHECK(starts_with(skip.err, "augur: warning: " + nan_file + ": 2 NaN (skipped 2"));
    const nlohmann::json doc = nlohmann::json::parse(skip.out);
    CHECK(doc["input"]["nan"] == 2);
    CHECK(doc["input"]["skipped"] == 2);
    CHECK(doc["input"]["seen"] == 10);
    CHECK(doc["input"]["accepted"] == 8);
    REQUIRE(doc["series"].size() == 2);
    CHECK(doc["series"][0]["name"] == "latency_ms");
    CHECK(doc["series"][0]["count"] == 4);
    CHECK(json_number(doc["series"][0]["mean"]) == Approx(121.25));
    CHECK(doc["series"][1]["count"] == 4);
    CHECK(json_number(doc["series"][1]["mean"]) == Approx(1162.5));

    // clamp: a NaN repeats the series' previous value.
    const Run clamp = augur_test::run_tool("summarize --on-nan clamp " + quote(nan_file));
    REQUIRE(clamp.status == 0);
    CHECK(clamp.err.find("clamped 2") != std::string::npos);
    check_summary_csv(clamp.out, {{"latency_ms", {120, 120, 130, 110, 125}},
                                  {"tokens", {1000, 1100, 1100, 1300, 1250}}});

    // reject: the first NaN stops the run, located at its line.
    const Run reject = augur_test::run_tool("summarize --on-nan reject " + quote(nan_file));
    CHECK(reject.status == 1);
    CHECK(starts_with(reject.err, "augur: " + nan_file + ":3:"));
    CHECK(reject.err.find("latency_ms") != std::string::npos);
    CHECK(reject.out.empty());

    // A clean file gives no warning.
    CHECK(augur_test::run_tool("summarize " + quote(data_dir + "/tool_wide.csv")).err.empty());
}

TEST_CASE("augur demo prints the summary and the incidents", "[tool][augur]") {
    const Run r = augur_test::run_tool("demo --days 6 --agents 5 --seed 3");
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
    const auto lines = lines_of(r.out);
    auto has = [&](const std::string& text) { return r.out.find(text) != std::string::npos; };
    CHECK(has("agent/agent-5/queue_depth"));
    CHECK(has("Injected incidents (5):"));
    for (const char* kind :
         {"latency_spike", "error_rate_spike", "memory_leak", "throughput_drop", "resource_spike"})
        CHECK(has(kind));
    // One table row per series, aligned.
    std::size_t table_rows = 0;
    std::size_t width = 0;
    for (const std::string& line : lines)
        if (starts_with(line, "agent/") || starts_with(line, "series ")) {
            ++table_rows;
            if (width == 0) width = line.size();
            CHECK(line.size() == width);
        }
    CHECK(table_rows == 5 * 7 + 1);
    // The detection report: one line per incident, found or missed, and a total.
    CHECK(has("Detection (default detector, "));
    std::size_t incident_lines = 0;
    for (const std::string& line : lines)
        if (line.find("): found after ") != std::string::npos ||
            line.find("): missed") != std::string::npos)
            ++incident_lines;
    CHECK(incident_lines == 5);
    CHECK(has(" of 5 incidents found; "));

    const Run quiet = augur_test::run_tool("demo --days 2 --no-incidents");
    CHECK(quiet.status == 0);
    CHECK(quiet.out.find("Injected incidents (0):") != std::string::npos);

    // --emit-data to standard output: a header, then agents x 7 x days x 288 rows.
    const Run data = augur_test::run_tool("demo --emit-data --days 1 --agents 2 --no-incidents");
    REQUIRE(data.status == 0);
    const auto rows = lines_of(data.out);
    REQUIRE(rows.size() == 1 + 2 * 7 * 288);
    CHECK(rows[0] == "series,timestamp,value");
    CHECK(starts_with(rows[1], "agent/planner/latency_ms,2026-01-05T00:00:00Z,"));
    CHECK(starts_with(rows.back(), "agent/coder/queue_depth,2026-01-05T23:55:00Z,"));

    // An output file that cannot be created is a data error.
    const Run unwritable = augur_test::run_tool("demo --emit-data -o " +
                                                quote((scratch() / "no/such/dir.csv").string()));
    CHECK(unwritable.status == 1);
    CHECK(starts_with(unwritable.err, "augur: "));
}
