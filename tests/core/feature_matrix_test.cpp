// Tests of augur/core/feature_matrix.hpp: layout, each missing and duplicate policy with its
// counts, column selection, bad input, and a stream read from a wide CSV.

#include <augur/core/feature_matrix.hpp>
#include <augur/core/io/sample_reader.hpp>
#include <augur/core/series.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

namespace {

using augur::DuplicateCell;
using augur::MissingCell;
using augur::Sample;
using augur::SeriesId;

augur::Timestamp at(double seconds) {
    return augur::from_epoch_seconds(seconds);
}

Sample sample(std::uint32_t series, double seconds, double value) {
    return Sample{SeriesId{series}, at(seconds), value};
}

// Series 2 and 0 at times 20, 10, 30 (out of order); series 0 misses time 30.
std::vector<Sample> gappy() {
    return {sample(2, 20, 2.2), sample(0, 10, 0.1), sample(2, 10, 2.1), sample(2, 30, 2.3),
            sample(0, 20, 0.2)};
}

} // namespace

TEST_CASE("to_feature_matrix: rows by time, columns by SeriesId", "[core][feature_matrix]") {
    std::vector<Sample> samples = gappy();
    samples.push_back(sample(0, 30, 0.3));
    const augur::FeatureMatrix m = augur::to_feature_matrix(samples);
    REQUIRE(m.values.rows() == 3);
    REQUIRE(m.values.cols() == 2);
    CHECK(m.times == std::vector<augur::Timestamp>{at(10), at(20), at(30)});
    CHECK(m.series == std::vector<SeriesId>{SeriesId{0}, SeriesId{2}});
    Eigen::MatrixXd expected(3, 2);
    expected << 0.1, 2.1, 0.2, 2.2, 0.3, 2.3;
    CHECK(m.values == expected);
    CHECK(m.missing == 0);
    CHECK(m.left_nan == 0);
    CHECK(m.duplicates == 0);
    CHECK(m.ignored == 0);
}

TEST_CASE("to_feature_matrix: missing-cell policies", "[core][feature_matrix]") {
    using Catch::Matchers::Contains;
    SECTION("reject names the series and the time") {
        augur::SeriesRegistry registry;
        registry.intern("latency");
        registry.intern("unused");
        registry.intern("errors");
        CHECK_THROWS_AS(augur::to_feature_matrix(gappy()), augur::data_error);
        CHECK_THROWS_WITH(augur::to_feature_matrix(gappy(), {}, &registry),
                          Contains("latency") && Contains("1970-01-01T00:00:30Z"));
        CHECK_THROWS_WITH(augur::to_feature_matrix(gappy()), Contains("#0"));
    }
    SECTION("nan") {
        const auto m = augur::to_feature_matrix(gappy(), {.missing = MissingCell::nan});
        CHECK(std::isnan(m.values(2, 0)));
        CHECK(m.values(1, 0) == 0.2);
        CHECK(m.missing == 1);
        CHECK(m.left_nan == 1);
    }
    SECTION("previous carries the last value forward; leading cells stay NaN") {
        std::vector<Sample> samples = gappy();
        samples.push_back(sample(1, 20, 1.2)); // series 1 starts at time 20, misses 10 and 30
        const auto m = augur::to_feature_matrix(samples, {.missing = MissingCell::previous});
        REQUIRE(m.values.cols() == 3);
        CHECK(m.values(2, 0) == 0.2);
        CHECK(std::isnan(m.values(0, 1)));
        CHECK(m.values(1, 1) == 1.2);
        CHECK(m.values(2, 1) == 1.2);
        CHECK(m.missing == 3);
        CHECK(m.left_nan == 1);
    }
}

TEST_CASE("to_feature_matrix: duplicate-cell policies", "[core][feature_matrix]") {
    using Catch::Matchers::Contains;
    std::vector<Sample> samples = {sample(0, 10, 1.0), sample(1, 10, 5.0), sample(0, 10, 2.0),
                                   sample(0, 10, 3.0)};
    CHECK_THROWS_WITH(augur::to_feature_matrix(samples),
                      Contains("two samples") && Contains("1970-01-01T00:00:10Z"));
    const auto m = augur::to_feature_matrix(samples, {.duplicate = DuplicateCell::keep_last});
    REQUIRE(m.values.rows() == 1);
    CHECK(m.values(0, 0) == 3.0); // the last in stream order
    CHECK(m.values(0, 1) == 5.0);
    CHECK(m.duplicates == 2);
}

TEST_CASE("to_feature_matrix: given columns choose and order the series",
          "[core][feature_matrix]") {
    std::vector<Sample> samples = gappy();
    samples.push_back(sample(0, 30, 0.3));
    samples.push_back(sample(7, 30, 9.9));
    const auto m = augur::to_feature_matrix(samples, {.columns = {SeriesId{2}, SeriesId{0}}});
    CHECK(m.series == std::vector<SeriesId>{SeriesId{2}, SeriesId{0}});
    CHECK(m.values(0, 0) == 2.1);
    CHECK(m.values(0, 1) == 0.1);
    CHECK(m.ignored == 1);
    // A listed series with no sample at all is a missing column.
    CHECK_THROWS_AS(augur::to_feature_matrix(samples, {.columns = {SeriesId{0}, SeriesId{5}}}),
                    augur::data_error);
    const auto with_nan = augur::to_feature_matrix(
        samples, {.missing = MissingCell::nan, .columns = {SeriesId{5}, SeriesId{0}}});
    CHECK(with_nan.left_nan == 3);
    CHECK(with_nan.values.col(0).array().isNaN().all());
    CHECK_THROWS_AS(augur::to_feature_matrix(samples, {.columns = {SeriesId{0}, SeriesId{0}}}),
                    augur::invalid_argument);
}

TEST_CASE("to_feature_matrix: empty streams and NaN values", "[core][feature_matrix]") {
    const auto empty = augur::to_feature_matrix(std::vector<Sample>{});
    CHECK(empty.values.rows() == 0);
    CHECK(empty.values.cols() == 0);
    const auto listed = augur::to_feature_matrix(std::vector<Sample>{}, {.columns = {SeriesId{3}}});
    CHECK(listed.values.rows() == 0);
    CHECK(listed.values.cols() == 1);
    // A NaN value is a present cell: not counted as missing.
    const auto nan_value = augur::to_feature_matrix(std::vector<Sample>{sample(0, 1, NAN)});
    CHECK(std::isnan(nan_value.values(0, 0)));
    CHECK(nan_value.missing == 0);
}

TEST_CASE("to_feature_matrix: a wide CSV through SampleReader", "[core][feature_matrix]") {
    std::istringstream csv("timestamp,cpu,mem\n"
                           "2024-01-01 00:00:00,1,10\n"
                           "2024-01-01 00:01:00,2,20\n"
                           "2024-01-01 00:02:00,3,30\n");
    augur::SeriesRegistry registry;
    augur::io::SampleReader reader{csv, "wide.csv", registry};
    const auto m = augur::to_feature_matrix(reader, {}, &registry);
    REQUIRE(m.values.rows() == 3);
    REQUIRE(m.values.cols() == 2);
    CHECK(registry.name(m.series[0]) == "cpu");
    CHECK(m.values(2, 0) == 3.0);
    CHECK(m.values(2, 1) == 30.0);
    CHECK(augur::to_iso8601(m.times[1]) == "2024-01-01T00:01:00Z");
}
