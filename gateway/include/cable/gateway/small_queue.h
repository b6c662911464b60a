#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace cable::gateway {

// A FIFO for a connection's queues that costs nothing while empty (an empty
// std::deque allocates about 600 bytes up front, for every idle connection)
// and reuses its storage once drained, so steady traffic does not allocate.
template <class T>
class SmallQueue final {
 public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }

  T& front() { return items_[head_]; }
  T& back() { return items_.back(); }
  auto begin() const { return items_.begin() + head_; }
  auto end() const { return items_.end(); }

  void push_back(T item) { items_.push_back(std::move(item)); }
  void push_front(T item) {
    if (head_ > 0) {
      items_[--head_] = std::move(item);
    } else {
      items_.insert(items_.begin(), std::move(item));
    }
  }

  void pop_front() {
    items_[head_] = T();
    if (++head_ == items_.size()) Reset();
  }

  void pop_back() {
    items_.pop_back();
    if (head_ == items_.size()) Reset();
  }

  void clear() { Reset(); }

 private:
  void Reset() {
    items_.clear();
    head_ = 0;
    // Give back what a burst grew the storage to.
    if (items_.capacity() > kKeptCapacity) std::vector<T>().swap(items_);
  }

  static constexpr std::size_t kKeptCapacity = 16;
  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace cable::gateway
