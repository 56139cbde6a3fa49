// Tests of augur/anomaly/one_class_svm.hpp: known answers from scikit-learn, the solver's
// optimality (KKT) and nu-property over random data sets, invariances, bad input, save/load,
// and the ODDS check against the shared reference AUCs.

#include "archive_support.hpp"
#include "shared_data.hpp"
#include "support.hpp"

#include <augur/anomaly/one_class_svm.hpp>
#include <augur/core/archive.hpp>
#include <augur/core/batch_model.hpp>
#include <augur/core/random.hpp>
#include <augur/core/scaler.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

// Explicit instantiation with each kernel: every member compiles.
template class augur::OneClassSvm<augur::RbfKernel>;
template class augur::OneClassSvm<augur::LinearKernel>;

namespace {

using Rows = std::vector<std::vector<double>>;

Eigen::MatrixXd to_matrix(const Rows& rows) {
    Eigen::MatrixXd m(static_cast<Eigen::Index>(rows.size()),
                      static_cast<Eigen::Index>(rows.front().size()));
    for (std::size_t r = 0; r < rows.size(); ++r)
        for (std::size_t c = 0; c < rows[r].size(); ++c)
            m(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = rows[r][c];
    return m;
}

Eigen::MatrixXd random_matrix(augur::Rng& rng, Eigen::Index n, Eigen::Index d) {
    Eigen::MatrixXd m(n, d);
    for (Eigen::Index r = 0; r < n; ++r) {
        // A mixture: most rows near the origin, some spread wide, so both bounds occur.
        const double spread = augur::uniform01(rng) < 0.15 ? 4.0 : 1.0;
        for (Eigen::Index c = 0; c < d; ++c)
            m(r, c) = augur::normal(rng, 0.5 * static_cast<double>(c), spread);
    }
    return m;
}

// Every training coefficient (0 for rows that are not support vectors).
template <class Svm>
Eigen::VectorXd all_alpha(const Svm& svm, Eigen::Index n) {
    Eigen::VectorXd alpha = Eigen::VectorXd::Zero(n);
    for (std::size_t k = 0; k < svm.support().size(); ++k)
        alpha[static_cast<Eigen::Index>(svm.support()[k])] =
            svm.dual_coef()[static_cast<Eigen::Index>(k)];
    return alpha;
}

double naive_rbf(const Eigen::VectorXd& a, const Eigen::VectorXd& b, double gamma) {
    return std::exp(-gamma * (a - b).squaredNorm());
}

// ---------------------------------------------------------------------------------------------
// Reference values from scikit-learn 1.2.1 (OneClassSVM, tol 1e-3, shrinking, cache 200 MB).
// Re-run with /usr/bin/python3 to print the literals below:
//
// import numpy as np
// from sklearn.svm import OneClassSVM
// rng = np.random.default_rng(20240501)
// A = np.round(np.vstack([rng.normal(0, 1, (34, 2)), rng.uniform(-4, 4, (6, 2))]), 2)
// B = np.round(np.vstack([rng.normal([1, -1, 2], [1, 2, 0.5], (27, 3)),
//                         rng.uniform(-5, 5, (3, 3))]), 2)
// QA = np.round(rng.uniform(-3, 3, (6, 2)), 2)
// QB = np.round(rng.uniform(-4, 4, (6, 3)), 2)
// shift = np.array([5.0, 3.0])
// Z = A.copy(); Z[:, 1] = 7.0                      # variant 2: a zero-variance column
// QZ = np.array([[0.5, 7.0], [2.0, 6.0], [-3.0, 7.5]])
// sets = {"points_2d": A, "points_3d": B, "queries_2d": QA, "queries_3d": QB,
//         "zero_var_queries": QZ}
// for name, M in sets.items():
//     rows = ", ".join("{" + ", ".join(f"{v:g}" for v in r) + "}" for r in M)
//     print(f"const Rows {name} = {{{rows}}};")
// cases = [("points_2d", "queries_2d", A, QA, "rbf", 0.1, "scale", 0),
//          ("points_2d", "queries_2d", A, QA, "rbf", 0.5, 0.7, 0),
//          ("points_3d", "queries_3d", B, QB, "rbf", 0.5, "scale", 0),
//          ("points_3d", "queries_3d", B, QB, "rbf", 0.1, 0.25, 0),
//          ("points_2d", "queries_2d", A + shift, QA + shift, "linear", 0.1, "scale", 1),
//          ("points_2d", "queries_2d", A + shift, QA + shift, "linear", 0.5, "scale", 1),
//          ("points_3d", "queries_3d", B, QB, "linear", 0.1, "scale", 0),
//          ("points_2d", "zero_var_queries", Z, QZ, "rbf", 0.3, "scale", 2)]
// for pts, qs, X, Q, kernel, nu, gamma, variant in cases:
//     m = OneClassSVM(kernel=kernel, nu=nu, gamma=gamma).fit(X)
//     d = np.concatenate([m.decision_function(X), m.decision_function(Q)])
//     g = -1.0 if gamma == "scale" else gamma
//     print(f'{{&{pts}, &{qs}, {variant}, "{kernel}", {nu}, {g}, {m._gamma!r}, '
//           f'{-m.intercept_[0]!r}, {len(m.support_)},')
//     print(" {" + ", ".join(f"{v:.10g}" for v in d) + "}},")
// ---------------------------------------------------------------------------------------------

const Rows points_2d = {
    {-0.33, -0.97}, {0.49, 0.42},   {-0.44, -0.1},  {-1.8, -0.88},  {0.22, 0.6},   {-0.01, -0.82},
    {-0.36, 0.53},  {-1.37, 1.2},   {-0.23, -0.81}, {-1.04, -1.13}, {0.76, -1.35}, {-0.84, 0.1},
    {-1.21, -1.16}, {1.69, -0.14},  {-0.37, 2.15},  {1, 0.58},      {0.87, 0.57},  {0.13, -2.34},
    {0.65, -0.14},  {1.52, 1},      {1.36, -0.4},   {0.46, 1.31},   {-1, -0.13},   {-0.54, 0.2},
    {-0.08, -0.35}, {0.83, 0.52},   {0.83, 0.66},   {-1.32, 0.18},  {-0.7, 1.56},  {-0.08, 1.12},
    {0.67, 0.12},   {-1.35, -0.28}, {0.4, 0.95},    {1.74, 0.47},   {-3.24, 0.25}, {3.13, 2.22},
    {-1.1, -2.33},  {0.95, 0.91},   {-3.14, -0.1},  {3.6, -1.68}};
const Rows points_3d = {
    {-0.3, -0.99, 1.28},  {-0.36, -0.25, 2.08}, {0.59, 1.38, 2.7},   {1.38, -2.5, 2.33},
    {1.44, 3.48, 2.2},    {1.87, -1.18, 3.15},  {0.99, 2.59, 3.23},  {0.18, -3.43, 1.55},
    {0.05, -1.35, 1.23},  {1.68, -0.34, 1.45},  {0.65, 3.4, 2.05},   {1.31, -0.23, 1.21},
    {1.92, 1.51, 1.02},   {1.64, -2.93, 2.01},  {0.47, -1.61, 0.78}, {-0.53, -0.8, 1.44},
    {1.23, -2.66, 1.85},  {1.71, 0.97, 1.8},    {3.1, -1, 2.24},     {0.56, -2.78, 3.24},
    {-0.87, -3.49, 2.46}, {-0.64, -0.97, 1.7},  {-1.17, 1.43, 2.69}, {0.07, -1.58, 1.74},
    {1.26, -2.4, 2.15},   {1.86, -0.9, 1.62},   {1.53, 0.28, 1.7},   {-0.66, 2.95, 1.99},
    {1.21, 4.52, -2.9},   {-2.19, -3.46, -2.56}};
const Rows queries_2d = {{-2.02, 1.32}, {-1.94, 2.03}, {-2.95, 2.22},
                         {-2.9, 0.35},  {1.35, -0.48}, {-0.03, 0.38}};
const Rows queries_3d = {{0.71, -0.57, -0.41}, {-0.65, -1.2, -2.29}, {3.77, 3.04, 0.18},
                         {3.9, -0.15, 1.79},   {3.51, -1.42, 3.4},   {-3.7, -0.09, 3.75}};
const Rows zero_var_queries = {{0.5, 7}, {2, 6}, {-3, 7.5}};

struct ReferenceCase {
    const Rows* points;
    const Rows* queries;
    int variant; // 0 as is, 1 shifted by (5, 3), 2 second column set to 7
    const char* kernel;
    double nu;
    double gamma; // <= 0: "scale"
    double resolved_gamma;
    double rho;
    std::size_t n_sv;
    std::vector<double> decision; // training rows, then queries
};

const std::vector<ReferenceCase> reference_cases = {
    {&points_2d,
     &queries_2d,
     0,
     "rbf",
     0.1,
     -1.0,
     0.3387225359004606,
     0.6756187453669771,
     12,
     {0.04903930901,   0.002404081746,  -3.416052514e-05, -0.0001003052971, 0.007868127128,
      0.03092721533,   0.01218434985,   -6.511668305e-06, 0.03453814152,    0.04955295761,
      -0.000390570397, 0.005205749691,  0.03991327188,    0.0002360592038,  0.0004416775057,
      0.005336786918,  0.004770849222,  0.0003509728582,  0.002768923816,   -0.0001049579333,
      0.001957879899,  0.0121055648,    0.009061208093,   0.002129014112,   0.004690043149,
      0.004656148876,  0.004441744608,  0.0165625763,     0.04510436455,    0.03822757593,
      0.002285829161,  0.01816495792,   0.01376059299,    0.002820068623,   -0.0001643325126,
      0.0001016351034, -0.000100302464, 0.001353426313,   0.002026495873,   -0.0002292260854,
      -0.07910466615,  -0.2127027176,   -0.423427002,     0.03272876847,    0.0001774358623,
      0.002591687463}},
    {&points_2d,
     &queries_2d,
     0,
     "rbf",
     0.5,
     0.7,
     0.7,
     3.364827911658599,
     25,
     {0.0186771908,     0.06137526374,   0.01095883923,    -0.411284177,     -0.0003407642791,
      -0.0005354333337, 0.009746931066,  -0.4979312609,    0.0343877805,     -0.000133854859,
      -0.6059678,       0.03206901175,   -0.07507300146,   -0.05161379146,   -0.8053865595,
      0.2429366371,     0.2042824073,    -1.267346131,     0.1114107655,     -0.2780345581,
      0.0004363555222,  -0.2053011624,   0.06610916939,    -0.0001005086935, 0.0003115317672,
      0.2015744165,     0.1600534281,    -0.1148057508,    -0.06868576724,   0.07418306406,
      0.1428808227,     0.0002478966293, -0.0001338180503, 0.0002485886145,  -1.211044883,
      -2.26937158,      -1.275418616,    0.0305398733,     -1.090457606,     -2.335591188,
      -1.600759311,     -2.256606357,    -3.155488284,     -1.11852615,      -0.07647213359,
      -0.0456136409}},
    {&points_3d,
     &queries_3d,
     0,
     "rbf",
     0.5,
     -1.0,
     0.09985249161238147,
     5.009940420222416,
     16,
     {0.103009546,      0.3145531849,   0.6407070723,  0.4252523404,   -0.3368952624,
      0.0001801302429,  -0.05103568001, -0.2357929809, 0.3016691832,   0.3043364286,
      -0.01904068718,   0.3095791468,   -0.3143181704, -0.01869335868, 0.0001801516123,
      -0.0003602593161, 0.3695869835,   0.3682605126,  -0.90887536,    -0.0681229207,
      -0.8654448209,    0.02067942369,  -0.5785729526, 0.600819501,    0.5438461242,
      0.2982818863,     0.4887185862,   -0.3282165539, -3.697783273,   -3.659885673,
      -1.58987716,      -3.630569307,   -3.140794367,  -2.039666433,   -1.892400797,
      -3.916012166}},
    {&points_3d,
     &queries_3d,
     0,
     "rbf",
     0.1,
     0.25,
     0.25,
     0.40381682951713405,
     16,
     {0.01655748334,    -2.163049818e-05, 0.03235315559,    0.06712868512,    0.0002521027117,
      -0.0001347816644, 7.479706146e-05,  0.000121625741,   0.04517970384,    0.02590346284,
      0.02966632563,    0.008649673022,   -0.0001923271221, 0.0001900734391,  0.0001463508218,
      -0.000167203128,  0.05610961452,    0.02993208211,    0.0003230738534,  0.000159558728,
      0.000196332119,   0.001697448048,   -0.0004516322736, 0.08185853259,    0.08253816888,
      0.0515296648,     0.02652373203,    -0.00010192829,   -0.0001672038268, -0.000227182709,
      -0.215356473,     -0.3275032292,    -0.3277988595,    -0.1556122329,    -0.1450831535,
      -0.3774173472}},
    {&points_2d,
     &queries_2d,
     1,
     "linear",
     0.1,
     -1.0,
     0.20558074105227173,
     57.07839870452883,
     5,
     {11.1322013,      32.3492013,   17.7308013,  -3.821598705, 31.0640013,   15.9036013,
      24.2206013,      19.3832013,   13.6346013,  2.090601295,  19.4198013,   15.2308013,
      1.295471201e-06, 40.2068013,   38.5962013,  39.2468013,   37.7638013,   3.815601295,
      29.0580013,      48.5760013,   34.3448013,  39.9842013,   11.4594013,   19.3408013,
      19.3550013,      36.8880013,   38.1396013,  10.8004013,   29.7840013,   32.4968013,
      31.5968013,      6.366401295,  36.1226013,  46.1962013,   -9.156198705, 76.7420013,
      -9.280598705,    41.6610013,   -11.2131987, 46.9144013,   13.4880013,   20.6930013,
      11.5644013,      -4.617398705, 33.5224013,  26.4172013}},
    {&points_2d,
     &queries_2d,
     1,
     "linear",
     0.5,
     -1.0,
     0.20558074105227173,
     565.3372526168823,
     20,
     {-83.86765262, 52.05104738,  -49.58385262, -199.1840526, 38.99654738,  -50.33435262,
      -11.74735262, -60.74655262, -67.76505262, -149.6791526, -13.93335262, -72.23785262,
      -165.0237526, 122.0014474,  67.96794738,  101.5645474,  90.47374738,  -114.4849526,
      37.25184738,  164.8175474,  82.18514738,  93.84824738,  -96.70955262, -42.81985262,
      -32.67495262, 84.72864738,  91.68804738,  -107.3762526, 11.74734738,  40.39874738,
      51.80624738,  -132.6875526, 71.06324738,  156.3990474,  -260.3573526, 356.6626474,
      -214.2205526, 113.8943474,  -269.6068526, 201.0939474,  -107.7498526, -65.93655262,
      -138.7965526, -227.6797526, 77.39344738,  7.687847383}},
    {&points_3d,
     &queries_3d,
     0,
     "linear",
     0.1,
     -1.0,
     0.09985249161238147,
     -5.665592630151549e-05,
     10,
     {7.07548934e-07,   -0.0001292573904, -0.0002351255403, 0.0001561209104, -0.0002892478061,
      2.184846188e-05,  -0.0003430447729, 0.0002025363166,  5.953668004e-05, 8.770331591e-05,
      -0.0003307688379, 7.138216251e-05,  1.649121346e-07,  0.0002365113298, 0.0001501739519,
      -4.521813767e-05, 0.0001979592635,  -4.088970635e-05, 0.0001798723762, 3.720493033e-05,
      4.904467603e-05,  -6.273722387e-05, -0.0003729075467, 3.525053706e-05, 0.0001545921338,
      0.0001301473566,  7.065076378e-06,  -0.0003912695499, 4.846364563e-05, 0.0003743244823,
      0.0001899869984,  0.0002949527951,  9.560434466e-05,  0.0002140278137, 0.0001445954867,
      -0.0005399791333}},
    {&points_2d,
     &zero_var_queries,
     2,
     "rbf",
     0.3,
     -1.0,
     0.038108903993577935,
     9.582630336284645,
     13,
     {0.3554346703,     0.3471873712,   0.3312749235,   -0.4335604499,  0.3866471235, 0.3918231846,
      0.3494338074,     -0.1029959626,  0.3722402528,   0.09693011946,  0.2720549296, 0.1939964357,
      -2.585341541e-08, -0.246928503,   0.3473353656,   0.175903006,    0.2313740817, 0.3917960901,
      0.3069315874,     -0.1234156113,  -0.01845594545, 0.3533434535,   0.1178261091, 0.3041840815,
      0.3881918228,     0.2468347712,   0.2468347712,   -0.06960444231, 0.2507725745, 0.3881918228,
      0.3010247339,     -0.08950904764, 0.364330462,    -0.2855428306,  -2.008073917, -1.714174116,
      0.06421321131,    0.198179143,    -1.88070777,    -2.315297816,   0.3450373618, -0.8419693193,
      -1.78062394}},
};

Eigen::MatrixXd apply_variant(Eigen::MatrixXd m, int variant) {
    if (variant == 1) {
        m.col(0).array() += 5.0;
        m.col(1).array() += 3.0;
    } else if (variant == 2) {
        m.col(1).setConstant(7.0);
    }
    return m;
}

template <class Svm>
void check_reference(const ReferenceCase& c, Svm& svm) {
    const Eigen::MatrixXd x = apply_variant(to_matrix(*c.points), c.variant);
    const Eigen::MatrixXd q =
        c.variant == 2 ? to_matrix(*c.queries) : apply_variant(to_matrix(*c.queries), c.variant);
    svm.fit(x);
    CHECK(svm.gamma() == Approx(c.resolved_gamma).epsilon(1e-12));
    CHECK(svm.rho() == Approx(c.rho).margin(1e-3));
    CHECK(svm.support().size() == c.n_sv);
    const Eigen::VectorXd dx = svm.decision_function(x);
    const Eigen::VectorXd dq = svm.decision_function(q);
    REQUIRE(static_cast<std::size_t>(dx.size() + dq.size()) == c.decision.size());
    double worst = 0.0;
    for (Eigen::Index i = 0; i < dx.size(); ++i)
        worst = std::max(worst, std::abs(dx[i] - c.decision[static_cast<std::size_t>(i)]));
    for (Eigen::Index i = 0; i < dq.size(); ++i)
        worst =
            std::max(worst, std::abs(dq[i] - c.decision[static_cast<std::size_t>(dx.size() + i)]));
    CHECK(worst < 1e-3);
    // score_samples = decision + rho; predict follows the sign.
    const Eigen::VectorXd s = svm.score_samples(q);
    const Eigen::VectorXi p = svm.predict(q);
    for (Eigen::Index i = 0; i < q.rows(); ++i) {
        CHECK(s[i] == Approx(dq[i] + svm.rho()).margin(1e-12));
        CHECK(p[i] == (dq[i] > 0.0 ? 1 : -1));
    }
}

} // namespace

TEST_CASE("OneClassSvm matches scikit-learn's decision values", "[anomaly][one_class_svm]") {
    REQUIRE(std::size(reference_cases) >= 8);
    for (const ReferenceCase& c : reference_cases) {
        INFO("kernel " << c.kernel << ", nu " << c.nu << ", gamma " << c.gamma << ", variant "
                       << c.variant);
        augur::OneClassSvmConfig config;
        config.nu = c.nu;
        config.gamma = c.gamma;
        if (std::string(c.kernel) == "rbf") {
            augur::OneClassSvm<> svm(config);
            check_reference(c, svm);
        } else {
            augur::LinearOneClassSvm svm(config);
            check_reference(c, svm);
        }
    }
}

TEST_CASE("OneClassSvm decision is the kernel expansion of its support vectors",
          "[anomaly][one_class_svm]") {
    augur::Rng rng(11);
    const Eigen::MatrixXd x = random_matrix(rng, 80, 3);
    const Eigen::MatrixXd q = random_matrix(rng, 10, 3);
    augur::OneClassSvm<> svm({.nu = 0.2});
    svm.fit(x);
    REQUIRE(svm.support_vectors().rows() == static_cast<Eigen::Index>(svm.support().size()));
    const Eigen::VectorXd d = svm.decision_function(q);
    for (Eigen::Index r = 0; r < q.rows(); ++r) {
        double sum = 0.0;
        for (Eigen::Index k = 0; k < svm.support_vectors().rows(); ++k)
            sum += svm.dual_coef()[k] * naive_rbf(svm.support_vectors().row(k).transpose(),
                                                  q.row(r).transpose(), svm.gamma());
        CHECK(d[r] == Approx(sum - svm.rho()).margin(1e-12));
    }
    for (std::size_t k = 0; k < svm.support().size(); ++k)
        CHECK(svm.support_vectors().row(static_cast<Eigen::Index>(k)) ==
              x.row(static_cast<Eigen::Index>(svm.support()[k])));
    // The reported objective is 1/2 a'Ka.
    const Eigen::VectorXd alpha = all_alpha(svm, x.rows());
    double objective = 0.0;
    for (Eigen::Index i = 0; i < x.rows(); ++i)
        for (Eigen::Index j = 0; j < x.rows(); ++j)
            objective += alpha[i] * alpha[j] *
                         naive_rbf(x.row(i).transpose(), x.row(j).transpose(), svm.gamma());
    CHECK(svm.objective() == Approx(objective / 2).epsilon(1e-6));
}

TEST_CASE("OneClassSvm solution satisfies KKT and the nu-property over many data sets",
          "[anomaly][one_class_svm]") {
    int checked = 0;
    for (std::uint64_t seed = 1; seed <= 60; ++seed) {
        augur::Rng rng(seed);
        const auto n = static_cast<Eigen::Index>(10 + augur::uniform_index(rng, 190));
        const auto d = static_cast<Eigen::Index>(1 + augur::uniform_index(rng, 5));
        const Eigen::MatrixXd x = random_matrix(rng, n, d);
        augur::OneClassSvmConfig config;
        config.nu = augur::uniform(rng, 0.02, 0.95);
        config.gamma = seed % 3 == 0 ? augur::uniform(rng, 0.05, 2.0) : 0.0;
        config.shrinking = seed % 2 == 0;
        augur::OneClassSvm<> svm(config);
        svm.fit(x);
        INFO("seed " << seed << ", n " << n << ", d " << d << ", nu " << config.nu);
        REQUIRE(svm.converged());

        const Eigen::VectorXd alpha = all_alpha(svm, n);
        const double nu_l = config.nu * static_cast<double>(n);
        CHECK(alpha.sum() == Approx(nu_l).epsilon(1e-12));
        CHECK(alpha.minCoeff() >= 0.0);
        CHECK(alpha.maxCoeff() <= 1.0);

        // KKT with the gradient G_i = sum_j a_j K_ij = score_samples: a_i = 0 -> G_i >= rho,
        // a_i = 1 -> G_i <= rho, else G_i = rho; the solver stops when every violation is below
        // the tolerance (plus single-precision kernel storage).
        const double slack = config.tolerance + 1e-5;
        const Eigen::VectorXd g = svm.score_samples(x);
        for (Eigen::Index i = 0; i < n; ++i) {
            if (alpha[i] == 0.0)
                CHECK(g[i] >= svm.rho() - slack);
            else if (alpha[i] == 1.0)
                CHECK(g[i] <= svm.rho() + slack);
            else
                CHECK(std::abs(g[i] - svm.rho()) <= slack);
        }

        // nu-property: outliers (clearly negative decision) <= nu l <= support vectors.
        const Eigen::VectorXd dec = svm.decision_function(x);
        const auto outliers = (dec.array() < -slack).count();
        CHECK(static_cast<double>(outliers) <= nu_l + 1e-9);
        CHECK(static_cast<double>(svm.support().size()) >= nu_l - 1e-9);
        ++checked;
    }
    CHECK(checked == 60);
}

TEST_CASE("OneClassSvm linear kernel satisfies KKT", "[anomaly][one_class_svm]") {
    for (std::uint64_t seed = 100; seed < 120; ++seed) {
        augur::Rng rng(seed);
        Eigen::MatrixXd x = random_matrix(rng, 60, 3);
        x.array() += 3.0;
        augur::LinearOneClassSvm svm({.nu = augur::uniform(rng, 0.05, 0.9)});
        svm.fit(x);
        const Eigen::VectorXd alpha = all_alpha(svm, x.rows());
        const Eigen::VectorXd g = svm.score_samples(x);
        // Naive gradient: K = x x'.
        const Eigen::VectorXd naive = x * (x.transpose() * alpha);
        const double scale = std::max(1.0, naive.cwiseAbs().maxCoeff());
        CHECK((g - naive).cwiseAbs().maxCoeff() <= 1e-9 * scale);
        const double slack = 1e-3 + 1e-6 * scale;
        for (Eigen::Index i = 0; i < x.rows(); ++i) {
            if (alpha[i] == 0.0)
                CHECK(g[i] >= svm.rho() - slack);
            else if (alpha[i] == 1.0)
                CHECK(g[i] <= svm.rho() + slack);
            else
                CHECK(std::abs(g[i] - svm.rho()) <= slack);
        }
    }
}

TEST_CASE("OneClassSvm is invariant to row order, cache size and shrinking",
          "[anomaly][one_class_svm]") {
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
        augur::Rng rng(1000 + seed);
        const Eigen::MatrixXd x = random_matrix(rng, 150, 3);
        const Eigen::MatrixXd q = random_matrix(rng, 20, 3);
        augur::OneClassSvmConfig config;
        config.nu = 0.1 + 0.1 * static_cast<double>(seed % 5);
        config.tolerance = 1e-7;
        augur::OneClassSvm<> reference(config);
        reference.fit(x);
        const Eigen::VectorXd expected = reference.decision_function(q);

        // Reversed and shuffled rows: same problem, other path; equal up to the tolerance.
        std::vector<Eigen::Index> order(static_cast<std::size_t>(x.rows()));
        std::iota(order.begin(), order.end(), Eigen::Index{0});
        for (std::size_t i = order.size() - 1; i > 0; --i)
            std::swap(order[i], order[augur::uniform_index(rng, i + 1)]);
        Eigen::MatrixXd shuffled(x.rows(), x.cols());
        for (Eigen::Index r = 0; r < x.rows(); ++r)
            shuffled.row(r) = x.row(order[static_cast<std::size_t>(r)]);
        augur::OneClassSvm<> permuted(config);
        permuted.fit(shuffled);
        CHECK((permuted.decision_function(q) - expected).cwiseAbs().maxCoeff() < 1e-4);
        CHECK(permuted.rho() == Approx(reference.rho()).margin(1e-4));

        // A cache of two columns forces evictions and re-computation; without shrinking the
        // path differs. The default tolerance here, as scikit-learn runs it.
        config.tolerance = 1e-3;
        augur::OneClassSvm<> big(config);
        big.fit(x);
        config.cache_mb = 0;
        augur::OneClassSvm<> tiny(config);
        tiny.fit(x);
        CHECK((tiny.decision_function(q) - big.decision_function(q)).cwiseAbs().maxCoeff() < 1e-9);
        CHECK(tiny.iterations() == big.iterations());
        config.cache_mb = 200;
        config.shrinking = false;
        augur::OneClassSvm<> unshrunk(config);
        unshrunk.fit(x);
        CHECK((unshrunk.decision_function(q) - expected).cwiseAbs().maxCoeff() < 2e-3);
    }
}

