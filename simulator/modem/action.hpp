#pragma once
// What the sans-I/O interpreter asks its session to do.

#include <string>
#include <variant>
#include <vector>

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

using action = std::variant<write_bytes, mqtt::any_request, log_record>;
using actions = std::vector<action>;

const char* to_string(log_level level);

}  // namespace nt35e::modem
