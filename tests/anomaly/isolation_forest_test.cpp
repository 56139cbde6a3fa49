#include <augur/anomaly/evaluation.hpp>
#include <augur/anomaly/isolation_forest.hpp>
#include <augur/core/batch_model.hpp>
#include <augur/core/random.hpp>
#include <augur/datasets/blobs.hpp>

#include <catch2/catch.hpp>

#include "archive_support.hpp"
#include "shared_data.hpp"
#include "support.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <span>
#include <sstream>
#include <string>
#include <vector>

// Every member of both default instantiations compiles.
template class augur::IsolationForest<augur::AxisParallel>;
template class augur::IsolationForest<augur::Extended>;

namespace {

using augur::Extended;
using augur::IsolationForest;
using augur::IsolationForestConfig;

Eigen::MatrixXd gaussian(std::size_t rows, std::size_t cols, std::uint64_t seed) {
    augur::Rng rng{seed};
    Eigen::MatrixXd X(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    for (Eigen::Index i = 0; i < X.size(); ++i)
        X.data()[i] = augur::normal(rng);
    return X;
}

template <class Vector>
bool identical(const Vector& a, const Vector& b) {
    if (a.size() != b.size()) return false;
    for (Eigen::Index i = 0; i < a.size(); ++i)
        if (a(i) != b(i)) return false;
    return true;
}

// Blobs with `planted` far-away points appended at the end (rows n .. n + planted - 1).
Eigen::MatrixXd blobs_with_outliers(std::uint64_t seed, std::size_t planted) {
    const auto blobs = augur::make_blobs(
        {.samples = 400, .features = 3, .centers = 3, .cluster_std = 1.0, .seed = seed});
    Eigen::MatrixXd X(blobs.points.rows() + static_cast<Eigen::Index>(planted), 3);
    X.topRows(blobs.points.rows()) = blobs.points;
    augur::Rng rng{seed + 1000};
    for (std::size_t k = 0; k < planted; ++k) {
        const Eigen::Index row = blobs.points.rows() + static_cast<Eigen::Index>(k);
        for (Eigen::Index j = 0; j < 3; ++j)
            X(row, j) = (augur::uniform01(rng) < 0.5 ? -1.0 : 1.0) * augur::uniform(rng, 25, 40);
    }
    return X;
}

std::vector<std::size_t> top_rows(const Eigen::VectorXd& scores, std::size_t k) {
    std::vector<std::size_t> order(static_cast<std::size_t>(scores.size()));
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](std::size_t a, std::size_t b) {
                          return scores(static_cast<Eigen::Index>(a)) >
                                 scores(static_cast<Eigen::Index>(b));
                      });
    order.resize(k);
    std::sort(order.begin(), order.end());
    return order;
}

std::string saved(const auto& forest) {
    std::ostringstream out;
    forest.save(out);
    return out.str();
}

template <class Forest>
Forest loaded(const std::string& bytes) {
    std::istringstream in(bytes);
    return Forest::load(in);
}

} // namespace

TEST_CASE("average_path_length: known values", "[anomaly][isolation_forest]") {
    CHECK(augur::average_path_length(0) == 0.0);
    CHECK(augur::average_path_length(1) == 0.0);
    CHECK(augur::average_path_length(2) == 1.0);
    // 2 (ln(n - 1) + Euler's gamma) - 2 (n - 1) / n, evaluated independently (Python).
    CHECK(augur::average_path_length(3) == Approx(1.207392357589623).epsilon(1e-13));
    CHECK(augur::average_path_length(10) == Approx(3.748880484475505).epsilon(1e-13));
    CHECK(augur::average_path_length(256) == Approx(10.244770920119917).epsilon(1e-13));
    // For large n the approximation tracks the exact 2 H(n - 1) - 2 (n - 1) / n.
    for (std::size_t n : {100u, 1000u, 10000u}) {
        double harmonic = 0.0;
        for (std::size_t i = 1; i < n; ++i)
            harmonic += 1.0 / static_cast<double>(i);
        const double exact =
            2.0 * harmonic - 2.0 * static_cast<double>(n - 1) / static_cast<double>(n);
        CHECK(augur::average_path_length(n) == Approx(exact).margin(2.0 / static_cast<double>(n)));
    }
}

