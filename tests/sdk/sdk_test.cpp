// The embeddable library (simulator/sdk/sim.hpp) through its public header only: a
// modem started in-process on a real TCP port or PTY, driven over that line.

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "sdk/sim.hpp"
#include "support/mosquitto_broker.hpp"

namespace {

using namespace std::chrono_literals;

/// A DTE on a file descriptor: writes commands, reads until a text appears (bounded).
class dte {
 public:
  explicit dte(int fd) : fd_(fd) {}
  ~dte() {
    if (fd_ >= 0) ::close(fd_);
  }
  static dte tcp(unsigned short port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    return dte(fd);
  }
  static dte pty(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    EXPECT_GE(fd, 0) << path;
    termios t{};
    ::tcgetattr(fd, &t);
    ::cfmakeraw(&t);
    ::tcsetattr(fd, TCSANOW, &t);
    return dte(fd);
  }
  dte(dte&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  void send(const std::string& s) { ASSERT_EQ(::write(fd_, s.data(), s.size()), static_cast<ssize_t>(s.size())); }
  /// Everything read until `text` appeared (true) or 5 s passed (false).
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (seen_.find(text) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[256];
      auto n = ::read(fd_, chunk, sizeof chunk);
      if (n <= 0) return false;
      seen_.append(chunk, static_cast<std::size_t>(n));
    }
    return true;
  }
  const std::string& seen() const { return seen_; }

 private:
  int fd_;
  std::string seen_;
};

nt35e::sdk::options fast(nt35e::sdk::line_kind line = nt35e::sdk::line_kind::tcp) {
  nt35e::sdk::options o;
  o.line = line;
  o.settings = {"timing.boot=0", "timing.registration=0"};
  return o;
}

TEST(SdkModem, StartsOnAFreeTcpPortAndAnswersAt) {
  nt35e::sdk::modem m(fast());
  ASSERT_NE(m.tcp_port(), 0);
  EXPECT_TRUE(m.pty_path().empty());
  EXPECT_NE(m.line().find(std::to_string(m.tcp_port())), std::string::npos) << m.line();
  auto d = dte::tcp(m.tcp_port());
  d.send("AT\r");
  EXPECT_TRUE(d.wait_for("\r\nOK\r\n")) << d.seen();
  EXPECT_TRUE(m.running());
  EXPECT_EQ(m.failure(), "");
}

TEST(SdkModem, OnAPtyWithAGeneratedPath) {
  nt35e::sdk::modem m(fast(nt35e::sdk::line_kind::pty));
  ASSERT_FALSE(m.pty_path().empty());
  EXPECT_TRUE(std::filesystem::is_symlink(m.pty_path())) << m.pty_path();
  EXPECT_EQ(m.tcp_port(), 0);
  auto d = dte::pty(m.pty_path());
  d.send("ATI\r");
  EXPECT_TRUE(d.wait_for("OK\r\n")) << d.seen();
}

TEST(SdkModem, FiredDropLinkReachesTheDteAsEcmtstat) {
  nt35e::sdk::modem m(fast());
  auto d = dte::tcp(m.tcp_port());
  d.send("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883\r");
  ASSERT_TRUE(d.wait_for("+ECMTOPEN:0,0")) << d.seen();
  d.send("AT+ECMTCONN=0,\"sdk-test\"\r");
  ASSERT_TRUE(d.wait_for("+ECMTCONN:0,0,0")) << d.seen();
  m.fire("drop_link");
  EXPECT_TRUE(d.wait_for("+ECMTSTAT:0,1")) << d.seen();
  // The module reconnects by itself (spec §7.4).
  EXPECT_TRUE(d.wait_for("+ECMTSTAT:0,1\r\n\r\n+ECMTCONN:0,0,0")) << d.seen();
  // Both directions and the fired fault are in the transcript.
  const auto t = m.transcript();
  EXPECT_NE(t.find("AT+ECMTCONN=0"), std::string::npos) << t;
  EXPECT_NE(t.find("+ECMTSTAT:0,1"), std::string::npos) << t;
  EXPECT_NE(t.find("drop_link"), std::string::npos) << t;
  EXPECT_NE(m.metrics_json().find("\"ok\":true"), std::string::npos) << m.metrics_json();
  EXPECT_NE(m.state_json().find("CONNECTED"), std::string::npos) << m.state_json();
}

TEST(SdkModem, FireTakesAnActionObjectAndRefusesAnUnknownOneWithTheChannelsSentence) {
  nt35e::sdk::modem m(fast());
  EXPECT_NO_THROW(m.fire(R"({"action": "refuse_connect", "id": 0, "code": 5})"));
  try {
    m.fire("drop_links");
    FAIL() << "an unknown action was fired";
  } catch (const nt35e::sdk::error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean \"drop_link\""), std::string::npos) << e.what();
  }
  EXPECT_NE(m.control(R"({"query": "nonsense"})").find("\"ok\":false"), std::string::npos);
}

