#pragma once
// Figures of one benchmark run: printed as a plain-text table and merged into
// bench/results/results.json, from which bench/results/results.md is regenerated.

#include <optional>
#include <string>
#include <vector>

#include "common/bench_common.hpp"

namespace nt35e::bench {

/// What a row's target compares.
enum class goal {
  none,            ///< information only
  ratio_at_most,   ///< simulator / baseline <= target (latencies)
  ratio_at_least,  ///< simulator / baseline >= target (rates)
  value_at_most,   ///< simulator value <= target (loss, memory)
  value_at_least,  ///< simulator value >= target (counts that must be reached)
};

struct row {
  std::string benchmark;  ///< e.g. "AT round trip, PTY, AT+CSQ"
  std::string mode;       ///< "zero delays", "spec timings" or "" (not the simulator's timing)
  std::string metric;     ///< e.g. "p50"
  std::string unit;       ///< e.g. "µs", "msg/s"
  double simulator = 0;
  std::optional<double> baseline;
  goal target_kind = goal::none;
  double target = 0;
  std::string note;
  /// When set, this is the ratio rather than simulator / baseline: the median of the
  /// ratios of bursts measured side by side (each simulator burst against the baseline
  /// burst next to it in time), which cancels the machine's drift between rounds.
  std::optional<double> paired_ratio = std::nullopt;

  [[nodiscard]] std::optional<double> ratio() const;
  [[nodiscard]] std::string target_text() const;  ///< "≤ 1.5×", "≥ 0.80×", "= 0", "≥ 1000", ""
  [[nodiscard]] std::string status() const;       ///< "pass", "MISS" or ""
};

/// Prints the rows as an aligned table on stdout.
void print_table(const std::string& title, const std::vector<row>& rows);

/// Replaces the entry `key` in <results_dir>/results.json (creating it if needed) and
/// regenerates <results_dir>/results.md from every entry. Does nothing when
/// !opts.write_results.
/// `machine` is the description taken when the benchmark started (its load average
/// says whether the machine was busy).
void record_results(const options& opts, const std::string& key, const std::string& title, const machine_info& machine,
                    const std::vector<row>& rows, const std::vector<std::string>& notes);

}  // namespace nt35e::bench