TEST_CASE("IsolationForestConfig: validation names the field", "[anomaly][isolation_forest]") {
    using Catch::Matchers::Contains;
    CHECK_NOTHROW(IsolationForestConfig{}.validate());
    CHECK_THROWS_WITH(IsolationForest<>({.trees = 0}), Contains("trees"));
    CHECK_THROWS_WITH(IsolationForest<>({.max_samples = 1}), Contains("max_samples"));
    CHECK_THROWS_WITH(IsolationForest<>({.contamination = 0.6}), Contains("contamination"));
    CHECK_THROWS_WITH(IsolationForest<>({.contamination = -0.1}), Contains("contamination"));
    CHECK_THROWS_AS(IsolationForest<>({.contamination = std::nan("")}), augur::invalid_argument);
    CHECK_THROWS_WITH(IsolationForest<>({.threads = 5000}), Contains("threads"));
    CHECK_NOTHROW(IsolationForest<>({.contamination = 0.5}));
    CHECK_NOTHROW(IsolationForest<>({.threads = 0}));
}

TEST_CASE("IsolationForest: known answers on tiny data", "[anomaly][isolation_forest]") {
    SECTION("two distinct rows: every path has length 1 = c(2), so s = 0.5") {
        Eigen::MatrixXd X(2, 3);
        X << 0, 1, 2, 5, 1, 7;
        IsolationForest<> forest{{.seed = 3}};
        forest.fit(X);
        CHECK(forest.sample_size() == 2);
        const Eigen::VectorXd s = forest.score(X);
        CHECK(s(0) == Approx(0.5).epsilon(1e-15));
        CHECK(s(1) == Approx(0.5).epsilon(1e-15));
        Eigen::MatrixXd far(1, 3);
        far << 100, -100, 100;
        CHECK(forest.score(far)(0) == Approx(0.5).epsilon(1e-15));
    }
    SECTION("identical rows: single-leaf trees with h = c(psi), so s = 0.5") {
        const Eigen::MatrixXd X = Eigen::MatrixXd::Constant(300, 2, 4.25);
        for (auto* policy : {"axis", "extended"}) {
            INFO(policy);
            Eigen::VectorXd s;
            if (std::string(policy) == "axis")
                s = IsolationForest<>{}.fit(X).score(X);
            else
                s = IsolationForest<Extended>{}.fit(X).score(X);
            for (Eigen::Index i = 0; i < s.size(); ++i)
                REQUIRE(s(i) == Approx(0.5).epsilon(1e-13));
        }
    }
}

TEST_CASE("IsolationForest: mean scores match those of scikit-learn",
          "[anomaly][isolation_forest]") {
    // 40 points on a curve plus one outlier; scikit-learn 1.2.1, IsolationForest(
    // n_estimators=100, random_state=s) for s in 0..199, mean of -score_samples:
    // rows 0, 7, 40 -> 0.48880624, 0.47914739, 0.83482010; over all rows 0.49929379
    // (per-seed sd about 0.007). Different generators, same distribution.
    Eigen::MatrixXd X(41, 2);
    for (int i = 0; i < 40; ++i) {
        X(i, 0) = 3.0 * std::sin(i);
        X(i, 1) = 2.0 * std::cos(1.7 * i);
    }
    X(40, 0) = 8.0;
    X(40, 1) = 8.0;
    Eigen::VectorXd mean = Eigen::VectorXd::Zero(41);
    const int seeds = 100;
    for (int seed = 0; seed < seeds; ++seed)
        mean += IsolationForest<>{{.seed = static_cast<std::uint64_t>(seed)}}.fit(X).score(X);
    mean /= seeds;
    CHECK(mean(0) == Approx(0.48880624).margin(0.004));
    CHECK(mean(7) == Approx(0.47914739).margin(0.004));
    CHECK(mean(40) == Approx(0.83482010).margin(0.004));
    CHECK(mean.mean() == Approx(0.49929379).margin(0.002));
}

