#include "cable/gateway/command_pipeline.h"

#include <algorithm>
#include <utility>

namespace cable::gateway {

bool IsClientCommand(absl::string_view command) {
  return command == "subscribe" || command == "unsubscribe" ||
         command == "message" || command == "join" || command == "leave" ||
         command == "request" || command == "sync";
}

bool Opens(absl::string_view command) {
  return command == "subscribe" || command == "join";
}

bool Closes(absl::string_view command) {
  return command == "unsubscribe" || command == "leave";
}

bool CommandPipeline::push(Command command) {
  if (queue_.size() >= max_pending_) return false;
  queue_.push_back(std::move(command));
  return true;
}

void CommandPipeline::push_front(Command command) {
  queue_.push_front(std::move(command));
}

bool CommandPipeline::push_periodic(absl::string_view identifier,
                                    absl::string_view action) {
  // Ticks are the gateway's own and bounded by the timers: they do not
  // count against the client's queue bound.
  const bool queued =
      std::any_of(queue_.begin(), queue_.end(), [&](const Command& c) {
        return c.command == "periodic" && c.identifier == identifier &&
               c.data == action;
      });
  if (queued) return false;
  queue_.push_back({"periodic", std::string(identifier), std::string(action)});
  return true;
}

std::optional<Command> CommandPipeline::next() {
  if (in_flight_ || queue_.empty()) return std::nullopt;
  Command command = std::move(queue_.front());
  queue_.pop_front();
  in_flight_ = true;
  return command;
}

void CommandPipeline::clear() { queue_.clear(); }

}  // namespace cable::gateway
