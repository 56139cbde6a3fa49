#include <augur/core/input_policy.hpp>
#include <augur/core/random.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace {

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_value = std::numeric_limits<double>::infinity();

augur::Sample at(std::uint32_t series, double seconds, double value) {
    return {augur::SeriesId{series}, augur::from_epoch_seconds(seconds), value};
}

} // namespace

TEST_CASE("default policy skips NaN, inf and out-of-order samples and keeps duplicates",
          "[core][input_policy]") {
    augur::InputGuard guard;
    CHECK(guard.admit(at(0, 1, 1.0)).has_value());
    CHECK_FALSE(guard.admit(at(0, 2, nan_value)).has_value());
    CHECK_FALSE(guard.admit(at(0, 3, inf_value)).has_value());
    CHECK_FALSE(guard.admit(at(0, 4, -inf_value)).has_value());
    CHECK_FALSE(guard.admit(at(0, 0.5, 2.0)).has_value()); // out of order
    const auto dup = guard.admit(at(0, 1, 3.0));           // duplicate of t = 1
    REQUIRE(dup.has_value());
    CHECK(dup->value == 3.0);
    // Ordering is per series: series 1 may start earlier.
    CHECK(guard.admit(at(1, 0.1, 5.0)).has_value());
    CHECK(guard.admit(at(0, 5, std::numeric_limits<double>::max())).has_value());

    const auto& c = guard.counters();
    CHECK(c.seen == 8);
    CHECK(c.accepted == 4);
    CHECK(c.skipped == 4);
    CHECK(c.clamped == 0);
    CHECK(c.nan == 1);
    CHECK(c.infinite == 2);
    CHECK(c.out_of_order == 1);
    CHECK(c.duplicate_time == 1);
    CHECK(c.describe() ==
          "1 NaN, 2 infinite, 1 out-of-order, 1 duplicate-time (skipped 4, clamped 0 of 8)");
    guard.reset();
    CHECK(guard.counters().clean());
    CHECK(guard.counters().describe().empty());
    CHECK(guard.admit(at(0, 0.5, 2.0)).has_value()); // history forgotten
}

TEST_CASE("reject throws data_error naming series, time and problem", "[core][input_policy]") {
    augur::InputGuard guard(augur::InputPolicy::strict());
    CHECK(guard.admit(at(2, 10, 1.0)).has_value());
    try {
        guard.admit(at(2, 11, nan_value));
        FAIL("expected data_error");
    } catch (const augur::data_error& e) {
        const std::string what = e.what();
        CHECK(what.find("series 2") != std::string::npos);
        CHECK(what.find("1970-01-01T00:00:11Z") != std::string::npos);
        CHECK(what.find("NaN") != std::string::npos);
    }
    CHECK_THROWS_AS(guard.admit(at(2, 12, inf_value)), augur::data_error);
    CHECK_THROWS_AS(guard.admit(at(2, 9, 1.0)), augur::data_error);
    CHECK_THROWS_AS(guard.admit(at(2, 10, 1.0)), augur::data_error);
    CHECK(guard.counters().nan == 1);
    CHECK(guard.counters().out_of_order == 1);
    CHECK(guard.counters().duplicate_time == 1);
    // augur::data_error is an augur::error is a std::runtime_error.
    CHECK_THROWS_AS(guard.admit(at(2, 13, nan_value)), std::runtime_error);
}

TEST_CASE("clamp repairs samples and counts them", "[core][input_policy]") {
    augur::InputPolicy policy;
    policy.nan = policy.infinite = policy.out_of_range = policy.out_of_order =
        augur::InputAction::clamp;
    policy.min_value = -10.0;
    policy.max_value = 100.0;
    augur::InputGuard guard(policy);

    CHECK_FALSE(guard.admit(at(0, 1, nan_value)).has_value()); // nothing to hold yet
    auto s = guard.admit(at(0, 2, 7.0));
    REQUIRE(s);
    s = guard.admit(at(0, 3, nan_value));
    REQUIRE(s);
    CHECK(s->value == 7.0); // held
    s = guard.admit(at(0, 4, inf_value));
    REQUIRE(s);
    CHECK(s->value == 100.0);
    s = guard.admit(at(0, 5, -inf_value));
    REQUIRE(s);
    CHECK(s->value == -10.0);
    s = guard.admit(at(0, 6, 1e300));
    REQUIRE(s);
    CHECK(s->value == 100.0);
    s = guard.admit(at(0, 7, -50.0));
    REQUIRE(s);
    CHECK(s->value == -10.0);
    s = guard.admit(at(0, 1, 3.0)); // out of order -> moved to t = 7
    REQUIRE(s);
    CHECK(s->time == augur::from_epoch_seconds(7));
    CHECK(s->value == 3.0);
    const auto& c = guard.counters();
    CHECK(c.clamped == 6);
    CHECK(c.skipped == 1);
    CHECK(c.accepted == 7);
    CHECK(c.out_of_range == 2);
}