TEST_CASE("IsolationForest: deterministic per seed and different across seeds",
          "[anomaly][isolation_forest]") {
    const Eigen::MatrixXd X = gaussian(600, 4, 11);
    const Eigen::VectorXd a = IsolationForest<>{{.seed = 5}}.fit(X).score(X);
    const Eigen::VectorXd b = IsolationForest<>{{.seed = 5}}.fit(X).score(X);
    const Eigen::VectorXd c = IsolationForest<>{{.seed = 6}}.fit(X).score(X);
    CHECK(identical(a, b));
    CHECK_FALSE(identical(a, c));
    CHECK((a - c).cwiseAbs().maxCoeff() > 1e-3);
    const Eigen::VectorXd e1 = IsolationForest<Extended>{{.seed = 5}}.fit(X).score(X);
    const Eigen::VectorXd e2 = IsolationForest<Extended>{{.seed = 5}}.fit(X).score(X);
    const Eigen::VectorXd e3 = IsolationForest<Extended>{{.seed = 9}}.fit(X).score(X);
    CHECK(identical(e1, e2));
    CHECK_FALSE(identical(e1, e3));
    CHECK_FALSE(identical(a, e1));
}

TEST_CASE("IsolationForest: same result for any thread count", "[anomaly][isolation_forest]") {
    // Enough rows that scoring is split across threads too.
    const Eigen::MatrixXd X = gaussian(9000, 3, 2);
    const Eigen::MatrixXd Y = gaussian(100, 3, 3) * 2.0;
    IsolationForest<> reference{{.trees = 37, .seed = 4}};
    const Eigen::VectorXd one = reference.fit(X).score(X);
    for (std::size_t threads : {2u, 3u, 0u}) {
        INFO("threads = " << threads);
        IsolationForest<> forest{{.trees = 37, .seed = 4, .threads = threads}};
        forest.fit(X);
        CHECK(identical(forest.score(X), one));
        CHECK(forest.node_count() == reference.node_count());
        CHECK(identical(forest.score(Y), reference.score(Y)));
    }
    const Eigen::VectorXd ext1 =
        IsolationForest<Extended>{{.trees = 20, .seed = 4}}.fit(X).score(X);
    const Eigen::VectorXd ext3 =
        IsolationForest<Extended>{{.trees = 20, .seed = 4, .threads = 3}}.fit(X).score(X);
    CHECK(identical(ext1, ext3));
}

TEST_CASE("IsolationForest: planted outliers score highest", "[anomaly][isolation_forest]") {
    const std::size_t planted = 8;
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
        INFO("seed = " << seed);
        const Eigen::MatrixXd X = blobs_with_outliers(seed, planted);
        const auto n = static_cast<std::size_t>(X.rows());
        std::vector<std::size_t> expected(planted);
        std::iota(expected.begin(), expected.end(), n - planted);

        IsolationForest<> axis{{.seed = seed}};
        const Eigen::VectorXd s = axis.fit(X).score(X);
        CHECK(top_rows(s, planted) == expected);
        IsolationForest<Extended> extended{{.seed = seed}};
        const Eigen::VectorXd e = extended.fit(X).score(X);
        CHECK(top_rows(e, planted) == expected);
        for (std::size_t k = n - planted; k < n; ++k) {
            CHECK(s(static_cast<Eigen::Index>(k)) > 0.6);
            CHECK(e(static_cast<Eigen::Index>(k)) > 0.6);
        }
    }
}

TEST_CASE("IsolationForest: scores lie in the unit interval and follow scikit-learn conventions",
          "[anomaly][isolation_forest]") {
    for (std::uint64_t seed = 0; seed < 10; ++seed) {
        const Eigen::MatrixXd X = gaussian(300 + 50 * seed, 1 + seed % 5, seed);
        IsolationForest<> forest{{.trees = 30, .max_samples = 64, .seed = seed}};
        forest.fit(X);
        CHECK(forest.offset() == -0.5);
        const Eigen::VectorXd s = forest.score(X);
        CHECK(s.minCoeff() > 0.0);
        CHECK(s.maxCoeff() <= 1.0);
        CHECK(identical(forest.score_samples(X), Eigen::VectorXd(-s)));
        const Eigen::VectorXd decision = forest.decision_function(X);
        const Eigen::VectorXi labels = forest.predict(X);
        for (Eigen::Index i = 0; i < s.size(); ++i) {
            REQUIRE(decision(i) == -s(i) + 0.5);
            REQUIRE(labels(i) == (s(i) > 0.5 ? -1 : 1));
        }
        // Far points score higher than the center.
        Eigen::MatrixXd probe = Eigen::MatrixXd::Zero(2, X.cols());
        probe.row(1).setConstant(50.0);
        const Eigen::VectorXd p = forest.score(probe);
        CHECK(p(1) > p(0));
    }
}

