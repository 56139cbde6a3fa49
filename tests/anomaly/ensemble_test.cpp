#include <augur/anomaly/change_point.hpp>
#include <augur/anomaly/ensemble.hpp>
#include <augur/anomaly/trend.hpp>
#include <augur/core/random.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

namespace {

using augur::Detection;
using augur::Direction;
using augur::Shape;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

augur::Sample at(std::uint32_t series, int i, double value) {
    return {augur::SeriesId{series}, augur::from_epoch_seconds(i), value};
}

Detection det(double score, double threshold, bool anomaly, bool learning = false,
              Shape shape = Shape::spike, Direction direction = Direction::up,
              double expected = 0.0) {
    Detection d;
    d.score = score;
    d.threshold = threshold;
    d.is_anomaly = anomaly;
    d.learning = learning;
    d.shape = shape;
    d.direction = direction;
    d.expected = expected;
    d.deviation = -expected;
    return d;
}

// Replays a script of Detections, one per observe (whatever the sample), then repeats the last.
class Scripted {
public:
    Scripted() = default;
    explicit Scripted(std::vector<Detection> script)
        : script_(std::make_shared<std::vector<Detection>>(std::move(script))) {}
    Detection observe(const augur::Sample&) {
        const Detection d = (*script_)[std::min(next_, script_->size() - 1)];
        ++next_;
        return d;
    }
    void reset() { next_ = 0; }
    void forget(augur::SeriesId) {}
    std::size_t calls() const { return next_; }

private:
    std::shared_ptr<std::vector<Detection>> script_ =
        std::make_shared<std::vector<Detection>>(std::vector<Detection>{Detection{}});
    std::size_t next_ = 0;
};

static_assert(augur::StreamingDetector<Scripted>);
static_assert(augur::StreamingDetector<augur::Ensemble<augur::MeanScore, Scripted, Scripted>>);
static_assert(!augur::EnsembleCombine<Scripted>);

} // namespace

// Explicit instantiation with the default policy and the built-in detectors.
template class augur::Ensemble<augur::MeanScore, augur::LevelShiftDetector, augur::TrendDetector>;
template class augur::Ensemble<augur::MeanRank, augur::LevelShiftDetector, augur::TrendDetector>;

TEST_CASE("Ensemble: spelling and deduction", "[anomaly][ensemble]") {
    augur::Ensemble plain{augur::LevelShiftDetector{}, augur::TrendDetector{}};
    STATIC_REQUIRE(
        std::is_same_v<decltype(plain), augur::Ensemble<augur::MeanScore, augur::LevelShiftDetector,
                                                        augur::TrendDetector>>);
    augur::Ensemble voted{augur::Vote{2}, Scripted{}, Scripted{}, Scripted{}};
    STATIC_REQUIRE(std::is_same_v<decltype(voted),
                                  augur::Ensemble<augur::Vote, Scripted, Scripted, Scripted>>);
    CHECK(voted.combine().k == 2);
    const augur::TrendDetector trend({.window = 50, .learning = 50});
    auto made = augur::make_ensemble(augur::MaxScore{}, trend, augur::LevelShiftDetector{});
    STATIC_REQUIRE(
        std::is_same_v<decltype(made), augur::Ensemble<augur::MaxScore, augur::TrendDetector,
                                                       augur::LevelShiftDetector>>);
    CHECK(made.member<0>().config().window == 50);
    auto made_default = augur::make_ensemble(trend);
    STATIC_REQUIRE(std::is_same_v<decltype(made_default),
                                  augur::Ensemble<augur::MeanScore, augur::TrendDetector>>);
    augur::Ensemble<augur::MeanRank, augur::LevelShiftDetector, augur::TrendDetector> defaulted;
    CHECK(defaulted.combine().history == 200);
    CHECK(decltype(voted)::member_count == 3);
}

