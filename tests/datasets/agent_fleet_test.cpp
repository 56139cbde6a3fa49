#include <augur/datasets/agent_fleet.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
constexpr std::size_t metric_count = augur::agent_fleet_metrics.size();
enum Metric : std::size_t { latency, tokens, success, cost, cpu, memory, queue };

/// Value of (step, agent, metric) in a fleet laid out on the regular grid.
struct Grid {
    const augur::AgentFleet& fleet;
    std::size_t agents;

    std::size_t steps() const { return fleet.samples.size() / (agents * metric_count); }
    double at(std::size_t step, std::size_t agent, std::size_t metric) const {
        return fleet.samples[(step * agents + agent) * metric_count + metric].value;
    }
    std::size_t agent_index(const std::string& id) const {
        for (std::size_t a = 0; a < agents; ++a)
            if (fleet.registry.key(augur::SeriesId{static_cast<std::uint32_t>(a * metric_count)})
                    .component_id == id)
                return a;
        FAIL("unknown agent " << id);
        return 0;
    }
};

std::size_t step_of(const augur::AgentFleetConfig& config, augur::Timestamp t) {
    return static_cast<std::size_t>((t - config.start) / config.interval);
}

double hour_of(augur::Timestamp t) {
    const auto day = std::chrono::floor<std::chrono::days>(t);
    return augur::to_seconds(t - day) / 3600.0;
}

bool is_weekend(augur::Timestamp t) {
    const std::chrono::weekday wd{std::chrono::floor<std::chrono::days>(t)};
    return wd == std::chrono::Saturday || wd == std::chrono::Sunday;
}

} // namespace

TEST_CASE("agent fleet: default shape, names and ordering", "[datasets][agent_fleet]") {
    const augur::AgentFleetConfig config;
    CHECK(augur::to_iso8601(config.start) == "2026-01-05T00:00:00Z");
    CHECK(std::chrono::weekday{std::chrono::floor<std::chrono::days>(config.start)} ==
          std::chrono::Monday);

    const augur::AgentFleet fleet = augur::make_agent_fleet();
    REQUIRE(fleet.registry.size() == 4 * metric_count);
    CHECK(fleet.registry.name(augur::SeriesId{0}) == "agent/planner/latency_ms");
    CHECK(fleet.registry.name(augur::SeriesId{6}) == "agent/planner/queue_depth");
    CHECK(fleet.registry.name(augur::SeriesId{7}) == "agent/coder/latency_ms");
    CHECK(fleet.registry.name(augur::SeriesId{16}) == "agent/reviewer/success");
    CHECK(fleet.registry.name(augur::SeriesId{27}) == "agent/retriever/queue_depth");
    CHECK(fleet.registry.key(augur::SeriesId{10}).component_type == "agent");
    CHECK(fleet.registry.key(augur::SeriesId{10}).metric_name == "cost");

    const std::size_t steps = 14 * 24 * 12;
    REQUIRE(fleet.samples.size() == steps * 4 * metric_count);
    // Complete regular grid, sorted by time then series.
    for (std::size_t i = 0; i < fleet.samples.size(); ++i) {
        const std::size_t step = i / (4 * metric_count);
        const augur::Sample& s = fleet.samples[i];
        REQUIRE(s.series.value == i % (4 * metric_count));
        REQUIRE(s.time == config.start + static_cast<std::int64_t>(step) * config.interval);
    }
    CHECK(std::is_sorted(fleet.samples.begin(), fleet.samples.end(),
                         [](const augur::Sample& a, const augur::Sample& b) {
                             return a.time != b.time ? a.time < b.time : a.series < b.series;
                         }));
    CHECK(fleet.incidents.size() == 5);
}

