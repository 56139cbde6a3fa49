// Tests of augur/core/scaler.hpp: known answers from scikit-learn's StandardScaler, a naive
// reference on random data, constant columns, bad input and save/load.

#include "archive_support.hpp"
#include "support.hpp"

#include <augur/core/archive.hpp>
#include <augur/core/random.hpp>
#include <augur/core/scaler.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

TEST_CASE("StandardScaler matches scikit-learn", "[core][scaler]") {
    // /usr/bin/python3, scikit-learn 1.2.1:
    //   X = np.array([[1.5, 7.0, 0.1, 1e6 + 0.25], [-2.0, 7.0, 0.1, 1e6 - 1.5],
    //                 [0.25, 7.0, 0.1, 1e6 + 3.0], [4.0, 7.0, 0.1, 1e6 + 0.5],
    //                 [3.5, 7.0, 0.1, 1e6 - 0.75], [-1.0, 7.0, 0.1, 1e6 + 2.0]])
    //   Q = np.array([[0.0, 8.0, 0.3, 1e6], [10.0, 6.0, 0.1, 1e6 + 10.0]])
    //   s = StandardScaler().fit(X); s.mean_, s.scale_, s.transform(X), s.transform(Q)
    Eigen::MatrixXd x(6, 4);
    x << 1.5, 7.0, 0.1, 1e6 + 0.25, -2.0, 7.0, 0.1, 1e6 - 1.5, 0.25, 7.0, 0.1, 1e6 + 3.0, 4.0, 7.0,
        0.1, 1e6 + 0.5, 3.5, 7.0, 0.1, 1e6 - 0.75, -1.0, 7.0, 0.1, 1e6 + 2.0;
    Eigen::MatrixXd q(2, 4);
    q << 0.0, 8.0, 0.3, 1e6, 10.0, 6.0, 0.1, 1e6 + 10.0;

    augur::StandardScaler scaler;
    const Eigen::MatrixXd z = scaler.fit_transform(x);
    CHECK(scaler.n_features() == 4);
    CHECK(scaler.mean()[0] == Approx(1.0416666666666667).epsilon(1e-15));
    CHECK(scaler.mean()[1] == 7.0);
    CHECK(scaler.mean()[2] == Approx(0.1).epsilon(1e-15));
    CHECK(scaler.mean()[3] == Approx(1000000.5833333334).epsilon(1e-15));
    CHECK(scaler.scale()[0] == Approx(2.200457654418482).epsilon(1e-13));
    CHECK(scaler.scale()[1] == 1.0); // constant column
    CHECK(scaler.scale()[2] == 1.0); // constant up to rounding (0.1 has no exact double)
    CHECK(scaler.scale()[3] == Approx(1.5320646925708532).epsilon(1e-9));

    const double expected_z[6][4] = {
        {2.08290004e-01, 0.0, 0.0, -2.17571317e-01}, {-1.38228821e+00, 0.0, 0.0, -1.35982073e+00},
        {-3.59773643e-01, 0.0, 0.0, 1.57739205e+00}, {1.34441730e+00, 0.0, 0.0, -5.43928293e-02},
        {1.11719184e+00, 0.0, 0.0, -8.70285269e-01}, {-9.27837290e-01, 0.0, 0.0, 9.24678098e-01}};
    for (int r = 0; r < 6; ++r)
        for (int c = 0; c < 4; ++c)
            CHECK(z(r, c) == Approx(expected_z[r][c]).margin(1e-8));
    const Eigen::MatrixXd zq = scaler.transform(q);
    const double expected_q[2][4] = {{-4.73386372e-01, 1.0, 2.0e-01, -3.80749805e-01},
                                     {4.07112280e+00, -1.0, 0.0, 6.14638971e+00}};
    for (int r = 0; r < 2; ++r)
        for (int c = 0; c < 4; ++c)
            CHECK(zq(r, c) == Approx(expected_q[r][c]).margin(1e-8));
    // Standardized columns: mean 0, population sd 1 (constant ones stay 0).
    CHECK(z.col(0).mean() == Approx(0.0).margin(1e-15));
    CHECK(std::sqrt(z.col(0).squaredNorm() / 6.0) == Approx(1.0).epsilon(1e-14));
}

