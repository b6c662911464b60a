#pragma once
// What sdk/nats_pubsub.cc and sdk/nats_pubsub_publish.cc share (not
// installed).

#include <nats/nats.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "cable/nats_fragments.h"
#include "cable/nats_pubsub.h"

namespace cable {

struct NatsMsgDestroyer {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};

// Reassembly state of one NatsPubSub, shared with its subscriptions (which
// can outlive it until nats.c completes them).
// Locks: Subscription::deliver_mu, then Delivery::mu.
struct NatsPubSub::Delivery {
  Delivery(FragmentAssembler::Limits limits, std::string name)
      : assembler(limits, std::move(name)) {}

  mutable absl::Mutex mu;
  FragmentAssembler assembler ABSL_GUARDED_BY(mu);
};

// One subscription. nats.c's message handler and completion callback get a
// raw pointer to it; `self` keeps it alive until the completion callback,
// after which nats.c never touches it again.
struct NatsPubSub::Subscription {
  PubSubSubscriptionId id = 0;
  std::string subject;
  std::string stream;  // what the callback gets, unless `raw`
  bool raw = false;
  std::shared_ptr<Delivery> delivery;
  // Set by the worker once natsConnection_Subscribe succeeded; read by
  // whoever closes it, after `started` was seen under the NatsPubSub's mu_.
  natsSubscription* sub = nullptr;
  std::shared_ptr<Subscription> self;

  // Guarded by the NatsPubSub's mu_: the worker started it (it then has
  // `sub`); it was unsubscribed (and removed from the map); `on_live` is
  // still to run.
  bool started = false;
  bool cancelled = false;
  PubSubDone on_live;

  // The gate: held while the user callback runs; `active` is cleared under
  // it, so once Close has taken it no call is running or will start.
  absl::Mutex deliver_mu;
  std::atomic<bool> active{true};
  PubSubCallback callback;  // guarded by deliver_mu once queued

  // Runs the user callback (under deliver_mu, while active).
  void Deliver(absl::string_view name, absl::string_view data);
  static void OnMessage(natsConnection* nc, natsSubscription* sub, natsMsg* msg,
                        void* closure);
  static void OnComplete(void* closure) {
    auto* s = static_cast<Subscription*>(closure);
    std::shared_ptr<Subscription> keep = std::move(s->self);
  }
};

}  // namespace cable
