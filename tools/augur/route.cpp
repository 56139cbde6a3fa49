// augur route simulate: bandit routing simulation. Runs routing policies on Bernoulli arms
// (given with --arms or a built-in --scenario) for --runs runs of --horizon decisions and
// prints the cumulative pseudo-regret (mean and 5-95% band) at log-spaced checkpoints and
// each arm's share of the decisions, as CSV or JSON.

#include "commands.hpp"
#include "common.hpp"

#include <augur/core/error.hpp>
#include <augur/core/io/writer.hpp>
#include <augur/routing/simulate.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace augur_tool {
namespace {

struct SimulateOptions {
    std::string arms;
    std::string arms_after;
    double change_at = 0.5;
    std::string scenario;
    std::string policy = "thompson";
    std::uint64_t horizon = 10000;
    std::uint32_t runs = 200;
    std::uint64_t seed = 1;
    unsigned threads = 0;
    double gamma = 0.999;
    std::size_t window = 1000;
    double epsilon = 0.1;
    double sampling_share = 0.0;
    double draws = 2.0;
    double floor = 0.0;
    double cusum_threshold = augur::ChangeDetectingConfig{}.cusum.threshold;
    std::size_t cusum_warmup = augur::ChangeDetectingConfig{}.cusum.warmup;
    double cusum_drift = augur::ChangeDetectingConfig{}.cusum.drift;
    std::string format = "csv";
    std::string output = "-";
};

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> parts;
    std::stringstream in(text);
    std::string part;
    while (std::getline(in, part, ','))
        parts.push_back(part);
    return parts;
}

std::vector<double> parse_means(const std::string& text, const char* option) {
    std::vector<double> means;
    for (const std::string& part : split(text)) {
        try {
            std::size_t used = 0;
            const double m = std::stod(part, &used);
            if (used != part.size()) throw std::invalid_argument(part);
            means.push_back(m);
        } catch (const std::exception&) {
            throw usage_error(std::string(option) + ": '" + part + "' is not a number");
        }
    }
    if (means.empty()) throw usage_error(std::string(option) + ": no arm means given");
    return means;
}

augur::BanditScenario scenario_of(const SimulateOptions& o) {
    if (!o.arms.empty() && !o.scenario.empty())
        throw usage_error("--arms and --scenario cannot be used together");
    if (!o.arms_after.empty() && o.arms.empty()) throw usage_error("--arms-after needs --arms");
    augur::BanditScenario s;
    if (!o.arms.empty()) {
        s.name = "custom";
        s.means = parse_means(o.arms, "--arms");
        if (!o.arms_after.empty()) s.means_after = parse_means(o.arms_after, "--arms-after");
        s.change_at = o.change_at;
    } else {
        s = augur::bandit_scenario(o.scenario.empty() ? "routing" : o.scenario);
    }
    s.validate();
    return s;
}

void write_csv(std::ostream& out, const std::vector<augur::SimulationResult>& results) {
    augur::io::CsvWriter csv{out};
    csv.row({"policy", "scenario", "horizon", "runs", "t", "regret_mean", "regret_p05",
             "regret_p95", "regret_se"});
    for (const auto& r : results)
        for (const auto& c : r.regret)
            csv.field(r.policy)
                .field(r.scenario.name)
                .field(r.config.horizon)
                .field(r.config.runs)
                .field(c.t)
                .field(c.mean)
                .field(c.p05)
                .field(c.p95)
                .field(c.stderr_mean)
                .end_row();
    out << '\n';
    csv.row({"policy", "scenario", "arm", "mean", "mean_after", "share", "final_share"});
    for (const auto& r : results)
        for (std::size_t a = 0; a < r.share.size(); ++a) {
            const auto& s = r.scenario;
            csv.field(r.policy)
                .field(s.name)
                .field(a)
                .field(s.means[a])
                .field(s.means_after.empty() ? s.means[a] : s.means_after[a])
                .field(r.share[a])
                .field(r.final_share[a])
                .end_row();
        }
}

