// cable-publish: sends one broadcast to a Cable server's Publisher API.
//
//   cable-publish --target HOST:PORT --stream S --data D
//                 [--api_key K] [--ca FILE] [--timeout_ms N]
//
// Exits 0 once the server accepted the broadcast; otherwise prints one line
// on stderr and exits 1 (2 for bad usage).

#include <cable/publisher.h>

#include <charconv>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace {

constexpr char kUsage[] =
    "usage: cable-publish --target HOST:PORT --stream S --data D "
    "[--api_key K] [--ca FILE] [--timeout_ms N]";

// One line, whatever the message holds.
std::string OneLine(std::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}

int Fail(int code, std::string_view message) {
  std::cerr << "cable-publish: " << OneLine(message) << "\n";
  return code;
}

// --name=value or --name value, each flag at most once; nullopt and
// `error` set on anything else.
std::optional<std::map<std::string, std::string>> ParseFlags(
    int argc, char** argv, std::string& error) {
  static const char* const kKnown[] = {"target",  "stream", "data",
                                       "api_key", "ca",     "timeout_ms"};
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!arg.starts_with("--")) {
      error = "unexpected argument '" + std::string(arg) + "'";
      return std::nullopt;
    }
    arg.remove_prefix(2);
    std::string name, value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      name = arg;
      value = argv[++i];
    } else {
      error = "--" + std::string(arg) + " needs a value";
      return std::nullopt;
    }
    bool known = false;
    for (const char* k : kKnown) known = known || name == k;
    if (!known) {
      error = "unknown flag --" + name;
      return std::nullopt;
    }
    if (!flags.emplace(name, value).second) {
      error = "--" + name + " given twice";
      return std::nullopt;
    }
  }
  return flags;
}

// "CODE: message", without the status's payloads.
std::string Describe(const absl::Status& status) {
  return absl::StatusCodeToString(status.code()) + ": " +
         std::string(status.message());
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::string_view(argv[1]) == "--help" ||
                    std::string_view(argv[1]) == "-h")) {
    std::cout << kUsage << "\n";
    return 0;
  }
  std::string error;
  auto flags = ParseFlags(argc, argv, error);
  if (!flags) return Fail(2, error + "; " + kUsage);
  for (const char* required : {"target", "stream", "data"}) {
    if (!flags->contains(required)) {
      return Fail(2, std::string("--") + required + " is required; " + kUsage);
    }
  }

  cable::PublisherOptions options;
  options.target = (*flags)["target"];
  options.api_key = flags->contains("api_key") ? (*flags)["api_key"] : "";
  if (flags->contains("ca")) {
    auto pem = ReadFile((*flags)["ca"]);
    if (!pem) return Fail(2, "cannot read --ca " + (*flags)["ca"]);
    options.tls = cable::TlsOptions{.root_ca_pem = *pem};
  }
  if (flags->contains("timeout_ms")) {
    const std::string& text = (*flags)["timeout_ms"];
    long long ms = 0;
    auto [end, ec] =
        std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec != std::errc() || end != text.data() + text.size() || ms <= 0) {
      return Fail(
          2, "--timeout_ms must be a positive integer, not '" + text + "'");
    }
    options.default_deadline = std::chrono::milliseconds(ms);
  }

  auto publisher = cable::Publisher::Create(std::move(options));
  if (!publisher.ok()) return Fail(2, Describe(publisher.status()));
  absl::Status status =
      publisher->Broadcast((*flags)["stream"], (*flags)["data"]);
  if (!status.ok()) return Fail(1, Describe(status));
  return 0;
}
