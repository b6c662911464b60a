// tiny-app: the cable service with an application of its own, as an app
// built on the installed Cable package would run it. Channel "EchoChannel"
// (param "topic") streams from "echo:<topic>"; its action "shout" broadcasts
// {"shouted": upper-cased text} there. Usage:
//   tiny-app NATS_URL
// prints "tiny-app listening grpc=127.0.0.1:PORT internal=127.0.0.1:PORT".
#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cable/backends.h"
#include "cable/service/channel.h"
#include "cable/service/in_memory_state_store.h"
#include "cable/service/registry.h"
#include "cable/service/service_server.h"

namespace {

class EchoChannel final : public cable::service::Channel {
 public:
  void subscribed() override {
    auto topic = params().find("topic");
    if (topic == params().end() || !topic->is_string()) return reject();
    stream_from("echo:" + topic->get<std::string>());
  }
  void shout(const nlohmann::json& data) {
    std::string text = data.value("text", "");
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    broadcast_to("echo:" + params()["topic"].get<std::string>(),
                 nlohmann::json{{"shouted", text}});
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: tiny-app NATS_URL\n");
    return 2;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  auto backends = cable::MakeBackends(argv[1], "tiny-app");
  if (!backends.ok()) {
    std::fprintf(stderr, "tiny-app: %s\n",
                 std::string(backends.status().message()).c_str());
    return 1;
  }
  auto app = std::make_unique<cable::service::Application>();
  app->Add<EchoChannel>("EchoChannel").action("shout", &EchoChannel::shout);
  cable::service::InMemoryStateStore store;
  cable::service::ServiceServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;           // Publisher
  options.internal_host = "127.0.0.1";
  options.internal_port = 0;  // what gateways call
  auto server = cable::service::ServiceServer::Start(
      options, {.application = std::move(app)}, *backends->streams,
      *backends->control, store);
  if (!server.ok()) {
    std::fprintf(stderr, "tiny-app: %s\n",
                 std::string(server.status().message()).c_str());
    return 1;
  }
  std::printf("tiny-app listening grpc=127.0.0.1:%d internal=127.0.0.1:%d\n",
              (*server)->port(), (*server)->internal_port());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop, &signal);
  (*server)->Shutdown(1000);
  return 0;
}
