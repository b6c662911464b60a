#include "cable/gateway/websocket.h"

#include <openssl/evp.h>
#include <simdjson.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace cable::gateway::ws {

namespace {

bool IsControl(Opcode op) { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

bool KnownOpcode(std::uint8_t op) {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

// Codes a peer may send in a close frame (RFC 6455 section 7.4).
bool ValidCloseCode(std::uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  if (code < 1000 || code > 1014) return false;
  return code != 1004 && code != 1005 && code != 1006;
}

// Unmasks `data`, the payload bytes from offset `pos` of a frame.
void Unmask(char* data, std::size_t n, const std::array<std::uint8_t, 4>& mask,
            std::uint64_t pos) {
  std::uint8_t key[4];
  for (int i = 0; i < 4; ++i) key[i] = mask[(pos + i) % 4];
  std::size_t i = 0;
  std::uint32_t key32;
  std::memcpy(&key32, key, 4);
  const std::uint64_t key64 = (std::uint64_t{key32} << 32) | key32;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, data + i, 8);
    word ^= key64;
    std::memcpy(data + i, &word, 8);
  }
  for (; i < n; ++i) data[i] = static_cast<char>(data[i] ^ key[i % 4]);
}

}  // namespace

std::string EncodeFrame(Opcode opcode, absl::string_view payload) {
  const std::size_t n = payload.size();
  std::string out;
  out.reserve(n + 10);
  out.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(opcode)));
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((std::uint64_t{n} >> shift) & 0xFF));
    }
  }
  out.append(payload.data(), payload.size());
  return out;
}

std::string CloseFrame(std::uint16_t code, absl::string_view reason) {
  if (code == kCloseNoStatus) return EncodeFrame(Opcode::kClose, {});
  if (reason.size() > kMaxCloseReasonBytes) {
    std::size_t cut = kMaxCloseReasonBytes;
    // Back off continuation bytes (10xxxxxx) to a character boundary.
    while (cut > 0 && (static_cast<std::uint8_t>(reason[cut]) & 0xC0) == 0x80)
      --cut;
    reason = reason.substr(0, cut);
  }
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason.data(), reason.size());
  return EncodeFrame(Opcode::kClose, payload);
}

absl::string_view FramePayload(absl::string_view frame) {
  if (frame.size() < 2) return {};
  const std::uint8_t len7 = static_cast<std::uint8_t>(frame[1]) & 0x7F;
  const std::size_t header = len7 < 126 ? 2 : len7 == 126 ? 4 : 10;
  if (frame.size() < header) return {};
  return frame.substr(header);
}

bool ValidKey(absl::string_view key) {
  // 16 bytes are 22 base64 characters and "==", nothing else.
  if (key.size() != 24 || key.substr(22) != "==") return false;
  for (char c : key.substr(0, 22)) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '+' &&
        c != '/') {
      return false;
    }
  }
  std::string raw;
  return absl::Base64Unescape(key, &raw) && raw.size() == 16;
}

std::string AcceptKey(absl::string_view key) {
  const std::string input =
      absl::StrCat(key, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha1(), nullptr);
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(digest), size));
}

bool ValidUtf8(absl::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
}

std::optional<Violation> Reader::Fail(std::string reason) {
  failed_ = true;
  message_.clear();
  control_.clear();
  return Violation{kCloseProtocolError, std::move(reason)};
}

std::optional<Violation> Reader::Skip(std::uint16_t code, std::string reason) {
  skipping_ = true;
  std::string().swap(message_);
  return Violation{code, std::move(reason)};
}

std::optional<Violation> Reader::Feed(
    absl::Span<char> data, absl::FunctionRef<void(const Frame&)> on) {
  if (failed_) return std::nullopt;
  std::optional<Violation> first;
  // The first violation, unless a framing error follows it: the caller
  // must know that nothing more can be read.
  auto note = [&first](std::optional<Violation> v) {
    if (v && (!first || v->framing())) first = std::move(v);
  };
  std::size_t pos = 0;
  while (pos < data.size() || (in_frame_ && remaining_ == 0)) {
    if (!in_frame_) {
      // Gather the header: 2 bytes, then as many as they announce.
      std::size_t need = 2;
      for (;;) {
        if (header_len_ >= 2) {
          const std::uint8_t len7 = header_[1] & 0x7F;
          need = 2 +
                 (len7 == 126   ? 2
                  : len7 == 127 ? 8
                                : 0) +
                 ((header_[1] & 0x80) ? 4 : 0);
        }
        if (header_len_ >= need || pos == data.size()) break;
        const std::size_t take =
            std::min(need - header_len_, data.size() - pos);
        std::memcpy(header_.data() + header_len_, data.data() + pos, take);
        header_len_ += take;
        pos += take;
      }
      if (header_len_ < need) return first;  // the rest comes later
      if (auto v = StartFrame()) {
        note(std::move(v));
        if (failed_) return first;
      }
      if (remaining_ > 0 && pos == data.size()) return first;
    }
    const std::size_t take = static_cast<std::size_t>(
        std::min<std::uint64_t>(remaining_, data.size() - pos));
    char* payload = data.data() + pos;
    Unmask(payload, take, mask_, length_ - remaining_);
    const bool whole_here = take == length_;
    remaining_ -= take;
    pos += take;
    absl::string_view in_place;
    if (IsControl(opcode_)) {
      control_.append(payload, take);
    } else if (skipping_) {
      // dropped
    } else if (whole_here && fin_ && !in_message_) {
      in_place = absl::string_view(payload, take);  // no copy
    } else {
      message_.append(payload, take);
    }
    if (remaining_ > 0) return first;  // the rest comes later
    note(FinishFrame(on, in_place));
    if (failed_) return first;
  }
  return first;
}

