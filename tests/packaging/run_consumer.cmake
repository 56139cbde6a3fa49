# Builds and runs tests/packaging/consumer against augur (cmake -P script).
# Inputs: AUGUR_SOURCE_DIR, WORK_DIR, MODE (find_package | add_subdirectory), GENERATOR,
# CXX_COMPILER.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run)
    execute_process(COMMAND ${ARGV} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "failed (${result}): ${ARGV}\n${out}\n${err}")
    endif()
    message(STATUS "${out}")
endfunction()

set(consumer_args -DMODE=${MODE} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -G ${GENERATOR})
if(MODE STREQUAL "find_package")
    set(prefix ${WORK_DIR}/prefix)
    run(${CMAKE_COMMAND} -S ${AUGUR_SOURCE_DIR} -B ${WORK_DIR}/augur-build -G ${GENERATOR}
        -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_INSTALL_PREFIX=${prefix}
        -DAUGUR_BUILD_TESTS=OFF -DAUGUR_BUILD_EXAMPLES=OFF -DAUGUR_BUILD_BENCH=OFF
        -DAUGUR_BUILD_TOOLS=OFF -DAUGUR_INSTALL=ON)
    run(${CMAKE_COMMAND} --install ${WORK_DIR}/augur-build)
    foreach(file include/augur/augur.hpp share/cmake/augur/augurConfig.cmake
                 share/cmake/augur/augurConfigVersion.cmake share/pkgconfig/augur.pc)
        if(NOT EXISTS ${prefix}/${file})
            message(FATAL_ERROR "install is missing ${file}")
        endif()
    endforeach()
    list(APPEND consumer_args -DCMAKE_PREFIX_PATH=${prefix})
else()
    list(APPEND consumer_args -DAUGUR_SOURCE_DIR=${AUGUR_SOURCE_DIR})
endif()

run(${CMAKE_COMMAND} -S ${AUGUR_SOURCE_DIR}/tests/packaging/consumer -B ${WORK_DIR}/consumer-build
    ${consumer_args})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer-build)
run(${WORK_DIR}/consumer-build/consumer)
