#include "fleet/resources.hpp"

#include <cstdio>
#include <cstring>

#include <sys/resource.h>

namespace nt35e::fleet {

namespace {

/// Standard streams, epoll and its eventfd/timerfd, the control channel and a few of
/// its clients, Paho's helper client, signal handling, log files of a wrapper...
constexpr std::uint64_t fixed_files = 64;
/// paho::detail::listen_gate::process_slots (the fleet layer does not see the paho one).
constexpr std::uint64_t relay_listeners = 32;

}  // namespace

file_limit raise_file_limit() {
  file_limit out;
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return out;
  out.before = out.soft = r.rlim_cur;
  out.hard = r.rlim_max;
  if (r.rlim_cur < r.rlim_max) {
    rlimit wanted = r;
    wanted.rlim_cur = r.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &wanted) == 0) {
      out.soft = wanted.rlim_cur;
      out.raised = true;
    }
  }
  return out;
}

std::uint64_t files_needed(std::size_t modems, line_kind line, bool live, bool tcp_port_closed_while_connected) {
  const std::uint64_t n = modems;
  // PTY: master + a slave opened briefly + the link's lock file; TCP: listener + DTE
  // (one or the other when the port closes while its DTE is connected)
  std::uint64_t per_modem = line == line_kind::pty ? 3 : tcp_port_closed_while_connected ? 1 : 2;
  // Paho's socket + the relay's two; plus the relays' listeners while modems connect, of
  // which the process keeps at most paho/listen_gate.hpp's 32 open at once
  if (live) per_modem += 3;
  return fixed_files + (live ? relay_listeners : 0) + n * per_modem;
}

std::uint64_t files_to_start(std::size_t modems, line_kind line) {
  // One line each (a PTY also holds its link's lock file), and the process itself.
  return 16 + static_cast<std::uint64_t>(modems) * (line == line_kind::pty ? 2 : 1);
}

std::uint64_t resident_kib() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  std::uint64_t kib = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) {
      unsigned long long v = 0;
      if (std::sscanf(line + 6, "%llu", &v) == 1) kib = v;
      break;
    }
  }
  std::fclose(f);
  return kib;
}

}  // namespace nt35e::fleet
