#pragma once

// ConcurrentRouter: a Router shared by many threads, every call under one mutex.
//
// An orchestrator thread pool calls choose / observe concurrently; the router's state (its
// generator, posteriors and in-flight counts) changes on every call, so the calls are
// serialised. Capacity and availability hold across threads exactly as for one thread: the
// check and the slot taken in choose() happen under the same lock.
// Throughput: one choose + observe pair holds the lock for ~0.1 us with 4-16 Beta-Bernoulli
// arms, so a single router serves millions of decisions per second in total (see
// docs/routing.md for the figures); replicas in other processes merge posteriors instead
// (Posterior::merge).
// Satisfies RouterFrontEnd (router.hpp); save / load lock and call the Router's.
// Thread-safety: every member is safe to call concurrently.
// @code
//   augur::ConcurrentRouter<augur::Router<>> shared(augur::RouterConfig{.seed = 7});
//   auto arm = shared.add_arm("agent-a", 4);
//   // in any thread:
//   if (auto chosen = shared.choose()) shared.observe(*chosen, augur::Outcome{.success = 1.0});
// @endcode

#include "augur/routing/router.hpp"

#include <cstddef>
#include <cstdint>
#include <istream>
#include <mutex>
#include <optional>
#include <ostream>
#include <string_view>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {

/// A Router whose every member call is serialised by a mutex (see the file comment).
/// @tparam R a Router instantiation
template <class R = Router<>>
class ConcurrentRouter {
public:
    using router_type = R;
    using input_type = typename R::input_type;

    /// Constructs the router from the arguments of R's constructor.
    template <class... Args>
    explicit ConcurrentRouter(Args&&... args) : router_(std::forward<Args>(args)...) {}

    template <class... A>
    auto choose(A&&... a) {
        std::lock_guard lock(mutex_);
        return router_.choose(std::forward<A>(a)...);
    }
    template <class... A>
    auto decide(A&&... a) {
        std::lock_guard lock(mutex_);
        return router_.decide(std::forward<A>(a)...);
    }
    template <class... A>
    void observe(A&&... a) {
        std::lock_guard lock(mutex_);
        router_.observe(std::forward<A>(a)...);
    }
    template <class... A>
    void record(A&&... a) {
        std::lock_guard lock(mutex_);
        router_.record(std::forward<A>(a)...);
    }
    void release(ArmId arm) {
        std::lock_guard lock(mutex_);
        router_.release(arm);
    }
    template <class... A>
    ArmId add_arm(A&&... a) {
        std::lock_guard lock(mutex_);
        return router_.add_arm(std::forward<A>(a)...);
    }
    void remove_arm(ArmId arm) {
        std::lock_guard lock(mutex_);
        router_.remove_arm(arm);
    }
    void set_available(ArmId arm, bool available) {
        std::lock_guard lock(mutex_);
        router_.set_available(arm, available);
    }
    void set_capacity(ArmId arm, std::uint32_t capacity) {
        std::lock_guard lock(mutex_);
        router_.set_capacity(arm, capacity);
    }
    template <class... A>
    auto rank(A&&... a) {
        std::lock_guard lock(mutex_);
        return router_.rank(std::forward<A>(a)...);
    }
    template <class... A>
    auto probability_best(A&&... a) {
        std::lock_guard lock(mutex_);
        return router_.probability_best(std::forward<A>(a)...);
    }

    bool contains(ArmId arm) const {
        return locked([&](const R& r) { return r.contains(arm); });
    }
    std::size_t size() const {
        return locked([](const R& r) { return r.size(); });
    }
    std::vector<ArmId> arms() const {
        return locked([](const R& r) { return r.arms(); });
    }
    std::optional<ArmId> find(std::string_view name) const {
        return locked([&](const R& r) { return r.find(name); });
    }
    std::uint32_t in_flight(ArmId arm) const {
        return locked([&](const R& r) { return r.in_flight(arm); });
    }
    std::uint64_t total_in_flight() const {
        return locked([](const R& r) { return r.total_in_flight(); });
    }
    std::uint64_t decisions() const {
        return locked([](const R& r) { return r.decisions(); });
    }
    std::uint64_t observations() const {
        return locked([](const R& r) { return r.observations(); });
    }

    /// Router::save under the lock (archive "augur.Router", core/archive.hpp).
    void save(std::ostream& out) const {
        locked([&](const R& r) { r.save(out); });
    }
    /// Router::load under the lock: data_error on malformed input, this router unchanged.
    void load(std::istream& in) {
        std::lock_guard lock(mutex_);
        router_.load(in);
    }

    /// Runs fn(router) under the lock and returns its result (for anything else: snapshots,
    /// save, merging posteriors).
    template <class Fn>
    decltype(auto) with_lock(Fn&& fn) {
        std::lock_guard lock(mutex_);
        return std::forward<Fn>(fn)(router_);
    }
    template <class Fn>
    decltype(auto) with_lock(Fn&& fn) const {
        std::lock_guard lock(mutex_);
        return std::forward<Fn>(fn)(std::as_const(router_));
    }

private:
    template <class Fn>
    decltype(auto) locked(Fn&& fn) const {
        std::lock_guard lock(mutex_);
        return std::forward<Fn>(fn)(router_);
    }

    mutable std::mutex mutex_;
    R router_;
};

static_assert(RouterFrontEnd<ConcurrentRouter<>>);

} // namespace v0
} // namespace augur
