#include <augur/routing/linear_gaussian.hpp>
#include <augur/routing/posterior.hpp>

#include <catch2/catch.hpp>

#include "routing_support.hpp"
#include "support.hpp"

#include <Eigen/Dense>
#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/students_t.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

template <class P>
std::string saved(const P& p) {
    std::ostringstream out(std::ios::binary);
    p.save(out);
    return out.str();
}

template <class P>
P loaded(const std::string& bytes) {
    std::istringstream in(bytes, std::ios::binary);
    return P::load(in);
}

// Student-t CDF with location and scale.
double t_cdf(double dof, double loc, double scale, double x) {
    return boost::math::cdf(boost::math::students_t(dof), (x - loc) / scale);
}

} // namespace

TEST_CASE("BetaBernoulli updates match the closed form", "[routing][posterior]") {
    augur::Rng rng(1);
    augur::BetaBernoulli p(2.0, 3.0);
    double successes = 0.0;
    double failures = 0.0;
    for (int i = 0; i < 500; ++i) {
        const double r =
            i % 7 == 0 ? augur::uniform01(rng) : (augur::uniform01(rng) < 0.3 ? 1.0 : 0.0);
        p.update(r);
        successes += r;
        failures += 1.0 - r;
    }
    CHECK(p.alpha() == Approx(2.0 + successes).epsilon(1e-12));
    CHECK(p.beta() == Approx(3.0 + failures).epsilon(1e-12));
    CHECK(p.count() == Approx(500.0));
    CHECK(p.mean() == Approx((2.0 + successes) / (5.0 + 500.0)));
    CHECK(p.sample_mean() == Approx(successes / 500.0));
    const double a = p.alpha();
    const double b = p.beta();
    CHECK(p.variance() == Approx(a * b / ((a + b) * (a + b) * (a + b + 1.0))));

    // A weighted update equals repeated updates.
    augur::BetaBernoulli w;
    augur::BetaBernoulli repeated;
    w.update(1.0, 3.0);
    for (int i = 0; i < 3; ++i)
        repeated.update(1.0);
    CHECK(w == repeated);
}

TEST_CASE("BetaBernoulli credible interval has the requested coverage", "[routing][posterior]") {
    augur::BetaBernoulli p;
    for (int i = 0; i < 30; ++i)
        p.update(i % 3 == 0 ? 0.0 : 1.0);
    const boost::math::beta_distribution<double> dist(p.alpha(), p.beta());
    for (double level : {0.5, 0.9, 0.95, 0.99}) {
        const auto ci = p.credible_interval(level);
        CHECK(boost::math::cdf(dist, ci.lower) == Approx(0.5 * (1.0 - level)).margin(1e-10));
        CHECK(boost::math::cdf(dist, ci.upper) == Approx(0.5 * (1.0 + level)).margin(1e-10));
        CHECK(ci.contains(p.mean()));
    }
    CHECK_THROWS_AS(p.credible_interval(1.0), augur::invalid_argument);
    CHECK_THROWS_AS(p.credible_interval(not_a_number), augur::invalid_argument);
}

TEST_CASE("BetaBernoulli samples follow the posterior Beta (KS test)", "[routing][posterior]") {
    for (auto [s, f] : {std::array{0.0, 0.0}, std::array{3.0, 7.0}, std::array{400.0, 35.0}}) {
        augur::BetaBernoulli p;
        if (s > 0) p.update(1.0, s);
        if (f > 0) p.update(0.0, f);
        augur::Rng rng(static_cast<std::uint64_t>(s * 31 + f));
        const std::size_t n = 4000;
        std::vector<double> draws(n);
        for (auto& d : draws)
            d = p.sample(rng);
        const boost::math::beta_distribution<double> dist(p.alpha(), p.beta());
        INFO("Beta(" << p.alpha() << ", " << p.beta() << ")");
        CHECK(augur_test::ks_statistic(draws, [&](double x) { return boost::math::cdf(dist, x); }) <
              augur_test::ks_critical_001(n));
    }
}

