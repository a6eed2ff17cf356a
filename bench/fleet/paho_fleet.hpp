#pragma once
// The baseline of the fleet benchmark: a fleet of plain Paho C++ async clients (MQTT
// 3.1.1, clean session, no persistence: the simulator's own options) in a child process,
// which is this program re-executed with the hidden option --paho-fleet N PORT.
//
// The child creates N clients and says "ready" (its start-up, spawn -> ready, is the
// baseline for the fleet's), then connects all N to the same mosquitto at once (time from
// before the first connect() to the last CONNACK callback). Its RSS is read by the parent
// the same way as the simulator's.

#include <cstddef>
#include <cstdint>
#include <string>

namespace nt35e::bench::fleet {

/// The hidden option that makes this program the Paho child.
inline constexpr const char* paho_fleet_option = "--paho-fleet";

/// The child's main (`<this program> --paho-fleet N PORT`): N clients; "ready"; on a line
/// from stdin connects all at once and prints "connected OK FAILED ALL_MS P50_MS"; on the
/// next line (or end of input) disconnects, prints "done" and exits.
int paho_fleet_child(std::size_t n, int port);

/// What one Paho child measured.
struct paho_figures {
  std::size_t n = 0;
  std::string not_measured;
  double startup_ms = 0;
  std::uint64_t rss_idle = 0, rss_connected = 0;
  std::size_t connected = 0, failed = 0;
  double connect_all_ms = 0, connect_p50_ms = 0;
  std::uint64_t overflows = 0;  ///< listen queue overflows while connecting
};

/// Runs a child with `n` clients against the broker on 127.0.0.1:port and prints its
/// figures; a failure is reported in them, only an interruption throws.
paho_figures measure_paho(std::size_t n, int port);

}  // namespace nt35e::bench::fleet
