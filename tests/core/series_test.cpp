#include <augur/core/sample.hpp>
#include <augur/core/series.hpp>
#include <augur/version.hpp>

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("version header matches the CMake project version", "[core][version]") {
    CHECK(std::string(augur::version_string) == AUGUR_PROJECT_VERSION);
}

TEST_CASE("timestamps convert to and from epoch seconds and ISO-8601", "[core][sample]") {
    using namespace std::chrono;
    const augur::Timestamp t = augur::from_epoch_seconds(1396310400.0); // 2014-04-01 00:00:00
    CHECK(augur::to_iso8601(t) == "2014-04-01T00:00:00Z");
    CHECK(augur::to_epoch_seconds(t) == 1396310400.0);
    CHECK(augur::to_iso8601(t + milliseconds(250)) == "2014-04-01T00:00:00.250Z");
    CHECK(augur::to_iso8601(t + microseconds(5)) == "2014-04-01T00:00:00.000005Z");
    CHECK(augur::to_iso8601(t + nanoseconds(7)) == "2014-04-01T00:00:00.000000007Z");
    CHECK(augur::to_iso8601(augur::Timestamp{}) == "1970-01-01T00:00:00Z");
    CHECK(augur::to_iso8601(augur::from_epoch_seconds(-1.0)) == "1969-12-31T23:59:59Z");
    CHECK(augur::to_iso8601(augur::from_epoch_seconds(1709164800.0)) == "2024-02-29T00:00:00Z");
    CHECK(augur::to_seconds(minutes(5)) == 300.0);
    CHECK(augur::from_epoch_seconds(-0.5).time_since_epoch().count() == -500000000);
}

TEST_CASE("SeriesKey parses and prints its text form", "[core][series]") {
    const auto key = augur::SeriesKey::parse("agent/planner-1/latency_ms{region=eu,tier=gold}");
    CHECK(key.component_type == "agent");
    CHECK(key.component_id == "planner-1");
    CHECK(key.metric_name == "latency_ms");
    REQUIRE(key.labels.size() == 2);
    CHECK(key.label("region") == "eu");
    CHECK(key.label("tier") == "gold");
    CHECK_FALSE(key.label("zone").has_value());
    CHECK(key.to_string() == "agent/planner-1/latency_ms{region=eu,tier=gold}");

    const auto plain = augur::SeriesKey::parse("cpu");
    CHECK(plain.metric_name == "cpu");
    CHECK(plain.component_id.empty());
    CHECK(plain.to_string() == "cpu");

    const auto two = augur::SeriesKey::parse("node-3/memory_mb");
    CHECK(two.component_id == "node-3");
    CHECK(two.component_type.empty());
    CHECK(two.to_string() == "node-3/memory_mb");

    // Labels are sorted, so the order given does not matter.
    CHECK(augur::SeriesKey::parse("m{b=2,a=1}") == augur::SeriesKey::parse("m{a=1,b=2}"));
    CHECK(augur::SeriesKey("m", "t", "i", {{"z", "1"}, {"a", "2"}}).to_string() ==
          "t/i/m{a=2,z=1}");
}

TEST_CASE("SeriesKey rejects malformed names", "[core][series]") {
    for (const char* bad :
         {"", "a/b/c/d", "a/", "m{a=1", "m{=1}", "m{a}", "m{a=1,}", "m{a=1,a=2}"}) {
        INFO(bad);
        CHECK_THROWS_AS(augur::SeriesKey::parse(bad), augur::invalid_argument);
    }
    CHECK_THROWS_AS(augur::SeriesKey(""), augur::invalid_argument);
}

TEST_CASE("SeriesRegistry interns keys to dense ids", "[core][series]") {
    augur::SeriesRegistry registry;
    CHECK(registry.empty());
    const auto a = registry.intern("agent/a1/latency_ms");
    const auto b = registry.intern(augur::SeriesKey("tokens", "agent", "a1"));
    const auto a_again = registry.intern(augur::SeriesKey("latency_ms", "agent", "a1"));
    const auto c = registry.intern("x{b=1,a=2}");
    const auto c_again = registry.intern("x{a=2,b=1}");
    CHECK(a.value == 0);
    CHECK(b.value == 1);
    CHECK(a_again == a);
    CHECK(c.value == 2);
    CHECK(c_again == c);
    CHECK(registry.size() == 3);
    CHECK(registry.name(c) == "x{a=2,b=1}");
    CHECK(registry.key(b).metric_name == "tokens");
    CHECK(registry.find("agent/a1/tokens") == b);
    CHECK_FALSE(registry.find("agent/a2/tokens").has_value());
    CHECK_THROWS_AS(registry.intern("a/b/c/d"), augur::invalid_argument);
    CHECK(registry.size() == 3);
}

TEST_CASE("SeriesRegistry asserts on unknown ids", "[core][series]") {
    augur::SeriesRegistry registry;
    registry.intern("m");
    CHECK_THROWS(registry.key(augur::SeriesId{5}));
}
