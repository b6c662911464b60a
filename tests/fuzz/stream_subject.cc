// Fuzzes stream-subject decoding (sdk/include/cable/stream_subject.h): the
// tokens and subjects read back from NATS (listings of the state store,
// subjects of delivered messages), and the validators of configured
// prefixes and subjects.
//
// Input: byte 0 picks a prefix (none, the default, or one from the input);
// the rest is the token, subject or stream name.
//
// Invariants:
// - the mapping is a bijection: a token that decodes encodes back to
//   itself; any name encodes to a token that decodes back to the name;
// - an encoded token is one subject token (literal bytes, no '.', '*',
//   '>', whitespace or control byte);
// - StreamSubjectLength is StreamSubject's size; a name that
//   ValidateStreamName accepts gives a subject ValidateSubject accepts
//   (under a valid prefix), and StreamFromSubject reads the name back;
// - a valid prefix is a valid publish subject.

#include "cable/stream_subject.h"

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  cable::fuzz::Input in(data, size);
  const std::uint8_t pick = in.Byte();
  std::string prefix;
  if (pick % 3 == 1) prefix = std::string(cable::kDefaultSubjectPrefix);
  if (pick % 3 == 2) prefix = std::string(in.Until('\n'));
  const absl::string_view bytes = in.rest();

  // As a token read back from NATS.
  absl::StatusOr<std::string> decoded = cable::DecodeStreamToken(bytes);
  if (decoded.ok()) {
    FUZZ_CHECK(cable::EncodeStreamToken(*decoded) == bytes,
               "a decoded token does not encode back to itself");
  }

  // As a stream name.
  const std::string token = cable::EncodeStreamToken(bytes);
  for (unsigned char c : token) {
    FUZZ_CHECK(c > 0x20 && c < 0x7F && c != '.' && c != '*' && c != '>',
               "an encoded token has a byte NATS treats specially");
  }
  absl::StatusOr<std::string> back = cable::DecodeStreamToken(token);
  FUZZ_CHECK(back.ok() && *back == bytes,
             "a name does not decode back from its token");

  const std::string subject = cable::StreamSubject(prefix, bytes);
  FUZZ_CHECK(subject.size() == cable::StreamSubjectLength(prefix, bytes),
             "StreamSubjectLength differs from the subject's size");
  absl::StatusOr<std::string> from = cable::StreamFromSubject(prefix, subject);
  FUZZ_CHECK(from.ok() && *from == bytes,
             "StreamFromSubject does not read the name back");

  const bool prefix_ok = cable::ValidateSubjectPrefix(prefix).ok();
  if (prefix_ok) {
    FUZZ_CHECK(cable::ValidateSubject(prefix, false).ok(),
               "a valid prefix is not a valid subject");
    if (cable::ValidateStreamName(bytes, prefix).ok()) {
      FUZZ_CHECK(cable::ValidateSubject(subject, false).ok(),
                 "a valid name under a valid prefix gives an invalid subject");
      FUZZ_CHECK(subject.size() <= cable::kMaxSubjectLength,
                 "a valid name gives a subject over the limit");
    }
  }

  // As a subject read back from NATS, and as one being validated.
  absl::StatusOr<std::string> name = cable::StreamFromSubject(prefix, bytes);
  if (name.ok()) {
    FUZZ_CHECK(cable::StreamSubject(prefix, *name) == bytes,
               "a subject read back does not build again");
  }
  const bool publish_ok = cable::ValidateSubject(bytes, false).ok();
  const bool subscribe_ok = cable::ValidateSubject(bytes, true).ok();
  FUZZ_CHECK(!publish_ok || subscribe_ok,
             "a publish subject is not a valid subscription");
  (void)cable::ValidateSubjectPrefix(bytes);
  return 0;
}
