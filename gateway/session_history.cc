// Session: the extended protocol's history replays (docs/protocol.md,
// "Reliable streams"). A replay is the pipeline's one call in flight, so
// commands sent after it wait; its subscription's live frames wait in the
// subscription's HistoryGate until the replay is out.

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <utility>

#include "cable/gateway/options.h"
#include "cable/gateway/session.h"
#include "cable/gateway/session_context.h"
#include "cable/history.h"
#include "cable/protocol.h"

namespace cable::gateway {

namespace net = boost::asio;

void Session::StartHistory(const Command& command) {
  auto* sub = subscriptions_.find(command.identifier);
  if (!sub->history) sub->history = std::make_unique<HistoryGate>();
  sub->history->Hold();
  replay_ = std::make_unique<Replay>();
  replay_->identifier = command.identifier;
  replay_->streams = sub->streams;
  replay_->pages.resize(sub->streams.size());
  if (context_.history == nullptr) {
    // History is off here: nothing can be replayed, say so.
    for (auto& page : replay_->pages) {
      page = absl::FailedPreconditionError("history is off on this server");
    }
    FinishHistory();
    return;
  }
  const protocol::HistoryRequest& request = *command.history;
  std::vector<std::pair<std::size_t, HistoryQuery>> queries;
  for (std::size_t i = 0; i < replay_->streams.size(); ++i) {
    const std::string& stream = replay_->streams[i];
    // Internal streams ("$state:…", "$presence:…") keep no history and
    // are nothing the client could have missed.
    if (protocol::IsInternalStream(stream)) continue;
    HistoryQuery query;
    for (const auto& cursor : request.streams) {
      if (cursor.stream == stream) {
        query.after = StreamPosition{cursor.epoch, cursor.offset};
      }
    }
    if (!query.after) {
      if (!request.since) continue;  // nothing asked of this stream
      query.since = absl::FromUnixSeconds(*request.since);
    }
    queries.emplace_back(i, std::move(query));
  }
  replay_->left = queries.size();
  if (queries.empty()) {
    FinishHistory();
    return;
  }
  std::weak_ptr<Session> weak = shared_from_this();
  for (auto& [index, query] : queries) {
    // (The page may come inline or from another thread: it is posted
    // either way, so the replay never runs inside this loop.)
    context_.history->Read(
        replay_->streams[index], std::move(query),
        [weak, index = index](absl::StatusOr<HistoryPage> page) mutable {
          auto self = weak.lock();
          if (!self) return;
          net::post(self->socket_.get_executor(),
                    [self, index, page = std::move(page)]() mutable {
                      self->OnHistoryPage(index, std::move(page));
                    });
        });
  }
}

void Session::OnHistoryPage(std::size_t index,
                            absl::StatusOr<HistoryPage> page) {
  // (Closed meanwhile: OnClosed dropped the replay, and a closed session
  // starts no other, so a page with no replay is that one's.)
  if (!replay_) return;
  replay_->pages[index] = std::move(page);
  if (--replay_->left == 0) FinishHistory();
}

void Session::FinishHistory() {
  std::unique_ptr<Replay> replay = std::move(replay_);
  commands_.Done();
  auto* sub = subscriptions_.find(replay->identifier);
  if (sub == nullptr || !sub->history) {
    PumpCommands();
    return;
  }
  bool complete = true;
  for (std::size_t i = 0; i < replay->streams.size(); ++i) {
    const auto& page = replay->pages[i];
    if (!page) continue;
    const std::string& stream = replay->streams[i];
    if (!page->ok()) {
      // The epoch changed, the history was trimmed past the client's
      // position, or the stream keeps none: what the client missed cannot
      // be replayed, so it must reload what it shows (reject_history).
      complete = false;
      spdlog::info("session {}: no history of {} for {}: {}", sid_, stream,
                   replay->identifier, page->status().ToString());
      continue;
    }
    for (const HistoryEntry& entry : (*page)->entries) {
      if (!sub->history->Replay(stream, (*page)->epoch, entry.offset)) {
        continue;
      }
      Send(std::make_shared<const std::string>(
          ws::TextFrame(protocol::PositionedDataFrame(
              replay->identifier, protocol::MessageJson(entry.data), stream,
              (*page)->epoch, entry.offset))));
    }
  }
  SendReply(complete ? protocol::ConfirmHistoryFrame(replay->identifier)
                     : protocol::RejectHistoryFrame(replay->identifier));
  for (auto& frame : sub->history->Release()) Send(std::move(frame));
  PumpCommands();
}

}  // namespace cable::gateway
