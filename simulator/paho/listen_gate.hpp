#pragma once
// How many relays of the process may listen at once.
//
// Why: each relay opens a one-shot listener for Paho's connection and closes it at the
// accept, so a modem holds one file more while it connects than after. A fleet whose modems
// all connect at once (AT+ECMTCONN to 5,000 of them) had a listener open for nearly every
// modem at the same moment, while Paho, which connects one client after the other, had
// reached only some: past the open-file limit the rest failed ("relay: Too many open
// files"; 3,608 of 4,980 connected at 20,000 files) although the fleet fits once connected.
// With at most `slots` listeners at a time, a fleet that connects needs at most that many
// files more than once connected, and Paho, the bottleneck, is never short of work.
//
// The others wait in order of arrival; a freed slot passes straight to the next waiter.
//
// Thread safety: every member may be called from any thread (a fleet's modems run on
// several). `granted` callbacks run on the thread that frees the slot, outside the lock:
// they must only post work to their own executor.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <utility>

namespace nt35e::paho::detail {

class listen_gate {
 public:
  /// Listeners the process keeps open at most (32 is far ahead of Paho's pace, whose send
  /// thread takes connects one at a time).
  static constexpr int process_slots = 32;

  /// A slot held: released when destroyed (or by reset()). Move-only.
  class slot {
   public:
    slot() = default;
    explicit slot(listen_gate* g) : gate_(g) {}
    slot(slot&& o) noexcept : gate_(o.gate_) { o.gate_ = nullptr; }
    slot& operator=(slot&& o) noexcept {
      if (this != &o) {
        reset();
        gate_ = o.gate_;
        o.gate_ = nullptr;
      }
      return *this;
    }
    slot(const slot&) = delete;
    slot& operator=(const slot&) = delete;
    ~slot() { reset(); }
    void reset() {
      if (gate_) std::exchange(gate_, nullptr)->release();
    }
    [[nodiscard]] bool held() const { return gate_ != nullptr; }

   private:
    listen_gate* gate_ = nullptr;
  };

  /// Receives the slot once it is the caller's (a callback that no longer needs it just
  /// drops it, which passes it on).
  using granted_fn = std::function<void(slot)>;

  explicit listen_gate(int slots) : free_(slots) {}
  listen_gate(const listen_gate&) = delete;
  listen_gate& operator=(const listen_gate&) = delete;

  /// The gate every relay of the process goes through.
  static listen_gate& process();

  /// Calls `granted` with a slot: at once, on this thread, when one is free and nobody
  /// waits (returns 0); else later, on the thread that frees one (returns the ticket that
  /// cancel() takes).
  std::uint64_t acquire(granted_fn granted);

  /// Leaves the queue: `granted` will not be called (nothing if it was, or ticket is 0).
  void cancel(std::uint64_t ticket);

  /// Callers waiting for a slot (for tests and logs).
  [[nodiscard]] std::size_t waiting() const;

 private:
  void release();

  mutable std::mutex mutex_;
  int free_;
  std::uint64_t next_ticket_ = 1;
  std::map<std::uint64_t, granted_fn> waiting_;  ///< by ticket: in order of arrival
};

}  // namespace nt35e::paho::detail
