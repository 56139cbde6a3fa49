#include <augur/anomaly/evaluation.hpp>
#include <augur/core/random.hpp>

#include <catch2/catch.hpp>

#include "support.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace {

// O(n^2) Mann-Whitney: the share of (positive, negative) pairs ranked correctly, ties 1/2.
double naive_auc(const std::vector<double>& s, const std::vector<int>& y) {
    double wins = 0.0;
    double pairs = 0.0;
    for (std::size_t i = 0; i < s.size(); ++i)
        for (std::size_t j = 0; j < s.size(); ++j)
            if (y[i] == 1 && y[j] == 0) {
                pairs += 1.0;
                wins += s[i] > s[j] ? 1.0 : (s[i] == s[j] ? 0.5 : 0.0);
            }
    return wins / pairs;
}

// O(n^2) average precision: for each distinct score t (every threshold where recall
// changes), precision and recall of "score >= t", summed as (R_t - R_prev) * P_t in
// descending order of t.
double naive_ap(const std::vector<double>& s, const std::vector<int>& y) {
    std::vector<double> thresholds = s;
    std::sort(thresholds.begin(), thresholds.end(), std::greater<>());
    thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
    double positives = 0.0;
    for (int label : y)
        positives += label;
    double ap = 0.0;
    double previous_recall = 0.0;
    for (double t : thresholds) {
        double tp = 0.0;
        double flagged = 0.0;
        for (std::size_t i = 0; i < s.size(); ++i)
            if (s[i] >= t) {
                flagged += 1.0;
                tp += y[i];
            }
        const double recall = tp / positives;
        ap += (recall - previous_recall) * (tp / flagged);
        previous_recall = recall;
    }
    return ap;
}

struct Case {
    std::vector<double> scores;
    std::vector<int> labels;
};

// Random scores (rounded to create ties when `ties`) and labels with both classes.
Case random_case(std::uint64_t seed, bool ties) {
    augur::Rng rng{seed};
    const std::size_t n = 2 + augur::uniform_index(rng, 200);
    Case c;
    for (std::size_t i = 0; i < n; ++i) {
        double s = augur::normal(rng);
        if (ties) s = std::round(s * 2.0) / 2.0;
        c.scores.push_back(s);
        c.labels.push_back(augur::uniform01(rng) < 0.3 ? 1 : 0);
    }
    c.labels[0] = 1;
    c.labels[1] = 0;
    return c;
}

} // namespace

TEST_CASE("roc_auc and average_precision: known answers", "[anomaly][evaluation]") {
    // Values from scikit-learn 1.2.1 roc_auc_score / average_precision_score.
    const std::vector<double> s1{0.1, 0.4, 0.35, 0.8};
    const std::vector<int> y1{0, 0, 1, 1};
    CHECK(augur::roc_auc(s1, y1) == Approx(0.75).epsilon(1e-15));
    CHECK(augur::average_precision(s1, y1) == Approx(0.8333333333333333).epsilon(1e-15));

    // Ties: by hand, AUC = (0.5 + 1.5 + 2) / 6; AP = 1/3 * 1 + 1/3 * 2/3 + 1/3 * 3/5.
    const std::vector<double> s2{1, 1, 2, 2, 3};
    const std::vector<int> y2{0, 1, 0, 1, 1};
    CHECK(augur::roc_auc(s2, y2) == Approx(0.6666666666666666).epsilon(1e-15));
    CHECK(augur::average_precision(s2, y2) == Approx(0.7555555555555555).epsilon(1e-15));

    // All tied: chance level.
    const std::vector<double> s3{0.5, 0.5, 0.5, 0.5};
    const std::vector<int> y3{0, 1, 0, 1};
    CHECK(augur::roc_auc(s3, y3) == 0.5);
    CHECK(augur::average_precision(s3, y3) == 0.5);

    // Perfect and inverted rankings.
    const std::vector<double> s4{0.1, 0.2, 0.8, 0.9};
    CHECK(augur::roc_auc(s4, y1) == 1.0);
    CHECK(augur::average_precision(s4, y1) == 1.0);
    const std::vector<int> y4{1, 1, 0, 0};
    CHECK(augur::roc_auc(s4, y4) == 0.0);
    CHECK(augur::average_precision(s4, y4) == Approx(0.5 * 1.0 / 3.0 + 0.5 * 0.5));

    // 30 scores with ties: s_i = (37 i mod 17) / 17, y_i = (7 i mod 5 == 0).
    std::vector<double> s5;
    std::vector<int> y5;
    for (int i = 0; i < 30; ++i) {
        s5.push_back(static_cast<double>((i * 37) % 17) / 17.0);
        y5.push_back((i * 7) % 5 == 0 ? 1 : 0);
    }
    CHECK(augur::roc_auc(s5, y5) == Approx(0.59375).epsilon(1e-15));
    CHECK(augur::average_precision(s5, y5) == Approx(0.2692577030812325).epsilon(1e-14));
}

