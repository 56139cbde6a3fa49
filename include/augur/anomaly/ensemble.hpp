#pragma once

// Ensemble: several streaming detectors on the same samples, their Detections combined by a
// Combine policy into one Detection (itself a StreamingDetector, so ensembles nest).
//
// Spelling: the Combine policy comes first (a parameter pack must come last), and class
// template argument deduction supplies the default, MeanScore:
//     augur::Ensemble both{augur::LevelShiftDetector{}, augur::TrendDetector{}};   // MeanScore
//     augur::Ensemble vote{augur::Vote{2}, detector_a, detector_b, detector_c};
//     augur::Ensemble<augur::MaxScore, A, B> named{augur::MaxScore{}, A{}, B{}};
// make_ensemble(...) does the same for code that prefers a function.
//
// Members that are still learning (for a series) are left out of the combination; the
// ensemble is learning while every member is. The combined Detection takes shape, direction,
// expected and deviation from the highest-scoring member that is not learning (the first one
// on ties).
//
// Policies (concept EnsembleCombine):
//   MeanScore{threshold}  score = mean of the members' scores; threshold = the given one, or
//                         (NaN, the default) the mean of the members' thresholds.
//   MaxScore{}            score, threshold and flag of the highest-scoring member.
//   MeanRank{history, min_history, threshold}
//                         each member's score is ranked within that member's last `history`
//                         scores of the series (mid-rank: (#below + #equal / 2) / n, in
//                         [0, 1]); score = the mean rank of the members with at least
//                         min_history past scores (learning while there are none);
//                         anomaly when score >= threshold (default 0.95).
//   Vote{k}               anomaly when at least k members flag; score = the k-th highest
//                         member score, threshold = the lowest member threshold.
//
// observe costs the members' observe plus O(n) (MeanRank: O(n * history)); it allocates only
// when a new series appears.
// Memory per series (series_bytes()): the members' plus the Combine state's: none for
// MeanScore, MaxScore and Vote; MeanRank 72 bytes + (8 * history + 8) per member, allocated
// when the series starts (measured: 3 288 bytes for two members with history 200, so
// MeanRank over EwmaZScore and LevelShiftDetector is 3 456 bytes per series).
// Saved and loaded (save / load, augur/core/archive.hpp) when the Combine policy has an
// archive_name and an archive(ar) member and every member detector has save / load: the type
// tag is "augur.Ensemble<policy,n>"; the payload holds the policy, each member's own archive
// (checked against its own type on load) and the per-series Combine states, so a loaded
// ensemble continues exactly.
// Thread-safety: not synchronized; const members may be called concurrently.

#include "augur/anomaly/detector.hpp"
#include "augur/core/archive.hpp"
#include "augur/core/error.hpp"
#include "augur/core/sample.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <limits>
#include <ostream>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {

/// What a Combine policy makes of the members' Detections.
struct CombinedScore {
    double score = 0.0;
    double threshold = 1.0;
    bool is_anomaly = false;
    /// The policy itself is not ready (e.g. MeanRank without enough history).
    bool learning = false;
};

/// A policy combining the members' Detections of one sample. It provides a per-series
/// `State` type, `make_state(n)` (the initial state of a series for n members) and
/// `combine(members, state)` returning a CombinedScore. `members` holds every member's
/// Detection in order; members with `learning` set must be left out (at least one is not
/// learning). An optional `validate(n)` is called by the Ensemble's constructor and throws
/// invalid_argument for a configuration that does not fit n members.
template <class C>
concept EnsembleCombine = std::copy_constructible<C> &&
    requires(const C& c, typename C::State& state, std::span<const Detection> members,
             std::size_t n) {
    { c.make_state(n) } -> std::same_as<typename C::State>;
    { c.combine(members, state) } -> std::same_as<CombinedScore>;
};

/// Mean of the members' scores against the mean of their thresholds (or a fixed threshold).
struct MeanScore {
    static constexpr std::string_view archive_name = "mean_score";

    /// A fixed score threshold in [0, 1], or NaN: the mean of the members' thresholds.
    double threshold = std::numeric_limits<double>::quiet_NaN();