TEST_CASE("Ensemble: invalid policies throw", "[anomaly][ensemble]") {
    CHECK_THROWS_AS((augur::Ensemble{augur::Vote{0}, Scripted{}}), augur::invalid_argument);
    CHECK_THROWS_AS((augur::Ensemble{augur::Vote{3}, Scripted{}, Scripted{}}),
                    augur::invalid_argument);
    CHECK_NOTHROW((augur::Ensemble{augur::Vote{2}, Scripted{}, Scripted{}}));
    CHECK_THROWS_AS((augur::Ensemble{augur::MeanScore{1.5}, Scripted{}}), augur::invalid_argument);
    CHECK_THROWS_AS((augur::Ensemble{augur::MeanRank{.history = 1}, Scripted{}}),
                    augur::invalid_argument);
    CHECK_THROWS_AS((augur::Ensemble{augur::MeanRank{.history = std::size_t(1) << 62}, Scripted{}}),
                    augur::invalid_argument);
    CHECK_THROWS_AS(
        (augur::Ensemble{augur::MeanRank{.history = 10, .min_history = 11}, Scripted{}}),
        augur::invalid_argument);
    CHECK_THROWS_AS((augur::Ensemble{augur::MeanRank{.threshold = 0.0}, Scripted{}}),
                    augur::invalid_argument);
}

TEST_CASE("Ensemble: MeanScore, MaxScore and Vote arithmetic", "[anomaly][ensemble]") {
    const augur::Sample s = at(0, 0, 1.0);
    // Three members: (score, threshold, flag); the third is the highest scorer.
    const Detection a = det(0.2, 0.9, false, false, Shape::spike, Direction::down, 10.0);
    const Detection b = det(0.95, 0.9, true, false, Shape::level_shift, Direction::up, 20.0);
    const Detection c = det(0.97, 0.99, false, false, Shape::trend, Direction::up, 30.0);

    SECTION("MeanScore") {
        augur::Ensemble e{Scripted({a}), Scripted({b}), Scripted({c})};
        const Detection d = e.observe(s);
        CHECK(d.score == Approx((0.2 + 0.95 + 0.97) / 3));
        CHECK(d.threshold == Approx((0.9 + 0.9 + 0.99) / 3));
        CHECK_FALSE(d.is_anomaly); // 0.7067 < 0.93
        CHECK_FALSE(d.learning);
        CHECK(d.shape == Shape::trend); // from c, the highest scorer
        CHECK(d.direction == Direction::up);
        CHECK(d.expected == 30.0);
        CHECK(d.deviation == -30.0);
        augur::Ensemble fixed{augur::MeanScore{0.7}, Scripted({a}), Scripted({b}), Scripted({c})};
        const Detection f = fixed.observe(s);
        CHECK(f.threshold == 0.7);
        CHECK(f.is_anomaly);
    }
    SECTION("MaxScore") {
        augur::Ensemble e{augur::MaxScore{}, Scripted({a}), Scripted({b}), Scripted({c})};
        const Detection d = e.observe(s);
        CHECK(d.score == 0.97);
        CHECK(d.threshold == 0.99);
        CHECK_FALSE(d.is_anomaly); // c decides, and c did not flag
        augur::Ensemble two{augur::MaxScore{}, Scripted({a}), Scripted({b})};
        const Detection t = two.observe(s);
        CHECK(t.score == 0.95);
        CHECK(t.is_anomaly);
        CHECK(t.shape == Shape::level_shift);
        CHECK(t.expected == 20.0);
    }
    SECTION("Vote") {
        augur::Ensemble one{augur::Vote{1}, Scripted({a}), Scripted({b}), Scripted({c})};
        const Detection d1 = one.observe(s);
        CHECK(d1.score == 0.97);    // the highest score
        CHECK(d1.threshold == 0.9); // the lowest threshold
        CHECK(d1.is_anomaly);
        augur::Ensemble two{augur::Vote{2}, Scripted({a}), Scripted({b}), Scripted({c})};
        const Detection d2 = two.observe(s);
        CHECK(d2.score == 0.95); // the second highest
        CHECK(d2.threshold == 0.9);
        CHECK_FALSE(d2.is_anomaly); // only b flags
        CHECK(d2.shape == Shape::trend);
        augur::Ensemble three{augur::Vote{3}, Scripted({b}), Scripted({b}), Scripted({a})};
        CHECK(three.observe(s).score == 0.2); // the lowest
        augur::Ensemble tied{augur::Vote{2}, Scripted({b}), Scripted({b}), Scripted({a})};
        const Detection t = tied.observe(s);
        CHECK(t.score == 0.95);
        CHECK(t.is_anomaly);
    }
    SECTION("learning members are left out; all learning means learning") {
        const Detection learning = det(0.0, 0.5, false, true, Shape::none, Direction::none, 99);
        augur::Ensemble e{Scripted({learning, learning}), Scripted({a, a}), Scripted({b, b})};
        const Detection d = e.observe(s);
        CHECK_FALSE(d.learning);
        CHECK(d.score == Approx((0.2 + 0.95) / 2));
        CHECK(d.threshold == Approx(0.9));
        CHECK(d.shape == Shape::level_shift);
        augur::Ensemble all{augur::MaxScore{}, Scripted({learning}), Scripted({learning})};
        const Detection none = all.observe(s);
        CHECK(none.learning);
        CHECK_FALSE(none.is_anomaly);
        CHECK(none.score == 0.0);
        augur::Ensemble votes{augur::Vote{2}, Scripted({learning}), Scripted({b})};
        const Detection v = votes.observe(s);
        CHECK(v.score == 0.0); // the learning member counts as 0
        CHECK(v.threshold == 0.9);
        CHECK_FALSE(v.is_anomaly);
    }
    SECTION("ties go to the first member; reset resets the members") {
        augur::Ensemble e{augur::MaxScore{}, Scripted({a, b}), Scripted({a, c})};
        CHECK(e.observe(s).direction == Direction::down);
        CHECK(e.member<0>().calls() == 1);
        CHECK(e.member<1>().calls() == 1);
        e.reset();
        CHECK(e.member<0>().calls() == 0);
    }
}