TEST_CASE("OneClassSvm edge cases", "[anomaly][one_class_svm]") {
    SECTION("a single row") {
        Eigen::MatrixXd x(1, 2);
        x << 1.0, 2.0;
        augur::OneClassSvm<> svm({.nu = 0.5});
        svm.fit(x);
        CHECK(svm.support().size() == 1);
        CHECK(svm.dual_coef()[0] == 0.5);
        CHECK(svm.rho() == Approx(0.5));
        CHECK(svm.decision_function(x)[0] == Approx(0.0).margin(1e-15));
        CHECK(svm.predict(x)[0] == -1); // a decision of 0 is not an inlier (as LIBSVM)
        CHECK(svm.gamma() == 2.0);      // "scale": 1 / (2 * Var{1, 2}) = 2
    }
    SECTION("a constant matrix: gamma scale falls back to 1 as in scikit-learn") {
        // scikit-learn 1.2.1: OneClassSVM(nu=0.3).fit(np.full((10, 2), 7.0)) -> _gamma 1.0,
        // rho 3, decision [0, -2.14048561, -1.89636168] at (7, 7), (7.5, 6), (8, 7).
        const Eigen::MatrixXd x = Eigen::MatrixXd::Constant(10, 2, 7.0);
        augur::OneClassSvm<> svm({.nu = 0.3});
        svm.fit(x);
        CHECK(svm.gamma() == 1.0);
        CHECK(svm.rho() == Approx(3.0).margin(1e-12));
        Eigen::MatrixXd q(3, 2);
        q << 7.0, 7.0, 7.5, 6.0, 8.0, 7.0;
        const Eigen::VectorXd d = svm.decision_function(q);
        CHECK(d[0] == Approx(0.0).margin(1e-12));
        CHECK(d[1] == Approx(-2.14048561).margin(1e-6));
        CHECK(d[2] == Approx(-1.89636168).margin(1e-6));
    }
    SECTION("nu = 1: every coefficient at 1, rho at the largest score") {
        augur::Rng rng(5);
        const Eigen::MatrixXd x = random_matrix(rng, 30, 2);
        augur::OneClassSvm<> svm({.nu = 1.0});
        svm.fit(x);
        CHECK(svm.support().size() == 30);
        CHECK(svm.dual_coef().minCoeff() == 1.0);
        CHECK(std::isfinite(svm.rho()));
        const Eigen::VectorXd d = svm.decision_function(x);
        CHECK(d.maxCoeff() == Approx(0.0).margin(1e-5));
    }
    SECTION("iteration limit") {
        augur::Rng rng(6);
        const Eigen::MatrixXd x = random_matrix(rng, 200, 2);
        augur::OneClassSvm<> svm({.nu = 0.3, .max_iterations = 3});
        svm.fit(x);
        CHECK(svm.iterations() == 3);
        CHECK_FALSE(svm.converged());
        CHECK(svm.dual_coef().sum() == Approx(0.3 * 200));
    }
}

