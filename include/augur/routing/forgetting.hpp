#pragma once

// Forgetting policies: how a router lets old evidence go, so it follows an arm whose quality
// changes. The policy applies every observation to the arms' posteriors:
//   NoForgetting      keeps all evidence (stationary rewards).
//   Discounted        every observation first multiplies all arms' evidence by gamma in (0, 1]
//                     (discounted Thompson sampling, Raj & Kalyani 2017); evidence older than
//                     about 1 / (1 - gamma) observations fades. O(K) per observation.
//   SlidingWindow     keeps only the last `window` observations across all arms (the oldest is
//                     removed from its arm's posterior when a new one arrives); an arm not
//                     pulled for `window` observations returns to its prior. O(1).
//   ChangeDetecting   (change_detecting.hpp) resets evidence when augur's change detection
//                     sees an arm's reward stream shift.
//
// Contract of a forgetting policy F for posterior P:
//   observe(std::span<P> arms, std::size_t arm, const Observation&)  learn one observation
//   arm_added(std::size_t index)                 a new arm was appended at `index`
//   arm_removed(std::size_t index, std::size_t last)   the arm at `index` is gone and the arm
//                                                at `last` moved into `index` (swap-and-pop)
//   reset()                                      forget the policy's own state
//   optionally, state a router saves with its arms (Router::save / load): the fields of the
//   policy's state through augur/core/archive.hpp, either save_fields(ArchiveWriter&) const /
//   load_fields(ArchiveReader&) or a symmetric template <class A> void archive(A&) member
//   (FieldArchivable); load_fields reads into a policy constructed with this router's
//   configuration and throws data_error when the saved state does not fit it;
//   optionally valid_for(std::size_t arms) const: false when loaded state refers to an arm
//   index >= arms (the router then rejects the archive).
// A policy without saved state is reset when a router loads (NoForgetting and Discounted have
// none; SlidingWindow and ChangeDetecting save theirs).
// The router validates an observation (posterior.check) before calling observe.
// Thread-safety: not synchronized (owned by one router).

