#include <augur/core/error.hpp>

#include <catch2/catch.hpp>

#include "support.hpp"

#include <string>

TEST_CASE("data_error formats its source location", "[core][error]") {
    const augur::data_error located({"metrics.csv", 12, 3}, "bad number 'x1'");
    CHECK(std::string(located.what()) == "metrics.csv:12:3: bad number 'x1'");
    CHECK(located.where().line == 12);
    CHECK(located.message() == "bad number 'x1'");
    const augur::data_error line_only({"-", 4, 0}, "oops");
    CHECK(std::string(line_only.what()) == "-:4: oops");
    const augur::data_error bare("no location");
    CHECK(std::string(bare.what()) == "no location");
}

TEST_CASE("throw_invalid_config names the field and the value", "[core][error]") {
    CHECK_THROWS_WITH(augur::throw_invalid_config("KMeans", "k", 0, "must be positive"),
                      "KMeans: k = 0: must be positive");
    CHECK_THROWS_WITH(augur::throw_invalid_config("Ewma", "alpha", 1.5, "must be in (0, 1]"),
                      "Ewma: alpha = 1.5: must be in (0, 1]");
    CHECK_THROWS_WITH(augur::throw_invalid_config("Cli", "format", std::string("xml"), "csv|json"),
                      "Cli: format = 'xml': csv|json");
    CHECK_THROWS_AS(augur::throw_invalid_config("X", "y", 1, "z"), augur::error);
}

TEST_CASE("AUGUR_ASSERT calls the installed handler", "[core][error]") {
    CHECK_NOTHROW(AUGUR_ASSERT(1 + 1 == 2, "arithmetic"));
    CHECK_THROWS_AS(AUGUR_ASSERT(1 + 1 == 3, "arithmetic"), augur_test::AssertionFailure);
    CHECK_THROWS_WITH(AUGUR_ASSERT(false, "the message"), Catch::Contains("the message"));
}