TEST_CASE("OneClassSvmConfig validation names the field", "[anomaly][one_class_svm]") {
    auto rejects = [](augur::OneClassSvmConfig config, const std::string& field) {
        try {
            augur::OneClassSvm<> svm(config);
        } catch (const augur::invalid_argument& e) {
            CHECK(std::string(e.what()).find(field) != std::string::npos);
            return;
        }
        FAIL("no invalid_argument for " << field);
    };
    const double nan = std::numeric_limits<double>::quiet_NaN();
    rejects({.nu = 0.0}, "nu");
    rejects({.nu = -0.1}, "nu");
    rejects({.nu = 1.0001}, "nu");
    rejects({.nu = nan}, "nu");
    rejects({.gamma = std::numeric_limits<double>::infinity()}, "gamma");
    rejects({.gamma = nan}, "gamma");
    rejects({.tolerance = 0.0}, "tolerance");
    rejects({.tolerance = nan}, "tolerance");
    rejects({.max_iterations = 0}, "max_iterations");
    CHECK_NOTHROW(augur::OneClassSvmConfig{.nu = 1.0, .gamma = -3.0}.validate());
}

TEST_CASE("OneClassSvm rejects bad input", "[anomaly][one_class_svm]") {
    augur::Rng rng(3);
    Eigen::MatrixXd x = random_matrix(rng, 20, 3);
    augur::OneClassSvm<> svm;

    CHECK_THROWS_AS(svm.fit(Eigen::MatrixXd(0, 3)), augur::data_error);
    CHECK_THROWS_AS(svm.fit(Eigen::MatrixXd(5, 0)), augur::data_error);
    for (double bad :
         {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
          -std::numeric_limits<double>::infinity()}) {
        Eigen::MatrixXd y = x;
        y(7, 2) = bad;
        try {
            svm.fit(y);
            FAIL("no data_error");
        } catch (const augur::data_error& e) {
            CHECK(std::string(e.what()).find("OneClassSvm::fit") != std::string::npos);
            CHECK(std::string(e.what()).find("row 8, column 3") != std::string::npos);
        }
    }
    CHECK_FALSE(svm.fitted());
    // Scoring before fit and with the wrong width are programmer errors.
    CHECK_THROWS_AS(svm.decision_function(x), augur_test::AssertionFailure);
    svm.fit(x);
    CHECK_THROWS_AS(svm.decision_function(Eigen::MatrixXd::Zero(2, 4)),
                    augur_test::AssertionFailure);
    Eigen::MatrixXd q = x.topRows(3);
    q(1, 0) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(svm.decision_function(q), augur::data_error);
    CHECK(svm.decision_function(Eigen::MatrixXd(0, 3)).size() == 0);
}

