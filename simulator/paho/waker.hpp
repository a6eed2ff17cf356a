#pragma once
// The process-wide Paho "waker": one Paho client, never destroyed, that makes Paho's
// receive thread look at new sockets at once.
//
// Why: Paho C runs one receive thread for all clients, blocked in poll() over the sockets
// it knew when the poll started, for up to 1 s. A socket Paho opens meanwhile (every new
// CONNECT) is only looked at when that poll ends: measured 1.1-2.1 s per CONNECT on
// loopback. The waker is one Paho client connected to a tiny in-process "broker" (a plain
// socket we hold). Writing a PINGRESP (D0 00) to it makes Paho's poll return at once; Paho
// takes an unsolicited PINGRESP as a no-op. The relay pokes it while it waits for a new
// client's CONNECT (relay::nudge_paho). Result: CONNECT to CONNACK in milliseconds
// instead of 1-2 s.
//
// Being never destroyed it also keeps Paho's client count above zero: Paho C stops its
// threads, sleeping 100 ms or more in the caller, whenever the last client is destroyed
// (MQTTAsync_destroy -> MQTTAsync_terminate; measured 100 ms).
//
// Thread safety: instance() and poke() may be called from any thread, concurrently.

#include <atomic>
#include <chrono>
#include <memory>

namespace mqtt {
class async_client;
}

namespace nt35e::paho::detail {

/// The one Paho client of the process that exists only to wake Paho's receive thread.
class waker {
 public:
  /// The process's waker, created on first use (its handshake then runs on a short-lived
  /// thread of its own; until it is done poke() does nothing). Never destroyed.
  static waker& instance();

  waker(const waker&) = delete;
  waker& operator=(const waker&) = delete;

  /// Wakes Paho's receive thread, without blocking. At most one poke per 2 ms for the
  /// whole process: one wake-up serves every client waiting at that moment (many modems
  /// connecting at once cost no more than one).
  void poke();

 private:
  waker();

  std::unique_ptr<::mqtt::async_client> client_;
  std::atomic<int> fd_{-1};  // our end of the waker's connection, -1 until the handshake is done
  std::atomic<std::chrono::steady_clock::rep> last_poke_{0};
};

}  // namespace nt35e::paho::detail
