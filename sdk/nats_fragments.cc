#include "cable/nats_fragments.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cable {
namespace {

constexpr std::size_t kNonceDigits = 16;

bool AllOf(absl::string_view text, bool (*pred)(unsigned char)) {
  return std::all_of(text.begin(), text.end(), [pred](char c) {
    return pred(static_cast<unsigned char>(c));
  });
}

bool ParseDecimal(absl::string_view digits, std::uint64_t* out) {
  return !digits.empty() && digits.size() <= 19 &&
         AllOf(digits, absl::ascii_isdigit) && absl::SimpleAtoi(digits, out);
}

}  // namespace

std::optional<FragmentHeader> ParseFragmentHeader(absl::string_view id,
                                                  absl::string_view index,
                                                  absl::string_view count,
                                                  absl::string_view size) {
  if (id.size() <= kNonceDigits + 1 || id[kNonceDigits] != '.') {
    return std::nullopt;
  }
  FragmentHeader f;
  const absl::string_view nonce = id.substr(0, kNonceDigits);
  if (!AllOf(nonce, absl::ascii_isxdigit) ||
      !absl::SimpleHexAtoi(nonce, &f.nonce) ||
      !ParseDecimal(id.substr(kNonceDigits + 1), &f.sequence) ||
      !ParseDecimal(index, &f.index) || !ParseDecimal(count, &f.count) ||
      !ParseDecimal(size, &f.size) || f.count == 0 || f.index >= f.count) {
    return std::nullopt;
  }
  return f;
}

absl::StatusOr<FragmentedMessage> FragmentWriter::Split(
    absl::string_view message, std::size_t max_payload) {
  if (max_payload < 2 * kFragmentHeaderRoom) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the max payload (", max_payload, " bytes) is too small to send a ",
        message.size(), "-byte message in fragments"));
  }
  const std::size_t chunk = max_payload - kFragmentHeaderRoom;
  FragmentedMessage out;
  out.id =
      absl::StrCat(absl::Hex(nonce_, absl::kZeroPad16), ".", next_sequence_++);
  out.size = message.size();
  out.count = std::max<std::size_t>(1, (message.size() + chunk - 1) / chunk);
  out.parts.reserve(out.count);
  for (std::size_t i = 0; i < out.count; ++i) {
    out.parts.push_back(
        message.substr(std::min(i * chunk, message.size()), chunk));
  }
  return out;
}

std::optional<std::string> FragmentAssembler::Add(std::uint64_t source,
                                                  const FragmentHeader& f,
                                                  absl::string_view data,
                                                  absl::Time now,
                                                  absl::string_view where) {
  const Key key(source, f.nonce);
  auto it = partials_.find(key);
  if (it != partials_.end()) {
    const Partial& p = it->second;
    if (f.sequence != p.sequence || f.index != p.next_index ||
        f.count != p.count || f.size != p.size) {
      // Fragments of p were lost (or its publisher gave up on it): NATS
      // delivers one publisher's fragments in order, and it sends one
      // message's fragments before the next message's.
      spdlog::warn(
          "nats {}: dropping incomplete message {:016x}.{} on {} ({} of {} "
          "bytes, {} of {} fragments): fragment {} of {} of message {} came "
          "next",
          name_, f.nonce, p.sequence, std::string(where), p.data.size(), p.size,
          p.next_index, p.count, f.index + 1, f.count, f.sequence);
      Drop(it, true);
      it = partials_.end();
    }
  }
  if (it == partials_.end()) {
    if (f.index != 0) {
      // The rest of a message whose start this source did not get
      // (published before it subscribed) or just dropped.
      spdlog::debug("nats {}: skipping fragment {} of message {:016x}.{} on {}",
                    name_, f.index + 1, f.nonce, f.sequence,
                    std::string(where));
      return std::nullopt;
    }
    if (f.size > limits_.max_message_bytes) {
      spdlog::warn(
          "nats {}: dropping message {:016x}.{} on {}: {} bytes, over "
          "max_message_bytes ({})",
          name_, f.nonce, f.sequence, std::string(where), f.size,
          limits_.max_message_bytes);
      ++stats_.dropped;
      return std::nullopt;
    }
    if (f.size > limits_.max_bytes - stats_.pending_bytes) {
      spdlog::warn(
          "nats {}: dropping message {:016x}.{} on {}: its {} bytes do not "
          "fit max_reassembly_bytes ({}) next to the other partial messages",
          name_, f.nonce, f.sequence, std::string(where), f.size,
          limits_.max_bytes);
      ++stats_.dropped;
      return std::nullopt;
    }
    Partial p;
    p.sequence = f.sequence;
    p.count = f.count;
    p.size = f.size;
    p.where = std::string(where);
    p.data.reserve(f.size);
    stats_.pending_bytes += f.size;
    ++stats_.pending;
    it = partials_.emplace(key, std::move(p)).first;
  }
  Partial& p = it->second;
  const bool last = p.next_index + 1 == p.count;
  if (p.data.size() + data.size() > p.size ||
      (last && p.data.size() + data.size() != p.size)) {
    spdlog::warn(
        "nats {}: dropping message {:016x}.{} on {}: its fragments do not "
        "add up to the announced {} bytes",
        name_, f.nonce, f.sequence, std::string(where), p.size);
    Drop(it, true);
    return std::nullopt;
  }
  p.data.append(data.data(), data.size());
  ++p.next_index;
  p.last_progress = now;
  if (!last) return std::nullopt;
  std::string whole = std::move(p.data);
  Drop(it, false);
  ++stats_.completed;
  return whole;
}

void FragmentAssembler::AddMalformed(absl::string_view where) {
  spdlog::warn(
      "nats {}: dropping a fragment with malformed Cable-Frag-* headers on {}",
      name_, std::string(where));
  ++stats_.dropped;
}

std::size_t FragmentAssembler::Expire(absl::Time now) {
  std::size_t dropped = 0;
  for (auto it = partials_.begin(); it != partials_.end();) {
    const Partial& p = it->second;
    if (now - p.last_progress < limits_.timeout) {
      ++it;
      continue;
    }
    spdlog::warn(
        "nats {}: dropping incomplete message {:016x}.{} on {} ({} of {} "
        "bytes, {} of {} fragments): no fragment for {}",
        name_, it->first.second, p.sequence, p.where, p.data.size(), p.size,
        p.next_index, p.count, absl::FormatDuration(now - p.last_progress));
    Drop(it++, true);
    ++dropped;
  }
  return dropped;
}

void FragmentAssembler::Forget(std::uint64_t source) {
  for (auto it = partials_.begin(); it != partials_.end();) {
    if (it->first.first == source) {
      Drop(it++, false);
    } else {
      ++it;
    }
  }
}

absl::Time FragmentAssembler::next_expiry() const {
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [key, p] : partials_) {
    next = std::min(next, p.last_progress + limits_.timeout);
  }
  return next;
}

void FragmentAssembler::Drop(absl::flat_hash_map<Key, Partial>::iterator it,
                             bool count) {
  stats_.pending_bytes -= it->second.size;
  --stats_.pending;
  if (count) ++stats_.dropped;
  partials_.erase(it);
}

}  // namespace cable
