# Flags for augur's own tests, examples, benchmarks and tools (not part of the exported target).
add_library(augur_development INTERFACE)
target_link_libraries(augur_development INTERFACE augur::augur)
target_compile_options(augur_development INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    -Wno-sign-conversion)
# GCC 12 reports false -Wrestrict / -Wstringop-overflow / -Warray-bounds errors inside libstdc++'s string
# concatenation at -O2/-O3 (GCC bugs 105329, 105651); the library headers avoid the pattern.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
   AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(augur_development INTERFACE -Wno-restrict -Wno-stringop-overflow
        -Wno-array-bounds)
endif()
if(AUGUR_WERROR)
    target_compile_options(augur_development INTERFACE -Werror)
endif()
if(AUGUR_SANITIZE)
    # GCC's -Wmaybe-uninitialized gives false positives in libstdc++ under the sanitizers.
    target_compile_options(augur_development INTERFACE -fsanitize=address,undefined
        -fno-sanitize-recover=all -fno-omit-frame-pointer -Wno-maybe-uninitialized)
    target_link_options(augur_development INTERFACE -fsanitize=address,undefined)
endif()