TEST_CASE("IsolationForest: contamination sets the offset to a percentile",
          "[anomaly][isolation_forest]") {
    const Eigen::MatrixXd X = gaussian(1000, 4, 21);
    for (double contamination : {0.01, 0.1, 0.25, 0.5}) {
        INFO("contamination = " << contamination);
        IsolationForest<> forest{{.contamination = contamination, .seed = 2}};
        forest.fit(X);
        // numpy.percentile(score_samples, 100 * contamination), linear interpolation.
        const Eigen::VectorXd samples = forest.score_samples(X);
        std::vector<double> sorted(samples.data(), samples.data() + samples.size());
        std::sort(sorted.begin(), sorted.end());
        const double position = contamination * 999.0;
        const auto lo = static_cast<std::size_t>(position);
        const double expected =
            sorted[lo] + (position - static_cast<double>(lo)) *
                             (sorted[std::min<std::size_t>(lo + 1, 999)] - sorted[lo]);
        CHECK(forest.offset() == Approx(expected).epsilon(1e-12));
        const Eigen::VectorXi labels = forest.predict(X);
        const auto outliers = std::count(labels.data(), labels.data() + labels.size(), -1);
        // Scores below the interpolated percentile: floor(q (n - 1)) + 1 of them when the
        // neighbouring scores are distinct.
        CHECK(outliers == static_cast<long>(lo) + 1);
    }
}

TEST_CASE("IsolationForest: max_samples is clipped to the rows", "[anomaly][isolation_forest]") {
    const Eigen::MatrixXd X = gaussian(50, 2, 1);
    IsolationForest<> forest;
    CHECK_FALSE(forest.fitted());
    forest.fit(X);
    CHECK(forest.fitted());
    CHECK(forest.sample_size() == 50);
    CHECK(forest.n_features() == 2);
    CHECK(forest.node_count() >= 100);
    IsolationForest<> small{{.max_samples = 16}};
    CHECK(small.fit(X).sample_size() == 16);
}

TEST_CASE("IsolationForest: bad input", "[anomaly][isolation_forest]") {
    using Catch::Matchers::Contains;
    Eigen::MatrixXd X = gaussian(20, 3, 3);
    X(7, 2) = std::nan("");
    CHECK_THROWS_AS(IsolationForest<>{}.fit(X), augur::data_error);
    CHECK_THROWS_WITH(IsolationForest<>{}.fit(X), Contains("NaN at row 8, column 3"));
    X(7, 2) = -std::numeric_limits<double>::infinity();
    CHECK_THROWS_WITH(IsolationForest<>{}.fit(X), Contains("infinite value at row 8, column 3"));
    CHECK_THROWS_AS(IsolationForest<>{}.fit(gaussian(1, 3, 1)), augur::data_error);
    CHECK_THROWS_AS(IsolationForest<>{}.fit(Eigen::MatrixXd(0, 3)), augur::data_error);
    CHECK_THROWS_AS(IsolationForest<>{}.fit(Eigen::MatrixXd(10, 0)), augur::data_error);
    IsolationForest<Extended> too_extended{{}, Extended{3}};
    CHECK_THROWS_AS(too_extended.fit(gaussian(10, 3, 1)), augur::invalid_argument);
    IsolationForest<Extended> extended{{}, Extended{2}};
    CHECK_NOTHROW(extended.fit(gaussian(10, 3, 1)));

    IsolationForest<> unfitted;
    CHECK_THROWS_AS(unfitted.score(gaussian(5, 3, 1)), augur_test::AssertionFailure);
    IsolationForest<> forest;
    forest.fit(gaussian(100, 3, 1));
    CHECK_THROWS_AS(forest.score(gaussian(5, 4, 1)), augur_test::AssertionFailure);
    Eigen::MatrixXd bad = gaussian(5, 3, 1);
    bad(4, 0) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_WITH(forest.score(bad),
                      Contains("infinite value at row 5, column 1")); // 1-based, as OneClassSvm
    bad(4, 0) = 0.0;
    bad(1, 2) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH(forest.score(bad), Contains("NaN at row 2, column 3"));
    CHECK_THROWS_WITH(IsolationForest<>{}.fit(bad), Contains("IsolationForest::fit: NaN at row 2"));
    CHECK(forest.score(Eigen::MatrixXd(0, 3)).size() == 0);
}