    template <class Archive>
    void archive(Archive& ar) {
        ar(threshold);
    }

    struct State {};
    State make_state(std::size_t) const noexcept { return {}; }
    void validate(std::size_t) const {
        if (!std::isnan(threshold) && !(threshold >= 0.0 && threshold <= 1.0))
            throw_invalid_config("MeanScore", "threshold", threshold, "must be NaN or in [0, 1]");
    }
    CombinedScore combine(std::span<const Detection> members, State&) const noexcept {
        double score = 0.0;
        double member_threshold = 0.0;
        std::size_t ready = 0;
        for (const Detection& d : members) {
            if (d.learning) continue;
            score += d.score;
            member_threshold += d.threshold;
            ++ready;
        }
        CombinedScore out;
        if (ready == 0) {
            out.learning = true;
            return out;
        }
        out.score = score / static_cast<double>(ready);
        out.threshold =
            std::isnan(threshold) ? member_threshold / static_cast<double>(ready) : threshold;
        out.is_anomaly = out.score >= out.threshold;
        return out;
    }
};

/// The highest-scoring member decides: its score, threshold and flag.
struct MaxScore {
    static constexpr std::string_view archive_name = "max_score";

    template <class Archive>
    void archive(Archive&) {}

    struct State {};
    State make_state(std::size_t) const noexcept { return {}; }
    CombinedScore combine(std::span<const Detection> members, State&) const noexcept {
        const Detection* best = nullptr;
        for (const Detection& d : members)
            if (!d.learning && (!best || d.score > best->score)) best = &d;
        CombinedScore out;
        if (!best) {
            out.learning = true;
            return out;
        }
        out.score = best->score;
        out.threshold = best->threshold;
        out.is_anomaly = best->is_anomaly;
        return out;
    }
};

/// k-of-n voting: anomaly when at least k members flag the sample. The score is the k-th
/// highest member score (Vote{1}: the highest; Vote{n}: the lowest), the strength of the
/// weakest of the k strongest votes, and the threshold is the lowest member threshold, so an
/// anomaly's score is always at or above its threshold. Learning members count as score 0.
struct Vote {
    static constexpr std::string_view archive_name = "vote";

    /// Votes needed; 1 <= k <= number of members.
    std::size_t k = 1;

    template <class Archive>
    void archive(Archive& ar) {
        ar(k);
    }

    struct State {};
    State make_state(std::size_t) const noexcept { return {}; }
    void validate(std::size_t members) const {
        if (k < 1 || k > members)
            throw_invalid_config("Vote", "k", k, "must be in [1, number of members]");
    }
    CombinedScore combine(std::span<const Detection> members, State&) const noexcept {
        std::size_t votes = 0;
        CombinedScore out;
        out.threshold = 1.0;
        for (const Detection& d : members) {
            if (d.learning) continue;
            votes += d.is_anomaly;
            out.threshold = std::min(out.threshold, d.threshold);
        }
        // The k-th highest score: the one with fewer than k strictly higher and at least k
        // higher-or-equal. O(n^2) on a handful of members, no storage.
        auto score_of = [](const Detection& d) { return d.learning ? 0.0 : d.score; };
        for (const Detection& d : members) {
            std::size_t higher = 0;
            std::size_t at_least = 0;
            for (const Detection& e : members) {
                higher += score_of(e) > score_of(d);
                at_least += score_of(e) >= score_of(d);
            }
            if (higher < k && at_least >= k) {
                out.score = score_of(d);
                break;
            }
        }
        out.is_anomaly = votes >= k;
        return out;
    }
};

/// Mean of the members' score ranks within their own recent history (per series).
struct MeanRank {
    /// Past scores kept per member and series; >= 2.
    std::size_t history = 200;
    /// Past scores a member needs before its rank counts; in [1, history].
    std::size_t min_history = 20;
    /// Mean rank from which a sample is an anomaly; in (0, 1].
    double threshold = 0.95;

    static constexpr std::string_view archive_name = "mean_rank";

    template <class Archive>
    void archive(Archive& ar) {
        ar(history, min_history, threshold);
    }

