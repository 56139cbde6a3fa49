#pragma once

// The commands of the `augur` tool. Each lives in its own <name>.cpp and registers itself as a
// CLI11 subcommand; main.cpp calls every add_<name>_command. To add a command, write
// <name>.cpp with its add_<name>_command, declare it here and call it from main.cpp.

#include <CLI/CLI.hpp>

namespace augur_tool {

/// augur summarize [FILE|-]: per-series count, mean, sd, min, p50, p95, p99, max.
void add_summarize_command(CLI::App& app);

/// augur detect [FILE|-]: per-sample anomaly scores and flagged anomalies (detect.cpp).
void add_detect_command(CLI::App& app);

/// augur outliers FILE: per-row outlier scores for a feature table (outliers.cpp).
void add_outliers_command(CLI::App& app);

/// augur route simulate: bandit routing simulation (route.cpp).
void add_route_command(CLI::App& app);

/// augur demo: the end-to-end workflow on the embedded agent-fleet data set.
void add_demo_command(CLI::App& app);

} // namespace augur_tool