TEST_CASE("StandardScaler agrees with a naive computation on random data", "[core][scaler]") {
    for (std::uint64_t seed = 1; seed <= 200; ++seed) {
        augur::Rng rng(seed);
        const auto n = static_cast<Eigen::Index>(1 + augur::uniform_index(rng, 60));
        const auto d = static_cast<Eigen::Index>(1 + augur::uniform_index(rng, 6));
        Eigen::MatrixXd x(n, d);
        for (Eigen::Index c = 0; c < d; ++c) {
            const double offset = augur::uniform(rng, -1e3, 1e3);
            const double spread = std::exp(augur::uniform(rng, -3.0, 3.0));
            for (Eigen::Index r = 0; r < n; ++r)
                x(r, c) = offset + spread * augur::normal(rng);
        }
        augur::StandardScaler scaler;
        const Eigen::MatrixXd z = scaler.fit_transform(x);
        INFO("seed " << seed << ", n " << n);
        for (Eigen::Index c = 0; c < d; ++c) {
            long double mean = 0;
            for (Eigen::Index r = 0; r < n; ++r)
                mean += x(r, c);
            mean /= static_cast<long double>(n);
            long double ss = 0;
            for (Eigen::Index r = 0; r < n; ++r)
                ss += (x(r, c) - mean) * (x(r, c) - mean);
            const auto sd = static_cast<double>(std::sqrt(ss / static_cast<long double>(n)));
            CHECK(scaler.mean()[c] == Approx(static_cast<double>(mean)).epsilon(1e-13));
            if (n == 1) {
                CHECK(scaler.scale()[c] == 1.0);
            } else {
                CHECK(scaler.scale()[c] == Approx(sd).epsilon(1e-9));
                for (Eigen::Index r = 0; r < n; ++r)
                    CHECK(z(r, c) ==
                          Approx((x(r, c) - static_cast<double>(mean)) / sd).margin(1e-8));
            }
        }
        const Eigen::MatrixXd back = scaler.inverse_transform(z);
        CHECK((back - x).cwiseAbs().maxCoeff() <= 1e-9 * (1.0 + x.cwiseAbs().maxCoeff()));
    }
}

TEST_CASE("StandardScaler rejects bad input", "[core][scaler]") {
    augur::StandardScaler scaler;
    CHECK_THROWS_AS(scaler.fit(Eigen::MatrixXd(0, 2)), augur::data_error);
    CHECK_THROWS_AS(scaler.fit(Eigen::MatrixXd(3, 0)), augur::data_error);
    Eigen::MatrixXd x = Eigen::MatrixXd::Random(5, 3);
    for (double bad :
         {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
        Eigen::MatrixXd y = x;
        y(3, 1) = bad;
        try {
            scaler.fit(y);
            FAIL("no data_error");
        } catch (const augur::data_error& e) {
            CHECK(std::string(e.what()).find("row 4, column 2") != std::string::npos);
        }
    }
    CHECK_FALSE(scaler.fitted());
    CHECK_THROWS_AS(scaler.transform(x), augur_test::AssertionFailure);
    scaler.fit(x);
    CHECK_THROWS_AS(scaler.transform(Eigen::MatrixXd::Zero(2, 2)), augur_test::AssertionFailure);
    Eigen::MatrixXd y = x;
    y(0, 0) = -std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(scaler.transform(y), augur::data_error);
}

TEST_CASE("StandardScaler save/load round trip", "[core][scaler]") {
    augur::Rng rng(4);
    Eigen::MatrixXd x(40, 3);
    for (Eigen::Index i = 0; i < x.size(); ++i)
        x.data()[i] = augur::normal(rng, 3.0, 2.0);
    x.col(2).setConstant(-1.25);
    augur::StandardScaler scaler;
    scaler.fit(x);
    std::stringstream stream;
    scaler.save(stream);
    const std::string text = stream.str();
    const auto loaded = augur::StandardScaler::load(stream);
    CHECK(loaded.mean() == scaler.mean());
    CHECK(loaded.scale() == scaler.scale());
    CHECK(loaded.transform(x) == scaler.transform(x));

    auto fails = [](const std::string& damaged) {
        std::istringstream s(damaged);
        CHECK_THROWS_AS(augur::StandardScaler::load(s), augur::data_error);
    };
    fails("");
    fails("augur.standard_scaler 1\nn_features 1\n0 1\nend\n"); // the old text format
    fails(text.substr(0, text.size() - 5));
    std::istringstream trailing(text + "more");
    CHECK_NOTHROW(augur::StandardScaler::load(trailing)); // bytes after the archive stay

    // Forged but well-formed archives reach the field checks.
    auto forged = [](const Eigen::VectorXd& mean, const Eigen::VectorXd& scale) {
        std::ostringstream out;
        augur::write_archive(out, augur::StandardScaler::type_tag, 1,
                             [&](augur::ArchiveWriter& w) { w(mean, scale); });
        return out.str();
    };
    const Eigen::VectorXd one = Eigen::VectorXd::Ones(1);
    fails(forged(one, Eigen::VectorXd::Zero(1)));                   // scale 0
    fails(forged(one, -one));                                       // negative scale
    fails(forged(Eigen::VectorXd::Constant(1, std::nan("")), one)); // NaN mean
    fails(forged(one, Eigen::VectorXd::Ones(2)));                   // lengths differ
    CHECK_NOTHROW(augur_test::load_bytes<augur::StandardScaler>(forged(one, one)));
}

TEST_CASE("StandardScaler: unfitted round trip and every corruption rejected",
          "[core][scaler][archive]") {
    const auto unfitted = augur_test::load_bytes<augur::StandardScaler>(
        augur_test::saved_bytes(augur::StandardScaler{}));
    CHECK_FALSE(unfitted.fitted());
    Eigen::MatrixXd x(3, 2);
    x << 1, 2, 3, 5, -1, 0.5;
    augur::StandardScaler scaler;
    scaler.fit(x);
    const std::string bytes = augur_test::saved_bytes(scaler);
    augur_test::check_corruption<augur::StandardScaler>(
        bytes, [&](const augur::StandardScaler& s) { return augur_test::saved_bytes(s) == bytes; });
}
