#pragma once

// The contract shared by augur's streaming anomaly detectors.
//
// A streaming detector is a MetricSink over samples of any number of series: observe(sample)
// updates that series' state and returns a Detection for the sample. One detector object (one
// configuration) serves thousands of series; the per-series state is a nested State type kept
// in a PerSeries container indexed by SeriesId, created when a series first appears.
// Detections are causal: the one for a sample depends only on that series' samples up to it.
// Thread-safety: detectors are not synchronized; use one per thread or shard series.

#include "augur/core/sample.hpp"
#include "augur/core/stream.hpp"

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {

/// The shape of a deviation: a short spike, a persistent level shift, a slow trend, or an
/// unusual pattern (e.g. a broken seasonal profile).
enum class Shape : std::uint8_t { none, spike, level_shift, trend, pattern };

/// Which way the value moved against its baseline.
enum class Direction : std::int8_t { down = -1, none = 0, up = 1 };

constexpr const char* to_string(Shape shape) noexcept {
    switch (shape) {
    case Shape::none:
        return "none";
    case Shape::spike:
        return "spike";
    case Shape::level_shift:
        return "level_shift";
    case Shape::trend:
        return "trend";
    case Shape::pattern:
        return "pattern";
    }
    return "?";
}

constexpr const char* to_string(Direction direction) noexcept {
    switch (direction) {
    case Direction::down:
        return "down";
    case Direction::none:
        return "none";
    case Direction::up:
        return "up";
    }
    return "?";
}

/// What a streaming detector says about one sample.
struct Detection {
    /// Calibrated anomaly score in [0, 1] (0 while learning): comparable across detectors.
    double score = 0.0;
    /// score >= threshold, learning finished, and the detector's own alarm logic agrees.
    bool is_anomaly = false;
    /// True while the series is still in its learning period.
    bool learning = true;
    /// The baseline the value was compared with (NaN while unknown).
    double expected = std::numeric_limits<double>::quiet_NaN();
    /// actual - expected, in the series' units (NaN while unknown).
    double deviation = std::numeric_limits<double>::quiet_NaN();
    /// The score threshold in force.
    double threshold = 1.0;
    Shape shape = Shape::none;
    Direction direction = Direction::none;
};

/// A streaming detector: observe(sample) returns a Detection; reset() forgets every series,
/// forget(series) one of them (releasing its memory: what an InputGuard series limit evicts).
template <class D>
concept StreamingDetector = MetricSink<D> &&
    requires(D& detector, const Sample& sample, SeriesId series) {
    { detector.observe(sample) } -> std::same_as<Detection>;
    detector.reset();
    detector.forget(series);
};

/// Per-series state of a detector, indexed by SeriesId and created on first use from a
/// prototype (so every series starts from the same configured state).
/// Access is O(1); a new series costs one copy of the prototype, and the table grows
/// geometrically (amortized O(1) per new series, whatever the number of series). A series'
/// memory is sizeof(State) plus what its State allocates; erase() gives the latter back.
/// States are moved, not copied, when the table grows if State is nothrow movable.
template <class State>
class PerSeries {
public:
    explicit PerSeries(State prototype = State{}) : prototype_(std::move(prototype)) {}

    /// The state of `series`, created from the prototype if new.
    State& operator[](SeriesId series) {
        const std::size_t i = series.index();
        if (i >= states_.size()) grow(i + 1);
        return states_[i];
    }

    /// The state of `series` if it has one, else nullptr.
    const State* find(SeriesId series) const noexcept {
        return series.index() < states_.size() ? &states_[series.index()] : nullptr;
    }

    /// Resets `series` to the prototype, releasing what its state allocated.
    void erase(SeriesId series) {
        if (series.index() < states_.size()) states_[series.index()] = prototype_;
    }

    std::size_t size() const noexcept { return states_.size(); }
    void clear() noexcept { states_.clear(); }
    const State& prototype() const noexcept { return prototype_; }

    /// Saves / loads the prototype and every series' state (augur/core/archive.hpp); State
    /// must be archivable.
    template <class Archive>
    void archive(Archive& ar) {
        ar(prototype_, states_);
    }

private:
    void grow(std::size_t n) {
        if (n > states_.capacity()) states_.reserve(std::max(n, 2 * states_.capacity()));
        states_.resize(n, prototype_);
    }

    State prototype_;
    std::vector<State> states_;
};

} // namespace v0
} // namespace augur
