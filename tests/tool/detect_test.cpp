// Tests of `augur detect`: run the built binary, check its columns, scores and exit statuses.

#include <catch2/catch.hpp>

#include <augur/core/random.hpp>

#include "tool_runner.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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
using augur_test::slurp;

std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> fields;
    std::string field;
    std::istringstream in(line);
    while (std::getline(in, field, ','))
        fields.push_back(field);
    if (!line.empty() && line.back() == ',') fields.emplace_back();
    return fields;
}

fs::path write(const std::string& name, const std::string& text) {
    const fs::path path = scratch() / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

std::string stamp(std::size_t i) {
    // 5-minute steps from 2014-04-01 00:00:00.
    const std::size_t minutes = 5 * i;
    char text[64];
    std::snprintf(text, sizeof text, "2014-04-%02zu %02zu:%02zu:00", 1 + minutes / 1440,
                  (minutes / 60) % 24, minutes % 60);
    return text;
}

/// A NAB-like file: `n` rows of noise around 100 with a spike at row `spike`.
std::string nab_like(std::size_t n, std::size_t spike, std::uint64_t seed = 1) {
    augur::Rng rng(seed);
    std::string csv = "timestamp,value\n";
    for (std::size_t i = 0; i < n; ++i) {
        const double x = i == spike ? 400.0 : augur::normal(rng, 100.0, 5.0);
        char value[32];
        std::snprintf(value, sizeof value, "%.3f", x);
        csv += stamp(i) + "," + value + "\n";
    }
    return csv;
}

bool detect_available() {
    static const bool available = augur_test::run_tool("detect --help").status == 0;
    REQUIRE(available); // `augur detect` is registered in main.cpp
    return available;
}

/// Checks the columns of detect's output against the input and returns the parsed rows.
std::vector<std::vector<std::string>> check_output(const std::string& input,
                                                   const std::string& output) {
    const auto in = lines_of(input);
    const auto out = lines_of(output);
    REQUIRE(out.size() == in.size());
    CHECK(out[0] == in[0] + ",anomaly_score,is_anomaly,type,severity");
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 1; i < out.size(); ++i) {
        INFO("row " << i << ": " << out[i]);
        REQUIRE(out[i].rfind(in[i] + ",", 0) == 0); // the input columns, unchanged
        auto f = split(out[i]);
        REQUIRE(f.size() == split(in[i]).size() + 4);
        const std::size_t k = f.size() - 4;
        const double score = std::stod(f[k]);
        REQUIRE(score >= 0.0);
        REQUIRE(score <= 1.0);
        REQUIRE((f[k + 1] == "0" || f[k + 1] == "1"));
        if (f[k + 1] == "1") {
            REQUIRE_FALSE(f[k + 2].empty());
            REQUIRE_FALSE(f[k + 3].empty());
        } else {
            REQUIRE(f[k + 2].empty());
            REQUIRE(f[k + 3].empty());
        }
        rows.push_back(f);
    }
    return rows;
}

} // namespace

TEST_CASE("augur detect: columns, scores and the planted spike", "[tool][detect]") {
    if (!detect_available()) return;
    const std::string input = nab_like(2000, 1500);
    const fs::path file = write("spike.csv", input);
    const Run run = augur_test::run_tool("detect " + quote(file.string()));
    REQUIRE(run.status == 0);
    CHECK(run.err.empty());
    const auto rows = check_output(input, run.out);
    // Learning: 15% of 2000 rows, scores 0 before.
    for (std::size_t i = 0; i < 300; ++i)
        REQUIRE(rows[i][2] == "0");
    CHECK(rows[1500][3] == "1");
    CHECK(std::stod(rows[1500][2]) > 0.9999);
    CHECK(rows[1500][4] == "unusual_pattern"); // "value": no metric kind
    // The default threshold flags few other rows.
    int flagged = 0;
    for (const auto& r : rows)
        flagged += r[3] == "1" ? 1 : 0;
    CHECK(flagged <= 4);
}

