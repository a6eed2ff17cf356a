#pragma once
// The process's one thread that makes the calls into Paho on a connected client
// (publish, subscribe, unsubscribe, disconnect), in the order they were queued.
//
// Why: Paho C guards every client of the process with one lock, which its single send
// thread holds while it writes for all of them. A modem's thread that called publish()
// itself waited for that lock: in a fleet of 1000 live modems publishing flat out, 45 % of
// the pool threads' context switches were waits inside Paho, and while both pool threads
// waited no modem ran, the idle one included (bench/README.md, "Fairness"). Queued here,
// the modem's thread goes on at once; a prototype raised the fleet's publish rate by 65 %
// and halved the idle modem's AT p99.
//
// When nothing is queued or running, a call runs at once on the caller's thread instead
// (run_or_push): a lone modem then pays no hand-off (measured: +30 µs on a publish's
// latency), and at most one caller at a time takes that way, so at most one modem thread
// can be waiting for Paho while the others go on.
//
// Order: one queue for the whole process, so the calls of one client keep their order (a
// PUBLISH queued before a DISCONNECT goes out before it; a call runs inline only when every
// call queued before it has finished). A call must capture what keeps
// its client alive (see paho_backend.cpp) and must not throw; it reports failures by
// posting to its modem's executor.
//
// Thread safety: push() and drain() from any thread. The thread is never stopped (like
// Paho's own threads it lasts as long as the process).

#include <functional>

namespace nt35e::paho::detail {

class call_queue {
 public:
  using call = std::function<void()>;

  /// The process's queue, its thread started on first use. Never destroyed.
  static call_queue& instance();

  /// Runs `c` on the queue's thread after every call queued before it.
  virtual void push(call c) = 0;

  /// Runs `c` now, on this thread, if no call is queued or running (inline or on the
  /// queue's thread); otherwise push(c).
  virtual void run_or_push(call c) = 0;

  /// Returns once every call queued before it has run (blocks the caller: for shutdown
  /// only, when the Paho clients are about to be destroyed).
  virtual void drain() = 0;

 protected:
  call_queue() = default;
  ~call_queue() = default;
};

}  // namespace nt35e::paho::detail
