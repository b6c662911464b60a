#include "tests/support/test_certificates.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace cable::testing {
namespace {

absl::Status Run(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) {
    return absl::InternalError(absl::StrCat("failed: ", command));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TestCertificates> TestCertificates::Make() {
  static std::atomic<int> counter{0};
  std::error_code error;
  auto dir = std::filesystem::temp_directory_path(error) /
             absl::StrCat("cable-certs-", getpid(), "-", counter++);
  std::filesystem::create_directories(dir, error);
  if (error) return absl::InternalError(error.message());
  TestCertificates certs(dir);
  const std::string openssl = CABLE_OPENSSL_EXECUTABLE;
  const std::string d = dir.string();
  for (const char* ca : {"ca", "other"}) {
    absl::Status s = Run(absl::StrCat(
        openssl, " req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=", ca,
        "-test-ca -keyout ", d, "/", ca, ".key -out ", d, "/", ca, ".pem"));
    if (!s.ok()) return s;
  }
  for (const auto& [name, extension] :
       {std::pair<std::string, std::string>{
            "server", "subjectAltName=IP:127.0.0.1,DNS:localhost"},
        {"client", "extendedKeyUsage=clientAuth"}}) {
    std::ofstream(dir / (name + ".ext")) << extension << "\n";
    absl::Status s = Run(absl::StrCat(
        openssl, " req -newkey rsa:2048 -nodes -subj /CN=", name, " -keyout ",
        d, "/", name, ".key -out ", d, "/", name, ".csr"));
    if (s.ok()) {
      s = Run(absl::StrCat(openssl, " x509 -req -days 2 -in ", d, "/", name,
                           ".csr -CA ", d, "/ca.pem -CAkey ", d,
                           "/ca.key -CAcreateserial -out ", d, "/", name,
                           ".pem -extfile ", d, "/", name, ".ext"));
    }
    if (!s.ok()) return s;
  }
  return certs;
}

TestCertificates::TestCertificates(TestCertificates&& other) noexcept
    : dir_(std::move(other.dir_)) {
  other.dir_.clear();
}

TestCertificates::~TestCertificates() {
  if (dir_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string TestCertificates::path(const std::string& name) const {
  return (dir_ / name).string();
}

std::string TestCertificates::Read(const std::string& name) const {
  std::ifstream in(path(name));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace cable::testing
