// ThreadSanitizer annotations for Debian's (uninstrumented) Abseil.
//
// Linked into every binary of the -DCABLE_SANITIZE=thread build only
// (cmake/Sanitizers.cmake). libabsl_synchronization.so is not compiled with
// -fsanitize=thread, so TSan cannot see that absl::Mutex, absl::CondVar and
// absl::Notification order memory, and would report every field a Mutex
// guards as a data race. This file defines the public entry points of those
// classes in the executable: the dynamic linker then binds every call to
// them (ours, and gRPC's, since libgrpc references them) to these
// definitions, which call Abseil's own through dlsym(RTLD_NEXT) and tell
// TSan about the ordering:
//
//   * after a lock is taken (Lock, ReaderLock, successful TryLock, *LockWhen*,
//     the end of Await* and CondVar::Wait*): __tsan_acquire(mutex);
//   * before a lock is given up (Unlock, ReaderUnlock, the start of Await* and
//     CondVar::Wait*): __tsan_release(mutex);
//   * a Condition is evaluated under the mutex, possibly by the thread that
//     unlocks it: it is wrapped so that its evaluation acquires and releases
//     the mutex too;
//   * Notification::Notify releases, WaitForNotification* acquires, and the
//     inline HasBeenNotified's acquire-load of its flag sees Notify's release.
//
// This is happens-before only: TSan still reports unsynchronised accesses to
// guarded data (the bugs we look for), but does not know who holds which
// lock, so it cannot detect lock-order inversions on absl::Mutex. What is not
// intercepted (Mutex's inline methods all call the ones below) would show up
// as reports, never hide one.
#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

extern "C" {
void __tsan_acquire(void* addr);
void __tsan_release(void* addr);
}

#if !ABSL_OPTION_USE_INLINE_NAMESPACE
#error \
    "tsan_absl_annotations.cc expects Abseil's inline namespace (absl::<ns>::)"
#endif

namespace {

#define CABLE_STR2(x) #x
#define CABLE_STR(x) CABLE_STR2(x)

// The mangled name of absl::<inline ns>::<rest>: "_ZN" (or "_ZNK" for const
// members) "4absl" <len><ns> <rest>.
std::string Mangled(bool is_const, const char* rest) {
  const char* ns = CABLE_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  return std::string(is_const ? "_ZNK" : "_ZN") + "4absl" +
         std::to_string(std::strlen(ns)) + ns + rest;
}

template <typename Fn>
Fn Real(bool is_const, const char* rest) {
  const std::string name = Mangled(is_const, rest);
  void* f = dlsym(RTLD_NEXT, name.c_str());
  if (f == nullptr) {
    std::fprintf(stderr, "tsan_absl_annotations: %s not found: %s\n",
                 name.c_str(), dlerror());
    std::abort();
  }
  return reinterpret_cast<Fn>(f);
}

#define CABLE_REAL(type, is_const, rest) \
  static const auto real = Real<type>(is_const, rest)

void Acquire(const void* p) { __tsan_acquire(const_cast<void*>(p)); }
void Release(const void* p) { __tsan_release(const_cast<void*>(p)); }

// A Condition that acquires and releases `mu` around the caller's, which
// Abseil may evaluate on whichever thread holds or releases the mutex.
struct Annotated {
  Annotated(const absl::Condition& c, const absl::Mutex* m)
      : inner(&c), mu(m), condition(&Eval, this) {}
  static bool Eval(void* self) {
    auto* a = static_cast<Annotated*>(self);
    Acquire(a->mu);
    const bool result = a->inner->Eval();
    Release(a->mu);
    return result;
  }
  const absl::Condition* inner;
  const absl::Mutex* mu;
  absl::Condition condition;
};

using absl::Condition;
using absl::CondVar;
using absl::Duration;
using absl::Mutex;
using absl::Notification;
using absl::Time;

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  CABLE_REAL(void (*)(Mutex*), false, "5Mutex4LockEv");
  real(this);
  Acquire(this);
}

void Mutex::Unlock() {
  CABLE_REAL(void (*)(Mutex*), false, "5Mutex6UnlockEv");
  Release(this);
  real(this);
}

bool Mutex::TryLock() {
  CABLE_REAL(bool (*)(Mutex*), false, "5Mutex7TryLockEv");
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}

