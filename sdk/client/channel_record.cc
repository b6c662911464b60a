// A stateful channel join's frame handling, mirroring CableStateChannel in
// sdk/js/cable-state.js step for step (docs/protocol.md, "Revisions and
// gaps").

#include <algorithm>
#include <utility>

#include "json_fields.h"
#include "records.h"

namespace cable::client_internal {

using nlohmann::json;

ChannelRecord::ChannelRecord(std::string name_in, std::string identifier_in,
                             JoinOptions options)
    : name(std::move(name_in)),
      identifier(std::move(identifier_in)),
      handlers(std::make_shared<const JoinOptions>(std::move(options))) {}

json ChannelRecord::Join() {
  json frame = {{"command", "join"}, {"identifier", identifier}};
  if (had_state) {
    frame["data"] = json{{"last_event_id", last_event_id}}.dump();
  }
  join_sent = true;
  awaiting_state = true;
  return frame;
}

void ChannelRecord::OnDisconnected() {
  join_sent = false;
  awaiting_state = false;
  joined = false;
}

void ChannelRecord::OnRejected(Effects& out) {
  join_sent = false;
  awaiting_state = false;
  joined = false;
  if (handlers && handlers->on_rejected) {
    out.calls.push_back([self = shared_from_this(), h = handlers] {
      if (!self->left) h->on_rejected();
    });
  }
}

void ChannelRecord::OnFrame(const json& frame, Effects& out) {
  const std::string type = StringField(frame, "type");
  if (type == "backlog") {
    auto events = frame.find("events");
    if (events == frame.end() || !events->is_array()) return;
    for (const json& item : *events) {
      if (!item.is_object()) continue;
      const std::optional<std::uint64_t> id = U64Field(item, "id");
      // A rejoin only gets newer events; skip any already seen anyway.
      if (had_state && id && *id <= last_event_id) continue;
      if (id) last_event_id = std::max(last_event_id, *id);
      json event = item.value("event", json());
      EmitEventPatch(out, event, std::nullopt, /*from_backlog=*/true);
      EmitEvent(out, std::move(event));
    }
  } else if (type == "state") {
    state = frame.value("state", json());
    revision = U64Field(frame, "revision").value_or(0);
    last_event_id =
        std::max(last_event_id, U64Field(frame, "last_event_id").value_or(0));
    awaiting_state = false;
    had_state = true;
    joined = true;
    EmitState(out, /*initial=*/true);
    EmitState(out, /*initial=*/false);
  } else if (type == "event" || type == "event_patch") {
    OnUpdate(frame, out);
  } else if (type == "error") {
    EmitError(out, ErrorText(frame.value("error", json())));
    // If the error answered our sync, its state will not come: let the next
    // update find the gap again.
    awaiting_state = false;
  }
}

// Live updates. All frames of one commit carry its revision, which is the
// previous commit's plus one; "event" frames come first, "event_patch" last.
void ChannelRecord::OnUpdate(const json& frame, Effects& out) {
  // Before the state arrives, updates are either in it or held back by the
  // gateway until after it.
  if (awaiting_state || !revision) return;
  const std::optional<std::uint64_t> frame_revision =
      U64Field(frame, "revision");
  if (frame_revision && *frame_revision <= *revision) return;  // in the state
  if (!frame_revision || *frame_revision != *revision + 1) {
    Resync(out);
    return;
  }
  const std::optional<std::uint64_t> event_id = U64Field(frame, "event_id");
  if (event_id) last_event_id = std::max(last_event_id, *event_id);
  json event = frame.value("event", json());
  if (StringField(frame, "type") == "event") {
    EmitEventPatch(out, event, std::nullopt, /*from_backlog=*/false);
    EmitEvent(out, std::move(event));
    return;
  }
  json patch = frame.value("patch", json());
  if (!patch.is_null()) {
    try {
      state->patch_inplace(patch);
    } catch (const json::exception&) {
      // The patch does not fit what we hold: fetch the state again.
      awaiting_state = false;
      Resync(out);
      return;
    }
  }
  revision = frame_revision;
  std::optional<json> maybe_event;
  if (event_id) maybe_event = event;
  std::optional<json> maybe_patch;
  if (!patch.is_null()) maybe_patch = std::move(patch);
  const bool changed = maybe_patch.has_value();
  EmitEventPatch(out, std::move(maybe_event), std::move(maybe_patch),
                 /*from_backlog=*/false);
  if (event_id) EmitEvent(out, std::move(event));
  if (changed) EmitState(out, /*initial=*/false);
}

// A revision gap: what the client holds is no longer the server's state.
void ChannelRecord::Resync(Effects& out) {
  if (awaiting_state || !join_sent) return;
  awaiting_state = true;
  out.frames.push_back({{"command", "sync"}, {"identifier", identifier}});
}

void ChannelRecord::EmitEventPatch(Effects& out, std::optional<json> event,
                                   std::optional<json> patch,
                                   bool from_backlog) {
  if (!handlers || !handlers->on_event_patch) return;
  out.calls.push_back(
      [self = shared_from_this(), h = handlers,
       value = EventPatch{std::move(event), std::move(patch), from_backlog}] {
        if (!self->left) h->on_event_patch(value);
      });
}

void ChannelRecord::EmitEvent(Effects& out, json event) {
  if (!handlers || !handlers->on_event) return;
  out.calls.push_back(
      [self = shared_from_this(), h = handlers, event = std::move(event)] {
        if (!self->left) h->on_event(event);
      });
}

// The state callbacks read the record's own state when they run: only the
// I/O thread changes it, and it runs every queued callback of a frame before
// it handles the next frame.
void ChannelRecord::EmitState(Effects& out, bool initial) {
  if (!handlers) return;
  if (initial ? !handlers->on_initial_state : !handlers->on_state) return;
  out.calls.push_back([self = shared_from_this(), h = handlers, initial] {
    if (self->left || !self->state) return;
    if (initial) {
      h->on_initial_state(*self->state);
    } else {
      h->on_state(*self->state);
    }
  });
}

void ChannelRecord::EmitError(Effects& out, std::string message) {
  if (!handlers || !handlers->on_error) return;
  out.calls.push_back(
      [self = shared_from_this(), h = handlers, message = std::move(message)] {
        if (!self->left) h->on_error(message);
      });
}

SubscriptionRecord::SubscriptionRecord(std::string identifier_in,
                                       SubscriptionCallbacks callbacks_in)
    : identifier(std::move(identifier_in)),
      callbacks(std::make_shared<const SubscriptionCallbacks>(
          std::move(callbacks_in))) {}

}  // namespace cable::client_internal
