#pragma once
// How many broker events (PUBLISHes) Paho's threads have posted to the modem's executor
// that it has not run yet, shared by one session's callbacks and its relay.
//
// Why: Paho reads its socket as fast as the broker sends and posts each message; with a
// flooding broker and a busy modem, the posted events piled up without bound (measured:
// 3,000 to 4,600 waiting, and RSS growing with the flood). The real module cannot receive
// faster than it processes: TCP flow control holds the broker back. So past `high` waiting
// events the relay stops reading the broker's socket, and reads again once the modem is
// down to `low`; nothing is dropped by us (no QoS 1/2 message is lost), the broker waits.

#include <atomic>
#include <functional>

namespace nt35e::paho::detail {

struct backlog {
  static constexpr int high = 256;  ///< the relay stops reading at this many waiting
  static constexpr int low = 128;   ///< and reads again at this many

  std::atomic<int> waiting{0};
  /// Set by the relay; called on the executor when `waiting` falls to `low`.
  std::function<void()> on_low;

  /// On Paho's thread, before posting a broker event.
  void posted() { waiting.fetch_add(1, std::memory_order_relaxed); }
  /// On the executor, when that event runs (or is dropped).
  void ran() {
    if (waiting.fetch_sub(1, std::memory_order_relaxed) - 1 == low && on_low) on_low();
  }
  [[nodiscard]] bool full() const { return waiting.load(std::memory_order_relaxed) >= high; }
};

}  // namespace nt35e::paho::detail