TEST_CASE("BetaBernoulli merge equals the posterior of the combined data", "[routing][posterior]") {
    augur::Rng rng(9);
    for (int seed = 0; seed < 50; ++seed) {
        augur::BetaBernoulli a(0.5, 0.5);
        augur::BetaBernoulli b(0.5, 0.5);
        augur::BetaBernoulli all(0.5, 0.5);
        for (int i = 0; i < 40; ++i) {
            const double r = augur::uniform01(rng) < 0.6 ? 1.0 : 0.0;
            (i % 3 == 0 ? a : b).update(r);
            all.update(r);
        }
        a.merge(b);
        REQUIRE(a.alpha() == Approx(all.alpha()));
        REQUIRE(a.beta() == Approx(all.beta()));
    }
    augur::BetaBernoulli other(2.0, 1.0);
    augur::BetaBernoulli mine;
    CHECK_THROWS_AS(mine.merge(other), augur::invalid_argument);
}

TEST_CASE("BetaBernoulli remove, decay and reset", "[routing][posterior]") {
    augur::BetaBernoulli p;
    p.update(1.0);
    p.update(0.0);
    p.update(1.0);
    p.remove(1.0);
    CHECK(p.successes() == 1.0);
    CHECK(p.failures() == 1.0);
    p.decay(0.5);
    CHECK(p.successes() == 0.5);
    CHECK(p.alpha() == 1.5); // the prior is not decayed
    p.decay(0.0);
    CHECK(p.count() == 0.0);
    p.update(1.0, 4.0);
    p.reset();
    CHECK(p == augur::BetaBernoulli{});
    p.remove(1.0); // never below zero
    CHECK(p.successes() == 0.0);
}

TEST_CASE("BetaBernoulli rejects bad input clearly", "[routing][posterior]") {
    augur::BetaBernoulli p;
    CHECK_THROWS_AS(p.update(not_a_number), augur::data_error);
    CHECK_THROWS_AS(p.update(1.5), augur::data_error);
    CHECK_THROWS_AS(p.update(-0.1), augur::data_error);
    CHECK_THROWS_WITH(p.update(1.5), Catch::Contains("reward = 1.5") && Catch::Contains("[0, 1]"));
    CHECK_THROWS_AS(p.update(1.0, 0.0), augur::invalid_argument);
    CHECK_THROWS_AS(p.update(1.0, not_a_number), augur::invalid_argument);
    CHECK_THROWS_AS(p.decay(1.5), augur::invalid_argument);
    CHECK_THROWS_AS(augur::BetaBernoulli(0.0, 1.0), augur::invalid_argument);
    CHECK_THROWS_WITH(augur::BetaBernoulli(1.0, -2.0), Catch::Contains("prior_beta"));
    CHECK(p == augur::BetaBernoulli{}); // nothing changed
}

TEST_CASE("BetaBernoulli save and load", "[routing][posterior]") {
    augur::BetaBernoulli p(2.0, 0.5);
    p.update(1.0, 3.25);
    p.update(0.0);
    const std::string bytes = saved(p);
    const auto q = loaded<augur::BetaBernoulli>(bytes);
    CHECK(q == p);
    augur::Rng r1(3);
    augur::Rng r2(3);
    CHECK(p.sample(r1) == q.sample(r2));

    std::string wrong_magic = bytes;
    wrong_magic[0] = 'X';
    CHECK_THROWS_AS(loaded<augur::BetaBernoulli>(wrong_magic), augur::data_error);
    CHECK_THROWS_WITH(loaded<augur::BetaBernoulli>(wrong_magic), Catch::Contains("magic"));
    std::string wrong_format = bytes;
    wrong_format[8] = 9;
    CHECK_THROWS_WITH(loaded<augur::BetaBernoulli>(wrong_format), Catch::Contains("format 9"));
    for (std::size_t cut : {std::size_t{0}, std::size_t{5}, std::size_t{12}, bytes.size() - 1})
        CHECK_THROWS_AS(loaded<augur::BetaBernoulli>(bytes.substr(0, cut)), augur::data_error);
    // A NormalGamma stream is not a BetaBernoulli.
    CHECK_THROWS_AS(loaded<augur::BetaBernoulli>(saved(augur::NormalGamma{})), augur::data_error);
}

