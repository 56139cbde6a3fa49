#include <augur/core/random.hpp>
#include <augur/core/window.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <iterator>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

namespace {

using augur::Duration;
using augur::RingBuffer;
using augur::Timestamp;
using augur::TimeWindow;

template <class T>
std::vector<T> contents(const RingBuffer<T>& ring) {
    return std::vector<T>(ring.begin(), ring.end());
}

Timestamp at_seconds(std::int64_t s) {
    return Timestamp{std::chrono::seconds(s)};
}

} // namespace

// Every member instantiated at least once.
template class augur::RingBuffer<double>;
template class augur::RingBuffer<std::string>;
template class augur::TimeWindow<double>;

static_assert(std::forward_iterator<RingBuffer<double>::iterator>);
static_assert(std::forward_iterator<RingBuffer<double>::const_iterator>);
static_assert(std::forward_iterator<TimeWindow<int>::iterator>);
static_assert(std::ranges::forward_range<RingBuffer<double>>);
static_assert(std::ranges::forward_range<const TimeWindow<double>>);
static_assert(std::is_nothrow_move_constructible_v<RingBuffer<double>>);

TEST_CASE("RingBuffer: fills, then overwrites the oldest", "[core][window]") {
    RingBuffer<int> ring(3);
    CHECK(ring.empty());
    CHECK_FALSE(ring.full());
    CHECK(ring.capacity() == 3);
    CHECK(ring.size() == 0);
    CHECK(ring.begin() == ring.end());

    CHECK_FALSE(ring.push(1).has_value());
    CHECK_FALSE(ring.push(2).has_value());
    CHECK_FALSE(ring.push(3).has_value());
    CHECK(ring.full());
    CHECK(contents(ring) == std::vector<int>{1, 2, 3});

    const auto evicted = ring.push(4);
    REQUIRE(evicted.has_value());
    CHECK(*evicted == 1);
    CHECK(contents(ring) == std::vector<int>{2, 3, 4});
    CHECK(ring.front() == 2);
    CHECK(ring.back() == 4);
    CHECK(ring[0] == 2);
    CHECK(ring[1] == 3);
    CHECK(ring[2] == 4);
    CHECK(ring.size() == 3);

    CHECK(*ring.push(5) == 2);
    CHECK(*ring.push(6) == 3);
    CHECK(*ring.push(7) == 4); // wrapped around twice
    CHECK(contents(ring) == std::vector<int>{5, 6, 7});

    ring.pop_front();
    CHECK(contents(ring) == std::vector<int>{6, 7});
    CHECK_FALSE(ring.full());
    CHECK_FALSE(ring.push(8).has_value());
    CHECK(contents(ring) == std::vector<int>{6, 7, 8});

    ring[1] = 70;
    ring.front() = 60;
    ring.back() = 80;
    CHECK(contents(ring) == std::vector<int>{60, 70, 80});

    ring.clear();
    CHECK(ring.empty());
    CHECK(ring.capacity() == 3);
    CHECK_FALSE(ring.push(9).has_value());
    CHECK(contents(ring) == std::vector<int>{9});
}

TEST_CASE("RingBuffer: matches a deque model over random operations", "[core][window]") {
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        augur::Rng rng(seed);
        const std::size_t capacity = 1 + augur::uniform_index(rng, 9);
        RingBuffer<std::uint64_t> ring(capacity);
        std::deque<std::uint64_t> model;
        for (int step = 0; step < 200; ++step) {
            const auto op = augur::uniform_index(rng, 10);
            if (op < 7) {
                const std::uint64_t v = rng();
                const auto evicted = ring.push(v);
                if (model.size() == capacity) {
                    REQUIRE(evicted.has_value());
                    REQUIRE(*evicted == model.front());
                    model.pop_front();
                } else {
                    REQUIRE_FALSE(evicted.has_value());
                }
                model.push_back(v);
            } else if (op < 9) {
                if (!model.empty()) {
                    ring.pop_front();
                    model.pop_front();
                }
            } else if (augur::uniform_index(rng, 10) == 0) {
                ring.clear();
                model.clear();
            }
            REQUIRE(ring.size() == model.size());
            REQUIRE(ring.full() == (model.size() == capacity));
            REQUIRE(std::equal(ring.begin(), ring.end(), model.begin(), model.end()));
            for (std::size_t i = 0; i < model.size(); ++i)
                REQUIRE(ring[i] == model[i]);
            if (!model.empty()) {
                REQUIRE(ring.front() == model.front());
                REQUIRE(ring.back() == model.back());
            }
        }
    }
}

