#pragma once

// A small log-linear histogram of non-negative integers (nanoseconds here):
// values below 128 are exact, above that each power of two is split into 64
// buckets, so every value is kept to within 1.6%. Mergeable and cheap
// enough to record every delivery.

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <string>
#include <vector>

namespace cable::bench {

class Histogram {
 public:
  static constexpr int kSubBits = 6;
  static constexpr int kSub = 1 << kSubBits;  // 64
  static constexpr int kBuckets = 2 * kSub + 58 * kSub;

  static int BucketOf(std::uint64_t v) {
    if (v < 2 * kSub) return static_cast<int>(v);
    const int msb = 63 - std::countl_zero(v);
    const int shift = msb - kSubBits;
    const int mant = static_cast<int>(v >> shift);  // in [64, 128)
    return 2 * kSub + (shift - 1) * kSub + (mant - kSub);
  }
  // The largest value that falls in `bucket`.
  static std::uint64_t UpperOf(int bucket) {
    if (bucket < 2 * kSub) return static_cast<std::uint64_t>(bucket);
    const int shift = (bucket - 2 * kSub) / kSub + 1;
    const std::uint64_t mant = (bucket - 2 * kSub) % kSub + kSub;
    return ((mant + 1) << shift) - 1;
  }

  void Record(std::int64_t value) {
    const std::uint64_t v = value < 0 ? 0 : static_cast<std::uint64_t>(value);
    int b = BucketOf(v);
    if (b >= kBuckets) b = kBuckets - 1;
    ++counts_[b];
    ++total_;
    max_ = std::max(max_, v);
  }
  void Merge(const Histogram& o) {
    for (int i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    max_ = std::max(max_, o.max_);
  }
  void Reset() { *this = Histogram(); }
  std::uint64_t total() const { return total_; }
  std::uint64_t max() const { return max_; }

  // Value at quantile q in [0, 1] (upper bound of its bucket, capped at max).
  std::uint64_t Quantile(double q) const {
    if (total_ == 0) return 0;
    const auto rank =
        static_cast<std::uint64_t>(q * static_cast<double>(total_));
    std::uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen > rank || (seen == total_ && seen > 0)) {
        return std::min(UpperOf(i), max_);
      }
    }
    return max_;
  }

  // Sparse JSON array [[upper_value, count], ...] for merging elsewhere.
  std::string SparseJson() const {
    std::string out = "[";
    bool first = true;
    for (int i = 0; i < kBuckets; ++i) {
      if (counts_[i] == 0) continue;
      if (!first) out += ',';
      first = false;
      out += '[';
      out += std::to_string(std::min(UpperOf(i), max_));
      out += ',';
      out += std::to_string(counts_[i]);
      out += ']';
    }
    out += ']';
    return out;
  }

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace cable::bench