TEST_CASE("roc_auc and average_precision: naive references and invariants",
          "[anomaly][evaluation]") {
    for (std::uint64_t seed = 0; seed < 300; ++seed) {
        INFO("seed = " << seed);
        const Case c = random_case(seed, seed % 2 == 0);
        const double auc = augur::roc_auc(c.scores, c.labels);
        REQUIRE(auc == Approx(naive_auc(c.scores, c.labels)).epsilon(1e-12));
        REQUIRE(augur::average_precision(c.scores, c.labels) ==
                Approx(naive_ap(c.scores, c.labels)).epsilon(1e-12));

        std::vector<double> reversed = c.scores;
        for (double& s : reversed)
            s = -s;
        REQUIRE(augur::roc_auc(reversed, c.labels) == Approx(1.0 - auc).margin(1e-12));
        std::vector<int> flipped = c.labels;
        for (int& y : flipped)
            y = 1 - y;
        REQUIRE(augur::roc_auc(c.scores, flipped) == Approx(1.0 - auc).margin(1e-12));

        // Invariant under a strictly increasing transform.
        std::vector<double> transformed = c.scores;
        for (double& s : transformed)
            s = std::exp(s) * 3.0 + 1.0;
        REQUIRE(augur::roc_auc(transformed, c.labels) == Approx(auc).epsilon(1e-12));

        const double ap = augur::average_precision(c.scores, c.labels);
        REQUIRE(ap > 0.0);
        REQUIRE(ap <= 1.0);
        REQUIRE(auc >= 0.0);
        REQUIRE(auc <= 1.0);
    }
}

TEST_CASE("binary_metrics: known answers", "[anomaly][evaluation]") {
    const std::vector<double> s{0.9, 0.8, 0.7, 0.6, 0.5, 0.4};
    const std::vector<int> y{1, 0, 1, 1, 0, 0};
    const auto m = augur::binary_metrics(s, y, 0.6); // flags 0.9, 0.8, 0.7, 0.6
    CHECK(m.tp == 3);
    CHECK(m.fp == 1);
    CHECK(m.fn == 0);
    CHECK(m.tn == 2);
    CHECK(m.precision == 0.75);
    CHECK(m.recall == 1.0);
    CHECK(m.f1 == Approx(2.0 * 0.75 / 1.75).epsilon(1e-15));

    const auto none = augur::binary_metrics(s, y, 1.0); // nothing flagged
    CHECK(none.tp == 0);
    CHECK(none.fn == 3);
    CHECK(none.tn == 3);
    CHECK(none.precision == 0.0);
    CHECK(none.recall == 0.0);
    CHECK(none.f1 == 0.0);

    // scikit-learn precision_recall_fscore_support(zero_division=0) on the 30-score case,
    // threshold 0.5: precision 2/7, recall 2/3, F1 0.4.
    std::vector<double> s5;
    std::vector<int> y5;
    for (int i = 0; i < 30; ++i) {
        s5.push_back(static_cast<double>((i * 37) % 17) / 17.0);
        y5.push_back((i * 7) % 5 == 0 ? 1 : 0);
    }
    const auto k = augur::binary_metrics(s5, y5, 0.5);
    CHECK(k.precision == Approx(0.2857142857142857).epsilon(1e-15));
    CHECK(k.recall == Approx(0.6666666666666666).epsilon(1e-15));
    CHECK(k.f1 == Approx(0.4).epsilon(1e-15));
    CHECK(k.tp + k.fp + k.fn + k.tn == 30);
    CHECK(k.tp + k.fn == 6);

    // No positive labels: defined, recall 0.
    const std::vector<int> zeros(6, 0);
    const auto z = augur::binary_metrics(s, zeros, 0.5);
    CHECK(z.fp == 5);
    CHECK(z.recall == 0.0);
    CHECK(z.f1 == 0.0);
}