TEST_CASE("IsolationForest: Extended policy", "[anomaly][isolation_forest]") {
    const Eigen::MatrixXd X = gaussian(500, 4, 8);
    for (std::size_t level : {std::size_t{0}, std::size_t{1}, std::size_t{3}, Extended::full}) {
        INFO("extension_level = " << level);
        IsolationForest<Extended> forest{{.seed = 1}, Extended{level}};
        CHECK(forest.split().extension_level == level);
        forest.fit(X);
        const Eigen::VectorXd s = forest.score(X);
        CHECK(s.minCoeff() > 0.0);
        CHECK(s.maxCoeff() <= 1.0);
        Eigen::MatrixXd probe = Eigen::MatrixXd::Zero(2, 4);
        probe.row(1).setConstant(6.0);
        const Eigen::VectorXd p = forest.score(probe);
        CHECK(p(1) > p(0) + 0.1);
    }
    // Level 0 and full differ (different hyperplanes).
    const Eigen::VectorXd a = IsolationForest<Extended>{{}, Extended{0}}.fit(X).score(X);
    const Eigen::VectorXd b = IsolationForest<Extended>{}.fit(X).score(X);
    CHECK_FALSE(identical(a, b));
}

TEST_CASE("IsolationForest: save and load round-trip", "[anomaly][isolation_forest]") {
    const Eigen::MatrixXd X = gaussian(700, 5, 31);
    const Eigen::MatrixXd Y = gaussian(200, 5, 32) * 3.0;
    SECTION("axis-parallel") {
        IsolationForest<> forest{{.trees = 40, .contamination = 0.05, .seed = 9, .threads = 2}};
        forest.fit(X);
        const auto copy = loaded<IsolationForest<>>(saved(forest));
        CHECK(copy.fitted());
        CHECK(copy.n_features() == 5);
        CHECK(copy.sample_size() == forest.sample_size());
        CHECK(copy.offset() == forest.offset());
        CHECK(copy.config().trees == 40);
        CHECK(copy.config().contamination == 0.05);
        CHECK(copy.config().seed == 9);
        CHECK(copy.config().threads == 2);
        CHECK(identical(copy.score(X), forest.score(X)));
        CHECK(identical(copy.score(Y), forest.score(Y)));
        CHECK(identical(copy.predict(Y), forest.predict(Y)));
        CHECK(saved(copy) == saved(forest));
    }
    SECTION("extended") {
        IsolationForest<Extended> forest{{.trees = 25, .seed = 2}, Extended{2}};
        forest.fit(X);
        const auto copy = loaded<IsolationForest<Extended>>(saved(forest));
        CHECK(copy.split().extension_level == 2);
        CHECK(identical(copy.score(Y), forest.score(Y)));
        IsolationForest<Extended> full;
        full.fit(X);
        CHECK(loaded<IsolationForest<Extended>>(saved(full)).split().extension_level ==
              Extended::full);
    }
    SECTION("unfitted") {
        const auto copy = loaded<IsolationForest<>>(saved(IsolationForest<>{{.trees = 7}}));
        CHECK_FALSE(copy.fitted());
        CHECK(copy.config().trees == 7);
    }
}

