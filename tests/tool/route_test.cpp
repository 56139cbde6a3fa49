// Tests of `augur route simulate`: run the built binary, check its output against the library.

#include <augur/routing/simulate.hpp>

#include <catch2/catch.hpp>

#include "tool_runner.hpp"
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;

augur_test::Run route(const std::string& args) {
    return augur_test::run_tool("route " + args);
}

std::vector<std::vector<std::string>> csv_rows(const std::string& block) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(block);
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> row;
        std::istringstream fields(line);
        std::string field;
        while (std::getline(fields, field, ','))
            row.push_back(field);
        rows.push_back(row);
    }
    return rows;
}

} // namespace

TEST_CASE("augur route simulate prints regret and shares as CSV", "[tool][route]") {
    const auto run = route("simulate --arms 0.9,0.85,0.8,0.6 --policy thompson,ucb1 "
                           "--horizon 2000 --runs 30 --seed 4");
    REQUIRE(run.status == 0);
    const auto split = run.out.find("\n\n");
    REQUIRE(split != std::string::npos);
    const auto regret = csv_rows(run.out.substr(0, split + 1));
    const auto shares = csv_rows(run.out.substr(split + 2));
    REQUIRE(regret.size() == 1 + 2 * 8); // header + checkpoints 10 .. 2000 per policy
    CHECK(regret[0] == std::vector<std::string>{"policy", "scenario", "horizon", "runs", "t",
                                                "regret_mean", "regret_p05", "regret_p95",
                                                "regret_se"});
    CHECK(regret[8][4] == "2000");
    for (std::size_t i = 1; i < regret.size(); ++i) {
        const double mean = std::stod(regret[i][5]);
        CHECK(std::stod(regret[i][6]) <= mean);
        CHECK(mean <= std::stod(regret[i][7]));
    }
    // The same numbers as the library.
    augur::SimulationConfig config;
    config.horizon = 2000;
    config.runs = 30;
    config.seed = 4;
    const auto expected =
        augur::simulate_policy("thompson", augur::bandit_scenario("routing"), config);
    CHECK(std::stod(regret[8][5]) == Approx(expected.regret.back().mean).epsilon(1e-12));
    CHECK(std::stod(regret[16][5]) > std::stod(regret[8][5])); // ucb1 regrets more
    REQUIRE(shares.size() == 1 + 2 * 4);
    CHECK(shares[0] == std::vector<std::string>{"policy", "scenario", "arm", "mean", "mean_after",
                                                "share", "final_share"});
    double total = 0.0;
    for (std::size_t i = 1; i <= 4; ++i)
        total += std::stod(shares[i][5]);
    CHECK(total == Approx(1.0));
}

TEST_CASE("augur route simulate JSON, scenarios and determinism", "[tool][route]") {
    const auto a = route("simulate --scenario swap --policy change-ts --horizon 4000 --runs 8 "
                         "--format json --threads 1");
    const auto b = route("simulate --scenario swap --policy change-ts --horizon 4000 --runs 8 "
                         "--format json --threads 2");
    REQUIRE(a.status == 0);
    REQUIRE(b.status == 0);
    const auto doc = nlohmann::json::parse(a.out);
    const auto other = nlohmann::json::parse(b.out);
    CHECK(doc["scenario"]["name"] == "swap");
    CHECK(doc["scenario"]["means_after"].size() == 4);
    REQUIRE(doc["results"].size() == 1);
    const auto& result = doc["results"][0];
    CHECK(result["policy"] == "change-ts");
    CHECK(result["regret"].back()["t"] == 4000);
    CHECK(result["regret"] == other["results"][0]["regret"]); // threads do not matter
    CHECK(result["arms"][3]["mean_after"] == 0.9);
}

TEST_CASE("augur route reports bad usage with exit status 2", "[tool][route]") {
    for (const std::string args :
         {"simulate --arms 0.9,1.5", "simulate --arms 0.9,abc", "simulate --policy nope",
          "simulate --scenario nope", "simulate --scenario swap --arms 0.5,0.6",
          "simulate --arms-after 0.5", "simulate --arms 0.5,0.6 --arms-after 0.5",
          "simulate --gamma 0", "simulate --window 0 --policy sliding-ts", "simulate --runs 0",
          "simulate --floor 1", "simulate --cusum-warmup 1", ""}) {
        INFO(args);
        const auto run = route(args);
        CHECK(run.status == 2);
        CHECK(run.out.empty());
        CHECK(run.err.rfind("augur: ", 0) == 0);
    }
    const auto help = route("simulate --help");
    CHECK(help.status == 0);
    CHECK(help.out.find("Examples:") != std::string::npos);
}
