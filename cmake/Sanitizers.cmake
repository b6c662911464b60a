# Sanitized builds (tests/sanitizers/README.md): every target of the build,
# the product libraries and binaries the tests spawn included, compiled with
#
#   -DCABLE_SANITIZE=address,undefined   AddressSanitizer + UBSan (+ LeakSanitizer)
#   -DCABLE_SANITIZE=thread              ThreadSanitizer
#
# in a build folder of its own; scripts/sanitize asan|tsan configures
# build-asan/ or build-tsan/, builds and runs the sanitized test subset.
# Included right after project(), before any target is defined.
include_guard(GLOBAL)

set(CABLE_SANITIZE "" CACHE STRING
  "Sanitizers for every target: address,undefined | thread (empty: none)")
set_property(CACHE CABLE_SANITIZE PROPERTY STRINGS
  "" "address,undefined" "address" "undefined" "thread")

if(CABLE_SANITIZE)
  string(REPLACE "," ";" cable_sanitizers "${CABLE_SANITIZE}")
  foreach(s IN LISTS cable_sanitizers)
    if(NOT s MATCHES "^(address|undefined|thread)$")
      message(FATAL_ERROR "CABLE_SANITIZE: unknown sanitizer '${s}' "
                          "(address, undefined, thread)")
    endif()
  endforeach()
  if("thread" IN_LIST cable_sanitizers AND "address" IN_LIST cable_sanitizers)
    message(FATAL_ERROR "CABLE_SANITIZE: thread and address exclude each other: "
                        "use two build folders (scripts/sanitize asan, scripts/sanitize tsan)")
  endif()
  if(CABLE_FUZZ)
    message(FATAL_ERROR "CABLE_SANITIZE and CABLE_FUZZ exclude each other "
                        "(the fuzz build has its own sanitizers): use separate build folders")
  endif()

  # -fno-sanitize-recover=all: the first UB report aborts the process even when
  # it runs outside scripts/sanitize (its UBSAN_OPTIONS say the same), so a
  # test can never pass over a report. Frame pointers for whole stacks.
  add_compile_options(-fsanitize=${CABLE_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${CABLE_SANITIZE})

  if("thread" IN_LIST cable_sanitizers)
    # Debian's Abseil is not built with ThreadSanitizer, so TSan cannot see
    # that absl::Mutex, CondVar and Notification order memory: every field a
    # Mutex guards would be reported as a race. This object tells TSan about
    # each of their operations (acquire after locking, release before
    # unlocking) and is linked into every binary of the build
    # (tests/sanitizers/tsan_absl_annotations.cc explains how). It is made
    # before link_libraries() below so that it does not link itself, and kept
    # out of the installed package's link interface by BUILD_INTERFACE.
    find_package(absl CONFIG REQUIRED)
    add_library(cable_tsan_absl OBJECT
      ${CMAKE_CURRENT_LIST_DIR}/../tests/sanitizers/tsan_absl_annotations.cc)
    target_link_libraries(cable_tsan_absl PUBLIC absl::synchronization ${CMAKE_DL_LIBS})
    link_libraries($<BUILD_INTERFACE:cable_tsan_absl>)
  endif()
endif()
# What this build applied; scripts/sanitize checks it so that a top-level
# CMakeLists.txt that does not include this file cannot pass unsanitized
# tests off as sanitized ones.
set(CABLE_SANITIZE_APPLIED "${CABLE_SANITIZE}" CACHE INTERNAL "")
