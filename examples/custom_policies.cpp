// custom_policies: user-written policies for three augur components (docs/policies.md).
//   1. ZScoreDetector<Baseline, Threshold>: an exponentially weighted median baseline and a
//      Student-t threshold, against EwmaZScore on a latency series with a timeout.
//   2. IsolationForest<Split>: splits on weighted columns (weight 0: never split on), against
//      AxisParallel on a table with a request-id column.
//   3. Router<Posterior>: a Gaussian posterior with known noise for an evaluator's score,
//      routing between three models; saved and loaded with the router.
// Prints what each shows; exits 1 if a check fails.

#include <augur/anomaly/isolation_forest.hpp>
#include <augur/anomaly/zscore.hpp>
#include <augur/routing/router.hpp>

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <vector>

namespace {

int failures = 0;
void check(bool ok, const char* what) {
    std::printf("  check: %s: %s\n", what, ok ? "ok" : "FAILED");
    failures += ok ? 0 : 1;
}

// [baseline]
/// Exponentially weighted median and spread (mean |x - median|, each deviation capped at 4
/// spreads): one huge value moves them a little, so it cannot mask the next anomaly. O(1).
struct EwMedianBaseline {
    double alpha = 0.05; ///< weight of a new value, in (0, 1)

    struct State {
        std::uint64_t count = 0;
        double median = 0.0, spread = 0.0;
        template <class A>
        void archive(A& ar) {
            ar(count, median, spread);
        }
    };
    State make_state() const noexcept { return {}; }
    void update(State& s, double x) const noexcept {
        if (s.count++ == 0) {
            s.median = x;
            return;
        }
        const double w = std::max(alpha, 1.0 / static_cast<double>(s.count - 1));
        const double d = x - s.median;
        const double dev = s.count > 10 ? std::min(std::abs(d), 4.0 * s.spread) : std::abs(d);
        s.spread += w * (dev - s.spread);
        s.median += w * s.spread * ((d > 0.0) - (d < 0.0));
    }
    std::uint64_t count(const State& s) const noexcept { return s.count; }
    double mean(const State& s) const noexcept { return s.count ? s.median : std::nan(""); }
    double stddev(const State& s) const noexcept { // a normal's sd is 1.2533 x its mean |dev|
        return s.count > 1 ? 1.2533 * s.spread : std::nan("");
    }

    // Optional: validation (constructor and load), and what save / load need.
    void validate() const {
        if (!(alpha > 0.0 && alpha < 1.0))
            augur::throw_invalid_config("EwMedianBaseline", "alpha", alpha, "must be in (0, 1)");
    }
    static constexpr std::string_view archive_name = "ew_median";
    template <class A>
    void archive(A& ar) {
        ar(alpha);
    }
};

/// Calibrates |z| by a Student-t distribution (for heavy-tailed metrics); alarms at
/// |z| >= sigma.
struct StudentTThreshold {
    double dof = 5.0;   ///< degrees of freedom, > 0
    double sigma = 4.0; ///< > 0

    augur::ZScoreVerdict judge(double z) const noexcept {
        const double score = score_of(z);
        return {score, score >= score_of(sigma)};
    }
    double score_threshold() const noexcept { return score_of(sigma); }
    double score_of(double z) const noexcept { // P(|T| <= |z|); validated dof, z not NaN
        if (std::isinf(z)) return 1.0;
        return 2.0 * boost::math::cdf(boost::math::students_t(dof), std::abs(z)) - 1.0;
    }

    void validate() const {
        if (!(dof > 0.0 && sigma > 0.0 && std::isfinite(dof + sigma)))
            augur::throw_invalid_config("StudentTThreshold", "dof or sigma", std::min(dof, sigma),
                                        "must be finite and > 0");
    }
    static constexpr std::string_view archive_name = "student_t";
    template <class A>
    void archive(A& ar) {
        ar(dof, sigma);
    }
};

static_assert(augur::ZScoreBaseline<EwMedianBaseline> && augur::ArchivablePolicy<EwMedianBaseline>);
static_assert(augur::ZScoreThreshold<StudentTThreshold> &&
              augur::ArchivablePolicy<StudentTThreshold>);
using RobustZScore = augur::ZScoreDetector<EwMedianBaseline, StudentTThreshold>;
// [baseline end]

// [split]
/// Axis-parallel splits on a column drawn with probability proportional to its weight, cut
/// uniformly in the node's range; a column of weight 0 (an id, a timestamp) is never split on.
/// choose O(node size) per column tried; project O(1).
struct WeightedAxis {
    std::vector<double> weights; ///< one per column, finite, >= 0, at least one > 0

