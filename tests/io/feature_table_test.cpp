// Tests of augur/core/io/feature_table.hpp: layout, the label column, cell text kept, and
// every error located as FILE:LINE:COL.

#include <augur/core/error.hpp>
#include <augur/core/io/feature_table.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>
#include <string>

namespace {

augur::io::FeatureTable read(const std::string& text,
                             const augur::io::FeatureTableOptions& options = {}) {
    std::istringstream in(text);
    return augur::io::read_feature_table(in, "table.csv", options);
}

std::string error_of(const std::string& text, const augur::io::FeatureTableOptions& options = {}) {
    try {
        (void)read(text, options);
    } catch (const augur::data_error& e) {
        return e.what();
    }
    return "no data_error";
}

} // namespace

TEST_CASE("read_feature_table: features, header and cells", "[io][feature_table]") {
    const auto t = read("a,b,c\n1,2.5,-3\n4,5,6e2\n");
    REQUIRE(t.rows() == 2);
    CHECK(t.header() == std::vector<std::string>{"a", "b", "c"});
    CHECK(t.feature_names() == t.header());
    CHECK_FALSE(t.label().has_value());
    Eigen::MatrixXd expected(2, 3);
    expected << 1, 2.5, -3, 4, 5, 600;
    CHECK(t.features() == expected);
    CHECK(t.cell(1, 2) == "6e2"); // the text as written
    CHECK(t.cell(0, 0) == "1");
}

TEST_CASE("read_feature_table: a label column is kept out of the features", "[io][feature_table]") {
    const auto t = read("x,name,y\n1,\"a, b\",2\n3,c,4\n", {.label_column = "name"});
    REQUIRE(t.label() == 1U);
    CHECK(t.feature_names() == std::vector<std::string>{"x", "y"});
    CHECK(t.features().cols() == 2);
    CHECK(t.features()(1, 1) == 4.0);
    CHECK(t.cell(0, 1) == "a, b");
    CHECK_THROWS_AS(read("x,y\n1,2\n", {.label_column = "nope"}), augur::invalid_argument);
    CHECK_THAT(error_of("name,name\n1,2\n", {.label_column = "name"}),
               Catch::Matchers::Contains("twice"));
    CHECK_THAT(error_of("name\nq\n", {.label_column = "name"}),
               Catch::Matchers::Contains("no feature columns"));
}

TEST_CASE("read_feature_table: errors name FILE:LINE:COL", "[io][feature_table]") {
    using Catch::Matchers::Contains;
    using Catch::Matchers::StartsWith;
    CHECK_THAT(error_of(""), StartsWith("table.csv:1: ") && Contains("empty"));
    CHECK_THAT(error_of("a,b\n"), Contains("no data rows"));
    CHECK_THAT(error_of("a,b\n1,2\n3\n"), StartsWith("table.csv:3: ") && Contains("2 fields"));
    CHECK_THAT(error_of("a,b\n1,2\n3,x\n"),
               StartsWith("table.csv:3:3: ") && Contains("column 'b'") && Contains("'x'"));
    CHECK_THAT(error_of("a,b\n1,2\nnan,4\n"),
               StartsWith("table.csv:3:1: ") && Contains("not a finite number"));
    CHECK_THAT(error_of("a,b\n1,2\ninf,4\n"), Contains("not a finite number"));
    CHECK_THROWS_AS(
        augur::io::read_feature_table(std::filesystem::path("/nonexistent/dir/table.csv")),
        augur::data_error);
}
