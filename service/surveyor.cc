#include "cable/service/surveyor.h"

#include <grpcpp/alarm.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "cable/control_bus.h"
#include "cable/random_hex.h"
#include "cable/service/state_store.h"
#include "cable/version.h"

namespace cable::service {
// What survives the Surveyor in tasks still queued on the state threads.
struct Surveyor::Shared {
  Shared(PubSub& c, StateStore& s, Post p, SurveyorOptions o)
      : control(c), store(s), post(std::move(p)), options(std::move(o)) {
    if (options.service_id.empty()) options.service_id = RandomHex(8);
  }
  PubSub& control;
  StateStore& store;
  const Post post;
  SurveyorOptions options;
  const absl::Time started = absl::Now();
  std::atomic<int> in_flight{0};
  absl::Mutex mu;
  bool stopped ABSL_GUARDED_BY(mu) = false;
  // Every survey running: Stop aborts them.
  absl::flat_hash_map<const Pending*, std::shared_ptr<Pending>> running
      ABSL_GUARDED_BY(mu);
};

// One survey. Owned by `Shared::running` until its completion task has
// run; the reply subscription and the deadline hold weak pointers.
struct Surveyor::Pending {
  Pending(std::set<Responder> expected, SurveyGatherer::Done done)
      : gatherer(std::move(expected), std::move(done)) {}
  SurveyGatherer gatherer;
  grpc::Alarm deadline;
  absl::Mutex mu;
  PubSubSubscriptionId reply_id ABSL_GUARDED_BY(mu) = 0;
  bool finished ABSL_GUARDED_BY(mu) = false;
};

Surveyor::Surveyor(PubSub& control, StateStore& store, Post post,
                   SurveyorOptions options)
    : shared_(std::make_shared<Shared>(control, store, std::move(post),
                                       std::move(options))) {}

Surveyor::~Surveyor() { Stop(); }

const std::string& Surveyor::id() const { return shared_->options.service_id; }

absl::Status Surveyor::Start() {
  const SurveyorOptions& o = shared_->options;
  if (absl::Status s = shared_->store.ServiceHeartbeat(
          o.service_id, o.heartbeat_interval + o.heartbeat_timeout);
      !s.ok()) {
    return absl::Status(s.code(),
                        absl::StrCat("service heartbeat: ", s.message()));
  }
  auto id =
      SubscribeAndWait(shared_->control, control::kAllServices,
                       [this](absl::string_view, absl::string_view payload) {
                         OnServicesMessage(payload);
                       });
  if (!id.ok()) {
    return absl::Status(id.status().code(),
                        absl::StrCat("control bus: ", id.status().message()));
  }
  services_id_ = *id;
  heartbeat_ = std::thread([this] { HeartbeatLoop(); });
  return absl::OkStatus();
}

void Surveyor::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (services_id_ != 0) shared_->control.Unsubscribe(services_id_);
  if (heartbeat_.joinable()) heartbeat_.join();
  std::vector<std::shared_ptr<Pending>> running;
  {
    absl::MutexLock lock(&shared_->mu);
    shared_->stopped = true;
    for (auto& [key, pending] : shared_->running) running.push_back(pending);
  }
  for (auto& pending : running) {
    pending->gatherer.Abort(
        absl::UnavailableError("the service is shutting down"));
  }
}

void Surveyor::HeartbeatLoop() {
  const SurveyorOptions& o = shared_->options;
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                               o.heartbeat_interval)) {
    mu_.Unlock();
    absl::Status s = shared_->store.ServiceHeartbeat(
        o.service_id, o.heartbeat_interval + o.heartbeat_timeout);
    if (!s.ok()) {
      spdlog::warn("service {}: heartbeat failed: {}", o.service_id,
                   s.ToString());
    }
    mu_.Lock();
  }
}

v1::ServiceInfo Surveyor::Describe() const {
  v1::ServiceInfo info;
  info.set_id(shared_->options.service_id);
  info.set_version(std::string(Version()));
  info.set_uptime_seconds(static_cast<std::uint64_t>(
      absl::ToInt64Seconds(absl::Now() - shared_->started)));
  return info;
}

// On a control-bus delivery thread, which must not publish (the
// in-memory bus delivers under its lock): the answer goes from a state
// thread.
void Surveyor::OnServicesMessage(absl::string_view payload) {
  internal::v1::ControlMessage message;
  if (!message.ParseFromArray(payload.data(),
                              static_cast<int>(payload.size())) ||
      !message.has_survey() || !message.survey().has_info()) {
    return;
  }
  internal::v1::ControlMessage answer;
  auto* reply = answer.mutable_survey_reply();
  reply->set_service_id(id());
  *reply->mutable_service() = Describe();
  shared_->post([shared = shared_, stream = message.survey().reply_stream(),
                 bytes = answer.SerializeAsString()] {
    absl::Status s = shared->control.Broadcast(stream, bytes);
    if (!s.ok()) {
      spdlog::warn("service {}: answering a survey: {}",
                   shared->options.service_id, s.ToString());
    }
  });
}