TEST_CASE("agent fleet: more agents get generated names", "[datasets][agent_fleet]") {
    augur::AgentFleetConfig config;
    config.agents = 6;
    config.days = 2;
    config.inject_incidents = false;
    const augur::AgentFleet fleet = augur::make_agent_fleet(config);
    REQUIRE(fleet.registry.size() == 6 * metric_count);
    CHECK(fleet.registry.find("agent/agent-5/tokens").has_value());
    CHECK(fleet.registry.find("agent/agent-6/memory_mb").has_value());
    CHECK(fleet.incidents.empty());
    CHECK(fleet.samples.size() == 2 * 288 * 6 * metric_count);

    config.interval = 1h;
    CHECK(augur::make_agent_fleet(config).samples.size() == 2 * 24 * 6 * metric_count);
}

TEST_CASE("agent fleet: deterministic per seed, different across seeds",
          "[datasets][agent_fleet]") {
    augur::AgentFleetConfig config;
    config.days = 6;
    config.agents = 5;
    const augur::AgentFleet a = augur::make_agent_fleet(config);
    const augur::AgentFleet b = augur::make_agent_fleet(config);
    CHECK(a.samples == b.samples);
    REQUIRE(a.incidents.size() == b.incidents.size());
    for (std::size_t i = 0; i < a.incidents.size(); ++i) {
        CHECK(a.incidents[i].kind == b.incidents[i].kind);
        CHECK(a.incidents[i].agent == b.incidents[i].agent);
        CHECK(a.incidents[i].start == b.incidents[i].start);
        CHECK(a.incidents[i].end == b.incidents[i].end);
        CHECK(a.incidents[i].series == b.incidents[i].series);
        CHECK(a.incidents[i].description == b.incidents[i].description);
    }

    config.seed = 43;
    const augur::AgentFleet c = augur::make_agent_fleet(config);
    REQUIRE(c.samples.size() == a.samples.size());
    std::size_t differing = 0;
    for (std::size_t i = 0; i < a.samples.size(); ++i)
        differing += a.samples[i].value != c.samples[i].value ? 1 : 0;
    CHECK(differing > a.samples.size() / 2);
    bool same_incident_times = true;
    for (std::size_t i = 0; i < a.incidents.size(); ++i)
        same_incident_times = same_incident_times && a.incidents[i].start == c.incidents[i].start;
    CHECK_FALSE(same_incident_times);
}

TEST_CASE("agent fleet: values are finite and in their physical range over many seeds",
          "[datasets][agent_fleet]") {
    for (std::uint64_t seed = 0; seed < 25; ++seed) {
        augur::AgentFleetConfig config;
        config.seed = seed;
        config.agents = 7; // three agents with random profiles
        config.days = 6;
        const augur::AgentFleet fleet = augur::make_agent_fleet(config);
        const Grid grid{fleet, config.agents};
        for (std::size_t a = 0; a < config.agents; ++a) {
            double cost_sum = 0.0;
            double token_sum = 0.0;
            for (std::size_t step = 0; step < grid.steps(); ++step) {
                for (std::size_t m = 0; m < metric_count; ++m)
                    REQUIRE(std::isfinite(grid.at(step, a, m)));
                CHECK(grid.at(step, a, latency) > 0.0);
                const double t = grid.at(step, a, tokens);
                REQUIRE(t >= 0.0);
                REQUIRE(t == std::round(t));
                const double s = grid.at(step, a, success);
                REQUIRE((s >= 0.0 && s <= 1.0));
                const double c = grid.at(step, a, cost);
                REQUIRE(c >= 0.0);
                if (t == 0.0) REQUIRE(c == 0.0);
                const double u = grid.at(step, a, cpu);
                REQUIRE((u >= 0.0 && u <= 100.0));
                REQUIRE(grid.at(step, a, memory) > 0.0);
                const double q = grid.at(step, a, queue);
                REQUIRE(q >= 0.0);
                REQUIRE(q == std::round(q));
                cost_sum += c;
                token_sum += t;
            }
            // cost ~ tokens x a constant price: each interval's price within a few percent.
            REQUIRE(token_sum > 0.0);
            const double price = cost_sum / token_sum;
            for (std::size_t step = 0; step < grid.steps(); ++step) {
                const double t = grid.at(step, a, tokens);
                if (t > 0.0) REQUIRE(std::abs(grid.at(step, a, cost) / t / price - 1.0) < 0.25);
            }
        }
    }
}

