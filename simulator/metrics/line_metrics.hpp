#pragma once
// Metrics of one modem and of a fleet: the core's counters (modem::counters, from the
// session's snapshot) plus two latency histograms measured on the line itself:
//
//   AT command  from the CR that ends a command line arriving from the DTE to its final
//               result (OK, ERROR, +CME ERROR: n, the "> " prompt of a data-mode command,
//               or the numeric 0/4 of ATV0) being handed to the writer;
//   connect     from the CR of AT+ECMTCONN=<id> to the +ECMTCONN:<id>,<r>,<c> URC.
//
// Both include the module's own simulated delays (profile timing), which is what a DTE
// sees. The session is watched through io::session_observer: the observer sees input,
// output and the number of command lines started, and matches them up (see
// line_metrics). A command line whose answer the observer does not recognise (ATQ1, a
// scenario's replace_response) is counted as "unmatched" rather than timed.
//
// The histograms are metrics/histogram; metrics/summary writes all of it as text.
//
// Thread safety: none. A line_metrics belongs to one session and is touched only on
// that session's executor; copies (modem_metrics) are plain values.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "at/vocabulary.hpp"
#include "io/session.hpp"
#include "metrics/histogram.hpp"
#include "modem/clock.hpp"
#include "modem/fifo.hpp"
#include "modem/snapshot.hpp"

namespace nt35e::metrics {

/// What a modem is doing, one state each, the first that holds in this order: booting
/// (powered on, before ECRDY), off (AT+CFUN other than 1), unregistered (searching,
/// denied, no SIM), connected (an ECMT context CONNECTED), registered.
enum class modem_state {
  booting,
  off,
  unregistered,
  registered,
  connected
};
inline constexpr std::size_t modem_state_count = 5;
/// "booting", "off", "unregistered", "registered", "connected".
std::string_view to_string(modem_state s);
/// The state `s` shows.
modem_state state_of(const modem::snapshot& s);

/// Everything measured for one modem, or summed over a fleet.
struct modem_metrics {
  modem::counters counters;
  latency_histogram at_command;
  latency_histogram connect;
  std::uint64_t unmatched = 0;  ///< command lines started whose final result was not recognised
  std::uint64_t modems = 1;     ///< how many modems were summed
  std::uint64_t attached = 0;   ///< modems with a DTE on the line
  std::uint64_t connected = 0;  ///< ECMT contexts in state CONNECTED
  double uptime_s = 0;          ///< the longest uptime summed
  std::array<std::uint64_t, modem_state_count> states{};  ///< modems per modem_state

  /// Adds `other` into this (counters, histograms, modems...).
  void merge(const modem_metrics& other);
};

/// Adds the counters of `b` to `a`.
void add(modem::counters& a, const modem::counters& b);

/// One modem's metrics without line measurements: its counters and state from `s`.
modem_metrics from_snapshot(const modem::snapshot& s, bool attached);

/// Watches one session's line and fills the histograms (see the top of this file).
class line_metrics final : public io::session_observer {
 public:
  void on_input(std::string_view bytes, modem::time_point now) override;
  void on_output(std::string_view bytes, modem::time_point now) override;
  void on_commands(std::uint64_t started, modem::time_point now) override;

  const latency_histogram& at_command() const { return at_command_; }
  const latency_histogram& connect() const { return connect_; }
  std::uint64_t unmatched() const { return unmatched_; }

  /// The metrics with `snapshot`'s counters and state folded in.
  modem_metrics collect(const modem::snapshot& snapshot, bool attached) const;

 private:
  void output_line(std::string_view line, modem::time_point now);

  latency_histogram at_command_;
  latency_histogram connect_;
  std::uint64_t unmatched_ = 0;

  // AT command latency
  modem::fifo<modem::time_point> crs_;        ///< arrival of CRs not yet matched to a command line
  modem::fifo<modem::time_point> in_flight_;  ///< start of command lines waiting for their final result
  std::uint64_t started_ = 0;                 ///< command lines started, as last reported
  std::vector<modem::time_point> finals_;     ///< final results handed over since the last on_commands

  // connect latency
  std::string in_line_;                                       ///< the DTE's current line (bounded), for AT+ECMTCONN=
  std::vector<std::optional<modem::time_point>> connecting_;  ///< per ECMT id: CR of AT+ECMTCONN=
  at::output_line_cutter output_lines_{256};  ///< the module's output as lines (longer ones are not timed)
};

}  // namespace nt35e::metrics
