// End-to-end: fleet mode (--fleet N) of the real nt35e-sim binary: N modems in one
// process on TCP ports BASE+i or PTY links PREFIXi, their identities, the ECMT seed flow
// on many modems at once, fleet events and metrics through the control channel, and
// the option checks.
//
// Every wait is bounded (poll with a deadline); failures carry the simulator's stderr.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/control_client.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/sim_process.hpp"

namespace nt35e::test {
namespace {

using nlohmann::json;
using steady = std::chrono::steady_clock;

const std::string ok = "\r\nOK\r\n";
std::string line(std::string_view t) { return "\r\n" + std::string(t) + "\r\n"; }

int left_ms(steady::time_point deadline) {
  auto ms = std::chrono::duration_cast<milliseconds>(deadline - steady::now()).count();
  return ms > 0 ? static_cast<int>(ms) : 0;
}

bool luhn_valid(const std::string& digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (*it < '0' || *it > '9') return false;
    int d = *it - '0';
    if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

/// A base port with `count` free ports after it on 127.0.0.1, found by binding them all
/// (bounded retries); 0 if none was found.
int free_port_range(int count) {
  std::mt19937 rng(static_cast<unsigned>(::getpid()) ^ static_cast<unsigned>(steady::now().time_since_epoch().count()));
  for (int attempt = 0; attempt < 40; ++attempt) {
    // Below the usual ephemeral range (32768-60999), so no outgoing connection takes one meanwhile.
    const int base = 10000 + static_cast<int>(rng() % 22000);
    std::vector<int> fds;
    bool all = true;
    for (int i = 0; i < count && all; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<std::uint16_t>(base + i));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) all = false;
      if (fd >= 0) fds.push_back(fd);
    }
    for (int fd : fds) ::close(fd);
    if (all) return base;
  }
  return 0;
}

/// The port from the "control: 127.0.0.1:PORT" line on stdout.
int control_port(const sim_process& sim) {
  const std::string all = sim.diagnostics();
  auto at = all.find("\ncontrol: 127.0.0.1:");
  if (at == std::string::npos) return 0;
  return std::atoi(all.c_str() + at + std::string("\ncontrol: 127.0.0.1:").size());
}

bool accepted(const json& j) { return j.is_object() && j.value("ok", false); }

/// A DTE on one modem of the fleet.
struct modem_line {
  std::unique_ptr<dte_client> dte;

  std::string cmd(const std::string& l, std::string_view until, milliseconds timeout = 3s) {
    if (!dte->send(l + "\r")) return "(send failed)";
    return dte->read_until(until, timeout);
  }

  /// Waits until the module answers (boot done), turns echo off and waits for
  /// registration; false if it does not happen in time.
  bool ready(std::string* why) {
    auto deadline = steady::now() + 8s;
    std::string got;
    while (steady::now() < deadline) {
      got = cmd("AT", "OK\r\n", 300ms);
      if (got.find("OK\r\n") != std::string::npos) break;
    }
    if (got.find("OK\r\n") == std::string::npos) return *why = "no answer to AT: " + printable(got), false;
    dte->read_for(50ms);  // anything left over (a banner)
    got = cmd("ATE0", "OK\r\n");
    if (got.find("OK\r\n") == std::string::npos) return *why = "ATE0: " + printable(got), false;
    while (steady::now() < deadline) {
      got = cmd("AT+CEREG?", "OK\r\n");
      if (got == line("+CEREG:0,1") + ok) return true;
      dte->read_for(50ms);
    }
    return *why = "not registered: " + printable(got), false;
  }

  std::string imei() {
    std::string got = cmd("AT+CGSN", ok);
    if (got.size() < 2 + 15 + 2 + ok.size() || got.substr(0, 2) != "\r\n") return "(bad answer " + printable(got) + ")";
    return got.substr(2, got.find("\r\n", 2) - 2);
  }

  /// The seed guide's flow against the built-in broker; "" when every step answered as
  /// the guide shows, else what went wrong.
  std::string seed_flow() {
    struct step {
      std::string command, until, expect;
    };
    const std::vector<step> steps = {
        {"AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", "+ECMTOPEN:0,0\r\n", ok + line("+ECMTOPEN:0,0")},
        {"AT+ECMTCONN=0", "+ECMTCONN:0,0,0\r\n", ok + line("+ECMTCONN:0,0,0")},
        {"AT+ECMTSUB=0,1,\"test\",2", "+ECMTSUB:0,1,0,1\r\n", ok + line("+ECMTSUB:0,1,0,1")},
        {"AT+ECMTPUB=0,0,0,0,\"test\",\"hello\"", "+ECMTRECV:0,0,\"test\",hello\r\n",
         ok + line("+ECMTPUB:0,0,0") + line("+ECMTRECV:0,0,\"test\",hello")},
    };
    for (const auto& s : steps) {
      auto got = cmd(s.command, s.until, 5s);
      if (got != s.expect) return s.command + " -> " + printable(got) + " (expected " + printable(s.expect) + ")";
    }
    return {};
  }
};

/// Runs `f(i)` for i in [0, n) on n threads and waits for all.
template <class F>
void in_parallel(std::size_t n, F f) {
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (std::size_t i = 0; i < n; ++i) threads.emplace_back([&f, i] { f(i); });
  for (auto& t : threads) t.join();
}

std::vector<std::string> fast_start() { return {"--set", "timing.boot=50", "--set", "timing.registration=50"}; }

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// A DTE on each of `n` TCP lines from port `base`, every modem ready (modem_line::ready);
/// `*why_not` is "" or what went wrong on the first modem that was not.
std::vector<modem_line> connect_all(int n, int base, std::string* why_not) {
  std::vector<modem_line> lines(static_cast<std::size_t>(n));
  std::vector<std::string> why(lines.size());
  in_parallel(lines.size(), [&](std::size_t i) {
    lines[i].dte = std::make_unique<dte_client>(dte_client::connect_tcp(base + static_cast<int>(i)));
    if (!lines[i].ready(&why[i])) why[i] = "modem " + std::to_string(i) + ": " + why[i];
  });
  why_not->clear();
  for (const auto& w : why)
    if (why_not->empty()) *why_not = w;
  return lines;
}

// ---------------------------------------------------------------------------
// 20 modems on TCP: identities, the seed flow at once, a fleet event, metrics.

class FleetTcp : public ::testing::Test {
 protected:
  static constexpr int size = 20;

