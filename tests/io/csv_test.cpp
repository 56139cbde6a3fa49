#include <augur/core/io/csv.hpp>
#include <augur/core/random.hpp>

#include "io/io_test_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace {

using augur::io::CsvOptions;
using augur::io::CsvParser;
using augur::io::CsvRecord;
using augur::io::parse_double;

struct Row {
    std::vector<std::string> fields;
    std::uint64_t line = 0;
    bool operator==(const Row&) const = default;
};

std::vector<Row> parse_stream(std::istream& in, CsvOptions options = {}) {
    CsvParser parser{in, "test.csv", options};
    CsvRecord record;
    std::vector<Row> rows;
    while (parser.next(record)) {
        Row row;
        row.line = record.line();
        REQUIRE(parser.line() == record.line());
        for (std::size_t i = 0; i < record.size(); ++i)
            row.fields.emplace_back(record[i]);
        rows.push_back(std::move(row));
    }
    REQUIRE(record.empty());
    return rows;
}

std::vector<Row> parse_text(const std::string& text, CsvOptions options = {}) {
    std::istringstream in{text};
    return parse_stream(in, options);
}

std::vector<std::string> fields(std::initializer_list<const char*> list) {
    return {list.begin(), list.end()};
}

// The data_error raised by parsing `text` (fails the test if none is thrown).
augur::data_error parse_error(const std::string& text, CsvOptions options = {}) {
    try {
        parse_text(text, options);
    } catch (const augur::data_error& e) {
        return e;
    }
    FAIL("no data_error for: " << text);
    return augur::data_error("unreachable");
}

} // namespace

TEST_CASE("CsvParser reads plain records with line numbers", "[io][csv]") {
    const auto rows = parse_text("a,b,c\n1,22,333\n,,\nx\n");
    REQUIRE(rows.size() == 4);
    CHECK(rows[0] == Row{fields({"a", "b", "c"}), 1});
    CHECK(rows[1] == Row{fields({"1", "22", "333"}), 2});
    CHECK(rows[2] == Row{fields({"", "", ""}), 3});
    CHECK(rows[3] == Row{fields({"x"}), 4});
}

TEST_CASE("CsvParser: empty input and only blank lines give no record", "[io][csv]") {
    CHECK(parse_text("").empty());
    CHECK(parse_text("\n\r\n\n").empty());
    CHECK(parse_text("\xEF\xBB\xBF").empty());
}

TEST_CASE("CsvParser: missing final newline, trailing delimiter, CRLF", "[io][csv]") {
    CHECK(parse_text("a,b\n1,2") ==
          std::vector<Row>{{fields({"a", "b"}), 1}, {fields({"1", "2"}), 2}});
    CHECK(parse_text("a,b,\n") == std::vector<Row>{{fields({"a", "b", ""}), 1}});
    CHECK(parse_text("a,b\r\n1,2\r\n") ==
          std::vector<Row>{{fields({"a", "b"}), 1}, {fields({"1", "2"}), 2}});
    CHECK(parse_text("a,b\r\n1,2\r") ==
          std::vector<Row>{{fields({"a", "b"}), 1}, {fields({"1", "2"}), 2}});
    // A CR that does not end a line is data.
    CHECK(parse_text("a\rb,c\n") == std::vector<Row>{{fields({"a\rb", "c"}), 1}});
}

TEST_CASE("CsvParser skips blank lines but counts them", "[io][csv]") {
    const auto rows = parse_text("\na,b\n\n\r\n1,2\n\n");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0] == Row{fields({"a", "b"}), 2});
    CHECK(rows[1] == Row{fields({"1", "2"}), 5});
}

TEST_CASE("CsvParser: quoted fields, escaped quotes, delimiters inside quotes", "[io][csv]") {
    const auto rows =
        parse_text("\"a,b\",\"say \"\"hi\"\"\",\"\",plain\n\"\"\"\",\"x\"\"\",\"\"\"y\"\n");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].fields == fields({"a,b", "say \"hi\"", "", "plain"}));
    CHECK(rows[1].fields == fields({"\"", "x\"", "\"y"}));
}