    /// Per series: each member's last `history` scores (a ring per member).
    struct State {
        std::vector<double> scores; // member m's ring at [m * history, (m + 1) * history)
        std::vector<std::uint32_t> size;
        std::vector<std::uint32_t> head;

        template <class Archive>
        void archive(Archive& ar) {
            ar(scores, size, head);
        }
    };

    /// Heap bytes a state owns.
    static std::size_t allocated_bytes(const State& s) noexcept {
        return s.scores.capacity() * sizeof(double) +
               (s.size.capacity() + s.head.capacity()) * sizeof(std::uint32_t);
    }
    /// Whether a loaded state fits this configuration and `members` members.
    bool loadable(const State& s, std::size_t members) const noexcept {
        if (s.scores.size() != members * history || s.size.size() != members ||
            s.head.size() != members)
            return false;
        for (std::size_t m = 0; m < members; ++m)
            if (s.size[m] > history ||
                (s.size[m] < history ? s.head[m] != s.size[m] : s.head[m] >= history))
                return false;
        return true;
    }

    State make_state(std::size_t members) const {
        return {std::vector<double>(members * history, 0.0), std::vector<std::uint32_t>(members, 0),
                std::vector<std::uint32_t>(members, 0)};
    }
    void validate(std::size_t) const {
        if (history < 2 || history > std::numeric_limits<std::uint32_t>::max())
            throw_invalid_config("MeanRank", "history", history, "must be >= 2");
        if (min_history < 1 || min_history > history)
            throw_invalid_config("MeanRank", "min_history", min_history, "must be in [1, history]");
        if (!(threshold > 0.0 && threshold <= 1.0))
            throw_invalid_config("MeanRank", "threshold", threshold, "must be in (0, 1]");
    }

    /// The mid-rank of `score` among a member's past scores, in [0, 1]. O(history).
    static double mid_rank(std::span<const double> past, double score) noexcept {
        std::size_t below = 0;
        std::size_t equal = 0;
        for (double h : past) {
            below += h < score;
            equal += h == score;
        }
        return (static_cast<double>(below) + 0.5 * static_cast<double>(equal)) /
               static_cast<double>(past.size());
    }

    CombinedScore combine(std::span<const Detection> members, State& state) const noexcept {
        double sum = 0.0;
        std::size_t ranked = 0;
        for (std::size_t m = 0; m < members.size(); ++m) {
            const Detection& d = members[m];
            if (d.learning) continue;
            double* ring = state.scores.data() + m * history;
            const std::uint32_t n = state.size[m];
            if (n >= min_history) {
                sum += mid_rank(std::span<const double>(ring, n), d.score);
                ++ranked;
            }
            // The ring's order does not matter for ranks: overwrite the oldest slot.
            ring[state.head[m]] = d.score;
            state.head[m] = static_cast<std::uint32_t>((state.head[m] + 1) % history);
            if (n < history) ++state.size[m];
        }
        CombinedScore out;
        out.threshold = threshold;
        if (ranked == 0) {
            out.learning = true;
            return out;
        }
        out.score = sum / static_cast<double>(ranked);
        out.is_anomaly = out.score >= threshold;
        return out;
    }
};

static_assert(EnsembleCombine<MeanScore>);
static_assert(EnsembleCombine<MaxScore>);
static_assert(EnsembleCombine<Vote>);
static_assert(EnsembleCombine<MeanRank>);

/// Several streaming detectors combined by a Combine policy (see the file comment for the
/// spelling and the policies).
/// @tparam Combine an EnsembleCombine policy.  @tparam Detectors StreamingDetectors (>= 1).
/// @code
///   augur::Ensemble detector{augur::Vote{1}, augur::LevelShiftDetector{},
///                            augur::TrendDetector{}};
///   augur::Detection d = detector.observe(sample);
///   auto& trend = detector.member<1>();   // the members stay reachable
/// @endcode
/// A detector that saves and loads itself (augur/core/archive.hpp convention).
template <class D>
concept SaveableDetector = requires(const D& d, std::ostream& out, std::istream& in) {
    d.save(out);
    { D::load(in) } -> std::same_as<D>;
};

