// bench_fleet: the fleet benchmark of issue 6. N modems in one `nt35e-sim --fleet N`
// process (N = 100, 500, 1000; --quick: 50, 100), on the scripted broker and on a local
// mosquitto (--live), against a plain Paho C++ client fleet of the same N, in the same run.
//
// Per fleet (one DTE TCP connection per modem, all driven from one thread with epoll):
//
//   start-up         spawn of `nt35e-sim --fleet N --tcp 127.0.0.1:BASE` -> its "ready:" line
//   RSS idle         VmRSS (/proc/PID/status) once every modem has answered ATE0 and
//                    AT+CGATT? with +CGATT:1 (booted, registered, DTE attached, no MQTT)
//   connect          AT+ECMTOPEN=0,"test.mosquitto.org",1883 on every modem (all at once,
//                    each until +ECMTOPEN:0,0), then AT+ECMTCONN=0,"<client id>" written to
//                    every modem at once: time from before the first write to the last
//                    +ECMTCONN:0,0,0 read; "connected" = modems that got it
//   RSS connected    VmRSS right after that
//   RSS per modem    (RSS of the N-modem fleet - RSS of a 1-modem fleet taken the same way,
//                    same backend, same run) / (N - 1): what one more modem costs, without
//                    the process's fixed part (code, libraries, thread stacks)
//   AT round trip    modem 0: `AT` -> `OK` (its own thread, blocking poll), p50 / p99, in
//                    slices that alternate: fleet idle, then the other N-1 modems publishing
//                    AT+ECMTPUB=0,0,0,0,"bench/fleet/<i>","<32 bytes>" (QoS 0). Two loads:
//                    paced (each modem 5 publishes a second, spread evenly over the fleet: a
//                    busy fleet), then flat out (each modem sends the next as soon as OK
//                    comes back: saturation, the worst case for one modem's latency);
//                    samples taken across a change of phase and during the ramp / drain
//                    are dropped
//   publish rate     OKs to those publishes per second of loaded time (information)
//
// Baselines, same run: a child process (this program re-executed with the hidden option
// --paho-fleet N PORT) that creates N Paho C++ async clients (MQTT 3.1.1, clean session,
// no persistence: the simulator's own options), says "ready" (its start-up, spawn ->
// ready, is the baseline for the fleet's), then connects all N to the same mosquitto at
// once (time from before the first connect() to the last CONNACK callback). Its RSS is
// read by this process the same way, and its per-client figure uses the same formula with
// a 1-client child. The scripted-broker rows are compared with the same Paho fleet: a
// real MQTT connection is the baseline the issue's targets are about (< 1 MiB per modem
// with a live connection, < 100 KiB on the scripted broker). For the AT round trip the
// idle fleet is the baseline of the loaded one (ratio = loaded / idle).
//
// Settings: zero delays (timing_args(timing_mode::zero)), the fleet's default log level
// (warn: no transcript), the default thread pool (one per core, at least 2). mosquitto is
// the tests' fixture with its per-message log (log_type all) cut down to error, warning,
// notice and information (one line per PUBLISH would cost the broker more than the
// simulator); no max_connections line (mosquitto's default is unlimited); the open-file
// limits of this process (and so of the broker it starts) are raised to the hard limit.
// Everything is on 127.0.0.1, every wait has a deadline, and SIGINT/SIGTERM stop the
// fleets, the Paho children and the broker (destructors).

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <mqtt/async_client.h>

#include "common/bench_common.hpp"
#include "common/results.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/sim_process.hpp"

extern char** environ;