TEST_CASE("Ensemble: MeanRank ranks each member within its own history", "[anomaly][ensemble]") {
    // Member 0 scores 0, 1, 2, ... 9 then 4.5; member 1 scores 10 x 0.5 then 0.9.
    std::vector<Detection> first;
    std::vector<Detection> second;
    for (int i = 0; i < 10; ++i) {
        first.push_back(det(i / 10.0, 0.5, false));
        second.push_back(det(0.5, 0.5, false));
    }
    first.push_back(det(0.45, 0.5, false));
    second.push_back(det(0.9, 0.5, false));
    first.push_back(det(0.5, 0.5, false));
    second.push_back(det(0.5, 0.5, false));
    augur::Ensemble e{augur::MeanRank{.history = 10, .min_history = 4, .threshold = 0.7},
                      Scripted(first), Scripted(second)};
    for (int i = 0; i < 10; ++i) {
        const Detection d = e.observe(at(0, i, 0.0));
        INFO("i = " << i);
        if (i < 4) {
            CHECK(d.learning);
            CHECK_FALSE(d.is_anomaly);
            continue;
        }
        // Member 0: i earlier scores all below -> rank 1; member 1: all equal -> 0.5.
        CHECK_FALSE(d.learning);
        CHECK(d.score == Approx((1.0 + 0.5) / 2));
        CHECK(d.is_anomaly);
        CHECK(d.threshold == 0.7);
    }
    // History of member 0 is 0.0..0.9: 0.45 has 5 below -> 0.5; member 1: 0.9 above 10 -> 1.
    const Detection d = e.observe(at(0, 10, 0.0));
    CHECK(d.score == Approx((0.5 + 1.0) / 2));
    CHECK(d.is_anomaly);
    // Now member 0's ring holds 0.1..0.9, 0.45 (0.0 overwritten): 0.5 has 5 below
    // (0.1..0.4, 0.45) and one equal -> 0.55;
    // member 1's holds nine 0.5 and 0.9: 0.5 -> (0 + 9/2) / 10 = 0.45.
    const Detection next = e.observe(at(0, 11, 0.0));
    CHECK(next.score == Approx((0.55 + 0.45) / 2));
    CHECK_FALSE(next.is_anomaly);
    // Histories are per series.
    CHECK(e.observe(at(1, 0, 0.0)).learning);
    CHECK(augur::MeanRank::mid_rank(std::vector<double>{1, 2, 2, 3}, 2.0) == Approx(0.5));
}