  void SetUp() override {
    base_ = free_port_range(size);
    ASSERT_GT(base_, 0) << "no range of " << size << " free ports found";
    sim_ = std::make_unique<sim_process>(
        with({"--fleet", std::to_string(size), "--tcp", std::to_string(base_), "--control", "0"}, fast_start()));
    ASSERT_TRUE(sim_->wait_ready(20s)) << sim_->diagnostics();
    ASSERT_EQ(sim_->ready_line(),
              "ready: fleet 20 tcp 127.0.0.1:" + std::to_string(base_) + ".." + std::to_string(base_ + size - 1));
    control_ = control_port(*sim_);
    ASSERT_GT(control_, 0) << sim_->diagnostics();
    std::string why_not;
    lines_ = connect_all(size, base_, &why_not);
    ASSERT_EQ(why_not, "") << sim_->diagnostics();
  }

  int base_ = 0;
  int control_ = 0;
  std::unique_ptr<sim_process> sim_;
  std::vector<modem_line> lines_;
};

TEST_F(FleetTcp, EveryModemHasItsOwnLuhnValidImei) {
  std::set<std::string> seen;
  for (int i = 0; i < size; ++i) {
    auto imei = lines_[static_cast<std::size_t>(i)].imei();
    ASSERT_EQ(imei.size(), 15u) << "modem " << i << ": " << imei;
    EXPECT_TRUE(luhn_valid(imei)) << "modem " << i << ": " << imei;
    char serial[8];
    std::snprintf(serial, sizeof serial, "%06d", i);
    EXPECT_EQ(imei.substr(8, 6), serial) << "modem " << i << " (global index " << i << "): " << imei;
    seen.insert(imei);
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(size)) << "IMEIs must be distinct";
}

TEST_F(FleetTcp, SeedFlowOnEveryModemAtOnceThenHalfTheLinksDrop) {
  std::vector<std::string> result(size);
  in_parallel(size, [&](std::size_t i) { result[i] = lines_[i].seed_flow(); });
  for (int i = 0; i < size; ++i)
    EXPECT_EQ(result[static_cast<std::size_t>(i)], "") << "modem " << i << "\n" << sim_->diagnostics();

  control_client c(control_);
  ASSERT_TRUE(c.connected());
  json state = c.ask(R"({"modem": 7, "query": "state"})");
  ASSERT_TRUE(accepted(state)) << state.dump();
  ASSERT_EQ(state["ecmt"].size(), 1u) << state.dump();
  EXPECT_EQ(state["ecmt"][0]["state"], "CONNECTED") << state.dump();

  json fired = c.ask(R"({"fleet": {"fire": {"action": "drop_link", "id": 0}, "fraction": 0.5, "seed": 42}})");
  ASSERT_TRUE(accepted(fired)) << fired.dump();
  ASSERT_EQ(fired["count"], size / 2) << fired.dump();
  EXPECT_EQ(fired["seed"], 42);
  std::set<int> chosen;
  for (const auto& m : fired["modems"]) chosen.insert(m.get<int>());
  ASSERT_EQ(chosen.size(), static_cast<std::size_t>(size / 2)) << fired.dump();

  std::vector<std::string> seen(size);
  in_parallel(size, [&](std::size_t i) { seen[i] = lines_[i].dte->read_for(1500ms); });
  std::set<int> dropped;
  for (int i = 0; i < size; ++i)
    if (seen[static_cast<std::size_t>(i)].find("+ECMTSTAT:0,") != std::string::npos) dropped.insert(i);
  EXPECT_EQ(dropped, chosen) << sim_->diagnostics();

  // The same seed picks the same modems (checked with a harmless action).
  json again = c.ask(R"({"fleet": {"fire": {"action": "set_signal", "rssi": 20}, "fraction": 0.5, "seed": 42}})");
  ASSERT_TRUE(accepted(again)) << again.dump();
  EXPECT_EQ(again["modems"], fired["modems"]);

  // Metrics: the fleet's totals are the sums of the modems' counters.
  json total = c.ask(R"({"query": "metrics"})");
  ASSERT_TRUE(accepted(total)) << total.dump();
  EXPECT_EQ(total["modems"], size);
  EXPECT_EQ(total["attached"], size);
  std::uint64_t commands = 0, urcs = 0, faults = 0, timed = 0;
  for (int i = 0; i < size; ++i) {
    json m = c.ask(R"({"modem": )" + std::to_string(i) + R"(, "query": "metrics"})");
    ASSERT_TRUE(accepted(m)) << m.dump();
    EXPECT_EQ(m["modem"], i);
    EXPECT_EQ(m["modems"], 1);
    commands += m["counters"]["commands"].get<std::uint64_t>();
    urcs += m["counters"]["urcs"].get<std::uint64_t>();
    faults += m["counters"]["faults"].get<std::uint64_t>();
    timed += m["latency"]["at_command"]["count"].get<std::uint64_t>();
    // AT, ATE0, AT+CEREG? (at least once), then the four commands of the seed flow.
    EXPECT_GE(m["counters"]["commands"].get<std::uint64_t>(), 7u) << m.dump();
    EXPECT_EQ(m["latency"]["connect"]["count"], 1) << m.dump();
  }
  EXPECT_EQ(total["counters"]["commands"].get<std::uint64_t>(), commands) << total.dump();
  EXPECT_EQ(total["counters"]["urcs"].get<std::uint64_t>(), urcs) << total.dump();
  EXPECT_EQ(total["counters"]["faults"].get<std::uint64_t>(), faults) << total.dump();
  EXPECT_EQ(faults, static_cast<std::uint64_t>(size));  // drop_link, then set_signal, on half each
  EXPECT_EQ(total["latency"]["at_command"]["count"].get<std::uint64_t>(), timed) << total.dump();
  EXPECT_GE(timed, static_cast<std::uint64_t>(size * 7)) << total.dump();
  EXPECT_EQ(total["latency"]["connect"]["count"], size) << total.dump();
  const auto& at = total["latency"]["at_command"];
  EXPECT_GT(at["p50_ms"].get<double>(), 0.0) << total.dump();
  EXPECT_LE(at["p50_ms"].get<double>(), at["p99_ms"].get<double>()) << total.dump();
  EXPECT_LE(at["p99_ms"].get<double>(), at["max_ms"].get<double>()) << total.dump();

  // SIGTERM: a clean exit with the summary table.
  EXPECT_EQ(sim_->stop(10s), 0) << sim_->diagnostics();
  EXPECT_NE(sim_->stderr_text().find("fleet metrics: 20 modems"), std::string::npos) << sim_->diagnostics();
}

TEST_F(FleetTcp, ControlRequestsNameTheirModem) {
  control_client c(control_);
  ASSERT_TRUE(c.connected());
  // One modem: only its DTE sees the URC.
  json fired = c.ask(R"({"modem": 3, "fire": {"action": "inject_urc", "text": "+NOTE:3"}})");
  ASSERT_TRUE(accepted(fired)) << fired.dump();
  EXPECT_EQ(fired["modem"], 3);
  EXPECT_EQ(lines_[3].dte->read_until("+NOTE:3\r\n", 3s), line("+NOTE:3"));
  EXPECT_EQ(lines_[4].dte->read_for(200ms), "");
  // Without "modem": modem 0, as with a single modem.
  ASSERT_TRUE(accepted(c.ask(R"({"fire": {"action": "inject_urc", "text": "+NOTE:0"}})")));
  EXPECT_EQ(lines_[0].dte->read_until("+NOTE:0\r\n", 3s), line("+NOTE:0"));
  // A list of modems.
  fired = c.ask(R"({"fleet": {"fire": {"action": "inject_urc", "text": "+NOTE:L"}, "modems": [1, 5, 5, 19]}})");
  ASSERT_TRUE(accepted(fired)) << fired.dump();
  EXPECT_EQ(fired["modems"], json::parse("[1, 5, 19]"));
  for (int i : {1, 5, 19})
    EXPECT_EQ(lines_[static_cast<std::size_t>(i)].dte->read_until("+NOTE:L\r\n", 3s), line("+NOTE:L"));
  EXPECT_EQ(lines_[2].dte->read_for(200ms), "");
  // Stagger: every modem, spread over 1 s (the first at once, the last after 1 s).
  auto t0 = steady::now();
  fired = c.ask(R"({"fleet": {"fire": {"action": "inject_urc", "text": "+NOTE:S"}, "stagger": "1s"}})");
  ASSERT_TRUE(accepted(fired)) << fired.dump();
  EXPECT_EQ(fired["count"], size);
  EXPECT_EQ(fired["stagger"], "1s");
  EXPECT_EQ(lines_[0].dte->read_until("+NOTE:S\r\n", 3s), line("+NOTE:S"));
  const auto first = steady::now() - t0;
  EXPECT_EQ(lines_[size - 1].dte->read_until("+NOTE:S\r\n", 4s), line("+NOTE:S"));
  const auto last = steady::now() - t0;
  EXPECT_LT(first, 500ms);
  EXPECT_GE(last, 900ms);
  // Mistakes are refused with one sentence.
  for (const char* bad :
       {R"({"modem": 20, "query": "state"})", R"({"modem": -1, "query": "state"})",
        R"({"modem": 1, "fleet": {"fire": "reboot"}})", R"({"fleet": {"fire": "reboot", "fraction": 2}})",
        R"({"fleet": {"fire": "reboot", "modems": [25]}})", R"({"fleet": {"fraction": 0.5}})",
        R"({"fleet": {"fire": "reboot", "stagger": "soon"}})", R"({"fleet": {"fire": "reboot", "seed": 1}})"}) {
    json answer = c.ask(bad);
    EXPECT_FALSE(answer.value("ok", true)) << bad << " -> " << answer.dump();
    EXPECT_TRUE(answer.contains("error") && !answer["error"].get<std::string>().empty()) << answer.dump();
  }
  json help = c.ask(R"({"query": "help"})");
  ASSERT_TRUE(accepted(help));
  EXPECT_NE(help["requests"].dump().find("fraction"), std::string::npos) << help.dump();
  json info = c.ask(R"({"query": "fleet"})");
  ASSERT_TRUE(accepted(info)) << info.dump();
  EXPECT_EQ(info["size"], size);
  EXPECT_EQ(info["modems"][4]["line"], "tcp 127.0.0.1:" + std::to_string(base_ + 4));
}

// ---------------------------------------------------------------------------
// A fleet short of open files: each TCP port closes while its DTE is connected.

/// errno of a plain connect() to 127.0.0.1:port (0 when it connected; closed at once).
int connect_errno(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  const int err = rc == 0 ? 0 : errno;
  ::close(fd);
  return err;
}

TEST(FleetShortOfFiles, ThirtyDtesInSixtyFourFilesEachPortClosedWhileItsDteIsConnected) {
  // 30 lines with a listener and a connection each, plus the process's own dozen files,
  // do not fit in 64: before the ports closed while connected, accept() failed (EMFILE)
  // for the last DTEs. Now each line holds one file.
  constexpr int size = 30;
  const int base = free_port_range(size);
  ASSERT_GT(base, 0) << "no range of " << size << " free ports found";
  launch_options how;
  how.open_files = 64;
  sim_process sim(with({"--fleet", std::to_string(size), "--tcp", std::to_string(base)}, fast_start()), how);
  ASSERT_TRUE(sim.wait_ready(20s)) << sim.diagnostics();
  EXPECT_NE(sim.diagnostics().find("so each modem's port stops listening while its DTE is connected"),
            std::string::npos)
      << sim.diagnostics();

  std::string why_not;
  auto lines = connect_all(size, base, &why_not);
  ASSERT_EQ(why_not, "") << sim.diagnostics();
  for (int i = 0; i < size; ++i)
    EXPECT_EQ(lines[static_cast<std::size_t>(i)].cmd("AT", ok), ok) << "modem " << i << "\n" << sim.diagnostics();

  // A second client finds the port closed: refused by the system, not told busy.
  EXPECT_EQ(connect_errno(base + 7), ECONNREFUSED);

  // The DTE leaves: the port listens again, and the next DTE finds the modem as it was
  // left (echo off since ready()).
  lines[7].dte.reset();
  std::unique_ptr<dte_client> next;
  const auto deadline = steady::now() + 5s;
  while (!next && steady::now() < deadline) {
    try {
      next = std::make_unique<dte_client>(dte_client::connect_tcp(base + 7));
    } catch (const std::exception&) {  // refused until the simulator has seen the DTE leave
      std::this_thread::sleep_for(20ms);
    }
  }
  ASSERT_TRUE(next) << "port " << base + 7 << " never listened again\n" << sim.diagnostics();
  modem_line again{std::move(next)};
  std::string got;
  for (int tries = 0; tries < 20 && got != ok; ++tries) got = again.cmd("AT", ok, 500ms);
  EXPECT_EQ(got, ok) << sim.diagnostics();
  EXPECT_EQ(sim.stop(10s), 0) << sim.diagnostics();
}

TEST(FleetShortOfFiles, LiveModemsAllConnectingAtOnceFitInTheFilesTheyNeedConnected) {
  // A connected live modem holds 4 files (its line, the broker link, Paho's socket and the
  // relay's end of it); while it connects, its relay also listens for Paho. Every relay
  // used to listen at once while Paho, one client after the other, reached only some:
  // within the files the connected fleet needs, the rest failed with "relay: Too many open
  // files". Now at most 32 relays listen at a time (paho/listen_gate.hpp).
  constexpr int size = 300;
  mosquitto_broker broker(broker_config{.tls = false});
  const int base = free_port_range(size);
  ASSERT_GT(base, 0) << "no range of " << size << " free ports found";
  launch_options how;
  how.open_files = 4 * size + 64 + 32;  // what the fleet says it needs (fleet/resources.cpp)
  sim_process sim(with({"--fleet", std::to_string(size), "--tcp", std::to_string(base), "--live", "--map-host",
                        "test.mosquitto.org=127.0.0.1:" + std::to_string(broker.port()), "--set", "timing.open_ok=0",
                        "--set", "timing.conn_ok=0"},
                       fast_start()),
                  how);
  ASSERT_TRUE(sim.wait_ready(20s)) << sim.diagnostics();
  EXPECT_EQ(sim.diagnostics().find("warning: "), std::string::npos) << sim.diagnostics();

  std::string why_not;
  auto lines = connect_all(size, base, &why_not);
  ASSERT_EQ(why_not, "") << sim.diagnostics();
  std::vector<std::string> opened(lines.size()), connected(lines.size());
  in_parallel(lines.size(), [&](std::size_t i) {
    opened[i] = lines[i].cmd("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", "+ECMTOPEN:0,0\r\n", 10s);
  });
  for (std::size_t i = 0; i < lines.size(); ++i)
    ASSERT_EQ(opened[i], ok + line("+ECMTOPEN:0,0")) << "modem " << i << "\n" << sim.diagnostics();
  // Every CONNECT at the same moment.
  in_parallel(lines.size(), [&](std::size_t i) {
    connected[i] = lines[i].cmd("AT+ECMTCONN=0,\"m" + std::to_string(i) + "\"", "+ECMTCONN:0,0,0\r\n", 20s);
  });
  int good = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (connected[i] == ok + line("+ECMTCONN:0,0,0"))
      ++good;
    else
      ADD_FAILURE() << "modem " << i << ": " << printable(connected[i]);
  }
  EXPECT_EQ(good, size) << sim.diagnostics();
  EXPECT_EQ(sim.diagnostics().find("Too many open files"), std::string::npos) << sim.diagnostics();
  EXPECT_EQ(sim.stop(20s), 0) << sim.diagnostics();
}