TEST_CASE("CsvParser: newlines inside quotes keep line numbers right", "[io][csv]") {
    const std::string text = "h1,h2\n"
                             "\"line one\nline two\",x\n"
                             "next,\"a\r\nb\n\nc\"\n"
                             "last,row\n";
    const auto rows = parse_text(text);
    REQUIRE(rows.size() == 4);
    CHECK(rows[0] == Row{fields({"h1", "h2"}), 1});
    CHECK(rows[1] == Row{fields({"line one\nline two", "x"}), 2});
    CHECK(rows[2] == Row{fields({"next", "a\r\nb\n\nc"}), 4});
    CHECK(rows[3] == Row{fields({"last", "row"}), 8});

    // Per-field line and column after an embedded newline.
    std::istringstream in{"\"a\nbc\",d,\"e\"\n"};
    CsvParser parser{in, "t.csv"};
    CsvRecord record;
    REQUIRE(parser.next(record));
    CHECK(record.line_of(0) == 1);
    CHECK(record.column_of(0) == 1);
    CHECK(record.line_of(1) == 2);
    CHECK(record.column_of(1) == 5);
    CHECK(record.line_of(2) == 2);
    CHECK(record.column_of(2) == 7);
}

TEST_CASE("CsvParser: byte columns of fields, BOM skipped", "[io][csv]") {
    std::istringstream in{"\xEF\xBB\xBF"
                          "a,bb,ccc,\"q\"\n"};
    CsvParser parser{in, "t.csv"};
    CsvRecord record;
    REQUIRE(parser.next(record));
    REQUIRE(record.size() == 4);
    CHECK(record[0] == "a");
    CHECK(record.column_of(0) == 1);
    CHECK(record.column_of(1) == 3);
    CHECK(record.column_of(2) == 6);
    CHECK(record.column_of(3) == 10);
    CHECK_FALSE(parser.next(record));
    // A BOM anywhere else is data.
    CHECK(parse_text("a\n\xEF\xBB\xBF"
                     "b\n")[1]
              .fields == fields({"\xEF\xBB\xBF"
                                 "b"}));
}

TEST_CASE("CsvParser: spaces around quoted fields are allowed, kept in unquoted ones",
          "[io][csv]") {
    CHECK(parse_text(" \"a\" , b ,\t\"c\"\t\n")[0].fields == fields({"a", " b ", "c"}));
}

TEST_CASE("CsvParser: other delimiters", "[io][csv]") {
    CsvOptions options;
    options.delimiter = ';';
    CHECK(parse_text("a;b,c;\"d;e\"\n", options)[0].fields == fields({"a", "b,c", "d;e"}));
    options.delimiter = '\t';
    CHECK(parse_text("a\tb c\t\n", options)[0].fields == fields({"a", "b c", ""}));
    CHECK(parse_text("\"a\"\t\t \"b\" \t\n", options)[0].fields == fields({"a", "", "b", ""}));
    options.delimiter = '"';
    std::istringstream in;
    CHECK_THROWS_AS(CsvParser(in, "x", options), augur::invalid_argument);
    options.delimiter = '\n';
    CHECK_THROWS_AS(CsvParser(in, "x", options), augur::invalid_argument);
    options = {};
    options.buffer_size = 0;
    CHECK_THROWS_AS(CsvParser(in, "x", options), augur::invalid_argument);
}

TEST_CASE("CsvParser: malformed records throw data_error at FILE:LINE:COL", "[io][csv]") {
    SECTION("unterminated quote, located at the opening quote") {
        const auto e = parse_error("a,b\n1,2\nx,\"open\nmore\n");
        CHECK(e.where().file == "test.csv");
        CHECK(e.where().line == 3);
        CHECK(e.where().column == 3);
        CHECK_THAT(e.what(), Catch::StartsWith("test.csv:3:3: "));
        CHECK_THAT(e.what(), Catch::Contains("unterminated"));
    }
    SECTION("a quote inside an unquoted field") {
        const auto e = parse_error("a,b\n1,2\n3,4\nab\"c,d\n");
        CHECK(e.where().line == 4);
        CHECK(e.where().column == 3);
        CHECK_THAT(e.what(), Catch::Contains("test.csv:4:"));
        CHECK_THAT(e.what(), Catch::Contains("quote inside an unquoted field"));
    }
    SECTION("garbage after a closing quote") {
        const auto e = parse_error("a,b\n\"x\"y,2\n");
        CHECK(e.where().line == 2);
        CHECK(e.where().column == 4);
        CHECK_THAT(e.what(), Catch::Contains("test.csv:2:"));
    }
    SECTION("garbage after a closing quote on a later physical line") {
        const auto e = parse_error("h\n\n\"multi\nline\"! \n");
        CHECK(e.where().line == 4);
        CHECK(e.where().column == 6);
    }
    SECTION("a record longer than max_record_size") {
        CsvOptions options;
        options.buffer_size = 16;
        options.max_record_size = 64;
        CHECK(parse_text(std::string(63, 'x') + "\n", options)[0].fields[0].size() == 63);
        const auto e = parse_error("ok\n\"" + std::string(200, 'x'), options);
        CHECK(e.where().line == 2);
        CHECK_THAT(e.what(), Catch::Contains("longer than 64"));
    }
}