TEST_CASE("Ensemble of real detectors agrees with the detectors run alone", "[anomaly][ensemble]") {
    // Three series: a level shift, a leak, plain noise; interleaved.
    augur::LevelShiftDetector shift_alone;
    augur::TrendDetector trend_alone;
    augur::Ensemble mean{augur::LevelShiftDetector{}, augur::TrendDetector{}};
    augur::Ensemble any{augur::Vote{1}, augur::LevelShiftDetector{}, augur::TrendDetector{}};
    augur::Ensemble both{augur::Vote{2}, augur::LevelShiftDetector{}, augur::TrendDetector{}};
    augur::Ensemble top{augur::MaxScore{}, augur::LevelShiftDetector{}, augur::TrendDetector{}};
    augur::Rng rng(42);
    int flagged_any = 0;
    int flagged_leak = 0;
    for (int i = 0; i < 1200; ++i) {
        for (std::uint32_t series = 0; series < 3; ++series) {
            double value = augur::normal(rng, 100.0, 5.0);
            if (series == 0 && i >= 500) value += 20.0;
            if (series == 1 && i >= 500) value += 0.3 * (i - 500);
            if (i % 97 == 5) value = kNaN;
            const augur::Sample s = at(series, i, value);
            const Detection l = shift_alone.observe(s);
            const Detection t = trend_alone.observe(s);
            const Detection m = mean.observe(s);
            const Detection o = any.observe(s);
            const Detection b = both.observe(s);
            const Detection x = top.observe(s);
            INFO("series " << series << " i " << i);
            if (l.learning && t.learning) {
                REQUIRE(m.learning);
                continue;
            }
            const bool both_ready = !l.learning && !t.learning;
            if (both_ready) {
                REQUIRE(m.score == Approx((l.score + t.score) / 2));
                REQUIRE(m.threshold == Approx((l.threshold + t.threshold) / 2));
            }
            REQUIRE(o.is_anomaly ==
                    ((l.is_anomaly && !l.learning) || (t.is_anomaly && !t.learning)));
            REQUIRE(b.is_anomaly == (l.is_anomaly && t.is_anomaly));
            REQUIRE(o.score == std::max(l.learning ? 0.0 : l.score, t.learning ? 0.0 : t.score));
            REQUIRE(b.score == std::min(l.learning ? 0.0 : l.score, t.learning ? 0.0 : t.score));
            if (o.is_anomaly) REQUIRE(o.score >= o.threshold);
            if (b.is_anomaly) REQUIRE(b.score >= b.threshold);
            const Detection& best = l.learning ? t : (t.learning ? l : (t.score > l.score ? t : l));
            REQUIRE(x.score == best.score);
            REQUIRE(x.is_anomaly == best.is_anomaly);
            REQUIRE(x.shape == best.shape);
            REQUIRE(m.shape == best.shape);
            REQUIRE(m.direction == best.direction);
            flagged_any += o.is_anomaly;
            if (series == 1 && i >= 500 && t.is_anomaly) {
                ++flagged_leak;
                CHECK(o.is_anomaly);
            }
        }
    }
    CHECK(flagged_leak > 100);
    CHECK(flagged_any > flagged_leak);
    mean.reset();
    CHECK(mean.member<0>().state(augur::SeriesId{0}) == nullptr);
}
