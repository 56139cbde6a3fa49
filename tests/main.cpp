// Catch2's main, in its own translation unit so test files rebuild quickly. It makes failed
// AUGUR_ASSERT checks throw augur_test::AssertionFailure instead of aborting.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "support.hpp"

int main(int argc, char* argv[]) {
    augur::set_assert_handler(&augur_test::throwing_assert_handler);
    return Catch::Session().run(argc, argv);
}