void Mutex::ReaderLock() {
  CABLE_REAL(void (*)(Mutex*), false, "5Mutex10ReaderLockEv");
  real(this);
  Acquire(this);
}

void Mutex::ReaderUnlock() {
  CABLE_REAL(void (*)(Mutex*), false, "5Mutex12ReaderUnlockEv");
  Release(this);
  real(this);
}

bool Mutex::ReaderTryLock() {
  CABLE_REAL(bool (*)(Mutex*), false, "5Mutex13ReaderTryLockEv");
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}

void Mutex::Await(const Condition& cond) {
  CABLE_REAL(void (*)(Mutex*, const Condition&), false,
             "5Mutex5AwaitERKNS0_9ConditionE");
  Annotated a(cond, this);
  Release(this);
  real(this, a.condition);
  Acquire(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  CABLE_REAL(bool (*)(Mutex*, const Condition&, Duration), false,
             "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Annotated a(cond, this);
  Release(this);
  const bool result = real(this, a.condition, timeout);
  Acquire(this);
  return result;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  CABLE_REAL(bool (*)(Mutex*, const Condition&, Time), false,
             "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Annotated a(cond, this);
  Release(this);
  const bool result = real(this, a.condition, deadline);
  Acquire(this);
  return result;
}

void Mutex::LockWhen(const Condition& cond) {
  CABLE_REAL(void (*)(Mutex*, const Condition&), false,
             "5Mutex8LockWhenERKNS0_9ConditionE");
  Annotated a(cond, this);
  real(this, a.condition);
  Acquire(this);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  CABLE_REAL(void (*)(Mutex*, const Condition&), false,
             "5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  Annotated a(cond, this);
  real(this, a.condition);
  Acquire(this);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  CABLE_REAL(bool (*)(Mutex*, const Condition&, Duration), false,
             "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Annotated a(cond, this);
  const bool result = real(this, a.condition, timeout);
  Acquire(this);
  return result;
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  CABLE_REAL(
      bool (*)(Mutex*, const Condition&, Duration), false,
      "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Annotated a(cond, this);
  const bool result = real(this, a.condition, timeout);
  Acquire(this);
  return result;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  CABLE_REAL(bool (*)(Mutex*, const Condition&, Time), false,
             "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Annotated a(cond, this);
  const bool result = real(this, a.condition, deadline);
  Acquire(this);
  return result;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  CABLE_REAL(bool (*)(Mutex*, const Condition&, Time), false,
             "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Annotated a(cond, this);
  const bool result = real(this, a.condition, deadline);
  Acquire(this);
  return result;
}

void CondVar::Wait(Mutex* mu) {
  CABLE_REAL(void (*)(CondVar*, Mutex*), false, "7CondVar4WaitEPNS0_5MutexE");
  Release(mu);
  real(this, mu);
  Acquire(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  CABLE_REAL(bool (*)(CondVar*, Mutex*, Duration), false,
             "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  Release(mu);
  const bool result = real(this, mu, timeout);
  Acquire(mu);
  return result;
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  CABLE_REAL(bool (*)(CondVar*, Mutex*, Time), false,
             "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  Release(mu);
  const bool result = real(this, mu, deadline);
  Acquire(mu);
  return result;
}

// Notification is { Mutex mutex_; std::atomic<bool> notified_yet_; }: the
// inline HasBeenNotified() acquire-loads notified_yet_ in instrumented code,
// so Notify releases that address as well as the object's.
static_assert(
    sizeof(Notification) == 2 * sizeof(Mutex),
    "absl::Notification's layout changed: update tsan_absl_annotations.cc");

void Notification::Notify() {
  CABLE_REAL(void (*)(Notification*), false, "12Notification6NotifyEv");
  Release(this);
  Release(reinterpret_cast<const char*>(this) + sizeof(Mutex));
  real(this);
}

void Notification::WaitForNotification() const {
  CABLE_REAL(void (*)(const Notification*), true,
             "12Notification19WaitForNotificationEv");
  real(this);
  Acquire(this);
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  CABLE_REAL(bool (*)(const Notification*, Duration), true,
             "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE");
  const bool result = real(this, timeout);
  Acquire(this);
  return result;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  CABLE_REAL(bool (*)(const Notification*, Time), true,
             "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE");
  const bool result = real(this, deadline);
  Acquire(this);
  return result;
}

ABSL_NAMESPACE_END
}  // namespace absl
