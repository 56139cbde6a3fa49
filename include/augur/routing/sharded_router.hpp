#pragma once

// ShardedRouter: a Router front end whose throughput grows with threads, and whose evidence
// can be exchanged with routers in other processes.
//
// S shards, each a Router replica with its own mutex, generator (forked from the seed and the
// shard number) and "delta" posteriors (the evidence the shard learnt since it last synced).
// choose() / observe() lock the calling thread's home shard (assigned round-robin the first
// time a thread calls in; a thread that finds its shard busy moves to a free one), so threads
// on different shards never wait for each other; choose_on / observe_on pin a shard.
// Capacity and availability are global and exact: the in-flight count of each arm is one
// atomic, taken by compare-and-swap after the replica has chosen among the arms that are up and
// not full; a lost race excludes that arm and chooses again. An arm that is down or full is
// never returned, and after set_available(arm, false) returns no choose() returns that arm.
// Sync: after every `sync_every` observations on a shard (and on sync(), posterior(),
// probability_best(), take_delta()) the shard adds its deltas to the global posteriors and
// copies them back; a shard that chooses after another shard has synced first refreshes its
// view (global posteriors plus its own delta). So a choice misses at most the unsynced
// evidence of the other shards, fewer than (S - 1) x sync_every observations, and no evidence
// is counted twice.
// Processes: take_delta() returns the evidence learnt here since the last take_delta();
// merge_evidence() adds another process's delta (arms matched by name). Protocol: every
// process periodically takes its delta and ships it to every other process, which merges it
// exactly once; then each process's posteriors are those of all the data (the prior counted
// once). Never merge a delta into the process that took it. save_evidence / load_evidence
// write and read deltas as an augur archive (core/archive.hpp).
// Limits: the replicas' forgetting policy must be NoForgetting (evidence deltas cannot be
// added meaningfully under discounting, sliding windows or change resets, which rewrite past
// evidence); contextual posteriors (LinearGaussian) are not supported; load balancing
// (RouterConfig::balance_tolerance) is rejected and decide() / shadow evaluation are not
// offered. A selection policy that uses the round counter (UCB) sees its shard's count.
// Complexity: choose O(K) score draws on one shard (plus O(K) per lost race, rare); observe
// O(1); a sync O(K) per sync_every observations; arm changes lock every shard, O(S + K).
// Memory: per shard, one replica and K deltas; per-arm state is kept for removed arms too.
// Thread-safety: every member is safe to call concurrently; an observe() may run on another
// thread than the choose() it answers.
// @code
//   augur::ShardedRouter<> router({.shards = 4, .router = {.seed = 42}});
//   auto fast = router.add_arm("fast-model", 8);   // at most 8 in flight across all threads
//   router.add_arm("smart-model");
//   // in any thread:
//   if (auto arm = router.choose()) router.observe(*arm, augur::Outcome{.success = 1.0});
// @endcode

#include "augur/core/archive.hpp"
#include "augur/core/error.hpp"
#include "augur/core/random.hpp"
#include "augur/routing/detail/attributes.hpp"
#include "augur/routing/forgetting.hpp"
#include "augur/routing/router.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {

/// Numbers that configure a ShardedRouter; validated by its constructor.
struct ShardedConfig {
    static constexpr std::size_t max_shards = 4096;
    /// Number of Router replicas, at most max_shards; 0: one per hardware thread.
    std::size_t shards = 0;
    /// A shard syncs its evidence with the global posteriors after this many observations;
    /// >= 1. Smaller: fresher views, more syncs.
    std::uint64_t sync_every = 256;
    /// Configuration of every replica; replica s is seeded from router.seed and s.
    RouterConfig router{};

    void validate() const {
        if (shards > max_shards)
            throw_invalid_config("ShardedConfig", "shards", shards, "must be <= 4096");
        if (sync_every == 0)
            throw_invalid_config("ShardedConfig", "sync_every", sync_every, "must be >= 1");
        router.validate();
        if (router.balance_tolerance != 0.0)
            throw_invalid_config("ShardedConfig", "router.balance_tolerance",
                                 router.balance_tolerance,
                                 "must be 0: ShardedRouter does not balance load");
    }
};