TEST_CASE("evaluation: bad input", "[anomaly][evaluation]") {
    using Catch::Matchers::Contains;
    const std::vector<double> s{0.1, 0.2, 0.3};
    CHECK_THROWS_WITH(augur::roc_auc(s, std::vector<int>{1, 1, 1}), Contains("one class"));
    CHECK_THROWS_WITH(augur::roc_auc(s, std::vector<int>{0, 0, 0}), Contains("one class"));
    CHECK_THROWS_AS(augur::average_precision(s, std::vector<int>{0, 0, 0}),
                    augur::invalid_argument);
    CHECK(augur::average_precision(s, std::vector<int>{1, 1, 1}) == 1.0);
    CHECK_THROWS_WITH(augur::roc_auc(s, std::vector<int>{0, 2, 1}), Contains("labels[1]"));
    CHECK_THROWS_AS(augur::binary_metrics(s, std::vector<int>{0, -1, 1}, 0.2),
                    augur::invalid_argument);
    const std::vector<double> nan{0.1, std::nan(""), 0.3};
    CHECK_THROWS_WITH(augur::roc_auc(nan, std::vector<int>{0, 1, 1}), Contains("scores[1]"));
    CHECK_THROWS_AS(augur::average_precision(nan, std::vector<int>{0, 1, 1}),
                    augur::invalid_argument);
    CHECK_THROWS_AS(augur::binary_metrics(s, std::vector<int>{0, 1, 1}, std::nan("")),
                    augur::invalid_argument);
    CHECK_THROWS_AS(augur::roc_auc(s, std::vector<int>{0, 1}), augur_test::AssertionFailure);
    CHECK_THROWS_AS(augur::roc_auc({}, {}), augur::invalid_argument);
}

// ---- Incident-level evaluation ----

namespace {

augur::Timestamp at_minute(int m) {
    return augur::Timestamp{} + std::chrono::minutes(m);
}

} // namespace

TEST_CASE("evaluate_incidents: hand-computed detections, delays and false alarms",
          "[anomaly][evaluation][incidents]") {
    const augur::SeriesId a(0), b(1);
    // Incidents: a in [10, 20], b in [30, 40], a and b in [50, 60], a in [70, 80].
    const std::vector<augur::IncidentWindow> windows{{at_minute(10), at_minute(20), {a}},
                                                     {at_minute(30), at_minute(40), {b}},
                                                     {at_minute(50), at_minute(60), {a, b}},
                                                     {at_minute(70), at_minute(80), {a}}};
    const std::vector<augur::TimedDetection> detections{
        {a, at_minute(5), true},   // 0: before every window: false alarm
        {a, at_minute(14), true},  // 1: inside window 0 (delay 4)
        {a, at_minute(12), false}, // 2: not anomalous: ignored
        {a, at_minute(20), true},  // 3: window 0's end is included: not a false alarm
        {a, at_minute(35), true},  // 4: window 1 is on b only: false alarm
        {b, at_minute(40), true},  // 5: window 1 at its very end (delay 10)
        {b, at_minute(55), true},  // 6: window 2 through b (delay 5)...
        {a, at_minute(57), true},  // 7: ...a later one through a
        {b, at_minute(55), true},  // 8: the same time as 6: 6 was given first
        {b, at_minute(81), true},  // 9: false alarm
    };
    const augur::IncidentMetrics m = augur::evaluate_incidents(windows, detections);
    REQUIRE(m.incidents.size() == 4);
    CHECK(m.incidents[0].detected);
    CHECK(m.incidents[0].first == 1u);
    CHECK(m.incidents[0].delay == std::chrono::minutes(4));
    CHECK(m.incidents[1].detected);
    CHECK(m.incidents[1].first == 5u);
    CHECK(m.incidents[1].delay == std::chrono::minutes(10));
    CHECK(m.incidents[2].detected);
    CHECK(m.incidents[2].first == 6u);
    CHECK(m.incidents[2].delay == std::chrono::minutes(5));
    CHECK_FALSE(m.incidents[3].detected);
    CHECK_FALSE(m.incidents[3].first);
    CHECK(m.incidents[3].delay == augur::Duration::zero());
    CHECK(m.detected == 3);
    CHECK(m.missed == 1);
    CHECK(m.false_alarms == std::vector<std::size_t>{0, 4, 9});
    // precision 3 / (3 + 3), recall 3 / 4, F1 2 * 0.5 * 0.75 / 1.25 = 0.6.
    CHECK(m.precision == Approx(0.5));
    CHECK(m.recall == Approx(0.75));
    CHECK(m.f1 == Approx(0.6));
}