std::optional<Violation> Reader::StartFrame() {
  header_len_ = 0;
  const std::uint8_t b0 = header_[0];
  const std::uint8_t b1 = header_[1];
  if ((b0 & 0x70) != 0) return Fail("reserved bits set");
  const std::uint8_t op = b0 & 0x0F;
  if (!KnownOpcode(op)) return Fail("unknown opcode");
  if ((b1 & 0x80) == 0) return Fail("unmasked frame");
  opcode_ = static_cast<Opcode>(op);
  fin_ = (b0 & 0x80) != 0;
  const std::uint8_t len7 = b1 & 0x7F;
  std::size_t at = 2;
  std::uint64_t length = len7;
  if (len7 == 126) {
    length = (std::uint64_t{header_[2]} << 8) | header_[3];
    at = 4;
    if (length < 126) return Fail("length not minimal");
  } else if (len7 == 127) {
    length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | header_[2 + i];
    at = 10;
    if (length >> 63) return Fail("length too large");
    if (length <= 0xFFFF) {
      return Fail("length not minimal");
    }
  }
  std::copy_n(header_.begin() + at, 4, mask_.begin());
  if (IsControl(opcode_)) {
    if (!fin_) return Fail("fragmented control frame");
    if (length > 125) return Fail("control frame too long");
  } else {
    if (opcode_ == Opcode::kContinuation && !in_message_) {
      return Fail("continuation outside a message");
    }
    if (opcode_ != Opcode::kContinuation && in_message_) {
      return Fail("new message inside a fragmented one");
    }
    if (!in_message_) {
      message_opcode_ = opcode_;
      skipping_ = false;
    }
  }
  in_frame_ = true;
  length_ = length;
  remaining_ = length;
  if (!IsControl(opcode_) && !skipping_ &&
      length >
          max_message_bytes_ - std::min(max_message_bytes_, message_.size())) {
    return Skip(kCloseTooBig, "message too big");
  }
  return std::nullopt;
}

std::optional<Violation> Reader::FinishFrame(
    absl::FunctionRef<void(const Frame&)> on, absl::string_view in_place) {
  in_frame_ = false;
  if (IsControl(opcode_)) {
    Frame frame{opcode_, control_};
    if (opcode_ == Opcode::kClose) {
      if (control_.size() == 1) {
        return Fail("close frame of one byte");
      }
      if (control_.size() >= 2) {
        frame.close_code = static_cast<std::uint16_t>(
            (static_cast<std::uint8_t>(control_[0]) << 8) |
            static_cast<std::uint8_t>(control_[1]));
        if (!ValidCloseCode(frame.close_code)) {
          return Fail("invalid close code");
        }
        frame.payload = absl::string_view(control_).substr(2);
        if (!ValidUtf8(frame.payload)) {
          failed_ = true;  // the client is closing anyway: nothing follows
          control_.clear();
          return Violation{kCloseInvalidPayload, "close reason is not UTF-8"};
        }
      }
    }
    on(frame);
    control_.clear();
    return std::nullopt;
  }
  if (!fin_) {
    in_message_ = true;
    return std::nullopt;
  }
  const absl::string_view payload = in_message_ || in_place.data() == nullptr
                                        ? absl::string_view(message_)
                                        : in_place;
  in_message_ = false;
  std::optional<Violation> violation;
  if (skipping_) {
    skipping_ = false;
  } else if (message_opcode_ == Opcode::kText && !ValidUtf8(payload)) {
    violation = Violation{kCloseInvalidPayload, "text message is not UTF-8"};
  } else {
    on(Frame{message_opcode_, payload});
  }
  message_.clear();
  // Give back what a large message grew the buffer to.
  if (message_.capacity() > 4096) std::string().swap(message_);
  return violation;
}

}  // namespace cable::gateway::ws