/// Evidence about one arm learnt by a router since its last take_delta(): `delta` is a
/// posterior holding only that evidence (the prior plus it), to be merged elsewhere.
template <class P>
struct ArmEvidence {
    ArmId arm{};
    std::string name;
    P delta;
};

namespace detail::routing {

template <class R>
struct IsRouter : std::false_type {};
template <class P, class F, class Rw, class S>
struct IsRouter<Router<P, F, Rw, S>> : std::true_type {};

/// The calling thread's preferred shard (any number; reduced modulo the shard count):
/// consecutive threads get consecutive numbers.
inline std::size_t& sharded_thread_hint() noexcept {
    static std::atomic<std::size_t> next{0};
    thread_local std::size_t hint = next.fetch_add(1, std::memory_order_relaxed);
    return hint;
}

} // namespace detail::routing

/// Routes requests among arms with one Router replica per shard (see the file comment).
/// @tparam R a Router instantiation with NoForgetting and a non-contextual posterior
template <class R = Router<>>
class ShardedRouter {
    static_assert(detail::routing::IsRouter<R>::value,
                  "ShardedRouter: R must be an augur::Router<...> instantiation");
    static_assert(std::is_same_v<typename R::forgetting_type, NoForgetting>,
                  "ShardedRouter: R must use NoForgetting: shards and processes combine "
                  "evidence by adding sufficient statistics, which is meaningless under "
                  "discounting, sliding windows or change resets");
    static_assert(!R::contextual,
                  "ShardedRouter: contextual posteriors (LinearGaussian) are not supported");

public:
    using router_type = R;
    using posterior_type = typename R::posterior_type;
    using forgetting_type = typename R::forgetting_type;
    using reward_type = typename R::reward_type;
    using selection_type = typename R::selection_type;
    using input_type = typename R::input_type;
    using evidence_type = ArmEvidence<posterior_type>;

    /// Type tag and format version of an evidence archive (save_evidence).
    static constexpr const char* evidence_archive_tag = "augur.ArmEvidence";
    static constexpr std::uint32_t evidence_format_version = 1;

    /// Validates the config (invalid_argument naming the field); `prototype` is every new
    /// arm's prior; the policies are copied into every replica.
    explicit ShardedRouter(const ShardedConfig& config = {}, posterior_type prototype = {},
                           forgetting_type forgetting = {}, reward_type reward = {},
                           selection_type selection = {})
        : config_(config), prototype_(std::move(prototype)) {
        config_.validate();
        if (config_.shards == 0)
            config_.shards = std::max<std::size_t>(1, std::thread::hardware_concurrency());
        const Rng root(config_.router.seed);
        side_rng_ = root.fork(std::numeric_limits<std::uint64_t>::max());
        shards_.reserve(config_.shards);
        for (std::size_t s = 0; s < config_.shards; ++s) {
            RouterConfig c = config_.router;
            Rng fork = root.fork(s);
            c.seed = fork();
            shards_.push_back(
                std::make_unique<Shard>(c, prototype_, forgetting, reward, selection));
        }
    }

    ShardedRouter(const ShardedRouter&) = delete;
    ShardedRouter& operator=(const ShardedRouter&) = delete;

    // ---- arms ----------------------------------------------------------------------------

    /// Adds an arm to every replica (same ArmId everywhere; ids are never reused); capacity
    /// 0 = unlimited, counted over all shards. Names label arms across processes
    /// (merge_evidence): keep them unique. Locks every shard; O(S).
    ArmId add_arm(std::string name = {}, std::uint32_t capacity = unlimited_capacity) {
        std::lock_guard registry(registry_mutex_);
        const auto locks = lock_all();
        std::lock_guard evidence(evidence_mutex_);
        if (next_id_ == std::numeric_limits<std::uint32_t>::max())
            throw invalid_argument("ShardedRouter::add_arm: arm ids exhausted");
        const ArmId id{next_id_};
        arms_.push_back({capacity, true, true});
        names_.push_back(std::move(name));
        load_.emplace_back();
        global_.push_back(prototype_);
        pending_.push_back(prototype_);
        live_.push_back(id);
        for (auto& sh : shards_) {
            sh->delta.push_back(prototype_);
            sh->excluded.reserve(live_.size());
            [[maybe_unused]] const ArmId got = sh->router.add_arm();
            AUGUR_ASSERT(got == id, "ShardedRouter::add_arm: replicas disagree on arm ids");
        }
        ++next_id_;
        return id;
    }

