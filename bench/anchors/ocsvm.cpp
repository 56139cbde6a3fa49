// anchor_ocsvm: fits augur::OneClassSvm on a CSV feature table and reports the fit time, for
// bench/anchors/ocsvm_vs_sklearn.sh, which runs scikit-learn on the same file.
//
//   anchor_ocsvm FILE [--nu 0.1] [--gamma G] [--kernel rbf|linear] [--label-last] [--scale]
//                [--repeat N] [--decision-out OUT]
//
// FILE: CSV with a header row, numeric columns (--label-last drops the last one). --scale
// standardizes the features first (augur::StandardScaler). Prints one line of key=value pairs:
// the median wall-clock and CPU fit times over N fits (scaling not included), iterations,
// support vectors, rho.
// --decision-out writes the decision value of every row, one per line.

#include <augur/anomaly/one_class_svm.hpp>
#include <augur/core/scaler.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <time.h>
#include <vector>

namespace {

Eigen::MatrixXd read_csv(const std::string& path, bool label_last) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::string line;
    std::getline(in, line); // header
    std::vector<double> values;
    Eigen::Index cols = -1;
    Eigen::Index rows = 0;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        Eigen::Index count = 0;
        std::string_view rest(line);
        for (;;) {
            const auto comma = rest.find(',');
            const std::string_view field = rest.substr(0, comma);
            double value = 0.0;
            const auto result = std::from_chars(field.data(), field.data() + field.size(), value);
            if (result.ec != std::errc()) {
                std::string message = path;
                message.append(": bad number '").append(field).append("'");
                throw std::runtime_error(message);
            }
            values.push_back(value);
            ++count;
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
        if (cols >= 0 && count != cols) throw std::runtime_error(path + ": ragged row");
        cols = count;
        ++rows;
    }
    if (rows == 0) throw std::runtime_error(path + ": no data rows");
    Eigen::MatrixXd all =
        Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            values.data(), rows, cols);
    return label_last ? Eigen::MatrixXd(all.leftCols(cols - 1)) : all;
}

// CPU time of this process: on a busy machine steadier than the wall clock.
double cpu_time() {
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

template <class Svm>
int run(Svm svm, const Eigen::MatrixXd& x, int repeat, const std::string& decision_out) {
    std::vector<double> seconds;
    std::vector<double> cpu_seconds;
    for (int r = 0; r < repeat; ++r) {
        const auto start = std::chrono::steady_clock::now();
        const double cpu_start = cpu_time();
        svm.fit(x);
        cpu_seconds.push_back(cpu_time() - cpu_start);
        seconds.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(seconds.begin(), seconds.end());
    std::sort(cpu_seconds.begin(), cpu_seconds.end());
    std::printf("fit_seconds=%.6f fit_cpu_seconds=%.6f iterations=%zu n_sv=%zu rho=%.10g "
                "gamma=%.10g\n",
                seconds[seconds.size() / 2], cpu_seconds[cpu_seconds.size() / 2], svm.iterations(),
                svm.support().size(), svm.rho(), svm.gamma());
    if (!decision_out.empty()) {
        const Eigen::VectorXd d = svm.decision_function(x);
        std::FILE* out = std::fopen(decision_out.c_str(), "w");
        if (!out) throw std::runtime_error("cannot write " + decision_out);
        for (Eigen::Index i = 0; i < d.size(); ++i)
            std::fprintf(out, "%.17g\n", d[i]);
        std::fclose(out);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        std::string file;
        std::string kernel = "rbf";
        std::string decision_out;
        augur::OneClassSvmConfig config;
        config.nu = 0.1;
        bool label_last = false;
        bool scale = false;
        int repeat = 1;
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            auto value = [&]() -> std::string {
                if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
                return argv[++i];
            };
            if (arg == "--nu")
                config.nu = std::stod(value());
            else if (arg == "--gamma")
                config.gamma = std::stod(value());
            else if (arg == "--kernel")
                kernel = value();
            else if (arg == "--label-last")
                label_last = true;
            else if (arg == "--scale")
                scale = true;
            else if (arg == "--repeat")
                repeat = std::max(1, std::stoi(value()));
            else if (arg == "--decision-out")
                decision_out = value();
            else if (!arg.empty() && arg[0] != '-' && file.empty())
                file = arg;
            else
                throw std::runtime_error("unknown argument " + arg);
        }
        if (file.empty()) throw std::runtime_error("usage: anchor_ocsvm FILE [options]");
        Eigen::MatrixXd x = read_csv(file, label_last);
        if (scale) x = augur::StandardScaler().fit_transform(x);
        if (kernel == "rbf") return run(augur::OneClassSvm<>(config), x, repeat, decision_out);
        if (kernel == "linear")
            return run(augur::LinearOneClassSvm(config), x, repeat, decision_out);
        throw std::runtime_error("unknown kernel " + kernel);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "anchor_ocsvm: %s\n", e.what());
        return 1;
    }
}
