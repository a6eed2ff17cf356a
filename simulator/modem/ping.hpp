#pragma once
// AT+ECPING's echo requests (spec §4.3, §6.1, §8), simulated: no ICMP leaves the host
// (a real echo needs privileges), live mode included. Each target host has a scripted
// round-trip time, loss and address; names resolve through the same host model as the
// ECMT commands (the scenario's unresolvable hosts and *.invalid, its map_host and
// --map-host). Plain data and timers on the modem; no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/host_map.hpp"

namespace nt35e::modem {

class modem;

/// What the simulated network does with echo requests to one host.
struct ping_host {
  std::string host;                    ///< as given to AT+ECPING (any case)
  std::optional<std::string> address;  ///< what it resolves to; derived from the name when absent
  std::optional<int> rtt_ms;           ///< round-trip time; the model's default when absent
  double loss = 0;                     ///< share of requests without a reply, 0..1, spread evenly
  std::vector<int> send_fail;          ///< request numbers (1 = first) that cannot be sent
};

/// The world AT+ECPING sees; the interpreter fills it from the scenario.
struct ping_model {
  std::optional<int> rtt_ms;  ///< default round-trip time; the profile's timing.ping_rtt when absent
  int jitter_ms = 0;          ///< each round trip varies by up to ± this (seeded, §8)
  std::uint64_t seed = 1;     ///< for the jitter
  std::vector<ping_host> hosts;
  std::vector<std::string> unresolvable;  ///< DNS fails for these (and every name under .invalid)
  std::vector<std::string> unreachable;   ///< no reply from these ("HOST" or "HOST:PORT" entries)
  mqtt::host_map map_host;                ///< a mapped host's echo goes to its target address
  bool live = false;                      ///< the MQTT side is a real broker (the note says ping is not)
};

/// A ping target after resolution.
struct ping_target {
  bool resolves = true;
  std::string address;  ///< dotted quad (or the IPv6 literal given)
  int rtt_ms = 60;
  double loss = 0;
  std::vector<int> send_fail;
};

/// Resolves `host` in `model`; `default_rtt` applies when neither the host nor the model sets one.
ping_target resolve_ping_target(const ping_model& model, std::string_view host, int default_rtt);

/// A running AT+ECPING (§4.3).
struct ping_run {
  bool active = false;
  ping_target target;
  int count = 4;
  int timeout_ms = 20000;
  int next = 1;     ///< the number of the next request
  int sent = 0;     ///< requests transmitted (a SEND FAIL is not)
  int replies = 0;  ///< replies received
  int min_rtt = 0, max_rtt = 0, sum_rtt = 0;
  std::uint64_t timer = 0;  ///< the pending step, cancelled by a stop
  std::uint64_t rng = 0;    ///< jitter state, carried from one ping to the next
  bool noted = false;       ///< the "simulated" note was logged (once per power-on)
};

/// Starts a ping of `host` (its parameters already checked); the URCs follow on the
/// modem's timers. The caller makes sure none runs and the PDP context is active.
void start_ping(modem& m, const std::string& host, int count, int timeout_ms);
/// Stops the running ping without further URCs; false when none runs.
bool stop_ping(modem& m);

}  // namespace nt35e::modem
