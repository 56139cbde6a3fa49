#include <augur/datasets/blobs.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

TEST_CASE("blobs: shapes, balanced labels and centers in range", "[datasets][blobs]") {
    augur::BlobsConfig config;
    config.samples = 10;
    config.centers = 3;
    config.features = 4;
    const augur::Blobs b = augur::make_blobs(config);
    REQUIRE(b.points.rows() == 10);
    REQUIRE(b.points.cols() == 4);
    REQUIRE(b.centers.rows() == 3);
    REQUIRE(b.centers.cols() == 4);
    REQUIRE(b.labels.size() == 10);
    std::vector<int> counts(3, 0);
    for (int label : b.labels) {
        REQUIRE((label >= 0 && label < 3));
        ++counts[static_cast<std::size_t>(label)];
    }
    CHECK(counts == std::vector<int>{4, 3, 3});
    CHECK(b.centers.minCoeff() >= -10.0);
    CHECK(b.centers.maxCoeff() < 10.0);

    const augur::Blobs d = augur::make_blobs();
    CHECK(d.points.rows() == 300);
    CHECK(d.points.cols() == 2);
    CHECK(d.centers.rows() == 3);
}

TEST_CASE("blobs: deterministic per seed, different across seeds", "[datasets][blobs]") {
    augur::BlobsConfig config;
    config.seed = 17;
    const augur::Blobs a = augur::make_blobs(config);
    const augur::Blobs b = augur::make_blobs(config);
    CHECK(a.points == b.points);
    CHECK(a.centers == b.centers);
    CHECK(a.labels == b.labels);
    config.seed = 18;
    const augur::Blobs c = augur::make_blobs(config);
    CHECK(a.centers != c.centers);
    CHECK(a.points != c.points);
    CHECK(a.labels != c.labels); // the rows are shuffled
}

TEST_CASE("blobs: points scatter around their centers with cluster_std", "[datasets][blobs]") {
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
        augur::BlobsConfig config;
        config.seed = seed;
        config.samples = 3000;
        config.features = 1 + seed % 5;
        config.centers = 1 + seed % 4;
        config.cluster_std = 0.5 + 0.1 * static_cast<double>(seed % 7);
        const augur::Blobs b = augur::make_blobs(config);
        INFO("seed " << seed);
        const auto d = static_cast<double>(config.features);
        double distance_sum = 0.0;
        double squared_sum = 0.0;
        for (Eigen::Index i = 0; i < b.points.rows(); ++i) {
            const double dist =
                (b.points.row(i) - b.centers.row(b.labels[static_cast<std::size_t>(i)])).norm();
            distance_sum += dist;
            squared_sum += dist * dist;
        }
        const auto n = static_cast<double>(config.samples);
        // E|x - c|^2 = d sigma^2; E|x - c| = sigma sqrt(2) Gamma((d+1)/2) / Gamma(d/2).
        CHECK(std::sqrt(squared_sum / n) ==
              Approx(config.cluster_std * std::sqrt(d)).epsilon(0.05));
        const double chi_mean =
            std::sqrt(2.0) * std::exp(std::lgamma((d + 1.0) / 2.0) - std::lgamma(d / 2.0));
        CHECK(distance_sum / n == Approx(config.cluster_std * chi_mean).epsilon(0.05));

        // Each cluster's mean is near its center (within 5 standard errors per coordinate).
        for (Eigen::Index c = 0; c < b.centers.rows(); ++c) {
            Eigen::VectorXd mean = Eigen::VectorXd::Zero(b.points.cols());
            double count = 0.0;
            for (Eigen::Index i = 0; i < b.points.rows(); ++i)
                if (b.labels[static_cast<std::size_t>(i)] == c) {
                    mean += b.points.row(i).transpose();
                    count += 1.0;
                }
            mean /= count;
            const double tolerance = 5.0 * config.cluster_std / std::sqrt(count);
            CHECK((mean - b.centers.row(c).transpose()).cwiseAbs().maxCoeff() < tolerance);
        }
    }
}

TEST_CASE("blobs: zero spread puts every point on its center", "[datasets][blobs]") {
    augur::BlobsConfig config;
    config.cluster_std = 0.0;
    config.center_low = 2.0;
    config.center_high = 3.0;
    const augur::Blobs b = augur::make_blobs(config);
    for (Eigen::Index i = 0; i < b.points.rows(); ++i)
        CHECK(b.points.row(i) == b.centers.row(b.labels[static_cast<std::size_t>(i)]));
    CHECK(b.centers.minCoeff() >= 2.0);
    CHECK(b.centers.maxCoeff() < 3.0);
}

TEST_CASE("blobs: invalid configs throw invalid_argument", "[datasets][blobs]") {
    auto fails = [](auto mutate) {
        augur::BlobsConfig config;
        mutate(config);
        CHECK_THROWS_AS(config.validate(), augur::invalid_argument);
        CHECK_THROWS_AS(augur::make_blobs(config), augur::invalid_argument);
    };
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    fails([](augur::BlobsConfig& c) { c.samples = 0; });
    fails([](augur::BlobsConfig& c) { c.features = 0; });
    fails([](augur::BlobsConfig& c) { c.centers = 0; });
    fails([](augur::BlobsConfig& c) { c.cluster_std = -1.0; });
    fails([nan](augur::BlobsConfig& c) { c.cluster_std = nan; });
    fails([inf](augur::BlobsConfig& c) { c.cluster_std = inf; });
    fails([](augur::BlobsConfig& c) { c.center_low = 10.0; });
    fails([](augur::BlobsConfig& c) { c.center_high = -10.0; });
    fails([nan](augur::BlobsConfig& c) { c.center_low = nan; });
    fails([inf](augur::BlobsConfig& c) { c.center_high = inf; });

    augur::BlobsConfig config;
    config.cluster_std = -2.0;
    CHECK_THROWS_WITH(config.validate(), Catch::Contains("cluster_std = -2"));
}