TEST_CASE("IsolationForest is a BatchModel: one-row scores equal the batch scores",
          "[anomaly][isolation_forest]") {
    static_assert(augur::BatchModel<IsolationForest<>>);
    static_assert(augur::BatchModel<IsolationForest<Extended>>);
    const Eigen::MatrixXd X = gaussian(300, 4, 41);
    IsolationForest<> forest{{.trees = 30, .seed = 4}};
    forest.fit(X);
    IsolationForest<Extended> extended{{.trees = 30, .seed = 4}};
    extended.fit(X);
    const Eigen::VectorXd s = forest.score(X);
    const Eigen::VectorXd e = extended.score(X);
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
        const Eigen::RowVectorXd row = X.row(i);
        const std::span<const double> values(row.data(), 4);
        REQUIRE(forest.score(values) == s(i));
        REQUIRE(extended.score(values) == e(i));
    }
    const std::vector<double> bad{0.0, std::nan(""), 0.0, 0.0};
    CHECK_THROWS_WITH(forest.score(bad), Catch::Matchers::Contains("column 2"));
}

TEST_CASE("IsolationForest: corrupted model files are data errors", "[anomaly][isolation_forest]") {
    using Catch::Matchers::Contains;
    IsolationForest<> forest{{.trees = 5, .max_samples = 32, .seed = 1}};
    forest.fit(gaussian(100, 3, 5));
    const std::string bytes = saved(forest);

    std::string bad = bytes;
    bad[0] = 'X';
    CHECK_THROWS_WITH(loaded<IsolationForest<>>(bad), Contains("magic"));
    CHECK_THROWS_WITH(loaded<IsolationForest<Extended>>(bytes), Contains("axis_parallel"));
    IsolationForest<Extended> extended{{.trees = 3}};
    extended.fit(gaussian(40, 3, 1));
    CHECK_THROWS_WITH(loaded<IsolationForest<>>(saved(extended)), Contains("extended"));
    CHECK_THROWS_AS(loaded<IsolationForest<>>(""), augur::data_error);
    // Bytes after the archive are left in the stream (it may hold more).
    CHECK_NOTHROW(loaded<IsolationForest<>>(bytes + "xyz"));

    // A newer version of the model is refused, naming the version.
    std::ostringstream newer;
    augur::write_archive(newer, IsolationForest<>::type_tag(),
                         IsolationForest<>::format_version + 1,
                         [](augur::ArchiveWriter& w) { w(std::uint64_t{0}); });
    CHECK_THROWS_WITH(loaded<IsolationForest<>>(newer.str()), Contains("version 2"));
}

TEST_CASE("IsolationForest: every flipped byte and truncation of a saved model is rejected",
          "[anomaly][isolation_forest][archive]") {
    SECTION("axis-parallel") {
        IsolationForest<> forest{{.trees = 3, .max_samples = 8, .seed = 1}};
        forest.fit(gaussian(20, 2, 5));
        const std::string bytes = saved(forest);
        augur_test::check_corruption<IsolationForest<>>(
            bytes, [&](const IsolationForest<>& m) { return saved(m) == bytes; });
    }
    SECTION("extended") {
        IsolationForest<Extended> forest{{.trees = 2, .max_samples = 8, .seed = 2}, Extended{1}};
        forest.fit(gaussian(20, 2, 6));
        const std::string bytes = saved(forest);
        augur_test::check_corruption<IsolationForest<Extended>>(
            bytes, [&](const IsolationForest<Extended>& m) { return saved(m) == bytes; });
    }
}

