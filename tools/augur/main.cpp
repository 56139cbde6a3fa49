// augur: the command-line tool, a thin main over the library.
// Exit status: 0 success, 1 bad data (malformed or unreadable input), 2 bad usage.

#include "commands.hpp"
#include "common.hpp"

#include <augur/version.hpp>

#include <CLI/CLI.hpp>

#include <ios>
#include <string>

int main(int argc, char** argv) {
    std::ios::sync_with_stdio(false);

    CLI::App app{"augur: analytics for the metric streams of agent systems and services.", "augur"};
    app.set_version_flag("--version", std::string("augur ") + augur::version_string,
                         "Print the version and exit");
    app.require_subcommand(1);
    app.footer("Examples:\n"
               "  augur demo\n"
               "  augur demo --emit-data -o fleet.csv && augur summarize fleet.csv\n"
               "Run 'augur COMMAND --help' for the options of a command.\n"
               "Exit status: 0 success, 1 bad data, 2 bad usage.");

    augur_tool::add_summarize_command(app);
    augur_tool::add_detect_command(app);
    augur_tool::add_outliers_command(app);
    augur_tool::add_route_command(app);
    augur_tool::add_demo_command(app);

    return augur_tool::run(app, argc, argv);
}