TEST_CASE("agent fleet: daily and weekly seasonality drive every agent",
          "[datasets][agent_fleet]") {
    augur::AgentFleetConfig config;
    config.inject_incidents = false;
    config.agents = 5;
    const augur::AgentFleet fleet = augur::make_agent_fleet(config);
    const Grid grid{fleet, config.agents};
    for (std::size_t a = 0; a < config.agents; ++a) {
        struct Mean {
            double sum = 0;
            double n = 0;
            void add(double x) {
                sum += x;
                n += 1;
            }
            double value() const { return sum / n; }
        };
        Mean work_tokens, night_tokens, weekend_tokens, work_latency, night_latency, work_cpu,
            night_cpu;
        for (std::size_t step = 0; step < grid.steps(); ++step) {
            const augur::Timestamp t =
                config.start + static_cast<std::int64_t>(step) * config.interval;
            const double h = hour_of(t);
            const bool working = h >= 10.0 && h < 17.0;
            const bool night = h < 5.0;
            if (is_weekend(t)) {
                if (working) weekend_tokens.add(grid.at(step, a, tokens));
                continue;
            }
            if (working) {
                work_tokens.add(grid.at(step, a, tokens));
                work_latency.add(grid.at(step, a, latency));
                work_cpu.add(grid.at(step, a, cpu));
            } else if (night) {
                night_tokens.add(grid.at(step, a, tokens));
                night_latency.add(grid.at(step, a, latency));
                night_cpu.add(grid.at(step, a, cpu));
            }
        }
        INFO("agent " << a);
        CHECK(work_tokens.value() > 4.0 * night_tokens.value());
        CHECK(work_latency.value() > 1.1 * night_latency.value());
        CHECK(work_cpu.value() > night_cpu.value() + 15.0);
        CHECK(weekend_tokens.value() < 0.6 * work_tokens.value());
    }

    // The four named agents have clearly different baselines.
    std::vector<double> median_latency;
    for (std::size_t a = 0; a < 4; ++a) {
        std::vector<double> v;
        for (std::size_t step = 0; step < grid.steps(); ++step)
            v.push_back(grid.at(step, a, latency));
        std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
        median_latency.push_back(v[v.size() / 2]);
    }
    std::sort(median_latency.begin(), median_latency.end());
    CHECK(std::adjacent_find(median_latency.begin(), median_latency.end(), [](double x, double y) {
              return y < 1.2 * x;
          }) == median_latency.end());
}

TEST_CASE("agent fleet: incidents are placed after 3 days, one of each kind",
          "[datasets][agent_fleet]") {
    for (std::uint64_t seed = 0; seed < 40; ++seed) {
        augur::AgentFleetConfig config;
        config.seed = seed;
        config.agents = 1 + seed % 6;
        config.days = 5 + seed % 4;
        const augur::AgentFleet fleet = augur::make_agent_fleet(config);
        INFO("seed " << seed);
        REQUIRE(fleet.incidents.size() == 5);
        std::vector<int> kinds;
        for (const augur::Incident& i : fleet.incidents) {
            kinds.push_back(static_cast<int>(i.kind));
            CHECK(i.start >= config.start + std::chrono::days{3});
            CHECK(i.end <= config.start + std::chrono::days{config.days});
            CHECK(i.start < i.end);
            CHECK((i.start - config.start) % config.interval == augur::Duration{0});
            CHECK_FALSE(i.description.empty());
            REQUIRE_FALSE(i.series.empty());
            for (augur::SeriesId id : i.series)
                CHECK(fleet.registry.key(id).component_id == i.agent);
        }
        // With a week or more, the short incidents start in weekday working hours.
        if (config.days >= 7)
            for (const augur::Incident& i : fleet.incidents) {
                if (i.kind == augur::IncidentKind::memory_leak) continue;
                const double h = hour_of(i.start);
                CHECK_FALSE(is_weekend(i.start));
                CHECK((h >= 8.0 && h < 16.0));
            }
        std::sort(kinds.begin(), kinds.end());
        CHECK(kinds == std::vector<int>{0, 1, 2, 3, 4});
        for (std::size_t i = 1; i < fleet.incidents.size(); ++i)
            CHECK(fleet.incidents[i - 1].start <= fleet.incidents[i].start);
        // Incidents of one agent never overlap.
        for (const augur::Incident& x : fleet.incidents)
            for (const augur::Incident& y : fleet.incidents)
                if (&x != &y && x.agent == y.agent) CHECK((x.end <= y.start || y.end <= x.start));
    }
}

