#include <augur/core/io/timestamp.hpp>
#include <augur/core/random.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>

namespace {

using augur::Duration;
using augur::Timestamp;
using augur::io::parse_timestamp;
using augur::io::TimeUnit;

constexpr std::int64_t giga = 1'000'000'000;

Timestamp at_ns(std::int64_t ns) {
    return Timestamp{Duration{ns}};
}
Timestamp at_s(std::int64_t s) {
    return at_ns(s * giga);
}

// 2014-04-01T00:00:00Z
constexpr std::int64_t april_2014 = 1396310400;

} // namespace

TEST_CASE("parse_timestamp: ISO-8601 forms", "[io][timestamp]") {
    const Timestamp t = at_s(april_2014);
    CHECK(parse_timestamp("2014-04-01 00:00:00") == t);
    CHECK(parse_timestamp("2014-04-01T00:00:00") == t);
    CHECK(parse_timestamp("2014-04-01T00:00:00Z") == t);
    CHECK(parse_timestamp("2014-04-01t00:00:00z") == t);
    CHECK(parse_timestamp("2014-04-01") == t);
    CHECK(parse_timestamp("2014-04-01T00:00") == t);
    CHECK(parse_timestamp("  2014-04-01 00:00:00\t") == t);
    CHECK(parse_timestamp("1970-01-01T00:00:00Z") == at_s(0));
    CHECK(parse_timestamp("1969-12-31T23:59:59Z") == at_s(-1));
    CHECK(parse_timestamp("2014-04-01 13:45:07") == at_s(april_2014 + 13 * 3600 + 45 * 60 + 7));
    CHECK(parse_timestamp("2000-01-01T00:00:00Z") == at_s(946684800));
}

TEST_CASE("parse_timestamp: fractional seconds", "[io][timestamp]") {
    const std::int64_t base = april_2014 * giga;
    CHECK(parse_timestamp("2014-04-01T00:00:00.5Z") == at_ns(base + 500000000));
    CHECK(parse_timestamp("2014-04-01T00:00:00,25Z") == at_ns(base + 250000000));
    CHECK(parse_timestamp("2014-04-01 00:00:00.123") == at_ns(base + 123000000));
    CHECK(parse_timestamp("2014-04-01 00:00:00.123456") == at_ns(base + 123456000));
    CHECK(parse_timestamp("2014-04-01 00:00:00.123456789") == at_ns(base + 123456789));
    CHECK(parse_timestamp("2014-04-01 00:00:00.000000001Z") == at_ns(base + 1));
    CHECK(parse_timestamp("1969-12-31T23:59:59.75Z") == at_ns(-250000000));
    CHECK_FALSE(parse_timestamp("2014-04-01 00:00:00.1234567891"));
    CHECK_FALSE(parse_timestamp("2014-04-01 00:00:00."));
    CHECK_FALSE(parse_timestamp("2014-04-01 00:00.5"));
}

TEST_CASE("parse_timestamp: zone offsets", "[io][timestamp]") {
    const Timestamp t = at_s(april_2014);
    CHECK(parse_timestamp("2014-04-01T02:00:00+02:00") == t);
    CHECK(parse_timestamp("2014-04-01T02:00:00+0200") == t);
    CHECK(parse_timestamp("2014-04-01T02:00:00+02") == t);
    CHECK(parse_timestamp("2014-03-31T18:30:00-05:30") == t);
    CHECK(parse_timestamp("2014-03-31T18:30:00-0530") == t);
    CHECK(parse_timestamp("2014-04-01T05:45:00.5+05:45") == at_ns(april_2014 * giga + 500000000));
    CHECK(parse_timestamp("2014-04-01T00:00:00+00:00") == t);
    CHECK(parse_timestamp("2014-04-01T00:00:00-00:00") == t);
    CHECK_FALSE(parse_timestamp("2014-04-01T00:00:00+24:00"));
    CHECK_FALSE(parse_timestamp("2014-04-01T00:00:00+01:60"));
    CHECK_FALSE(parse_timestamp("2014-04-01T00:00:00+1"));
    CHECK_FALSE(parse_timestamp("2014-04-01T00:00:00+01:3"));
    CHECK_FALSE(parse_timestamp("2014-04-01T00:00:00+01:30:00"));
    CHECK_FALSE(parse_timestamp("2014-04-01T00:00:00 +01:00"));
    CHECK_FALSE(parse_timestamp("2014-04-01Z"));
}