    static std::string_view name() noexcept { return "weighted_axis"; }
    std::optional<augur::IsolationSplit> choose(const augur::IsolationNodeView& node,
                                                augur::Rng& rng,
                                                std::vector<std::uint32_t>& columns,
                                                std::vector<double>& /*coefficients*/) const {
        columns.clear();
        double total = 0.0;
        for (std::uint32_t f = 0; f < node.features; ++f)
            if (weights[f] > 0.0) {
                columns.push_back(f);
                total += weights[f];
            }
        while (!columns.empty()) {
            double u = augur::uniform(rng, 0.0, total);
            std::size_t k = 0;
            for (; k + 1 < columns.size() && u >= weights[columns[k]]; ++k)
                u -= weights[columns[k]];
            const std::uint32_t f = columns[k];
            double lo = std::numeric_limits<double>::infinity(), hi = -lo;
            for (const std::uint32_t row : node.rows) {
                lo = std::min(lo, node.value(row, f));
                hi = std::max(hi, node.value(row, f));
            }
            if (hi > lo) {
                const double t = augur::uniform(rng, lo, hi);
                return augur::IsolationSplit{f, t < hi ? t : lo};
            }
            total -= weights[f]; // constant in this node: try the others
            columns.erase(columns.begin() + static_cast<std::ptrdiff_t>(k));
        }
        return std::nullopt; // constant in every weighted column: a leaf
    }
    static double project(std::uint32_t index, const double*, const double* row,
                          std::size_t) noexcept {
        return row[index];
    }
    static bool valid_index(std::uint32_t index, std::size_t features, std::size_t) noexcept {
        return index < features;
    }

    // Optional: validation (fit and load), and the configuration saved with the model.
    void validate(std::size_t features) const {
        double sum = 0.0;
        for (const double w : weights)
            sum += w >= 0.0 ? w : std::numeric_limits<double>::quiet_NaN();
        if (weights.size() != features || !(sum > 0.0 && std::isfinite(sum)))
            augur::throw_invalid_config("WeightedAxis", "weights", weights.size(),
                                        "needs a finite weight >= 0 per column, one > 0");
    }
    template <class A>
    void archive(A& ar) {
        ar(weights);
    }
};

static_assert(augur::IsolationSplitPolicy<WeightedAxis>);
// [split end]

// [posterior]
/// Normal posterior of an arm's mean reward when the reward's noise sd is known (an evaluator
/// whose noise was measured); prior N(prior_mean, prior_sd^2). O(1) everything, 40 bytes.
class KnownNoiseGaussian {
public:
    struct Config {
        double prior_mean = 0.5, prior_sd = 0.5, noise_sd = 0.1;
        friend bool operator==(const Config&, const Config&) = default;
    };
    KnownNoiseGaussian() = default;
    explicit KnownNoiseGaussian(Config c) : c_(c) {
        if (!(c.prior_sd > 0.0 && c.noise_sd > 0.0 &&
              std::isfinite(c.prior_mean + c.prior_sd + c.noise_sd)))
            throw augur::invalid_argument("KnownNoiseGaussian: prior_mean must be finite, "
                                          "prior_sd and noise_sd finite and > 0");
    }

    double sample(augur::Rng& rng) const noexcept { return augur::normal(rng, mean(), sd()); }
    void check(double reward) const {
        if (!std::isfinite(reward))
            throw augur::data_error("KnownNoiseGaussian: reward not finite");
    }
    void update(double reward, double weight = 1.0) {
        check_weighted(reward, weight);
        n_ += weight;
        sum_ += weight * reward;
    }
    void remove(double reward, double weight = 1.0) {
        check_weighted(reward, weight);
        n_ = std::max(0.0, n_ - weight);
        sum_ = n_ > 0.0 ? sum_ - weight * reward : 0.0;
    }
    void decay(double factor) {
        if (!(factor >= 0.0 && factor <= 1.0))
            augur::throw_invalid_config("KnownNoiseGaussian", "factor", factor, "not in [0, 1]");
        n_ *= factor, sum_ *= factor;
    }
    void reset() noexcept { n_ = sum_ = 0.0; }
    void merge(const KnownNoiseGaussian& other) {
        if (!(other.c_ == c_)) throw augur::invalid_argument("KnownNoiseGaussian: configs differ");
        n_ += other.n_, sum_ += other.sum_;
    }
    double precision() const noexcept {
        return 1.0 / (c_.prior_sd * c_.prior_sd) + n_ / (c_.noise_sd * c_.noise_sd);
    }
    double mean() const noexcept {
        const double prior = c_.prior_mean / (c_.prior_sd * c_.prior_sd);
        return (prior + sum_ / (c_.noise_sd * c_.noise_sd)) / precision();
    }
    double sd() const noexcept { return 1.0 / std::sqrt(precision()); }
    double count() const noexcept { return n_; }
    double sample_mean() const noexcept { return n_ > 0.0 ? sum_ / n_ : std::nan(""); }
    augur::Interval credible_interval(double level = 0.95) const {
        if (!(level > 0.0 && level < 1.0))
            augur::throw_invalid_config("KnownNoiseGaussian", "level", level, "not in (0, 1)");
        const double q = boost::math::quantile(boost::math::normal(), 0.5 + 0.5 * level);
        return {mean() - q * sd(), mean() + q * sd()};
    }

