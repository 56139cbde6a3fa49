#include <augur/core/io/sample_reader.hpp>
#include <augur/core/random.hpp>
#include <augur/core/stream.hpp>

#include "io/io_test_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace {

using augur::Sample;
using augur::SeriesId;
using augur::SeriesRegistry;
using augur::Timestamp;
using augur::io::CsvLayout;
using augur::io::SampleReader;
using augur::io::SampleReaderOptions;

static_assert(augur::MetricStream<SampleReader&>);
static_assert(std::input_iterator<SampleReader::iterator>);

constexpr std::int64_t april_2014 = 1396310400;

Timestamp at_s(std::int64_t s) {
    return Timestamp{augur::Duration{s * 1'000'000'000}};
}

std::vector<Sample> read_all(const std::string& text, SeriesRegistry& registry,
                             SampleReaderOptions options = {}) {
    std::istringstream in{text};
    SampleReader reader{in, "mem.csv", registry, std::move(options)};
    return augur::collect(reader);
}

augur::data_error read_error(const std::string& text, SampleReaderOptions options = {}) {
    SeriesRegistry registry;
    try {
        read_all(text, registry, std::move(options));
    } catch (const augur::data_error& e) {
        return e;
    }
    FAIL("no data_error for: " << text);
    return augur::data_error("unreachable");
}

bool same_value(double a, double b) {
    return (std::isnan(a) && std::isnan(b)) || a == b;
}

} // namespace

TEST_CASE("SampleReader: long layout", "[io][sample_reader]") {
    SeriesRegistry registry;
    std::istringstream in{"series,timestamp,value\n"
                          "cpu,2014-04-01 00:00:00,1.5\n"
                          "mem,2014-04-01 00:00:00,2\n"
                          "cpu,2014-04-01 00:01:00,NA\n"
                          "cpu,1396310520,-inf\n"};
    SampleReader reader{in, "long.csv", registry};
    CHECK(reader.layout() == CsvLayout::long_format);
    CHECK(reader.header() == std::vector<std::string>{"series", "timestamp", "value"});
    CHECK(reader.timestamp_column() == 1);
    CHECK(reader.series_column() == 0);
    CHECK(reader.value_columns() == std::vector<std::size_t>{2});
    CHECK(reader.column_series().empty());

    Sample s;
    REQUIRE(reader.next(s));
    const SeriesId cpu = *registry.find("cpu");
    CHECK(s == Sample{cpu, at_s(april_2014), 1.5});
    CHECK(reader.line() == 2);
    CHECK(reader.record_column() == 2);
    CHECK(reader.record()[0] == "cpu");
    REQUIRE(reader.next(s));
    CHECK(s == Sample{*registry.find("mem"), at_s(april_2014), 2.0});
    REQUIRE(reader.next(s));
    CHECK(s.series == cpu);
    CHECK(s.time == at_s(april_2014 + 60));
    CHECK(std::isnan(s.value));
    REQUIRE(reader.next(s));
    CHECK(s.value == -std::numeric_limits<double>::infinity());
    CHECK(s.time == at_s(april_2014 + 120));
    CHECK(reader.line() == 5);
    CHECK_FALSE(reader.next(s));
    CHECK_FALSE(reader.next(s));
    CHECK(reader.rows() == 4);
    CHECK(registry.size() == 2);
}

TEST_CASE("SampleReader: long layout with other column names and order", "[io][sample_reader]") {
    SeriesRegistry registry;
    const auto samples = read_all(" Value ,host,TS , METRIC\n"
                                  "1,a,2014-04-01,x\n"
                                  "2,b,2014-04-02,y\n",
                                  registry);
    REQUIRE(samples.size() == 2);
    CHECK(samples[0] == Sample{*registry.find("x"), at_s(april_2014), 1.0});
    CHECK(samples[1] == Sample{*registry.find("y"), at_s(april_2014 + 86400), 2.0});
    // "name" and "time" are accepted too; extra columns are ignored.
    SeriesRegistry other;
    CHECK(read_all("time,name,value,unit\n0,z,3,ms\n", other).at(0) ==
          Sample{SeriesId{0}, at_s(0), 3.0});
}

TEST_CASE("SampleReader: wide layout, one sample per column in column order",
          "[io][sample_reader]") {
    SeriesRegistry registry;
    registry.intern(std::string_view("already-there"));
    std::istringstream in{"timestamp,cpu,mem,disk\n"
                          "1396310400,1,2,3\n"
                          "1396310460,4,,null\n"};
    SampleReader reader{in, "wide.csv", registry};
    CHECK(reader.layout() == CsvLayout::wide);
    const std::vector<SeriesId> ids{SeriesId{1}, SeriesId{2}, SeriesId{3}};
    CHECK(reader.column_series() == ids);
    CHECK(reader.value_columns() == std::vector<std::size_t>{1, 2, 3});
    CHECK(registry.name(SeriesId{2}) == "mem");

    std::vector<Sample> samples;
    std::vector<std::size_t> columns;
    std::vector<std::uint64_t> lines;
    for (const Sample& s : reader) {
        samples.push_back(s);
        columns.push_back(reader.record_column());
        lines.push_back(reader.line());
        CHECK(reader.record()[0] == (lines.back() == 2 ? "1396310400" : "1396310460"));
    }
    REQUIRE(samples.size() == 6);
    CHECK(columns == std::vector<std::size_t>{1, 2, 3, 1, 2, 3});
    CHECK(lines == std::vector<std::uint64_t>{2, 2, 2, 3, 3, 3});
    const double expected[] = {1, 2, 3, 4, std::nan(""), std::nan("")};
    for (std::size_t i = 0; i < 6; ++i) {
        CHECK(samples[i].series == ids[i % 3]);
        CHECK(samples[i].time == at_s(april_2014 + 60 * static_cast<std::int64_t>(i / 3)));
        CHECK(same_value(samples[i].value, expected[i]));
    }
    CHECK(reader.rows() == 2);
}

TEST_CASE("SampleReader: wide timestamp column detection", "[io][sample_reader]") {
    SeriesRegistry registry;
    std::istringstream in{"cpu,Time,mem\n1,2014-04-01,2\n"};
    SampleReader reader{in, "w.csv", registry};
    CHECK(reader.timestamp_column() == 1);
    CHECK(reader.value_columns() == std::vector<std::size_t>{0, 2});
    CHECK(augur::collect(reader) == std::vector<Sample>{{SeriesId{0}, at_s(april_2014), 1.0},
                                                        {SeriesId{1}, at_s(april_2014), 2.0}});

    // No column named like a time: the first column holds it.
    SeriesRegistry r2;
    std::istringstream in2{"when,latency\n2014-04-01,7\n"};
    SampleReader reader2{in2, "w.csv", r2};
    CHECK(reader2.timestamp_column() == 0);
    CHECK(augur::collect(reader2) == std::vector<Sample>{{SeriesId{0}, at_s(april_2014), 7.0}});
}

TEST_CASE("SampleReader: options force the layout, name columns, set the time unit",
          "[io][sample_reader]") {
    SECTION("wide forced on a long-looking header") {
        SeriesRegistry registry;
        SampleReaderOptions options;
        options.layout = CsvLayout::wide;
        options.timestamp_column = "timestamp";
        const auto samples = read_all("series,timestamp,value\n5,0,6\n", registry, options);
        REQUIRE(samples.size() == 2);
        CHECK(registry.name(samples[0].series) == "series");
        CHECK(samples[0].value == 5.0);
        CHECK(registry.name(samples[1].series) == "value");
    }
    SECTION("explicit column names") {
        SeriesRegistry registry;
        SampleReaderOptions options;
        options.series_column = "host";
        options.timestamp_column = "at";
        options.value_column = "reading";
        const auto samples = read_all("reading,at,host\n9,1396310400,h1\n", registry, options);
        REQUIRE(samples.size() == 1);
        CHECK(samples[0] == Sample{*registry.find("h1"), at_s(april_2014), 9.0});
    }
    SECTION("a value column restricts the wide layout to one series") {
        SeriesRegistry registry;
        SampleReaderOptions options;
        options.value_column = "mem";
        const auto samples = read_all("timestamp,cpu,mem\n0,1,2\n60,3,4\n", registry, options);
        REQUIRE(samples.size() == 2);
        CHECK(registry.size() == 1);
        CHECK(samples[1] == Sample{*registry.find("mem"), at_s(60), 4.0});
    }
    SECTION("time unit") {
        SeriesRegistry registry;
        SampleReaderOptions options;
        options.time_unit = augur::io::TimeUnit::milliseconds;
        CHECK(read_all("ts,v\n1500,1\n", registry, options).at(0).time ==
              Timestamp{std::chrono::milliseconds{1500}});
    }
    SECTION("delimiter") {
        SeriesRegistry registry;
        SampleReaderOptions options;
        options.delimiter = ';';
        CHECK(read_all("timestamp;v\n0;1.5\n", registry, options) ==
              std::vector<Sample>{{SeriesId{0}, at_s(0), 1.5}});
    }
    SECTION("a named column that is missing") {
        SampleReaderOptions options;
        options.value_column = "nope";
        const auto e = read_error("timestamp,v\n0,1\n", options);
        CHECK_THAT(e.what(), Catch::StartsWith("mem.csv:1: "));
        CHECK_THAT(e.what(), Catch::Contains("'nope'"));
    }
    SECTION("long forced without the columns") {
        SampleReaderOptions options;
        options.layout = CsvLayout::long_format;
        const auto e = read_error("timestamp,cpu\n0,1\n", options);
        CHECK_THAT(e.what(), Catch::Contains("long layout"));
        CHECK_THAT(e.what(), Catch::Contains("'cpu'"));
    }
}

TEST_CASE("SampleReader: fixture files through the path constructor", "[io][sample_reader]") {
    const std::filesystem::path dir{AUGUR_TEST_DATA_DIR};
    SECTION("NAB-style timestamp,value") {
        SeriesRegistry registry;
        SampleReader reader{dir / "io_nab_sample.csv", registry};
        CHECK(reader.layout() == CsvLayout::wide);
        CHECK(reader.source_name() == (dir / "io_nab_sample.csv").string());
        const auto samples = augur::collect(reader);
        REQUIRE(samples.size() == 5);
        CHECK(registry.name(samples[0].series) == "value");
        const double values[] = {20.5, 21, std::nan(""), 19.75, 1000};
        for (std::size_t i = 0; i < 5; ++i) {
            CHECK(samples[i].time == at_s(april_2014 + 300 * static_cast<std::int64_t>(i)));
            CHECK(same_value(samples[i].value, values[i]));
        }
    }
    SECTION("long layout with BOM, CRLF, quotes, a blank line, mixed time forms") {
        SeriesRegistry registry;
        SampleReader reader{dir / "io_long_sample.csv", registry};
        CHECK(reader.layout() == CsvLayout::long_format);
        CHECK(reader.header().at(0) == "Series");
        const auto samples = augur::collect(reader);
        REQUIRE(samples.size() == 3);
        const auto& key = registry.key(samples[0].series);
        CHECK(key.component_type == "agent");
        CHECK(key.component_id == "planner-1");
        CHECK(key.metric_name == "latency_ms");
        CHECK(key.label("region") == "eu");
        CHECK(samples[0].value == 120.5);
        CHECK(samples[0].time == at_s(april_2014));
        CHECK(registry.name(samples[1].series) == "requests, total");
        CHECK(samples[1].time == at_s(april_2014));
        CHECK(samples[2].series == samples[0].series);
        CHECK(std::isnan(samples[2].value));
        CHECK(samples[2].time == at_s(april_2014 + 60));
        CHECK(reader.line() == 5);
    }
    SECTION("a missing file names the file") {
        SeriesRegistry registry;
        try {
            SampleReader reader{dir / "no_such_file.csv", registry};
            FAIL("no exception");
        } catch (const augur::data_error& e) {
            CHECK_THAT(e.what(), Catch::Contains("no_such_file.csv"));
            CHECK_THAT(e.what(), Catch::Contains("no such file"));
        }
        CHECK_THROWS_AS(SampleReader(dir, registry), augur::data_error);
    }
}

TEST_CASE("SampleReader: header errors", "[io][sample_reader]") {
    CHECK(std::string(read_error("").what()) == "mem.csv: empty input");
    CHECK(std::string(read_error("\n\n").what()) == "mem.csv: empty input");
    CHECK_THAT(read_error("timestamp\n0\n").what(), Catch::Contains("mem.csv:1:"));
    CHECK_THAT(read_error("timestamp,,b\n0,1,2\n").what(), Catch::StartsWith("mem.csv:1:11: "));
    CHECK_THAT(read_error("timestamp,a,a\n0,1,2\n").what(), Catch::Contains("appears twice"));
    CHECK_THAT(read_error("timestamp,a/b/c/d\n0,1\n").what(),
               Catch::Contains("not a valid series name"));
    // No header: the first row is data.
    CHECK_THAT(read_error("1396310400,5\n1396310460,6\n").what(),
               Catch::Contains("header row is required"));
    CHECK_THAT(read_error("2014-04-01,x\n").what(), Catch::Contains("header row is required"));
    CHECK_THAT(read_error("time,value\n\"unterminated\n").what(), Catch::Contains("unterminated"));
}

TEST_CASE("SampleReader: row errors give FILE:LINE:COL and name the column",
          "[io][sample_reader]") {
    SECTION("wrong number of fields") {
        const auto few = read_error("timestamp,a,b\n0,1,2\n\n60,1\n");
        CHECK_THAT(few.what(), Catch::StartsWith("mem.csv:4: "));
        CHECK_THAT(few.what(), Catch::Contains("expected 3 fields"));
        const auto many = read_error("timestamp,a,b\n0,1,2\n60,1,2,3\n");
        CHECK_THAT(many.what(), Catch::StartsWith("mem.csv:3:8: "));
        CHECK_THAT(many.what(), Catch::Contains("found 4"));
    }
    SECTION("bad timestamp") {
        const auto e = read_error("value,timestamp\n1,2014-04-01\n2,2014-13-01\n");
        CHECK(e.where().line == 3);
        CHECK(e.where().column == 3);
        CHECK_THAT(e.what(), Catch::Contains("column 'timestamp'"));
        CHECK_THAT(e.what(), Catch::Contains("'2014-13-01'"));
        CHECK_THAT(read_error("timestamp,v\n,1\n").what(), Catch::Contains("not a timestamp"));
    }
    SECTION("bad number, long text truncated") {
        const auto e = read_error("timestamp,cpu\n0,1\n60,\"12" + std::string(100, 'x') + "\"\n");
        CHECK_THAT(e.what(), Catch::StartsWith("mem.csv:3:4: "));
        CHECK_THAT(e.what(), Catch::Contains("column 'cpu': not a number: '12xxx"));
        CHECK_THAT(e.what(), Catch::Contains("...'"));
        CHECK(std::string(e.what()).size() < 120);
    }
    SECTION("bad number on a later line of a multi-line record") {
        const auto e = read_error("series,note,timestamp,value\nx,\"a\nb\",0,oops\n");
        CHECK(e.where().line == 3);
        CHECK(e.where().column == 6);
    }
    SECTION("bad series name in the long layout") {
        const auto e = read_error("series,timestamp,value\na,0,1\n,0,1\n");
        CHECK_THAT(e.what(), Catch::StartsWith("mem.csv:3:1: "));
        CHECK_THAT(e.what(), Catch::Contains("empty series name"));
        CHECK_THAT(read_error("series,timestamp,value\nx{bad,0,1\n").what(),
                   Catch::StartsWith("mem.csv:2:1: "));
    }
}

TEST_CASE("SampleReader: after a bad cell, reading goes on with the next one",
          "[io][sample_reader]") {
    SeriesRegistry registry;
    std::istringstream in{"timestamp,a,b\n0,x,2\n60,3,4\n"};
    SampleReader reader{in, "m.csv", registry};
    Sample s;
    CHECK_THROWS_AS(reader.next(s), augur::data_error);
    REQUIRE(reader.next(s));
    CHECK(s == Sample{SeriesId{1}, at_s(0), 2.0});
    REQUIRE(reader.next(s));
    CHECK(s == Sample{SeriesId{0}, at_s(60), 3.0});
}

TEST_CASE("SampleReader: a large wide file through a trickling stream matches the "
          "in-memory expectation",
          "[io][sample_reader]") {
    augur::Rng rng{99};
    std::string text = "timestamp,alpha,beta,gamma\n";
    std::vector<Sample> expected;
    std::int64_t seconds = april_2014;
    char number[32];
    for (int row = 0; row < 100000; ++row) {
        seconds += 1 + static_cast<std::int64_t>(augur::uniform_index(rng, 100));
        const bool iso = row % 2 == 1;
        text += iso ? augur::to_iso8601(at_s(seconds)) : std::to_string(seconds);
        for (std::uint32_t c = 0; c < 3; ++c) {
            const double value = augur::normal(rng, 0.0, 1000.0);
            const auto end = std::to_chars(number, number + sizeof number, value).ptr;
            text += ',';
            text.append(number, end);
            expected.push_back(Sample{SeriesId{c}, at_s(seconds), value});
        }
        text += row % 3 == 0 ? "\r\n" : "\n";
    }
    augur_test::ChunkedStreambuf buf{text, 1021};
    std::istream in{&buf};
    SeriesRegistry registry;
    SampleReader reader{in, "big.csv", registry};
    std::size_t i = 0;
    for (const Sample& s : reader) {
        REQUIRE(i < expected.size());
        REQUIRE(s == expected[i]);
        ++i;
    }
    CHECK(i == expected.size());
    CHECK(reader.rows() == 100000);
    CHECK(reader.bytes_consumed() == text.size());
}

namespace {

SampleReader open_input(const std::string& name, std::istream& fallback, SeriesRegistry& registry) {
    if (name == "-") return SampleReader{fallback, "<stdin>", registry};
    return SampleReader{std::filesystem::path{name}, registry};
}

} // namespace

TEST_CASE("SampleReader: returned from a function and moved", "[io][sample_reader]") {
    SeriesRegistry registry;
    std::istringstream in{"timestamp,v\n0,1\n60,2\n"};
    SampleReader reader = open_input("-", in, registry);
    Sample s;
    REQUIRE(reader.next(s));
    SampleReader moved = std::move(reader);
    REQUIRE(moved.next(s));
    CHECK(s == Sample{SeriesId{0}, at_s(60), 2.0});
    CHECK(moved.source_name() == "<stdin>");

    SampleReader file = open_input(
        (std::filesystem::path{AUGUR_TEST_DATA_DIR} / "io_nab_sample.csv").string(), in, registry);
    SampleReader file_moved = std::move(file);
    CHECK(augur::collect(file_moved).size() == 5);
}