TEST_CASE("NormalGamma updates match the closed form", "[routing][posterior]") {
    const augur::NormalGammaPrior prior{0.2, 2.0, 1.5, 0.7};
    augur::NormalGamma p(prior);
    augur::Rng rng(4);
    std::vector<double> xs;
    for (int i = 0; i < 200; ++i) {
        xs.push_back(augur::normal(rng, 1.3, 0.8));
        p.update(xs.back());
    }
    // Independent form: beta_n = beta + (sum x^2 + kappa m0^2 - kappa_n mu_n^2) / 2.
    double sum = 0.0;
    double sum_sq = 0.0;
    for (double x : xs) {
        sum += x;
        sum_sq += x * x;
    }
    const double n = static_cast<double>(xs.size());
    const double kappa_n = prior.kappa + n;
    const double mu_n = (prior.kappa * prior.mean + sum) / kappa_n;
    const double beta_n =
        prior.beta + 0.5 * (sum_sq + prior.kappa * prior.mean * prior.mean - kappa_n * mu_n * mu_n);
    CHECK(p.kappa_n() == Approx(kappa_n));
    CHECK(p.mean() == Approx(mu_n).epsilon(1e-12));
    CHECK(p.alpha_n() == Approx(prior.alpha + n / 2.0));
    CHECK(p.beta_n() == Approx(beta_n).epsilon(1e-10));
    CHECK(p.sample_mean() == Approx(sum / n));
    CHECK(p.noise_variance() == Approx(beta_n / (prior.alpha + n / 2.0 - 1.0)).epsilon(1e-10));

    // Credible interval of the mean: Student-t with 2 alpha_n degrees of freedom.
    const auto ci = p.credible_interval(0.9);
    const double scale = std::sqrt(p.beta_n() / (p.alpha_n() * p.kappa_n()));
    CHECK(t_cdf(2.0 * p.alpha_n(), p.mean(), scale, ci.upper) == Approx(0.95).margin(1e-10));
    CHECK(t_cdf(2.0 * p.alpha_n(), p.mean(), scale, ci.lower) == Approx(0.05).margin(1e-10));
}

TEST_CASE("NormalGamma samples follow the Student-t marginal of the mean (KS test)",
          "[routing][posterior]") {
    augur::NormalGamma p({0.0, 1.0, 2.0, 1.0});
    augur::Rng data(8);
    for (int i = 0; i < 6; ++i)
        p.update(augur::normal(data, 0.4, 1.0));
    const double scale = std::sqrt(p.beta_n() / (p.alpha_n() * p.kappa_n()));
    augur::Rng rng(77);
    const std::size_t n = 4000;
    std::vector<double> draws(n);
    for (auto& d : draws)
        d = p.sample(rng);
    CHECK(augur_test::ks_statistic(draws, [&](double x) {
              return t_cdf(2.0 * p.alpha_n(), p.mean(), scale, x);
          }) < augur_test::ks_critical_001(n));
}

