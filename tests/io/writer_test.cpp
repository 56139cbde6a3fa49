#include <augur/core/io/csv.hpp>
#include <augur/core/io/writer.hpp>
#include <augur/core/random.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

namespace {

using augur::io::CsvWriter;
using augur::io::JsonLinesWriter;

// A stringbuf that counts sync() calls (flushes).
class CountingBuf : public std::stringbuf {
public:
    int syncs = 0;

protected:
    int sync() override {
        ++syncs;
        return std::stringbuf::sync();
    }
};

std::vector<std::vector<std::string>> read_csv(const std::string& text, char delimiter = ',') {
    std::istringstream in{text};
    augur::io::CsvOptions options;
    options.delimiter = delimiter;
    augur::io::CsvParser parser{in, "w", options};
    augur::io::CsvRecord record;
    std::vector<std::vector<std::string>> rows;
    while (parser.next(record)) {
        rows.emplace_back();
        for (std::size_t i = 0; i < record.size(); ++i)
            rows.back().emplace_back(record[i]);
    }
    return rows;
}

} // namespace

TEST_CASE("CsvWriter: quoting only when needed", "[io][writer]") {
    std::ostringstream out;
    CsvWriter csv{out};
    csv.row({"plain", "with,comma", "say \"hi\"", "line\nbreak", "cr\rhere", "", " spaced "});
    csv.field("a").field(std::string("b")).end_row();
    CHECK(out.str() == "plain,\"with,comma\",\"say \"\"hi\"\"\",\"line\nbreak\",\"cr\rhere\",, "
                       "spaced \na,b\n");

    std::ostringstream semi;
    CsvWriter csv2{semi, ';'};
    csv2.row({"a;b", "c,d"});
    CHECK(semi.str() == "\"a;b\";c,d\n");
}

TEST_CASE("CsvWriter: a row of one empty field is not a blank line", "[io][writer]") {
    std::ostringstream out;
    CsvWriter csv{out};
    csv.row({"x"});
    csv.row({""});
    csv.field(std::nan("")).end_row();
    csv.row({"y"});
    CHECK(out.str() == "x\n\"\"\n\"\"\ny\n");
    const auto rows = read_csv(out.str());
    REQUIRE(rows.size() == 4);
    CHECK(rows[1] == std::vector<std::string>{""});
}

TEST_CASE("CsvWriter: numbers and timestamps", "[io][writer]") {
    std::ostringstream out;
    CsvWriter csv{out};
    csv.field(0.1)
        .field(1.0)
        .field(-2.5e-300)
        .field(std::numeric_limits<double>::infinity())
        .field(-std::numeric_limits<double>::infinity())
        .field(std::numeric_limits<double>::quiet_NaN())
        .field(std::int64_t{-42})
        .field(std::numeric_limits<std::uint64_t>::max())
        .field(7)
        .field(8u)
        .field(9LL)
        .field(augur::Timestamp{std::chrono::milliseconds{1396310400250}})
        .end_row();
    CHECK(out.str() == "0.1,1,-2.5e-300,inf,-inf,,-42,18446744073709551615,7,8,9,"
                       "2014-04-01T00:00:00.250Z\n");
}

TEST_CASE("CsvWriter: shortest doubles read back exactly", "[io][writer]") {
    augur::Rng rng{12345};
    std::ostringstream out;
    CsvWriter csv{out};
    std::vector<double> values;
    for (int i = 0; i < 100000; ++i) {
        double x = 0.0;
        switch (i % 3) {
        case 0:
            x = std::bit_cast<double>(rng());
            break; // any bit pattern
        case 1:
            x = augur::normal(rng, 0.0, 1e6);
            break;
        default:
            x = std::ldexp(augur::uniform01(rng), -1070);
            break; // denormals
        }
        if (!std::isfinite(x)) continue;
        values.push_back(x);
        csv.field(x);
        if (values.size() % 5 == 0) csv.end_row();
    }
    csv.end_row();
    const auto rows = read_csv(out.str());
    std::size_t k = 0;
    for (const auto& row : rows)
        for (const auto& text : row) {
            REQUIRE(k < values.size());
            const auto parsed = augur::io::parse_double(text);
            REQUIRE(parsed.has_value());
            REQUIRE(std::bit_cast<std::uint64_t>(*parsed) ==
                    std::bit_cast<std::uint64_t>(values[k]));
            ++k;
        }
    CHECK(k == values.size());
}

TEST_CASE("CsvWriter: random text fields round-trip through CsvParser", "[io][writer]") {
    augur::Rng rng{8};
    const char alphabet[] = "ab ,;\"\n\r\txyz";
    for (const char delimiter : {',', ';', '\t'}) {
        std::ostringstream out;
        CsvWriter csv{out, delimiter};
        std::vector<std::vector<std::string>> expected;
        for (int r = 0; r < 2000; ++r) {
            std::vector<std::string> row(1 + augur::uniform_index(rng, 5));
            for (auto& field : row) {
                const auto length = augur::uniform_index(rng, 8);
                for (std::uint64_t k = 0; k < length; ++k)
                    field += alphabet[augur::uniform_index(rng, sizeof alphabet - 1)];
                csv.field(field);
            }
            csv.end_row();
            expected.push_back(row);
        }
        CHECK(read_csv(out.str(), delimiter) == expected);
    }
}