namespace nt35e::bench {
namespace {

constexpr std::size_t payload_size = 32;
constexpr const char* mode_label = "zero delays, no transcript";  // the fleet's default log level is warn

std::runtime_error sys_error(const std::string& what) { return std::runtime_error(what + ": " + std::strerror(errno)); }

void check_interrupt() {
  if (interrupted()) throw std::runtime_error("interrupted by a signal");
}

double millis(clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

clock::duration seconds_of(double s) {
  return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(s));
}

std::string tail(const std::string& s, std::size_t n = 3000) {
  return s.size() > n ? "..." + s.substr(s.size() - n) : s;
}

// ---------------------------------------------------------------------------------
// Process resources

/// VmRSS of a process in KiB; 0 if unknown (the process is gone).
std::uint64_t rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}

/// The kernel's count of connections dropped because a listen queue was full
/// (TcpExt ListenOverflows in /proc/net/netstat; machine-wide). A dropped SYN is sent
/// again after 1 s, which shows as whole seconds in the connect times.
std::uint64_t listen_overflows() {
  std::ifstream in("/proc/net/netstat");
  std::string names, values;
  while (std::getline(in, names)) {
    if (names.rfind("TcpExt:", 0) != 0) continue;
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

/// Raises this process's open-file soft limit to the hard one (children inherit it);
/// returns the soft limit now.
std::uint64_t raise_open_files() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return 0;
  if (r.rlim_cur < r.rlim_max) {
    rlimit want = r;
    if (want.rlim_max == RLIM_INFINITY) want.rlim_max = want.rlim_cur = 1 << 20;
    want.rlim_cur = want.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &want);
    ::getrlimit(RLIMIT_NOFILE, &r);
  }
  return r.rlim_cur;
}

/// Whether nothing listens on (or is bound to) 127.0.0.1:port.
bool port_free(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a = loopback_address(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

/// A base port with `n` free ports from it, below the kernel's ephemeral range (so that
/// the fleet's outgoing connections and the DTE sockets never take one of them).
int pick_port_base(std::size_t n, std::mt19937& rng) {
  int high = 32768;
  {
    std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
    int lo = 0, hi = 0;
    if (in >> lo >> hi && lo > 2000) high = lo;
  }
  const int low = std::min(10000, high / 2);
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

// ---------------------------------------------------------------------------------
// The DTE side of a fleet: one TCP connection per modem, one thread, epoll.

class dte_fleet {
 public:
  using line_handler = std::function<void(std::size_t, std::string_view)>;

  /// Connects to 127.0.0.1:base+i for i in [0, n).
  dte_fleet(int base, std::size_t n) : m_(n) {
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) throw sys_error("epoll_create1");
    for (std::size_t i = 0; i < n; ++i) {
      check_interrupt();
      m_[i].fd = connect_tcp(base + static_cast<int>(i));
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = i;
      if (::epoll_ctl(ep_, EPOLL_CTL_ADD, m_[i].fd, &ev) != 0) throw sys_error("epoll_ctl");
    }
  }
  ~dte_fleet() {
    for (auto& m : m_)
      if (m.fd >= 0) ::close(m.fd);
    if (ep_ >= 0) ::close(ep_);
  }
  dte_fleet(const dte_fleet&) = delete;
  dte_fleet& operator=(const dte_fleet&) = delete;

  [[nodiscard]] std::size_t size() const { return m_.size(); }

  /// Writes `bytes` to modem i; what the socket does not take now goes out later.
  void send(std::size_t i, std::string_view bytes) {
    auto& m = m_[i];
    if (m.dead) return;
    if (m.out.empty()) {
      ssize_t w = ::send(m.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (w < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          m.dead = true;
          return;
        }
        w = 0;
      }
      bytes.remove_prefix(static_cast<std::size_t>(w));
      if (bytes.empty()) return;
      pending_.push_back(i);
    }
    m.out.append(bytes);
  }

  /// One turn: writes pending output, waits up to `timeout` for input, and hands every
  /// complete non-empty line (without its end) to `f`.
  void poll_once(milliseconds timeout, const line_handler& f) {
    flush();
    if (!pending_.empty()) timeout = std::min(timeout, milliseconds(1));
    epoll_event ev[256];
    const int k = ::epoll_wait(ep_, ev, 256, static_cast<int>(std::max<milliseconds::rep>(0, timeout.count())));
    if (k < 0) {
      if (errno == EINTR) return check_interrupt();
      throw sys_error("epoll_wait");
    }
    for (int e = 0; e < k; ++e) read_lines(static_cast<std::size_t>(ev[e].data.u64), f);
  }

  /// Runs poll_once until `until`, reading (and ignoring, unless `f` is given) every line.
  void run_until(clock::time_point until, const line_handler& f = {}) {
    static const line_handler ignore = [](std::size_t, std::string_view) {};
    for (auto now = clock::now(); now < until; now = clock::now()) {
      check_interrupt();
      auto left = std::chrono::duration_cast<milliseconds>(until - now) + milliseconds(1);
      poll_once(std::min(left, milliseconds(20)), f ? f : ignore);
    }
  }

  /// Hands modem i's line to someone else: stops reading it here and returns a dup of it.
  int detach(std::size_t i) {
    ::epoll_ctl(ep_, EPOLL_CTL_DEL, m_[i].fd, nullptr);
    m_[i].in.clear();
    int fd = ::dup(m_[i].fd);
    if (fd < 0) throw sys_error("dup");
    return fd;
  }

 private:
  struct line {
    int fd = -1;
    bool dead = false;
    std::string in, out;
  };

  void flush() {
    std::size_t keep = 0;
    for (std::size_t i : pending_) {
      auto& m = m_[i];
      ssize_t w = m.dead ? -1 : ::send(m.fd, m.out.data(), m.out.size(), MSG_NOSIGNAL);
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) w = 0;
      if (w < 0) {
        m.dead = true;
        m.out.clear();
        continue;
      }
      m.out.erase(0, static_cast<std::size_t>(w));
      if (!m.out.empty()) pending_[keep++] = i;
    }
    pending_.resize(keep);
  }

  void read_lines(std::size_t i, const line_handler& f) {
    auto& m = m_[i];
    char buf[16384];
    ssize_t got = ::read(m.fd, buf, sizeof buf);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (got <= 0) {
      m.dead = true;
      ::epoll_ctl(ep_, EPOLL_CTL_DEL, m.fd, nullptr);
      return;
    }
    m.in.append(buf, static_cast<std::size_t>(got));
    std::size_t head = 0;
    for (auto nl = m.in.find('\n'); nl != std::string::npos; nl = m.in.find('\n', head)) {
      std::size_t end = nl;
      if (end > head && m.in[end - 1] == '\r') --end;
      std::string_view l(m.in.data() + head, end - head);
      head = nl + 1;
      while (!l.empty() && l.front() == '\r') l.remove_prefix(1);
      if (!l.empty()) f(i, l);
    }
    m.in.erase(0, head);
  }

  std::vector<line> m_;
  std::vector<std::size_t> pending_;  ///< modems with output the socket has not taken yet
  int ep_ = -1;
};

/// The outcome of one command sent to many modems at once.
struct step_result {
  std::vector<char> done;              ///< per modem: OK (and the URC, if one was awaited) came
  std::vector<std::size_t> completed;  ///< those modems, in index order
  std::vector<double> ms;              ///< per completed modem: ms from before the first write
  double all_ms = 0;                   ///< when the last one completed
  std::size_t failed = 0;              ///< ERROR or a URC with another result
  std::string first_failure;           ///< "modem i: <line>"
};

/// Sends `cmd(i)` + CR to every modem in `who` (one after the other, then all waited for
/// together), and waits until each has answered OK and, if `urc` is not empty, sent that
/// URC line. A line that starts like `urc` (up to its first comma) but differs, or an
/// ERROR, is a failure. Lines from other modems, and other lines, go to `other`.
step_result exchange(dte_fleet& f, const std::vector<std::size_t>& who,
                     const std::function<std::string(std::size_t)>& cmd, std::string_view urc,
                     clock::time_point deadline, const dte_fleet::line_handler& other = {}) {
  enum : std::uint8_t {
    asked = 1,
    got_ok = 2,
    got_urc = 4,
    finished = 8
  };
  const std::string_view prefix = urc.substr(0, urc.find(',') + 1);
  step_result r;
  r.done.assign(f.size(), 0);
  std::vector<std::uint8_t> st(f.size(), 0);
  std::vector<double> when(f.size(), 0);
  std::size_t left = 0;
  const auto t0 = clock::now();
  for (std::size_t i : who) {
    f.send(i, cmd(i) + "\r");
    st[i] = asked;
    ++left;
  }
  auto handle = [&](std::size_t i, std::string_view l) {
    auto& s = st[i];
    if (!(s & asked) || (s & finished)) {
      if (other) other(i, l);
      return;
    }
    const bool error = l.find("ERROR") != std::string_view::npos;
    const bool urc_like = !urc.empty() && l.substr(0, prefix.size()) == prefix;
    if (l == "OK") {
      s |= got_ok;
    } else if (error || (urc_like && l != urc)) {
      s |= finished;
      --left;
      if (r.failed++ == 0) r.first_failure = "modem " + std::to_string(i) + ": " + std::string(l);
      return;
    } else if (urc_like) {
      s |= got_urc;
    } else {
      if (other) other(i, l);
      return;
    }
    if ((s & got_ok) && (urc.empty() || (s & got_urc))) {
      s |= finished;
      --left;
      r.done[i] = 1;
      when[i] = millis(clock::now() - t0);
    }
  };
  while (left > 0 && clock::now() < deadline) {
    check_interrupt();
    auto wait = std::chrono::duration_cast<milliseconds>(deadline - clock::now()) + milliseconds(1);
    f.poll_once(std::min(wait, milliseconds(50)), handle);
  }
  for (std::size_t i : who)
    if (r.done[i]) {
      r.completed.push_back(i);
      r.ms.push_back(when[i]);
      r.all_ms = std::max(r.all_ms, when[i]);
    }
  std::sort(r.completed.begin(), r.completed.end());
  return r;
}

/// Echo off (ATE0, repeated every 300 ms until OK: the module drops output until it has
/// booted and seen its DTE), then registration (AT+CGATT? until +CGATT:1). Returns the
/// modems that got there; `why` gets the first problem.
std::vector<std::size_t> prepare_all(dte_fleet& f, clock::time_point deadline, std::string& why) {
  std::vector<std::size_t> todo(f.size()), echo_off;
  for (std::size_t i = 0; i < todo.size(); ++i) todo[i] = i;
  while (!todo.empty() && clock::now() < deadline) {
    auto r = exchange(
        f, todo, [](std::size_t) { return std::string("ATE0"); }, {}, std::min(deadline, clock::now() + 300ms));
    std::vector<std::size_t> again;
    for (std::size_t i : todo) (r.done[i] ? echo_off : again).push_back(i);
    todo = std::move(again);
  }
  if (!todo.empty()) why = std::to_string(todo.size()) + " modems never answered ATE0 with OK";
  f.run_until(clock::now() + 50ms);  // a late second OK from a repeated ATE0
  std::sort(echo_off.begin(), echo_off.end());

  std::vector<std::size_t> ready;
  todo = std::move(echo_off);
  while (!todo.empty() && clock::now() < deadline) {
    std::vector<char> attached(f.size(), 0);
    exchange(
        f, todo, [](std::size_t) { return std::string("AT+CGATT?"); }, {}, deadline,
        [&](std::size_t i, std::string_view l) { attached[i] |= (l == "+CGATT:1" || l == "+CGATT: 1"); });
    std::vector<std::size_t> again;
    for (std::size_t i : todo) (attached[i] ? ready : again).push_back(i);
    todo = std::move(again);
    if (!todo.empty()) f.run_until(std::min(deadline, clock::now() + 50ms));
  }
  if (!todo.empty() && why.empty()) why = std::to_string(todo.size()) + " modems not registered (+CGATT:1) in time";
  std::sort(ready.begin(), ready.end());
  return ready;
}

// ---------------------------------------------------------------------------------
// The AT round trip of modem 0, idle and while the others publish

struct load_result {
  bool measured = false;
  std::string why;  ///< when not measured, or what went wrong
  summary idle, loaded;
  std::size_t publishes = 0;  ///< OKs to AT+ECMTPUB during the loaded slices
  double loaded_s = 0;
  std::size_t errors = 0, failed_urcs = 0;
  std::size_t late = 0;  ///< paced load: sends skipped because the previous publish was not answered yet
  std::string first_failure;
  [[nodiscard]] double rate() const { return loaded_s > 0 ? static_cast<double>(publishes) / loaded_s : 0; }
};

/// `rounds` times: an idle slice of `idle_s`, then a loaded slice of `load_s` (after a
/// 100 ms ramp) in which every modem of `publishers` publishes QoS 0: `per_modem_rate`
/// publishes per second each, spread evenly over the fleet (a busy fleet), or with 0 as
/// fast as each modem answers (the next on OK: saturation). Modem 0 (not among the
/// publishers) measures `AT` round trips on its own thread throughout, at most `samples`
/// per phase, spread over the rounds.
load_result round_trips_under_load(dte_fleet& f, const std::vector<std::size_t>& publishers, int rounds, double idle_s,
                                   double load_s, std::size_t samples, double per_modem_rate) {
  load_result out;
  line_channel dte0(f.detach(0));
  // state = slice number * 4 + phase; phase 0: changing (no samples), 1: idle, 2: loaded.
  std::atomic<int> state{0};
  std::atomic<bool> stop{false}, sampler_failed{false};
  std::vector<double> idle, loaded;
  std::string rtt_error;  // written by the sampler before sampler_failed, read after join
  const std::size_t per_slice = (samples + static_cast<std::size_t>(rounds) - 1) / static_cast<std::size_t>(rounds);
  std::thread sampler([&] {
    try {
      int last = -1;
      std::size_t in_slice = 0;
      while (!stop.load()) {
        const int s = state.load();
        const int phase = s & 3;
        if (s != last) {
          last = s;
          in_slice = 0;
        }
        if (phase == 0 || in_slice >= per_slice) {
          std::this_thread::sleep_for(1ms);
          continue;
        }
        const auto t0 = clock::now();
        if (!dte0.send("AT\r")) throw std::runtime_error("modem 0: the line is gone");
        if (!dte0.wait_exact("OK", t0 + 10s)) throw std::runtime_error("modem 0: no OK to AT within 10 s");
        const auto t1 = clock::now();
        if (state.load() != s) continue;  // straddled a change of phase
        (phase == 1 ? idle : loaded).push_back(micros(t1 - t0));
        ++in_slice;
      }
    } catch (const std::exception& e) {
      rtt_error = e.what();
      sampler_failed.store(true);
    }
  });

  std::string payload(payload_size, 'x');
  std::vector<std::string> cmd(f.size());
  for (std::size_t i : publishers)
    cmd[i] = "AT+ECMTPUB=0,0,0,0,\"bench/fleet/" + std::to_string(i) + "\",\"" + payload + "\"\r";
  std::vector<char> busy(f.size(), 0);
  std::size_t outstanding = 0;
  bool issuing = false, counting = false;
  auto handle = [&](std::size_t i, std::string_view l) {
    const bool error = l.find("ERROR") != std::string_view::npos;
    if (l == "OK" || error) {
      if (!busy[i]) return;
      busy[i] = 0;
      --outstanding;
      if (error && out.errors++ == 0) out.first_failure = "modem " + std::to_string(i) + ": " + std::string(l);
      if (!error && counting) ++out.publishes;
      if (issuing) {
        f.send(i, cmd[i]);
        busy[i] = 1;
        ++outstanding;
      }
    } else if (l.rfind("+ECMTPUB:0,", 0) == 0 && l.substr(l.size() - 2) != ",0") {
      if (out.failed_urcs++ == 0 && out.first_failure.empty())
        out.first_failure = "modem " + std::to_string(i) + ": " + std::string(l);
    }
  };

  // Paced load: one send every `step` across the fleet, round robin; a modem still
  // waiting for its previous OK skips its turn (counted as late).
  const bool paced = per_modem_rate > 0;
  const auto step =
      paced ? seconds_of(1.0 / (per_modem_rate * static_cast<double>(publishers.size()))) : clock::duration::zero();
  std::size_t next_sender = 0;
  clock::time_point next_due{};
  auto drive = [&](clock::time_point until) {
    if (!paced) return f.run_until(until, handle);
    for (auto now = clock::now(); now < until; now = clock::now()) {
      for (; next_due <= now; next_due += step) {
        const std::size_t i = publishers[next_sender];
        next_sender = (next_sender + 1) % publishers.size();
        if (busy[i]) {
          if (counting) ++out.late;
          continue;
        }
        f.send(i, cmd[i]);
        busy[i] = 1;
        ++outstanding;
      }
      f.run_until(std::min(until, now + 1ms), handle);  // sends go out in small bursts, once per ms
    }
  };

  int slice = 0;
  auto enter = [&](int phase) { state.store(++slice * 4 + phase); };
  try {
    for (int r = 0; r < rounds && !sampler_failed.load(); ++r) {
      enter(1);
      f.run_until(clock::now() + seconds_of(idle_s), handle);
      enter(0);
      if (paced) {
        next_due = clock::now();
      } else {
        issuing = true;
        for (std::size_t i : publishers) {
          f.send(i, cmd[i]);
          busy[i] = 1;
          ++outstanding;
        }
      }
      drive(clock::now() + 100ms);
      enter(2);
      counting = true;
      const auto t0 = clock::now();
      drive(t0 + seconds_of(load_s));
      counting = false;
      out.loaded_s += std::chrono::duration<double>(clock::now() - t0).count();
      enter(0);
      issuing = false;
      const auto drain_deadline = clock::now() + 10s;
      while (outstanding > 0 && clock::now() < drain_deadline) f.run_until(clock::now() + 5ms, handle);
      if (outstanding > 0) {
        out.why = std::to_string(outstanding) + " publishes unanswered 10 s after the load stopped";
        break;
      }
      f.run_until(clock::now() + 20ms, handle);  // the URCs of the last publishes
    }
  } catch (...) {
    stop.store(true);
    sampler.join();
    throw;
  }
  stop.store(true);
  sampler.join();
  if (!rtt_error.empty()) out.why = rtt_error;
  out.idle = summarize(std::move(idle));
  out.loaded = summarize(std::move(loaded));
  out.measured = out.idle.n > 0 && out.loaded.n > 0;
  if (!out.measured && out.why.empty()) out.why = "no round trip samples";
  return out;
}

// ---------------------------------------------------------------------------------
// The simulator's fleet

struct fleet_figures {
  std::size_t n = 0;
  bool live = false;
  std::string not_measured;  ///< the fleet could not be started or driven at all: why
  double startup_ms = 0;
  std::string self_report;  ///< the simulator's own start-up line on stderr
  std::uint64_t rss_idle = 0, rss_connected = 0, rss_after_load = 0, rss_settled = 0;  ///< settled: 1 s after the load
  std::size_t prepared = 0, opened = 0, connected = 0;
  double open_all_ms = 0, connect_all_ms = 0, connect_p50_ms = 0;
  std::uint64_t overflows_open = 0, overflows_connect = 0;  ///< listen queue overflows during each
  std::string first_failure;
  load_result paced;         ///< the others publishing at settings.paced_rate each
  load_result load;          ///< the others publishing as fast as they are answered
  std::string exit_summary;  ///< "fleet metrics: ..." line printed at SIGTERM
  std::size_t warnings = 0;  ///< [warn] / [error] lines on stderr
  std::string first_warning;
};

struct fleet_settings {
  int broker_port = 0;  ///< 0: the scripted broker
  std::string log_level;
  int rounds = 3;
  double idle_s = 0.3, load_s = 1.0;
  std::size_t samples = 500;
  std::string zero_broker_scenario;  ///< the scripted broker without its imitated network delays
  double paced_rate = 5;             ///< publishes per second per modem in the paced load
  int paced_rounds = 2;
  double paced_load_s = 1.0;
};

fleet_figures measure_fleet(std::size_t n, const fleet_settings& s, std::mt19937& rng) {
  fleet_figures fig;
  fig.n = n;
  fig.live = s.broker_port != 0;
  const std::string tag = std::string(fig.live ? "l" : "s") + std::to_string(n);
  std::cout << "fleet of " << n << " on " << (fig.live ? "a local mosquitto" : "the scripted broker") << ": "
            << std::flush;

  std::unique_ptr<test::sim_process> sim;
  int base = 0;
  for (int attempt = 0; attempt < 3 && !sim; ++attempt) {
    base = pick_port_base(n, rng);
    std::vector<std::string> args = {"--fleet", std::to_string(n), "--tcp", "127.0.0.1:" + std::to_string(base)};
    for (auto& a : timing_args(timing_mode::zero)) args.push_back(a);
    if (fig.live)
      args.insert(args.end(),
                  {"--live", "--map-host", "test.mosquitto.org=127.0.0.1:" + std::to_string(s.broker_port)});
    else
      args.insert(args.end(), {"--scenario", s.zero_broker_scenario});
    if (!s.log_level.empty()) args.insert(args.end(), {"--log-level", s.log_level});
    const auto t0 = clock::now();
    auto p = std::make_unique<test::sim_process>(args);
    if (p->wait_ready(60s)) {
      fig.startup_ms = millis(clock::now() - t0);
      sim = std::move(p);
      break;
    }
    check_interrupt();
    const std::string err = p->stderr_text();
    p->stop(5s);
    // Another program may have taken a port between the check and the bind: try elsewhere.
    if (err.find("cannot listen") == std::string::npos || attempt == 2) {
      fig.not_measured = "nt35e-sim --fleet " + std::to_string(n) + " did not start: " + tail(err, 600);
      std::cout << "did not start\n" << tail(err, 600) << "\n";
      return fig;
    }
  }
  const pid_t pid = sim->pid();
  auto diag = [&] { return tail(sim->diagnostics(), 1500); };
  if (sim->wait_stderr("started in", 10s)) {
    const std::string err = sim->stderr_text();
    const auto at = err.find("nt35e-sim: fleet of");
    if (at != std::string::npos) fig.self_report = err.substr(at, err.find('\n', at) - at);
  }

  try {
    dte_fleet f(base, n);
    const auto per_n = std::chrono::milliseconds(20 * n);  // generous: the machine is shared
    std::string why;
    auto ready = prepare_all(f, clock::now() + 20s + per_n, why);
    fig.prepared = ready.size();
    fig.rss_idle = rss_kib(pid);
    if (!why.empty()) fig.first_failure = why;

    const auto overflows0 = listen_overflows();
    auto open = exchange(
        f, ready, [](std::size_t) { return std::string("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883"); }, "+ECMTOPEN:0,0",
        clock::now() + 30s + per_n);
    const auto overflows1 = listen_overflows();
    fig.overflows_open = overflows1 - overflows0;
    fig.opened = open.completed.size();
    fig.open_all_ms = open.all_ms;
    if (fig.first_failure.empty() && open.failed) fig.first_failure = "AT+ECMTOPEN: " + open.first_failure;

    auto conn = exchange(
        f, open.completed,
        [&](std::size_t i) { return "AT+ECMTCONN=0,\"bench-fleet-" + tag + "-" + std::to_string(i) + "\""; },
        "+ECMTCONN:0,0,0", clock::now() + 30s + per_n);
    fig.rss_connected = rss_kib(pid);
    fig.overflows_connect = listen_overflows() - overflows1;
    fig.connected = conn.completed.size();
    fig.connect_all_ms = conn.all_ms;
    fig.connect_p50_ms = summarize(conn.ms).p50;
    if (fig.first_failure.empty() && conn.failed) fig.first_failure = "AT+ECMTCONN: " + conn.first_failure;
    if (fig.first_failure.empty() && fig.connected < open.completed.size())
      fig.first_failure =
          std::to_string(open.completed.size() - fig.connected) + " modems without +ECMTCONN:0,0,0 within the limit";
    std::cout << "started in " << fixed(fig.startup_ms, 0) << " ms, " << fig.prepared << " ready, " << fig.opened
              << " opened (" << fixed(fig.open_all_ms, 0) << " ms), " << fig.connected << " connected ("
              << fixed(fig.connect_all_ms, 0) << " ms); listen queue overflows " << fig.overflows_open
              << " while opening, " << fig.overflows_connect << " while connecting; RSS " << mib(fig.rss_idle)
              << " idle, " << mib(fig.rss_connected) << " connected\n"
              << std::flush;

    if (n < 2) {
      fig.load.why = "one modem: no others to publish";
    } else if (conn.completed.empty() || conn.completed.front() != 0) {
      fig.load.why = "modem 0 is not connected";
    } else {
      std::vector<std::size_t> publishers(conn.completed.begin() + 1, conn.completed.end());
      f.run_until(clock::now() + 20ms);  // nothing should be left, but be sure modem 0's line is quiet
      fig.paced =
          round_trips_under_load(f, publishers, s.paced_rounds, s.idle_s, s.paced_load_s, s.samples, s.paced_rate);
      std::cout << "  AT round trip idle p50 " << fixed(fig.paced.idle.p50) << " us, while " << publishers.size()
                << " publish " << fixed(s.paced_rate, 0) << "/s each p50 " << fixed(fig.paced.loaded.p50) << " p99 "
                << fixed(fig.paced.loaded.p99) << " us (n=" << fig.paced.loaded.n << "); " << fixed(fig.paced.rate(), 0)
                << " publishes/s, " << fig.paced.late << " late, " << fig.paced.errors << " ERROR, "
                << fig.paced.failed_urcs << " failure URCs" << (fig.paced.why.empty() ? "" : "; " + fig.paced.why)
                << "\n"
                << std::flush;
      fig.load = round_trips_under_load(f, publishers, s.rounds, s.idle_s, s.load_s, s.samples, 0);
      fig.rss_after_load = rss_kib(pid);
      f.run_until(clock::now() + 1s);
      fig.rss_settled = rss_kib(pid);
      std::cout << "  AT round trip idle p50 " << fixed(fig.load.idle.p50) << " p99 " << fixed(fig.load.idle.p99)
                << " us (n=" << fig.load.idle.n << "), while " << publishers.size() << " publish p50 "
                << fixed(fig.load.loaded.p50) << " p99 " << fixed(fig.load.loaded.p99) << " us (n=" << fig.load.loaded.n
                << "); " << fixed(fig.load.rate(), 0) << " publishes/s, " << fig.load.errors << " ERROR, "
                << fig.load.failed_urcs << " failure URCs"
                << (fig.load.first_failure.empty() ? "" : " (first: " + fig.load.first_failure + ")")
                << (fig.load.why.empty() ? "" : "; " + fig.load.why) << "; RSS after the load "
                << mib(fig.rss_after_load) << ", 1 s later " << mib(fig.rss_settled) << "\n"
                << std::flush;
    }
    // Stop the simulator while every DTE is still attached: its summary then says how
    // many modems had a DTE and an MQTT connection at the end.
    sim->stop(20s);
  } catch (const std::exception& e) {
    if (interrupted()) throw;
    fig.not_measured = e.what() + std::string("\n") + diag();
    std::cout << "failed: " << e.what() << "\n";
    sim->stop(20s);
  }

  const std::string err = sim->stderr_text();
  if (auto at = err.find("fleet metrics:"); at != std::string::npos)
    fig.exit_summary = err.substr(at, err.find('\n', at) - at);
  std::istringstream lines(err);
  for (std::string l; std::getline(lines, l);) {
    if (l.find("[warn]") == std::string::npos && l.find("[error]") == std::string::npos) continue;
    if (fig.warnings++ == 0) fig.first_warning = l;
  }
  if (!fig.exit_summary.empty()) std::cout << "  at exit: " << fig.exit_summary << "\n";
  if (fig.warnings)
    std::cout << "  " << fig.warnings << " warning/error lines on stderr, first: " << fig.first_warning << "\n";
  if (!fig.first_failure.empty()) std::cout << "  problem: " << fig.first_failure << "\n";
  return fig;
}

// ---------------------------------------------------------------------------------
// The baseline: a fleet of plain Paho C++ clients in a child process

/// The child (`bench_fleet --paho-fleet N PORT`): N clients; "ready"; on a line from
/// stdin connects all at once and prints "connected OK FAILED ALL_MS P50_MS"; on the
/// next line (or end of input) disconnects and exits.
int paho_fleet_child(std::size_t n, int port) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  std::signal(SIGPIPE, SIG_IGN);
  struct shared {
    std::mutex m;
    std::condition_variable cv;
    std::size_t ok = 0, failed = 0;
    std::vector<double> ms;
    clock::time_point t0;
    std::string first_failure;
  } sh;
  struct listener final : mqtt::iaction_listener {
    shared* s = nullptr;
    void on_success(const mqtt::token&) override {
      const auto now = clock::now();
      std::lock_guard lock(s->m);
      s->ms.push_back(millis(now - s->t0));
      ++s->ok;
      s->cv.notify_all();
    }
    void on_failure(const mqtt::token& t) override {
      std::lock_guard lock(s->m);
      if (s->failed++ == 0) s->first_failure = "return code " + std::to_string(t.get_return_code());
      s->cv.notify_all();
    }
  };
  // Declared before the clients, so that they outlive every callback of the clients.
  std::vector<listener> listeners(n);
  const std::string uri = "tcp://127.0.0.1:" + std::to_string(port);
  std::vector<std::unique_ptr<mqtt::async_client>> clients;
  clients.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    clients.push_back(
        std::make_unique<mqtt::async_client>(uri, "bench-fleet-paho-" + std::to_string(n) + "-" + std::to_string(i),
                                             mqtt::create_options(MQTTVERSION_3_1_1)));
  std::cout << "ready" << std::endl;
  std::string line;
  if (!std::getline(std::cin, line)) return 0;

  mqtt::connect_options co;
  co.set_mqtt_version(MQTTVERSION_3_1_1);
  co.set_clean_session(true);
  co.set_keep_alive_interval(60);
  co.set_automatic_reconnect(false);
  co.set_connect_timeout(60);
  co.set_max_inflight(65535);
  sh.t0 = clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    listeners[i].s = &sh;
    try {
      clients[i]->connect(co, nullptr, listeners[i]);
    } catch (const mqtt::exception& e) {
      std::lock_guard lock(sh.m);
      if (sh.failed++ == 0) sh.first_failure = e.what();
    }
  }
  {
    std::unique_lock lock(sh.m);
    sh.cv.wait_until(lock, clock::now() + 60s, [&] { return sh.ok + sh.failed >= n; });
    const auto s = summarize(sh.ms);
    std::cout << "connected " << sh.ok << " " << sh.failed << " " << s.max << " " << s.p50 << std::endl;
    if (sh.failed) std::cerr << "paho fleet: first failure: " << sh.first_failure << "\n";
  }
  std::getline(std::cin, line);
  std::vector<mqtt::token_ptr> tokens;
  for (auto& c : clients) {
    try {
      if (c->is_connected()) tokens.push_back(c->disconnect());
    } catch (const mqtt::exception&) {}
  }
  const auto deadline = clock::now() + 10s;
  for (auto& t : tokens) {
    try {
      t->wait_until(std::max(deadline, clock::now()));
    } catch (const mqtt::exception&) {}
  }
  std::cout << "done" << std::endl;
  return 0;
}

