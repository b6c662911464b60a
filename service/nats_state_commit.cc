#include "nats_state_commit.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cable/stream_subject.h"

namespace cable::service::nats_state {
namespace {

absl::Status Crashed() { return absl::AbortedError("simulated crash"); }

}  // namespace

CommitRun::CommitRun(const StateIo& io, LockTable& table,
                     const CrashHook& crash_at, absl::string_view owner,
                     absl::Span<const ChannelWrite> writes)
    : io_(io),
      table_(table),
      crash_at_(crash_at),
      owner_(owner),
      writes_(writes) {}

absl::Status CommitRun::NotHeld(absl::string_view name) const {
  return absl::FailedPreconditionError(
      absl::StrCat("\"", owner_, "\" does not hold the lock of channel \"",
                   name, "\" (never taken, released, or its lease ran out)"));
}

absl::Status CommitRun::WrittenByAnother(absl::string_view name) const {
  return absl::FailedPreconditionError(absl::StrCat(
      "channel \"", name,
      "\" was written by another writer during the commit: the lease of \"",
      owner_, "\" ran out"));
}

absl::Status CommitRun::InTime(absl::string_view stage) const {
  const absl::Duration safe = table_.lease() * 3 / 4;
  if (table_.clock().Now() - start_ < safe) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "commit too slow: ", stage, " would start more than ",
      absl::FormatDuration(safe), " after the locks were renewed"));
}

bool CommitRun::Crash(absl::string_view stage) const {
  return crash_at_ && crash_at_(stage);
}

absl::StatusOr<std::vector<CommitResult>> CommitRun::Run() {
  if (writes_.empty()) return std::vector<CommitResult>();
  if (absl::Status s = Resolve(); !s.ok()) return s;
  if (absl::Status s = RenewAndRead(); !s.ok()) return s;
  plan_ = PlanCommit(parts_, io_.layout(), io_.chunk_bytes(), UniqueId);
  if (plan_.keys == 0) return CommitResults(parts_);
  if (absl::Status s = WriteData(); !s.ok()) return s;
  if (plan_.atomic()) {
    if (absl::Status s = WriteIntent(); !s.ok()) return s;
  }
  if (absl::Status s = WriteGuardsAndHeads(); !s.ok()) return s;
  if (Crash("cleanup")) return Crashed();
  CleanUp();
  return CommitResults(parts_);
}

absl::Status CommitRun::Resolve() {
  parts_.resize(writes_.size());
  std::vector<std::size_t> unknown;
  for (std::size_t i = 0; i < writes_.size(); ++i) {
    CommitPart& p = parts_[i];
    p.write = &writes_[i];
    p.enc = EncodeStreamToken(writes_[i].name);
    const LockTable::Lookup held = table_.Find(owner_, writes_[i].name);
    switch (held.holder) {
      case LockTable::Holder::kOwner:
        p.lock_seq = held.seq;
        break;
      case LockTable::Holder::kNone:
        unknown.push_back(i);
        break;
      case LockTable::Holder::kOther:
        return NotHeld(writes_[i].name);
    }
  }
  if (unknown.empty()) return absl::OkStatus();
  // Maybe locked through another store instance with the same owner.
  const Layout& layout = io_.layout();
  std::vector<JsRequest> gets;
  for (std::size_t i : unknown) {
    gets.push_back(JetStreamClient::GetLast(layout.locks_stream,
                                            layout.LockSubject(parts_[i].enc)));
  }
  absl::StatusOr<std::vector<NatsMsgPtr>> replies = io_.Run(gets);
  if (!replies.ok()) return replies.status();
  for (std::size_t k = 0; k < unknown.size(); ++k) {
    absl::StatusOr<std::optional<StoredMsg>> got =
        JetStreamClient::Got(std::move((*replies)[k]));
    if (!got.ok()) return got.status();
    if (!*got || (*got)->data() != owner_) {
      return NotHeld(writes_[unknown[k]].name);
    }
    parts_[unknown[k]].lock_seq = (*got)->seq;
  }
  return absl::OkStatus();
}

