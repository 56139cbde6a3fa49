// anchor_iforest: augur's side of bench/anchors/iforest_vs_sklearn.sh.
//
//   anchor_iforest generate ROWS COLS SEED OUT.npy   write a float64 .npy (C order): 99% of
//                                                    rows N(0, I), 1% uniform in [-8, 8]^d
//   anchor_iforest time FILE.npy REPEATS [THREADS]   fit + score every row (100 trees,
//                                                    max_samples 256), print the median seconds
//   anchor_iforest odds DIR SEEDS                    mean/sd ROC AUC over seeds 0..SEEDS-1 for
//                                                    DIR/{breastw,cardio,thyroid}.csv
// Output lines are "key value..." for the script to read.

#include <augur/anomaly/evaluation.hpp>
#include <augur/anomaly/isolation_forest.hpp>
#include <augur/core/io/csv.hpp>
#include <augur/core/random.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

void write_npy(const std::string& path, const std::vector<double>& row_major, std::size_t rows,
               std::size_t cols) {
    std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" +
                         std::to_string(rows) + ", " + std::to_string(cols) + "), }";
    // magic (6) + version (2) + length (2) + header, padded with spaces to 64 bytes, ends '\n'.
    const std::size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
    header.append(total - 10 - header.size() - 1, ' ');
    header += '\n';
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    const auto length = static_cast<std::uint16_t>(header.size());
    const char length_bytes[2] = {static_cast<char>(length & 0xFF), static_cast<char>(length >> 8)};
    out.write(length_bytes, 2);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    static_assert(std::endian::native == std::endian::little, "the .npy writer is little-endian");
    out.write(reinterpret_cast<const char*>(row_major.data()),
              static_cast<std::streamsize>(row_major.size() * sizeof(double)));
    if (!out) throw std::runtime_error("cannot write " + path);
}

