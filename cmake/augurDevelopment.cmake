# Flags for augur's own tests, examples, benchmarks and tools (not part of the exported target).
add_library(augur_development INTERFACE)
target_link_libraries(augur_development INTERFACE augur::augur)
target_compile_options(augur_development INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    -Wno-sign-conversion)
if(AUGUR_WERROR)
    target_compile_options(augur_development INTERFACE -Werror)
endif()
if(AUGUR_SANITIZE)
    # GCC's -Wmaybe-uninitialized gives false positives in libstdc++ under the sanitizers.
    target_compile_options(augur_development INTERFACE -fsanitize=address,undefined
        -fno-sanitize-recover=all -fno-omit-frame-pointer -Wno-maybe-uninitialized)
    target_link_options(augur_development INTERFACE -fsanitize=address,undefined)
endif()
