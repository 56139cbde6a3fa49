#include <augur/routing/concurrent_router.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

TEST_CASE("ConcurrentRouter keeps capacity limits across threads", "[routing][concurrent_router]") {
    using Binary = augur::Router<augur::BetaBernoulli, augur::NoForgetting, augur::ScalarReward>;
    augur::ConcurrentRouter<Binary> router(augur::RouterConfig{.seed = 3}, augur::BetaBernoulli{},
                                           augur::NoForgetting{}, augur::ScalarReward(0.0, 1.0));
    const std::uint32_t capacity = 2;
    std::vector<augur::ArmId> arms;
    for (int i = 0; i < 3; ++i)
        arms.push_back(router.add_arm("arm" + std::to_string(i), capacity));
    // Independent per-arm counters of requests "in service", checked against the limit.
    std::vector<std::atomic<int>> in_service(3);
    std::atomic<int> violations{0};
    std::atomic<int> refused{0};
    std::atomic<int> served{0};
    const auto worker = [&](int id) {
        augur::Rng rng(static_cast<std::uint64_t>(id));
        for (int i = 0; i < 3000; ++i) {
            const auto arm = router.choose();
            if (!arm) {
                ++refused;
                continue;
            }
            const auto k = augur::to_index(*arm);
            if (++in_service[k] > static_cast<int>(capacity)) ++violations;
            if (i % 97 == 0) std::this_thread::yield();
            --in_service[k];
            router.observe(*arm, augur::uniform01(rng) < 0.5 + 0.2 * k ? 1.0 : 0.0);
            ++served;
        }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back(worker, t);
    for (auto& t : threads)
        t.join();
    CHECK(violations == 0);
    CHECK(served + refused == 8 * 3000);
    router.with_lock([&](const Binary& r) {
        CHECK(r.total_in_flight() == 0);
        CHECK(r.observations() == static_cast<std::uint64_t>(served.load()));
    });
    // Availability changes from another thread are respected.
    router.set_available(arms[2], false);
    for (int i = 0; i < 100; ++i) {
        const auto arm = router.choose();
        REQUIRE(arm);
        CHECK(*arm != arms[2]);
        router.release(*arm);
    }
}
