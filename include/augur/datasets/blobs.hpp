#pragma once

// make_blobs: isotropic Gaussian clusters for testing clustering and outlier detection,
// deterministic per seed (the counterpart of scikit-learn's make_blobs).
//
// Centers are drawn uniformly in [center_low, center_high) per coordinate; each point is its
// center plus N(0, cluster_std^2) noise per coordinate. The samples are split among the centers
// as evenly as possible (the first samples % centers clusters get one more) and the rows are
// shuffled. Complexity O(samples x features). Thread-safety: a pure function of its config.

#include "augur/core/error.hpp"
#include "augur/core/random.hpp"

#include <Eigen/Core>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace augur {
inline namespace v0 {

/// What make_blobs generates. Validated by make_blobs.
struct BlobsConfig {
    std::size_t samples = 300;
    std::size_t features = 2;
    std::size_t centers = 3;
    double cluster_std = 1.0;
    double center_low = -10.0;
    double center_high = 10.0;
    std::uint64_t seed = 0;

    /// Throws invalid_argument naming the field: samples, features and centers >= 1,
    /// cluster_std finite and >= 0, center_low < center_high, both finite.
    void validate() const {
        constexpr const char* where = "BlobsConfig";
        if (samples < 1) throw_invalid_config(where, "samples", samples, "must be >= 1");
        if (features < 1) throw_invalid_config(where, "features", features, "must be >= 1");
        if (centers < 1) throw_invalid_config(where, "centers", centers, "must be >= 1");
        if (!std::isfinite(cluster_std) || cluster_std < 0.0)
            throw_invalid_config(where, "cluster_std", cluster_std, "must be finite and >= 0");
        if (!std::isfinite(center_low))
            throw_invalid_config(where, "center_low", center_low, "must be finite");
        if (!std::isfinite(center_high) || !(center_low < center_high))
            throw_invalid_config(where, "center_high", center_high,
                                 "must be finite and > center_low");
    }
};

/// Points with their cluster labels and the true centers.
struct Blobs {
    Eigen::MatrixXd points;  ///< samples x features
    std::vector<int> labels; ///< cluster of each row, in [0, centers)
    Eigen::MatrixXd centers; ///< centers x features
};

/// Generates Gaussian blobs. Throws invalid_argument on an invalid config.
/// @code
///   const augur::Blobs b = augur::make_blobs({.samples = 500, .centers = 4, .seed = 1});
///   // b.points.row(i) belongs to cluster b.labels[i], centered at b.centers.row(b.labels[i])
/// @endcode
inline Blobs make_blobs(const BlobsConfig& config = {}) {
    config.validate();
    Rng rng{config.seed};
    const auto n = static_cast<Eigen::Index>(config.samples);
    const auto d = static_cast<Eigen::Index>(config.features);
    const auto k = static_cast<Eigen::Index>(config.centers);

    Blobs blobs;
    blobs.centers.resize(k, d);
    for (Eigen::Index c = 0; c < k; ++c)
        for (Eigen::Index j = 0; j < d; ++j)
            blobs.centers(c, j) = uniform(rng, config.center_low, config.center_high);

    // Labels in blocks, then shuffled (Fisher-Yates).
    blobs.labels.resize(config.samples);
    const std::size_t base = config.samples / config.centers;
    const std::size_t extra = config.samples % config.centers;
    std::size_t row = 0;
    for (std::size_t c = 0; c < config.centers; ++c)
        for (std::size_t i = 0; i < base + (c < extra ? 1 : 0); ++i)
            blobs.labels[row++] = static_cast<int>(c);
    for (std::size_t i = blobs.labels.size(); i > 1; --i)
        std::swap(blobs.labels[i - 1], blobs.labels[uniform_index(rng, i)]);

    blobs.points.resize(n, d);
    for (Eigen::Index i = 0; i < n; ++i) {
        const Eigen::Index c = blobs.labels[static_cast<std::size_t>(i)];
        for (Eigen::Index j = 0; j < d; ++j)
            blobs.points(i, j) = blobs.centers(c, j) + config.cluster_std * normal(rng);
    }
    return blobs;
}

} // namespace v0
} // namespace augur