TEST_CASE("augur detect: standard input and -o give the same output", "[tool][detect]") {
    if (!detect_available()) return;
    const std::string input = nab_like(800, 600, 2);
    const fs::path file = write("stdin.csv", input);
    const Run from_file = augur_test::run_tool("detect " + quote(file.string()));
    const Run from_stdin = augur_test::run_tool("detect -", file.string());
    const fs::path out = scratch() / "out.csv";
    const Run to_file =
        augur_test::run_tool("detect -o " + quote(out.string()) + " " + quote(file.string()));
    REQUIRE(from_file.status == 0);
    REQUIRE(from_stdin.status == 0);
    REQUIRE(to_file.status == 0);
    CHECK(from_stdin.out == from_file.out);
    CHECK(slurp(out) == from_file.out);
    CHECK(to_file.out.empty());
}

TEST_CASE("augur detect: every detector runs and keeps the rows", "[tool][detect]") {
    if (!detect_available()) return;
    const std::string input = nab_like(1500, 1200, 3);
    const fs::path file = write("all.csv", input);
    for (const std::string options :
         {"--detector zscore --window 50 --sigma 6", "--detector ewma --half-life 30",
          "--detector robust --window 100 --sigma 6", "--detector seasonal --learning 300",
          "--detector cusum --drift 1 --sigma 8", "--detector trend --window 64",
          "--detector default --learning 100 --threshold 0.9999",
          "--detector default --refractory 10"}) {
        INFO(options);
        const Run run = augur_test::run_tool("detect " + options + " " + quote(file.string()));
        REQUIRE(run.status == 0);
        const auto rows = check_output(input, run.out);
        if (options.find("zscore") != std::string::npos ||
            options.find("robust") != std::string::npos)
            CHECK(rows[1200][3] == "1");
    }
}

TEST_CASE("augur detect: long and wide layouts", "[tool][detect]") {
    if (!detect_available()) return;
    augur::Rng rng(4);
    std::string wide = "timestamp,cpu_percent,latency_ms\n";
    std::string long_csv = "series,timestamp,value\n";
    for (std::size_t i = 0; i < 1000; ++i) {
        const double cpu = i == 800 ? 99.0 : augur::normal(rng, 40.0, 1.0);
        const double latency = augur::normal(rng, 200.0, 5.0);
        char a[32], b[32];
        std::snprintf(a, sizeof a, "%.2f", cpu);
        std::snprintf(b, sizeof b, "%.2f", latency);
        wide += stamp(i) + "," + a + "," + b + "\n";
        long_csv += "cpu_percent," + stamp(i) + "," + a + "\n";
        long_csv += "latency_ms," + stamp(i) + "," + b + "\n";
    }
    SECTION("wide: the row's largest score; type and severity from that column") {
        const fs::path file = write("wide.csv", wide);
        const Run run =
            augur_test::run_tool("detect --detector robust --sigma 8 " + quote(file.string()));
        REQUIRE(run.status == 0);
        const auto rows = check_output(wide, run.out);
        CHECK(rows[800][4] == "1");
        CHECK(rows[800][5] == "resource_spike"); // the cpu column decided
        CHECK(std::stod(rows[800][3]) == 1.0);
    }
    SECTION("long: one output row per input row") {
        const fs::path file = write("long.csv", long_csv);
        const Run run =
            augur_test::run_tool("detect --detector robust --sigma 8 " + quote(file.string()));
        REQUIRE(run.status == 0);
        const auto rows = check_output(long_csv, run.out);
        CHECK(rows[1600][0] == "cpu_percent");
        CHECK(rows[1600][4] == "1");
        CHECK(rows[1600][5] == "resource_spike");
        int flagged = 0;
        for (const auto& r : rows)
            flagged += r[4] == "1" ? 1 : 0;
        CHECK(flagged == 1);
    }
}