TEST_CASE("NormalGamma merge, remove and decay", "[routing][posterior]") {
    augur::Rng rng(12);
    for (int seed = 0; seed < 30; ++seed) {
        augur::NormalGamma a;
        augur::NormalGamma b;
        augur::NormalGamma all;
        for (int i = 0; i < 25; ++i) {
            const double x = augur::normal(rng, 0.5, 0.3);
            const double w = 0.5 + augur::uniform01(rng);
            (augur::uniform01(rng) < 0.5 ? a : b).update(x, w);
            all.update(x, w);
        }
        a.merge(b);
        REQUIRE(a.count() == Approx(all.count()));
        REQUIRE(a.mean() == Approx(all.mean()).epsilon(1e-12));
        REQUIRE(a.beta_n() == Approx(all.beta_n()).epsilon(1e-10));
    }
    augur::NormalGamma p;
    augur::NormalGamma before;
    for (double x : {0.1, 0.7, 0.4}) {
        p.update(x);
        before.update(x);
    }
    p.update(2.5, 2.0);
    p.remove(2.5, 2.0);
    CHECK(p.count() == Approx(before.count()));
    CHECK(p.sample_mean() == Approx(before.sample_mean()));
    CHECK(p.sum_squared_deviations() == Approx(before.sum_squared_deviations()));
    p.decay(0.25);
    CHECK(p.count() == Approx(0.75));
    CHECK(p.sample_mean() == Approx(before.sample_mean())); // decay keeps the mean
    p.remove(0.3, 5.0);                                     // removing more than all: reset
    CHECK(p == augur::NormalGamma{});
    CHECK_THROWS_AS(p.update(std::numeric_limits<double>::infinity()), augur::data_error);
    CHECK_THROWS_AS(p.update(not_a_number), augur::data_error);
    CHECK_THROWS_AS(augur::NormalGamma({0.0, 0.0, 1.0, 1.0}), augur::invalid_argument);
    augur::NormalGamma other({1.0, 1.0, 1.0, 1.0});
    CHECK_THROWS_AS(p.merge(other), augur::invalid_argument);
}

TEST_CASE("NormalGamma save and load", "[routing][posterior]") {
    augur::NormalGamma p({0.1, 2.0, 3.0, 0.5});
    for (double x : {0.3, 0.9, -0.2})
        p.update(x);
    const std::string bytes = saved(p);
    CHECK(loaded<augur::NormalGamma>(bytes) == p);
    CHECK_THROWS_WITH(loaded<augur::NormalGamma>(bytes.substr(0, bytes.size() - 3)),
                      Catch::Contains("truncated"));
    CHECK_THROWS_AS(loaded<augur::NormalGamma>(saved(augur::BetaBernoulli{})), augur::data_error);
}

TEST_CASE("LinearGaussian matches Bayesian linear regression", "[routing][posterior]") {
    const std::size_t d = 4;
    const augur::LinearGaussianPrior prior{2.0, 3.0, 0.5};
    augur::LinearGaussian p(d, prior);
    augur::Rng rng(21);
    Eigen::MatrixXd x(300, 4);
    Eigen::VectorXd y(300);
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        std::array<double, 4> row{1.0, augur::normal(rng), augur::uniform01(rng),
                                  augur::uniform01(rng) < 0.3 ? 1.0 : 0.0};
        for (Eigen::Index j = 0; j < 4; ++j)
            x(i, j) = row[static_cast<std::size_t>(j)];
        y[i] = 0.3 + 0.2 * row[1] - 0.4 * row[2] + 0.1 * row[3] + augur::normal(rng, 0.0, 0.1);
        p.update(row, y[i]);
    }
    // Reference: normal equations solved by LDL'.
    const Eigen::MatrixXd lambda =
        x.transpose() * x + prior.precision * Eigen::MatrixXd::Identity(4, 4);
    const Eigen::VectorXd mu = lambda.ldlt().solve(x.transpose() * y);
    const double beta_n = prior.beta + 0.5 * (y.squaredNorm() - mu.dot(lambda * mu));
    CHECK((p.weights_mean() - mu).norm() < 1e-10);
    CHECK(p.alpha_n() == Approx(prior.alpha + 150.0));
    CHECK(p.beta_n() == Approx(beta_n).epsilon(1e-9));
    CHECK((p.weights_scale() - lambda.inverse()).norm() < 1e-12);
    const std::array<double, 4> query{1.0, 0.5, 0.2, 1.0};
    const Eigen::Map<const Eigen::VectorXd> q(query.data(), 4);
    CHECK(p.mean(query) == Approx(mu.dot(q)));
    // Learns the true weights.
    CHECK(p.weights_mean()[1] == Approx(0.2).margin(0.03));
    CHECK(p.weights_mean()[2] == Approx(-0.4).margin(0.1));

    const auto ci = p.credible_interval(query, 0.8);
    const double scale = std::sqrt(p.beta_n() / p.alpha_n() * q.dot(lambda.inverse() * q));
    CHECK(t_cdf(2.0 * p.alpha_n(), mu.dot(q), scale, ci.upper) == Approx(0.9).margin(1e-9));
}