absl::Status CommitRun::RenewAndRead() {
  const Layout& layout = io_.layout();
  start_ = table_.clock().Now();
  std::vector<JsRequest> round1;
  for (const CommitPart& p : parts_) {
    const ChannelWrite& w = *p.write;
    round1.push_back(JetStreamClient::Publish(layout.LockSubject(p.enc), owner_,
                                              p.lock_seq));
    round1.push_back(JetStreamClient::GetLast(layout.channels_stream,
                                              layout.HeadSubject(p.enc)));
    for (const std::string& worker : GuardWorkersOf(w)) {
      round1.push_back(JetStreamClient::GetLast(
          layout.guards_stream,
          layout.GuardSubject(Layout::GuardKey(w.name, worker))));
    }
  }
  absl::StatusOr<std::vector<NatsMsgPtr>> replies = io_.Run(round1);
  if (!replies.ok()) return replies.status();
  std::size_t next_reply = 0;
  for (CommitPart& p : parts_) {
    const ChannelWrite& w = *p.write;
    absl::StatusOr<std::uint64_t> renewed =
        JetStreamClient::PubAck((*replies)[next_reply++]);
    if (absl::IsAborted(renewed.status())) {
      table_.Drop({w.name}, owner_);
      return NotHeld(w.name);
    }
    if (!renewed.ok()) return renewed.status();
    table_.Renewed(w.name, owner_, *renewed, start_);
    p.lock_seq = *renewed;
    absl::StatusOr<std::optional<StoredMsg>> got =
        JetStreamClient::Got(std::move((*replies)[next_reply++]));
    if (!got.ok()) return got.status();
    if (!*got) {
      return NoSuchChannel(w.name);
    }
    absl::StatusOr<Head> head = DecodeHead((*got)->data(), (*got)->seq);
    if (!head.ok()) return head.status();
    p.head = *std::move(head);
    if (p.head.revision != w.expected_revision) {
      return absl::FailedPreconditionError(absl::StrCat(
          "channel \"", w.name, "\" is at revision ", p.head.revision,
          ", the commit expected ", w.expected_revision));
    }
    for (const std::string& worker : GuardWorkersOf(w)) {
      absl::StatusOr<std::optional<StoredMsg>> guard =
          JetStreamClient::Got(std::move((*replies)[next_reply++]));
      if (!guard.ok()) return guard.status();
      std::optional<std::int64_t> count = 0;
      if (*guard) count = DecodeGuardCount((*guard)->data());
      if (!count) {
        return absl::DataLossError(absl::StrCat("guard count of \"", worker,
                                                "\" on \"", w.name,
                                                "\" is not a number"));
      }
      p.guard_counts.push_back(*count);
      p.guard_seqs.push_back(*guard ? (*guard)->seq : 0);
    }
  }
  return absl::OkStatus();
}

absl::Status CommitRun::WriteData() {
  if (absl::Status s = InTime("writing"); !s.ok()) return s;
  absl::StatusOr<std::vector<NatsMsgPtr>> acks = io_.Run(plan_.data_writes);
  if (!acks.ok()) return acks.status();
  std::vector<JsRequest> orphans;
  for (std::size_t i = 0; i < acks->size(); ++i) {
    absl::StatusOr<std::uint64_t> seq = JetStreamClient::PubAck((*acks)[i]);
    if (seq.ok()) continue;
    if (!absl::IsAborted(seq.status()) ||
        !std::binary_search(plan_.fenced.begin(), plan_.fenced.end(), i)) {
      return absl::Status(
          seq.status().code(),
          absl::StrCat("state chunks and events: ", seq.status().message()));
    }
    JsRequest retry = plan_.data_writes[i];
    std::erase_if(retry.headers, [](const auto& h) {
      return h.first == "Nats-Expected-Last-Subject-Sequence";
    });
    orphans.push_back(std::move(retry));
  }
  if (orphans.empty()) return absl::OkStatus();
  // Left by a writer that crashed before its commit, if the heads are
  // still the ones read (their ids are then above last_event_id).
  const Layout& layout = io_.layout();
  std::vector<JsRequest> reads;
  for (const CommitPart& p : parts_) {
    reads.push_back(JetStreamClient::GetLast(layout.channels_stream,
                                             layout.HeadSubject(p.enc)));
  }
  absl::StatusOr<std::vector<NatsMsgPtr>> heads = io_.Run(reads);
  if (!heads.ok()) return heads.status();
  for (std::size_t i = 0; i < parts_.size(); ++i) {
    absl::StatusOr<std::optional<StoredMsg>> got =
        JetStreamClient::Got(std::move((*heads)[i]));
    if (!got.ok()) return got.status();
    if (!*got || (*got)->seq != parts_[i].head.seq) {
      return WrittenByAnother(parts_[i].write->name);
    }
  }
  return io_.RunPublishes(orphans, "events replacing orphans");
}

