#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cable/gateway/frame_sink.h"

namespace cable::gateway {

// One extended-protocol subscription's positioned broadcasts: what the
// client has of each stream (the last offset sent), and, while a history
// replay is being read, the live broadcasts that wait for it. A replay and
// the live stream overlap (the stream is live before history is read), so
// every frame is sent at most once and in offset order: a live frame at or
// below what was sent is dropped, and a held one goes after the replay
// only if the replay did not cover it. Pure: the session sends what it
// says.
class HistoryGate final {
 public:
  enum class Verdict { kSend, kHeld, kDuplicate, kOverflow };

  // From now until Release(), live frames wait.
  void Hold() { held_ = true; }
  bool held() const { return held_; }
  // A live broadcast at `offset` of `stream`'s `epoch`: send it (and note
  // it), keep it (held), drop it (the client has it), or the held frames
  // are over `max_held`. Offsets compare within an epoch only: a new epoch
  // (the history was lost, offsets start over) resets what the client has.
  Verdict Offer(absl::string_view stream, absl::string_view epoch,
                std::uint64_t offset, SharedFrame frame, std::size_t max_held);
  // A replayed entry: whether the client needs it (and notes it if so).
  bool Replay(absl::string_view stream, absl::string_view epoch,
              std::uint64_t offset);
  // The replay ended: returns the held frames the client still needs, in
  // the order they came, and lets live frames through.
  std::vector<SharedFrame> Release();
  // The last offset sent of `stream` (0: none).
  std::uint64_t sent(absl::string_view stream) const;

 private:
  struct Cursor {
    std::string stream;
    std::string epoch;
    std::uint64_t offset = 0;
  };
  struct Held {
    std::string stream;
    std::string epoch;
    std::uint64_t offset = 0;
    SharedFrame frame;
  };
  // Notes `offset` as sent if it is past the cursor (or of another
  // epoch); false if not.
  bool Advance(absl::string_view stream, absl::string_view epoch,
               std::uint64_t offset);

  bool held_ = false;
  // Few streams per subscription: a vector beats a map.
  std::vector<Cursor> cursors_;
  std::vector<Held> held_frames_;
};

}  // namespace cable::gateway
