#pragma once
// A read-only picture of the module for the control channel, tests and the exit summary.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace nt35e::modem {

struct ecmt_snapshot {
  int id = 0;
  std::string state;  ///< "CONNECTED", ...
  std::string host;
  int port = 0;
  std::vector<std::pair<std::string, int>> subscriptions;  ///< topic filter, qos (acknowledged SUBSCRIBEs)
};

struct counters {
  std::uint64_t commands = 0;       ///< command lines executed
  std::uint64_t errors = 0;         ///< final results other than OK
  std::uint64_t urcs = 0;           ///< URCs written
  std::uint64_t bytes_in = 0;       ///< bytes from the DTE
  std::uint64_t bytes_out = 0;      ///< bytes to the DTE
  std::uint64_t mqtt_requests = 0;  ///< requests to the backend
  std::uint64_t mqtt_events = 0;    ///< events from the backend
  std::uint64_t publishes = 0;      ///< PUBLISH requests (module to broker)
  /// Publishes the backend refused because its queue of unsent ones was full (each
  /// answered +ECMTPUB:<id>,<msg>,2; paho/paho_backend.cpp, max_unfinished_publishes).
  std::uint64_t publishes_refused = 0;
  std::uint64_t messages = 0;       ///< +ECMTRECV written
  std::uint64_t reconnects = 0;     ///< successful automatic reconnections
  std::uint64_t faults = 0;         ///< scenario or control actions carried out
  // Input the module refused (spec §2.1 rules 4 and 5): each is one ERROR.
  std::uint64_t lines_too_long = 0;   ///< lines past 3072 bytes (line.too_long)
  std::uint64_t input_overflows = 0;  ///< pending input past 4096 bytes (input.overflow)
  /// Output lost because the DTE did not read (the session's bounded queue). Not the
  /// core's: io::session fills it into the snapshots it hands out.
  std::uint64_t output_dropped_bytes = 0;
  /// Commands run, per slot of commands::command_slot (a row of the command table, a bare
  /// "AT", any other name); empty until the first. A line of several commands counts each.
  std::vector<std::uint64_t> by_command;
};

struct snapshot {
  std::string profile;
  double uptime_s = 0;
  bool booting = false;
  int cfun = 1;
  int registration = 0;  ///< +CEREG stat
  bool sim = true;
  bool pdp_active = false;
  int rssi = 99;
  std::vector<ecmt_snapshot> ecmt;  ///< ids that have a context
  counters count;
};

}  // namespace nt35e::modem
