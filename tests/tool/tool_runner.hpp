#pragma once

// Runs the built `augur` binary for the tool tests and captures what it printed.
// The binary is $AUGUR_TOOL when set, else the one CMake built (AUGUR_TOOL_PATH).

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace augur_test {

/// The augur binary under test.
inline std::string tool_path() {
    if (const char* env = std::getenv("AUGUR_TOOL")) return env;
    return AUGUR_TOOL_PATH;
}

/// `text` quoted for the POSIX shell.
inline std::string quote(const std::string& text) {
    std::string out = "'";
    for (char c : text)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

/// The whole content of a file (empty when it cannot be read).
inline std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// A scratch directory for this test process, removed at exit.
inline const std::filesystem::path& scratch() {
    static const struct Dir {
        std::filesystem::path path;
        Dir()
            : path(std::filesystem::temp_directory_path() /
                   ("augur_tool_test_" + std::to_string(::getpid()))) {
            std::filesystem::create_directories(path);
        }
        ~Dir() {
            std::error_code ec;
            std::filesystem::remove_all(path, ec);
        }
    } dir;
    return dir.path;
}

/// What one run of the tool did.
struct Run {
    int status = -1;
    std::string out;
    std::string err;
};

/// Runs `augur <args>` (args are passed to the shell as written), optionally with standard
/// input from a file.
inline Run run_tool(const std::string& args, const std::string& stdin_path = {}) {
    const std::filesystem::path out = scratch() / "stdout.txt";
    const std::filesystem::path err = scratch() / "stderr.txt";
    std::string command =
        quote(tool_path()) + " " + args + " >" + quote(out.string()) + " 2>" + quote(err.string());
    if (!stdin_path.empty()) command += " <" + quote(stdin_path);
    const int raw = std::system(command.c_str());
    REQUIRE(raw != -1);
    REQUIRE(WIFEXITED(raw));
    return {WEXITSTATUS(raw), slurp(out), slurp(err)};
}

/// The lines of a text, without their line ends.
inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

} // namespace augur_test
