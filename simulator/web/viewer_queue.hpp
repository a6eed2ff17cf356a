#pragma once
// What one browser has yet to receive: a bounded queue of messages that drops its oldest
// when full, and hands out a marker (events.hpp, dropped_message) where it dropped, so a
// slow or stalled viewer costs a bounded amount of memory and never makes anyone wait.
//
// Thread safety: none; each belongs to one viewer connection, on the web server's thread.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace nt35e::web {

class viewer_queue {
 public:
  using message = std::shared_ptr<const std::string>;

  /// At most `max_messages` waiting; one more drops the oldest.
  explicit viewer_queue(std::size_t max_messages) : max_(max_messages == 0 ? 1 : max_messages) {}

  /// Queues `m`; drops the oldest waiting message when full.
  void push(message m) {
    if (waiting_.size() >= max_) {
      waiting_.pop_front();
      ++dropped_;
      ++dropped_total_;
    }
    waiting_.push_back(std::move(m));
  }

  /// The next thing to send: first a marker when messages were dropped since the last
  /// one (`marker(count)` builds its text), then the oldest message; nothing when empty.
  template <class Marker>
  std::optional<message> pop(Marker&& marker) {
    if (dropped_ != 0) {
      auto m = std::make_shared<const std::string>(marker(dropped_));
      dropped_ = 0;
      return m;
    }
    if (waiting_.empty()) return std::nullopt;
    auto m = std::move(waiting_.front());
    waiting_.pop_front();
    return m;
  }

  bool empty() const { return waiting_.empty() && dropped_ == 0; }
  std::size_t size() const { return waiting_.size(); }
  /// Messages dropped since the start.
  std::uint64_t dropped_total() const { return dropped_total_; }

 private:
  std::deque<message> waiting_;
  std::size_t max_;
  std::uint64_t dropped_ = 0;  ///< dropped since the last marker
  std::uint64_t dropped_total_ = 0;
};

}  // namespace nt35e::web
