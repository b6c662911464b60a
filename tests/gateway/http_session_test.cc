#include "cable/gateway/http_session.h"

#include <gtest/gtest.h>

namespace cable::gateway {
namespace {

TEST(SelectSubprotocol, PrefersActionCable) {
  EXPECT_EQ(SelectSubprotocol("actioncable-v1-json, actioncable-unsupported"),
            "actioncable-v1-json");
  EXPECT_EQ(SelectSubprotocol("actioncable-unsupported,actioncable-v1-json"),
            "actioncable-v1-json");
}

TEST(SelectSubprotocol, NothingOfferedIsAccepted) {
  EXPECT_EQ(SelectSubprotocol(""), "");
  EXPECT_EQ(SelectSubprotocol(" , "), "");
}

TEST(SelectSubprotocol, OnlyForeignProtocolsAreRefused) {
  EXPECT_EQ(SelectSubprotocol("graphql-ws"), std::nullopt);
  EXPECT_EQ(SelectSubprotocol("actioncable-unsupported"), std::nullopt);
}

}  // namespace
}  // namespace cable::gateway