TEST_CASE("OneClassSvm save/load round trip", "[anomaly][one_class_svm]") {
    augur::Rng rng(21);
    const Eigen::MatrixXd x = random_matrix(rng, 120, 4);
    const Eigen::MatrixXd q = random_matrix(rng, 15, 4);
    augur::OneClassSvm<> svm({.nu = 0.15, .tolerance = 1e-4});
    svm.fit(x);
    std::stringstream stream;
    svm.save(stream);
    const std::string text = stream.str();

    std::istringstream in(text);
    const auto loaded = augur::OneClassSvm<>::load(in);
    CHECK(loaded.decision_function(q) == svm.decision_function(q));
    CHECK(loaded.rho() == svm.rho());
    CHECK(loaded.gamma() == svm.gamma());
    CHECK(loaded.kernel().gamma() == svm.kernel().gamma());
    CHECK(loaded.support() == svm.support());
    CHECK(loaded.support_vectors() == svm.support_vectors());
    CHECK(loaded.dual_coef() == svm.dual_coef());
    CHECK(loaded.iterations() == svm.iterations());
    CHECK(loaded.objective() == svm.objective());
    CHECK(loaded.config().nu == 0.15);
    CHECK(loaded.config().tolerance == 1e-4);
    std::ostringstream again;
    loaded.save(again);
    CHECK(again.str() == text);

    SECTION("linear kernel") {
        augur::LinearOneClassSvm linear({.nu = 0.3});
        linear.fit(x);
        std::stringstream s;
        linear.save(s);
        const auto back = augur::LinearOneClassSvm::load(s);
        CHECK(back.decision_function(q) == linear.decision_function(q));
    }
    SECTION("a model of another kernel") {
        std::istringstream s(text);
        CHECK_THROWS_AS(augur::LinearOneClassSvm::load(s), augur::data_error);
    }
    SECTION("damaged input") {
        auto fails = [](const std::string& damaged) {
            std::istringstream s(damaged);
            CHECK_THROWS_AS(augur::OneClassSvm<>::load(s), augur::data_error);
        };
        fails("");
        fails("something else");
        fails(text.substr(0, text.size() / 2));
        fails(text.substr(0, text.size() - 4)); // no checksum
    }
    SECTION("unfitted") {
        const auto back = augur_test::load_bytes<augur::OneClassSvm<>>(
            augur_test::saved_bytes(augur::OneClassSvm<>({.nu = 0.2})));
        CHECK_FALSE(back.fitted());
        CHECK(back.config().nu == 0.2);
    }
}