void write_json(std::ostream& out, const augur::BanditScenario& scenario, const SimulateOptions& o,
                const std::vector<augur::SimulationResult>& results) {
    nlohmann::ordered_json doc;
    doc["scenario"] = {{"name", scenario.name}, {"means", scenario.means}};
    if (!scenario.means_after.empty()) {
        doc["scenario"]["means_after"] = scenario.means_after;
        doc["scenario"]["change_at"] = scenario.change_at;
    }
    doc["horizon"] = o.horizon;
    doc["runs"] = o.runs;
    doc["seed"] = o.seed;
    doc["results"] = nlohmann::ordered_json::array();
    for (const auto& r : results) {
        nlohmann::ordered_json item;
        item["policy"] = r.policy;
        item["seconds"] = r.seconds;
        item["regret"] = nlohmann::ordered_json::array();
        for (const auto& c : r.regret)
            item["regret"].push_back({{"t", c.t},
                                      {"mean", c.mean},
                                      {"p05", c.p05},
                                      {"p95", c.p95},
                                      {"se", c.stderr_mean}});
        item["arms"] = nlohmann::ordered_json::array();
        for (std::size_t a = 0; a < r.share.size(); ++a)
            item["arms"].push_back(
                {{"arm", a},
                 {"mean", scenario.means[a]},
                 {"mean_after",
                  scenario.means_after.empty() ? scenario.means[a] : scenario.means_after[a]},
                 {"share", r.share[a]},
                 {"final_share", r.final_share[a]}});
        doc["results"].push_back(std::move(item));
    }
    out << doc.dump(2) << '\n';
}

void run_simulate(const SimulateOptions& o) {
    // Everything is validated before any output (bad usage exits 2 with nothing written).
    const augur::BanditScenario scenario = scenario_of(o);
    augur::SimulationConfig config;
    config.horizon = o.horizon;
    config.runs = o.runs;
    config.seed = o.seed;
    config.threads = o.threads > 0 ? o.threads : std::max(1U, std::thread::hardware_concurrency());
    config.validate();
    augur::PolicyOptions policy;
    policy.gamma = o.gamma;
    policy.window = o.window;
    policy.epsilon = o.epsilon;
    if (o.sampling_share > 0.0) policy.sampling_share = o.sampling_share;
    policy.draws = o.draws;
    policy.exploration_floor = o.floor;
    policy.change.cusum.threshold = o.cusum_threshold;
    policy.change.cusum.warmup = o.cusum_warmup;
    policy.change.cusum.drift = o.cusum_drift;
    policy.change.validate();
    augur::RouterConfig{.exploration_floor = o.floor}.validate();
    (void)augur::Discounted(o.gamma);
    (void)augur::SlidingWindow(o.window);
    (void)augur::EpsilonGreedy(o.epsilon);
    if (o.sampling_share != 0.0) (void)augur::EpsilonThompsonSampling(o.sampling_share);
    (void)augur::EpsilonThompsonSampling::per_decision(o.draws);
    const std::vector<std::string> names = split(o.policy);
    const auto known = augur::bandit_policy_names();
    if (names.empty()) throw usage_error("--policy: no policy given");
    for (const std::string& name : names)
        if (std::find(known.begin(), known.end(), name) == known.end())
            throw usage_error("--policy: unknown policy '" + name +
                              "' (expected thompson, eps-ts, ucb1, kl-ucb, egreedy, uniform, "
                              "discounted-ts, sliding-ts or change-ts)");

    Output output{o.output};
    std::vector<augur::SimulationResult> results;
    Progress progress;
    for (const std::string& name : names) {
        config.on_progress = [&](std::size_t done, std::size_t runs) {
            progress.update("augur route simulate: " + name + ": runs", done, runs);
        };
        results.push_back(augur::simulate_policy(name, scenario, config, policy));
    }
    progress.clear();
    if (o.format == "json")
        write_json(output.stream(), scenario, o, results);
    else
        write_csv(output.stream(), results);
    output.finish();
}

} // namespace