TEST_CASE("RingBuffer: works with std algorithms and range-for", "[core][window]") {
    RingBuffer<double> ring(4);
    for (double x : {5.0, 1.0, 4.0, 2.0, 3.0})
        ring.push(x); // holds 1 4 2 3
    CHECK(std::accumulate(ring.begin(), ring.end(), 0.0) == 10.0);
    CHECK(*std::max_element(ring.begin(), ring.end()) == 4.0);
    CHECK(std::find(ring.begin(), ring.end(), 2.0) != ring.end());
    CHECK(std::find(ring.begin(), ring.end(), 5.0) == ring.end());
    CHECK(std::distance(ring.begin(), ring.end()) == 4);
    double sum = 0.0;
    for (double& x : ring)
        x *= 2.0;
    for (double x : ring)
        sum += x;
    CHECK(sum == 20.0);
    const RingBuffer<double>& view = ring;
    RingBuffer<double>::const_iterator it = ring.begin(); // mutable -> const conversion
    CHECK(it == view.cbegin());
    CHECK(*it++ == 2.0);
    CHECK(*it == 8.0);
    CHECK(std::ranges::count_if(view, [](double x) { return x > 3.0; }) == 3);
}

TEST_CASE("RingBuffer: copies are independent, moves leave an empty buffer", "[core][window]") {
    RingBuffer<std::string> a(2);
    a.push("x");
    a.push("y");
    a.push("z"); // holds y z
    RingBuffer<std::string> b = a;
    b.push("w");
    CHECK(contents(a) == std::vector<std::string>{"y", "z"});
    CHECK(contents(b) == std::vector<std::string>{"z", "w"});
    a = b;
    CHECK(contents(a) == std::vector<std::string>{"z", "w"});

    RingBuffer<std::string> c = std::move(b);
    CHECK(contents(c) == std::vector<std::string>{"z", "w"});
    CHECK(b.empty()); // NOLINT(bugprone-use-after-move): documented moved-from state
    CHECK(b.capacity() == 0);
    RingBuffer<std::string> d(5);
    d = std::move(c);
    CHECK(d.capacity() == 2);
    CHECK(contents(d) == std::vector<std::string>{"z", "w"});
}

TEST_CASE("RingBuffer: pushing its own oldest item rotates it", "[core][window]") {
    RingBuffer<std::string> ring(3);
    for (const char* s : {"a", "b", "c"})
        ring.push(s);
    const auto evicted = ring.push(ring.front());
    REQUIRE(evicted.has_value());
    CHECK(*evicted == "a");
    CHECK(contents(ring) == std::vector<std::string>{"b", "c", "a"});
    ring.push(ring.back()); // not aliasing the evicted slot
    CHECK(contents(ring) == std::vector<std::string>{"c", "a", "a"});
}

TEST_CASE("RingBuffer: pop_front releases resources", "[core][window]") {
    auto shared = std::make_shared<int>(1);
    RingBuffer<std::shared_ptr<int>> ring(2);
    ring.push(shared);
    CHECK(shared.use_count() == 2);
    ring.pop_front();
    CHECK(shared.use_count() == 1);
    ring.push(shared);
    ring.clear();
    CHECK(shared.use_count() == 1);
}

