#include "tests/bench/loadgen_clients.h"

#include <cmath>

namespace cable::bench {

ClientSet::ClientSet(const Config& config) : config_(config) {
  const int threads = std::max(1, config_.threads);
  const int count = config_.clients;
  const int offset = config_.client_offset;
  const double slow_fraction = config_.slow_fraction;
  for (int t = 0; t < threads; ++t) {
    workers_.push_back(
        std::make_unique<Worker>(config_, config_.connect_rate / threads,
                                 config_.max_inflight_connects / threads));
  }
  for (int c = 0; c < count; ++c) {
    const std::uint32_t global = static_cast<std::uint32_t>(offset + c);
    // Spread slow clients evenly: client c is slow when c * f crosses an
    // integer.
    const bool slow = slow_fraction > 0 && std::floor((c + 1) * slow_fraction) >
                                               std::floor(c * slow_fraction);
    std::vector<std::uint32_t> rooms;
    for (int j = 0; j < config_.subs; ++j) {
      rooms.push_back(static_cast<std::uint32_t>(
          (static_cast<std::uint64_t>(global) * config_.subs + j) %
          config_.streams));
    }
    Worker& w = *workers_[c % threads];
    w.Add(std::make_unique<Client>(w, global, slow, std::move(rooms)));
  }
  total_ = count;
}

ReadyCounts ClientSet::Connect(double timeout_s) {
  for (auto& w : workers_) w->Run();
  const std::int64_t deadline =
      NowNs() + static_cast<std::int64_t>(timeout_s * 1e9);
  while (NowNs() < deadline) {
    std::uint64_t done = 0;
    for (auto& w : workers_) done += w->done();
    if (done >= static_cast<std::uint64_t>(total_)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ReadyCounts ready;
  subs_per_room_.assign(config_.streams, 0);
  for (auto& w : workers_) {
    ready.connect.Merge(w->Call([&w] { return w->connect_stats(); }));
    w->Call([&] {
      for (auto& c : w->clients()) {
        if (c->slow()) ++ready.slow;
        if (c->state() != Client::State::kReady || c->slow()) continue;
        for (auto room : c->rooms()) ++subs_per_room_[room];
      }
      return 0;
    });
  }
  slow_ = ready.slow;
  ready.clients = total_;
  ready.subs = config_.subs;
  return ready;
}

void ClientSet::StartStep(std::int64_t step) {
  for (auto& w : workers_) w->Call([&] { return w->TakeStep(step); });
}

std::int64_t ClientSet::Expected(std::int64_t published) const {
  std::int64_t e = 0;
  for (int k = 0; k < config_.streams; ++k) {
    if (subs_per_room_[k] != 0)
      e += subs_per_room_[k] * CountFor(published, config_.streams, k);
  }
  return e;
}

StepCounts ClientSet::Report(std::int64_t step, std::int64_t published,
                             int wait_ms) {
  StepCounts r;
  r.step = step;
  r.clients = total_;
  r.slow = slow_;
  r.published = published;
  r.expected = Expected(published);
  const std::int64_t deadline = NowNs() + wait_ms * 1000000LL;
  for (;;) {
    std::uint64_t got = 0;
    for (auto& w : workers_) got += w->received();
    if (static_cast<std::int64_t>(got) >= r.expected || NowNs() >= deadline)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  for (auto& w : workers_) {
    r.stats.Merge(w->Call([&w] { return w->TakeStep(0); }));
    w->Call([&] {
      for (auto& c : w->clients()) {
        if (c->state() != Client::State::kClosed) continue;
        if (c->slow()) {
          ++r.slow_closed;
        } else {
          ++r.closed;
        }
        if (c->too_slow()) ++r.too_slow;
      }
      return 0;
    });
  }
  return r;
}

SlowCounts ClientSet::ResumeSlow(int ms) {
  for (auto& w : workers_) {
    w->Call([&w] {
      for (auto& c : w->clients()) {
        if (c->slow()) c->ResumeReading();
      }
      return 0;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  SlowCounts r;
  for (auto& w : workers_) {
    w->Call([&] {
      for (auto& c : w->clients()) {
        if (!c->slow()) continue;
        ++r.slow;
        if (c->state() == Client::State::kClosed || c->server_closed())
          ++r.closed_by_server;
        if (c->too_slow()) ++r.told_too_slow;
      }
      return 0;
    });
  }
  return r;
}

void ClientSet::Stop() {
  for (auto& w : workers_) w->Stop();
}

}  // namespace cable::bench