// ---------------------------------------------------------------------------
// 10 modems on PTY links.

TEST(FleetPty, TenModemsOnTheirLinksWithDistinctImeis) {
  const std::string prefix =
      (std::filesystem::temp_directory_path() / ("nt35e-fleet-" + std::to_string(::getpid()) + "-")).string();
  sim_process sim(with({"--fleet", "10", "--pty", prefix}, fast_start()));
  ASSERT_TRUE(sim.wait_ready(20s)) << sim.diagnostics();
  EXPECT_EQ(sim.ready_line(), "ready: fleet 10 pty " + prefix + "0.." + prefix + "9");
  std::set<std::string> seen;
  for (int i = 0; i < 10; ++i) {
    const std::string link = prefix + std::to_string(i);
    ASSERT_TRUE(std::filesystem::is_symlink(link)) << link;
    modem_line m{std::make_unique<dte_client>(dte_client::open_pty(link))};
    std::string why;
    ASSERT_TRUE(m.ready(&why)) << "modem " << i << ": " << why << "\n" << sim.diagnostics();
    auto imei = m.imei();
    EXPECT_TRUE(luhn_valid(imei)) << imei;
    seen.insert(imei);
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(sim.stop(10s), 0) << sim.diagnostics();
  for (int i = 0; i < 10; ++i)
    EXPECT_FALSE(std::filesystem::exists(prefix + std::to_string(i))) << "link " << i << " removed";
}

// ---------------------------------------------------------------------------
// --fleet-offset: another range of identities.

TEST(FleetOffset, OffsetHundredChangesTheImeis) {
  const int base = free_port_range(3);
  ASSERT_GT(base, 0);
  sim_process sim(with({"--fleet", "3", "--fleet-offset", "100", "--tcp", std::to_string(base)}, fast_start()));
  ASSERT_TRUE(sim.wait_ready(20s)) << sim.diagnostics();
  for (int i = 0; i < 3; ++i) {
    modem_line m{std::make_unique<dte_client>(dte_client::connect_tcp(base + i))};
    std::string why;
    ASSERT_TRUE(m.ready(&why)) << why << "\n" << sim.diagnostics();
    auto imei = m.imei();
    EXPECT_TRUE(luhn_valid(imei)) << imei;
    char serial[8];
    std::snprintf(serial, sizeof serial, "%06d", 100 + i);
    EXPECT_EQ(imei.substr(8, 6), serial) << "modem " << i << " has global index " << 100 + i << ": " << imei;
  }
}

// ---------------------------------------------------------------------------
// Per-modem scenario overrides: one file, each modem plays the world of its global index.

/// A scenario whose overrides change what modems 1, 2, 3 and 5 answer.
const char* const overrides_scenario = R"({
  "broker": {"credentials": [{"user": "u", "password": "right"}], "allow_anonymous": false},
  "rules": [{"on_command": "+CGMI", "then": [{"action": "replace_response", "text": "\r\nBASE\r\n\r\nOK\r\n"}]}],
  "modems": [
    {"select": "1", "settings": {"csq": "5"},
     "rules": [{"on_command": "+CGMR", "then": [{"action": "replace_response", "text": "\r\nONE\r\n\r\nOK\r\n"}]}]},
    {"select": [2], "broker": {"credentials": [{"user": "u", "password": "other"}]}},
    {"select": "3", "replace_rules": true},
    {"select": "100-199, 5", "settings": {"csq": "9"}}
  ]
})";

