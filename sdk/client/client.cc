// cable::Client: owns the I/O thread, the Session (protocol state) and the
// Transport (socket), and hands out Channel and Subscription handles.

#include "cable/client.h"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <optional>
#include <thread>
#include <utility>

#include "session.h"
#include "transport.h"
#include "ws_url.h"

namespace cable {

namespace net = boost::asio;
using client_internal::Session;
using client_internal::Transport;

// Shared by the Client and its I/O thread, so that a Client destroyed on
// that thread (from a callback) can let the thread finish on its own.
struct Client::Core {
  // Declared first: destroyed last, after everything holding its objects.
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::shared_ptr<Session> session;
  std::shared_ptr<Transport> transport;
  std::thread thread;
  std::atomic<bool> closing{false};

  ~Core() {
    // Handles may outlive the Core: their Session must stop posting here.
    if (session) session->SetWake(nullptr);
  }
};

absl::StatusOr<std::unique_ptr<Client>> Client::create(ClientOptions options) {
  absl::StatusOr<client_internal::WsUrl> url =
      client_internal::ParseWsUrl(options.url);
  if (!url.ok()) return url.status();
  if (options.reconnect_backoff.empty()) {
    return absl::InvalidArgumentError("reconnect_backoff must not be empty");
  }
  if (options.connect_timeout.count() <= 0 ||
      options.stale_timeout.count() <= 0 ||
      options.close_timeout.count() <= 0) {
    return absl::InvalidArgumentError("timeouts must be positive");
  }
  auto core = std::make_shared<Core>();
  core->session = std::make_shared<Session>(Session::Options{
      .max_queued_commands = options.max_queued_commands,
      .on_connection_status = std::move(options.on_connection_status),
      .on_disconnect = std::move(options.on_disconnect),
  });
  core->transport = std::make_shared<Transport>(
      core->ioc,
      Transport::Options{
          .url = *std::move(url),
          .headers = std::move(options.headers),
          .backoff = std::move(options.reconnect_backoff),
          .connect_timeout = options.connect_timeout,
          .stale_timeout = options.stale_timeout,
          .close_timeout = options.close_timeout,
          .max_message_bytes = options.max_message_bytes,
      },
      core->session);
  core->work.emplace(net::make_work_guard(core->ioc));
  core->session->SetWake(
      [ioc = &core->ioc, transport = std::weak_ptr(core->transport)] {
        net::post(*ioc, [transport] {
          if (auto t = transport.lock()) t->Flush();
        });
      });
  net::post(core->ioc, [transport = core->transport] { transport->Start(); });
  core->thread = std::thread([core] { core->ioc.run(); });
  return std::unique_ptr<Client>(new Client(std::move(core)));
}

Client::Client(std::shared_ptr<Core> core) : core_(std::move(core)) {}

Client::~Client() {
  close();
  if (core_->thread.get_id() == std::this_thread::get_id()) {
    core_->thread.detach();  // Called from a callback: the thread ends alone.
  } else {
    core_->thread.join();
  }
}

absl::StatusOr<Subscription> Client::subscribe(
    std::string identifier, SubscriptionCallbacks callbacks) {
  auto record =
      core_->session->Subscribe(std::move(identifier), std::move(callbacks));
  if (!record.ok()) return record.status();
  return Subscription(core_->session, *std::move(record));
}

absl::StatusOr<Channel> Client::join(const std::string& channel_name,
                                     JoinOptions options) {
  auto record = core_->session->Join(channel_name, std::move(options));
  if (!record.ok()) return record.status();
  return Channel(core_->session, *std::move(record));
}

void Client::close() {
  if (core_->closing.exchange(true)) return;
  core_->session->Close();
  net::post(core_->ioc, [core = core_.get()] {
    core->transport->Shutdown();
    core->work.reset();
  });
}

ConnectionStatus Client::status() const { return core_->session->status(); }

}  // namespace cable