    /// Removes an arm everywhere; its in-flight requests and unshipped evidence are forgotten
    /// (a later observe of it: invalid_argument). Unknown arm: invalid_argument.
    void remove_arm(ArmId arm) {
        std::lock_guard registry(registry_mutex_);
        const std::size_t i = index("ShardedRouter::remove_arm", arm);
        const auto locks = lock_all();
        std::lock_guard evidence(evidence_mutex_);
        for (auto& sh : shards_) {
            sh->router.remove_arm(arm);
            sh->delta[i].reset();
        }
        arms_[i].live = false;
        load_[i].in_flight.store(0, std::memory_order_relaxed);
        pending_[i].reset();
        global_[i].reset();
        live_.erase(std::find(live_.begin(), live_.end(), arm));
    }

    /// Marks an arm up or down everywhere; once this returns no choose() returns a down arm.
    void set_available(ArmId arm, bool available) {
        std::lock_guard registry(registry_mutex_);
        const std::size_t i = index("ShardedRouter::set_available", arm);
        const auto locks = lock_all();
        arms_[i].available = available;
        for (auto& sh : shards_)
            sh->router.set_available(arm, available);
    }

    /// Sets the global concurrency limit (0 = unlimited); in-flight requests above it stay.
    void set_capacity(ArmId arm, std::uint32_t capacity) {
        std::lock_guard registry(registry_mutex_);
        const std::size_t i = index("ShardedRouter::set_capacity", arm);
        const auto locks = lock_all();
        arms_[i].capacity = capacity;
    }

    bool contains(ArmId arm) const {
        std::lock_guard registry(registry_mutex_);
        return live(arm);
    }
    /// Number of arms.
    std::size_t size() const {
        std::lock_guard registry(registry_mutex_);
        return live_.size();
    }
    /// The arms, by increasing id.
    std::vector<ArmId> arms() const {
        std::lock_guard registry(registry_mutex_);
        return live_;
    }
    /// The first arm (lowest id) with this name.
    std::optional<ArmId> find(std::string_view name) const {
        std::lock_guard registry(registry_mutex_);
        return find_locked(name);
    }
    std::string name(ArmId arm) const {
        std::lock_guard registry(registry_mutex_);
        return names_[index("ShardedRouter::name", arm)];
    }
    bool available(ArmId arm) const {
        std::lock_guard registry(registry_mutex_);
        return arms_[index("ShardedRouter::available", arm)].available;
    }
    std::uint32_t capacity(ArmId arm) const {
        std::lock_guard registry(registry_mutex_);
        return arms_[index("ShardedRouter::capacity", arm)].capacity;
    }
    /// Requests chosen for this arm (on any shard) and not yet observed or released.
    std::uint32_t in_flight(ArmId arm) const {
        std::lock_guard registry(registry_mutex_);
        return load_[index("ShardedRouter::in_flight", arm)].in_flight.load(
            std::memory_order_relaxed);
    }
    /// In-flight requests over all arms. O(K).
    std::uint64_t total_in_flight() const {
        std::lock_guard registry(registry_mutex_);
        std::uint64_t total = 0;
        for (ArmId a : live_)
            total += load_[to_index(a)].in_flight.load(std::memory_order_relaxed);
        return total;
    }

    // ---- decisions -----------------------------------------------------------------------

    /// Chooses an arm that is up and below its global capacity on the calling thread's shard
    /// and takes one of its in-flight slots; nullopt when no arm is eligible. O(K), no
    /// allocation.
    std::optional<ArmId> choose() {
        std::unique_lock<std::mutex> lock;
        return choose_locked(lock_home(lock));
    }
    /// choose() on shard `shard` (< shards(), else invalid_argument).
    std::optional<ArmId> choose_on(std::size_t shard) {
        Shard& sh = shard_at("ShardedRouter::choose_on", shard);
        std::lock_guard lock(sh.mutex);
        return choose_locked(sh);
    }