absl::Status CommitRun::WriteIntent() {
  IntentWrites writes = PlanIntent(parts_, owner_, plan_.txn, io_.layout(),
                                   io_.chunk_bytes(), UniqueId);
  intent_blob_ = writes.intent.blob;
  if (absl::Status s = io_.RunPublishes(writes.chunks, "intent chunks");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = InTime("the intent"); !s.ok()) return s;
  if (Crash("intent")) return Crashed();
  // The commit point: from here on a later locker finishes it.
  return io_.RunPublishes({writes.message}, "intent");
}

absl::Status CommitRun::WriteGuardsAndHeads() {
  // Guards before heads: a head with the txn id says its guards are in.
  std::vector<GuardOp> guards;
  for (const CommitPart& p : parts_) {
    guards.insert(guards.end(), p.guards.begin(), p.guards.end());
  }
  if (absl::Status s = InTime("guard writes"); !s.ok()) return s;
  if (Crash("guards")) return Crashed();
  if (absl::Status s = io_.WriteGuards(guards, /*strict=*/true); !s.ok()) {
    return s;
  }

  std::vector<JsRequest> head_writes;
  std::vector<const CommitPart*> written;
  for (const CommitPart& p : parts_) {
    if (!p.write_head) continue;
    head_writes.push_back(io_.PublishHead(p.enc, p.next, p.head.seq));
    written.push_back(&p);
  }
  if (absl::Status s = InTime("head writes"); !s.ok()) return s;
  absl::StatusOr<std::vector<NatsMsgPtr>> acks;
  if (crash_at_) {
    // One at a time, so that a crash can fall between two heads.
    acks.emplace();
    for (std::size_t i = 0; i < head_writes.size(); ++i) {
      if (Crash(absl::StrCat("head ", i))) return Crashed();
      absl::StatusOr<std::vector<NatsMsgPtr>> one = io_.Run({head_writes[i]});
      if (!one.ok()) return one.status();
      acks->push_back(std::move(one->front()));
    }
  } else {
    acks = io_.Run(head_writes);
  }
  if (!acks.ok()) return acks.status();
  for (std::size_t i = 0; i < written.size(); ++i) {
    absl::StatusOr<std::uint64_t> seq = JetStreamClient::PubAck((*acks)[i]);
    if (seq.ok()) continue;
    if (!absl::IsAborted(seq.status())) return seq.status();
    // Someone wrote the head while we held the lock: our lease ran out.
    // If it was a locker rolling our intent forward, the commit stands.
    absl::StatusOr<std::optional<Head>> now = io_.ReadHead(written[i]->enc);
    if (plan_.atomic() && now.ok() && *now && (*now)->txn == plan_.txn) {
      continue;
    }
    return WrittenByAnother(written[i]->write->name);
  }
  return absl::OkStatus();
}

void CommitRun::CleanUp() {
  io_.Send(CleanupRequests(parts_, plan_, intent_blob_, io_.layout()));
}

}  // namespace cable::service::nats_state