TEST_CASE("keep passes out-of-order and out-of-range samples through, counted",
          "[core][input_policy]") {
    augur::InputPolicy policy;
    policy.out_of_order = augur::InputAction::keep;
    policy.out_of_range = augur::InputAction::keep;
    policy.max_value = 1.0;
    augur::InputGuard guard(policy);
    CHECK(guard.admit(at(0, 5, 0.5)));
    const auto s = guard.admit(at(0, 4, 2.0));
    REQUIRE(s);
    CHECK(s->time == augur::from_epoch_seconds(4));
    CHECK(s->value == 2.0);
    CHECK(guard.counters().out_of_order == 1);
    CHECK(guard.counters().out_of_range == 1);
    CHECK(guard.counters().clamped == 0);
    // The newest time stays the reference: t = 4.5 is still out of order.
    CHECK(guard.admit(at(0, 4.5, 0.1)));
    CHECK(guard.counters().out_of_order == 2);
}

TEST_CASE("invalid policies are rejected at construction", "[core][input_policy]") {
    augur::InputPolicy keep_nan;
    keep_nan.nan = augur::InputAction::keep;
    CHECK_THROWS_AS(augur::InputGuard(keep_nan), augur::invalid_argument);
    augur::InputPolicy keep_inf;
    keep_inf.infinite = augur::InputAction::keep;
    CHECK_THROWS_AS(augur::InputGuard(keep_inf), augur::invalid_argument);
    augur::InputPolicy clamp_dup;
    clamp_dup.duplicate_time = augur::InputAction::clamp;
    CHECK_THROWS_AS(augur::InputGuard(clamp_dup), augur::invalid_argument);
    augur::InputPolicy bad_range;
    bad_range.min_value = 5;
    bad_range.max_value = 1;
    CHECK_THROWS_WITH(augur::InputGuard(bad_range), Catch::Contains("min_value = 5"));
    bad_range.min_value = nan_value;
    CHECK_THROWS_AS(augur::InputGuard(bad_range), augur::invalid_argument);

    CHECK(augur::parse_input_action("clamp") == augur::InputAction::clamp);
    CHECK_THROWS_WITH(augur::parse_input_action("drop", "on_nan"),
                      Catch::Contains("on_nan = 'drop'"));
}

TEST_CASE("counters add up over random streams", "[core][input_policy]") {
    // Property: seen == accepted + skipped, and every accepted sample is finite, in range and
    // in non-decreasing time per series under the default policy.
    std::uint64_t state = 12345;
    auto next = [&] { return augur::splitmix64(state); };
    for (int run = 0; run < 50; ++run) {
        augur::InputGuard guard;
        std::vector<double> last_time(3, -1e18);
        for (int i = 0; i < 500; ++i) {
            const auto series = static_cast<std::uint32_t>(next() % 3);
            const double t = static_cast<double>(next() % 1000);
            const auto kind = next() % 10;
            const double v = kind == 0 ? nan_value : kind == 1 ? -inf_value : double(next() % 100);
            if (const auto s = guard.admit(at(series, t, v))) {
                REQUIRE(std::isfinite(s->value));
                const double ts = augur::to_epoch_seconds(s->time);
                REQUIRE(ts >= last_time[series]);
                last_time[series] = ts;
            }
        }
        const auto& c = guard.counters();
        REQUIRE(c.seen == 500);
        REQUIRE(c.seen == c.accepted + c.skipped);
        REQUIRE(c.skipped == c.nan + c.infinite + c.out_of_order);
    }
}