// Reads a float64, C-order, 2-D .npy (what write_npy and numpy.save write) into a matrix.
Eigen::MatrixXd read_npy(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char magic[10];
    in.read(magic, 10);
    if (!in || std::memcmp(magic, "\x93NUMPY", 6) != 0 || magic[6] != 1)
        throw std::runtime_error(path + ": not a version-1 .npy file");
    const std::size_t length =
        static_cast<unsigned char>(magic[8]) |
        (static_cast<std::size_t>(static_cast<unsigned char>(magic[9])) << 8);
    std::string header(length, '\0');
    in.read(header.data(), static_cast<std::streamsize>(length));
    if (header.find("'<f8'") == std::string::npos ||
        header.find("'fortran_order': False") == std::string::npos)
        throw std::runtime_error(path + ": expected float64 in C order");
    const std::size_t open = header.find('(', header.find("'shape'"));
    std::size_t rows = 0;
    std::size_t cols = 0;
    if (std::sscanf(header.c_str() + open, "(%zu, %zu)", &rows, &cols) != 2)
        throw std::runtime_error(path + ": expected a 2-D array");
    std::vector<double> data(rows * cols);
    in.read(reinterpret_cast<char*>(data.data()),
            static_cast<std::streamsize>(data.size() * sizeof(double)));
    if (!in) throw std::runtime_error(path + ": truncated");
    Eigen::MatrixXd x(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c)
            x(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = data[r * cols + c];
    return x;
}

int generate(std::size_t rows, std::size_t cols, std::uint64_t seed, const std::string& path) {
    augur::Rng rng{seed};
    std::vector<double> data(rows * cols);
    for (std::size_t r = 0; r < rows; ++r) {
        const bool outlier = augur::uniform01(rng) < 0.01;
        for (std::size_t c = 0; c < cols; ++c)
            data[r * cols + c] = outlier ? augur::uniform(rng, -8.0, 8.0) : augur::normal(rng);
    }
    write_npy(path, data, rows, cols);
    std::cout << "generated " << rows << " " << cols << "\n";
    return 0;
}

int time_fit_score(const std::string& path, int repeats, std::size_t threads) {
    const Eigen::MatrixXd x = read_npy(path);
    std::vector<double> seconds;
    std::vector<double> cpu_seconds;
    double checksum = 0.0;
    for (int r = 0; r < repeats; ++r) {
        const std::clock_t cpu_start = std::clock();
        const auto start = std::chrono::steady_clock::now();
        augur::IsolationForest<> forest{{.trees = 100,
                                         .max_samples = 256,
                                         .seed = static_cast<std::uint64_t>(r),
                                         .threads = threads}};
        forest.fit(x);
        const Eigen::VectorXd s = forest.score(x);
        const auto stop = std::chrono::steady_clock::now();
        seconds.push_back(std::chrono::duration<double>(stop - start).count());
        cpu_seconds.push_back(static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC);
        checksum = s.mean();
    }
    std::sort(seconds.begin(), seconds.end());
    std::sort(cpu_seconds.begin(), cpu_seconds.end());
    std::cout << "rows " << x.rows() << "\ncols " << x.cols() << "\nmedian_seconds "
              << seconds[seconds.size() / 2] << "\nmedian_cpu_seconds "
              << cpu_seconds[cpu_seconds.size() / 2] << "\nmin_seconds " << seconds.front()
              << "\nmean_score " << checksum << "\n";
    return 0;
}

int odds(const std::filesystem::path& dir, int seeds) {
    for (const char* name : {"breastw", "cardio", "thyroid"}) {
        const auto file = dir / (std::string(name) + ".csv");
        std::ifstream in(file);
        if (!in) {
            std::cout << "missing " << name << "\n";
            continue;
        }
        augur::io::CsvParser csv{in, file.string()};
        augur::io::CsvRecord record;
        csv.next(record); // header
        std::vector<double> values;
        std::vector<int> labels;
        std::size_t cols = 0;
        while (csv.next(record)) {
            cols = record.size() - 1;
            for (std::size_t i = 0; i < cols; ++i)
                values.push_back(augur::io::parse_double(record[i]).value());
            labels.push_back(static_cast<int>(augur::io::parse_double(record[cols]).value()));
        }
        Eigen::MatrixXd x(static_cast<Eigen::Index>(labels.size()),
                          static_cast<Eigen::Index>(cols));
        for (std::size_t r = 0; r < labels.size(); ++r)
            for (std::size_t c = 0; c < cols; ++c)
                x(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) =
                    values[r * cols + c];
        std::vector<double> aucs;
        for (int seed = 0; seed < seeds; ++seed) {
            augur::IsolationForest<> forest{
                {.trees = 100, .max_samples = 256, .seed = static_cast<std::uint64_t>(seed)}};
            const Eigen::VectorXd s = forest.fit(x).score(x);
            aucs.push_back(augur::roc_auc({s.data(), static_cast<std::size_t>(s.size())}, labels));
        }
        double mean = 0.0;
        for (double a : aucs)
            mean += a;
        mean /= static_cast<double>(aucs.size());
        double var = 0.0;
        for (double a : aucs)
            var += (a - mean) * (a - mean);
        const double sd =
            aucs.size() > 1 ? std::sqrt(var / static_cast<double>(aucs.size() - 1)) : 0.0;
        std::printf("auc %s %.4f %.4f\n", name, mean, sd);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        const std::string mode = argc > 1 ? argv[1] : "";
        if (mode == "generate" && argc == 6)
            return generate(std::stoul(argv[2]), std::stoul(argv[3]), std::stoull(argv[4]),
                            argv[5]);
        if (mode == "time" && (argc == 4 || argc == 5))
            return time_fit_score(argv[2], std::stoi(argv[3]), argc == 5 ? std::stoul(argv[4]) : 1);
        if (mode == "odds" && argc == 4) return odds(argv[2], std::stoi(argv[3]));
        std::cerr << "usage: anchor_iforest generate ROWS COLS SEED OUT.npy\n"
                     "       anchor_iforest time FILE.npy REPEATS [THREADS]\n"
                     "       anchor_iforest odds DIR SEEDS\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "anchor_iforest: " << e.what() << "\n";
        return 1;
    }
}