/// This program again, as the Paho child, with pipes to its stdin and stdout.
class paho_child {
 public:
  paho_child(std::size_t n, int port) {
    char exe[PATH_MAX];
    const ssize_t len = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) throw sys_error("readlink /proc/self/exe");
    exe[len] = '\0';
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0) throw sys_error("pipe2");
    if (::pipe2(out, O_CLOEXEC) != 0) {
      ::close(in[0]);
      ::close(in[1]);
      throw sys_error("pipe2");
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    std::vector<std::string> argv = {exe, "--paho-fleet", std::to_string(n), std::to_string(port)};
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, exe, &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    to_ = in[1];
    from_ = out[0];
    if (rc != 0) {
      pid_ = -1;
      throw std::runtime_error(std::string("cannot start the Paho fleet child: ") + std::strerror(rc));
    }
  }
  ~paho_child() {
    if (to_ >= 0) ::close(to_);  // end of input: the child disconnects and exits
    if (pid_ > 0) {
      const auto deadline = clock::now() + 15s;
      while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
        if (clock::now() >= deadline) {
          ::kill(pid_, SIGKILL);
          ::waitpid(pid_, nullptr, 0);
          break;
        }
        std::this_thread::sleep_for(5ms);
      }
    }
    if (from_ >= 0) ::close(from_);
  }
  paho_child(const paho_child&) = delete;
  paho_child& operator=(const paho_child&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  void say(const std::string& line) {
    const std::string text = line + "\n";
    if (::write(to_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      throw sys_error("writing to the Paho fleet child");
  }
  /// The next line of its stdout; nothing on timeout or end of output.
  std::optional<std::string> read_line(clock::time_point deadline) {
    for (;;) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return l;
      }
      check_interrupt();
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd p{from_, POLLIN, 0};
      const int k = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 100)));
      if (k <= 0) continue;
      char tmp[512];
      const ssize_t got = ::read(from_, tmp, sizeof tmp);
      if (got <= 0) return std::nullopt;
      buf_.append(tmp, static_cast<std::size_t>(got));
    }
  }

 private:
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
  std::string buf_;
};

