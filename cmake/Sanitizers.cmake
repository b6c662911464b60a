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

  if("address" IN_LIST cable_sanitizers)
    # With -fsanitize=address GCC 12 inlines libstdc++'s std::regex differently
    # and warns that _State's move constructor (regex_automaton.h) copies a
    # std::function that "may be used uninitialized", in every file that
    # builds a std::regex. The normal build does not warn, and the code is
    # libstdc++'s: off in this build only, so that it stays free of warnings.
    add_compile_options(-Wno-maybe-uninitialized)
  endif()

  if("thread" IN_LIST cable_sanitizers)
    # Every file sees Debian libprotobuf's layout of map fields, which
    # __SANITIZE_THREAD__ would change (tests/sanitizers/tsan_protobuf_layout.h).
    add_compile_options(
      "SHELL:-include ${CMAKE_CURRENT_LIST_DIR}/../tests/sanitizers/tsan_protobuf_layout.h")
    # GCC warns (-Wtsan) at each std::atomic_thread_fence, which TSan does not
    # model: Boost.Asio's std_fenced_block and Abseil's flag SequenceLock use
    # them. Neither is how our code orders memory (Asio's queues are ordered
    # by its mutexes, which TSan sees), and the warning is about the tool, not
    # the code: off, so that the build stays free of warnings.
    add_compile_options(-Wno-tsan)

    # Debian's Abseil and gRPC are not built with ThreadSanitizer, so TSan
    # cannot see how they order memory: that absl::Mutex, CondVar and
    # Notification do (every field a Mutex guards would be reported as a
    # race), nor that a gRPC batch happens before its tag comes out of the
    # completion queue (every callback-API call would be). These objects tell
    # TSan (tests/sanitizers/tsan_absl_annotations.cc and
    # tsan_grpc_annotations.cc explain how) and are linked into every binary
    # of the build. They are made before link_libraries() below so that they
    # do not link themselves, and kept out of the installed package's link
    # interface by BUILD_INTERFACE. The gRPC one only needs <grpc/grpc.h>: it
    # finds libgrpc at run time, in the binaries that load it.
    find_package(absl CONFIG REQUIRED)
    add_library(cable_tsan_annotations OBJECT
      ${CMAKE_CURRENT_LIST_DIR}/../tests/sanitizers/tsan_absl_annotations.cc
      ${CMAKE_CURRENT_LIST_DIR}/../tests/sanitizers/tsan_grpc_annotations.cc)
    target_link_libraries(cable_tsan_annotations PUBLIC absl::synchronization
                          ${CMAKE_DL_LIBS})
    link_libraries($<BUILD_INTERFACE:cable_tsan_annotations>)

    # The code protoc and grpc_cpp_plugin generate (cable_proto) is protobuf's
    # and gRPC's code instantiated for our messages: it is compiled like the
    # Debian libraries it belongs with, without ThreadSanitizer. A request's
    # bytes are serialized into gRPC's buffers on the caller's thread and
    # parsed from them on a server thread, handed over inside libgrpc (the
    # in-process channel of cable-server) with no tag the two sides share, so
    # instrumented (de)serializers report every call as a race on the buffer.
    # Our own code, the inline accessors of the generated messages included,
    # stays instrumented.
    cmake_language(DEFER CALL cable_tsan_skip_generated_code)
    function(cable_tsan_skip_generated_code)
      if(TARGET cable_proto)
        target_compile_options(cable_proto PRIVATE -fno-sanitize=thread)
      endif()
    endfunction()
  endif()
endif()
# What this build applied; scripts/sanitize checks it so that a top-level
# CMakeLists.txt that does not include this file cannot pass unsanitized
# tests off as sanitized ones.
set(CABLE_SANITIZE_APPLIED "${CABLE_SANITIZE}" CACHE INTERNAL "")