TEST_CASE("CsvParser: the record buffer grows for long records only", "[io][csv]") {
    CsvOptions options;
    options.buffer_size = 8;
    const std::string long_field(1000, 'z');
    const auto rows =
        parse_text("a,b\n" + long_field + ",\"" + long_field + "\n\"\"" + "\"\nc,d\n", options);
    REQUIRE(rows.size() == 3);
    CHECK(rows[1].fields == std::vector<std::string>{long_field, long_field + "\n\""});
    CHECK(rows[2] == Row{fields({"c", "d"}), 4});
}

TEST_CASE("CsvParser: works through a stream that delivers a few bytes at a time", "[io][csv]") {
    // A generated file with every feature: quoted and unquoted fields, escaped quotes,
    // embedded LF and CRLF, CRLF line ends, empty fields and blank lines. The expectation is
    // built alongside the text.
    augur::Rng rng{2024};
    const std::size_t rows_wanted = 100000;
    std::string text;
    std::vector<Row> expected;
    std::uint64_t line = 1;
    const char alphabet[] = "abcXYZ019 .-+,\"\n\r";
    for (std::size_t r = 0; r < rows_wanted; ++r) {
        if (augur::uniform_index(rng, 50) == 0) {
            text += "\n";
            ++line;
        }
        Row row;
        row.line = line;
        const std::size_t nfields = 1 + augur::uniform_index(rng, 6);
        for (std::size_t f = 0; f < nfields; ++f) {
            std::string value;
            const std::size_t length = augur::uniform_index(rng, 12);
            for (std::size_t k = 0; k < length; ++k)
                value += alphabet[augur::uniform_index(rng, sizeof alphabet - 1)];
            const bool needs_quotes = value.find_first_of(",\"\n\r") != std::string::npos ||
                                      (nfields == 1 && value.empty());
            if (f > 0) text += ',';
            if (needs_quotes || augur::uniform_index(rng, 4) == 0) {
                text += '"';
                for (const char c : value) {
                    if (c == '"') text += '"';
                    if (c == '\n') ++line;
                    text += c;
                }
                text += '"';
            } else {
                text += value;
            }
            row.fields.push_back(value);
        }
        text += augur::uniform_index(rng, 3) == 0 ? "\r\n" : "\n";
        ++line;
        expected.push_back(std::move(row));
    }
    REQUIRE(text.size() > 1000000);

    SECTION("whole stream, default buffer") {
        std::istringstream in{text};
        CHECK(parse_stream(in) == expected);
    }
    SECTION("7-byte chunks, 64-byte initial buffer") {
        augur_test::ChunkedStreambuf buf{text, 7};
        std::istream in{&buf};
        CsvOptions options;
        options.buffer_size = 64;
        CHECK(parse_stream(in, options) == expected);
        CHECK(buf.underflows() > 100000);
    }
    SECTION("4093-byte chunks, 1000-byte buffer") {
        augur_test::ChunkedStreambuf buf{text, 4093};
        std::istream in{&buf};
        CsvOptions options;
        options.buffer_size = 1000;
        CHECK(parse_stream(in, options) == expected);
    }
    SECTION("1-byte chunks on the first 2000 rows") {
        // The text of the first 2000 records, cut where the parser says they end.
        std::string head;
        std::vector<Row> expected_head;
        {
            std::istringstream full{text};
            CsvParser parser{full, "x"};
            CsvRecord record;
            for (std::size_t r = 0; r < 2000 && parser.next(record); ++r) {
            }
            head = text.substr(0, parser.bytes_consumed());
            expected_head.assign(expected.begin(), expected.begin() + 2000);
        }
        augur_test::ChunkedStreambuf buf{head, 1};
        std::istream in{&buf};
        CsvOptions options;
        options.buffer_size = 32;
        CHECK(parse_stream(in, options) == expected_head);
    }
}

TEST_CASE("CsvParser: bytes_consumed counts what was parsed", "[io][csv]") {
    std::istringstream in{"ab,c\r\n\n\"x\ny\"\n"};
    CsvParser parser{in, "t"};
    CsvRecord record;
    REQUIRE(parser.next(record));
    CHECK(parser.bytes_consumed() == 6);
    REQUIRE(parser.next(record));
    CHECK(parser.bytes_consumed() == 13);
    CHECK(parser.line() == 3);
    CHECK_FALSE(parser.next(record));
}