struct paho_figures {
  std::size_t n = 0;
  std::string not_measured;
  double startup_ms = 0;
  std::uint64_t rss_idle = 0, rss_connected = 0;
  std::size_t connected = 0, failed = 0;
  double connect_all_ms = 0, connect_p50_ms = 0;
  std::uint64_t overflows = 0;  ///< listen queue overflows while connecting
};

paho_figures measure_paho(std::size_t n, int port) {
  paho_figures fig;
  fig.n = n;
  std::cout << "Paho fleet of " << n << ": " << std::flush;
  try {
    const auto t0 = clock::now();
    paho_child child(n, port);
    auto ready = child.read_line(clock::now() + 30s);
    if (!ready || *ready != "ready") throw std::runtime_error("the Paho fleet child did not get ready");
    fig.startup_ms = millis(clock::now() - t0);
    fig.rss_idle = rss_kib(child.pid());
    const auto overflows0 = listen_overflows();
    child.say("connect");
    auto done = child.read_line(clock::now() + 90s);
    if (!done || done->rfind("connected ", 0) != 0)
      throw std::runtime_error("the Paho fleet child did not report its connections");
    fig.rss_connected = rss_kib(child.pid());
    fig.overflows = listen_overflows() - overflows0;
    std::istringstream in(done->substr(10));
    in >> fig.connected >> fig.failed >> fig.connect_all_ms >> fig.connect_p50_ms;
    child.say("quit");
    child.read_line(clock::now() + 15s);  // "done": disconnected
    std::cout << "started in " << fixed(fig.startup_ms, 0) << " ms, " << fig.connected << " connected ("
              << fixed(fig.connect_all_ms, 0) << " ms, " << fig.failed << " failed, listen queue overflows "
              << fig.overflows << "); RSS " << mib(fig.rss_idle) << " idle, " << mib(fig.rss_connected)
              << " connected\n"
              << std::flush;
  } catch (const std::exception& e) {
    if (interrupted()) throw;
    fig.not_measured = e.what();
    std::cout << "failed: " << e.what() << "\n";
  }
  return fig;
}

