// bench_at_roundtrip: AT -> OK, AT+CSQ, AT+CEREG? over a PTY and over TCP, against a raw
// echo program on the same kind of line, measured in the same run.
//
// The baseline is a forked child that owns the other end of the line (a PTY master, or
// an accepted TCP socket) and answers every CR with "\r\nOK\r\n" at once: the cost of the
// line itself plus one process wake-up, which is the floor for any simulator.
//
// The simulator runs twice: with every delay zero (its own overhead; the targets
// p50 <= 1.5x and p99 <= 3x of the echo apply here) and with the spec's timings (what a
// driver sees: the module answers basic commands 5 ms after the command).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>

#include "common/bench_common.hpp"
#include "common/results.hpp"
#include "support/sim_process.hpp"

namespace nt35e::bench {
namespace {

const std::vector<std::string> commands = {"AT", "AT+CSQ", "AT+CEREG?"};

/// The raw echo: a child process answering each CR with "\r\nOK\r\n".
class echo_child {
 public:
  ~echo_child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  echo_child() = default;
  echo_child(const echo_child&) = delete;
  echo_child& operator=(const echo_child&) = delete;

  /// A PTY: the child owns the master; returns the slave (raw) for the DTE side.
  int start_pty() {
    int m = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0 || ::grantpt(m) != 0 || ::unlockpt(m) != 0) throw std::runtime_error("posix_openpt failed");
    char name[128];
    if (::ptsname_r(m, name, sizeof name) != 0) throw std::runtime_error("ptsname_r failed");
    int dte = open_pty_dte(name);
    spawn(m, dte);
    return dte;
  }

  /// TCP: the child accepts one connection on 127.0.0.1; returns the connected DTE socket.
  int start_tcp() {
    int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (l < 0 || ::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l, 1) != 0 ||
        ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("cannot listen on 127.0.0.1");
    spawn(l, -1, true);
    return connect_tcp(ntohs(a.sin_port));
  }

 private:
  void spawn(int fd, int close_in_child, bool accept_first = false) {
    pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(0);
      if (close_in_child >= 0) ::close(close_in_child);
      int io = fd;
      if (accept_first) {
        io = ::accept(fd, nullptr, nullptr);
        if (io < 0) ::_exit(1);
        int one = 1;
        ::setsockopt(io, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      }
      echo_loop(io);
      ::_exit(0);
    }
    ::close(fd);
  }

  [[noreturn]] static void echo_loop(int fd) {
    static const char ok[] = "\r\nOK\r\n";
    char in[4096];
    std::string out;
    for (;;) {
      ssize_t n = ::read(fd, in, sizeof in);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) ::_exit(0);
      out.clear();
      for (ssize_t i = 0; i < n; ++i)
        if (in[i] == '\r') out.append(ok, sizeof ok - 1);
      const char* p = out.data();
      std::size_t left = out.size();
      while (left > 0) {
        ssize_t w = ::write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) ::_exit(0);
        p += w;
        left -= static_cast<std::size_t>(w);
      }
    }
  }

  pid_t pid_ = -1;
};

struct series_limits {
  int count;
  double seconds;
  int warmup;
};

/// One round trip of `cmd`: write the line, read until the "OK" line. Microseconds.
double round_trip(line_channel& dte, const std::string& line, const std::function<std::string()>& diag) {
  auto fail_on_error = [&](std::string_view l) {
    if (l.find("ERROR") != std::string_view::npos)
      throw std::runtime_error(line + " answered " + std::string(l) + "\n" + diag());
  };
  auto t0 = clock::now();
  if (!dte.send(line)) throw std::runtime_error("the line is gone\n" + diag());
  if (!dte.wait_exact("OK", t0 + 3s, fail_on_error)) throw std::runtime_error("no OK to " + line + "\n" + diag());
  return micros(clock::now() - t0);
}

struct pair_result {
  summary sim, echo;
};

/// Alternates round trips on the simulator and on the raw echo, so that both see the
/// same machine (other work on it comes and goes): `count` of each, or until `seconds`.
pair_result interleaved(line_channel& sim, line_channel& echo, const std::string& cmd, const series_limits& lim,
                        const std::function<std::string()>& diag) {
  const std::string line = cmd + "\r";
  auto echo_diag = [] { return std::string("(raw echo child)"); };
  std::vector<double> a, b;
  a.reserve(static_cast<std::size_t>(lim.count));
  b.reserve(static_cast<std::size_t>(lim.count));
  const auto stop_at =
      clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(lim.seconds));
  for (int i = 0; i < lim.warmup + lim.count; ++i) {
    if (i >= lim.warmup && clock::now() >= stop_at) break;
    // Which goes first alternates too, so neither always follows the other's wake-up.
    double s = 0, e = 0;
    if (i % 2 == 0) {
      s = round_trip(sim, line, diag);
      e = round_trip(echo, line, echo_diag);
    } else {
      e = round_trip(echo, line, echo_diag);
      s = round_trip(sim, line, diag);
    }
    if (i >= lim.warmup) {
      a.push_back(s);
      b.push_back(e);
    }
  }
  return {summarize(std::move(a)), summarize(std::move(b))};
}

using results_by_cmd = std::map<std::string, pair_result>;