TEST(SdkModem, ABadProfileThrowsTheSimulatorsOwnSentence) {
  auto o = fast();
  o.profile = "nt99";
  try {
    nt35e::sdk::modem m(o);
    FAIL() << "started with an unknown profile";
  } catch (const nt35e::sdk::error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what, "--profile: there is no built-in profile \"nt99\"; use nt35e or ec616s");
    // The same text as the command line's, which adds only "nt35e-sim: " and "(try --help)".
    std::string out;
    if (FILE* p = ::popen(NT35E_SIM_BINARY " --profile nt99 2>&1", "r")) {
      char buf[512];
      while (auto n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
      ::pclose(p);
    }
    EXPECT_EQ(out, "nt35e-sim: " + what + " (try --help)\n");
  }
}

TEST(SdkModem, ABadSettingOrScenarioThrowsOneLineWithItsPlace) {
  auto o = fast();
  o.settings.push_back("echo=2");
  try {
    nt35e::sdk::modem m(o);
    FAIL();
  } catch (const nt35e::sdk::error& e) {
    EXPECT_EQ(std::string(e.what()), "--set echo=2: echo expects 0 or 1, got \"2\"");
  }
  o = fast();
  o.scenario_json = "{\n  \"rules\": [{ \"at\": \"1s\", \"then\": [{ \"action\": \"drop_links\" }] }]\n}";
  try {
    nt35e::sdk::modem m(o);
    FAIL();
  } catch (const nt35e::sdk::error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_EQ(what.rfind("scenario.json:2:", 0), 0u) << what;
    EXPECT_NE(what.find("drop_links"), std::string::npos) << what;
  }
}

TEST(SdkModem, StopTwiceIsSafeAndTheEvidenceStaysReadable) {
  nt35e::sdk::modem m(fast());
  {
    auto d = dte::tcp(m.tcp_port());
    d.send("AT+CSQ\r");
    ASSERT_TRUE(d.wait_for("OK\r\n")) << d.seen();
  }
  m.stop();
  m.stop();
  EXPECT_FALSE(m.running());
  EXPECT_EQ(m.failure(), "");
  EXPECT_THROW(m.fire("reboot"), nt35e::sdk::error);
  EXPECT_NE(m.transcript().find("AT+CSQ"), std::string::npos);
  ASSERT_FALSE(m.transcript_tail(3).empty());
  const auto report = m.write_report();
  EXPECT_TRUE(std::filesystem::exists(report)) << report;
  std::string dir = m.artifacts_dir();
  EXPECT_TRUE(std::filesystem::exists(dir + "/trace.jsonl"));
}

TEST(SdkModem, RemovesItsOwnDirectoryUnlessKept) {
  std::string removed, kept;
  {
    nt35e::sdk::modem m(fast());
    removed = m.artifacts_dir();
  }
  EXPECT_FALSE(std::filesystem::exists(removed)) << removed;
  {
    nt35e::sdk::modem m(fast());
    m.keep_artifacts();
    kept = m.artifacts_dir();
  }
  EXPECT_TRUE(std::filesystem::exists(kept + "/transcript.log")) << kept;
  std::filesystem::remove_all(kept);
}

TEST(SdkModem, ReportsTheSessionAsHtml) {
  nt35e::sdk::modem m(fast());
  auto d = dte::tcp(m.tcp_port());
  d.send("AT+CGSN=1\r");
  ASSERT_TRUE(d.wait_for("OK\r\n")) << d.seen();
  const auto path = m.write_report();
  std::FILE* f = std::fopen(path.c_str(), "r");
  ASSERT_NE(f, nullptr) << path;
  std::string html(1 << 16, '\0');
  html.resize(std::fread(html.data(), 1, html.size(), f));
  std::fclose(f);
  EXPECT_NE(html.find("<html"), std::string::npos);
  EXPECT_NE(html.find("AT+CGSN=1"), std::string::npos);
}

TEST(SdkModem, LiveAgainstARealMosquittoWithMapHost) {
  nt35e::test::mosquitto_broker broker({.tls = false});
  auto o = fast();
  o.live = true;
  o.map_hosts = {"test.mosquitto.org=127.0.0.1:" + std::to_string(broker.port())};
  nt35e::sdk::modem m(o);
  auto d = dte::tcp(m.tcp_port());
  d.send("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883\r");
  ASSERT_TRUE(d.wait_for("+ECMTOPEN:0,0")) << d.seen();
  d.send("AT+ECMTCONN=0,\"sdk-live\"\r");
  ASSERT_TRUE(d.wait_for("+ECMTCONN:0,0,0")) << d.seen() << m.transcript();
  EXPECT_NE(m.transcript().find("paho: "), std::string::npos) << m.transcript();
}

TEST(SdkModem, AVersionIsThere) { EXPECT_STREQ(nt35e::sdk::version(), NT35E_EXPECTED_VERSION); }

}  // namespace
