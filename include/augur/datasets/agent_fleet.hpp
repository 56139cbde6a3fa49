#pragma once

// make_agent_fleet: the embedded data set, a realistic metric stream of a fleet of AI agents,
// deterministic per seed (like scikit-learn's make_* generators).
//
// Per agent ("planner", "coder", "reviewer", "retriever", then "agent-5", "agent-6", ...) seven
// series named "agent/<id>/<metric>", one sample per interval:
//   latency_ms   mean request latency (lognormal noise, rare heavy-tail bursts), grows with load
//   tokens       tokens processed in the interval (integer >= 0)
//   success      fraction of requests that succeeded in the interval, in [0, 1] (1 when idle)
//   cost         USD spent in the interval (tokens x the agent's price, small noise), >= 0
//   cpu          percent, in [0, 100]
//   memory_mb    resident memory, > 0
//   queue_depth  requests waiting (integer >= 0)
// Request arrivals follow a daily cycle (busy working hours 9-18 UTC, a lunch dip, a quiet
// night) and a weekly one (quieter weekends), with autocorrelated noise; each agent serves
// them up to its capacity, and tokens, cost, cpu, queue and latency follow the requests served.
// Agents differ in volume, latency, tokens per request, price and memory.
//
// With inject_incidents, one incident of each IncidentKind is placed, at seed-dependent times
// after the first 3 days, at least an hour away from the agent's other incidents. The short
// ones start in weekday working hours (08:00-16:00 UTC), when they hit real traffic, unless
// the calendar leaves no room (then anywhere after day 3); the memory leak starts at any time.
//   latency_spike    latency x3..6 for 2-4 h
//   error_rate_spike success rate drops to 55-75% for 1-3 h
//   memory_leak      memory grows linearly by 100-200% over 16-26 h, then the process restarts
//   throughput_drop  capacity cut to 15-35% of demand for 2-4 h: tokens and cost fall, the
//                    queue backs up (and drains afterwards; latency rises with it)
//   resource_spike   cpu pinned near 100 for 1-3 h
// Each incident lists the series it is defined on; samples with start <= time < end are hit.
// The noise does not depend on the incidents: the same seed without incidents gives the
// counterfactual baseline.
//
// Samples are sorted by time, then series id. Size: agents x 7 x (days x 1 day / interval).
// Complexity O(size). Thread-safety: a pure function of its config.

