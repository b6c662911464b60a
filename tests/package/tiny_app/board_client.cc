// board-client: cable::Client from the installed package, as an app embeds
// it. Joins the stateful channel "board:demo" on a gateway, waits for its
// initial state, makes the request "increment" and prints one JSON line:
//   {"initial_state": ..., "reply": ...}
// Usage: board-client ws://HOST:PORT/cable?user=NAME
#include <cable/client.h>
#include <cable/client_channel.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <nlohmann/json.hpp>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: board-client WS_URL\n");
    return 2;
  }
  auto client = cable::Client::create({.url = argv[1]});
  if (!client.ok()) {
    std::fprintf(stderr, "board-client: %s\n", client.status().ToString().c_str());
    return 1;
  }
  std::promise<nlohmann::json> initial;
  auto initial_state = initial.get_future();
  cable::JoinOptions options;
  options.on_initial_state = [&initial, done = false](const nlohmann::json& state) mutable {
    if (!done) initial.set_value(state);
    done = true;
  };
  auto channel = (*client)->join("board:demo", std::move(options));
  if (!channel.ok()) {
    std::fprintf(stderr, "board-client: %s\n", channel.status().ToString().c_str());
    return 1;
  }
  if (initial_state.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    std::fprintf(stderr, "board-client: no initial state within 20 s\n");
    return 1;
  }
  auto reply_future = channel->do_request("increment", {{"by", 2}});
  if (reply_future.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    std::fprintf(stderr, "board-client: no reply within 20 s\n");
    return 1;
  }
  absl::StatusOr<nlohmann::json> reply = reply_future.get();
  if (!reply.ok()) {
    std::fprintf(stderr, "board-client: %s\n", reply.status().ToString().c_str());
    return 1;
  }
  const nlohmann::json out = {{"initial_state", initial_state.get()}, {"reply", *reply}};
  std::printf("%s\n", out.dump().c_str());
  (*client)->close();
  return 0;
}
