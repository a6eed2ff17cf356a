#pragma once
// The metrics as text for people: the exit summary nt35e-sim prints on stderr.

#include <string>

#include "metrics/line_metrics.hpp"

namespace nt35e::metrics {

/// Milliseconds with a sensible number of digits ("0.42", "12.3", "1500").
std::string format_ms(double us);

/// The exit summary: a table for a fleet, a few lines for one modem. Ends with "\n".
std::string format_summary(const modem_metrics& total, bool fleet);

}  // namespace nt35e::metrics
