#pragma once
// What the sans-I/O interpreter asks its session to do.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "modem/clock.hpp"
#include "mqtt/backend.hpp"

namespace nt35e::modem {

/// Bytes for the DTE, in order; the session has exactly one writer for them.
struct write_bytes {
  std::string bytes;
};

enum class log_level {
  trace,
  debug,
  info,
  warn,
  error
};

/// A line for the simulator's log (never for the AT line).
/// `reason` is set for the explain records of spec §2.8 (e.g. "syntax.typographic_quote").
struct log_record {
  log_level level = log_level::info;
  std::string reason;
  std::string text;
};

/// A burst of line noise on the module's output (a scenario's line_noise), for the
/// session's writer: bytes that go on the wire from `from` until `until` are hit with
/// probability `percent`/100, each by one flipped bit or, with `drop`, by being lost.
/// The times come from the `now` the core was given; the core reads no clock.
struct line_noise {
  time_point from, until;
  bool drop = false;
  int percent = 10;
  std::uint64_t seed = 1;  ///< which bytes and bits are hit, reproducibly
};

using action = std::variant<write_bytes, mqtt::any_request, log_record, line_noise>;
using actions = std::vector<action>;

const char* to_string(log_level level);

}  // namespace nt35e::modem