// ---------------------------------------------------------------------------------
// mosquitto

/// The tests' fixture (plain TCP), with the per-packet log cut down (see the top).
std::unique_ptr<test::mosquitto_broker> start_fleet_broker() {
  auto b = std::make_unique<test::mosquitto_broker>(test::broker_config{.tls = false});
  const std::string path = b->dir() + "/mosquitto.conf";
  std::string conf;
  {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    conf = s.str();
  }
  const std::string all = "log_type all\n";
  if (auto at = conf.find(all); at != std::string::npos)
    conf.replace(at, all.size(), "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n");
  {
    std::ofstream out(path, std::ios::trunc);
    out << conf;
    if (!out) throw std::runtime_error("cannot write " + path);
  }
  b->restart();
  return b;
}

// ---------------------------------------------------------------------------------
// Rows

/// (RSS of N - RSS of 1) / (N - 1), in KiB.
double per_unit(std::uint64_t rss_n, std::uint64_t rss_1, std::size_t n) {
  return n > 1 ? (static_cast<double>(rss_n) - static_cast<double>(rss_1)) / static_cast<double>(n - 1) : 0;
}

void add_rows(std::vector<row>& rows, std::vector<std::string>& notes, const fleet_figures& f, const fleet_figures& f1,
              const paho_figures& p, const paho_figures& p1, double paced_rate) {
  const std::string name = "Fleet " + std::to_string(f.n) + ", " + (f.live ? "local mosquitto" : "scripted broker");
  const std::string N = std::to_string(f.n);
  const bool paho_ok = p.not_measured.empty() && p1.not_measured.empty();
  auto paho = [&](double v) { return paho_ok ? std::optional<double>(v) : std::nullopt; };

  if (!f.not_measured.empty()) {
    notes.push_back(name + ": not measured: " + f.not_measured.substr(0, f.not_measured.find('\n')));
    rows.push_back({name, mode_label, "connected", "modems", 0, paho(static_cast<double>(p.connected)),
                    goal::value_at_least, static_cast<double>(f.n), "the fleet could not be measured"});
    return;
  }
  rows.push_back({name, mode_label, "start-up", "ms", f.startup_ms, paho(p.startup_ms), goal::none, 0,
                  "spawn -> ready line; baseline: a process creating " + N + " Paho clients. " + f.self_report});
  if (f1.not_measured.empty()) {
    rows.push_back({name, mode_label, "RSS idle per modem", "KiB", per_unit(f.rss_idle, f1.rss_idle, f.n),
                    paho(per_unit(p.rss_idle, p1.rss_idle, p.n)), goal::none, 0,
                    "(" + mib(f.rss_idle) + " - " + mib(f1.rss_idle) + ") / " + std::to_string(f.n - 1) +
                        "; baseline: clients created, not connected"});
    rows.push_back(
        {name, mode_label, "RSS connected per modem", "KiB", per_unit(f.rss_connected, f1.rss_connected, f.n),
         paho(per_unit(p.rss_connected, p1.rss_connected, p.n)), goal::value_at_most, f.live ? 1024.0 : 100.0,
         "(" + mib(f.rss_connected) + " - " + mib(f1.rss_connected) + ") / " + std::to_string(f.n - 1) +
             "; baseline: Paho (" + mib(p.rss_connected) + " - " + mib(p1.rss_connected) + ") / " +
             std::to_string(p.n - 1) +
             (f.rss_after_load
                  ? "; the fleet after the load: " + mib(f.rss_after_load) + ", 1 s later " + mib(f.rss_settled)
                  : "")});
  } else {
    notes.push_back(name + ": RSS per modem not measured: the 1-modem fleet failed (" +
                    f1.not_measured.substr(0, f1.not_measured.find('\n')) + ")");
  }
  rows.push_back({name, mode_label, "connected", "modems", static_cast<double>(f.connected),
                  paho(static_cast<double>(p.connected)), goal::value_at_least, static_cast<double>(f.n),
                  f.first_failure.empty() ? "" : f.first_failure});
  rows.push_back(
      {name, mode_label, "all connected after", "ms", f.connect_all_ms, paho(p.connect_all_ms), goal::none, 0,
       "AT+ECMTCONN to all at once -> last +ECMTCONN:0,0,0 (p50 " + fixed(f.connect_p50_ms) +
           " ms; AT+ECMTOPEN before it: all in " + fixed(f.open_all_ms) + " ms); baseline: Paho connect() x" + N +
           " -> last CONNACK (p50 " + fixed(p.connect_p50_ms) +
           " ms); listen queue overflows (machine-wide): " + std::to_string(f.overflows_open) + " while opening, " +
           std::to_string(f.overflows_connect) + " while connecting, Paho " + std::to_string(p.overflows)});
  if (f.paced.measured) {
    const std::string others = std::to_string(f.n - 1) + " publishing " + fixed(paced_rate, 0) + "/s each";
    rows.push_back(
        {name, mode_label, "AT round trip p50, " + others, "µs", f.paced.loaded.p50, f.paced.idle.p50, goal::none, 0,
         "baseline: the same modem, fleet idle; n=" + std::to_string(f.paced.loaded.n) + "/" +
             std::to_string(f.paced.idle.n) + "; " + fixed(f.paced.rate(), 0) + " publishes/s answered, " +
             std::to_string(f.paced.late) + " sends skipped (previous publish unanswered), " +
             std::to_string(f.paced.errors) + " ERROR, " + std::to_string(f.paced.failed_urcs) + " failure URCs"});
    rows.push_back({name, mode_label, "AT round trip p99, " + others, "µs", f.paced.loaded.p99, f.paced.idle.p99,
                    goal::none, 0, ""});
  }
  if (!f.paced.why.empty() && f.n > 1)
    notes.push_back(name + ": AT round trip under paced load" + (f.paced.measured ? ": " : " not measured: ") +
                    f.paced.why);
  if (f.load.measured) {
    const std::string others = std::to_string(f.n - 1) + " publishing flat out";
    rows.push_back({name, mode_label, "AT round trip p50, " + others, "µs", f.load.loaded.p50, f.load.idle.p50,
                    goal::none, 0,
                    "baseline: the same modem, fleet idle; n=" + std::to_string(f.load.loaded.n) + "/" +
                        std::to_string(f.load.idle.n)});
    rows.push_back({name, mode_label, "AT round trip p99, " + others, "µs", f.load.loaded.p99, f.load.idle.p99,
                    goal::none, 0, ""});
    rows.push_back({name, mode_label, "publish rate, " + others, "msg/s", f.load.rate(), std::nullopt, goal::none, 0,
                    "QoS 0, pipelined on OK; " + std::to_string(f.load.errors) + " ERROR, " +
                        std::to_string(f.load.failed_urcs) + " failure URCs" +
                        (f.load.first_failure.empty() ? "" : " (first: " + f.load.first_failure + ")")});
  }
  if (!f.load.why.empty() && f.n > 1)
    notes.push_back(name + ": AT round trip under load" + (f.load.measured ? ": " : " not measured: ") + f.load.why);
  if (f.warnings)
    notes.push_back(name + ": " + std::to_string(f.warnings) +
                    " warning/error lines on the simulator's stderr, first: " + f.first_warning);
}