TEST_CASE("parse_timestamp: calendar ranges and leap years", "[io][timestamp]") {
    CHECK(parse_timestamp("2024-02-29") == at_s(1709164800));
    CHECK(parse_timestamp("2024-02-29T23:59:59Z") == at_s(1709164800 + 86399));
    CHECK(parse_timestamp("2000-02-29") == at_s(951782400));
    CHECK_FALSE(parse_timestamp("2023-02-29"));
    CHECK_FALSE(parse_timestamp("1900-02-29"));
    CHECK_FALSE(parse_timestamp("2100-02-29"));
    CHECK(parse_timestamp("2014-12-31") == at_s(1419984000));
    CHECK_FALSE(parse_timestamp("2014-04-31"));
    CHECK_FALSE(parse_timestamp("2014-13-01"));
    CHECK_FALSE(parse_timestamp("2014-00-10"));
    CHECK_FALSE(parse_timestamp("2014-04-00"));
    CHECK_FALSE(parse_timestamp("2014-04-32"));
    CHECK_FALSE(parse_timestamp("2014-04-01T24:00:00"));
    CHECK_FALSE(parse_timestamp("2014-04-01T23:60:00"));
    CHECK_FALSE(parse_timestamp("2014-04-01T23:59:60"));
}

TEST_CASE("parse_timestamp: malformed text and out-of-range years", "[io][timestamp]") {
    for (const char* bad : {"",
                            " ",
                            "2014-4-01",
                            "2014-04-1",
                            "2014/04/01",
                            "2014-04-01x",
                            "2014-04-01T",
                            "2014-04-01T00",
                            "2014-04-01T00:00:00Zjunk",
                            "2014-04-01T00:0:00",
                            "2014-04-01_00:00:00",
                            "2014-04-01  00:00:00",
                            "14-04-01",
                            "abc",
                            "1396310400x",
                            "0x10",
                            "nan",
                            "inf",
                            "-",
                            "1e30",
                            "1600-01-01",
                            "1677-01-01",
                            "2263-01-01",
                            "9999-12-31",
                            "0000-01-01",
                            "2262-04-11T23:47:16.854775808Z",
                            "99999999999999999999"})
        CHECK_FALSE(parse_timestamp(bad).has_value());
    // The ends of the representable range.
    CHECK(parse_timestamp("2262-04-11T23:47:16.854775807Z") ==
          at_ns(std::numeric_limits<std::int64_t>::max()));
    CHECK(parse_timestamp("1677-09-22T00:00:00Z").has_value());
}

TEST_CASE("parse_timestamp: epoch numbers and unit detection", "[io][timestamp]") {
    const Timestamp t = at_s(april_2014);
    CHECK(parse_timestamp("1396310400") == t);
    CHECK(parse_timestamp("+1396310400") == t);
    CHECK(parse_timestamp(" 1396310400 ") == t);
    CHECK(parse_timestamp("1396310400000") == t); // >= 1e11: milliseconds
    CHECK(parse_timestamp("1396310400.5") == at_ns(april_2014 * giga + 500000000));
    CHECK(parse_timestamp("1396310400123.456") == at_ns(april_2014 * giga + 123456000));
    CHECK(parse_timestamp("1.3963104e9") == t);
    CHECK(parse_timestamp("1.3963104e12") == t);
    CHECK(parse_timestamp("0") == at_s(0));
    CHECK(parse_timestamp("-1") == at_s(-1));
    CHECK(parse_timestamp("-1.5") == at_ns(-1500000000));
    CHECK(parse_timestamp(".25") == at_ns(250000000));
    CHECK(parse_timestamp("5.") == at_s(5));
    // The threshold: 99999999999 would be seconds (and does not fit), 1e11 is milliseconds.
    CHECK(parse_timestamp("100000000000") == at_ns(100000000000LL * 1000000));
    CHECK_FALSE(parse_timestamp("99999999999"));
    CHECK_FALSE(parse_timestamp("9999999999")); // seconds beyond 2262
    CHECK(parse_timestamp("9000000000") == at_s(9000000000LL));
    CHECK(parse_timestamp("000000000000000000001396310400") == t); // 30 digits, leading zeros
    // Rounding to the nearest nanosecond, half away from zero.
    CHECK(parse_timestamp("0.0000000015") == at_ns(2));
    CHECK(parse_timestamp("0.0000000014999") == at_ns(1));
    CHECK(parse_timestamp("-0.0000000015") == at_ns(-2));
}

