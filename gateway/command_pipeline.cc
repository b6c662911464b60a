#include "cable/gateway/command_pipeline.h"

#include <algorithm>
#include <utility>

namespace cable::gateway {

using internal::v1::CommandKind;

bool Opens(CommandKind kind) {
  return kind == internal::v1::COMMAND_KIND_SUBSCRIBE ||
         kind == internal::v1::COMMAND_KIND_JOIN;
}

bool Closes(CommandKind kind) {
  return kind == internal::v1::COMMAND_KIND_UNSUBSCRIBE ||
         kind == internal::v1::COMMAND_KIND_LEAVE;
}

CommandKind Undoing(CommandKind opened_by) {
  return opened_by == internal::v1::COMMAND_KIND_JOIN
             ? internal::v1::COMMAND_KIND_LEAVE
             : internal::v1::COMMAND_KIND_UNSUBSCRIBE;
}

bool CommandPipeline::Push(Command command) {
  if (queue_.size() >= max_pending_) return false;
  queue_.push_back(std::move(command));
  return true;
}

void CommandPipeline::push_front(Command command) {
  queue_.push_front(std::move(command));
}

bool CommandPipeline::PushPeriodic(absl::string_view identifier,
                                   absl::string_view action) {
  // Ticks are the gateway's own and bounded by the timers: they do not
  // count against the client's queue bound.
  const bool queued =
      std::any_of(queue_.begin(), queue_.end(), [&](const Command& c) {
        return c.kind == internal::v1::COMMAND_KIND_PERIODIC &&
               c.identifier == identifier && c.data == action;
      });
  if (queued) return false;
  queue_.push_back({internal::v1::COMMAND_KIND_PERIODIC,
                    std::string(identifier), std::string(action)});
  return true;
}

std::optional<Command> CommandPipeline::Next() {
  if (in_flight_ || queue_.empty()) return std::nullopt;
  Command command = std::move(queue_.front());
  queue_.pop_front();
  in_flight_ = true;
  return command;
}

void CommandPipeline::clear() { queue_.clear(); }

}  // namespace cable::gateway