    /// Learns the outcome of a request sent to `arm` (on the calling thread's shard) and frees
    /// its in-flight slot. Unknown arm: invalid_argument; a bad outcome: data_error; on error
    /// nothing changes. O(1) (O(K) when the shard syncs), no allocation.
    void observe(ArmId arm, const input_type& outcome) {
        std::unique_lock<std::mutex> lock;
        learn_locked(lock_home(lock), arm, outcome, true);
    }
    /// observe() on shard `shard` (< shards(), else invalid_argument).
    void observe_on(std::size_t shard, ArmId arm, const input_type& outcome) {
        Shard& sh = shard_at("ShardedRouter::observe_on", shard);
        std::lock_guard lock(sh.mutex);
        learn_locked(sh, arm, outcome, true);
    }
    /// Learns an outcome without touching in-flight slots (replayed logs).
    void record(ArmId arm, const input_type& outcome) {
        std::unique_lock<std::mutex> lock;
        learn_locked(lock_home(lock), arm, outcome, false);
    }
    /// Frees one in-flight slot of `arm` without learning. Unknown arm: invalid_argument.
    void release(ArmId arm) {
        std::unique_lock<std::mutex> lock;
        Shard& sh = lock_home(lock);
        if (!sh.router.contains(arm)) throw_unknown_arm("ShardedRouter::release", arm);
        release_slot(to_index(arm));
    }

    /// Eligible arms (up, below capacity) best first by one score each, drawn on the calling
    /// thread's shard; takes no slot. O(K log K).
    std::vector<ArmId> rank() {
        std::unique_lock<std::mutex> lock;
        Shard& sh = lock_home(lock);
        refresh_view(sh);
        std::vector<ArmId> ids = sh.router.rank();
        std::erase_if(ids, [this](ArmId a) { return !eligible(to_index(a)); });
        return ids;
    }

    /// Posterior probability that each arm has the highest expected reward, from the global
    /// posteriors after a sync(), by `draws` Monte Carlo rounds (own generator). O(draws K).
    std::vector<std::pair<ArmId, double>> probability_best(std::size_t draws = 10000) {
        if (draws == 0)
            throw_invalid_config("ShardedRouter::probability_best", "draws", draws, "must be > 0");
        sync();
        std::lock_guard evidence(evidence_mutex_);
        const std::vector<double> shares =
            detail::routing::best_shares(live_.size(), draws, [&](std::size_t k) {
                return global_[to_index(live_[k])].sample(side_rng_);
            });
        std::vector<std::pair<ArmId, double>> out;
        out.reserve(live_.size());
        for (std::size_t k = 0; k < live_.size(); ++k)
            out.emplace_back(live_[k], shares[k]);
        return out;
    }

    // ---- evidence ------------------------------------------------------------------------

    /// Adds every shard's unsynced evidence to the global posteriors. O(S K).
    void sync() {
        for (auto& sh : shards_) {
            std::lock_guard lock(sh->mutex);
            push(*sh);
        }
    }

    /// The arm's posterior from all evidence (every shard synced first, and what
    /// merge_evidence added). Unknown arm: invalid_argument.
    posterior_type posterior(ArmId arm) {
        std::lock_guard registry(registry_mutex_);
        const std::size_t i = index("ShardedRouter::posterior", arm);
        sync();
        std::lock_guard evidence(evidence_mutex_);
        return global_[i];
    }

    /// The evidence learnt here (all shards) since the last take_delta(), per arm, and forgets
    /// it (evidence merged from other processes is never included). O(S K).
    std::vector<evidence_type> take_delta() {
        std::lock_guard registry(registry_mutex_);
        sync();
        std::lock_guard evidence(evidence_mutex_);
        std::vector<evidence_type> out;
        out.reserve(live_.size());
        for (ArmId a : live_)
            out.push_back({a, names_[to_index(a)], pending_[to_index(a)]});
        for (ArmId a : live_)
            pending_[to_index(a)].reset();
        return out;
    }