/// A detector that reports the bytes of a series' state.
template <class D>
concept ReportsSeriesBytes = requires(const D& d, SeriesId series) {
    { d.series_bytes(series) } -> std::convertible_to<std::size_t>;
};

/// A Combine policy that can be saved: an archive_name and an archive(ar) member.
template <class C>
concept SaveableCombine = std::default_initializable<C> && requires(C& c, ArchiveWriter& w) {
    { C::archive_name } -> std::convertible_to<std::string_view>;
    c.archive(w);
};

template <EnsembleCombine Combine, StreamingDetector... Detectors>
class Ensemble {
    static_assert(sizeof...(Detectors) >= 1, "Ensemble: needs at least one detector");
    static constexpr bool saveable =
        SaveableCombine<Combine> && (SaveableDetector<Detectors> && ...);

public:
    static constexpr std::size_t member_count = sizeof...(Detectors);

    /// Validates the policy for the number of members (throws invalid_argument).
    explicit Ensemble(Combine combine, Detectors... detectors)
        : combine_(validated(std::move(combine))), members_(std::move(detectors)...),
          states_(combine_.make_state(member_count)) {}

    /// Members given, Combine default-constructed.
    explicit Ensemble(Detectors... detectors) requires std::default_initializable<Combine>
        : Ensemble(Combine{}, std::move(detectors)...) {}

    /// Everything default-constructed.
    Ensemble() requires(std::default_initializable<Combine> &&
                        (std::default_initializable<Detectors> && ...))
        : Ensemble(Combine{}, Detectors{}...) {}

    Detection observe(const Sample& sample) {
        std::array<Detection, member_count> detections;
        observe_members(sample, detections, std::index_sequence_for<Detectors...>{});
        typename Combine::State* state = &empty_state_;
        if constexpr (!std::is_empty_v<typename Combine::State>) state = &states_[sample.series];

        std::size_t best = member_count;
        bool all_learning = true;
        for (std::size_t i = 0; i < member_count; ++i) {
            if (detections[i].learning) continue;
            all_learning = false;
            if (best == member_count || detections[i].score > detections[best].score) best = i;
        }
        Detection out;
        if (all_learning) {
            out.threshold = detections[0].threshold;
            return out;
        }
        const CombinedScore combined =
            combine_.combine(std::span<const Detection>(detections), *state);
        out.score = combined.score;
        out.threshold = combined.threshold;
        out.learning = combined.learning;
        out.is_anomaly = combined.is_anomaly && !combined.learning;
        out.expected = detections[best].expected;
        out.deviation = detections[best].deviation;
        out.shape = detections[best].shape;
        out.direction = detections[best].direction;
        return out;
    }

    /// Resets every member and forgets every series' combination state.
    void reset() {
        std::apply([](auto&... member) { (member.reset(), ...); }, members_);
        states_.clear();
    }
    /// Forgets one series in every member and in the combination.
    void forget(SeriesId series) {
        std::apply([&](auto&... member) { (member.forget(series), ...); }, members_);
        states_.erase(series);
    }

    /// The I-th member detector.
    template <std::size_t I>
    auto& member() noexcept {
        return std::get<I>(members_);
    }
    template <std::size_t I>
    const auto& member() const noexcept {
        return std::get<I>(members_);
    }
    const Combine& combine() const noexcept { return combine_; }
    Combine& combine() noexcept { return combine_; }

    /// Bytes of one series' state: the members' (when each has series_bytes) plus the Combine
    /// state's (sizeof and, when the policy reports it, its heap).
    std::size_t series_bytes(SeriesId series) const noexcept
        requires(ReportsSeriesBytes<Detectors>&&...) {
        std::size_t bytes = std::apply(
            [&](const auto&... member) { return (member.series_bytes(series) + ...); }, members_);
        if constexpr (!std::is_empty_v<typename Combine::State>) {
            if (const auto* state = states_.find(series)) {
                bytes += sizeof(*state);
                if constexpr (requires { combine_.allocated_bytes(*state); })
                    bytes += combine_.allocated_bytes(*state);
            }
        }
        return bytes;
    }