TEST_CASE("evaluate_incidents: overlapping windows, unsorted detections, edge cases",
          "[anomaly][evaluation][incidents]") {
    const augur::SeriesId a(0), b(1);
    SECTION("overlapping windows: one detection can find both; none is a false alarm") {
        const std::vector<augur::IncidentWindow> windows{{at_minute(0), at_minute(10), {a}},
                                                         {at_minute(5), at_minute(20), {a}}};
        const std::vector<augur::TimedDetection> detections{
            {a, at_minute(18), true}, {a, at_minute(7), true}, {a, at_minute(3), true}};
        const auto m = augur::evaluate_incidents(windows, detections);
        CHECK(m.incidents[0].first == 2u); // minute 3, although given last
        CHECK(m.incidents[0].delay == std::chrono::minutes(3));
        CHECK(m.incidents[1].first == 1u); // minute 7
        CHECK(m.incidents[1].delay == std::chrono::minutes(2));
        CHECK(m.false_alarms.empty());
        CHECK(m.precision == 1.0);
        CHECK(m.recall == 1.0);
        CHECK(m.f1 == 1.0);
    }
    SECTION("a window that is one instant") {
        const std::vector<augur::IncidentWindow> windows{{at_minute(5), at_minute(5), {b}}};
        const std::vector<augur::TimedDetection> hit{{b, at_minute(5), true}};
        const std::vector<augur::TimedDetection> miss{{b, at_minute(6), true}};
        CHECK(augur::evaluate_incidents(windows, hit).detected == 1);
        const auto m = augur::evaluate_incidents(windows, miss);
        CHECK(m.detected == 0);
        CHECK(m.false_alarms == std::vector<std::size_t>{0});
        CHECK(m.precision == 0.0);
        CHECK(m.recall == 0.0);
        CHECK(m.f1 == 0.0);
    }
    SECTION("no windows, no detections") {
        const auto m = augur::evaluate_incidents({}, {});
        CHECK(m.incidents.empty());
        CHECK(m.detected == 0);
        CHECK(m.precision == 0.0);
        CHECK(m.recall == 0.0);
        const std::vector<augur::TimedDetection> detections{{a, at_minute(1), true},
                                                            {a, at_minute(2), false}};
        const auto n = augur::evaluate_incidents({}, detections);
        CHECK(n.false_alarms == std::vector<std::size_t>{0});
    }
    SECTION("bad windows throw") {
        const std::vector<augur::IncidentWindow> backwards{{at_minute(5), at_minute(4), {a}}};
        CHECK_THROWS_AS(augur::evaluate_incidents(backwards, {}), augur::invalid_argument);
        const std::vector<augur::IncidentWindow> nobody{{at_minute(1), at_minute(4), {}}};
        CHECK_THROWS_WITH(augur::evaluate_incidents(nobody, {}),
                          Catch::Matchers::Contains("windows[0]"));
    }
}

TEST_CASE("evaluate_incidents agrees with a brute-force matcher on random data",
          "[anomaly][evaluation][incidents]") {
    for (std::uint64_t seed = 1; seed <= 200; ++seed) {
        augur::Rng rng(seed);
        auto uniform = [&](int n) {
            return static_cast<int>(rng() % static_cast<std::uint64_t>(n));
        };
        std::vector<augur::IncidentWindow> windows(static_cast<std::size_t>(uniform(5)));
        for (auto& w : windows) {
            const int start = uniform(100);
            w.start = at_minute(start);
            w.end = at_minute(start + uniform(15));
            w.series.push_back(augur::SeriesId(static_cast<std::uint32_t>(uniform(3))));
            if (uniform(2) == 0)
                w.series.push_back(augur::SeriesId(static_cast<std::uint32_t>(uniform(3))));
        }
        std::vector<augur::TimedDetection> detections(static_cast<std::size_t>(uniform(30)));
        for (auto& d : detections)
            d = {augur::SeriesId(static_cast<std::uint32_t>(uniform(3))), at_minute(uniform(120)),
                 uniform(4) != 0};
        const auto m = augur::evaluate_incidents(windows, detections);
        auto inside = [](const augur::TimedDetection& d, const augur::IncidentWindow& w) {
            return d.is_anomaly && d.time >= w.start && d.time <= w.end &&
                   std::find(w.series.begin(), w.series.end(), d.series) != w.series.end();
        };
        INFO("seed " << seed);
        for (std::size_t k = 0; k < windows.size(); ++k) {
            std::optional<std::size_t> first;
            for (std::size_t i = 0; i < detections.size(); ++i)
                if (inside(detections[i], windows[k]) &&
                    (!first || detections[i].time < detections[*first].time))
                    first = i;
            REQUIRE(m.incidents[k].first == first);
        }
        std::vector<std::size_t> false_alarms;
        for (std::size_t i = 0; i < detections.size(); ++i)
            if (detections[i].is_anomaly &&
                std::none_of(windows.begin(), windows.end(),
                             [&](const auto& w) { return inside(detections[i], w); }))
                false_alarms.push_back(i);
        REQUIRE(m.false_alarms == false_alarms);
    }
}