/// The simulator in `mode` and a fresh raw echo on the same kind of line, interleaved.
results_by_cmd run_pair(bool pty, timing_mode mode, const series_limits& lim, const std::string& log_level) {
  temp_dir dir("nt35e-bench-rt");
  std::vector<std::string> args;
  if (pty)
    args = {"--pty", dir.path() + "/nt35e0"};
  else
    args = {"--tcp", "0"};
  for (auto& a : timing_args(mode)) args.push_back(a);
  if (!log_level.empty()) args.insert(args.end(), {"--log-level", log_level});
  echo_child echo;
  line_channel echo_dte(pty ? echo.start_pty() : echo.start_tcp());
  test::sim_process sim(args);
  if (!sim.wait_ready(15s)) throw std::runtime_error("nt35e-sim not ready\n" + tail(sim.diagnostics()));
  line_channel dte(pty ? open_pty_dte(sim.pty_link()) : connect_tcp(sim.tcp_port()));
  auto diag = [&] { return tail(sim.diagnostics()); };
  prepare_modem(dte, diag);
  results_by_cmd out;
  for (const auto& c : commands) out[c] = interleaved(dte, echo_dte, c, lim, diag);
  dte.close();
  sim.stop();
  return out;
}

void print_series(const std::string& what, const results_by_cmd& r) {
  auto one = [](const std::string& who, const std::string& cmd, const summary& s) {
    std::cout << "  " << who << " " << cmd << ": n=" << s.n << " p50=" << fixed(s.p50) << " p99=" << fixed(s.p99)
              << " mean=" << fixed(s.mean) << " min=" << fixed(s.min) << " max=" << fixed(s.max) << " us\n";
  };
  for (const auto& [cmd, p] : r) {
    one("nt35e-sim " + what, cmd, p.sim);
    one("raw echo  " + what, cmd, p.echo);
  }
  std::cout.flush();
}

int run(int argc, char** argv) {
  install_signal_handlers();
  auto opts = parse_options(argc, argv,
                            "AT round trips (AT, AT+CSQ, AT+CEREG?) over PTY and TCP against a raw echo.\n"
                            "--count: round trips per series (default 2000); --seconds: time limit per series "
                            "(default 4).");
  auto machine = describe_machine();
  std::cout << "bench_at_roundtrip on " << to_text(machine) << "\n";
  const int count = opts.count > 0 ? opts.count : (opts.quick ? 300 : 2000);
  const double seconds = opts.seconds > 0 ? opts.seconds : (opts.quick ? 1.0 : 4.0);
  const series_limits zero_lim{count, seconds, 100};
  const series_limits spec_lim{count, seconds, 10};

  std::vector<row> rows;
  for (bool pty : {true, false}) {
    const std::string line = pty ? "PTY" : "TCP";
    std::cout << line << ":\n";
    for (const auto& v : standard_variants(opts)) {
      const series_limits& lim = v.mode == timing_mode::zero ? zero_lim : spec_lim;
      auto r = run_pair(pty, v.mode, lim, v.log_level);
      print_series(v.label, r);
      for (const auto& c : commands) {
        const summary& s = r[c].sim;
        const summary& b = r[c].echo;
        std::string name = "AT round trip, " + line + ", " + c;
        rows.push_back({name, v.label, "p50", "µs", s.p50, b.p50, v.targeted ? goal::ratio_at_most : goal::none, 1.5,
                        "n=" + std::to_string(s.n)});
        rows.push_back({name, v.label, "p99", "µs", s.p99, b.p99, v.targeted ? goal::ratio_at_most : goal::none, 3.0,
                        "n=" + std::to_string(s.n)});
        if (v.mode == timing_mode::zero && v.targeted)
          rows.push_back({name, v.label, "mean", "µs", s.mean, b.mean, goal::none, 0, "n=" + std::to_string(s.n)});
      }
    }
  }

  std::vector<std::string> notes = {
      "Baseline: a forked child owning the other end of the same kind of line (PTY master / accepted "
      "TCP socket) answering each CR with \"\\r\\nOK\\r\\n\" from a blocking read/write loop. Simulator and "
      "echo round trips alternate one by one in the same run, so both see the same machine load.",
      "Round trip: from before write() of the command line to after the \"OK\" line was read; "
      "the DTE side is raw (cfmakeraw) with echo off (ATE0).",
      "zero delays: --set timing.basic_result=0 and every other delay on the path 0 (see bench/README.md); "
      "spec timings: the profile's delays (5 ms basic_result) with only the power-on wait skipped.",
      std::string("Simulator log level: ") +
          (opts.log_level.empty() ? "its default (info: the full transcript goes to stderr, here a memfd)"
                                  : opts.log_level) +
          "; the \"no transcript\" rows run it with --log-level warn.",
  };
  print_table("AT round trip (µs; ratio = simulator / raw echo)", rows);
  record_results(opts, "at_roundtrip", "AT round trip (bench_at_roundtrip)", machine, rows, notes);
  return 0;
}

}  // namespace
}  // namespace nt35e::bench

int main(int argc, char** argv) {
  return nt35e::bench::guarded_main("bench_at_roundtrip", [&] { return nt35e::bench::run(argc, argv); });
}
