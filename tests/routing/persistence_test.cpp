// Save / load of every saved routing type through augur/core/archive.hpp (round trip: the
// loaded object behaves identically; corruption: every byte flipped, every prefix truncated),
// and the three router front ends driven through the RouterFrontEnd concept.

#include <augur/routing/change_detecting.hpp>
#include <augur/routing/concurrent_router.hpp>
#include <augur/routing/linear_gaussian.hpp>
#include <augur/routing/posterior.hpp>
#include <augur/routing/router.hpp>
#include <augur/routing/sharded_router.hpp>

#include <catch2/catch.hpp>

#include "archive_support.hpp"

#include <array>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace {

using augur_test::check_corruption;
using augur_test::load_bytes;
using augur_test::saved_bytes;

using Windowed = augur::Router<augur::BetaBernoulli, augur::SlidingWindow, augur::ScalarReward>;
using Sharded = augur::ShardedRouter<
    augur::Router<augur::BetaBernoulli, augur::NoForgetting, augur::ScalarReward>>;

Windowed make_windowed(std::uint64_t seed) {
    return Windowed({.seed = seed}, {}, augur::SlidingWindow(4), augur::ScalarReward(0.0, 1.0));
}

// A Router behind the static load(istream&) the corruption sweep uses: the policies and
// config are this test's, the state comes from the archive.
struct SavedRouter {
    Windowed router = make_windowed(99);
    void save(std::ostream& out) const { router.save(out); }
    static SavedRouter load(std::istream& in) {
        SavedRouter s;
        s.router.load(in);
        return s;
    }
};

using Detecting = augur::Router<augur::BetaBernoulli, augur::ChangeDetecting, augur::ScalarReward>;

augur::ChangeDetecting small_change_detector() {
    augur::ChangeDetectingConfig config;
    config.cusum.warmup = 4;
    config.cusum.threshold = 3.0;
    return augur::ChangeDetecting(config);
}

Detecting make_detecting(std::uint64_t seed) {
    return Detecting({.seed = seed}, {}, small_change_detector(), augur::ScalarReward(0.0, 1.0));
}

struct SavedDetecting {
    Detecting router = make_detecting(99);
    void save(std::ostream& out) const { router.save(out); }
    static SavedDetecting load(std::istream& in) {
        SavedDetecting s;
        s.router.load(in);
        return s;
    }
};

struct SavedConcurrent {
    std::unique_ptr<augur::ConcurrentRouter<Windowed>> router =
        std::make_unique<augur::ConcurrentRouter<Windowed>>(
            augur::RouterConfig{.seed = 99}, augur::BetaBernoulli{}, augur::SlidingWindow(4),
            augur::ScalarReward(0.0, 1.0));
    void save(std::ostream& out) const { router->save(out); }
    static SavedConcurrent load(std::istream& in) {
        SavedConcurrent s;
        s.router->load(in);
        return s;
    }
};

struct SavedEvidence {
    std::vector<Sharded::evidence_type> evidence;
    void save(std::ostream& out) const { Sharded::save_evidence(out, evidence); }
    static SavedEvidence load(std::istream& in) { return {Sharded::load_evidence(in)}; }
};

// The same arms, posteriors, counters and window state: same choices from here on.
template <class R>
bool same_router(const R& x, const R& y) {
    if (x.arms() != y.arms() || x.observations() != y.observations() ||
        x.decisions() != y.decisions())
        return false;
    for (augur::ArmId a : x.arms())
        if (!(x.posterior(a) == y.posterior(a)) || x.name(a) != y.name(a) ||
            x.capacity(a) != y.capacity(a) || x.available(a) != y.available(a))
            return false;
    R a = x;
    R b = y;
    for (int t = 0; t < 50; ++t) {
        const auto i = a.choose();
        const auto j = b.choose();
        if (i != j) return false;
        if (!i) continue;
        a.observe(*i, t % 3 == 0 ? 1.0 : 0.0);
        b.observe(*j, t % 3 == 0 ? 1.0 : 0.0);
    }
    for (augur::ArmId arm : a.arms())
        if (!(a.posterior(arm) == b.posterior(arm))) return false;
    return true;
}

Windowed trained_windowed() {
    Windowed router = make_windowed(7);
    router.add_arm("a", 2);
    router.add_arm("b");
    router.add_arm("c");
    router.remove_arm(augur::ArmId{1});
    router.set_available(augur::ArmId{2}, false);
    augur::Rng env(3);
    for (int t = 0; t < 9; ++t) {
        const auto arm = *router.choose();
        router.observe(arm, augur::uniform01(env) < 0.6 ? 1.0 : 0.0);
    }
    router.set_available(augur::ArmId{2}, true);
    return router;
}

} // namespace