TEST_CASE("parse_timestamp: explicit epoch units", "[io][timestamp]") {
    CHECK(parse_timestamp("1396310400", TimeUnit::seconds) == at_s(april_2014));
    CHECK(parse_timestamp("1396310400000", TimeUnit::seconds) == std::nullopt);
    CHECK(parse_timestamp("1396310400", TimeUnit::milliseconds) == at_ns(1396310400LL * 1000000));
    CHECK(parse_timestamp("1396310400000", TimeUnit::milliseconds) == at_s(april_2014));
    CHECK(parse_timestamp("1396310400000000", TimeUnit::microseconds) == at_s(april_2014));
    CHECK(parse_timestamp("1396310400000000000", TimeUnit::nanoseconds) == at_s(april_2014));
    CHECK(parse_timestamp("1.5", TimeUnit::microseconds) == at_ns(1500));
    CHECK(parse_timestamp("2.5", TimeUnit::nanoseconds) == at_ns(3));
    CHECK(parse_timestamp("1e3", TimeUnit::milliseconds) == at_s(1));
    // Units do not apply to ISO text.
    CHECK(parse_timestamp("2014-04-01", TimeUnit::milliseconds) == at_s(april_2014));
    CHECK(parse_timestamp("9223372036854775807", TimeUnit::nanoseconds) ==
          at_ns(std::numeric_limits<std::int64_t>::max()));
    CHECK_FALSE(parse_timestamp("9223372036854775808", TimeUnit::nanoseconds));
    CHECK_FALSE(parse_timestamp("9223372036854776", TimeUnit::milliseconds));
}

TEST_CASE("TimeUnit names", "[io][timestamp]") {
    for (const TimeUnit unit : {TimeUnit::automatic, TimeUnit::seconds, TimeUnit::milliseconds,
                                TimeUnit::microseconds, TimeUnit::nanoseconds})
        CHECK(augur::io::parse_time_unit(augur::io::to_string(unit)) == unit);
    CHECK(augur::io::parse_time_unit("milliseconds") == TimeUnit::milliseconds);
    CHECK_FALSE(augur::io::parse_time_unit("minutes"));
}

TEST_CASE("parse_timestamp reads to_iso8601 back exactly", "[io][timestamp]") {
    augur::Rng rng{42};
    // 1678-01-01 .. 2261-12-31 in seconds
    const std::int64_t low = -9183110400LL;
    const std::int64_t high = 9214646400LL;
    for (int i = 0; i < 20000; ++i) {
        const auto seconds = low + static_cast<std::int64_t>(augur::uniform_index(
                                       rng, static_cast<std::uint64_t>(high - low)));
        std::int64_t nanos = static_cast<std::int64_t>(augur::uniform_index(rng, giga));
        switch (i % 4) {
        case 0:
            nanos = 0;
            break;
        case 1:
            nanos -= nanos % 1000000;
            break;
        case 2:
            nanos -= nanos % 1000;
            break;
        default:
            break;
        }
        const Timestamp t = at_ns(seconds * giga + nanos);
        const std::string text = augur::to_iso8601(t);
        INFO(text);
        REQUIRE(parse_timestamp(text) == t);
        // The same instant through an offset and a space separator.
        std::string shifted =
            augur::to_iso8601(t + std::chrono::hours{5} + std::chrono::minutes{30});
        shifted.back() = '+';
        shifted += "05:30";
        shifted[10] = ' ';
        REQUIRE(parse_timestamp(shifted) == t);
    }
}

TEST_CASE("parse_timestamp matches a naive day count for every day of 1970-2199",
          "[io][timestamp]") {
    // Reference: walk the calendar one day at a time with the Gregorian leap rule.
    auto is_leap = [](int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; };
    const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    std::int64_t day_number = 0;
    char text[64];
    for (int y = 1970; y < 2200; ++y)
        for (int m = 1; m <= 12; ++m) {
            const int length = month_days[m - 1] + (m == 2 && is_leap(y) ? 1 : 0);
            for (int d = 1; d <= length; ++d, ++day_number) {
                std::snprintf(text, sizeof text, "%04d-%02d-%02dT12:34:56Z", y, m, d);
                REQUIRE(parse_timestamp(text) == at_s(day_number * 86400 + 45296));
            }
            std::snprintf(text, sizeof text, "%04d-%02d-%02d", y, m, length + 1);
            REQUIRE_FALSE(parse_timestamp(text));
        }
}