TEST_CASE("agent fleet: incidents fit when the calendar has no working day after day 3",
          "[datasets][agent_fleet]") {
    for (std::size_t agents = 1; agents <= 5; ++agents) {
        augur::AgentFleetConfig config;
        config.start = std::chrono::sys_days{std::chrono::year{2026} / 1 / 7}; // a Wednesday
        config.days = 5; // days 4 and 5 are a weekend
        config.agents = agents;
        const augur::AgentFleet fleet = augur::make_agent_fleet(config);
        REQUIRE(fleet.incidents.size() == 5);
        for (const augur::Incident& x : fleet.incidents) {
            CHECK(x.start >= config.start + std::chrono::days{3});
            CHECK(x.end <= config.start + std::chrono::days{5});
            for (const augur::Incident& y : fleet.incidents)
                if (&x != &y && x.agent == y.agent) CHECK((x.end <= y.start || y.end <= x.start));
        }
    }
}

TEST_CASE("agent fleet: each incident visibly changes its series against the baseline",
          "[datasets][agent_fleet]") {
    for (std::uint64_t seed = 0; seed < 30; ++seed) {
        augur::AgentFleetConfig config;
        config.seed = seed * 7919 + 1;
        config.agents = 2 + seed % 5;
        config.days = 7;
        const augur::AgentFleet fleet = augur::make_agent_fleet(config);
        config.inject_incidents = false;
        const augur::AgentFleet quiet = augur::make_agent_fleet(config);
        const Grid hit{fleet, config.agents};
        const Grid base{quiet, config.agents};
        REQUIRE(fleet.samples.size() == quiet.samples.size());

        // The noise does not depend on the incidents: identical until an agent's first one.
        for (std::size_t a = 0; a < config.agents; ++a) {
            std::size_t first = hit.steps();
            for (const augur::Incident& i : fleet.incidents)
                if (hit.agent_index(i.agent) == a)
                    first = std::min(first, step_of(config, i.start));
            for (std::size_t step = 0; step < first; ++step)
                for (std::size_t m = 0; m < metric_count; ++m)
                    REQUIRE(hit.at(step, a, m) == base.at(step, a, m));
        }

        for (const augur::Incident& i : fleet.incidents) {
            INFO("seed " << config.seed << ": " << augur::to_string(i.kind) << " "
                         << i.description);
            const std::size_t a = hit.agent_index(i.agent);
            const std::size_t begin = step_of(config, i.start);
            const std::size_t end = step_of(config, i.end);
            auto window_mean = [&](const Grid& g, std::size_t metric) {
                double sum = 0.0;
                for (std::size_t s = begin; s < end; ++s)
                    sum += g.at(s, a, metric);
                return sum / static_cast<double>(end - begin);
            };
            auto series_median = [&](const Grid& g, std::size_t metric) {
                std::vector<double> v;
                for (std::size_t s = 0; s < g.steps(); ++s)
                    v.push_back(g.at(s, a, metric));
                std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
                return v[v.size() / 2];
            };
            switch (i.kind) {
            case augur::IncidentKind::latency_spike:
                CHECK(i.series ==
                      std::vector{fleet.registry.find("agent/" + i.agent + "/latency_ms").value()});
                CHECK(window_mean(hit, latency) > 2.5 * window_mean(base, latency));
                CHECK(window_mean(hit, latency) > 2.0 * series_median(hit, latency));
                break;
            case augur::IncidentKind::error_rate_spike:
                CHECK(window_mean(hit, success) < window_mean(base, success) - 0.1);
                CHECK(window_mean(hit, success) < series_median(hit, success) - 0.1);
                break;
            case augur::IncidentKind::memory_leak: {
                const double last_ratio = hit.at(end - 1, a, memory) / base.at(end - 1, a, memory);
                CHECK(last_ratio > 1.6);
                const std::size_t quarter = (end - begin) / 4;
                double early = 0.0, late = 0.0;
                for (std::size_t s = 0; s < quarter; ++s) {
                    early += hit.at(begin + s, a, memory);
                    late += hit.at(end - 1 - s, a, memory);
                }
                CHECK(late > 1.3 * early);
                // The restart brings memory back to the baseline.
                if (end < hit.steps())
                    CHECK(std::abs(hit.at(end, a, memory) / base.at(end, a, memory) - 1.0) < 0.1);
                break;
            }
            case augur::IncidentKind::throughput_drop:
                CHECK(window_mean(hit, tokens) < 0.5 * window_mean(base, tokens));
                CHECK(window_mean(hit, cost) < 0.5 * window_mean(base, cost));
                CHECK(hit.at(end - 1, a, queue) > base.at(end - 1, a, queue) + 5.0);
                CHECK(window_mean(hit, queue) > window_mean(base, queue) + 2.0);
                break;
            case augur::IncidentKind::resource_spike:
                CHECK(window_mean(hit, cpu) > 93.0);
                CHECK(window_mean(hit, cpu) > window_mean(base, cpu) + 10.0);
                CHECK(window_mean(hit, cpu) > series_median(hit, cpu) + 10.0);
                break;
            }
        }
    }
}

