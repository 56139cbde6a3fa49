#include <augur/detail/parallel.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

TEST_CASE("parallel_for runs every task once, whatever the thread count", "[core][parallel]") {
    for (const std::size_t threads : {0, 1, 2, 3, 8}) {
        for (const std::size_t tasks : {0, 1, 2, 7, 100}) {
            std::vector<int> hits(tasks, 0);
            std::vector<double> out(tasks, 0.0);
            augur::detail::parallel_for(tasks, threads, [&](std::size_t t) {
                ++hits[t];
                out[t] = static_cast<double>(t) * 0.5;
            });
            for (std::size_t t = 0; t < tasks; ++t) {
                CHECK(hits[t] == 1);
                CHECK(out[t] == static_cast<double>(t) * 0.5);
            }
        }
    }
}

TEST_CASE("parallel_thread_count", "[core][parallel]") {
    using augur::detail::parallel_thread_count;
    CHECK(parallel_thread_count(0, 4) == 1);
    CHECK(parallel_thread_count(3, 8) == 3);
    CHECK(parallel_thread_count(10, 1) == 1);
    CHECK(parallel_thread_count(10, 4) == 4);
    CHECK(parallel_thread_count(1000, 0) >= 1);
}

TEST_CASE("parallel_for rethrows the exception of the lowest failing task", "[core][parallel]") {
    for (const std::size_t threads : {1, 2, 4}) {
        std::atomic<std::size_t> ran{0};
        try {
            augur::detail::parallel_for(50, threads, [&](std::size_t t) {
                ++ran;
                if (t == 3 || t == 4) throw std::runtime_error("task " + std::to_string(t));
            });
            FAIL("no exception");
        } catch (const std::runtime_error& e) {
            // Task 3 is handed out before task 4 and nothing lower fails, so it always runs.
            CHECK(std::string(e.what()) == "task 3");
        }
        CHECK(ran.load() <= 50);
    }
}