namespace {

// Re-archives a forged OneClassSvm payload (valid checksum) to reach the checks behind it.
struct SvmFields {
    std::vector<double> kernel_parameters;
    double nu, config_gamma, tolerance;
    std::uint64_t cache_mb, max_iterations;
    bool shrinking;
    double gamma, rho, objective;
    std::uint64_t iterations;
    bool converged;
    std::uint64_t n_features;
    std::vector<std::uint64_t> support;
    Eigen::VectorXd dual_coef;
    Eigen::MatrixXd support_vectors;
    template <class A>
    void archive(A& ar) {
        ar(kernel_parameters, nu, config_gamma, tolerance, cache_mb, max_iterations, shrinking,
           gamma, rho, objective, iterations, converged, n_features, support, dual_coef,
           support_vectors);
    }
};

SvmFields decode_svm(const std::string& bytes) {
    std::istringstream in(bytes);
    return augur::read_archive(in, augur::OneClassSvm<>::type_tag(), 1,
                               [](augur::ArchiveReader& r) { return r.read<SvmFields>(); });
}

std::string encode_svm(const SvmFields& f) {
    std::ostringstream out;
    augur::write_archive(out, augur::OneClassSvm<>::type_tag(), 1,
                         [&](augur::ArchiveWriter& w) { w(f); });
    return out.str();
}

} // namespace

