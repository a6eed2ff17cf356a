#include "common/resources.hpp"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/bench_common.hpp"

namespace nt35e::bench {

std::uint64_t rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}

std::uint64_t listen_overflows() {
  std::ifstream in("/proc/net/netstat");
  std::string names, values;
  while (std::getline(in, names)) {
    if (names.rfind("TcpExt:", 0) != 0) continue;
    // The counters' names are on one line and their values on the next.
    if (!std::getline(in, values)) break;
    std::istringstream n(names), v(values);
    std::string name, value;
    while (n >> name && v >> value)
      if (name == "ListenOverflows") return std::stoull(value);
    break;
  }
  return 0;
}

std::string mib(std::uint64_t kib) { return fixed(static_cast<double>(kib) / 1024.0, 1) + " MiB"; }

std::uint64_t raise_open_files() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return 0;
  // A live modem holds five descriptors: 5000 of them need more than the 20,000 a
  // container often gives. A privileged run may raise the hard limit itself.
  constexpr rlim_t wanted = 1 << 17;
  if (r.rlim_max != RLIM_INFINITY && r.rlim_max < wanted) {
    const rlimit more{wanted, wanted};
    if (::setrlimit(RLIMIT_NOFILE, &more) == 0) return wanted;
  }
  if (r.rlim_cur < r.rlim_max) {
    rlimit want = r;
    if (want.rlim_max == RLIM_INFINITY) want.rlim_max = want.rlim_cur = 1 << 20;
    want.rlim_cur = want.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &want);
    ::getrlimit(RLIMIT_NOFILE, &r);
  }
  return r.rlim_cur;
}

bool port_free(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  // As the simulator's listeners do: a port whose last connections linger in TIME_WAIT
  // (the previous fleet's) is free for them.
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = loopback_address(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

int pick_port_base(std::size_t n, std::mt19937& rng) {
  int high = 32768;
  {
    std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
    int lo = 0, hi = 0;
    if (in >> lo >> hi && lo > 2000) high = lo;
  }
  // Large fleets need the room below 10000 too (10,000 modems: 10,000 consecutive ports).
  const int low = n > 5000 ? 1024 : std::min(10000, high / 2);
  const int span = static_cast<int>(n);
  if (high - low <= span)
    throw std::runtime_error("no room for " + std::to_string(n) + " ports below " + std::to_string(high));
  std::uniform_int_distribution<int> pick(low, high - span - 1);
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int base = pick(rng);
    bool all = true;
    for (int p = base; p < base + span && all; ++p) all = port_free(p);
    if (all) return base;
  }
  throw std::runtime_error("no " + std::to_string(n) + " consecutive free ports found in " + std::to_string(low) +
                           ".." + std::to_string(high));
}

}  // namespace nt35e::bench