#include "augur/core/archive.hpp"
#include "augur/core/error.hpp"
#include "augur/routing/posterior.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace augur {
inline namespace v0 {

/// One learnt observation: the reward, its weight, and the context (empty when the posterior
/// is not contextual).
struct Observation {
    double reward = 0.0;
    double weight = 1.0;
    std::span<const double> context{};
};

/// A forgetting policy for posterior P (see the file comment).
template <class F, class P>
concept ForgettingPolicy = requires(F& f, std::span<P> arms, std::size_t i, const Observation& o) {
    f.observe(arms, i, o);
    f.arm_added(i);
    f.arm_removed(i, i);
    f.reset();
};

namespace detail::routing {

template <class P>
void check_observation(const P& p, const Observation& o) {
    if constexpr (ContextualPosterior<P>)
        p.check(o.context, o.reward);
    else
        p.check(o.reward);
}

template <class P>
void learn(P& p, const Observation& o) {
    if constexpr (ContextualPosterior<P>)
        p.update(o.context, o.reward, o.weight);
    else
        p.update(o.reward, o.weight);
}

template <class P>
void unlearn(P& p, const Observation& o) {
    if constexpr (ContextualPosterior<P>)
        p.remove(o.context, o.reward, o.weight);
    else
        p.remove(o.reward, o.weight);
}

} // namespace detail::routing

/// Keeps all evidence.
struct NoForgetting {
    static constexpr const char* name = "none";
    template <class P>
    void observe(std::span<P> arms, std::size_t arm, const Observation& o) {
        detail::routing::learn(arms[arm], o);
    }
    void arm_added(std::size_t) noexcept {}
    void arm_removed(std::size_t, std::size_t) noexcept {}
    void reset() noexcept {}
};

/// Multiplies every arm's evidence by gamma before each observation is learnt.
/// @code
///   augur::Router<augur::BetaBernoulli, augur::Discounted> router({}, {},
///   augur::Discounted{0.999});
/// @endcode
class Discounted {
public:
    static constexpr const char* name = "discounted";
    /// gamma in (0, 1] (invalid_argument); 1 keeps everything.
    explicit Discounted(double gamma = 0.999) : gamma_(gamma) {
        if (!(gamma > 0.0 && gamma <= 1.0))
            throw_invalid_config("Discounted", "gamma", gamma, "must be in (0, 1]");
    }
    template <class P>
    void observe(std::span<P> arms, std::size_t arm, const Observation& o) {
        if (gamma_ < 1.0)
            for (auto& p : arms)
                p.decay(gamma_);
        detail::routing::learn(arms[arm], o);
    }
    void arm_added(std::size_t) noexcept {}
    void arm_removed(std::size_t, std::size_t) noexcept {}
    void reset() noexcept {}
    double gamma() const noexcept { return gamma_; }

private:
    double gamma_;
};

/// Keeps the last `window` observations across all arms. Memory: window x (24 bytes + 8 bytes
/// per context value), allocated when the first observation arrives.
class SlidingWindow {
public:
    static constexpr const char* name = "sliding";
    /// window >= 1 (invalid_argument).
    explicit SlidingWindow(std::size_t window = 1000) : window_(window) {
        if (window == 0 || window > (std::size_t{1} << 32))
            throw_invalid_config("SlidingWindow", "window", window, "must be in [1, 2^32]");
    }

    template <class P>
    void observe(std::span<P> arms, std::size_t arm, const Observation& o) {
        if (entries_.empty()) entries_.resize(window_);
        if (!o.context.empty()) {
            if (dimension_ == 0) {
                dimension_ = o.context.size();
                contexts_.assign(window_ * dimension_, 0.0);
            }
            AUGUR_ASSERT(o.context.size() == dimension_, "SlidingWindow: context size changed");
        }
        Entry& slot = entries_[next_];
        if (size_ == window_) {
            if (slot.arm != dead) detail::routing::unlearn(arms[slot.arm], stored(slot, next_));
        } else {
            ++size_;
        }
        detail::routing::learn(arms[arm], o);
        slot = {static_cast<std::uint32_t>(arm), o.reward, o.weight};
        if (dimension_ > 0)
            std::copy(o.context.begin(), o.context.end(),
                      contexts_.begin() + static_cast<std::ptrdiff_t>(next_ * dimension_));
        next_ = next_ + 1 == window_ ? 0 : next_ + 1;
    }

    void arm_added(std::size_t) noexcept {}

    void arm_removed(std::size_t index, std::size_t last) noexcept {
        for (auto& e : entries_) {
            if (e.arm == index)
                e.arm = dead;
            else if (e.arm == last)
                e.arm = static_cast<std::uint32_t>(index);
        }
    }

    void reset() noexcept {
        size_ = 0;
        next_ = 0;
    }

    std::size_t window() const noexcept { return window_; }
    /// Observations currently in the window.
    std::size_t size() const noexcept { return size_; }

    /// The window's state: its size, then (when not empty) every slot's arm, reward, weight
    /// and context.
    void save_fields(ArchiveWriter& w) const {
        w(static_cast<std::uint64_t>(window_), static_cast<std::uint64_t>(size_),
          static_cast<std::uint64_t>(next_), static_cast<std::uint64_t>(dimension_));
        if (size_ == 0) return;
        for (const Entry& e : entries_)
            w(e.arm, e.reward, e.weight);
        w(contexts_);
    }

    /// Reads save_fields' state; data_error (nothing changed) when the saved window differs
    /// from this policy's or the state is malformed.
    void load_fields(ArchiveReader& r) {
        const auto window = r.read<std::uint64_t>();
        r.require(window == window_, "saved window " + std::to_string(window) +
                                         " differs from this router's " + std::to_string(window_));
        const auto size = r.read<std::uint64_t>();
        const auto next = r.read<std::uint64_t>();
        const auto dimension = r.read<std::uint64_t>();
        r.require(size <= window_ && next < window_ && dimension <= 4096 &&
                      (size == window_ || next == size),
                  "bad window state");
        SlidingWindow loaded(window_);
        if (size > 0) {
            loaded.dimension_ = static_cast<std::size_t>(dimension);
            r.require(window_ <= r.remaining() / 20, "the window is longer than the data left");
            loaded.entries_.resize(window_);
            for (Entry& e : loaded.entries_) {
                r(e.arm, e.reward, e.weight);
                r.require(std::isfinite(e.reward) && e.weight > 0.0 && std::isfinite(e.weight),
                          "bad window entry");
            }
            r(loaded.contexts_);
            r.require(loaded.contexts_.size() == window_ * loaded.dimension_,
                      "the saved contexts do not fit the window");
            loaded.size_ = static_cast<std::size_t>(size);
            loaded.next_ = static_cast<std::size_t>(next);
        }
        *this = std::move(loaded);
    }

    /// False when a stored observation names an arm index >= arms (a malformed archive).
    bool valid_for(std::size_t arms) const noexcept {
        return std::all_of(entries_.begin(), entries_.end(),
                           [&](const Entry& e) { return e.arm == dead || e.arm < arms; });
    }

private:
    static constexpr std::uint32_t dead = std::numeric_limits<std::uint32_t>::max();
    struct Entry {
        std::uint32_t arm = dead;
        double reward = 0.0;
        double weight = 1.0;
    };

    Observation stored(const Entry& e, std::size_t k) const noexcept {
        Observation o{e.reward, e.weight, {}};
        if (dimension_ > 0) o.context = {contexts_.data() + k * dimension_, dimension_};
        return o;
    }

    std::size_t window_;
    std::vector<Entry> entries_;
    std::vector<double> contexts_;
    std::size_t dimension_ = 0;
    std::size_t size_ = 0;
    std::size_t next_ = 0;
};

static_assert(ForgettingPolicy<NoForgetting, BetaBernoulli>);
static_assert(ForgettingPolicy<Discounted, NormalGamma>);
static_assert(ForgettingPolicy<SlidingWindow, BetaBernoulli>);

} // namespace v0
} // namespace augur