TEST_CASE("InputGuard: a series limit rejects, skips or evicts the least recently seen",
          "[core][input_policy]") {
    auto sample = [](std::uint32_t series, double t) {
        return augur::Sample{augur::SeriesId{series}, augur::from_epoch_seconds(t), 1.0};
    };
    augur::InputPolicy policy;
    policy.max_series = 2;

    SECTION("evict: the series seen longest ago goes, and is new when it returns") {
        augur::InputGuard guard(policy);
        REQUIRE(guard.admit(sample(0, 1)));
        REQUIRE(guard.admit(sample(1, 1)));
        REQUIRE(guard.admit(sample(0, 2))); // 0 is now the most recent
        CHECK_FALSE(guard.evicted());
        REQUIRE(guard.admit(sample(2, 1)));
        REQUIRE(guard.evicted() == augur::SeriesId{1});
        CHECK(guard.live_series() == 2);
        // 1 returns with an older time: it is new again, so nothing is out of order.
        REQUIRE(guard.admit(sample(1, 0.5)));
        REQUIRE(guard.evicted() == augur::SeriesId{0});
        CHECK(guard.counters().evicted_series == 2);
        CHECK(guard.counters().over_series_limit == 2);
        CHECK(guard.counters().accepted == 5);
        CHECK_THAT(guard.counters().describe(), Catch::Contains("2 series evicted"));
    }
    SECTION("skip: samples of new series are dropped and counted") {
        policy.over_series_limit = augur::SeriesLimitAction::skip;
        augur::InputGuard guard(policy);
        REQUIRE(guard.admit(sample(0, 1)));
        REQUIRE(guard.admit(sample(1, 1)));
        CHECK_FALSE(guard.admit(sample(2, 1)));
        CHECK_FALSE(guard.admit(sample(2, 2)));
        CHECK(guard.admit(sample(0, 2)));
        CHECK(guard.counters().over_series_limit == 2);
        CHECK(guard.counters().skipped == 2);
        CHECK_FALSE(guard.evicted());
    }
    SECTION("reject: a new series over the limit throws naming it") {
        policy.over_series_limit = augur::SeriesLimitAction::reject;
        augur::InputGuard guard(policy);
        REQUIRE(guard.admit(sample(0, 1)));
        REQUIRE(guard.admit(sample(1, 1)));
        CHECK_THROWS_WITH(guard.admit(sample(7, 1)),
                          Catch::Contains("series 7") && Catch::Contains("max_series"));
    }
    SECTION("parse and validate") {
        CHECK(augur::parse_series_limit_action("evict") ==
              augur::SeriesLimitAction::evict_least_recent);
        CHECK_THROWS_AS(augur::parse_series_limit_action("drop"), augur::invalid_argument);
        policy.max_series = 0xFFFFFFFFU;
        CHECK_THROWS_AS(augur::InputGuard(policy), augur::invalid_argument);
    }
}

TEST_CASE("InputGuard: with a series limit the live set is always the most recent series",
          "[core][input_policy]") {
    // Property over random access patterns: after each admit, the live series are exactly
    // the `limit` most recently admitted distinct series (a naive model checks it).
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
        augur::Rng rng(seed);
        const std::size_t limit = 1 + seed % 7;
        augur::InputPolicy policy;
        policy.max_series = limit;
        augur::InputGuard guard(policy);
        std::vector<std::uint32_t> recent; // most recent last, distinct, at most `limit`
        for (int step = 0; step < 400; ++step) {
            const auto id = static_cast<std::uint32_t>(rng() % 12);
            const bool was_live = std::find(recent.begin(), recent.end(), id) != recent.end();
            std::optional<std::uint32_t> expected_victim;
            if (!was_live && recent.size() == limit) {
                expected_victim = recent.front();
                recent.erase(recent.begin());
            }
            std::erase(recent, id);
            recent.push_back(id);
            REQUIRE(guard.admit(
                augur::Sample{augur::SeriesId{id}, augur::from_epoch_seconds(step), 1.0}));
            if (expected_victim) {
                REQUIRE(guard.evicted() == augur::SeriesId{*expected_victim});
            } else {
                REQUIRE_FALSE(guard.evicted());
            }
            REQUIRE(guard.live_series() == recent.size());
        }
    }
}