TEST_CASE("Writers do not flush per row", "[io][writer]") {
    CountingBuf buf;
    std::ostream out{&buf};
    CsvWriter csv{out};
    JsonLinesWriter json{out};
    for (int i = 0; i < 1000; ++i) {
        csv.field(i).field(0.5).end_row();
        json.begin_object().field("i", i).end_object();
    }
    CHECK(buf.syncs == 0);
    CHECK(buf.str().size() > 10000);
    csv.flush();
    CHECK(buf.syncs == 1);
}

TEST_CASE("JsonLinesWriter: objects, arrays, scalars", "[io][writer]") {
    std::ostringstream out;
    JsonLinesWriter json{out};
    json.begin_object()
        .field("series", "cpu")
        .field("value", 0.5)
        .field("count", std::uint64_t{18446744073709551615ULL})
        .field("delta", std::int64_t{-3})
        .field("n", 7)
        .field("ok", true)
        .field("bad", false)
        .field("none", nullptr)
        .field("nan", std::nan(""))
        .field("inf", -std::numeric_limits<double>::infinity())
        .field("time", augur::Timestamp{std::chrono::seconds{1396310400}})
        .field("name", std::string("x"))
        .end_object();
    CHECK(out.str() == "{\"series\":\"cpu\",\"value\":0.5,\"count\":18446744073709551615,"
                       "\"delta\":-3,\"n\":7,\"ok\":true,\"bad\":false,\"none\":null,\"nan\":null,"
                       "\"inf\":null,\"time\":\"2014-04-01T00:00:00Z\",\"name\":\"x\"}\n");

    out.str("");
    json.begin_object().key("levels").begin_array().value(80).value(95.5).end_array();
    CHECK(out.str().empty()); // nothing is written before the line is complete
    json.key("nested").begin_object().field("a", 1).key("e").begin_array().end_array();
    json.end_object().key("empty").begin_object().end_object().end_object();
    json.begin_array().value("x").begin_object().end_object().end_array();
    json.value(1.25);
    CHECK(out.str() == "{\"levels\":[80,95.5],\"nested\":{\"a\":1,\"e\":[]},\"empty\":{}}\n"
                       "[\"x\",{}]\n1.25\n");
}

TEST_CASE("JsonLinesWriter: string escaping and UTF-8", "[io][writer]") {
    auto encode = [](std::string_view text) {
        std::ostringstream out;
        JsonLinesWriter json{out};
        json.value(text);
        std::string s = out.str();
        s.pop_back(); // '\n'
        return s;
    };
    CHECK(encode("plain") == "\"plain\"");
    CHECK(encode("a\"b\\c/d") == "\"a\\\"b\\\\c/d\"");
    CHECK(encode("\n\r\t\b\f") == "\"\\n\\r\\t\\b\\f\"");
    CHECK(encode(std::string_view("\x01\x1f\x00\x7f", 4)) == "\"\\u0001\\u001f\\u0000\x7f\"");
    // Valid UTF-8 passes through: 2-, 3- and 4-byte sequences, the largest code point.
    CHECK(encode("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF") ==
          "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF\"");
    // Invalid UTF-8: each bad byte becomes U+FFFD.
    const std::string r = "\xEF\xBF\xBD";
    CHECK(encode("a\xFF"
                 "b") == "\"a" + r + "b\"");
    CHECK(encode("\xC0\xAF") == "\"" + r + r + "\"");                 // overlong '/'
    CHECK(encode("\xE0\x80\xAF") == "\"" + r + r + r + "\"");         // overlong
    CHECK(encode("\xED\xA0\x80") == "\"" + r + r + r + "\"");         // surrogate D800
    CHECK(encode("\xF4\x90\x80\x80") == "\"" + r + r + r + r + "\""); // above U+10FFFF
    CHECK(encode("\xE2\x82") == "\"" + r + r + "\"");                 // truncated at the end
    CHECK(encode("\xE2\x82x") == "\"" + r + r + "x\"");               // truncated in the middle
    CHECK(encode("\x80") == "\"" + r + "\"");                         // stray continuation
    // Keys are escaped the same way.
    std::ostringstream out;
    JsonLinesWriter json{out};
    json.begin_object().field("k\"ey\n", 1).end_object();
    CHECK(out.str() == "{\"k\\\"ey\\n\":1}\n");
}

TEST_CASE("JsonLinesWriter: misuse fails an assertion", "[io][writer]") {
    std::ostringstream out;
    JsonLinesWriter json{out};
    json.begin_object();
    CHECK_THROWS_AS(json.value(1.0), augur_test::AssertionFailure);
    json.key("a");
    CHECK_THROWS_AS(json.key("b"), augur_test::AssertionFailure);
    CHECK_THROWS_AS(json.end_object(), augur_test::AssertionFailure);
    json.value(1.0);
    CHECK_THROWS_AS(json.end_array(), augur_test::AssertionFailure);
    json.end_object();
    CHECK_THROWS_AS(json.end_object(), augur_test::AssertionFailure);
    CHECK_THROWS_AS(json.key("top"), augur_test::AssertionFailure);
    CHECK(out.str() == "{\"a\":1}\n");
}
