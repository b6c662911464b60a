#include "cable/backends.h"

#include "cable/in_memory_pubsub.h"
#include "cable/nats_pubsub.h"

namespace cable {

absl::StatusOr<Backends> MakeBackends(const std::string& nats_url,
                                      const std::string& name,
                                      const NatsSecurity& security) {
  Backends backends;
  if (nats_url.empty()) {
    backends.streams = std::make_unique<InMemoryPubSub>();
    backends.control = std::make_unique<InMemoryPubSub>();
    backends.ready = [] { return true; };
    return backends;
  }
  NatsPubSubOptions streams_options;
  streams_options.url = nats_url;
  streams_options.name = name + " streams";
  streams_options.subject_prefix = "cable.s";
  streams_options.security = security;
  auto streams = NatsPubSub::Connect(streams_options);
  if (!streams.ok()) return streams.status();
  NatsPubSubOptions control_options = streams_options;
  control_options.name = name + " control";
  control_options.subject_prefix = "cable.ctl";
  auto control = NatsPubSub::Connect(control_options);
  if (!control.ok()) return control.status();
  NatsPubSub* s = streams->get();
  NatsPubSub* c = control->get();
  backends.ready = [s, c] { return s->connected() && c->connected(); };
  backends.streams = *std::move(streams);
  backends.control = *std::move(control);
  return backends;
}

}  // namespace cable
