#pragma once

// Per-series summary statistics of a metric stream: count, mean, sd, min, p50, p95, p99, max.
//
// Summarizer is a MetricSink. It keeps a RunningStats and every value of each series, so the
// quantiles are exact (Hyndman & Fan type 7, as quantile_sorted): O(n) memory for n samples,
// O(1) amortized per sample, O(n log n) for summaries(). For bounded memory use a streaming
// quantile sketch instead.
// Non-finite values (NaN, +-inf) are skipped and counted in skipped(): they carry no magnitude,
// and one would poison the mean. Put an InputGuard in front to choose another policy (reject,
// clamp) and to check timestamps; the Summarizer itself ignores time.
// Thread-safety: not synchronized; const members may be called concurrently.

#include "augur/core/sample.hpp"
#include "augur/core/stats.hpp"
#include "augur/core/stream.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {

/// Summary statistics of one series. sd is the sample standard deviation (n - 1); it is NaN
/// when count < 2, and every other statistic is NaN when count == 0.
struct SeriesSummary {
    SeriesId series{};
    std::uint64_t count = 0;
    double mean = std::numeric_limits<double>::quiet_NaN();
    double sd = std::numeric_limits<double>::quiet_NaN();
    double min = std::numeric_limits<double>::quiet_NaN();
    double p50 = std::numeric_limits<double>::quiet_NaN();
    double p95 = std::numeric_limits<double>::quiet_NaN();
    double p99 = std::numeric_limits<double>::quiet_NaN();
    double max = std::numeric_limits<double>::quiet_NaN();
};

/// Accumulates samples and summarizes each series (see the file comment).
/// @code
///   augur::Summarizer summarizer;
///   for (const augur::Sample& s : samples) summarizer.observe(s);
///   for (const augur::SeriesSummary& s : summarizer.summaries())
///       std::cout << registry.name(s.series) << ' ' << s.mean << ' ' << s.p95 << '\n';
/// @endcode
class Summarizer {
public:
    /// Adds a sample; a non-finite value is skipped and counted (its series is still listed).
    void observe(const Sample& sample) {
        if (sample.series.index() >= series_.size()) series_.resize(sample.series.index() + 1);
        PerSeries& s = series_[sample.series.index()];
        s.seen = true;
        if (!std::isfinite(sample.value)) {
            ++skipped_;
            return;
        }
        s.stats.push(sample.value);
        s.values.push_back(sample.value);
    }

    /// The summary of every series that was observed (even if all its values were skipped),
    /// ordered by SeriesId.
    std::vector<SeriesSummary> summaries() const {
        std::vector<SeriesSummary> out;
        std::vector<double> sorted;
        for (std::size_t i = 0; i < series_.size(); ++i) {
            if (!series_[i].seen) continue;
            out.push_back(summarize_one(SeriesId{static_cast<std::uint32_t>(i)}, sorted));
        }
        return out;
    }

    /// The summary of one series, or nullopt when it was never observed.
    std::optional<SeriesSummary> summary(SeriesId id) const {
        if (id.index() >= series_.size() || !series_[id.index()].seen) return std::nullopt;
        std::vector<double> sorted;
        return summarize_one(id, sorted);
    }

    /// Number of non-finite values skipped, over all series.
    std::uint64_t skipped() const noexcept { return skipped_; }

    /// Forgets everything.
    void reset() noexcept {
        series_.clear();
        skipped_ = 0;
    }

private:
    struct PerSeries {
        RunningStats stats;
        std::vector<double> values;
        bool seen = false;
    };

    SeriesSummary summarize_one(SeriesId id, std::vector<double>& sorted) const {
        const PerSeries& s = series_[id.index()];
        SeriesSummary out;
        out.series = id;
        out.count = s.stats.count();
        if (out.count == 0) return out;
        out.mean = s.stats.mean();
        out.sd = s.stats.stddev();
        out.min = s.stats.min();
        out.max = s.stats.max();
        sorted.assign(s.values.begin(), s.values.end());
        std::sort(sorted.begin(), sorted.end());
        out.p50 = quantile_sorted(sorted, 0.50);
        out.p95 = quantile_sorted(sorted, 0.95);
        out.p99 = quantile_sorted(sorted, 0.99);
        return out;
    }

    std::vector<PerSeries> series_;
    std::uint64_t skipped_ = 0;
};

static_assert(MetricSink<Summarizer>);

/// Summarizes a whole stream (see Summarizer). O(n log n) time, O(n) memory.
template <MetricStream R>
std::vector<SeriesSummary> summarize(R&& stream) {
    Summarizer summarizer;
    feed(std::forward<R>(stream), summarizer);
    return summarizer.summaries();
}

} // namespace v0
} // namespace augur
