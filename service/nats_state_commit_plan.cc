#include "nats_state_commit_plan.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "nats_state_io.h"

namespace cable::service::nats_state {

std::vector<std::string> GuardWorkersOf(const ChannelWrite& w) {
  std::vector<std::string> workers = w.clear_guards_of;
  if (w.guard_delta != 0) workers.push_back(w.worker);
  return workers;
}

std::vector<GuardOp> PlanGuards(const ChannelWrite& w,
                                const std::vector<std::int64_t>& counts,
                                const std::vector<std::uint64_t>& seqs) {
  std::vector<GuardOp> guards;
  const std::size_t cleared = w.clear_guards_of.size();
  const bool delta_worker_cleared =
      w.guard_delta != 0 &&
      std::find(w.clear_guards_of.begin(), w.clear_guards_of.end(), w.worker) !=
          w.clear_guards_of.end();
  for (std::size_t i = 0; i < cleared; ++i) {
    const std::string key = Layout::GuardKey(w.name, w.clear_guards_of[i]);
    // The delta's worker is written below; nothing there, nothing to
    // remove; a worker listed twice is removed once.
    if ((w.guard_delta != 0 && w.clear_guards_of[i] == w.worker) ||
        seqs[i] == 0 ||
        std::any_of(guards.begin(), guards.end(),
                    [&](const GuardOp& g) { return g.key == key; })) {
      continue;
    }
    guards.push_back(GuardOp{key, std::nullopt, seqs[i]});
  }
  if (w.guard_delta != 0) {
    const std::int64_t current = counts[cleared];
    const std::uint64_t seen = seqs[cleared];
    const std::int64_t count = std::max<std::int64_t>(
        0, (delta_worker_cleared ? 0 : current) + w.guard_delta);
    const std::string key = Layout::GuardKey(w.name, w.worker);
    if (count > 0 && !(seen != 0 && count == current)) {
      guards.push_back(GuardOp{key, count, seen});
    } else if (count == 0 && seen != 0) {
      guards.push_back(GuardOp{key, std::nullopt, seen});
    }
  }
  return guards;
}

namespace {

// The new head of a part, and the chunks of its state if it is large.
void PlanHead(CommitPart& p, const std::string& txn, const Layout& layout,
              std::size_t chunk_bytes, const IdSource& new_id,
              std::vector<JsRequest>* data_writes) {
  const ChannelWrite& w = *p.write;
  Head& n = p.next;
  n = p.head;
  n.txn = txn;
  if (w.state || !w.events.empty()) ++n.revision;
  n.last_event_id += w.events.size();
  if (!w.state) return;
  if (!p.head.blob.empty()) p.old_blob = p.head.blob;
  n.blob.clear();
  n.chunks = 0;
  n.inline_state.clear();
  if (HeaderLine(n).size() + 1 + w.state->size() + 64 > chunk_bytes) {
    n.blob = new_id();
    n.chunks = ChunkCount(w.state->size(), chunk_bytes);
    AppendBlob(layout, chunk_bytes, n.blob, *w.state, data_writes);
  } else {
    n.inline_state = *w.state;
  }
}

// Publishes of a part's events (ids after the head read).
void PlanEvents(const CommitPart& p, const Layout& layout,
                std::size_t chunk_bytes, const IdSource& new_id,
                CommitPlan* plan) {
  const ChannelWrite& w = *p.write;
  if (!p.head.keep_events) return;
  for (std::size_t i = 0; i < w.events.size(); ++i) {
    const std::uint64_t id = p.head.last_event_id + 1 + i;
    const std::string& data = w.events[i];
    // Event ids above last_event_id hold nothing or orphans of a writer
    // that crashed: expecting "no message" fences a writer that lost its
    // lease from overwriting committed events; orphans are replaced (see
    // the "write data" phase).
    if (data.size() <= chunk_bytes) {
      plan->fenced.push_back(plan->data_writes.size());
      plan->data_writes.push_back(
          JetStreamClient::Publish(layout.EventSubject(p.enc, id), data, 0));
      continue;
    }
    // Chunks first: DeleteEvents' purge bound relies on it.
    const std::string blob = new_id();
    const std::uint64_t chunks = ChunkCount(data.size(), chunk_bytes);
    for (std::uint64_t c = 0; c < chunks; ++c) {
      JsRequest chunk = JetStreamClient::Publish(
          layout.EventChunkSubject(p.enc, id, c),
          data.substr(c * chunk_bytes, chunk_bytes), 0);
      chunk.headers.emplace_back(kBlobHeader, blob);
      plan->fenced.push_back(plan->data_writes.size());
      plan->data_writes.push_back(std::move(chunk));
    }
    JsRequest event = JetStreamClient::Publish(layout.EventSubject(p.enc, id),
                                               std::string(), 0);
    event.headers.emplace_back(kBlobHeader, blob);
    event.headers.emplace_back(kChunksHeader, absl::StrCat(chunks));
    plan->fenced.push_back(plan->data_writes.size());
    plan->data_writes.push_back(std::move(event));
  }
}

}  // namespace

CommitPlan PlanCommit(std::vector<CommitPart>& parts, const Layout& layout,
                      std::size_t chunk_bytes, const IdSource& new_id) {
  CommitPlan plan;
  for (CommitPart& p : parts) {
    const ChannelWrite& w = *p.write;
    p.guards = PlanGuards(w, p.guard_counts, p.guard_seqs);
    p.write_head = w.state.has_value() || !w.events.empty();
    plan.keys += p.guards.size() + (p.write_head ? 1 : 0);
  }
  if (plan.atomic()) plan.txn = new_id();
  for (CommitPart& p : parts) {
    // In an intent every channel it touches gets a head with the txn id:
    // that is how a recovering locker tells which parts are done.
    if (plan.atomic() && !p.guards.empty()) p.write_head = true;
    if (!p.write_head) continue;
    PlanHead(p, plan.txn, layout, chunk_bytes, new_id, &plan.data_writes);
    PlanEvents(p, layout, chunk_bytes, new_id, &plan);
  }
  return plan;
}

IntentWrites PlanIntent(const std::vector<CommitPart>& parts,
                        absl::string_view owner, const std::string& txn,
                        const Layout& layout, std::size_t chunk_bytes,
                        const IdSource& new_id) {
  IntentWrites out;
  Intent& intent = out.intent;
  intent.id = txn;
  intent.owner = std::string(owner);
  for (const CommitPart& p : parts) {
    if (!p.write_head) continue;
    intent.parts.push_back(IntentPart{p.write->name, p.enc, p.head.seq,
                                      EncodeHead(p.next), p.old_blob,
                                      p.guards});
  }
  const std::string body = EncodeIntent(intent);
  out.message = JetStreamClient::Publish(layout.IntentSubject(txn), body);
  if (body.size() > chunk_bytes) {
    intent.blob = new_id();
    AppendBlob(layout, chunk_bytes, intent.blob, body, &out.chunks);
    out.message.data.clear();
    out.message.headers.emplace_back(kBlobHeader, intent.blob);
    out.message.headers.emplace_back(
        kChunksHeader, absl::StrCat(ChunkCount(body.size(), chunk_bytes)));
  }
  return out;
}

std::vector<JsRequest> CleanupRequests(const std::vector<CommitPart>& parts,
                                       const CommitPlan& plan,
                                       const std::string& intent_blob,
                                       const Layout& layout) {
  std::vector<JsRequest> cleanup;
  if (plan.atomic()) {
    cleanup.push_back(JetStreamClient::Purge(layout.intents_stream,
                                             layout.IntentSubject(plan.txn)));
    if (!intent_blob.empty()) {
      cleanup.push_back(JetStreamClient::Purge(layout.chunks_stream,
                                               layout.BlobFilter(intent_blob)));
    }
  }
  for (const CommitPart& p : parts) {
    if (p.write_head && !p.old_blob.empty()) {
      cleanup.push_back(JetStreamClient::Purge(layout.chunks_stream,
                                               layout.BlobFilter(p.old_blob)));
    }
  }
  return cleanup;
}

std::vector<CommitResult> CommitResults(const std::vector<CommitPart>& parts) {
  std::vector<CommitResult> results;
  for (const CommitPart& p : parts) {
    const Head& h = p.write_head ? p.next : p.head;
    results.push_back(
        CommitResult{p.write->name, h.revision,
                     p.write->events.empty() ? 0 : p.head.last_event_id + 1});
  }
  return results;
}

}  // namespace cable::service::nats_state