/// What one modem answers: AT+CSQ's rssi, AT+CGMI, AT+CGMR, and the CONNACK code for
/// user "u" with password "right".
struct world_answers {
  int rssi;
  std::string manufacturer, revision;
  int connack;
};

/// "" when the modem answers as `want` says, else what differs.
std::string check_world(modem_line& m, const world_answers& want) {
  std::string why;
  if (!m.ready(&why)) return why;
  std::string out;
  const auto expect = [&](const std::string& command, const std::string& until, const std::string& answer) {
    auto got = m.cmd(command, until, 5s);
    if (got != answer) out += command + " -> " + printable(got) + " (expected " + printable(answer) + "); ";
  };
  expect("AT+CSQ", ok, line("+CSQ:" + std::to_string(want.rssi) + ",99") + ok);
  expect("AT+CGMI", ok, line(want.manufacturer) + ok);
  expect("AT+CGMR", ok, line(want.revision) + ok);
  expect("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", "+ECMTOPEN:0,0\r\n", ok + line("+ECMTOPEN:0,0"));
  const std::string connack = "+ECMTCONN:0,0," + std::to_string(want.connack);
  expect("AT+ECMTCONN=0,\"dev\",\"u\",\"right\"", connack + "\r\n", ok + line(connack));
  return out;
}