namespace {

// Rewrites a saved forest through `edit` (on its decoded fields), re-archived with a valid
// checksum: a forged but well-formed file, to reach the structural checks behind the CRC.
struct ForestFields {
    std::uint64_t trees, max_samples;
    double contamination;
    std::uint64_t seed, threads, features, sample_size;
    double offset;
    std::uint64_t tree_count;
    struct Node {
        double threshold;
        std::uint32_t index, left, size;
    };
    std::vector<std::vector<Node>> nodes;
    std::vector<std::vector<double>> coefficients;
};

ForestFields decode(const std::string& bytes) {
    ForestFields f{};
    std::istringstream in(bytes);
    augur::read_archive(in, IsolationForest<>::type_tag(), 1, [&](augur::ArchiveReader& r) {
        r(f.trees, f.max_samples, f.contamination, f.seed, f.threads, f.features, f.sample_size,
          f.offset, f.tree_count);
        for (std::uint64_t t = 0; t < f.tree_count; ++t) {
            f.nodes.emplace_back(r.read<std::uint64_t>());
            for (auto& node : f.nodes.back())
                r(node.threshold, node.index, node.left, node.size);
            f.coefficients.push_back(r.read<std::vector<double>>());
        }
        return 0;
    });
    return f;
}

std::string encode(const ForestFields& f) {
    std::ostringstream out;
    augur::write_archive(out, IsolationForest<>::type_tag(), 1, [&](augur::ArchiveWriter& w) {
        w(f.trees, f.max_samples, f.contamination, f.seed, f.threads, f.features, f.sample_size,
          f.offset, f.tree_count);
        for (std::size_t t = 0; t < f.nodes.size(); ++t) {
            w(std::uint64_t{f.nodes[t].size()});
            for (const auto& node : f.nodes[t])
                w(node.threshold, node.index, node.left, node.size);
            w(f.coefficients[t]);
        }
    });
    return out.str();
}

} // namespace

TEST_CASE("IsolationForest: load checks the structure of forged trees",
          "[anomaly][isolation_forest][archive]") {
    using Catch::Matchers::Contains;
    IsolationForest<> forest{{.trees = 2, .max_samples = 16, .seed = 3}};
    forest.fit(gaussian(40, 3, 7));
    const std::string bytes = saved(forest);
    const ForestFields good = decode(bytes);
    REQUIRE(encode(good) == bytes);
    REQUIRE(good.nodes[0].size() >= 3);
    auto rejects = [&](auto edit, const char* message) {
        ForestFields f = good;
        edit(f);
        CHECK_THROWS_WITH(loaded<IsolationForest<>>(encode(f)), Contains(message));
    };
    rejects([](ForestFields& f) { f.trees = 0; }, "trees");
    rejects([](ForestFields& f) { f.tree_count = 3; }, "tree count");
    rejects([](ForestFields& f) { f.features = 0; }, "feature count");
    rejects([](ForestFields& f) { f.sample_size = 17; }, "sample size");
    rejects([](ForestFields& f) { f.offset = std::nan(""); }, "offset");
    rejects([](ForestFields& f) { f.nodes[0][0].left = 0; }, "bad leaf");
    rejects([](ForestFields& f) { f.nodes[0][0].left = 99; }, "bad split node");
    rejects([](ForestFields& f) { f.nodes[0][0].index = 3; }, "bad split node");
    rejects([](ForestFields& f) { f.nodes[1][0].threshold = INFINITY; }, "bad split node");
    rejects([](ForestFields& f) { f.coefficients[0][1] = 2.0; }, "leaf coefficients");
    rejects([](ForestFields& f) { f.coefficients[0].push_back(std::nan("")); }, "not finite");
    rejects([](ForestFields& f) { f.nodes[0].back().size += 1; }, "add up");
    rejects([](ForestFields& f) { f.nodes[0].resize(1); }, "bad split node");
}

