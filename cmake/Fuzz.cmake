# The libFuzzer build: -DCABLE_FUZZ=ON with Clang (tests/fuzz/README.md).
#
#   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCABLE_FUZZ=ON
#   ninja -C build-fuzz cable_fuzzers && ctest --test-dir build-fuzz -L fuzz
#
# Included right after project(): every target of that build, the product
# libraries included, is compiled with libFuzzer's coverage instrumentation
# and AddressSanitizer + UndefinedBehaviorSanitizer, so the fuzzers see
# coverage of the parsers they drive and a bug anywhere on the way aborts.
# The fuzz targets themselves add -fsanitize=fuzzer (libFuzzer's main) when
# they link (tests/fuzz/CMakeLists.txt).
include_guard(GLOBAL)

option(CABLE_FUZZ "Build tests/fuzz as libFuzzer fuzzers (needs Clang)" OFF)

if(CABLE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR
      "CABLE_FUZZ=ON needs Clang (libFuzzer), not ${CMAKE_CXX_COMPILER_ID}: "
      "configure a separate build folder with CC=clang CXX=clang++")
  endif()
  set(CABLE_FUZZ_SANITIZERS address,undefined)
  # UB aborts (libFuzzer reports it as a crash) instead of printing and
  # going on.
  add_compile_options(-fsanitize=fuzzer-no-link,${CABLE_FUZZ_SANITIZERS}
                      -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${CABLE_FUZZ_SANITIZERS})
endif()