TEST_CASE("LinearGaussian samples follow the Student-t marginal (KS test)",
          "[routing][posterior]") {
    augur::LinearGaussian p(3);
    augur::Rng data(5);
    for (int i = 0; i < 8; ++i) {
        const std::array<double, 3> row{1.0, augur::uniform01(data), augur::normal(data)};
        p.update(row, 0.5 + 0.3 * row[1] + augur::normal(data, 0.0, 0.2));
    }
    const std::array<double, 3> query{1.0, 0.3, -1.0};
    const Eigen::Map<const Eigen::VectorXd> q(query.data(), 3);
    const double scale = std::sqrt(p.beta_n() / p.alpha_n() * q.dot(p.weights_scale() * q));
    augur::Rng rng(99);
    const std::size_t n = 4000;
    std::vector<double> draws(n);
    for (auto& v : draws)
        v = p.sample(rng, query);
    CHECK(augur_test::ks_statistic(draws, [&](double x) {
              return t_cdf(2.0 * p.alpha_n(), p.mean(query), scale, x);
          }) < augur_test::ks_critical_001(n));
    // Whole weight vectors: their projection has the same marginal.
    std::vector<double> projected(n);
    for (auto& v : projected)
        v = p.sample_weights(rng).dot(q);
    CHECK(augur_test::ks_statistic(projected, [&](double x) {
              return t_cdf(2.0 * p.alpha_n(), p.mean(query), scale, x);
          }) < augur_test::ks_critical_001(n));
}

TEST_CASE("LinearGaussian merge, remove, decay, save and bad input", "[routing][posterior]") {
    augur::Rng rng(31);
    augur::LinearGaussian a(2);
    augur::LinearGaussian b(2);
    augur::LinearGaussian all(2);
    for (int i = 0; i < 60; ++i) {
        const std::array<double, 2> row{1.0, augur::normal(rng)};
        const double y = 0.2 * row[1] + augur::normal(rng, 0.0, 0.1);
        (i % 2 ? a : b).update(row, y);
        all.update(row, y);
    }
    a.merge(b);
    CHECK((a.weights_mean() - all.weights_mean()).norm() < 1e-12);
    CHECK(a.beta_n() == Approx(all.beta_n()));

    augur::LinearGaussian before = all;
    const std::array<double, 2> extra{1.0, 3.0};
    all.update(extra, 0.9, 2.0);
    all.remove(extra, 0.9, 2.0);
    CHECK((all.weights_mean() - before.weights_mean()).norm() < 1e-10);
    CHECK(all.count() == Approx(before.count()));
    all.decay(0.0);
    CHECK(all.count() == 0.0);
    CHECK(all.weights_mean().norm() == 0.0);

    std::ostringstream out(std::ios::binary);
    before.save(out);
    std::istringstream in(out.str(), std::ios::binary);
    CHECK(augur::LinearGaussian::load(in) == before);
    std::istringstream cut(out.str().substr(0, 40), std::ios::binary);
    CHECK_THROWS_AS(augur::LinearGaussian::load(cut), augur::data_error);

    const std::array<double, 2> bad{1.0, not_a_number};
    CHECK_THROWS_AS(before.update(bad, 0.5), augur::data_error);
    CHECK_THROWS_AS(before.update(extra, not_a_number), augur::data_error);
    const std::array<double, 3> wrong{1.0, 2.0, 3.0};
    CHECK_THROWS_AS(before.update(wrong, 0.5), augur_test::AssertionFailure);
    CHECK_THROWS_AS(augur::LinearGaussian(0), augur::invalid_argument);
    augur::LinearGaussian other(2, {5.0, 2.0, 0.25});
    CHECK_THROWS_AS(before.merge(other), augur::invalid_argument);
}