#include "augur/core/error.hpp"
#include "augur/core/random.hpp"
#include "augur/core/sample.hpp"
#include "augur/core/series.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace augur {
inline namespace v0 {

/// The metrics of every agent, in SeriesId order within an agent.
inline constexpr std::array<const char*, 7> agent_fleet_metrics{
    "latency_ms", "tokens", "success", "cost", "cpu", "memory_mb", "queue_depth"};

/// What make_agent_fleet generates. Validated by make_agent_fleet.
struct AgentFleetConfig {
    std::size_t agents = 4;
    /// First sample time; the default, 2026-01-05T00:00:00Z, is a Monday.
    Timestamp start = std::chrono::sys_days{std::chrono::year{2026} / 1 / 5};
    Duration interval = std::chrono::minutes{5};
    std::size_t days = 14;
    std::uint64_t seed = 42;
    bool inject_incidents = true;

    /// Throws invalid_argument naming the field: agents in [1, 1000], interval in [1 s, 1 h],
    /// days in [1, 3660] (at least 5 with incidents), start in years 1900..2199, and at most
    /// 10^9 samples in all.
    void validate() const {
        constexpr const char* where = "AgentFleetConfig";
        if (agents < 1 || agents > 1000)
            throw_invalid_config(where, "agents", agents, "must be in [1, 1000]");
        if (interval < std::chrono::seconds{1} || interval > std::chrono::hours{1})
            throw_invalid_config(where, "interval", to_seconds(interval),
                                 "must be between 1 and 3600 seconds");
        if (days < 1 || days > 3660)
            throw_invalid_config(where, "days", days, "must be in [1, 3660]");
        if (inject_incidents && days < 5)
            throw_invalid_config(
                where, "days", days,
                "must be >= 5 with inject_incidents (3 quiet days, then incidents)");
        using namespace std::chrono;
        const Timestamp lowest = sys_days{year{1900} / 1 / 1};
        const Timestamp highest = sys_days{year{2200} / 1 / 1};
        if (start < lowest || start >= highest)
            throw_invalid_config(where, "start", to_iso8601(start), "must be in years 1900..2199");
        const double samples = static_cast<double>(agents) * static_cast<double>(days) * 7.0 *
                               86400.0 / to_seconds(interval);
        if (samples > 1e9)
            throw_invalid_config(where, "days", days,
                                 "too many samples (agents x days / interval) for one data set");
    }
};

/// The kinds of incident make_agent_fleet injects.
enum class IncidentKind : std::uint8_t {
    latency_spike,
    error_rate_spike,
    memory_leak,
    throughput_drop,
    resource_spike
};

/// The name of an incident kind, e.g. "latency_spike".
constexpr const char* to_string(IncidentKind kind) noexcept {
    switch (kind) {
    case IncidentKind::latency_spike:
        return "latency_spike";
    case IncidentKind::error_rate_spike:
        return "error_rate_spike";
    case IncidentKind::memory_leak:
        return "memory_leak";
    case IncidentKind::throughput_drop:
        return "throughput_drop";
    case IncidentKind::resource_spike:
        return "resource_spike";
    }
    return "?";
}

/// An injected incident: the ground truth for detectors and alerting.
struct Incident {
    IncidentKind kind{};
    std::string agent;            ///< agent id, e.g. "coder"
    Timestamp start{};            ///< first affected sample time
    Timestamp end{};              ///< exclusive end
    std::vector<SeriesId> series; ///< the series the incident is defined on
    std::string description;      ///< one human-readable line
};

/// The generated data set.
struct AgentFleet {
    SeriesRegistry registry;         ///< names of the agents x 7 series
    std::vector<Sample> samples;     ///< sorted by time, then series id
    std::vector<Incident> incidents; ///< sorted by start time
};

namespace detail {

/// What distinguishes one agent from another.
struct AgentProfile {
    std::string id;
    double peak_rpm;           ///< requests per minute at the busiest time of a weekday
    double capacity_ratio;     ///< requests it can serve / peak demand
    double latency_ms;         ///< median latency when idle
    double latency_sigma;      ///< lognormal spread of an interval's mean latency
    double tokens_per_request; ///< mean
    double usd_per_1k_tokens;
    double success_rate;
    double cpu_idle;  ///< percent
    double cpu_span;  ///< percent added at full utilisation
    double memory_mb; ///< baseline resident memory
};

inline AgentProfile agent_profile(std::size_t index, Rng rng) {
    switch (index) {
    case 0:
        return {"planner", 12.0, 1.7, 1800.0, 0.18, 1800.0, 0.010, 0.985, 6.0, 60.0, 1200.0};
    case 1:
        return {"coder", 6.0, 1.5, 6500.0, 0.22, 5200.0, 0.015, 0.970, 8.0, 70.0, 2600.0};
    case 2:
        return {"reviewer", 8.0, 1.6, 3200.0, 0.20, 3000.0, 0.008, 0.980, 5.0, 55.0, 1500.0};
    case 3:
        return {"retriever", 40.0, 1.8, 280.0, 0.15, 450.0, 0.0004, 0.995, 10.0, 65.0, 3800.0};
    default:
        break;
    }
    AgentProfile p;
    p.id = "agent-" + std::to_string(index + 1);
    p.peak_rpm = uniform(rng, 4.0, 30.0);
    p.capacity_ratio = uniform(rng, 1.5, 1.9);
    p.latency_ms = std::exp(uniform(rng, std::log(250.0), std::log(6000.0)));
    p.latency_sigma = uniform(rng, 0.15, 0.25);
    p.tokens_per_request = std::exp(uniform(rng, std::log(300.0), std::log(5000.0)));
    p.usd_per_1k_tokens = uniform(rng, 0.0005, 0.015);
    p.success_rate = uniform(rng, 0.97, 0.995);
    p.cpu_idle = uniform(rng, 4.0, 12.0);
    p.cpu_span = uniform(rng, 50.0, 70.0);
    p.memory_mb = uniform(rng, 800.0, 4000.0);
    return p;
}

/// Relative request volume by UTC hour of day, in (0, 1]: quiet nights, a ramp from 7 h,
/// working hours with a lunch dip, a decline after 18 h.
inline double daily_load(double hour) noexcept {
    const double rise = 1.0 / (1.0 + std::exp(-(hour - 8.5) / 0.7));
    const double fall = 1.0 / (1.0 + std::exp((hour - 18.5) / 0.9));
    const double lunch_z = (hour - 12.75) / 0.6;
    const double lunch = 1.0 - 0.12 * std::exp(-0.5 * lunch_z * lunch_z);
    return 0.1 + 0.9 * rise * fall * lunch;
}

/// Relative request volume by weekday (Sunday = 0): quieter Friday, quiet weekend.
inline double weekly_load(unsigned weekday) noexcept {
    if (weekday == 0 || weekday == 6) return 0.35;
    return weekday == 5 ? 0.92 : 1.0;
}

/// An incident as the generator applies it: sample steps [begin, end) of one agent.
struct PlannedIncident {
    IncidentKind kind;
    std::size_t agent;
    std::int64_t begin;
    std::int64_t end;
    double magnitude;
};

inline std::vector<PlannedIncident> plan_incidents(const AgentFleetConfig& config,
                                                   std::int64_t total_steps, Rng rng) {
    const double step_seconds = to_seconds(config.interval);
    auto steps_for_hours = [&](double hours) {
        return std::max<std::int64_t>(1, std::llround(hours * 3600.0 / step_seconds));
    };
    std::vector<std::size_t> agent_order(config.agents);
    for (std::size_t i = 0; i < agent_order.size(); ++i)
        agent_order[i] = i;
    for (std::size_t i = agent_order.size(); i > 1; --i)
        std::swap(agent_order[i - 1], agent_order[uniform_index(rng, i)]);

    constexpr std::array kinds{IncidentKind::latency_spike, IncidentKind::error_rate_spike,
                               IncidentKind::memory_leak, IncidentKind::throughput_drop,
                               IncidentKind::resource_spike};
    std::vector<PlannedIncident> planned;
    for (std::size_t k = 0; k < kinds.size(); ++k) {
        PlannedIncident p{kinds[k], agent_order[k % agent_order.size()], -1, 0, 0.0};
        double hours = 0.0;
        switch (p.kind) {
        case IncidentKind::latency_spike:
            hours = uniform(rng, 2.0, 4.0);
            p.magnitude = uniform(rng, 3.0, 6.0); // latency factor
            break;
        case IncidentKind::error_rate_spike:
            hours = uniform(rng, 1.0, 3.0);
            p.magnitude = uniform(rng, 0.55, 0.75); // success rate
            break;
        case IncidentKind::memory_leak:
            hours = uniform(rng, 16.0, 26.0);
            p.magnitude = uniform(rng, 1.0, 2.0); // growth, as a fraction of the baseline
            break;
        case IncidentKind::throughput_drop:
            hours = uniform(rng, 2.0, 4.0);
            p.magnitude = uniform(rng, 0.15, 0.35); // capacity as a fraction of demand
            break;
        case IncidentKind::resource_spike:
            hours = uniform(rng, 1.0, 3.0);
            p.magnitude = uniform(rng, 96.0, 98.5); // cpu level
            break;
        }
        p.end = steps_for_hours(hours); // the length, for now
        planned.push_back(p);
    }

    const auto first = static_cast<std::int64_t>(
        std::ceil(3.0 * 86400.0 / step_seconds - 1e-9)); // first step of day 4
    const std::int64_t padding = steps_for_hours(1.0);
    std::vector<std::int64_t> lengths;
    for (const PlannedIncident& p : planned)
        lengths.push_back(p.end);

    // Preferred: the short incidents start in weekday working hours (08:00-16:00 UTC), when
    // they are visible in real traffic; the memory leak at any time. Random starts, at least
    // an hour away from the agent's other incidents.
    auto in_working_hours = [&](std::int64_t step) {
        using namespace std::chrono;
        const Timestamp t = config.start + step * config.interval;
        const auto day = floor<days>(t);
        const unsigned wd = weekday{day}.c_encoding();
        const auto hour = floor<hours>(t - day).count();
        return wd >= 1 && wd <= 5 && hour >= 8 && hour < 16;
    };
    std::vector<std::size_t> order{0, 1, 3, 4};
    for (std::size_t i = order.size(); i > 1; --i)
        std::swap(order[i - 1], order[uniform_index(rng, i)]);
    order.push_back(2); // the memory leak last: it fits anywhere
    bool placed_all = true;
    for (const std::size_t k : order) {
        PlannedIncident& p = planned[k];
        const std::int64_t span = total_steps - lengths[k] - first;
        bool placed = false;
        for (int attempt = 0; attempt < 4000 && span >= 0 && !placed; ++attempt) {
            const std::int64_t begin =
                first + static_cast<std::int64_t>(uniform_index(rng, std::uint64_t(span) + 1));
            if (p.kind != IncidentKind::memory_leak && !in_working_hours(begin)) continue;
            bool clear = true;
            for (std::size_t j = 0; j < planned.size() && clear; ++j)
                if (j != k && planned[j].agent == p.agent && planned[j].begin >= 0)
                    clear = begin >= planned[j].end + padding ||
                            planned[j].begin >= begin + lengths[k] + padding;
            if (!clear) continue;
            p.begin = begin;
            p.end = begin + lengths[k];
            placed = true;
        }
        if (!placed) {
            placed_all = false;
            break;
        }
    }

    // Fallback when the calendar leaves no room: lay each agent's incidents out in a shuffled
    // order with random gaps (at least an hour where room allows) between day 3 and the end.
    for (std::size_t agent = 0; agent < config.agents && !placed_all; ++agent) {
        std::vector<std::size_t> mine;
        for (std::size_t i = 0; i < planned.size(); ++i)
            if (planned[i].agent == agent) mine.push_back(i);
        if (mine.empty()) continue;
        for (std::size_t i = mine.size(); i > 1; --i)
            std::swap(mine[i - 1], mine[uniform_index(rng, i)]);
        std::int64_t busy = 0;
        for (std::size_t i : mine)
            busy += lengths[i];
        const auto gaps = static_cast<std::int64_t>(mine.size() + 1);
        std::int64_t pad = padding;
        std::int64_t free = total_steps - first - busy - gaps * pad;
        if (free < 0) {
            pad = 0;
            free = total_steps - first - busy;
        }
        if (free < 0)
            throw_invalid_config("AgentFleetConfig", "days", config.days,
                                 "too short for the injected incidents");
        std::vector<double> weights(mine.size() + 1);
        double weight_sum = 0.0;
        for (double& w : weights)
            weight_sum += (w = uniform_open01(rng));
        std::int64_t position = first;
        for (std::size_t j = 0; j <= mine.size(); ++j) {
            position += pad + static_cast<std::int64_t>(
                                  std::floor(static_cast<double>(free) * weights[j] / weight_sum));
            if (j == mine.size()) break;
            PlannedIncident& p = planned[mine[j]];
            p.begin = position;
            p.end = position + lengths[mine[j]];
            position = p.end;
        }
    }
    std::sort(planned.begin(), planned.end(),
              [](const PlannedIncident& a, const PlannedIncident& b) {
                  return a.begin != b.begin ? a.begin < b.begin : a.agent < b.agent;
              });
    return planned;
}

inline std::string describe_incident(const PlannedIncident& p, const std::string& agent,
                                     double hours) {
    char text[160];
    switch (p.kind) {
    case IncidentKind::latency_spike:
        std::snprintf(text, sizeof text,
                      "latency of %s up x%.1f for %.1f h (slow upstream model endpoint)",
                      agent.c_str(), p.magnitude, hours);
        break;
    case IncidentKind::error_rate_spike:
        std::snprintf(text, sizeof text, "success rate of %s down to %.0f%% for %.1f h",
                      agent.c_str(), 100.0 * p.magnitude, hours);
        break;
    case IncidentKind::memory_leak:
        std::snprintf(text, sizeof text,
                      "memory of %s grows by %.0f%% over %.1f h, then the process restarts",
                      agent.c_str(), 100.0 * p.magnitude, hours);
        break;
    case IncidentKind::throughput_drop:
        std::snprintf(text, sizeof text,
                      "throughput of %s cut to %.0f%% of demand for %.1f h; the queue backs up",
                      agent.c_str(), 100.0 * p.magnitude, hours);
        break;
    case IncidentKind::resource_spike:
        std::snprintf(text, sizeof text, "cpu of %s pinned near 100%% for %.1f h", agent.c_str(),
                      hours);
        break;
    }
    return text;
}

} // namespace detail

/// Generates the agent-fleet data set. Throws invalid_argument on an invalid config.
/// @code
///   const augur::AgentFleet fleet = augur::make_agent_fleet({.agents = 6, .seed = 7});
///   for (const augur::Sample& s : fleet.samples) detector.observe(s);
///   for (const augur::Incident& i : fleet.incidents) std::cout << i.description << '\n';
/// @endcode
inline AgentFleet make_agent_fleet(const AgentFleetConfig& config = {}) {
    config.validate();
    using namespace std::chrono;
    constexpr std::size_t metric_count = agent_fleet_metrics.size();
    enum Metric : std::size_t { latency, tokens, success, cost, cpu, memory, queue };

    AgentFleet fleet;
    const Rng master{config.seed};
    std::vector<detail::AgentProfile> profiles;
    for (std::size_t a = 0; a < config.agents; ++a) {
        profiles.push_back(detail::agent_profile(a, master.fork(2 * a + 1)));
        for (const char* metric : agent_fleet_metrics)
            fleet.registry.intern(SeriesKey(metric, "agent", profiles.back().id));
    }
    auto series_of = [&](std::size_t agent, std::size_t metric) {
        return SeriesId{static_cast<std::uint32_t>(agent * metric_count + metric)};
    };

    const std::int64_t total_steps = Duration{days{1}}.count() *
                                     static_cast<std::int64_t>(config.days) /
                                     config.interval.count();
    std::vector<detail::PlannedIncident> planned;
    if (config.inject_incidents)
        planned = detail::plan_incidents(config, total_steps, master.fork(0x1C1DE47));
    for (const detail::PlannedIncident& p : planned) {
        Incident incident;
        incident.kind = p.kind;
        incident.agent = profiles[p.agent].id;
        incident.start = config.start + p.begin * config.interval;
        incident.end = config.start + p.end * config.interval;
        switch (p.kind) {
        case IncidentKind::latency_spike:
            incident.series = {series_of(p.agent, latency)};
            break;
        case IncidentKind::error_rate_spike:
            incident.series = {series_of(p.agent, success)};
            break;
        case IncidentKind::memory_leak:
            incident.series = {series_of(p.agent, memory)};
            break;
        case IncidentKind::throughput_drop:
            incident.series = {series_of(p.agent, tokens), series_of(p.agent, cost),
                               series_of(p.agent, queue)};
            break;
        case IncidentKind::resource_spike:
            incident.series = {series_of(p.agent, cpu)};
            break;
        }
        incident.description = detail::describe_incident(
            p, incident.agent, to_seconds(incident.end - incident.start) / 3600.0);
        fleet.incidents.push_back(std::move(incident));
    }

    struct AgentState {
        Rng rng;
        double load_noise = 0.0;
        double memory_noise = 0.0;
        double backlog = 0.0;
    };
    std::vector<AgentState> states;
    for (std::size_t a = 0; a < config.agents; ++a)
        states.push_back({master.fork(2 * a + 2)});

    const double interval_minutes = to_seconds(config.interval) / 60.0;
    fleet.samples.reserve(static_cast<std::size_t>(total_steps) * config.agents * metric_count);
    for (std::int64_t step = 0; step < total_steps; ++step) {
        const Timestamp time = config.start + step * config.interval;
        const auto day = floor<days>(time);
        const double hour = to_seconds(time - day) / 3600.0;
        const double season =
            detail::daily_load(hour) * detail::weekly_load(weekday{day}.c_encoding());

        for (std::size_t a = 0; a < config.agents; ++a) {
            const detail::AgentProfile& p = profiles[a];
            AgentState& s = states[a];
            Rng& rng = s.rng;
            // Every draw happens every step, in this order, so incidents never shift the noise.
            const double z_load = normal(rng);
            const double z_arrivals = normal(rng);
            const double z_tokens = normal(rng);
            const double z_cost = normal(rng);
            const double z_success = normal(rng);
            const double z_latency = normal(rng);
            const double u_tail = uniform01(rng);
            const double e_tail = exponential(rng, 1.0);
            const double z_cpu = normal(rng);
            const double z_memory = normal(rng);
            const double z_queue = normal(rng);

            double latency_factor = 1.0;
            double success_rate = p.success_rate;
            double leak = 0.0;
            double capacity_cut = 1.0;
            double cpu_floor = -1.0;
            for (const detail::PlannedIncident& inc : planned) {
                if (inc.agent != a || step < inc.begin || step >= inc.end) continue;
                switch (inc.kind) {
                case IncidentKind::latency_spike:
                    latency_factor = inc.magnitude;
                    break;
                case IncidentKind::error_rate_spike:
                    success_rate = inc.magnitude;
                    break;
                case IncidentKind::memory_leak:
                    leak = inc.magnitude * static_cast<double>(step - inc.begin + 1) /
                           static_cast<double>(inc.end - inc.begin);
                    break;
                case IncidentKind::throughput_drop:
                    capacity_cut = inc.magnitude;
                    break;
                case IncidentKind::resource_spike:
                    cpu_floor = inc.magnitude;
                    break;
                }
            }

            // Requests: seasonal demand with autocorrelated noise, served up to capacity.
            const double demand = p.peak_rpm * interval_minutes * season;
            s.load_noise = 0.85 * s.load_noise + 0.06 * z_load;
            const double lambda = demand * std::exp(s.load_noise);
            const double arrivals =
                std::max(0.0, std::round(lambda + std::sqrt(lambda) * z_arrivals));
            const double capacity = p.capacity_ratio * p.peak_rpm * interval_minutes;
            const double limit = std::floor(capacity_cut < 1.0 ? capacity_cut * demand : capacity);
            const double served = std::min(arrivals + s.backlog, limit);
            s.backlog = arrivals + s.backlog - served;
            const double utilisation = std::min(1.0, served / capacity);

            const double token_count =
                served > 0.0 ? std::max(0.0, std::round(served * p.tokens_per_request +
                                                        0.45 * p.tokens_per_request *
                                                            std::sqrt(served) * z_tokens))
                             : 0.0;
            const double usd = token_count / 1000.0 * p.usd_per_1k_tokens * std::exp(0.03 * z_cost);

            double success_value = 1.0;
            if (served > 0.0) {
                const double q = 1.0 - success_rate;
                const double failures = std::clamp(
                    std::round(served * q + std::sqrt(served * q * (1.0 - q)) * z_success), 0.0,
                    served);
                success_value = 1.0 - failures / served;
            }

            const double sigma = p.latency_sigma + 0.3 / std::sqrt(std::max(served, 1.0));
            const double tail = u_tail < 0.015 ? 1.0 + 2.0 * e_tail : 1.0;
            const double latency_value = p.latency_ms * (1.0 + 0.8 * utilisation * utilisation) *
                                         (1.0 + 0.25 * std::log1p(s.backlog / 10.0)) *
                                         std::exp(sigma * z_latency) * tail * latency_factor;

            double cpu_value = p.cpu_idle + p.cpu_span * utilisation + 1.5 * z_cpu;
            if (cpu_floor > 0.0) cpu_value = cpu_floor + 1.5 * z_cpu;
            cpu_value = std::clamp(cpu_value, 0.0, 100.0);

            s.memory_noise = 0.97 * s.memory_noise + 0.004 * z_memory;
            const double memory_value =
                p.memory_mb * std::max(0.2, 1.0 + 0.15 * utilisation + s.memory_noise + leak);

            const double busy = std::min(utilisation, 0.95);
            const double waiting =
                std::round(busy * busy / (1.0 - busy) * std::exp(0.25 * z_queue));
            const double queue_value = s.backlog + waiting;

            const std::array<double, metric_count> values{latency_value, token_count, success_value,
                                                          usd,           cpu_value,   memory_value,
                                                          queue_value};
            for (std::size_t m = 0; m < metric_count; ++m)
                fleet.samples.push_back(Sample{series_of(a, m), time, values[m]});
        }
    }
    return fleet;
}

} // namespace v0
} // namespace augur