TEST_CASE("Posteriors round-trip and reject every corruption", "[routing][persistence]") {
    SECTION("BetaBernoulli") {
        augur::BetaBernoulli p(2.0, 0.5);
        p.update(1.0, 3.25);
        p.update(0.0);
        const std::string bytes = saved_bytes(p);
        const auto q = load_bytes<augur::BetaBernoulli>(bytes);
        CHECK(q == p);
        augur::Rng r1(3);
        augur::Rng r2(3);
        for (int i = 0; i < 100; ++i)
            REQUIRE(p.sample(r1) == q.sample(r2));
        const auto counts = check_corruption<augur::BetaBernoulli>(
            bytes, [&](const augur::BetaBernoulli& x) { return x == p; });
        CHECK(counts.rejected == 3 * bytes.size());
    }
    SECTION("NormalGamma") {
        augur::NormalGamma p({.mean = 0.2, .kappa = 2.0, .alpha = 1.5, .beta = 0.5});
        for (double r : {0.1, 0.7, 0.4})
            p.update(r);
        const std::string bytes = saved_bytes(p);
        const auto q = load_bytes<augur::NormalGamma>(bytes);
        CHECK(q == p);
        augur::Rng r1(4);
        augur::Rng r2(4);
        for (int i = 0; i < 100; ++i)
            REQUIRE(p.sample(r1) == q.sample(r2));
        check_corruption<augur::NormalGamma>(bytes,
                                             [&](const augur::NormalGamma& x) { return x == p; });
        // Another posterior's archive is refused by its type tag.
        CHECK_THROWS_WITH(load_bytes<augur::NormalGamma>(saved_bytes(augur::BetaBernoulli{})),
                          Catch::Contains("augur.BetaBernoulli"));
    }
    SECTION("LinearGaussian") {
        augur::LinearGaussian p(2);
        p.update(std::array{1.0, 0.5}, 0.8);
        p.update(std::array{1.0, -1.0}, 0.2);
        const std::string bytes = saved_bytes(p);
        const auto q = load_bytes<augur::LinearGaussian>(bytes);
        CHECK(q == p);
        augur::Rng r1(5);
        augur::Rng r2(5);
        const std::array x{1.0, 0.3};
        for (int i = 0; i < 100; ++i)
            REQUIRE(p.sample(r1, x) == q.sample(r2, x));
        check_corruption<augur::LinearGaussian>(
            bytes, [&](const augur::LinearGaussian& y) { return y == p; });
    }
}

TEST_CASE("Router, ConcurrentRouter and evidence round-trip and reject every corruption",
          "[routing][persistence]") {
    SECTION("Router with sliding-window state") {
        const Windowed router = trained_windowed();
        const std::string bytes = saved_bytes(router);
        const SavedRouter copy = load_bytes<SavedRouter>(bytes);
        CHECK(same_router(router, copy.router));
        CHECK(copy.router.forgetting().size() == router.forgetting().size());
        check_corruption<SavedRouter>(
            bytes, [&](const SavedRouter& s) { return same_router(router, s.router); });
        // A router configured with another window refuses the state.
        Windowed other({}, {}, augur::SlidingWindow(5), augur::ScalarReward(0.0, 1.0));
        std::istringstream in(bytes, std::ios::binary);
        CHECK_THROWS_WITH(other.load(in), Catch::Contains("window"));
        // A router of another posterior refuses the arms.
        augur::Router<augur::NormalGamma, augur::NoForgetting, augur::ScalarReward> normal;
        std::istringstream again(bytes, std::ios::binary);
        CHECK_THROWS_WITH(normal.load(again), Catch::Contains("augur.BetaBernoulli"));
    }
    SECTION("Router with change-detecting state") {
        Detecting router = make_detecting(8);
        router.add_arm("a");
        router.add_arm("b");
        for (int t = 0; t < 12; ++t) {
            const auto arm = *router.choose();
            router.observe(arm, t < 8 ? 1.0 : 0.0);
        }
        const std::string bytes = saved_bytes(router);
        const SavedDetecting copy = load_bytes<SavedDetecting>(bytes);
        const auto same = [&](const Detecting& r) {
            if (r.forgetting().changes() != router.forgetting().changes()) return false;
            for (std::size_t i = 0; i < router.size(); ++i)
                if (r.forgetting().detector(i).statistic() !=
                        router.forgetting().detector(i).statistic() ||
                    r.forgetting().detector(i).count() != router.forgetting().detector(i).count())
                    return false;
            return same_router(router, r);
        };
        CHECK(same(copy.router));
        check_corruption<SavedDetecting>(bytes,
                                         [&](const SavedDetecting& s) { return same(s.router); });
        // Cusums of another configuration are refused.
        Detecting other({}, {}, augur::ChangeDetecting{}, augur::ScalarReward(0.0, 1.0));
        std::istringstream in(bytes, std::ios::binary);
        CHECK_THROWS_WITH(other.load(in), Catch::Contains("Cusum"));
    }
    SECTION("ConcurrentRouter") {
        const Windowed router = trained_windowed();
        SavedConcurrent shared;
        {
            std::istringstream in(saved_bytes(router), std::ios::binary);
            shared.router->load(in);
        }
        const std::string bytes = saved_bytes(shared);
        CHECK(bytes == saved_bytes(router));
        check_corruption<SavedConcurrent>(bytes, [&](const SavedConcurrent& s) {
            return s.router->with_lock([&](const Windowed& r) { return same_router(router, r); });
        });
    }
    SECTION("ShardedRouter evidence") {
        Sharded sharded({.shards = 2, .sync_every = 1, .router = {.seed = 1}}, {}, {},
                        augur::ScalarReward(0.0, 1.0));
        const auto a = sharded.add_arm("a");
        const auto b = sharded.add_arm("b");
        sharded.observe_on(0, a, 1.0);
        sharded.observe_on(1, b, 0.0);
        sharded.observe_on(1, a, 1.0);
        const SavedEvidence evidence{sharded.take_delta()};
        const std::string bytes = saved_bytes(evidence);
        const auto same = [&](const SavedEvidence& s) {
            if (s.evidence.size() != evidence.evidence.size()) return false;
            for (std::size_t k = 0; k < s.evidence.size(); ++k)
                if (s.evidence[k].arm != evidence.evidence[k].arm ||
                    s.evidence[k].name != evidence.evidence[k].name ||
                    !(s.evidence[k].delta == evidence.evidence[k].delta))
                    return false;
            return true;
        };
        CHECK(same(load_bytes<SavedEvidence>(bytes)));
        check_corruption<SavedEvidence>(bytes, same);
        // Merged into another process, the evidence counts once.
        Sharded other({.shards = 1, .router = {.seed = 2}}, {}, {}, augur::ScalarReward(0.0, 1.0));
        other.add_arm("b");
        other.add_arm("a");
        other.merge_evidence(load_bytes<SavedEvidence>(bytes).evidence);
        CHECK(other.posterior(*other.find("a")).successes() == 2.0);
        CHECK(other.posterior(*other.find("b")).failures() == 1.0);
    }
}