class FleetOverrides : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = std::filesystem::temp_directory_path() / ("nt35e-overrides-" + std::to_string(::getpid()) + ".json");
    std::ofstream(file_) << overrides_scenario;
  }
  void TearDown() override { std::filesystem::remove(file_); }

  /// Runs --fleet want.size() at `offset` with --set csq=20 (which the overrides'
  /// settings beat) and checks that modem i answers as want[i].
  void run_fleet(std::uint64_t offset, const std::vector<world_answers>& want, const std::string& warning) {
    const int n = static_cast<int>(want.size());
    const int base = free_port_range(n);
    ASSERT_GT(base, 0);
    sim_process sim(with({"--scenario", file_.string(), "--fleet", std::to_string(n), "--fleet-offset",
                          std::to_string(offset), "--tcp", std::to_string(base), "--set", "csq=20"},
                         fast_start()));
    ASSERT_TRUE(sim.wait_ready(20s)) << sim.diagnostics();
    // One warning, for the one override that selects none of this fleet's modems.
    EXPECT_EQ(sim.stderr_count("selects no modem"), 1u) << sim.diagnostics();
    EXPECT_EQ(sim.stderr_count("nt35e-sim: warning: " + warning + "\n"), 1u) << sim.diagnostics();
    std::vector<std::string> result(want.size());
    in_parallel(want.size(), [&](std::size_t i) {
      modem_line m{std::make_unique<dte_client>(dte_client::connect_tcp(base + static_cast<int>(i)))};
      result[i] = check_world(m, want[i]);
    });
    for (std::size_t i = 0; i < want.size(); ++i)
      EXPECT_EQ(result[i], "") << "modem " << i << " (index " << offset + i << ")\n" << sim.diagnostics();
    EXPECT_EQ(sim.stop(10s), 0) << sim.diagnostics();
  }

  std::filesystem::path file_;
};

