#pragma once
// The shipped connection, identified_by "current_user".
//   * jwt_secret empty: everyone is accepted; current_user comes from the
//     `user` query parameter when present. For demos only: the client
//     chooses it, so it proves nothing.
//   * jwt_secret set: an HS256 JWT from the `token` query parameter or an
//     "Authorization: Bearer …" header is required; its "sub" claim becomes
//     current_user; "exp"/"nbf" are honoured. Otherwise the connection is
//     rejected as unauthorized.

#include <string>

#include "cable/service/connection.h"

namespace cable::service {

class AppConnection final : public Connection {
 public:
  static constexpr absl::string_view kCurrentUser = "current_user";

  explicit AppConnection(std::string jwt_secret)
      : jwt_secret_(std::move(jwt_secret)) {}

  void connect() override;

 private:
  std::string jwt_secret_;
};

}  // namespace cable::service