    /// The archive type tag, e.g. "augur.Ensemble<mean_score,2>".
    static std::string archive_tag() requires saveable {
        return "augur.Ensemble<" + std::string(Combine::archive_name) + "," +
               std::to_string(member_count) + ">";
    }

    /// Saves the policy, every member (its own archive) and the per-series Combine states.
    void save(std::ostream& out) const requires saveable {
        write_archive(out, archive_tag(), 1, [&](ArchiveWriter& w) {
            w(combine_);
            std::apply([&](const auto&... member) { (w(save_to_bytes(member)), ...); }, members_);
            if constexpr (!std::is_empty_v<typename Combine::State>) w(states_);
        });
    }

    /// Loads what save wrote; a wrong type, a corrupted archive, a member that does not load
    /// or a Combine state that does not fit throw data_error.
    static Ensemble load(std::istream& in) requires saveable {
        return read_archive(in, archive_tag(), 1, [](ArchiveReader& r) {
            auto combine = r.read<Combine>();
            // A braced list evaluates in order: the members are read first to last.
            std::tuple<Detectors...> members{load_member<Detectors>(r)...};
            auto e = std::apply(
                [&](auto&... member) {
                    return r.construct<Ensemble>(std::move(combine), std::move(member)...);
                },
                members);
            if constexpr (!std::is_empty_v<typename Combine::State>) {
                r(e.states_);
                auto fits = [&](const typename Combine::State& s) {
                    if constexpr (requires { e.combine_.loadable(s, member_count); })
                        return e.combine_.loadable(s, member_count);
                    return true;
                };
                r.require(fits(e.states_.prototype()), "the prototype state does not fit");
                for (std::size_t i = 0; i < e.states_.size(); ++i)
                    r.require(fits(*e.states_.find(SeriesId(static_cast<std::uint32_t>(i)))),
                              "series " + std::to_string(i) +
                                  "'s state does not fit the "
                                  "policy");
            }
            return e;
        });
    }

private:
    template <class D>
    static D load_member(ArchiveReader& r) {
        const auto bytes = r.read<std::string>();
        try {
            return load_from_bytes<D>(bytes);
        } catch (const data_error& e) {
            r.fail(std::string("a member does not load: ") + e.what());
        }
    }

    static Combine validated(Combine combine) {
        if constexpr (requires { combine.validate(member_count); }) combine.validate(member_count);
        return combine;
    }

    template <std::size_t... I>
    void observe_members(const Sample& sample, std::array<Detection, member_count>& out,
                         std::index_sequence<I...>) {
        ((out[I] = std::get<I>(members_).observe(sample)), ...);
    }

    Combine combine_;
    std::tuple<Detectors...> members_;
    PerSeries<typename Combine::State> states_;
    typename Combine::State empty_state_{};
};

/// Deduces MeanScore when no policy is given: `Ensemble e{detector_a, detector_b};`.
template <StreamingDetector... Detectors>
Ensemble(Detectors...) -> Ensemble<MeanScore, Detectors...>;

/// An Ensemble of `detectors` combined by MeanScore.
template <class... Detectors>
requires(sizeof...(Detectors) >= 1 && (StreamingDetector<std::decay_t<Detectors>> && ...))
    Ensemble<MeanScore, std::decay_t<Detectors>...> make_ensemble(Detectors&&... detectors) {
    return Ensemble<MeanScore, std::decay_t<Detectors>...>(MeanScore{},
                                                           std::forward<Detectors>(detectors)...);
}

/// An Ensemble of `detectors` combined by `combine`.
template <class Combine, class... Detectors>
requires(EnsembleCombine<std::decay_t<Combine>> &&
         (StreamingDetector<std::decay_t<Detectors>> && ...))
    Ensemble<std::decay_t<Combine>, std::decay_t<Detectors>...> make_ensemble(
        Combine&& combine, Detectors&&... detectors) {
    return Ensemble<std::decay_t<Combine>, std::decay_t<Detectors>...>(
        std::forward<Combine>(combine), std::forward<Detectors>(detectors)...);
}

} // namespace v0
} // namespace augur
