#pragma once

// The two concepts every component shares, and adapters between them.
//
// MetricStream: an input range whose elements convert to Sample (a std::vector<Sample>, a CSV
// SampleReader, a GeneratorStream, a transform view). Batch algorithms take a MetricStream.
// MetricSink: anything with observe(const Sample&). Streaming components are sinks; observe may
// return a result (e.g. an optional anomaly), which feed() discards and for_each_result() hands
// to a callback.
// Thread-safety: the adapters hold no shared state.

#include "augur/core/sample.hpp"

#include <concepts>
#include <cstddef>
#include <iterator>
#include <optional>
#include <ranges>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {

/// An input range of values convertible to Sample.
template <class R>
concept MetricStream =
    std::ranges::input_range<R> && std::convertible_to<std::ranges::range_reference_t<R>, Sample>;

/// Anything that accepts samples one at a time through observe(const Sample&).
template <class S>
concept MetricSink = requires(S& sink, const Sample& sample) {
    sink.observe(sample);
};

/// What a sink's observe returns (void for sinks without a result).
template <MetricSink S>
using sink_result_t = decltype(std::declval<S&>().observe(std::declval<const Sample&>()));

/// Pushes every sample of `stream` into `sink`; returns how many were pushed. O(n).
template <MetricStream R, MetricSink S>
std::size_t feed(R&& stream, S& sink) {
    std::size_t count = 0;
    for (auto&& element : stream) {
        sink.observe(static_cast<Sample>(element));
        ++count;
    }
    return count;
}

/// Pushes every sample into `sink` and calls `on_result(sample, result)` with what each
/// observe returned. Returns how many samples were pushed.
template <MetricStream R, MetricSink S, class F>
requires(!std::is_void_v<sink_result_t<S>>) &&
    std::invocable<F&, const Sample&, sink_result_t<S>> std::size_t
    for_each_result(R&& stream, S& sink, F on_result) {
    std::size_t count = 0;
    for (auto&& element : stream) {
        const Sample sample = static_cast<Sample>(element);
        on_result(sample, sink.observe(sample));
        ++count;
    }
    return count;
}

/// Copies a stream into a vector. O(n) time and memory.
template <MetricStream R>
std::vector<Sample> collect(R&& stream) {
    std::vector<Sample> out;
    if constexpr (std::ranges::sized_range<R>) out.reserve(std::ranges::size(stream));
    for (auto&& element : stream)
        out.push_back(static_cast<Sample>(element));
    return out;
}

/// Samples of one series at regular times: values[i] at start + i * step.
inline std::vector<Sample> as_samples(std::span<const double> values, SeriesId series,
                                      Timestamp start, Duration step) {
    std::vector<Sample> out;
    out.reserve(values.size());
    for (std::size_t i = 0; i < values.size(); ++i)
        out.push_back(Sample{series, start + static_cast<std::int64_t>(i) * step, values[i]});
    return out;
}

/// The values of a stream, in order (e.g. to hand one series to a batch algorithm).
template <MetricStream R>
std::vector<double> values_of(R&& stream) {
    std::vector<double> out;
    if constexpr (std::ranges::sized_range<R>) out.reserve(std::ranges::size(stream));
    for (auto&& element : stream)
        out.push_back(static_cast<Sample>(element).value);
    return out;
}

/// A MetricStream over a generator: a callable returning std::optional<Sample>, where nullopt
/// ends the stream. Single pass (begin() may be called once).
/// @code
///   int i = 0;
///   augur::GeneratorStream stream{[&]() -> std::optional<augur::Sample> {
///       if (i == 100) return std::nullopt;
///       return augur::Sample{augur::SeriesId{0}, augur::from_epoch_seconds(i), double(i++)};
///   }};
/// @endcode
template <class Generator>
requires std::invocable<Generator&> &&
    std::convertible_to<std::invoke_result_t<Generator&>, std::optional<Sample>>
class GeneratorStream {
public:
    explicit GeneratorStream(Generator generator) : generator_(std::move(generator)) {}

    class iterator {
    public:
        using value_type = Sample;
        using difference_type = std::ptrdiff_t;
        using iterator_concept = std::input_iterator_tag;

        iterator() = default;
        explicit iterator(GeneratorStream* parent) : parent_(parent) {}

        const Sample& operator*() const { return *parent_->current_; }
        iterator& operator++() {
            parent_->advance();
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator& it, std::default_sentinel_t) { return it.at_end(); }

    private:
        bool at_end() const { return !parent_->current_.has_value(); }

        GeneratorStream* parent_ = nullptr;
    };

    iterator begin() {
        advance();
        return iterator{this};
    }
    std::default_sentinel_t end() const noexcept { return {}; }

private:
    void advance() { current_ = generator_(); }

    Generator generator_;
    std::optional<Sample> current_;
};

} // namespace v0
} // namespace augur