int run(int argc, char** argv) {
  install_signal_handlers();
  auto opts = parse_options(
      argc, argv,
      "Fleets of N modems (nt35e-sim --fleet N) on the scripted broker and on a local mosquitto, vs a fleet of "
      "plain Paho clients.\n--count: AT round trip samples per phase (default 500); --seconds: loaded time per "
      "fleet (default 6).");
  auto machine = describe_machine();
  std::cout << "bench_fleet on " << to_text(machine) << "\n";
  const std::vector<std::size_t> sizes =
      opts.quick ? std::vector<std::size_t>{50, 100} : std::vector<std::size_t>{100, 500, 1000};
  fleet_settings settings;
  settings.log_level = opts.log_level;
  settings.samples = opts.count > 0 ? static_cast<std::size_t>(opts.count) : (opts.quick ? 200 : 500);
  const double seconds = opts.seconds > 0 ? opts.seconds : (opts.quick ? 1.0 : 6.0);
  settings.load_s = seconds / settings.rounds;
  settings.idle_s = opts.quick ? 0.2 : 0.3;
  settings.paced_load_s = opts.quick ? 0.5 : 1.0;

  const auto files = raise_open_files();
  std::cout << "open-file limit: " << files << "\n";
  auto broker = start_fleet_broker();
  // The scripted broker imitates a network (CONNACK after 300 ms, acks after 150 ms...):
  // zero here too, so that its rows show the simulator's own cost like the live ones.
  temp_dir scratch("nt35e-bench-fleet");
  settings.zero_broker_scenario = scratch.path() + "/zero-broker.json";
  {
    std::ofstream out(settings.zero_broker_scenario);
    out << R"({"name": "zero-broker", "broker": {"delays": {"open": "0s", "connack": "0s", "ack": "0s", "delivery": "0s"}}})"
        << "\n";
  }
  std::mt19937 rng(std::random_device{}());

  std::vector<row> rows;
  std::vector<std::string> notes = {
      "One nt35e-sim --fleet N process per row group (--tcp 127.0.0.1:BASE, one DTE TCP connection per modem, "
      "all driven by one thread with epoll); zero delays (the scripted broker's imitated network delays too: a "
      "scenario with broker.delays all 0s); the fleet's default log level (warn); default threads "
      "(one per core, at least 2). Broker: the tests' mosquitto fixture on 127.0.0.1 with log_type all cut to "
      "error/warning/notice/information.",
      "RSS per modem = (VmRSS of the N-modem fleet - VmRSS of a 1-modem fleet measured the same way in this run) "
      "/ (N - 1). Idle: every modem answered ATE0 and AT+CGATT? (+CGATT:1), no MQTT. Connected: right after the "
      "last +ECMTCONN:0,0,0.",
      "Baseline for start-up, RSS and connect time: a child process with N Paho C++ async clients (MQTT 3.1.1, "
      "clean session, no persistence) connecting to the same mosquitto all at once; RSS per client with the same "
      "formula (1-client child). The scripted-broker rows are compared with the same Paho fleet.",
      "AT round trip: modem 0, AT -> OK, from its own thread; slices alternate, fleet idle then loaded. Paced "
      "load (a busy fleet): the other N-1 modems each publish QoS 0 " +
          fixed(settings.paced_rate, 0) + " times a second, spread evenly, " + std::to_string(settings.paced_rounds) +
          " rounds of " + fixed(settings.paced_load_s, 1) + " s. Flat out (saturation, the worst case): fleet idle " +
          fixed(settings.idle_s, 1) +
          " s then the other N-1 modems pipelining AT+ECMTPUB QoS 0 (32-byte payload, "
          "next on OK) for " +
          fixed(settings.load_s, 2) + " s, " + std::to_string(settings.rounds) + " rounds; at most " +
          std::to_string(settings.samples) + " samples per phase. Baseline: the idle slices.",
      "mosquitto listens with a backlog of 100: when more connections arrive at once the kernel drops SYNs "
      "(TcpExt ListenOverflows, counted in each connect row's note) and the client sends them again after 1 s, "
      "so connect times near 1 s (simulator) or 2 s (Paho) come from the broker's queue. Each live modem opens "
      "one TCP connection at AT+ECMTOPEN, and its CONNECT goes over it at AT+ECMTCONN, as on the module.",
  };
  if (files < 2 * sizes.back() + 64)
    notes.push_back("This process's open-file limit is " + std::to_string(files) + ".");

  auto p1 = measure_paho(1, broker->port());
  settings.broker_port = 0;
  auto s1 = measure_fleet(1, settings, rng);
  settings.broker_port = broker->port();
  auto l1 = measure_fleet(1, settings, rng);
  for (std::size_t n : sizes) {
    check_interrupt();
    if (files < n + 64) {
      notes.push_back("Fleet " + std::to_string(n) + ": not measured: the open-file limit (" + std::to_string(files) +
                      ") is too low for " + std::to_string(n) + " DTE connections");
      continue;
    }
    auto p = measure_paho(n, broker->port());
    if (!p.not_measured.empty())
      notes.push_back("Paho fleet " + std::to_string(n) + ": not measured: " + p.not_measured);
    settings.broker_port = 0;
    auto s = measure_fleet(n, settings, rng);
    add_rows(rows, notes, s, s1, p, p1, settings.paced_rate);
    settings.broker_port = broker->port();
    auto l = measure_fleet(n, settings, rng);
    add_rows(rows, notes, l, l1, p, p1, settings.paced_rate);
  }
  print_table("Fleet (ratio = simulator / Paho fleet; AT round trip: loaded / idle)", rows);
  for (const auto& n : notes) std::cout << "* " << n << "\n";
  record_results(opts, "fleet", "Fleet (bench_fleet)", machine, rows, notes);
  return 0;
}

}  // namespace
}  // namespace nt35e::bench

int main(int argc, char** argv) {
  using nt35e::bench::guarded_main;
  if (argc == 4 && std::string(argv[1]) == "--paho-fleet")
    return guarded_main("bench_fleet --paho-fleet",
                        [&] { return nt35e::bench::paho_fleet_child(std::stoul(argv[2]), std::stoi(argv[3])); });
  return guarded_main("bench_fleet", [&] { return nt35e::bench::run(argc, argv); });
}
