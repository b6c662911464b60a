// ThreadSanitizer annotations for Debian's (uninstrumented) gRPC.
//
// Linked into every binary of the -DCABLE_SANITIZE=thread build only
// (cmake/Sanitizers.cmake), next to tsan_absl_annotations.cc, and made the
// same way: these definitions of gRPC's C entry points take the place of
// libgrpc's for every caller (libgrpc++ calls them through the PLT), call the
// real ones through dlsym(RTLD_NEXT) and tell TSan what gRPC guarantees:
//
//   everything a thread did before grpc_call_start_batch(call, ops, n, tag)
//   happens before the completion queue hands out `tag`
//   (grpc_completion_queue_next / _pluck return it).
//
// gRPC keeps that promise through lock-free queues and atomics inside
// libgrpc, which TSan cannot see. Without this, each batch the callback API
// starts on one thread (a reactor's Finish(), a stub's async call) and
// completes on gRPC's "nexting_thread" is reported as a race on the call's
// own objects (CallbackWithSuccessTag, CallOpSet, InterceptorBatchMethodsImpl,
// ServerCallbackCall's refcount, the std::function it runs), all in gRPC's
// inline code.
//
// Only that edge is added, per tag: two batches of unrelated calls stay
// unordered, so races between the threads that use gRPC are still found.
#include <dlfcn.h>
#include <grpc/grpc.h>

#include <cstdio>
#include <cstdlib>

extern "C" {
void __tsan_acquire(void* addr);
void __tsan_release(void* addr);
}

namespace {

template <typename Fn>
Fn Real(const char* name) {
  void* f = dlsym(RTLD_NEXT, name);
  if (f == nullptr) {
    std::fprintf(stderr, "tsan_grpc_annotations: %s not found: %s\n", name,
                 dlerror());
    std::abort();
  }
  return reinterpret_cast<Fn>(f);
}

void AcquireTag(const grpc_event& event) {
  if (event.type == GRPC_OP_COMPLETE) __tsan_acquire(event.tag);
}

}  // namespace

extern "C" {

grpc_call_error grpc_call_start_batch(grpc_call* call, const grpc_op* ops,
                                      size_t nops, void* tag, void* reserved) {
  static const auto real =
      Real<grpc_call_error (*)(grpc_call*, const grpc_op*, size_t, void*,
                               void*)>("grpc_call_start_batch");
  __tsan_release(tag);
  return real(call, ops, nops, tag, reserved);
}

grpc_event grpc_completion_queue_next(grpc_completion_queue* cq,
                                      gpr_timespec deadline, void* reserved) {
  static const auto real =
      Real<grpc_event (*)(grpc_completion_queue*, gpr_timespec, void*)>(
          "grpc_completion_queue_next");
  const grpc_event event = real(cq, deadline, reserved);
  AcquireTag(event);
  return event;
}

grpc_event grpc_completion_queue_pluck(grpc_completion_queue* cq, void* tag,
                                       gpr_timespec deadline, void* reserved) {
  static const auto real =
      Real<grpc_event (*)(grpc_completion_queue*, void*, gpr_timespec, void*)>(
          "grpc_completion_queue_pluck");
  const grpc_event event = real(cq, tag, deadline, reserved);
  AcquireTag(event);
  return event;
}

}  // extern "C"
