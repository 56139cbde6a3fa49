#include <augur/core/stats.hpp>
#include <augur/core/stream.hpp>

#include <catch2/catch.hpp>

#include <list>
#include <optional>
#include <ranges>
#include <vector>

namespace {

struct CountingSink {
    std::size_t n = 0;
    double sum = 0.0;
    void observe(const augur::Sample& s) {
        ++n;
        sum += s.value;
    }
};

struct ThresholdSink {
    double threshold;
    std::optional<double> observe(const augur::Sample& s) const {
        if (s.value > threshold) return s.value;
        return std::nullopt;
    }
};

struct NotASink {
    void push(double) {}
};

} // namespace

static_assert(augur::MetricStream<std::vector<augur::Sample>>);
static_assert(augur::MetricStream<const std::list<augur::Sample>&>);
static_assert(!augur::MetricStream<std::vector<double>>);
static_assert(augur::MetricSink<CountingSink>);
static_assert(augur::MetricSink<ThresholdSink>);
static_assert(!augur::MetricSink<NotASink>);
static_assert(std::is_void_v<augur::sink_result_t<CountingSink>>);

TEST_CASE("feed pushes every sample of a stream into a sink", "[core][stream]") {
    const std::vector<double> values{1, 2, 3, 4, 5};
    const auto samples = augur::as_samples(
        values, augur::SeriesId{3}, augur::from_epoch_seconds(100), std::chrono::seconds(60));
    REQUIRE(samples.size() == 5);
    CHECK(samples[4].time == augur::from_epoch_seconds(340));
    CHECK(samples[2].series == augur::SeriesId{3});

    CountingSink sink;
    CHECK(augur::feed(samples, sink) == 5);
    CHECK(sink.n == 5);
    CHECK(sink.sum == 15.0);

    // A transform view is a stream too.
    auto doubled = samples | std::views::transform([](augur::Sample s) {
                       s.value *= 2;
                       return s;
                   });
    CountingSink sink2;
    CHECK(augur::feed(doubled, sink2) == 5);
    CHECK(sink2.sum == 30.0);
    CHECK(augur::values_of(doubled) == std::vector<double>{2, 4, 6, 8, 10});
}

TEST_CASE("for_each_result hands each observe result to a callback", "[core][stream]") {
    const std::vector<double> values{1, 9, 2, 8};
    const auto samples =
        augur::as_samples(values, augur::SeriesId{0}, augur::Timestamp{}, std::chrono::seconds(1));
    ThresholdSink sink{5.0};
    std::vector<double> flagged;
    augur::for_each_result(samples, sink, [&](const augur::Sample&, std::optional<double> r) {
        if (r) flagged.push_back(*r);
    });
    CHECK(flagged == std::vector<double>{9, 8});
}

TEST_CASE("GeneratorStream yields until the generator returns nullopt", "[core][stream]") {
    int i = 0;
    augur::GeneratorStream stream{[&]() -> std::optional<augur::Sample> {
        if (i == 100) return std::nullopt;
        const augur::Sample s{augur::SeriesId{0}, augur::from_epoch_seconds(i), double(i)};
        ++i;
        return s;
    }};
    static_assert(augur::MetricStream<decltype(stream)&>);
    augur::RunningStats stats;
    struct StatsSink {
        augur::RunningStats* stats;
        void observe(const augur::Sample& s) { stats->push(s.value); }
    } sink{&stats};
    CHECK(augur::feed(stream, sink) == 100);
    CHECK(stats.mean() == 49.5);

    int empty_calls = 0;
    augur::GeneratorStream empty{[&]() -> std::optional<augur::Sample> {
        ++empty_calls;
        return std::nullopt;
    }};
    CHECK(augur::collect(empty).empty());
    CHECK(empty_calls == 1);
}
