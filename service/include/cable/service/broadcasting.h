#pragma once
// How models name their broadcastings (seed: `stream_for`, `broadcasting_for`,
// Broadcastable models).
//
// A model takes part by having a member `broadcasting_id()` that returns a
// stable string unique among models, e.g. "Post:42" (Rails: `to_gid_param`).
// Two names derive from it:
//   * a channel's broadcasting for a model (`Channel::stream_for`,
//     `Channel::broadcast_to_target`) is namespaced by the registered channel
//     name: "ChatChannel:" + broadcasting_id();
//   * a Broadcaster given a model streams to broadcasting_id() itself, the
//     way turbo-rails' `broadcast_*_to(model)` does. Use BroadcastingFor() as
//     the stream name to reach a channel's `stream_for` subscribers.

#include <concepts>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace cable::service {

template <typename T>
concept Broadcastable = requires(const T& model) {
  { model.broadcasting_id() } -> std::convertible_to<std::string>;
};

// A stream name or a Broadcastable model.
template <typename T>
concept Streamable =
    std::convertible_to<const T&, absl::string_view> || Broadcastable<T>;

// The stream a Streamable names: itself, or the model's broadcasting_id().
template <Streamable T>
std::string StreamNameOf(const T& streamable) {
  if constexpr (Broadcastable<T>) {
    return std::string(streamable.broadcasting_id());
  } else {
    return std::string(absl::string_view(streamable));
  }
}

// `channel_name`'s broadcasting for a model (what `stream_for` streams from).
inline std::string BroadcastingFor(absl::string_view channel_name,
                                   absl::string_view broadcasting_id) {
  return absl::StrCat(channel_name, ":", broadcasting_id);
}

template <Broadcastable T>
std::string BroadcastingFor(absl::string_view channel_name, const T& model) {
  return BroadcastingFor(channel_name, std::string(model.broadcasting_id()));
}

}  // namespace cable::service