const std::string revision = "NT35E-CN_V1.0.5";

TEST_F(FleetOverrides, EachModemPlaysTheWorldOfItsIndex) {
  run_fleet(0,
            {
                {20, "BASE", revision, 0},    // index 0: the scenario itself; --set csq=20
                {5, "BASE", "ONE", 0},        // 1: its csq setting beats --set; its rule is appended
                {20, "BASE", revision, 5},    // 2: its broker knows another password
                {20, "Lierda", revision, 0},  // 3: replace_rules without rules: no rules at all
            },
            "scenario override /modems/3 selects no modem of this fleet (indices 0..3)");
}

TEST_F(FleetOverrides, TheSameFileWithAnotherOffsetSelectsByGlobalIndex) {
  run_fleet(2,
            {
                {20, "BASE", revision, 5},    // index 2
                {20, "Lierda", revision, 0},  // 3
                {20, "BASE", revision, 0},    // 4: no override
                {9, "BASE", revision, 0},     // 5: "100-199, 5"
            },
            "scenario override /modems/0 selects no modem of this fleet (indices 2..5)");
}

TEST_F(FleetOverrides, ASingleModemIsIndexZeroAndCheckScenarioReportsOverrides) {
  auto r = run_sim({"--check-scenario", file_.string()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "ok: " + file_.string() + ": " + file_.stem().string() + " (1 rule, 4 modem overrides)\n");

  // Without --fleet: index 0, so the modem plays the scenario itself (CGMI BASE) and no
  // warning is printed.
  sim_process sim(with({"--scenario", file_.string(), "--tcp", "0", "--set", "csq=20"}, fast_start()));
  ASSERT_TRUE(sim.wait_ready(10s)) << sim.diagnostics();
  modem_line m{std::make_unique<dte_client>(dte_client::connect_tcp(sim.tcp_port()))};
  EXPECT_EQ(check_world(m, {20, "BASE", revision, 0}), "") << sim.diagnostics();
  EXPECT_EQ(sim.stderr_count("selects no modem"), 0u) << sim.diagnostics();

  const auto bad = file_.parent_path() / ("nt35e-overrides-bad-" + std::to_string(::getpid()) + ".json");
  std::ofstream(bad) << "{\"modems\": [\n  {\"select\": \"3-1\"},\n  {\"select\": [4], \"broker\": {\"credentials\": "
                        "[{\"user\": 5}]}},\n  {\"select\": \"0-9\"}\n]}\n";
  r = run_sim({"--check-scenario", bad.string()});
  std::filesystem::remove(bad);
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            bad.string() + ":2:14: error: /modems/0/select: \"3-1\" is not a range (the start is above the end)\n" +
                bad.string() + ":3:55: error: /modems/1/broker/credentials/0/user: expected a string, got a number\n" +
                bad.string() +
                ":4:14: error: /modems/2/select: index 4 is also selected by /modems/1; a modem "
                "may be chosen by one override only\n");
  EXPECT_EQ(r.out, "");
}

// ---------------------------------------------------------------------------
// Fleet events of the scenario ("fleet_events"): on a timeline from power-on, on every
// modem, a selection or a seeded fraction of them, staggered.

class FleetEvents : public ::testing::Test {
 protected:
  static constexpr int size = 10;

  void TearDown() override {
    if (!file_.empty()) std::filesystem::remove(file_);
  }

