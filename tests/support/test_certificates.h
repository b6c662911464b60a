#pragma once

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"

namespace cable::testing {

// Certificates made by the openssl program at test time, never checked in:
// a CA ("ca.pem"), a server certificate for 127.0.0.1 and localhost
// ("server.pem", "server.key") and a client certificate ("client.pem",
// "client.key"), both signed by the CA, and an unrelated CA ("other.pem").
// Removed with the object.
class TestCertificates final {
 public:
  static absl::StatusOr<TestCertificates> Make();
  TestCertificates(TestCertificates&&) noexcept;
  TestCertificates& operator=(TestCertificates&&) = delete;
  ~TestCertificates();

  std::string path(const std::string& name) const;
  std::string Read(const std::string& name) const;

 private:
  explicit TestCertificates(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
};

}  // namespace cable::testing
