#pragma once
// Process resources for fleet mode: the open-file limit and what N modems need of it,
// and the resident memory (for the start-up report).

#include <cstddef>
#include <cstdint>
#include <string>

namespace nt35e::fleet {

struct file_limit {
  std::uint64_t before = 0;  ///< soft limit at start
  std::uint64_t soft = 0;    ///< soft limit now
  std::uint64_t hard = 0;
  bool raised = false;  ///< the soft limit was raised to the hard one
};

/// Raises RLIMIT_NOFILE's soft limit to the hard limit (as far as the system allows).
file_limit raise_file_limit();

enum class line_kind {
  pty,
  tcp
};

/// About how many open files `modems` modems need: the line (PTY: the master, and a
/// slave opened briefly while looking for a DTE; TCP: the listener and the DTE's
/// socket, or only one of them when `tcp_port_closed_while_connected`), with `live` one
/// MQTT connection per modem through Paho (Paho's socket and the relay's two, plus a
/// listener while connecting), and a fixed part for the process (standard streams,
/// epoll, Paho's threads, the control channel).
std::uint64_t files_needed(std::size_t modems, line_kind line, bool live, bool tcp_port_closed_while_connected = false);

/// The fewest open files with which the fleet can start at all (every line opened).
std::uint64_t files_to_start(std::size_t modems, line_kind line);

/// Resident memory of this process in KiB (VmRSS of /proc/self/status); 0 if unknown.
std::uint64_t resident_kib();

}  // namespace nt35e::fleet
