// The line as a UART, end to end: the real binary on a real PTY read with timestamps.
// A.3's timing (the first +ECMTOPEN in a read of its own, ~300 ms after its late OK),
// --baud pacing, --fragment cuts, and a line-noise burst fired on the control channel.

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "support/control_client.hpp"
#include "support/sim_process.hpp"

namespace nt35e::test {
namespace {

using clock = std::chrono::steady_clock;
using json = nlohmann::json;
namespace fs = std::filesystem;

const std::string ok = "\r\nOK\r\n";
std::string line(std::string_view t) { return "\r\n" + std::string(t) + "\r\n"; }

/// One read() of the DTE and when it returned.
struct timed_read {
  clock::time_point at;
  std::string bytes;
};

/// Reads the descriptor one read() at a time until `needle` has arrived (or `timeout`).
std::vector<timed_read> reads_until(int fd, std::string_view needle, std::chrono::milliseconds timeout,
                                    std::string* all = nullptr) {
  std::vector<timed_read> out;
  std::string seen;
  const auto deadline = clock::now() + timeout;
  while (seen.find(needle) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[4096];
    auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.push_back({clock::now(), std::string(buf, static_cast<std::size_t>(n))});
    seen.append(buf, static_cast<std::size_t>(n));
  }
  if (all) *all += seen;
  return out;
}

std::string joined(const std::vector<timed_read>& reads) {
  std::string s;
  for (const auto& r : reads) s += r.bytes;
  return s;
}

double ms_between(clock::time_point a, clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

/// A simulator on a PTY whose modem boots and registers quickly (the tests are about the line).
class Uart : public ::testing::Test {
 public:  // thousand_byte_urc_ms drives it too
  void start(std::vector<std::string> extra) {
    link_ = fs::temp_directory_path() / ("nt35e-uart-" + std::to_string(::getpid()) + "-" + std::to_string(++runs_));
    std::vector<std::string> args{"--pty",          link_.string(), "--set",
                                  "timing.boot=50", "--set",        "timing.registration=50"};
    args.insert(args.end(), extra.begin(), extra.end());
    sim_ = std::make_unique<sim_process>(args);
    ASSERT_TRUE(sim_->wait_ready()) << sim_->diagnostics();
    dte_ = std::make_unique<dte_client>(dte_client::open_pty(sim_->pty_link()));
    auto banner = joined(reads_until(fd(), "ECRDY\r\n", 5s));
    ASSERT_EQ(banner, line("ECRDY")) << sim_->diagnostics();
  }
  int fd() const { return dte_->read_fd(); }
  std::vector<timed_read> ask(const std::string& l, std::string_view until, std::chrono::milliseconds t = 5s) {
    EXPECT_TRUE(dte_->send(l + "\r"));
    return reads_until(fd(), until, t);
  }
  void registered() {
    std::string cereg;
    for (int i = 0; i < 50 && cereg != line("+CEREG:0,1") + ok; ++i) {
      cereg = joined(ask("AT+CEREG?", ok));
      if (cereg != line("+CEREG:0,1") + ok) reads_until(fd(), "never", 50ms);
    }
    ASSERT_EQ(cereg, line("+CEREG:0,1") + ok) << sim_->diagnostics();
  }
  void TearDown() override {
    dte_.reset();
    if (sim_) sim_->stop();
  }
  fs::path link_;
  int runs_ = 0;
  std::unique_ptr<sim_process> sim_;
  std::unique_ptr<dte_client> dte_;
};

TEST_F(Uart, A3_FirstOpenUrcIsASeparateReadAbout300msAfterTheLateOk) {
  start({});
  ASSERT_EQ(joined(ask("ATE0", ok)), "ATE0\r" + ok);
  registered();
  const auto sent = clock::now();
  ASSERT_TRUE(dte_->send("AT+ECMTOPEN=0, \"test.mosquitto.org\",1883\r"));
  auto reads = reads_until(fd(), "+ECMTOPEN:0,0\r\n", 5s);
  ASSERT_EQ(joined(reads), ok + line("+ECMTOPEN:0,0")) << sim_->diagnostics();
  ASSERT_GE(reads.size(), 2u) << "the OK and the URC must not come in one read";
  // The OK is complete in the first reads; the URC starts in a later one.
  std::size_t got = 0, i = 0;
  for (; i < reads.size() && got < ok.size(); ++i) got += reads[i].bytes.size();
  ASSERT_EQ(got, ok.size()) << "no read holds the end of the OK and the start of the URC";
  const auto ok_at = reads[i - 1].at, urc_at = reads[i].at;
  EXPECT_GE(ms_between(sent, ok_at), 900.0) << "first open: OK 1 s late";
  EXPECT_GE(ms_between(ok_at, urc_at), 250.0) << "+ECMTOPEN ~300 ms after its OK (A.3)";
  EXPECT_LE(ms_between(ok_at, urc_at), 2000.0);
  std::printf("A.3 measured: OK after %.0f ms, +ECMTOPEN %.0f ms after the OK\n", ms_between(sent, ok_at),
              ms_between(ok_at, urc_at));
}

/// Connects id 0, subscribes to "echo" and publishes 1,000 bytes to it: the +ECMTRECV
/// that comes back is a 1 KB answer. Returns how long its line took from its first read
/// to its last.
double thousand_byte_urc_ms(Uart& t, std::vector<timed_read>* out = nullptr) {
  auto expect = [&](const std::string& l, const std::string& until) {
    auto got = joined(t.ask(l, until, 10s));
    EXPECT_NE(got.find(until), std::string::npos) << l << " -> " << got;
  };
  expect("ATE0", ok);
  t.registered();
  expect("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", "+ECMTOPEN:0,0\r\n");
  expect("AT+ECMTCONN=0", "+ECMTCONN:0,0,0\r\n");
  expect("AT+ECMTSUB=0,1,\"echo\",0", "+ECMTSUB:0,1,0,1\r\n");
  const std::string payload(1000, 'p');
  auto reads = t.ask("AT+ECMTPUB=0,0,0,0,\"echo\",\"" + payload + "\"", payload + "\r\n", 10s);
  auto all = joined(reads);
  EXPECT_NE(all.find("+ECMTRECV:0,0,\"echo\"," + payload + "\r\n"), std::string::npos);
  // The read holding the URC's first byte, and the read holding its last.
  auto start = all.find("+ECMTRECV");
  std::size_t pos = 0;
  clock::time_point first{}, last{};
  for (const auto& r : reads) {
    if (first == clock::time_point{} && pos + r.bytes.size() > start) first = r.at;
    pos += r.bytes.size();
    last = r.at;
  }
  if (out) *out = reads;
  return ms_between(first, last);
}

TEST_F(Uart, Baud9600MakesA1000ByteAnswerTakeASecond) {
  start({"--baud", "9600"});
  std::vector<timed_read> reads;
  double took = thousand_byte_urc_ms(*this, &reads);
  // 1,030 bytes at 960 bytes/s are 1.07 s; the first read comes one 5 ms slice in.
  EXPECT_GE(took, 1000.0);
  EXPECT_LE(took, 5000.0);
  EXPECT_GT(reads.size(), 20u) << "it trickles in, as from a UART";
  std::printf("9600 baud: the 1,030-byte +ECMTRECV line took %.0f ms in %zu reads\n", took, reads.size());
}

TEST_F(Uart, Baud115200MakesA1000ByteAnswerTakeAbout87ms) {
  start({"--baud", "115200"});
  double took = thousand_byte_urc_ms(*this);
  // 1,030 bytes at 11,520 bytes/s are 89 ms on the wire; measured from the read holding the
  // URC's first byte, which may come one 5 ms slice late, and a late timer catches up.
  EXPECT_GE(took, 75.0) << "1,030 bytes at 11,520 bytes/s are 89 ms";
  EXPECT_LE(took, 1500.0);
  std::printf("115200 baud: the 1,030-byte +ECMTRECV line took %.0f ms\n", took);
}

TEST_F(Uart, NoBaudIsAPipe) {
  start({});
  double took = thousand_byte_urc_ms(*this);
  EXPECT_LT(took, 80.0) << "without --baud the answer is not paced";
}

/// Offsets in the output stream where a read ended inside a line (not after its LF).
std::set<std::size_t> cuts_inside_lines(const std::vector<timed_read>& reads) {
  std::set<std::size_t> cuts;
  std::size_t pos = 0;
  for (const auto& r : reads) {
    pos += r.bytes.size();
    if (r.bytes.back() != '\n') cuts.insert(pos);
  }
  return cuts;
}

TEST_F(Uart, FragmentDeliversLinesInPiecesAtTheSameCutsForTheSameSeed) {
  auto session = [&](const std::string& seed, std::string& text) {
    start({"--fragment", seed});
    std::vector<timed_read> reads;
    for (const std::string& cmd : {"ATE0", "ATI", "AT+CGSN", "ATI", "AT+ECICCID", "AT+CSQ", "ATI"}) {
      auto r = ask(cmd, ok);
      reads.insert(reads.end(), r.begin(), r.end());
    }
    text = joined(reads);
    TearDown();
    return reads;
  };
  std::string text1, text2;
  auto one = session("7", text1);
  auto two = session("7", text2);
  EXPECT_EQ(text1, text2) << "the same bytes, only cut";
  EXPECT_EQ(text1.substr(0, 9), "ATE0\r" + std::string("\r\nOK")) << text1;
  auto lines = static_cast<std::size_t>(std::count(text1.begin(), text1.end(), '\n'));
  EXPECT_GT(one.size(), lines) << "more reads than lines: lines come in pieces";
  auto c1 = cuts_inside_lines(one), c2 = cuts_inside_lines(two);
  EXPECT_GE(c1.size(), 5u) << "reads that end inside a line";
  // A busy machine may merge two pieces into one read, never cut elsewhere: many cuts of
  // the two runs coincide (seen: 22 of 28 on a loaded machine; with six copies of this
  // test at once under load 15, reads merge so much that the test cannot hold, hence
  // RUN_SERIAL in e2e.cmake).
  std::size_t common = 0;
  for (auto c : c1) common += c2.count(c);
  EXPECT_GE(common * 2, std::min(c1.size(), c2.size()))
      << common << " common cuts of " << c1.size() << " and " << c2.size();
  std::printf("--fragment 7: %zu reads for %zu lines; %zu and %zu cuts inside lines, %zu in common\n", one.size(),
              lines, c1.size(), c2.size(), common);
}

/// The port from the "control: 127.0.0.1:PORT" line on stdout (printed before "ready:").
int control_port(const sim_process& sim) {
  const std::string all = sim.diagnostics();
  const std::string marker = "\nnt35e-sim stdout:\n";
  auto out = all.find(marker);
  if (out == std::string::npos) return 0;
  auto at = all.find("control: 127.0.0.1:", out);
  return at == std::string::npos ? 0 : std::atoi(all.c_str() + at + 19);
}

TEST_F(Uart, LineNoiseHitsOnlyInsideItsWindowAndTheModuleAnswersAfterwards) {
  start({"--control", "0"});
  ASSERT_EQ(joined(ask("ATE0", ok)), "ATE0\r" + ok);
  const int port = control_port(*sim_);
  ASSERT_GT(port, 0) << sim_->diagnostics();
  control_client c(port);
  ASSERT_TRUE(c.connected());

  // Flipped bits: every byte of the answer arrives with exactly one bit changed.
  json fired = c.ask(R"({"fire": {"action": "line_noise", "for": "1500ms", "percent": 100}})");
  ASSERT_TRUE(fired.value("ok", false)) << fired.dump();
  const auto window_start = clock::now();
  ASSERT_TRUE(dte_->send("AT\r"));
  auto flipped = joined(reads_until(fd(), "never", 400ms));
  ASSERT_EQ(flipped.size(), ok.size()) << "flip mode loses nothing";
  for (std::size_t i = 0; i < ok.size(); ++i) {
    auto x = static_cast<unsigned char>(flipped[i] ^ ok[i]);
    EXPECT_TRUE(x != 0 && (x & (x - 1)) == 0) << "byte " << i << " has exactly one bit flipped";
  }
  // Wait out the window: the module was never hurt, only the line.
  auto left = 1600ms - (clock::now() - window_start);
  if (left > 0ms) reads_until(fd(), "never", std::chrono::duration_cast<std::chrono::milliseconds>(left));
  EXPECT_EQ(joined(ask("AT", ok, 2s)), ok) << "clean again after the window";

  // Dropped bytes: nothing of the answer reaches the DTE while the burst lasts.
  fired = c.ask(R"({"fire": {"action": "line_noise", "for": "1s", "mode": "drop", "percent": 100}})");
  ASSERT_TRUE(fired.value("ok", false)) << fired.dump();
  const auto drop_start = clock::now();
  ASSERT_TRUE(dte_->send("AT\r"));
  EXPECT_EQ(joined(reads_until(fd(), "never", 300ms)), "") << "every byte dropped";
  left = 1100ms - (clock::now() - drop_start);
  if (left > 0ms) reads_until(fd(), "never", std::chrono::duration_cast<std::chrono::milliseconds>(left));
  EXPECT_EQ(joined(ask("AT", ok, 2s)), ok) << "the module still answers AT with OK";
  EXPECT_TRUE(sim_->wait_stderr("line noise")) << sim_->diagnostics();
}

TEST_F(Uart, LineNoiseFromAScenarioRule) {
  auto file = fs::temp_directory_path() / ("nt35e-uart-noise-" + std::to_string(::getpid()) + ".json");
  {
    std::FILE* f = std::fopen(file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(R"({"uart": {"fragment": 3},
                   "rules": [{"on_command": "+CSQ", "then": [{"action": "line_noise", "for": "300ms",
                                                              "mode": "drop", "percent": 100}]}]})",
               f);
    std::fclose(f);
  }
  start({"--scenario", file.string()});
  ASSERT_EQ(joined(ask("ATE0", ok)), "ATE0\r" + ok);
  ASSERT_TRUE(dte_->send("AT+CSQ\r"));
  EXPECT_EQ(joined(reads_until(fd(), "never", 200ms)), "") << "the answer to the rule's command is lost";
  reads_until(fd(), "never", 200ms);
  EXPECT_EQ(joined(ask("AT", ok, 2s)), ok);
  fs::remove(file);
}

}  // namespace
}  // namespace nt35e::test
