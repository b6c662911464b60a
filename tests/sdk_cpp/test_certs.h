#pragma once
// Self-signed certificates made in memory for TLS tests (no files, no
// openssl command).

#include <string>

namespace cable::testing {

struct TestCert {
  std::string cert_pem;
  std::string key_pem;
};

// A P-256 key and a self-signed certificate for `common_name`, valid for
// 127.0.0.1 and localhost, usable as server, client and its own root.
TestCert SelfSignedCert(const std::string& common_name);

}  // namespace cable::testing