    /// Adds another process's delta (from its take_delta) to the global posteriors; arms are
    /// matched by name (the first arm with it). An unknown name throws invalid_argument naming
    /// it; a delta with another prior throws from the posterior's merge (invalid_argument); on
    /// error nothing changes. Shards see the result at their next choose. O(K) per entry.
    void merge_evidence(std::span<const evidence_type> evidence) {
        std::lock_guard registry(registry_mutex_);
        std::vector<std::size_t> target;
        target.reserve(evidence.size());
        for (const auto& e : evidence) {
            const auto arm = find_locked(e.name);
            if (!arm)
                throw invalid_argument(detail::join_text(
                    {"ShardedRouter::merge_evidence: unknown arm '", e.name, "'"}));
            target.push_back(to_index(*arm));
        }
        std::lock_guard lock(evidence_mutex_);
        std::vector<std::pair<std::size_t, posterior_type>> merged;
        for (std::size_t k = 0; k < evidence.size(); ++k) {
            auto it = std::find_if(merged.begin(), merged.end(),
                                   [&](const auto& m) { return m.first == target[k]; });
            if (it == merged.end()) {
                merged.emplace_back(target[k], global_[target[k]]);
                it = merged.end() - 1;
            }
            it->second.merge(evidence[k].delta);
        }
        if (merged.empty()) return;
        for (auto& m : merged)
            global_[m.first] = std::move(m.second);
        version_.store(version_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }

    /// Writes deltas as an archive "augur.ArmEvidence" (core/archive.hpp): the posterior's
    /// tag, then per arm its id, name and delta posterior. Throws augur::error if the stream
    /// fails.
    static void save_evidence(std::ostream& out, std::span<const evidence_type> evidence) {
        write_archive(out, evidence_archive_tag, evidence_format_version, [&](ArchiveWriter& w) {
            w(detail::routing::posterior_tag<posterior_type>(),
              static_cast<std::uint64_t>(evidence.size()));
            for (const auto& e : evidence) {
                w(to_index(e.arm), e.name);
                detail::routing::write_nested(w, e.delta);
            }
        });
    }

    /// Reads what save_evidence wrote (deltas of this router's posterior type, read against
    /// `prototype`'s configuration); data_error on anything malformed or another posterior type.
    static std::vector<evidence_type> load_evidence(std::istream& in,
                                                    const posterior_type& prototype = {}) {
        return read_archive(
            in, evidence_archive_tag, evidence_format_version, [&](ArchiveReader& r) {
                const auto tag = r.read<std::string>();
                r.require(tag == detail::routing::posterior_tag<posterior_type>(),
                          "the evidence holds posteriors '" + tag + "', this router's are '" +
                              detail::routing::posterior_tag<posterior_type>() + "'");
                const auto n = r.read_size(1);
                std::vector<evidence_type> out;
                out.reserve(n);
                for (std::size_t k = 0; k < n; ++k) {
                    evidence_type e{ArmId{r.read<std::uint32_t>()}, r.read<std::string>(),
                                    prototype};
                    detail::routing::read_nested(r, e.delta);
                    out.push_back(std::move(e));
                }
                return out;
            });
    }

    // ---- state ---------------------------------------------------------------------------

    /// Decisions made so far (all shards).
    std::uint64_t decisions() const noexcept { return sum(&Shard::decisions); }
    /// Observations learnt here so far (all shards; not those merged from other processes).
    std::uint64_t observations() const noexcept { return sum(&Shard::observations); }
    /// Number of shards.
    std::size_t shards() const noexcept { return shards_.size(); }
    /// The configuration, with `shards` resolved.
    const ShardedConfig& config() const noexcept { return config_; }
    /// Runs fn(const R&) on shard `shard`'s replica under its lock and returns the result
    /// (inspection: its view of the posteriors; its own in-flight slots are always 0). `fn`
    /// must not call this ShardedRouter.
    template <class Fn>
    decltype(auto) with_replica(std::size_t shard, Fn&& fn) {
        Shard& sh = shard_at("ShardedRouter::with_replica", shard);
        std::lock_guard lock(sh.mutex);
        return std::forward<Fn>(fn)(std::as_const(sh.router));
    }
    const posterior_type& prototype() const noexcept { return prototype_; }

private:
    // Per-arm registry entry. Written only under the registry mutex and every shard's mutex;
    // read under any one of them, so plain fields are race-free.
    struct ArmState {
        std::uint32_t capacity;
        bool available;
        bool live;
    };

    // The global in-flight count of one arm, on its own cache line. Copied only when the
    // registry grows (every shard locked).
    struct alignas(64) SlotCount {
        std::atomic<std::uint32_t> in_flight{0};
        SlotCount() = default;
        SlotCount(const SlotCount& other) noexcept
            : in_flight(other.in_flight.load(std::memory_order_relaxed)) {}
    };

    struct alignas(64) Shard {
        Shard(const RouterConfig& c, const posterior_type& prototype, forgetting_type f,
              reward_type r, selection_type s)
            : router(c, prototype, std::move(f), std::move(r), std::move(s)) {}
        std::mutex mutex;
        R router;
        std::vector<posterior_type> delta;          // by arm id: evidence since the last push
        std::vector<ArmId> excluded;                // arms the current choose lost a race for
        std::uint64_t since_push = 0;               // observations since the last push
        std::uint64_t seen_version = 0;             // version_ of the global posteriors in the view
        std::atomic<std::uint64_t> decisions{0};    // written under the mutex, read anywhere
        std::atomic<std::uint64_t> observations{0}; // likewise
    };

    [[noreturn]] AUGUR_ROUTING_NOINLINE static void throw_unknown_arm(const char* where,
                                                                      ArmId arm) {
        throw invalid_argument(std::string(where) + ": unknown arm " +
                               std::to_string(to_index(arm)));
    }

    static void bump(std::atomic<std::uint64_t>& counter) noexcept {
        counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }

    std::uint64_t sum(std::atomic<std::uint64_t> Shard::*counter) const noexcept {
        std::uint64_t total = 0;
        for (const auto& sh : shards_)
            total += ((*sh).*counter).load(std::memory_order_relaxed);
        return total;
    }

    // Caller holds the registry mutex or a shard's mutex.
    bool live(ArmId arm) const noexcept {
        return to_index(arm) < arms_.size() && arms_[to_index(arm)].live;
    }
    std::size_t index(const char* where, ArmId arm) const {
        if (!live(arm)) [[unlikely]]
            throw_unknown_arm(where, arm);
        return to_index(arm);
    }
    std::optional<ArmId> find_locked(std::string_view name) const {
        for (ArmId a : live_)
            if (names_[to_index(a)] == name) return a;
        return std::nullopt;
    }

    Shard& shard_at(const char* where, std::size_t shard) {
        if (shard >= shards_.size())
            throw_invalid_config(where, "shard", shard, "must be < shards()");
        return *shards_[shard];
    }

    std::vector<std::unique_lock<std::mutex>> lock_all() {
        std::vector<std::unique_lock<std::mutex>> locks;
        locks.reserve(shards_.size());
        for (auto& sh : shards_)
            locks.emplace_back(sh->mutex);
        return locks;
    }

    // Locks the calling thread's shard, or the next free one when it is busy (and makes that
    // the thread's shard); blocks on the thread's shard when all are busy.
    Shard& lock_home(std::unique_lock<std::mutex>& lock) {
        std::size_t& hint = detail::routing::sharded_thread_hint();
        const std::size_t n = shards_.size();
        const std::size_t home = hint % n;
        std::size_t s = home;
        for (std::size_t k = 0; k < n; ++k) {
            lock = std::unique_lock<std::mutex>(shards_[s]->mutex, std::try_to_lock);
            if (lock.owns_lock()) {
                if (k > 0) hint = s;
                return *shards_[s];
            }
            s = s + 1 == n ? 0 : s + 1;
        }
        lock = std::unique_lock<std::mutex>(shards_[home]->mutex);
        return *shards_[home];
    }

    // The caller holds a shard's mutex in the following members.

    bool eligible(std::size_t i) const noexcept {
        const ArmState& a = arms_[i];
        return a.available && (a.capacity == unlimited_capacity ||
                               load_[i].in_flight.load(std::memory_order_relaxed) < a.capacity);
    }

    bool try_acquire(std::size_t i) noexcept {
        auto& count = load_[i].in_flight;
        const std::uint32_t capacity = arms_[i].capacity;
        if (capacity == unlimited_capacity) {
            count.fetch_add(1, std::memory_order_acq_rel);
            return true;
        }
        std::uint32_t current = count.load(std::memory_order_relaxed);
        do {
            if (current >= capacity) return false;
        } while (!count.compare_exchange_weak(current, current + 1, std::memory_order_acq_rel,
                                              std::memory_order_relaxed));
        return true;
    }

    void release_slot(std::size_t i) noexcept {
        auto& count = load_[i].in_flight;
        std::uint32_t current = count.load(std::memory_order_relaxed);
        while (current > 0 &&
               !count.compare_exchange_weak(current, current - 1, std::memory_order_release,
                                            std::memory_order_relaxed)) {
        }
    }

    std::optional<ArmId> choose_locked(Shard& sh) {
        refresh_view(sh);
        sh.excluded.clear();
        const auto gate = [this, &sh](ArmId a) noexcept {
            const std::size_t i = to_index(a);
            if (!eligible(i)) return false;
            return sh.excluded.empty() ||
                   std::find(sh.excluded.begin(), sh.excluded.end(), a) == sh.excluded.end();
        };
        // Each lost race excludes one more arm, so this ends after at most K + 1 rounds.
        for (;;) {
            const std::optional<ArmId> arm = sh.router.choose_if(gate);
            if (!arm) return std::nullopt;
            sh.router.release(*arm); // the replica's own slots are unused
            if (try_acquire(to_index(*arm))) {
                bump(sh.decisions);
                return arm;
            }
            sh.excluded.push_back(*arm); // capacity reserved by add_arm: no allocation
        }
    }

    void learn_locked(Shard& sh, ArmId arm, const input_type& outcome, bool release) {
        if (!sh.router.contains(arm)) [[unlikely]]
            throw_unknown_arm("ShardedRouter::observe", arm);
        const std::size_t i = to_index(arm);
        const double reward = static_cast<double>(sh.router.reward()(outcome));
        posterior_type& delta = sh.delta[i];
        delta.check(reward);
        sh.router.record(arm, outcome); // validated above: cannot throw now
        delta.update(reward, 1.0);
        if (release) release_slot(i);
        bump(sh.observations);
        if (++sh.since_push >= config_.sync_every) push(sh);
    }

    // Adds the shard's deltas to the global posteriors and copies those into its replica.
    void push(Shard& sh) {
        std::lock_guard evidence(evidence_mutex_);
        bool changed = false;
        for (ArmId a : live_) {
            const std::size_t i = to_index(a);
            posterior_type& delta = sh.delta[i];
            if (delta.count() > 0.0) {
                global_[i].merge(delta);
                pending_[i].merge(delta);
                delta.reset();
                changed = true;
            }
            sh.router.set_posterior(a, global_[i]);
        }
        sh.since_push = 0;
        std::uint64_t version = version_.load(std::memory_order_relaxed);
        if (changed) version_.store(++version, std::memory_order_release);
        sh.seen_version = version;
    }

    // After another shard pushed (or merge_evidence): view = global posteriors + own delta.
    void refresh_view(Shard& sh) {
        if (version_.load(std::memory_order_acquire) == sh.seen_version) [[likely]]
            return;
        std::lock_guard evidence(evidence_mutex_);
        for (ArmId a : live_) {
            const std::size_t i = to_index(a);
            posterior_type view = global_[i];
            if (sh.delta[i].count() > 0.0) view.merge(sh.delta[i]);
            sh.router.set_posterior(a, std::move(view));
        }
        sh.seen_version = version_.load(std::memory_order_relaxed);
    }

    // Lock order: registry_mutex_, then shard mutexes in index order, then evidence_mutex_.
    ShardedConfig config_;
    posterior_type prototype_;
    std::vector<std::unique_ptr<Shard>> shards_;
    mutable std::mutex registry_mutex_;
    std::vector<ArmState> arms_;     // by arm id (see ArmState)
    std::vector<std::string> names_; // by arm id; like ArmState
    std::vector<SlotCount> load_;    // by arm id; grows like ArmState, counts are atomic
    std::vector<ArmId> live_;        // live arms by increasing id; like ArmState, and also
                                     // written under evidence_mutex_
    std::uint32_t next_id_ = 0;      // registry mutex
    std::mutex evidence_mutex_;
    std::vector<posterior_type> global_;  // by arm id: all evidence pushed or merged
    std::vector<posterior_type> pending_; // by arm id: evidence pushed since take_delta
    Rng side_rng_;                        // probability_best draws
    alignas(64) std::atomic<std::uint64_t> version_{0}; // bumped when global_ changes
};

static_assert(RouterFrontEnd<ShardedRouter<>>);

} // namespace v0
} // namespace augur
