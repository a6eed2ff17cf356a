#pragma once
// Metrics of one modem and of a fleet: the core's counters (engine::counters, from the
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
// Histograms have log-scale buckets (4 per power of two, from 1 us to about 71 min), so
// percentiles are within about 10 %; count, min, max and the mean are exact.
//
// Thread safety: none. A line_metrics belongs to one session and is touched only on
// that session's executor; copies (modem_metrics) are plain values.

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/clock.hpp"
#include "engine/snapshot.hpp"
#include "io/session.hpp"

namespace nt35e::fleet {

class latency_histogram {
 public:
  static constexpr int buckets_per_octave = 4;
  static constexpr int octaves = 32;  ///< 1 us .. 2^32 us (about 71 minutes); longer goes in the last
  static constexpr int bucket_count = buckets_per_octave * octaves;

  latency_histogram() = default;
  latency_histogram(const latency_histogram& other);
  latency_histogram& operator=(const latency_histogram& other);
  latency_histogram(latency_histogram&&) noexcept = default;
  latency_histogram& operator=(latency_histogram&&) noexcept = default;

  void record(std::chrono::nanoseconds d);
  /// Adds every sample of `other` (fleet totals).
  void merge(const latency_histogram& other);

  std::uint64_t count() const { return count_; }
  /// In microseconds; 0 when empty.
  double min_us() const { return count_ ? static_cast<double>(min_ns_) / 1000.0 : 0.0; }
  double max_us() const { return count_ ? static_cast<double>(max_ns_) / 1000.0 : 0.0; }
  double mean_us() const { return count_ ? static_cast<double>(sum_ns_) / 1000.0 / static_cast<double>(count_) : 0.0; }
  /// The q-quantile (0 < q <= 1) in microseconds: the upper bound of the bucket holding
  /// it, kept within [min, max]; 0 when empty.
  double quantile_us(double q) const;

  /// The bucket a duration of `us` microseconds falls in (exposed for tests).
  static int bucket_of(double us);
  /// The upper bound of bucket `b` in microseconds.
  static double upper_bound_us(int b);

 private:
  /// Allocated at the first sample: a modem that is never used costs a pointer.
  std::unique_ptr<std::array<std::uint64_t, bucket_count>> buckets_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ns_ = 0;
  std::uint64_t min_ns_ = 0;
  std::uint64_t max_ns_ = 0;
};

/// Everything measured for one modem, or summed over a fleet.
struct modem_metrics {
  engine::counters counters;
  latency_histogram at_command;
  latency_histogram connect;
  std::uint64_t unmatched = 0;  ///< command lines started whose final result was not recognised
  std::uint64_t modems = 1;     ///< how many modems were summed
  std::uint64_t attached = 0;   ///< modems with a DTE on the line
  std::uint64_t connected = 0;  ///< ECMT contexts in state CONNECTED
  double uptime_s = 0;          ///< the longest uptime summed

  /// Adds `other` into this (counters, histograms, modems...).
  void merge(const modem_metrics& other);
};

/// Adds the counters of `b` to `a`.
void add(engine::counters& a, const engine::counters& b);

/// Watches one session's line and fills the histograms (see the top of this file).
class line_metrics final : public io::session_observer {
 public:
  void on_input(std::string_view bytes, engine::time_point now) override;
  void on_output(std::string_view bytes, engine::time_point now) override;
  void on_commands(std::uint64_t started, engine::time_point now) override;

  const latency_histogram& at_command() const { return at_command_; }
  const latency_histogram& connect() const { return connect_; }
  std::uint64_t unmatched() const { return unmatched_; }

  /// The metrics with `snapshot`'s counters and state folded in.
  modem_metrics collect(const engine::snapshot& snapshot, bool attached) const;

 private:
  void output_segment(engine::time_point now);

  latency_histogram at_command_;
  latency_histogram connect_;
  std::uint64_t unmatched_ = 0;

  // AT command latency
  std::deque<engine::time_point> crs_;        ///< arrival of CRs not yet matched to a command line
  std::deque<engine::time_point> in_flight_;  ///< start of command lines waiting for their final result
  std::uint64_t started_ = 0;                 ///< command lines started, as last reported
  std::vector<engine::time_point> finals_;    ///< final results handed over since the last on_commands

  // connect latency
  std::string in_line_;                                        ///< the DTE's current line (bounded), for AT+ECMTCONN=
  std::vector<std::optional<engine::time_point>> connecting_;  ///< per ECMT id: CR of AT+ECMTCONN=
  std::string out_line_;                                       ///< the module's current output line (bounded)
};

/// Milliseconds with a sensible number of digits ("0.42", "12.3", "1500").
std::string format_ms(double us);

/// The exit summary: a table for a fleet, a few lines for one modem. Ends with "\n".
std::string format_summary(const modem_metrics& total, bool fleet);

}  // namespace nt35e::fleet
