// bench_drive: a minimal DTE load generator for profiling an already running nt35e-sim
// (bench/profile.sh attaches perf / strace / valgrind to the simulator while this runs).
//
//   bench_drive rt  (--tcp PORT | --pty PATH) [--count N] [--command AT+CSQ]
//       N round trips of the command (after ATE0), one at a time.
//   bench_drive timing-args zero|spec
//       prints the simulator's --set arguments of that timing mode, one per line.
//   bench_drive free-port
//       prints a free TCP port on 127.0.0.1.
//   bench_drive pub --pty PATH [--count N] [--qos 0|1] [--connect] [--ok-only]
//       N AT+ECMTPUB, each waited for (OK, then +ECMTPUB:0,<msg>,0; with --ok-only just the
//       OK, and the +ECMTPUB URCs are counted as they come); --connect first does
//       AT+ECMTOPEN=0,"test.mosquitto.org",1883 and AT+ECMTCONN=0,"bench-drive".
// Prints the wall time per operation.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>
#include <stdexcept>
#include <string>

#include "common/bench_common.hpp"

using namespace nt35e::bench;

namespace {

[[noreturn]] void usage() {
  std::cerr << "usage: bench_drive rt (--tcp PORT | --pty PATH) [--count N] [--command CMD]\n"
               "       bench_drive pub --pty PATH [--count N] [--qos 0|1] [--connect] [--ok-only]\n"
               "       bench_drive timing-args zero|spec\n"
               "       bench_drive free-port\n";
  std::exit(2);
}

void ok(line_channel& dte, const std::string& cmd, const std::string& urc = {}) {
  auto deadline = clock::now() + 15s;
  if (!dte.send(cmd + "\r")) throw std::runtime_error("line gone");
  auto r = dte.wait_line([](std::string_view l) { return l == "OK" || l.find("ERROR") != std::string_view::npos; },
                         deadline);
  if (!r || *r != "OK") throw std::runtime_error(cmd + ": " + (r ? *r : std::string("no answer")));
  if (!urc.empty() && !dte.wait_exact(urc, deadline)) throw std::runtime_error(cmd + ": no " + urc);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    install_signal_handlers();
    if (argc < 2) usage();
    const std::string what = argv[1];
    if (what == "timing-args" && argc == 3) {
      for (const auto& a : timing_args(std::string(argv[2]) == "spec" ? timing_mode::spec : timing_mode::zero))
        std::cout << a << "\n";
      return 0;
    }
    if (what == "free-port") {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t len = sizeof a;
      if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
          ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("no free port");
      std::cout << ntohs(a.sin_port) << "\n";
      ::close(fd);
      return 0;
    }
    int port = 0, count = 2000, qos = 1;
    bool connect = false, ok_only = false;
    std::string pty, command = "AT+CSQ";
    for (int i = 2; i < argc; ++i) {
      std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) usage();
        return argv[++i];
      };
      if (a == "--tcp")
        port = std::stoi(value());
      else if (a == "--pty")
        pty = value();
      else if (a == "--count")
        count = std::stoi(value());
      else if (a == "--command")
        command = value();
      else if (a == "--qos")
        qos = std::stoi(value());
      else if (a == "--connect")
        connect = true;
      else if (a == "--ok-only")
        ok_only = true;
      else
        usage();
    }
    if (port == 0 && pty.empty()) usage();
    line_channel dte(port ? connect_tcp(port) : open_pty_dte(pty));
    auto diag = [] { return std::string("(bench_drive)"); };
    prepare_modem(dte, diag);
    if (what == "rt") {
      auto t0 = clock::now();
      for (int i = 0; i < count; ++i) ok(dte, command);
      std::cout << "bench_drive rt: " << count << " x " << command << ", " << fixed(micros(clock::now() - t0) / count)
                << " us each\n";
    } else if (what == "pub") {
      if (connect) {
        ok(dte, "AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", "+ECMTOPEN:0,0");
        ok(dte, "AT+ECMTCONN=0,\"bench-drive\"", "+ECMTCONN:0,0,0");
      }
      auto t0 = clock::now();
      std::size_t acks_ok = 0, acks_failed = 0;
      std::string first_failed;
      auto count_ack = [&](std::string_view l) {
        if (l.rfind("+ECMTPUB:0,", 0) != 0) return;
        if (l.substr(l.size() - 2) == ",0") {
          ++acks_ok;
        } else if (acks_failed++ == 0) {
          first_failed = std::string(l);
        }
      };
      for (int i = 0; i < count; ++i) {
        int msg = qos ? (i % 65535) + 1 : 0;
        const std::string cmd = "AT+ECMTPUB=0," + std::to_string(msg) + "," + std::to_string(qos) +
                                ",0,\"bench/drive\",\"payload-" + std::to_string(i) + "\"";
        if (!ok_only) {
          ok(dte, cmd, "+ECMTPUB:0," + std::to_string(msg) + ",0");
          ++acks_ok;
          continue;
        }
        if (!dte.send(cmd + "\r")) throw std::runtime_error("line gone");
        if (!dte.wait_line([](std::string_view l) { return l == "OK"; }, clock::now() + 15s, count_ack))
          throw std::runtime_error(cmd + ": no OK");
      }
      const double each = micros(clock::now() - t0) / count;
      if (ok_only) dte.pump([&](std::string_view l) { return count_ack(l), true; }, clock::now() + 10s, 1s);
      std::cout << "bench_drive pub: " << count << " x QoS " << qos << ", " << fixed(each) << " us each; " << acks_ok
                << " +ECMTPUB ok, " << acks_failed << " failed"
                << (first_failed.empty() ? "" : " (first: " + first_failed + ")") << "\n";
    } else {
      usage();
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_drive: " << e.what() << "\n";
    return 1;
  }
}
