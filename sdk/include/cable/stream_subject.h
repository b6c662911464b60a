#pragma once
// Stream names on NATS: a reversible, collision-free mapping of arbitrary
// stream names (any bytes, usually UTF-8) to ONE subject token placed after
// a prefix: `<prefix>.<token>`.
//
// The token keeps the bytes [A-Za-z0-9-] literally and writes every other
// byte (including '_', '.', '*', '>', space, control and non-ASCII bytes) as
// '_' followed by two UPPERCASE hex digits. The empty stream name is the
// token "_" alone, which no non-empty name can produce (every '_' of an
// encoded name is followed by two hex digits). Examples:
//
//   "chat"         -> "chat"
//   "chat.room 1"  -> "chat_2Eroom_201"
//   "_2E"          -> "_5F2E"        (never collides with "." -> "_2E")
//   ""             -> "_"
//
// Decoding is strict: it accepts only tokens that the encoder produces
// (no lowercase hex, no escaped literal characters such as "_41"), so the
// mapping is a bijection between names and valid tokens.

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cable {

// The subject prefix of stream subjects unless configured otherwise.
inline constexpr absl::string_view kDefaultSubjectPrefix = "cable.s";

// The longest subject Cable sends to NATS (the server's control line is
// 4 KB; a stream subject must fit with room to spare).
inline constexpr std::size_t kMaxSubjectLength = 1024;

// The token of the empty stream name.
inline constexpr absl::string_view kEmptyStreamToken = "_";

// The single subject token for `stream` (see above).
std::string EncodeStreamToken(absl::string_view stream);

// The inverse of EncodeStreamToken; InvalidArgument for any token the
// encoder would not produce.
absl::StatusOr<std::string> DecodeStreamToken(absl::string_view token);

// `prefix` + "." + EncodeStreamToken(stream); just the token when `prefix`
// is empty. Does not check limits: see ValidateStreamName.
std::string StreamSubject(absl::string_view prefix, absl::string_view stream);

// The size of StreamSubject(prefix, stream) without building it.
std::size_t StreamSubjectLength(absl::string_view prefix,
                                absl::string_view stream);

// The stream name whose subject under `prefix` is `subject`;
// InvalidArgument if `subject` is not `prefix` + "." + one valid token.
absl::StatusOr<std::string> StreamFromSubject(absl::string_view prefix,
                                              absl::string_view subject);

// OK if `stream` can be used under `prefix`: its subject is at most
// kMaxSubjectLength bytes. Otherwise InvalidArgument saying why.
absl::Status ValidateStreamName(
    absl::string_view stream, absl::string_view prefix = kDefaultSubjectPrefix);

// OK if `prefix` is a non-empty literal subject: dot-separated non-empty
// tokens, no wildcard tokens ("*", ">"), no whitespace or control bytes,
// and short enough (at most 128 bytes) to leave room for stream tokens.
absl::Status ValidateSubjectPrefix(absl::string_view prefix);

// OK if `subject` is a subject NATS accepts: non-empty, at most
// kMaxSubjectLength bytes, dot-separated non-empty tokens, no whitespace or
// control bytes. With `allow_wildcards`, "*" tokens and a final ">" token
// are allowed (for subscriptions); without, any "*" or ">" token is an
// error (for publishing).
absl::Status ValidateSubject(absl::string_view subject, bool allow_wildcards);

}  // namespace cable