  /// Starts --fleet 10 on TCP with the scenario text and the extra arguments, and
  /// makes every modem ready (echo off, registered). `powered` is about when the modems
  /// were powered on (just after the ready line).
  void start(const std::string& scenario_text, const std::vector<std::string>& extra = {}) {
    file_ = std::filesystem::temp_directory_path() /
            ("nt35e-fleet-events-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".json");
    std::ofstream(file_) << scenario_text;
    base_ = free_port_range(size);
    ASSERT_GT(base_, 0);
    sim_ = std::make_unique<sim_process>(with(with({"--scenario", file_.string(), "--fleet", std::to_string(size),
                                                    "--tcp", std::to_string(base_), "--control", "0"},
                                                   fast_start()),
                                              extra));
    ASSERT_TRUE(sim_->wait_ready(20s)) << sim_->diagnostics();
    powered_ = steady::now();
    std::string why_not;
    lines_ = connect_all(size, base_, &why_not);
    ASSERT_EQ(why_not, "") << sim_->diagnostics();
  }

  /// What each modem's DTE received until `deadline`, or up to `needle` (then the time
  /// it came, since power-on).
  struct seen {
    std::string text;
    std::optional<steady::duration> at;
  };
  std::vector<seen> watch(std::string_view needle, steady::time_point deadline) {
    std::vector<seen> out(size);
    in_parallel(size, [&](std::size_t i) {
      out[i].text = lines_[i].dte->read_until(needle, milliseconds(left_ms(deadline)));
      if (out[i].text.find(needle) != std::string::npos) out[i].at = steady::now() - powered_;
    });
    return out;
  }

  std::filesystem::path file_;
  int base_ = 0;
  std::unique_ptr<sim_process> sim_;
  std::vector<modem_line> lines_;
  steady::time_point powered_;
};

TEST_F(FleetEvents, ThirtyPercentOfTheLinksDropAtTheirTimeAndTheControlChannelPicksTheSame) {
  start(R"({"fleet_events": [
    {"at": "4s", "fire": {"action": "drop_link", "id": 0}, "fraction": 0.3, "seed": 7}
  ]})",
        {"--log-level", "info"});
  // Every modem opens and connects id 0 before the event is due.
  std::vector<std::string> result(size);
  in_parallel(size, [&](std::size_t i) {
    auto got = lines_[i].cmd("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", "+ECMTOPEN:0,0\r\n", 3s);
    if (got != ok + line("+ECMTOPEN:0,0")) return void(result[i] = "ECMTOPEN -> " + printable(got));
    got = lines_[i].cmd("AT+ECMTCONN=0,\"c" + std::to_string(i) + "\"", "+ECMTCONN:0,0,0\r\n", 3s);
    if (got != ok + line("+ECMTCONN:0,0,0")) result[i] = "ECMTCONN -> " + printable(got);
  });
  for (int i = 0; i < size; ++i)
    ASSERT_EQ(result[static_cast<std::size_t>(i)], "") << "modem " << i << "\n" << sim_->diagnostics();
  ASSERT_LT(steady::now() - powered_, 3500ms) << "too slow to connect before the event";

  const auto seen = watch("+ECMTSTAT:0,1\r\n", powered_ + 7s);
  std::vector<std::size_t> dropped;
  for (std::size_t i = 0; i < size; ++i) {
    if (!seen[i].at) {
      EXPECT_EQ(seen[i].text, "") << "modem " << i << " got something else";
      continue;
    }
    dropped.push_back(i);
    EXPECT_EQ(seen[i].text, line("+ECMTSTAT:0,1")) << "modem " << i;
    EXPECT_GE(*seen[i].at, 3900ms) << "modem " << i << ": not before the event's time";
    EXPECT_LT(*seen[i].at, 6s) << "modem " << i;
  }
  EXPECT_EQ(dropped.size(), 3u) << "round(0.3 x 10)\n" << sim_->diagnostics();
  EXPECT_EQ(sim_->stderr_count("[info] fleet event /fleet_events/0 at 4s: drop_link on 3 of 10 modems (seed 7)\n"), 1u)
      << sim_->diagnostics();

  // The control channel's choice with the same seed is the same three modems.
  control_client c(control_port(*sim_));
  ASSERT_TRUE(c.connected());
  json fired = c.ask(R"({"fleet": {"fire": {"action": "set_signal", "rssi": 20}, "fraction": 0.3, "seed": 7}})");
  ASSERT_TRUE(accepted(fired)) << fired.dump();
  EXPECT_EQ(fired["modems"], json(dropped)) << sim_->diagnostics();
  // Each of those three had two scenario actions (the event's, the control channel's),
  // the others none.
  for (std::size_t i = 0; i < size; ++i) {
    json state = c.ask(R"({"modem": )" + std::to_string(i) + R"(, "query": "state"})");
    ASSERT_TRUE(accepted(state)) << state.dump();
    const bool was_dropped = std::find(dropped.begin(), dropped.end(), i) != dropped.end();
    EXPECT_EQ(state["counters"]["faults"], was_dropped ? 2 : 0) << "modem " << i << ": " << state.dump();
  }
}