TEST_CASE("IsolationForest: a user-defined split policy", "[anomaly][isolation_forest]") {
    // Always cuts feature 0 at the midpoint of its range: a deterministic policy.
    struct MidpointOfFirst {
        static std::string_view name() { return "midpoint_of_first"; }
        std::optional<augur::IsolationSplit> choose(const augur::IsolationNodeView& node,
                                                    augur::Rng&, std::vector<std::uint32_t>&,
                                                    std::vector<double>&) const {
            double lo = node.value(node.rows[0], 0);
            double hi = lo;
            for (const auto row : node.rows) {
                lo = std::min(lo, node.value(row, 0));
                hi = std::max(hi, node.value(row, 0));
            }
            if (!(hi > lo)) return std::nullopt;
            return augur::IsolationSplit{0, 0.5 * (lo + hi)};
        }
        static double project(std::uint32_t index, const double*, const double* row,
                              std::size_t) noexcept {
            return row[index];
        }
        static bool valid_index(std::uint32_t index, std::size_t features, std::size_t) {
            return index < features;
        }
    };
    static_assert(augur::IsolationSplitPolicy<MidpointOfFirst>);
    static_assert(!augur::IsolationSplitPolicy<int>);
    // 1-D points 0, 1, 2, 3: psi = 4, depth limit 2, a balanced tree; every leaf at depth 2
    // holds one point -> h = 2, c(4) = 2 (ln 3 + gamma) - 1.5, s = 2^(-2 / c(4)).
    Eigen::MatrixXd X(4, 1);
    X << 0, 1, 2, 3;
    IsolationForest<MidpointOfFirst> forest{{.trees = 3}};
    const Eigen::VectorXd s = forest.fit(X).score(X);
    const double c4 = 2.0 * (std::log(3.0) + 0.5772156649015329) - 1.5;
    for (Eigen::Index i = 0; i < 4; ++i)
        CHECK(s(i) == Approx(std::exp2(-2.0 / c4)).epsilon(1e-14));
    const auto copy = loaded<IsolationForest<MidpointOfFirst>>(saved(forest));
    CHECK(identical(copy.score(X), s));
}

namespace {

struct OddsData {
    Eigen::MatrixXd X;
    std::vector<int> labels;
};

OddsData read_odds(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    std::vector<std::vector<double>> rows;
    OddsData data;
    while (std::getline(in, line)) {
        std::vector<double> row;
        std::stringstream cells(line);
        std::string cell;
        while (std::getline(cells, cell, ','))
            row.push_back(std::stod(cell));
        data.labels.push_back(static_cast<int>(row.back()));
        row.pop_back();
        rows.push_back(std::move(row));
    }
    REQUIRE(!rows.empty());
    data.X.resize(static_cast<Eigen::Index>(rows.size()),
                  static_cast<Eigen::Index>(rows[0].size()));
    for (std::size_t i = 0; i < rows.size(); ++i) {
        REQUIRE(rows[i].size() == rows[0].size());
        for (std::size_t j = 0; j < rows[i].size(); ++j)
            data.X(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = rows[i][j];
    }
    return data;
}

} // namespace

TEST_CASE("IsolationForest: ODDS ROC AUC matches scikit-learn", "[anomaly][isolation_forest]") {
    const auto reference_file = augur_test::shared_data_path("odds/reference_auc.csv");
    if (!reference_file) return;
    const auto dir = reference_file->parent_path();
    std::map<std::string, double> reference;
    {
        std::ifstream in(*reference_file);
        std::string line;
        std::getline(in, line); // dataset,n,d,n_outliers,iforest_auc_mean,...
        while (std::getline(in, line)) {
            std::vector<std::string> cells;
            std::stringstream ss(line);
            std::string cell;
            while (std::getline(ss, cell, ','))
                cells.push_back(cell);
            REQUIRE(cells.size() >= 5);
            reference[cells[0]] = std::stod(cells[4]);
        }
    }
    // The reference is scikit-learn's mean over random_state 0..9. Ten seeds are noisy (the
    // per-seed sd is up to 0.01, and scikit-learn's own 30-seed mean on cardio is 0.926, not
    // 0.933), so ours is averaged over 50 seeds: the check is on the method, not on luck.
    for (const char* name : {"breastw", "cardio", "thyroid"}) {
        INFO(name);
        const auto file = augur_test::shared_data_path("odds/" + std::string(name) + ".csv");
        if (!file) continue;
        REQUIRE(reference.count(name) == 1);
        const OddsData data = read_odds(*file);
        const int seeds = 50;
        double sum = 0.0;
        for (int seed = 0; seed < seeds; ++seed) {
            IsolationForest<> forest{{.trees = 100,
                                      .max_samples = 256,
                                      .seed = static_cast<std::uint64_t>(seed),
                                      .threads = 2}};
            const Eigen::VectorXd s = forest.fit(data.X).score(data.X);
            sum += augur::roc_auc({s.data(), static_cast<std::size_t>(s.size())}, data.labels);
        }
        const double mean = sum / seeds;
        INFO("ours " << mean << ", scikit-learn " << reference[name]);
        CHECK(mean >= reference[name] - 0.01);
    }
}