TEST_CASE("RingBuffer: capacity 1 and bad use", "[core][window]") {
    RingBuffer<int> one(1);
    CHECK_FALSE(one.push(1).has_value());
    CHECK(*one.push(2) == 1);
    CHECK(one.front() == 2);
    CHECK(one.back() == 2);

    CHECK_THROWS_AS(RingBuffer<int>(0), augur::invalid_argument);
    CHECK_THROWS_WITH(RingBuffer<int>(0), Catch::Contains("capacity") && Catch::Contains("0"));

    RingBuffer<int> empty(2);
    CHECK_THROWS_AS(empty.pop_front(), augur_test::AssertionFailure);
    CHECK_THROWS_AS(empty.front(), augur_test::AssertionFailure);
    CHECK_THROWS_AS(empty.back(), augur_test::AssertionFailure);
    empty.push(1);
    CHECK_THROWS_AS(empty[1], augur_test::AssertionFailure);
}

TEST_CASE("TimeWindow: keeps items newer than newest - span", "[core][window]") {
    TimeWindow<double> w(std::chrono::seconds(10), 100);
    CHECK(w.span() == std::chrono::seconds(10));
    CHECK(w.capacity() == 100);
    CHECK_FALSE(w.newest_time().has_value());

    CHECK(w.push(at_seconds(0), 0.0) == 0);
    CHECK(w.push(at_seconds(3), 3.0) == 0);
    CHECK(w.push(at_seconds(9), 9.0) == 0);
    CHECK(w.size() == 3);
    // At 10 the item at 0 is exactly span old: 0 > 10 - 10 is false, so it goes.
    CHECK(w.push(at_seconds(10), 10.0) == 1);
    CHECK(w.front().time == at_seconds(3));
    CHECK(w.front().value == 3.0);
    // At 12.999 the item at 3 is still inside (3 > 2.999).
    CHECK(w.push(at_seconds(13) - Duration(1), 12.9) == 0);
    CHECK(w.push(at_seconds(13), 13.0) == 1);
    CHECK(w.size() == 4);
    // A jump evicts everything older.
    CHECK(w.push(at_seconds(100), 100.0) == 4);
    CHECK(w.size() == 1);
    CHECK(w.back().value == 100.0);
    CHECK(w.newest_time() == at_seconds(100));

    // Equal times are allowed.
    CHECK(w.push(at_seconds(100), 101.0) == 0);
    CHECK(w.size() == 2);
    CHECK(w[0].value == 100.0);
    CHECK(w[1].value == 101.0);
}

TEST_CASE("TimeWindow: out-of-order time throws data_error and changes nothing", "[core][window]") {
    TimeWindow<int> w(std::chrono::seconds(5), 10);
    w.push(at_seconds(10), 1);
    w.push(at_seconds(12), 2);
    CHECK_THROWS_AS(w.push(at_seconds(11), 3), augur::data_error);
    CHECK_THROWS_WITH(w.push(at_seconds(11), 3), Catch::Contains("earlier"));
    CHECK(w.size() == 2);
    CHECK(w.back().value == 2);
    // Still checked after evict_before empties the window...
    CHECK(w.evict_before(at_seconds(20)) == 2);
    CHECK(w.empty());
    CHECK_THROWS_AS(w.push(at_seconds(11), 3), augur::data_error);
    // ...but not after clear().
    w.clear();
    CHECK_FALSE(w.newest_time().has_value());
    CHECK(w.push(at_seconds(1), 4) == 0);
    CHECK(w.size() == 1);
}

TEST_CASE("TimeWindow: the capacity limit evicts the oldest", "[core][window]") {
    TimeWindow<int> w(std::chrono::hours(1), 3);
    CHECK(w.push(at_seconds(1), 1) == 0);
    CHECK(w.push(at_seconds(2), 2) == 0);
    CHECK(w.push(at_seconds(3), 3) == 0);
    CHECK(w.full());
    CHECK(w.push(at_seconds(4), 4) == 1);
    std::vector<int> values;
    for (const auto& item : w)
        values.push_back(item.value);
    CHECK(values == std::vector<int>{2, 3, 4});
    // Both limits at once: time evicts 2 and 3, then there is room.
    CHECK(w.push(at_seconds(3603), 5) == 2);
    CHECK(w.size() == 2);
    CHECK(w.front().value == 4);
}

