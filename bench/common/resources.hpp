#pragma once
// What a benchmark reads about processes and the machine (memory, the kernel's listen
// queue overflows, the open-file limit) and how it finds room for many listening ports.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

namespace nt35e::bench {

/// VmRSS of a process in KiB; 0 if unknown (the process is gone).
std::uint64_t rss_kib(pid_t pid);

/// The kernel's count of connections dropped because a listen queue was full
/// (TcpExt ListenOverflows in /proc/net/netstat; machine-wide). A dropped SYN is sent
/// again after 1 s, which shows as whole seconds in connect times.
std::uint64_t listen_overflows();

/// KiB as "12.3 MiB".
std::string mib(std::uint64_t kib);

/// Raises this process's open-file limit (children inherit it): to 131072 when allowed
/// (root), else the soft limit to the hard one; returns the soft limit now.
std::uint64_t raise_open_files();

/// Whether nothing listens on (or is bound to) 127.0.0.1:port.
bool port_free(int port);

/// A base port with `n` free ports from it, below the kernel's ephemeral range (so that
/// outgoing connections and DTE sockets never take one of them); throws if none is found.
int pick_port_base(std::size_t n, std::mt19937& rng);

}  // namespace nt35e::bench