void Surveyor::Run(internal::v1::Survey survey, bool ask_services,
                   SurveyGatherer::Done done) {
  if (shared_->in_flight.fetch_add(1) >= shared_->options.max_in_flight) {
    shared_->in_flight.fetch_sub(1);
    std::move(done)(absl::ResourceExhaustedError(
        absl::StrCat("more than ", shared_->options.max_in_flight,
                     " Channels/Info calls at once on this service")));
    return;
  }
  // (std::function needs a copyable task.)
  auto owned = std::make_shared<SurveyGatherer::Done>(std::move(done));
  shared_->post([shared = shared_, survey = std::move(survey), ask_services,
                 owned]() mutable {
    Begin(shared, std::move(survey), ask_services, std::move(*owned));
  });
}

// On a state thread: the state store's reads may block.
void Surveyor::Begin(const std::shared_ptr<Shared>& shared,
                     internal::v1::Survey survey, bool ask_services,
                     SurveyGatherer::Done done) {
  auto user_done = std::make_shared<SurveyGatherer::Done>(std::move(done));
  auto finish_now = [&shared, &user_done](absl::Status status) {
    shared->in_flight.fetch_sub(1);
    SurveyGatherer::Done call = std::move(*user_done);
    std::move(call)(std::move(status));
  };
  std::set<Responder> expected;
  absl::StatusOr<std::vector<std::string>> gateways =
      shared->store.AliveWorkers();
  if (!gateways.ok()) return finish_now(gateways.status());
  for (auto& id : *gateways) {
    expected.insert({Responder::Role::kGateway, std::move(id)});
  }
  if (ask_services) {
    absl::StatusOr<std::vector<std::string>> services =
        shared->store.AliveServices();
    if (!services.ok()) return finish_now(services.status());
    for (auto& id : *services) {
      expected.insert({Responder::Role::kService, std::move(id)});
    }
  }

  // The completion: from whichever thread completes the gatherer, to a
  // state thread, where the reply subscription may be dropped (never from
  // its own delivery).
  auto self = std::make_shared<std::weak_ptr<Pending>>();
  auto pending = std::make_shared<Pending>(
      std::move(expected),
      [shared, self, user_done](absl::StatusOr<SurveyResult> result) {
        auto owned =
            std::make_shared<absl::StatusOr<SurveyResult>>(std::move(result));
        shared->post([shared, self, user_done, owned] {
          if (std::shared_ptr<Pending> p = self->lock()) {
            PubSubSubscriptionId reply_id = 0;
            {
              absl::MutexLock lock(&p->mu);
              p->finished = true;
              reply_id = std::exchange(p->reply_id, 0);
            }
            if (reply_id != 0) shared->control.Unsubscribe(reply_id);
            p->deadline.Cancel();
            absl::MutexLock lock(&shared->mu);
            shared->running.erase(p.get());
          }
          shared->in_flight.fetch_sub(1);
          SurveyGatherer::Done call = std::move(*user_done);
          std::move(call)(std::move(*owned));
        });
      });
  *self = pending;
  {
    absl::MutexLock lock(&shared->mu);
    if (shared->stopped) {
      return finish_now(absl::UnavailableError("the service is shutting down"));
    }
    shared->running.emplace(pending.get(), pending);
  }
  std::weak_ptr<Pending> weak = pending;
  pending->deadline.Set(
      std::chrono::system_clock::now() +
          absl::ToChronoMilliseconds(shared->options.deadline),
      [weak](bool fired) {
        if (!fired) return;  // cancelled: it completed
        if (auto p = weak.lock()) p->gatherer.Expire();
      });

  const std::string reply_stream =
      control::ReplyStream(shared->options.service_id, RandomHex(8));
  survey.set_reply_stream(reply_stream);
  auto payload = std::make_shared<const std::string>([&] {
    internal::v1::ControlMessage message;
    *message.mutable_survey() = std::move(survey);
    return message.SerializeAsString();
  }());
  const PubSubSubscriptionId reply_id = shared->control.Subscribe(
      reply_stream,
      [weak](absl::string_view, absl::string_view bytes) {
        internal::v1::ControlMessage message;
        if (!message.ParseFromArray(bytes.data(),
                                    static_cast<int>(bytes.size())) ||
            !message.has_survey_reply()) {
          return;
        }
        if (auto p = weak.lock()) {
          p->gatherer.Offer(std::move(*message.mutable_survey_reply()));
        }
      },
      // The survey goes out once its answers can be heard.
      [shared, weak, payload, ask_services](absl::Status live) {
        shared->post([shared, weak, payload, ask_services, live] {
          auto p = weak.lock();
          if (!p) return;
          if (!live.ok()) {
            return p->gatherer.Abort(absl::Status(
                live.code(),
                absl::StrCat("survey reply stream: ", live.message())));
          }
          absl::Status sent =
              shared->control.Broadcast(control::kAllGateways, *payload);
          if (sent.ok() && ask_services) {
            sent = shared->control.Broadcast(control::kAllServices, *payload);
          }
          if (!sent.ok()) return p->gatherer.Abort(sent);
          p->gatherer.Sent();
          shared->control.Flush([](absl::Status) {});
        });
      });
  bool drop = false;
  {
    absl::MutexLock lock(&pending->mu);
    if (pending->finished) {
      drop = reply_id != 0;
    } else {
      pending->reply_id = reply_id;
    }
  }
  if (drop) shared->control.Unsubscribe(reply_id);
}

}  // namespace cable::service