TEST_CASE("OneClassSvm load checks a forged model", "[anomaly][one_class_svm][archive]") {
    using Catch::Matchers::Contains;
    augur::Rng rng(22);
    augur::OneClassSvm<> svm({.nu = 0.3});
    svm.fit(random_matrix(rng, 30, 2));
    const std::string bytes = augur_test::saved_bytes(svm);
    const SvmFields good = decode_svm(bytes);
    REQUIRE(encode_svm(good) == bytes);
    REQUIRE(good.support.size() >= 2);
    auto rejects = [&](auto edit, const char* message) {
        SvmFields f = good;
        edit(f);
        CHECK_THROWS_WITH(augur_test::load_bytes<augur::OneClassSvm<>>(encode_svm(f)),
                          Contains(message));
    };
    rejects([](SvmFields& f) { f.kernel_parameters = {-1.0}; }, "kernel parameters");
    rejects([](SvmFields& f) { f.kernel_parameters = {}; }, "kernel parameters");
    rejects([](SvmFields& f) { f.nu = 1.5; }, "nu");
    rejects([](SvmFields& f) { f.rho = std::nan(""); }, "rho");
    rejects([](SvmFields& f) { f.n_features = 3; }, "disagree");
    rejects([](SvmFields& f) { f.dual_coef[0] = 0.0; }, "(0, 1]");
    rejects([](SvmFields& f) { f.dual_coef[0] = 1.5; }, "(0, 1]");
    rejects([](SvmFields& f) { f.support[1] = f.support[0]; }, "increase");
    rejects([](SvmFields& f) { f.support_vectors(0, 0) = INFINITY; }, "not finite");
    rejects([](SvmFields& f) { f.support.clear(); }, "at least one");
    rejects([](SvmFields& f) { f.n_features = 0; }, "unfitted");
}