TEST_CASE("augur detect: missing values score 0 and are counted", "[tool][detect]") {
    if (!detect_available()) return;
    std::string input = nab_like(600, 9999, 5);
    auto lines = lines_of(input);
    lines[400] = stamp(399) + ",";    // empty value
    lines[450] = stamp(449) + ",NaN"; // NaN
    input.clear();
    for (const auto& l : lines)
        input += l + "\n";
    const fs::path file = write("nan.csv", input);
    const Run run = augur_test::run_tool("detect " + quote(file.string()));
    REQUIRE(run.status == 0);
    CHECK(run.err.find("2 NaN") != std::string::npos);
    const auto out = lines_of(run.out);
    REQUIRE(out.size() == lines.size());
    CHECK(out[400] == lines[400] + ",0,0,,");
    CHECK(out[450] == lines[450] + ",0,0,,");
    const Run strict = augur_test::run_tool("detect --on-nan reject " + quote(file.string()));
    CHECK(strict.status == 1);
    CHECK(strict.err.find(file.string() + ":401") != std::string::npos);
}

TEST_CASE("augur detect: malformed input and bad usage", "[tool][detect]") {
    if (!detect_available()) return;
    SECTION("a row with a bad value: exit 1 naming FILE:LINE") {
        std::string input = nab_like(100, 9999, 6);
        auto lines = lines_of(input);
        lines[42] = stamp(41) + ",12x";
        input.clear();
        for (const auto& l : lines)
            input += l + "\n";
        const fs::path file = write("bad.csv", input);
        const Run run = augur_test::run_tool("detect " + quote(file.string()));
        CHECK(run.status == 1);
        CHECK(run.err.rfind("augur: " + file.string() + ":43:", 0) == 0);
        CHECK(run.out.empty()); // the default detector buffers: nothing written
    }
    SECTION("a sample the input policy rejects: exit 1 naming the series by name") {
        const std::string input = "timestamp,latency\n" + stamp(1) + ",1\n" + stamp(0) + ",2\n";
        const fs::path file = write("unsorted.csv", input);
        const Run run = augur_test::run_tool("detect --detector ewma --on-out-of-order reject " +
                                             quote(file.string()));
        CHECK(run.status == 1);
        CHECK(run.err.find(file.string() + ":3") != std::string::npos);
        CHECK(run.err.find("series 'latency'") != std::string::npos);
    }
    SECTION("a row with too many fields: exit 1") {
        const fs::path file = write("fields.csv", "timestamp,value\n" + stamp(0) + ",1,2\n");
        const Run run = augur_test::run_tool("detect --detector ewma " + quote(file.string()));
        CHECK(run.status == 1);
        CHECK(run.err.find(file.string() + ":2") != std::string::npos);
    }
    SECTION("a missing file: exit 1") {
        const Run run = augur_test::run_tool("detect " + quote((scratch() / "none.csv").string()));
        CHECK(run.status == 1);
        CHECK(run.err.find("none.csv") != std::string::npos);
    }
    SECTION("an empty input: exit 1") {
        const fs::path file = write("empty.csv", "");
        CHECK(augur_test::run_tool("detect " + quote(file.string())).status == 1);
    }
    SECTION("bad options: exit 2") {
        const fs::path file = write("ok.csv", nab_like(100, 9999, 7));
        const std::string f = " " + quote(file.string());
        CHECK(augur_test::run_tool("detect --detector nope" + f).status == 2);
        CHECK(augur_test::run_tool("detect --threshold 1.5" + f).status == 2);
        CHECK(augur_test::run_tool("detect --threshold 0" + f).status == 2);
        CHECK(augur_test::run_tool("detect --window 10" + f).status ==
              2); // not an option of default
        CHECK(augur_test::run_tool("detect --detector ewma --half-life -1" + f).status == 2);
        CHECK(augur_test::run_tool("detect --detector robust --window 2" + f).status == 2);
        CHECK(augur_test::run_tool("detect --on-nan keep" + f).status == 2);
        const Run run = augur_test::run_tool("detect --detector zscore --period 3" + f);
        CHECK(run.status == 2);
        CHECK(run.err.find("period does not apply to detector 'zscore'") != std::string::npos);
    }
}