    // Saving: the fields (what a Router writes for each arm) and a standalone archive.
    static constexpr const char* archive_tag = "example.KnownNoiseGaussian";
    void save_fields(augur::ArchiveWriter& w) const {
        w(c_.prior_mean, c_.prior_sd, c_.noise_sd, n_, sum_);
    }
    void load_fields(augur::ArchiveReader& r) { // data_error, nothing changed, if malformed
        const Config c{r.finite("prior_mean"), r.finite("prior_sd"), r.finite("noise_sd")};
        auto p = r.construct<KnownNoiseGaussian>(c);
        p.n_ = r.finite("count"), p.sum_ = r.finite("sum");
        r.require(p.n_ >= 0.0, "negative evidence");
        *this = p;
    }
    void save(std::ostream& out) const {
        augur::write_archive(out, archive_tag, 1, [&](augur::ArchiveWriter& w) { w(*this); });
    }
    static KnownNoiseGaussian load(std::istream& in) {
        return augur::read_archive(in, archive_tag, 1, [](augur::ArchiveReader& r) {
            return r.read<KnownNoiseGaussian>();
        });
    }

private:
    void check_weighted(double reward, double w) const {
        check(reward);
        if (!(w > 0.0 && std::isfinite(w)))
            augur::throw_invalid_config("KnownNoiseGaussian", "weight", w, "must be > 0");
    }
    Config c_;
    double n_ = 0.0, sum_ = 0.0; // weighted number and sum of rewards
};

static_assert(augur::Posterior<KnownNoiseGaussian> && augur::FieldArchivable<KnownNoiseGaussian>);
using JudgeRouter = augur::Router<KnownNoiseGaussian, augur::NoForgetting, augur::ScalarReward>;
// [posterior end]

} // namespace