namespace {

// Drives any front end the same way: arms, capacity, choices, outcomes, removal.
template <augur::RouterFrontEnd R>
void drive_front_end(R& router) {
    const augur::ArmId good = router.add_arm("good", 1);
    const augur::ArmId bad = router.add_arm("bad", augur::unlimited_capacity);
    REQUIRE(router.size() == 2);
    REQUIRE(router.contains(good));
    REQUIRE(router.find("bad") == bad);
    // Capacity 1: while good is in flight only bad is eligible.
    std::optional<augur::ArmId> held;
    for (int t = 0; t < 20 && !held; ++t) {
        const auto arm = router.choose();
        REQUIRE(arm);
        if (*arm == good)
            held = arm;
        else
            router.observe(*arm, 0.0);
    }
    REQUIRE(held);
    REQUIRE(router.in_flight(good) == 1);
    for (int t = 0; t < 5; ++t) {
        const auto arm = router.choose();
        REQUIRE(arm == bad);
        router.release(*arm);
    }
    router.observe(*held, 1.0);
    REQUIRE(router.total_in_flight() == 0);
    for (int t = 0; t < 400; ++t) {
        const auto arm = router.choose();
        REQUIRE(arm);
        router.observe(*arm, *arm == good ? 1.0 : 0.0);
    }
    router.record(bad, 0.0);
    CHECK(router.rank().front() == good);
    const auto best = router.probability_best(2000);
    REQUIRE(best.size() == 2);
    for (const auto& [arm, share] : best)
        if (arm == good) CHECK(share > 0.99);
    CHECK(router.observations() >= 400);
    CHECK(router.decisions() >= 400);
    router.set_available(good, false);
    for (int t = 0; t < 10; ++t) {
        const auto arm = router.choose();
        REQUIRE(arm == bad);
        router.release(*arm);
    }
    router.set_capacity(bad, 1);
    router.remove_arm(good);
    CHECK(router.arms() == std::vector<augur::ArmId>{bad});
    CHECK_THROWS_AS(router.observe(good, 1.0), augur::invalid_argument);
    CHECK_THROWS_AS(router.observe(bad, 2.0), augur::data_error);
}

} // namespace

TEST_CASE("Router, ConcurrentRouter and ShardedRouter behave alike through RouterFrontEnd",
          "[routing][front_end]") {
    using Plain = augur::Router<augur::BetaBernoulli, augur::NoForgetting, augur::ScalarReward>;
    static_assert(augur::RouterFrontEnd<Plain>);
    static_assert(augur::RouterFrontEnd<augur::ConcurrentRouter<Plain>>);
    static_assert(augur::RouterFrontEnd<augur::ShardedRouter<Plain>>);
    SECTION("Router") {
        Plain router({.seed = 1}, {}, {}, augur::ScalarReward(0.0, 1.0));
        drive_front_end(router);
    }
    SECTION("ConcurrentRouter") {
        augur::ConcurrentRouter<Plain> router(augur::RouterConfig{.seed = 1},
                                              augur::BetaBernoulli{}, augur::NoForgetting{},
                                              augur::ScalarReward(0.0, 1.0));
        drive_front_end(router);
    }
    SECTION("ShardedRouter") {
        augur::ShardedRouter<Plain> router({.shards = 2, .router = {.seed = 1}}, {}, {},
                                           augur::ScalarReward(0.0, 1.0));
        drive_front_end(router);
    }
}
