#include "cable/stream_subject.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cable {
namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";
constexpr std::size_t kMaxPrefixLength = 128;

bool IsLiteral(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-';
}

// Value of an uppercase hex digit, or -1.
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::size_t TokenLength(absl::string_view stream) {
  if (stream.empty()) return kEmptyStreamToken.size();
  std::size_t n = 0;
  for (unsigned char c : stream) n += IsLiteral(c) ? 1 : 3;
  return n;
}

}  // namespace

std::string EncodeStreamToken(absl::string_view stream) {
  if (stream.empty()) return std::string(kEmptyStreamToken);
  std::string out;
  out.reserve(TokenLength(stream));
  for (unsigned char c : stream) {
    if (IsLiteral(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('_');
      out.push_back(kHexDigits[c >> 4]);
      out.push_back(kHexDigits[c & 0x0F]);
    }
  }
  return out;
}

absl::StatusOr<std::string> DecodeStreamToken(absl::string_view token) {
  if (token.empty()) {
    return absl::InvalidArgumentError("stream token is empty");
  }
  if (token == kEmptyStreamToken) return std::string();
  std::string out;
  out.reserve(token.size());
  for (std::size_t i = 0; i < token.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(token[i]);
    if (IsLiteral(c)) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    if (c != '_') {
      return absl::InvalidArgumentError(
          absl::StrCat("stream token has a byte that is never encoded "
                       "literally at offset ",
                       i));
    }
    const int hi = i + 1 < token.size() ? HexValue(token[i + 1]) : -1;
    const int lo = i + 2 < token.size() ? HexValue(token[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "stream token has '_' not followed by two uppercase hex digits at "
          "offset ",
          i));
    }
    const unsigned char decoded = static_cast<unsigned char>(hi * 16 + lo);
    if (IsLiteral(decoded)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "stream token escapes a literal character at offset ", i));
    }
    out.push_back(static_cast<char>(decoded));
    i += 2;
  }
  return out;
}

std::string StreamSubject(absl::string_view prefix, absl::string_view stream) {
  if (prefix.empty()) return EncodeStreamToken(stream);
  std::string out;
  out.reserve(StreamSubjectLength(prefix, stream));
  out.append(prefix.data(), prefix.size());
  out.push_back('.');
  out.append(EncodeStreamToken(stream));
  return out;
}

std::size_t StreamSubjectLength(absl::string_view prefix,
                                absl::string_view stream) {
  return (prefix.empty() ? 0 : prefix.size() + 1) + TokenLength(stream);
}

absl::StatusOr<std::string> StreamFromSubject(absl::string_view prefix,
                                              absl::string_view subject) {
  absl::string_view token = subject;
  if (!prefix.empty()) {
    if (subject.size() <= prefix.size() ||
        subject.substr(0, prefix.size()) != prefix ||
        subject[prefix.size()] != '.') {
      return absl::InvalidArgumentError(
          absl::StrCat("subject is not under the prefix \"", prefix, ".\""));
    }
    token = subject.substr(prefix.size() + 1);
  }
  return DecodeStreamToken(token);
}

absl::Status ValidateStreamName(absl::string_view stream,
                                absl::string_view prefix) {
  const std::size_t length = StreamSubjectLength(prefix, stream);
  if (length > kMaxSubjectLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "stream name too long: its NATS subject would be ", length,
        " bytes, the limit is ", kMaxSubjectLength, " (the name is ",
        stream.size(),
        " bytes; bytes other than [A-Za-z0-9-] take 3 bytes each)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateSubject(absl::string_view subject, bool allow_wildcards) {
  if (subject.empty()) return absl::InvalidArgumentError("subject is empty");
  if (subject.size() > kMaxSubjectLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("subject too long: ", subject.size(),
                     " bytes, the limit is ", kMaxSubjectLength));
  }
  for (unsigned char c : subject) {
    if (c <= 0x20 || c == 0x7F) {
      return absl::InvalidArgumentError(
          "subject contains whitespace or a control byte");
    }
  }
  std::vector<absl::string_view> tokens = absl::StrSplit(subject, '.');
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const absl::string_view t = tokens[i];
    if (t.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("subject \"", subject, "\" has an empty token"));
    }
    if (t == "*" || t == ">") {
      if (!allow_wildcards) {
        return absl::InvalidArgumentError(absl::StrCat(
            "subject \"", subject, "\" has a wildcard token; cannot publish"));
      }
      if (t == ">" && i + 1 != tokens.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "subject \"", subject, "\" has '>' before its last token"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateSubjectPrefix(absl::string_view prefix) {
  if (prefix.empty()) {
    return absl::InvalidArgumentError("subject prefix is empty");
  }
  if (prefix.size() > kMaxPrefixLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("subject prefix too long: ", prefix.size(),
                     " bytes, the limit is ", kMaxPrefixLength));
  }
  absl::Status s = ValidateSubject(prefix, /*allow_wildcards=*/false);
  if (!s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid subject prefix: ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace cable
