#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "cable/publisher_batch.h"

namespace cable {
namespace {

std::size_t Bytes(const BroadcastMessage& b) {
  return b.stream.size() + b.data.size();
}

}  // namespace

BatchPublisher::BatchPublisher(const Publisher& publisher, BatchOptions options)
    : publisher_(publisher), options_(std::move(options)) {}

BatchPublisher::~BatchPublisher() { (void)Flush(); }

absl::Status BatchPublisher::Add(std::string stream, std::string data) {
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= options_.max_pending) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "batch publisher full: ", queue_.size(),
        " broadcasts queued that could not be sent; Flush and retry"));
  }
  queue_.push_back(BroadcastMessage{std::move(stream), std::move(data)});
  queued_bytes_ += Bytes(queue_.back());
  if (queue_.size() < options_.max_broadcasts &&
      queued_bytes_ < options_.max_bytes) {
    return absl::OkStatus();
  }
  return FlushLocked();
}

absl::Status BatchPublisher::Flush() {
  absl::MutexLock lock(&mu_);
  return FlushLocked();
}

std::size_t BatchPublisher::pending() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

absl::Status BatchPublisher::FlushLocked() {
  while (!queue_.empty()) {
    const std::size_t n = NextBatchSize();
    absl::Status status =
        publisher_
            .BroadcastBatch(absl::MakeConstSpan(queue_.data(), n),
                            options_.call)
            .status();
    // Kept only when the server certainly never saw them (publishing
    // twice is worse than losing a batch the caller is told about).
    if (!status.ok() && NeverSent(status)) return status;
    for (std::size_t i = 0; i < n; ++i) queued_bytes_ -= Bytes(queue_[i]);
    queue_.erase(queue_.begin(),
                 queue_.begin() + static_cast<std::ptrdiff_t>(n));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

std::size_t BatchPublisher::NextBatchSize() const {
  std::size_t n = 0;
  std::size_t bytes = 0;
  const std::size_t most = std::max<std::size_t>(1, options_.max_broadcasts);
  // At least one, however large; then up to both limits.
  while (n < queue_.size() && n < most &&
         (n == 0 || bytes + Bytes(queue_[n]) <= options_.max_bytes)) {
    bytes += Bytes(queue_[n]);
    ++n;
  }
  return n;
}

}  // namespace cable
