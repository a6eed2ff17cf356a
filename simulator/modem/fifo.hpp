#pragma once
// A first-in first-out queue that holds no memory while it has never been used and gives
// back a burst's memory once drained. std::deque allocates about 576 bytes as soon as it
// is made, even empty, and a fleet has thousands of modems with a few queues each.

#include <cstddef>
#include <utility>
#include <vector>

namespace nt35e::modem {

template <class T>
class fifo {
 public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }

  void push_back(T value) {
    // Taken items are dropped once they are half the vector, so a queue that never
    // drains (a steady stream) stays the size of what it holds: O(1) amortized.
    if (head_ >= compact_from && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
    items_.push_back(std::move(value));
  }
  void pop_front() {
    items_[head_] = T{};  // what it held goes now, not at the next compaction
    if (++head_ == items_.size()) clear();
  }
  void clear() {
    head_ = 0;
    if (items_.capacity() > keep_capacity)
      std::vector<T>().swap(items_);
    else
      items_.clear();
  }

 private:
  static constexpr std::size_t compact_from = 16;
  static constexpr std::size_t keep_capacity = 16;
  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace nt35e::modem