TEST_CASE("agent fleet: incident kinds have names", "[datasets][agent_fleet]") {
    CHECK(std::string(augur::to_string(augur::IncidentKind::latency_spike)) == "latency_spike");
    CHECK(std::string(augur::to_string(augur::IncidentKind::error_rate_spike)) ==
          "error_rate_spike");
    CHECK(std::string(augur::to_string(augur::IncidentKind::memory_leak)) == "memory_leak");
    CHECK(std::string(augur::to_string(augur::IncidentKind::throughput_drop)) == "throughput_drop");
    CHECK(std::string(augur::to_string(augur::IncidentKind::resource_spike)) == "resource_spike");
}

TEST_CASE("agent fleet: invalid configs throw invalid_argument", "[datasets][agent_fleet]") {
    auto fails = [](auto mutate) {
        augur::AgentFleetConfig config;
        mutate(config);
        CHECK_THROWS_AS(config.validate(), augur::invalid_argument);
        CHECK_THROWS_AS(augur::make_agent_fleet(config), augur::invalid_argument);
    };
    fails([](augur::AgentFleetConfig& c) { c.agents = 0; });
    fails([](augur::AgentFleetConfig& c) { c.agents = 5000; });
    fails([](augur::AgentFleetConfig& c) { c.interval = augur::Duration{0}; });
    fails([](augur::AgentFleetConfig& c) { c.interval = -5min; });
    fails([](augur::AgentFleetConfig& c) { c.interval = 2h; });
    fails([](augur::AgentFleetConfig& c) { c.days = 0; });
    fails([](augur::AgentFleetConfig& c) { c.days = 4; });
    fails([](augur::AgentFleetConfig& c) { c.days = 100000; });
    fails([](augur::AgentFleetConfig& c) {
        c.start = std::chrono::sys_days{std::chrono::year{1800} / 1 / 1};
    });
    fails([](augur::AgentFleetConfig& c) {
        c.agents = 1000;
        c.days = 3000;
        c.interval = 1s;
    });

    // The message names the field and the value.
    augur::AgentFleetConfig config;
    config.agents = 0;
    CHECK_THROWS_WITH(config.validate(), Catch::Contains("agents = 0"));

    // Fewer days are fine without incidents.
    config = {};
    config.days = 1;
    config.inject_incidents = false;
    CHECK_NOTHROW(config.validate());
    CHECK(augur::make_agent_fleet(config).samples.size() == 288 * 4 * metric_count);
}