TEST_CASE("augur detect: --save then --load scores like one run over the whole file",
          "[tool][detect]") {
    if (!detect_available()) return;
    // Two series in long layout; the second part starts with the other series first, so the
    // saved series order matters.
    augur::Rng rng(8);
    std::vector<std::string> rows;
    for (std::size_t i = 0; i < 600; ++i) {
        char a[32], b[32];
        std::snprintf(a, sizeof a, "%.3f", i == 450 ? 300.0 : augur::normal(rng, 100.0, 5.0));
        std::snprintf(b, sizeof b, "%.3f", augur::normal(rng, 20.0, 1.0));
        rows.push_back("cpu_percent," + stamp(i) + "," + a);
        rows.push_back("latency_ms," + stamp(i) + "," + b);
    }
    std::string whole = "series,timestamp,value\n", first = whole, second = whole;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        whole += rows[i] + "\n";
        (i < 601 ? first : second) += rows[i] + "\n"; // the second part starts with latency_ms
    }
    const fs::path whole_file = write("whole.csv", whole);
    const fs::path first_file = write("first.csv", first);
    const fs::path second_file = write("second.csv", second);
    const fs::path state = scratch() / "detector.state";
    for (const std::string options :
         {"--detector ewma --half-life 30", "--detector zscore --window 50 --threshold 0.99",
          "--detector robust", "--detector cusum", "--detector default --learning 100",
          "--detector seasonal --learning 200", "--detector trend --window 64"}) {
        INFO(options);
        fs::remove(state);
        const Run one = augur_test::run_tool("detect " + options + " " + quote(whole_file));
        REQUIRE(one.status == 0);
        const Run a = augur_test::run_tool("detect " + options + " --save " + quote(state) + " " +
                                           quote(first_file));
        if (a.status == 2 && a.err.find("cannot be saved yet") != std::string::npos) {
            WARN(options << ": this detector cannot be saved yet");
            continue;
        }
        REQUIRE(a.status == 0);
        REQUIRE(fs::exists(state));
        const Run b =
            augur_test::run_tool("detect --load " + quote(state) + " " + quote(second_file));
        REQUIRE(b.status == 0);
        const auto whole_out = lines_of(one.out);
        const auto a_out = lines_of(a.out);
        const auto b_out = lines_of(b.out);
        REQUIRE(a_out.size() + b_out.size() == whole_out.size() + 1);
        CHECK(a_out[0] == whole_out[0]);
        CHECK(b_out[0] == whole_out[0]);
        for (std::size_t i = 1; i < a_out.size(); ++i)
            REQUIRE(a_out[i] == whole_out[i]);
        for (std::size_t i = 1; i < b_out.size(); ++i)
            REQUIRE(b_out[i] == whole_out[a_out.size() - 1 + i]);
    }
}