void add_route_command(CLI::App& app) {
    CLI::App* route =
        app.add_subcommand("route", "Bandit routing: simulations of routing policies");
    route->require_subcommand(1);
    auto o = std::make_shared<SimulateOptions>();
    CLI::App* sim = route->add_subcommand(
        "simulate", "Cumulative regret and arm shares of routing policies on Bernoulli arms");
    sim->add_option("--arms", o->arms, "Success probability of each arm, e.g. 0.9,0.85,0.8,0.6")
        ->type_name("P,P,...");
    sim->add_option("--arms-after", o->arms_after,
                    "The arms' success probabilities after a change (with --arms)")
        ->type_name("P,P,...");
    sim->add_option("--change-at", o->change_at,
                    "When the change happens, as a fraction of the horizon (with --arms-after)")
        ->capture_default_str();
    sim->add_option("--scenario", o->scenario,
                    "Built-in scenario: routing (default), swap, degrade, improve, "
                    "chapelle-0.1, chapelle-0.02")
        ->check(CLI::IsMember(augur::bandit_scenario_names()));
    sim->add_option("--policy", o->policy,
                    "Policies, comma-separated: thompson, eps-ts, ucb1, kl-ucb, egreedy, "
                    "uniform, discounted-ts, sliding-ts, change-ts")
        ->capture_default_str();
    sim->add_option("--horizon", o->horizon, "Decisions per run")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    sim->add_option("--runs", o->runs, "Independent runs")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    sim->add_option("--seed", o->seed, "Seed; each run forks its own generators from it")
        ->capture_default_str();
    sim->add_option("--threads", o->threads,
                    "Worker threads (0: one per core); results do not depend on it")
        ->capture_default_str();
    sim->add_option("--gamma", o->gamma, "discounted-ts: discount per observation, in (0, 1]")
        ->capture_default_str();
    sim->add_option("--window", o->window, "sliding-ts: observations kept")->capture_default_str();
    sim->add_option("--epsilon", o->epsilon, "egreedy: exploration probability")
        ->capture_default_str();
    sim->add_option("--draws", o->draws,
                    "eps-ts: posterior draws per decision (epsilon = min(1, draws / K))")
        ->capture_default_str();
    sim->add_option("--sampling-share", o->sampling_share,
                    "eps-ts: a fixed probability of a posterior draw per arm, in (0, 1] "
                    "(0: use --draws)")
        ->capture_default_str();
    sim->add_option("--floor", o->floor, "Every policy: exploration floor in [0, 1)")
        ->capture_default_str();
    sim->add_option("--cusum-threshold", o->cusum_threshold,
                    "change-ts: Cusum threshold h (reference sd units)")
        ->capture_default_str();
    sim->add_option("--cusum-warmup", o->cusum_warmup,
                    "change-ts: rewards that estimate each arm's reference")
        ->capture_default_str();
    sim->add_option("--cusum-drift", o->cusum_drift, "change-ts: Cusum drift k (sd units)")
        ->capture_default_str();
    add_format_option(*sim, o->format, {"csv", "json"});
    add_output_option(*sim, o->output);
    sim->footer("Regret is pseudo-regret: the sum over decisions of the gap between the best\n"
                "arm's mean and the chosen arm's mean. CSV output has two tables separated by\n"
                "an empty line: regret at log-spaced checkpoints (t = 10, 20, 50, ..., horizon),\n"
                "then each arm's share of decisions over the run and over its last 10%.\n"
                "Examples:\n"
                "  augur route simulate --arms 0.9,0.85,0.8,0.6 --policy thompson,ucb1\n"
                "  augur route simulate --scenario swap --policy thompson,change-ts "
                "--horizon 100000\n"
                "  augur route simulate --scenario chapelle-0.1 --runs 500 --format json");
    sim->callback([o] { run_simulate(*o); });
}

} // namespace augur_tool
