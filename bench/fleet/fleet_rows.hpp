#pragma once
// The fleet benchmark's reporting: the figures of one fleet, of its 1-modem reference and
// of the Paho baselines turned into result rows and notes.
//
// RSS per modem = (RSS of the N-modem fleet - RSS of a 1-modem fleet taken the same way,
// same backend, same run) / (N - 1): what one more modem costs, without the process's
// fixed part (code, libraries, thread stacks). The Paho fleet's per-client figure uses the
// same formula with a 1-client child. For the AT round trip the idle fleet is the
// baseline of the loaded one (ratio = loaded / idle).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/results.hpp"
#include "fleet/paho_fleet.hpp"
#include "fleet/sim_fleet.hpp"

namespace nt35e::bench::fleet {

/// The "mode" column of every fleet row: the fleet's default log level is warn.
inline constexpr const char* mode_label = "zero delays, no transcript";

/// The notes that say how the figures were taken (method, formulas, baselines), with
/// the counts and durations of `s`.
std::vector<std::string> method_notes(const fleet_settings& s);

/// (RSS of N - RSS of 1) / (N - 1), in KiB.
double per_unit(std::uint64_t rss_n, std::uint64_t rss_1, std::size_t n);

/// Appends the rows of fleet `f` (with `f1`, the 1-modem fleet on the same backend, and
/// `p` / `p1`, the Paho fleets of the same N and of 1) to `rows`, and what could not be
/// measured, or went wrong, to `notes`. `paced_rate` is the paced load's publishes per
/// second per modem.
void add_rows(std::vector<row>& rows, std::vector<std::string>& notes, const fleet_figures& f, const fleet_figures& f1,
              const paho_figures& p, const paho_figures& p1, double paced_rate);

}  // namespace nt35e::bench::fleet
