#pragma once

// parallel_for: the one helper augur uses to spread independent tasks over threads.
//
// parallel_for(n_tasks, n_threads, fn) calls fn(task) once for every task in [0, n_tasks),
// on min(n_threads, n_tasks) threads (the calling thread is one of them; n_threads = 0 means
// std::thread::hardware_concurrency()). Tasks are handed out in increasing order from a shared
// counter, so a slow task does not hold up the others. The results are the same for any
// thread count as long as fn(task) depends only on `task` and writes only to what that task
// owns (e.g. slot `task` of a pre-sized vector; forking an Rng by task index): this is how
// callers stay deterministic.
//
// Exceptions: after a task throws, no new task is started; the running ones finish, every
// thread is joined, and the exception of the lowest-numbered failing task is rethrown in the
// calling thread. With one thread (or one task) everything runs inline, with no thread
// created and no allocation.
//
// Cost: one std::thread per extra worker per call (no pool is kept): meant for coarse tasks
// (a tree, a simulation run, a block of thousands of rows), not per-sample work.
// Thread-safety: fn is called concurrently from several threads; it must be safe for that.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <limits>
#include <thread>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {
namespace detail {

/// The number of threads parallel_for(n_tasks, requested, ...) uses: requested (0 = hardware
/// concurrency, at least 1), at most n_tasks, at least 1. O(1).
inline std::size_t parallel_thread_count(std::size_t n_tasks, std::size_t requested) noexcept {
    std::size_t threads = requested;
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    return std::max<std::size_t>(1, std::min(threads, n_tasks));
}

/// Calls fn(std::size_t task) for every task in [0, n_tasks) on up to n_threads threads
/// (0 = hardware concurrency); see the header comment for determinism and exceptions.
/// @code
///   std::vector<double> out(n);
///   augur::detail::parallel_for(n, threads, [&](std::size_t i) { out[i] = work(i); });
/// @endcode
template <class Fn>
void parallel_for(std::size_t n_tasks, std::size_t n_threads, Fn&& fn) {
    const std::size_t workers = parallel_thread_count(n_tasks, n_threads);
    if (workers <= 1) {
        for (std::size_t task = 0; task < n_tasks; ++task)
            fn(task);
        return;
    }
    constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
    std::atomic<std::size_t> next{0};
    std::atomic<bool> stop{false};
    std::vector<std::exception_ptr> errors(workers);
    std::vector<std::size_t> failed_task(workers, none);
    auto work = [&](std::size_t worker) {
        for (;;) {
            if (stop.load(std::memory_order_relaxed)) return;
            const std::size_t task = next.fetch_add(1, std::memory_order_relaxed);
            if (task >= n_tasks) return;
            try {
                fn(task);
            } catch (...) {
                errors[worker] = std::current_exception();
                failed_task[worker] = task;
                stop.store(true, std::memory_order_relaxed);
                return;
            }
        }
    };
    std::vector<std::thread> threads;
    threads.reserve(workers - 1);
    try {
        for (std::size_t w = 1; w < workers; ++w)
            threads.emplace_back(work, w);
    } catch (...) {
        // Could not start a thread: stop handing out tasks, join those started, rethrow.
        stop.store(true, std::memory_order_relaxed);
        for (auto& thread : threads)
            thread.join();
        throw;
    }
    work(0);
    for (auto& thread : threads)
        thread.join();
    std::size_t first = none;
    std::exception_ptr error;
    for (std::size_t w = 0; w < workers; ++w)
        if (errors[w] && failed_task[w] < first) {
            first = failed_task[w];
            error = errors[w];
        }
    if (error) std::rethrow_exception(error);
}

} // namespace detail
} // namespace v0
} // namespace augur