int main() {
    augur::Rng rng(11);

    std::printf("1. ZScoreDetector<EwMedianBaseline, StudentTThreshold> vs EwmaZScore\n");
    // [baseline use]
    std::vector<double> latency(400);
    for (double& x : latency)
        x = augur::normal(rng, 100.0, 5.0); // ms
    latency[200] = 400.0;                   // a timeout
    latency[203] = 135.0;                   // a real slowdown, three samples later
    augur::EwmaZScore ewma;
    RobustZScore robust({}, {.alpha = 0.05}, {.dof = 5, .sigma = 4});
    std::vector<std::size_t> ewma_flags, robust_flags;
    for (std::size_t i = 0; i < latency.size(); ++i) {
        const augur::Sample s{augur::SeriesId(0), augur::from_epoch_seconds(double(i)), latency[i]};
        const augur::Detection a = ewma.observe(s), b = robust.observe(s);
        if (a.is_anomaly) ewma_flags.push_back(i);
        if (b.is_anomaly) robust_flags.push_back(i);
        if (a.is_anomaly || b.is_anomaly)
            std::printf("  t=%zu %.0f ms: ewma expected %.1f score %.4f%s | robust expected %.1f "
                        "score %.4f%s\n",
                        i, latency[i], a.expected, a.score, a.is_anomaly ? " FLAG" : "", b.expected,
                        b.score, b.is_anomaly ? " FLAG" : "");
    }
    std::stringstream saved; // the configuration, both policies, every series' state
    robust.save(saved);
    RobustZScore loaded_detector = RobustZScore::load(saved);
    // [baseline use end]
    check(robust_flags == std::vector<std::size_t>{200, 203} &&
              std::ranges::count(ewma_flags, 203) == 0,
          "robust flags the timeout and the slowdown; ewma misses the slowdown");
    const augur::Sample next{augur::SeriesId(0), augur::from_epoch_seconds(400.0), 131.0};
    check(loaded_detector.observe(next).score == robust.observe(next).score,
          "a loaded robust detector scores the next sample the same");

    std::printf("\n2. IsolationForest<WeightedAxis> vs AxisParallel\n");
    // [split use]
    Eigen::MatrixXd table(600, 3); // request id, latency ms, tokens
    for (Eigen::Index i = 0; i < table.rows(); ++i)
        table.row(i) << double(i), augur::normal(rng, 200, 20), augur::normal(rng, 800, 100);
    table(300, 1) = 290.0;  // slow, normal tokens
    table(450, 2) = 1250.0; // normal latency, many tokens
    augur::IsolationForest<> plain({.seed = 5});
    augur::IsolationForest<WeightedAxis> weighted({.seed = 5}, WeightedAxis{{0.0, 1.0, 1.0}});
    const Eigen::VectorXd plain_scores = plain.fit(table).score(table);
    const Eigen::VectorXd weighted_scores = weighted.fit(table).score(table);
    std::stringstream forest_file; // the trees and the split policy's weights
    weighted.save(forest_file);
    const auto loaded_forest = augur::IsolationForest<WeightedAxis>::load(forest_file);
    // [split use end]
    auto rank = [](const Eigen::VectorXd& s, Eigen::Index row) {
        return static_cast<long>((s.array() > s(row)).count()) + 1;
    };
    for (const auto* scores : {&plain_scores, &weighted_scores}) {
        Eigen::VectorXd others = *scores; // the best-scored normal row
        others(300) = others(450) = 0.0;
        Eigen::Index top = 0;
        others.maxCoeff(&top);
        std::printf("  %s: rows 300 and 450 rank %ld and %ld of 600; next: id %ld (%.3f)\n",
                    scores == &plain_scores ? "axis_parallel" : "weighted_axis", rank(*scores, 300),
                    rank(*scores, 450), static_cast<long>(top), others(top));
    }
    check(rank(weighted_scores, 300) + rank(weighted_scores, 450) == 3,
          "weighted_axis ranks the two injected rows first");
    check(loaded_forest.split().weights == weighted.split().weights &&
              loaded_forest.score(table) == weighted_scores,
          "a loaded forest has the weights and the same scores");

    std::printf("\n3. Router<KnownNoiseGaussian> over an evaluator's score (noise sd 0.15)\n");
    // [posterior use]
    const double quality[] = {0.62, 0.70, 0.66}; // unknown to the router
    const KnownNoiseGaussian prior({.prior_mean = 0.5, .prior_sd = 0.25, .noise_sd = 0.15});
    JudgeRouter router({.seed = 3}, prior);
    for (const char* model : {"small", "large", "medium"})
        router.add_arm(model);
    for (int request = 0; request < 3000; ++request) {
        const augur::ArmId arm = *router.choose();
        router.observe(arm, augur::normal(rng, quality[augur::to_index(arm)], 0.15));
    }
    for (const augur::ArmId arm : router.arms()) {
        const KnownNoiseGaussian& p = router.posterior(arm);
        const augur::Interval ci = p.credible_interval(0.95);
        std::printf("  %-6s requests %4.0f  mean %.3f  95%% [%.3f, %.3f]\n",
                    router.name(arm).c_str(), p.count(), p.mean(), ci.lower, ci.upper);
    }
    std::stringstream router_file; // each arm's posterior is written by its save_fields
    router.save(router_file);
    JudgeRouter restored({.seed = 3}, prior); // constructed like the saved one, then loaded
    restored.load(router_file);
    // [posterior use end]
    const KnownNoiseGaussian& large = router.posterior(augur::ArmId{1});
    check(large.count() > 1500 && large.credible_interval(0.95).contains(0.70),
          "most traffic to 'large', its interval holds 0.70");
    bool same = true;
    for (const augur::ArmId arm : router.arms())
        same = same && restored.posterior(arm).mean() == router.posterior(arm).mean() &&
               restored.choose() == router.choose();
    check(same, "a loaded router has the same posteriors and makes the same choices");
    std::stringstream one;
    large.save(one);
    check(KnownNoiseGaussian::load(one).mean() == large.mean(), "a posterior round-trips");

    std::printf("\n%s\n", failures ? "SOME CHECKS FAILED" : "all checks passed");
    return failures ? 1 : 0;
}
