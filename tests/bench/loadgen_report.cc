#include "tests/bench/loadgen_report.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace cable::bench {

std::string Ms(std::uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ns) / 1e6);
  return buf;
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

std::string PublishJson(std::int64_t step, double rate, double duration,
                        const PublishResult& r) {
  return absl::StrCat("{\"event\":\"published\",\"step\":", step,
                      ",\"rate\":", rate, ",\"duration_s\":", duration,
                      ",\"published\":", r.published, ",\"errors\":", r.errors,
                      ",\"rpcs\":", r.rpcs, ",\"elapsed_s\":", r.elapsed_s,
                      ",\"lag_p99_ms\":", Ms(r.lag.Quantile(0.99)),
                      ",\"lag_max_ms\":", Ms(r.lag.max()),
                      ",\"rpc_p50_ms\":", Ms(r.rpc.Quantile(0.5)),
                      ",\"rpc_p99_ms\":", Ms(r.rpc.Quantile(0.99)),
                      ",\"first_error\":", Quote(r.first_error), "}");
}

std::string ReadyJson(const ReadyCounts& r) {
  const ConnectStats& cs = r.connect;
  const double span =
      static_cast<double>(cs.last_ready_ns - cs.first_start_ns) / 1e9;
  return absl::StrCat(
      "{\"event\":\"ready\",\"clients\":", r.clients, ",\"ready\":", cs.ready,
      ",\"welcomed\":", cs.welcomed, ",\"failed\":", cs.failed,
      ",\"rejected\":", cs.rejected, ",\"slow\":", r.slow,
      ",\"subscriptions\":", cs.ready * r.subs, ",\"connect_span_s\":", span,
      ",\"connect_rate\":",
      span > 0 ? static_cast<double>(cs.ready) / span : 0.0,
      ",\"welcome_p50_ms\":", Ms(cs.welcome_latency.Quantile(0.5)),
      ",\"welcome_p99_ms\":", Ms(cs.welcome_latency.Quantile(0.99)),
      ",\"ready_p50_ms\":", Ms(cs.ready_latency.Quantile(0.5)),
      ",\"ready_p99_ms\":", Ms(cs.ready_latency.Quantile(0.99)), "}");
}

std::string ReportJson(const StepCounts& r) {
  const StepStats& s = r.stats;
  const auto& h = s.latency;
  return absl::StrCat(
      "{\"event\":\"report\",\"step\":", r.step, ",\"clients\":", r.clients,
      ",\"slow\":", r.slow, ",\"published\":", r.published,
      ",\"expected\":", r.expected, ",\"received\":", s.received,
      ",\"lost\":", std::max<std::int64_t>(0, r.expected - s.received),
      ",\"late\":", s.late, ",\"reordered\":", s.reordered,
      ",\"closed\":", r.closed, ",\"slow_closed\":", r.slow_closed,
      ",\"too_slow\":", r.too_slow, ",\"bytes\":", s.bytes,
      ",\"first_ns\":", s.first_ns, ",\"last_ns\":", s.last_ns,
      ",\"p50_ms\":", Ms(h.Quantile(0.5)), ",\"p90_ms\":", Ms(h.Quantile(0.9)),
      ",\"p99_ms\":", Ms(h.Quantile(0.99)),
      ",\"p999_ms\":", Ms(h.Quantile(0.999)), ",\"max_ms\":", Ms(h.max()),
      ",\"hist\":", h.SparseJson(), "}");
}

std::string SlowJson(const SlowCounts& r) {
  return absl::StrCat("{\"event\":\"slow\",\"slow\":", r.slow,
                      ",\"closed_by_server\":", r.closed_by_server,
                      ",\"told_too_slow\":", r.told_too_slow, "}");
}

void Print(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace cable::bench
