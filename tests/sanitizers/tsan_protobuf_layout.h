// Included before anything else in every file of the ThreadSanitizer build
// (-include, cmake/Sanitizers.cmake).
//
// google/protobuf/map_field.h gives MapFieldBase two extra members when it
// sees __SANITIZE_THREAD__ (seq1_, seq2_, declared before arena_,
// repeated_field_, mutex_ and state_). Debian's libprotobuf is compiled
// without ThreadSanitizer, so its out-of-line MapFieldBase methods
// (SyncMapWithRepeatedField, SetMapDirty, Destruct, ...) would use the other
// layout on every map field of our messages (Env.headers, CommandRequest
// .istate, ...): reads and writes 8 bytes off, into the mutex. Including the
// header first, with the macro hidden, gives every translation unit the
// library's layout; its include guard keeps it that way. What is lost is
// protobuf's own extra check of unsynchronised map access, which the library
// could not take part in anyway.
#ifndef CABLE_TESTS_SANITIZERS_TSAN_PROTOBUF_LAYOUT_H_
#define CABLE_TESTS_SANITIZERS_TSAN_PROTOBUF_LAYOUT_H_

#if defined(__cplusplus) && defined(__SANITIZE_THREAD__)
#pragma push_macro("__SANITIZE_THREAD__")
#undef __SANITIZE_THREAD__
#include <google/protobuf/map_field.h>
#pragma pop_macro("__SANITIZE_THREAD__")
#endif

#endif  // CABLE_TESTS_SANITIZERS_TSAN_PROTOBUF_LAYOUT_H_