TEST_CASE("parse_double known answers", "[io][csv]") {
    CHECK(parse_double("1.5") == 1.5);
    CHECK(parse_double("  +2.25\t") == 2.25);
    CHECK(parse_double("-3") == -3.0);
    CHECK(parse_double(".5") == 0.5);
    CHECK(parse_double("5.") == 5.0);
    CHECK(parse_double("1e3") == 1000.0);
    CHECK(parse_double("1E-2") == 0.01);
    CHECK(parse_double("0.1") == 0.1);
    CHECK(parse_double("inf") == std::numeric_limits<double>::infinity());
    CHECK(parse_double("+inf") == std::numeric_limits<double>::infinity());
    CHECK(parse_double("-inf") == -std::numeric_limits<double>::infinity());
    CHECK(parse_double("Infinity") == std::numeric_limits<double>::infinity());
    REQUIRE(parse_double("nan").has_value());
    CHECK(std::isnan(*parse_double("nan")));
    CHECK(std::isnan(*parse_double("NaN")));
    CHECK(parse_double("5e-324") == std::numeric_limits<double>::denorm_min());
    CHECK(parse_double("1.7976931348623157e308") == std::numeric_limits<double>::max());
    // Overflow rounds to infinity, underflow to zero, as IEEE rounding would.
    CHECK(parse_double("1e400") == std::numeric_limits<double>::infinity());
    CHECK(parse_double("-1e400") == -std::numeric_limits<double>::infinity());
    CHECK(parse_double("123456789e305") == std::numeric_limits<double>::infinity());
    CHECK(parse_double("1e-400") == 0.0);
    CHECK(parse_double("0.000001e-320") == 0.0);
    CHECK(std::signbit(*parse_double("-1e-400")));
    CHECK(parse_double("0." + std::string(400, '0') + "1") == 0.0);
    CHECK(parse_double("1" + std::string(400, '0')) == std::numeric_limits<double>::infinity());

    for (const char* bad : {"", "  ", "+", "-", "abc", "1.5x", "x1", "0x10", "++1", "+-1", "1,5",
                            "1 2", "1e", "e5", "--1", "in", "1..2"})
        CHECK_FALSE(parse_double(bad).has_value());
}

TEST_CASE("parse_double agrees with a naive reference on random decimals", "[io][csv]") {
    augur::Rng rng{7};
    for (int i = 0; i < 20000; ++i) {
        const std::int64_t mantissa =
            static_cast<std::int64_t>(augur::uniform_index(rng, 2000000001)) - 1000000000;
        const int exponent = static_cast<int>(augur::uniform_index(rng, 41)) - 20;
        const std::string text = std::to_string(mantissa) + "e" + std::to_string(exponent);
        // Reference: glibc's strtod, correctly rounded (the "C" locale is in effect).
        const double reference = std::strtod(text.c_str(), nullptr);
        REQUIRE(parse_double(text) == reference);
    }
}

namespace {

// Delivers `good` bytes, then fails like a disk read error.
class FailingBuf : public std::streambuf {
public:
    explicit FailingBuf(std::string good) : good_(std::move(good)) {
        setg(good_.data(), good_.data(), good_.data() + good_.size());
    }

protected:
    int_type underflow() override { throw std::ios_base::failure("simulated I/O error"); }

private:
    std::string good_;
};

} // namespace

TEST_CASE("CsvParser: a read error of the stream becomes a data_error", "[io][csv]") {
    FailingBuf buf{"a,b\n1,2\n3,"};
    std::istream in{&buf};
    CsvParser parser{in, "disk.csv"};
    CsvRecord record;
    REQUIRE(parser.next(record));
    REQUIRE(parser.next(record));
    try {
        parser.next(record);
        FAIL("no exception");
    } catch (const augur::data_error& e) {
        CHECK_THAT(e.what(), Catch::StartsWith("disk.csv:3: read error: "));
        CHECK_THAT(e.what(), Catch::Contains("simulated I/O error"));
    }
}

TEST_CASE("CsvParser and CsvRecord move", "[io][csv]") {
    std::istringstream in{"a,\"b\"\"\"\nc,d\n"};
    CsvParser first{in, "m.csv"};
    CsvRecord record;
    REQUIRE(first.next(record));
    CsvParser second = std::move(first);
    const CsvRecord copy = record; // views of unescaped fields point into the copy itself
    CHECK(copy[1] == "b\"");
    REQUIRE(second.next(record));
    CHECK(record[0] == "c");
    CHECK(second.source_name() == "m.csv");
    CHECK(second.line() == 2);
}