TEST_CASE("augur detect: --load errors", "[tool][detect]") {
    if (!detect_available()) return;
    const fs::path file = write("load.csv", nab_like(300, 200, 9));
    const fs::path state = scratch() / "ewma.state";
    const Run saved =
        augur_test::run_tool("detect --detector ewma --save " + quote(state) + " " + quote(file));
    if (saved.status == 2) {
        WARN("ewma cannot be saved yet: " << saved.err);
        return;
    }
    REQUIRE(saved.status == 0);
    const std::string bytes = slurp(state);
    SECTION("a corrupted file: exit 1 naming the file") {
        std::string corrupted = bytes;
        corrupted[corrupted.size() / 2] = static_cast<char>(corrupted[corrupted.size() / 2] ^ 0x5A);
        const fs::path bad = write("corrupted.state", corrupted);
        const Run run = augur_test::run_tool("detect --load " + quote(bad) + " " + quote(file));
        CHECK(run.status == 1);
        CHECK(run.err.rfind("augur: " + bad.string() + ": ", 0) == 0);
        CHECK(run.out.empty());
    }
    SECTION("a truncated file, a CSV, a missing file: exit 1") {
        const fs::path cut = write("cut.state", bytes.substr(0, bytes.size() - 3));
        CHECK(augur_test::run_tool("detect --load " + quote(cut) + " " + quote(file)).status == 1);
        const Run csv = augur_test::run_tool("detect --load " + quote(file) + " " + quote(file));
        CHECK(csv.status == 1);
        CHECK(csv.err.rfind("augur: " + file.string() + ": ", 0) == 0);
        const fs::path none = scratch() / "none.state";
        CHECK(augur_test::run_tool("detect --load " + quote(none) + " " + quote(file)).status == 1);
    }
    SECTION("detector options with --load: exit 2") {
        for (const std::string options :
             {"--detector ewma", "--half-life 3", "--threshold 0.9", "--learning 10"}) {
            INFO(options);
            const Run run = augur_test::run_tool("detect --load " + quote(state) + " " + options +
                                                 " " + quote(file));
            CHECK(run.status == 2);
            CHECK(run.err.find("--load") != std::string::npos);
        }
    }
}

TEST_CASE("augur detect: --max-series bounds the live series (evict, skip, reject)",
          "[tool][detect]") {
    if (!detect_available()) return;
    // Four series, round robin, 200 time steps; ewma learns from 10 samples per series.
    augur::Rng rng(9);
    std::string csv = "series,timestamp,value\n";
    for (std::size_t t = 0; t < 200; ++t)
        for (int s = 0; s < 4; ++s)
            csv += "s" + std::to_string(s) + "," + stamp(t) + "," +
                   std::to_string(augur::normal(rng, 10.0 * (s + 1), 1.0)) + "\n";
    const fs::path file = write("four_series.csv", csv);
    const std::string base = "detect --detector ewma --learning 10 " + quote(file.string());
    const Run unlimited = augur_test::run_tool(base);
    REQUIRE(unlimited.status == 0);
    const auto all = lines_of(unlimited.out);
    REQUIRE(all.size() == 801);

    // A limit every series fits in changes nothing.
    const Run roomy = augur_test::run_tool(base + " --max-series 4");
    REQUIRE(roomy.status == 0);
    CHECK(roomy.out == unlimited.out);
    CHECK(roomy.err.empty());

    // Three live series for four in round robin: each new sample evicts the series seen
    // longest ago, the one that comes next, so every series starts over at every sample and
    // never leaves its learning period.
    const Run evict = augur_test::run_tool(base + " --max-series 3");
    REQUIRE(evict.status == 0);
    CHECK(evict.err.find("797 series evicted") != std::string::npos);
    const auto evicted = lines_of(evict.out);
    REQUIRE(evicted.size() == 801);
    for (std::size_t i = 1; i < evicted.size(); ++i) {
        const auto fields = split(evicted[i]);
        REQUIRE(fields.size() == 7);
        REQUIRE(fields[3] == "0");
    }

    // skip: the fourth series is dropped (score 0), the other three score as without a limit.
    const Run skip = augur_test::run_tool(base + " --max-series 3 --on-series-limit skip");
    REQUIRE(skip.status == 0);
    CHECK(skip.err.find("200 over the series limit") != std::string::npos);
    const auto skipped = lines_of(skip.out);
    REQUIRE(skipped.size() == 801);
    for (std::size_t i = 1; i < skipped.size(); ++i) {
        if (split(skipped[i])[0] == "s3")
            REQUIRE(split(skipped[i])[3] == "0");
        else
            REQUIRE(skipped[i] == all[i]);
    }

    const Run reject = augur_test::run_tool(base + " --max-series 3 --on-series-limit reject");
    CHECK(reject.status == 1);
    CHECK(reject.err.find("'s3'") != std::string::npos);
    CHECK(reject.err.find(file.string() + ":5") != std::string::npos);
    const Run bad = augur_test::run_tool(base + " --on-series-limit drop");
    CHECK(bad.status == 2);
}
