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
// The same connection keeps Paho's receive thread from dozing: Paho sleeps 100 ms whenever
// its 1 s poll finds nothing, deaf to every socket meanwhile, so a message after a quiet
// second could reach the DTE up to 100 ms late. The handshake's thread stays on and writes a
// PINGRESP every keep_awake_period, so that poll never comes back empty (two wake-ups a
// second for the whole process).
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
  /// The process's waker, created on first use (its handshake then runs on a thread of its
  /// own, which stays to keep Paho awake; until it is done poke() does nothing). Never destroyed.
  static waker& instance();

  waker(const waker&) = delete;
  waker& operator=(const waker&) = delete;

  /// Wakes Paho's receive thread, without blocking. At most one poke per 2 ms for the
  /// whole process: one wake-up serves every client waiting at that moment (many modems
  /// connecting at once cost no more than one).
  void poke();

 private:
  waker();
  /// Writes a PINGRESP to `fd` every keep_awake_period, for the life of the process.
  static void keep_awake(int fd);

  /// Well inside Paho's 1 s poll, with room for a late wake-up on a busy machine.
  static constexpr std::chrono::milliseconds keep_awake_period{400};

  std::unique_ptr<::mqtt::async_client> client_;
  std::atomic<int> fd_{-1};  // our end of the waker's connection, -1 until the handshake is done
  std::atomic<std::chrono::steady_clock::rep> last_poke_{0};
};

}  // namespace nt35e::paho::detail
