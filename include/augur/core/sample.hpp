#pragma once

// Timestamp, SeriesId and Sample: the vocabulary every component speaks.
//
// A Sample is one observation of one series: {series, time, value}. It is a trivially
// copyable 24-byte value; containers of samples are plain std::vector<Sample>.
// Thread-safety: value types, no shared state.

#include <chrono>
#include <cmath>
#include <compare>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>

namespace augur {
inline namespace v0 {

/// Signed nanosecond duration; the unit of every time difference in augur.
using Duration = std::chrono::nanoseconds;

/// A point in UTC time with nanosecond resolution (years 1678..2262).
using Timestamp = std::chrono::sys_time<Duration>;

/// Converts seconds since the Unix epoch (fractional allowed) to a Timestamp.
/// Rounds to the nearest nanosecond; the argument must be finite and within range.
constexpr Timestamp from_epoch_seconds(double seconds) noexcept {
    const double ns = seconds * 1e9;
    return Timestamp{Duration{static_cast<std::int64_t>(ns < 0 ? ns - 0.5 : ns + 0.5)}};
}

/// Seconds since the Unix epoch as a double (exact to the microsecond for current dates).
constexpr double to_epoch_seconds(Timestamp t) noexcept {
    return static_cast<double>(t.time_since_epoch().count()) * 1e-9;
}

/// A duration in seconds as a double.
constexpr double to_seconds(Duration d) noexcept {
    return static_cast<double>(d.count()) * 1e-9;
}

/// ISO-8601 text of a timestamp in UTC: "2014-04-01T00:00:00Z", with a fraction of 3, 6 or 9
/// digits only when the time has sub-second parts ("2014-04-01T00:00:00.250Z").
inline std::string to_iso8601(Timestamp t) {
    using namespace std::chrono;
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss<Duration> clock{t - day};
    char text[48];
    int n = std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d", int(ymd.year()),
                          unsigned(ymd.month()), unsigned(ymd.day()), int(clock.hours().count()),
                          int(clock.minutes().count()), int(clock.seconds().count()));
    const long long ns = clock.subseconds().count();
    if (ns != 0 && n > 0) {
        if (ns % 1000000 == 0)
            n += std::snprintf(text + n, sizeof text - std::size_t(n), ".%03lld", ns / 1000000);
        else if (ns % 1000 == 0)
            n += std::snprintf(text + n, sizeof text - std::size_t(n), ".%06lld", ns / 1000);
        else
            n += std::snprintf(text + n, sizeof text - std::size_t(n), ".%09lld", ns);
    }
    return std::string(text, std::size_t(n)) + "Z";
}

/// Dense identifier of a series, handed out by SeriesRegistry (0, 1, 2, ...).
/// Usable directly as an index into per-series state vectors.
struct SeriesId {
    std::uint32_t value = 0;

    constexpr SeriesId() noexcept = default;
    constexpr explicit SeriesId(std::uint32_t v) noexcept : value(v) {}
    constexpr std::size_t index() const noexcept { return value; }
    friend constexpr auto operator<=>(SeriesId, SeriesId) noexcept = default;
};

/// One observation: the value of one series at one time.
struct Sample {
    SeriesId series{};
    Timestamp time{};
    double value = std::numeric_limits<double>::quiet_NaN();

    friend constexpr bool operator==(const Sample&, const Sample&) noexcept = default;
};

} // namespace v0
} // namespace augur

template <>
struct std::hash<augur::SeriesId> {
    std::size_t operator()(augur::SeriesId id) const noexcept {
        return std::hash<std::uint32_t>{}(id.value);
    }
};