TEST_CASE("OneClassSvm: every flipped byte and truncation of a saved model is rejected",
          "[anomaly][one_class_svm][archive]") {
    augur::Rng rng(23);
    augur::OneClassSvm<> svm({.nu = 0.5});
    svm.fit(random_matrix(rng, 6, 2));
    const std::string bytes = augur_test::saved_bytes(svm);
    augur_test::check_corruption<augur::OneClassSvm<>>(
        bytes, [&](const augur::OneClassSvm<>& m) { return augur_test::saved_bytes(m) == bytes; });
}

TEST_CASE("OneClassSvm is a BatchModel: score is -decision_function, one row as in a batch",
          "[anomaly][one_class_svm]") {
    static_assert(augur::BatchModel<augur::OneClassSvm<>>);
    static_assert(augur::BatchModel<augur::LinearOneClassSvm>);
    augur::Rng rng(24);
    const Eigen::MatrixXd x = random_matrix(rng, 80, 3);
    augur::OneClassSvm<> svm({.nu = 0.2});
    svm.fit(x);
    const Eigen::VectorXd s = svm.score(x);
    CHECK(s == -svm.decision_function(x));
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        const Eigen::RowVectorXd row = x.row(i);
        REQUIRE(svm.score(std::span<const double>(row.data(), 3)) ==
                Approx(s(i)).epsilon(1e-12).margin(1e-14));
    }
}