TEST_F(FleetEvents, SelectedModemsFireStaggeredOnTheScaledTimeline) {
  // --time-scale 0.5: at 4s is 2 s after power-on, the stagger of 3s is 1.5 s, so modems
  // 2, 3, 4 and 5 (of "2-5, 40-49": 40-49 are not in this fleet) fire at 2, 2.5, 3 and 3.5 s.
  start(R"({"fleet_events": [
    {"at": "4s", "fire": {"action": "inject_urc", "text": "+EVT:1"}, "select": "2-5, 40-49", "stagger": "3s"},
    {"at": "2s", "fire": {"action": "inject_urc", "text": "+EVT:0"}, "select": [9]}
  ]})",
        {"--time-scale", "0.5"});
  const auto first = watch("+EVT:0\r\n", powered_ + 1800ms);
  for (std::size_t i = 0; i < size; ++i)
    if (i == 9) {
      ASSERT_TRUE(first[i].at.has_value()) << printable(first[i].text) << "\n" << sim_->diagnostics();
      EXPECT_EQ(first[i].text, line("+EVT:0"));
      EXPECT_GE(*first[i].at, 900ms);
    } else {
      EXPECT_EQ(first[i].text, "") << "modem " << i;
    }

  const auto seen = watch("+EVT:1\r\n", powered_ + 5s);
  for (std::size_t i = 0; i < size; ++i) {
    if (i < 2 || i > 5) {
      EXPECT_EQ(seen[i].text, "") << "modem " << i << " is not selected";
      continue;
    }
    ASSERT_TRUE(seen[i].at.has_value()) << "modem " << i << ": " << printable(seen[i].text) << "\n"
                                        << sim_->diagnostics();
    EXPECT_EQ(seen[i].text, line("+EVT:1"));
    const auto due = 2000ms + 500ms * static_cast<int>(i - 2);
    EXPECT_GE(*seen[i].at, due - 100ms) << "modem " << i;
    EXPECT_LT(*seen[i].at, due + 700ms) << "modem " << i;
  }
  if (seen[2].at && seen[5].at) {
    EXPECT_GE(*seen[5].at - *seen[2].at, 1200ms) << "spread over the scaled stagger (1.5 s)";
    for (std::size_t i = 3; i <= 5; ++i) {
      if (seen[i].at && seen[i - 1].at) {
        EXPECT_GT(*seen[i].at, *seen[i - 1].at) << "in index order";
      }
    }
  }
}

TEST(FleetEventsSingleModem, TheOneModemIsIndexZero) {
  const auto file =
      std::filesystem::temp_directory_path() / ("nt35e-fleet-events-single-" + std::to_string(::getpid()) + ".json");
  std::ofstream(file) << R"({"fleet_events": [
    {"at": "1s", "fire": {"action": "inject_urc", "text": "+ONE"}},
    {"at": "1500ms", "fire": {"action": "inject_urc", "text": "+NOTME"}, "select": "1-9"},
    {"at": "2s", "fire": {"action": "inject_urc", "text": "+TWO"}, "select": "0", "stagger": "1s"}
  ]})";
  auto r = run_sim({"--check-scenario", file.string()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "ok: " + file.string() + ": " + file.stem().string() + " (0 rules, 3 fleet events)\n");

  sim_process sim(with({"--scenario", file.string(), "--tcp", "0"}, fast_start()));
  ASSERT_TRUE(sim.wait_ready(10s)) << sim.diagnostics();
  const auto powered = steady::now();
  modem_line m{std::make_unique<dte_client>(dte_client::connect_tcp(sim.tcp_port()))};
  std::string why;
  ASSERT_TRUE(m.ready(&why)) << why << "\n" << sim.diagnostics();
  EXPECT_EQ(m.dte->read_until("+TWO\r\n", 4s), line("+ONE") + line("+TWO")) << sim.diagnostics();
  EXPECT_GE(steady::now() - powered, 1900ms);
  EXPECT_EQ(sim.stderr_count("fleet event /fleet_events/1 at 1500ms: inject_urc on 0 of 1 modem (select 1-9)"), 1u)
      << sim.diagnostics();
  std::filesystem::remove(file);
}

// ---------------------------------------------------------------------------
// Options

struct bad_fleet_option {
  const char* label;
  std::vector<std::string> args;
  const char* names;  ///< the sentence mentions this
};

class FleetBadOptions : public ::testing::TestWithParam<bad_fleet_option> {};

TEST_P(FleetBadOptions, ExitTwoWithOneSentence) {
  auto r = run_sim(GetParam().args);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << printable(r.err);
  EXPECT_NE(r.err.find(GetParam().names), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

INSTANTIATE_TEST_SUITE_P(
    e2e, FleetBadOptions,
    ::testing::Values(bad_fleet_option{"fleet_zero", {"--fleet", "0"}, "--fleet"},
                      bad_fleet_option{"fleet_too_many", {"--fleet", "10001"}, "10000"},
                      bad_fleet_option{"fleet_not_a_number", {"--fleet", "ten"}, "--fleet"},
                      bad_fleet_option{"tcp_port_zero", {"--fleet", "5", "--tcp", "0"}, "base port"},
                      bad_fleet_option{"ports_past_65535", {"--fleet", "5", "--tcp", "65534"}, "65535"},
                      bad_fleet_option{"stdio", {"--fleet", "5", "--stdio"}, "--stdio"},
                      bad_fleet_option{"offset_without_fleet", {"--fleet-offset", "3"}, "--fleet-offset"},
                      bad_fleet_option{"offset_too_large", {"--fleet", "5", "--fleet-offset", "999998"}, "999999"},
                      bad_fleet_option{"threads_without_fleet", {"--threads", "2"}, "--threads"}),
    [](const ::testing::TestParamInfo<bad_fleet_option>& info) { return info.param.label; });

}  // namespace
}  // namespace nt35e::test