TEST_CASE("TimeWindow: evict_before", "[core][window]") {
    TimeWindow<int> w(std::chrono::seconds(100), 10);
    for (int i = 0; i < 5; ++i)
        w.push(at_seconds(i), i);
    CHECK(w.evict_before(at_seconds(0)) == 0);
    CHECK(w.evict_before(at_seconds(2)) == 2); // strictly before
    CHECK(w.front().value == 2);
    CHECK(w.evict_before(at_seconds(2)) == 0);
    CHECK(w.push(at_seconds(5), 5) == 0); // the newest time is still 4
    CHECK(w.size() == 4);
}

TEST_CASE("TimeWindow: matches a naive model on random streams", "[core][window]") {
    for (std::uint64_t seed = 0; seed < 100; ++seed) {
        augur::Rng rng(seed);
        const Duration span{1 + static_cast<std::int64_t>(augur::uniform_index(rng, 50))};
        const std::size_t capacity = 1 + augur::uniform_index(rng, 20);
        TimeWindow<std::uint64_t> w(span, capacity);
        std::vector<std::pair<Timestamp, std::uint64_t>> all;
        Timestamp t{};
        std::size_t kept_from = 0; // the window is a suffix of `all`
        for (int step = 0; step < 300; ++step) {
            t += Duration{static_cast<std::int64_t>(augur::uniform_index(rng, 6))};
            const std::uint64_t v = rng();
            all.emplace_back(t, v);
            std::size_t begin = kept_from;
            while (begin < all.size() && !(all[begin].first > t - span))
                ++begin;
            begin = std::max(begin, all.size() - std::min(all.size(), capacity));
            const std::size_t expected_evicted = begin - kept_from;
            REQUIRE(w.push(t, v) == expected_evicted);
            kept_from = begin;
            REQUIRE(w.size() == all.size() - kept_from);
            std::size_t k = kept_from;
            for (const auto& item : w) {
                REQUIRE(item.time == all[k].first);
                REQUIRE(item.value == all[k].second);
                ++k;
            }
        }
    }
}

TEST_CASE("TimeWindow: invalid configuration throws", "[core][window]") {
    CHECK_THROWS_AS(TimeWindow<double>(Duration::zero(), 10), augur::invalid_argument);
    CHECK_THROWS_WITH(TimeWindow<double>(Duration(-5), 10), Catch::Contains("span"));
    CHECK_THROWS_AS(TimeWindow<double>(std::chrono::seconds(1), 0), augur::invalid_argument);
}

TEST_CASE("RingBuffer: storage grows with the items, and pushes and pops across growth match "
          "a deque",
          "[core][window]") {
    augur::RingBuffer<int> empty(1000);
    CHECK(empty.allocated_bytes() == 0);
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        augur::Rng rng(seed);
        const std::size_t capacity = 1 + rng() % 40;
        augur::RingBuffer<int> ring(capacity);
        std::deque<int> model;
        for (int step = 0; step < 300; ++step) {
            if (!model.empty() && rng() % 3 == 0) {
                ring.pop_front();
                model.pop_front();
            } else {
                const auto evicted = ring.push(step);
                model.push_back(step);
                if (model.size() > capacity) {
                    REQUIRE(evicted == model.front());
                    model.pop_front();
                } else {
                    REQUIRE_FALSE(evicted);
                }
            }
            REQUIRE(ring.size() == model.size());
            REQUIRE(std::equal(ring.begin(), ring.end(), model.begin(), model.end()));
            REQUIRE(ring.allocated_bytes() <= std::max<std::size_t>(8, capacity) * sizeof(int));
        }
    }
    augur::RingBuffer<int> reserved(100);
    reserved.reserve();
    CHECK(reserved.allocated_bytes() == 100 * sizeof(int));
}