// ---------------------------------------------------------------------------------------------
// ODDS: OneClassSVM(nu=0.1, gamma="scale") on StandardScaler features; AUC of -decision against
// the labels must equal scikit-learn's (reference_auc.csv, 4 decimals).

namespace {

bool read_odds(const std::filesystem::path& file, Eigen::MatrixXd& x, Eigen::VectorXi& labels) {
    std::ifstream in(file);
    if (!in) return false;
    std::string line;
    std::getline(in, line); // header
    std::vector<std::vector<double>> rows;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        std::vector<double> row;
        std::stringstream fields(line);
        std::string field;
        while (std::getline(fields, field, ','))
            row.push_back(std::stod(field));
        rows.push_back(std::move(row));
    }
    const auto n = static_cast<Eigen::Index>(rows.size());
    const auto d = static_cast<Eigen::Index>(rows.front().size()) - 1;
    x.resize(n, d);
    labels.resize(n);
    for (Eigen::Index r = 0; r < n; ++r) {
        for (Eigen::Index c = 0; c < d; ++c)
            x(r, c) = rows[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)];
        labels[r] = static_cast<int>(rows[static_cast<std::size_t>(r)].back());
    }
    return true;
}

// ROC AUC by Mann-Whitney: P(score of an outlier > score of an inlier), ties counted 1/2.
double auc(const Eigen::VectorXd& score, const Eigen::VectorXi& label) {
    std::vector<Eigen::Index> order(static_cast<std::size_t>(score.size()));
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    std::sort(order.begin(), order.end(),
              [&](Eigen::Index a, Eigen::Index b) { return score[a] < score[b]; });
    double rank_sum = 0.0;
    double positives = 0.0;
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        while (j < order.size() && score[order[j]] == score[order[i]])
            ++j;
        const double mid_rank = 0.5 * static_cast<double>(i + 1 + j); // ranks i+1 .. j
        for (std::size_t k = i; k < j; ++k)
            if (label[order[k]] == 1) {
                rank_sum += mid_rank;
                positives += 1.0;
            }
        i = j;
    }
    const double negatives = static_cast<double>(score.size()) - positives;
    return (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives);
}

} // namespace

TEST_CASE("auc helper", "[anomaly][one_class_svm]") {
    Eigen::VectorXd s(5);
    s << 0.1, 0.4, 0.35, 0.8, 0.4;
    Eigen::VectorXi y(5);
    y << 0, 0, 1, 1, 1;
    // Pairs (pos, neg): (0.35: 1 of 2), (0.8: 2 of 2), (0.4: 1 + 1/2) -> 4.5 / 6.
    CHECK(auc(s, y) == Approx(4.5 / 6.0));
}

TEST_CASE("OneClassSvm reproduces scikit-learn's ODDS AUCs", "[anomaly][one_class_svm][odds]") {
    const auto reference_file = augur_test::shared_data_path("odds/reference_auc.csv");
    if (!reference_file) return;
    std::ifstream reference(*reference_file);
    REQUIRE(reference);
    std::string line;
    std::getline(reference, line);
    REQUIRE(line.rfind("dataset,n,d,n_outliers,iforest_auc_mean,iforest_auc_sd,ocsvm_auc", 0) == 0);
    int sets = 0;
    while (std::getline(reference, line)) {
        if (line.empty()) continue;
        std::vector<std::string> fields;
        std::stringstream stream(line);
        std::string field;
        while (std::getline(stream, field, ','))
            fields.push_back(field);
        REQUIRE(fields.size() >= 7);
        Eigen::MatrixXd x;
        Eigen::VectorXi labels;
        const auto file = augur_test::shared_data_path("odds/" + fields[0] + ".csv");
        if (!file) continue;
        REQUIRE(read_odds(*file, x, labels));
        INFO(fields[0]);
        CHECK(x.rows() == std::stol(fields[1]));
        CHECK(x.cols() == std::stol(fields[2]));
        augur::StandardScaler scaler;
        const Eigen::MatrixXd z = scaler.fit_transform(x);
        augur::OneClassSvm<> svm({.nu = 0.1});
        svm.fit(z);
        const double ours = auc(-svm.decision_function(z), labels);
        CHECK(ours == Approx(std::stod(fields[6])).margin(1e-3));
        ++sets;
    }
    CHECK(sets == 3);
}
