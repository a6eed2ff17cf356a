// AT+ECPING (spec §4.3, §6.1, §8): every form, its +SOCKET ERROR results under every
// AT+CMEE, its URCs and their timing on the manual clock, in both response styles, with
// the scenario's ping model (round-trip time, loss, unresolvable and unreachable hosts,
// send failures).

#include <gtest/gtest.h>

#include <algorithm>

#include "scenario/apply.hpp"
#include "support/core_harness.hpp"

namespace nt35e::test {
namespace {

using ms = std::chrono::milliseconds;

const std::string ok = "\r\nOK\r\n";
std::string urc(std::string_view t) { return "\r\n" + std::string(t) + "\r\n"; }
/// +ECPING:DONE and the statistics line (compact unless `spaced`).
std::string summary(const std::string& dest, int tx, int rx, int rtt, bool spaced = false) {
  const std::string head = spaced ? "+ECPING: " : "+ECPING:";
  const int loss = (tx - rx) * 100 / tx;
  const auto r = std::to_string(rtt);
  return urc(head + "DONE") + urc(head + "dest: " + dest + ", " + std::to_string(tx) + " packets transmittted, " +
                                  std::to_string(rx) + " received, " + std::to_string(loss) +
                                  " % packet loss\r rtt min/avg/max = " + r + " / " + r + " / " + r + " ms");
}
std::string socket_error(std::string_view t) { return "\r\n+SOCKET ERROR: " + std::string(t) + "\r\n"; }

scenario::ping_host host(std::string name, std::optional<int> rtt_ms = std::nullopt, double loss = 0) {
  scenario::ping_host h;
  h.host = std::move(name);
  if (rtt_ms) h.rtt = ms(*rtt_ms);
  h.loss = loss;
  return h;
}

class Ping : public ::testing::Test {
 protected:
  void start(scenario::scenario world = {}, bool with_broker = true) {
    h = core_harness::for_world(world, with_broker);
    h->boot_and_register();
    h->exchange("ATE0");
  }
  void start_ec616s(scenario::scenario world = {}) {
    world.profile = "ec616s";
    start(std::move(world));
  }
  /// Runs until `at` after the command was sent and returns what came out on the way.
  std::string until(ms at) {
    h->run_for(at - std::chrono::duration_cast<ms>(h->now() - sent_));
    return h->take_output();
  }
  /// Sends a line now and marks the time the ping timeline counts from.
  std::string command(std::string_view line, ms d = ms(10)) {
    sent_ = h->now();
    return h->exchange(line, d);
  }

  std::unique_ptr<core_harness> h;
  modem::time_point sent_{};
};

// ---- test form --------------------------------------------------------------------

TEST_F(Ping, TestFormCompactAndSpaced) {
  start();
  EXPECT_EQ(h->exchange("AT+ECPING=?"), urc("+ECPING:(\"IP ADDR\\URL\",0),(1-255),(1-1500),(1000-600000),(0,1)") + ok);
  start_ec616s();
  EXPECT_EQ(h->exchange("AT+ECPING=?"), urc("+ECPING: (\"IP ADDR\\URL\",0),(1-255),(1-1500),(1000-600000),(0,1)") + ok);
}

// ---- a ping with the defaults: 4 requests, 60 ms, one a second ------------------------

TEST_F(Ping, DefaultPingReportsEachReplyThenDoneAndStatisticsCompact) {
  start();
  EXPECT_EQ(command("AT+ECPING=\"10.1.2.3\""), ok);
  EXPECT_EQ(until(ms(59)), "");
  EXPECT_EQ(until(ms(60)), urc("+ECPING:SUCC, dest: 10.1.2.3, RTT: 60 ms"));
  EXPECT_EQ(until(ms(1059)), "");
  EXPECT_EQ(until(ms(1060)), urc("+ECPING:SUCC, dest: 10.1.2.3, RTT: 60 ms"));
  EXPECT_EQ(until(ms(2060)), urc("+ECPING:SUCC, dest: 10.1.2.3, RTT: 60 ms"));
  EXPECT_EQ(until(ms(3059)), "");
  EXPECT_EQ(until(ms(3060)), urc("+ECPING:SUCC, dest: 10.1.2.3, RTT: 60 ms") + urc("+ECPING:DONE") +
                                 urc("+ECPING:dest: 10.1.2.3, 4 packets transmittted, 4 received, 0 % packet "
                                     "loss\r rtt min/avg/max = 60 / 60 / 60 ms"));
  EXPECT_EQ(until(ms(30000)), "");
  EXPECT_TRUE(h->logged_reason("note")) << h->log_text();
}

TEST_F(Ping, SpacedStyleOnEc616s) {
  scenario::scenario w;
  w.broker.ping.rtt = ms(25);
  start_ec616s(w);
  EXPECT_EQ(command("AT+ECPING=\"10.1.2.3\",1"), ok);
  EXPECT_EQ(until(ms(25)), urc("+ECPING: SUCC, dest: 10.1.2.3, RTT: 25 ms") + summary("10.1.2.3", 1, 1, 25, true));
}

// ---- the scenario's model: rtt and loss per host, names ---------------------------------

TEST_F(Ping, LossPerHostTimesOutTheLostRequests) {
  scenario::scenario w;
  auto lossy = host("lossy.example", 80, 0.5);
  lossy.address = "192.0.2.7";
  w.broker.ping.hosts.push_back(lossy);
  start(w);
  EXPECT_EQ(command("AT+ECPING=\"lossy.example\",4,32,500"), ok);
  EXPECT_EQ(until(ms(80)), urc("+ECPING:SUCC, dest: 192.0.2.7, RTT: 80 ms"));
  EXPECT_EQ(until(ms(1499)), "");
  EXPECT_EQ(until(ms(1500)), urc("+ECPING:FAIL, dest: 192.0.2.7, time out: 500 ms"));
  EXPECT_EQ(until(ms(2080)), urc("+ECPING:SUCC, dest: 192.0.2.7, RTT: 80 ms"));
  EXPECT_EQ(until(ms(3500)), urc("+ECPING:FAIL, dest: 192.0.2.7, time out: 500 ms") + summary("192.0.2.7", 4, 2, 80));
}

TEST_F(Ping, EveryRequestTimingOutEndsWithCause7) {
  scenario::scenario w;
  w.broker.unreachable = {"dead.example"};
  start(w);
  EXPECT_EQ(command("AT+ECPING=\"dead.example\",2,32,1500"), ok);
  const std::string dest = h->modem().ping.target.address;
  EXPECT_EQ(dest.rfind("198.51.100.", 0), 0u) << dest;
  EXPECT_EQ(until(ms(1499)), "");
  EXPECT_EQ(until(ms(1500)), urc("+ECPING:FAIL, dest: " + dest + ", time out: 1500 ms"));
  EXPECT_EQ(until(ms(3000)),
            urc("+ECPING:FAIL, dest: " + dest + ", time out: 1500 ms") + urc("+ECPING:ERROR, cause: 7"));
  EXPECT_EQ(until(ms(60000)), "");
}

TEST_F(Ping, AllTimeoutsOnEc616sAreSpaced) {
  scenario::scenario w;
  w.broker.ping.hosts.push_back(host("10.9.9.9", std::nullopt, 1.0));
  start_ec616s(w);
  EXPECT_EQ(command("AT+ECPING=\"10.9.9.9\",1,32,1000"), ok);
  EXPECT_EQ(until(ms(1000)), urc("+ECPING: FAIL, dest: 10.9.9.9, time out: 1000 ms") + urc("+ECPING: ERROR, cause: 7"));
}

TEST_F(Ping, UnresolvableHostEndsWithCause5AfterOk) {
  scenario::scenario w;
  w.broker.unresolvable = {"Gone.Example"};
  start(w);
  EXPECT_EQ(command("AT+ECPING=\"gone.example\""), ok);
  EXPECT_EQ(until(ms(299)), "");
  EXPECT_EQ(until(ms(300)), urc("+ECPING:ERROR, cause: 5"));
  EXPECT_EQ(until(ms(30000)), "");
  // Names under .invalid never resolve, as for AT+ECMTOPEN.
  EXPECT_EQ(command("AT+ECPING=\"broker.invalid\",1"), ok);
  EXPECT_EQ(until(ms(300)), urc("+ECPING:ERROR, cause: 5"));
  start_ec616s(w);
  EXPECT_EQ(command("AT+ECPING=\"gone.example\""), ok);
  EXPECT_EQ(until(ms(300)), urc("+ECPING: ERROR, cause: 5"));
}

TEST_F(Ping, MappedHostPingsItsTargetAddress) {
  scenario::scenario w;
  w.broker.live = true;  // host mappings are for a live broker, as for AT+ECMTOPEN
  w.broker.map_host = {{"broker.example.com", "127.0.0.1:18830"}};
  w.broker.ping.rtt = ms(20);
  start(w, false);
  EXPECT_EQ(command("AT+ECPING=\"broker.example.com\",1"), ok);
  EXPECT_EQ(until(ms(20)), urc("+ECPING:SUCC, dest: 127.0.0.1, RTT: 20 ms") + summary("127.0.0.1", 1, 1, 20));
}

TEST_F(Ping, SendFailureIsReportedAndNotCountedAsTransmitted) {
  scenario::scenario w;
  auto flaky = host("10.0.0.5", 40);
  flaky.send_fail = {2};
  w.broker.ping.hosts.push_back(flaky);
  start(w);
  EXPECT_EQ(command("AT+ECPING=\"10.0.0.5\",3"), ok);
  EXPECT_EQ(until(ms(40)), urc("+ECPING:SUCC, dest: 10.0.0.5, RTT: 40 ms"));
  EXPECT_EQ(until(ms(999)), "");
  EXPECT_EQ(until(ms(1000)), urc("+ECPING:SEND FAIL: 3, dest: 10.0.0.5"));
  EXPECT_EQ(until(ms(2040)), urc("+ECPING:SUCC, dest: 10.0.0.5, RTT: 40 ms") + summary("10.0.0.5", 2, 2, 40));
}

TEST_F(Ping, LosingThePdpContextMidPingMakesTheNextRequestsSendFailures) {
  start();
  EXPECT_EQ(command("AT+ECPING=\"10.1.2.3\",2"), ok);
  EXPECT_EQ(until(ms(60)), urc("+ECPING:SUCC, dest: 10.1.2.3, RTT: 60 ms"));
  EXPECT_EQ(h->exchange("AT+CGATT=0", ms(10)), ok);
  EXPECT_EQ(until(ms(1000)), urc("+ECPING:SEND FAIL: 3, dest: 10.1.2.3") + summary("10.1.2.3", 1, 1, 60));
}

TEST_F(Ping, JitterIsSeededAndBounded) {
  scenario::scenario w;
  w.broker.ping.jitter = ms(10);
  w.broker.ping.seed = 42;
  auto rtts = [&] {
    start(w);
    command("AT+ECPING=\"10.1.2.3\",5");
    std::string out = until(ms(6000));
    std::vector<int> got;
    for (std::size_t p = out.find("RTT: "); p != std::string::npos; p = out.find("RTT: ", p + 1))
      got.push_back(std::stoi(out.substr(p + 5)));
    return got;
  };
  const auto first = rtts();
  ASSERT_EQ(first.size(), 5u);
  for (int r : first) {
    EXPECT_GE(r, 50);
    EXPECT_LE(r, 70);
  }
  EXPECT_EQ(rtts(), first) << "the same seed gives the same round trips";
  EXPECT_NE(std::count(first.begin(), first.end(), first[0]), 5) << "the round trips vary";
}

// ---- stop form ----------------------------------------------------------------------

TEST_F(Ping, StopFormEndsARunningPingSilently) {
  start();
  EXPECT_EQ(command("AT+ECPING=\"10.1.2.3\",10"), ok);
  EXPECT_EQ(until(ms(1060)),
            urc("+ECPING:SUCC, dest: 10.1.2.3, RTT: 60 ms") + urc("+ECPING:SUCC, dest: 10.1.2.3, RTT: 60 ms"));
  EXPECT_EQ(h->exchange("AT+ECPING=0", ms(10)), ok);
  EXPECT_FALSE(h->modem().ping.active);
  h->run_for(ms(20000));
  EXPECT_EQ(h->take_output(), "");
  // A new ping may start at once.
  EXPECT_EQ(command("AT+ECPING=\"10.1.2.3\",1"), ok);
  EXPECT_NE(until(ms(100)).find("+ECPING:DONE"), std::string::npos);
}

TEST_F(Ping, StopWithNothingRunningIsRefused) {
  start();
  EXPECT_EQ(h->exchange("AT+ECPING=0"), socket_error("OPERATION NO SUPPORT"));
  EXPECT_TRUE(h->logged_reason("state.not_allowed"));
}

// ---- +SOCKET ERROR results ------------------------------------------------------------

TEST_F(Ping, ParameterErrorsAreSocketErrorsUnderEveryCmee) {
  for (const char* cmee : {"AT+CMEE=0", "AT+CMEE=1", "AT+CMEE=2"}) {
    SCOPED_TRACE(cmee);
    start();
    EXPECT_EQ(h->exchange(cmee), ok);
    for (const char* line : {"AT+ECPING=\"h\",0", "AT+ECPING=\"h\",256", "AT+ECPING=\"h\",4,0",
                             "AT+ECPING=\"h\",4,1501", "AT+ECPING=\"h\",4,32,0", "AT+ECPING=\"h\",4,32,600001",
                             "AT+ECPING=\"h\",4,32,1000,2", "AT+ECPING=5", "AT+ECPING=0,4", "AT+ECPING=\"\""}) {
      SCOPED_TRACE(line);
      EXPECT_EQ(h->exchange(line), socket_error("PARAMETER ERROR"));
    }
    EXPECT_EQ(h->exchange("AT+ECPING=\"" + std::string(256, 'a') + "\""), socket_error("PARAMETER ERROR"));
    EXPECT_EQ(h->exchange("AT+ECPING?"), socket_error("OPERATION NO SUPPORT"));
    EXPECT_EQ(h->exchange("AT+ECPING"), socket_error("OPERATION NO SUPPORT"));
    EXPECT_EQ(h->exchange("AT+ECPING=0"), socket_error("OPERATION NO SUPPORT"));
    EXPECT_FALSE(h->modem().ping.active);
  }
  EXPECT_TRUE(h->logged_reason("param.range"));
  EXPECT_TRUE(h->logged_reason("param.empty"));
  EXPECT_TRUE(h->logged_reason("param.too_long"));
  EXPECT_TRUE(h->logged_reason("form.not_supported"));
}

TEST_F(Ping, LimitsAreAccepted) {
  start();
  EXPECT_EQ(h->exchange("AT+ECPING=\"" + std::string(255, 'a') + "\",255,1500,600000,1", ms(10)), ok);
  EXPECT_EQ(h->exchange("AT+ECPING=0", ms(10)), ok);
  // The set form takes a timeout from 1 ms although the test text says 1000; the timeout
  // falls due before the OK, so its URCs follow the OK.
  EXPECT_EQ(command("AT+ECPING=10.1.2.3,1,1,1,0"),
            ok + urc("+ECPING:FAIL, dest: 10.1.2.3, time out: 1 ms") + urc("+ECPING:ERROR, cause: 7"));
}

TEST_F(Ping, SocketErrorsAreNeverCompactedAndStayTextualUnderAtv0) {
  start_ec616s();
  EXPECT_EQ(h->exchange("AT+ECPING=\"h\",0"), socket_error("PARAMETER ERROR"));
  EXPECT_EQ(h->exchange("ATV0"), "0\r");
  EXPECT_EQ(h->exchange("AT+ECPING?"), "+SOCKET ERROR: OPERATION NO SUPPORT\r\n");
}

TEST_F(Ping, SyntaxErrorsStayError) {
  start();
  EXPECT_EQ(h->exchange("AT+ECPING=\"h\",abc"), "\r\nERROR\r\n");
  EXPECT_EQ(h->exchange("AT+ECPING=\"h\",4,32,1000,0,9"), "\r\nERROR\r\n");
  EXPECT_EQ(h->exchange("AT+ECPING=\"h"), "\r\nERROR\r\n");
}

TEST_F(Ping, CannotStartWithoutPdpOrWhileOneRuns) {
  start();
  EXPECT_EQ(h->exchange("AT+ECPING=\"10.1.2.3\"", ms(10)), ok);
  EXPECT_EQ(h->exchange("AT+ECPING=\"10.1.2.4\"", ms(10)), socket_error("UNKNOWN"));
  EXPECT_TRUE(h->logged_reason("state.not_allowed"));
  EXPECT_EQ(h->exchange("AT+ECPING=0", ms(10)), ok);
  EXPECT_EQ(h->exchange("AT+CFUN=0", ms(400)), ok);
  EXPECT_EQ(h->exchange("AT+CMEE=2"), ok);
  EXPECT_EQ(h->exchange("AT+ECPING=\"10.1.2.3\""), socket_error("UNKNOWN"));
  EXPECT_TRUE(h->logged_reason("net.no_pdp"));
  h->run_for(ms(30000));
  EXPECT_EQ(h->take_output(), "");
}

// ---- ordering (§6.2) and the note ------------------------------------------------------

TEST_F(Ping, UrcsWaitForTheFinalResultAndForAHalfTypedLine) {
  scenario::scenario w;
  w.broker.ping.rtt = ms(1);
  start(w);
  // The reply is due before the OK (5 ms): it follows it.
  EXPECT_EQ(command("AT+ECPING=\"10.1.2.3\",2"), ok + urc("+ECPING:SUCC, dest: 10.1.2.3, RTT: 1 ms"));
  // A line being typed holds the next reply until its final result.
  h->run_for(ms(1000 - 10 - 5));
  h->send("AT");
  h->run_for(ms(50));
  EXPECT_EQ(h->take_output(), "");
  h->send("\r");
  h->run_for(ms(10));
  EXPECT_EQ(h->take_output(), ok + urc("+ECPING:SUCC, dest: 10.1.2.3, RTT: 1 ms") + summary("10.1.2.3", 2, 2, 1));
}

TEST_F(Ping, TheSimulationNoteIsLoggedOnceAndNamesLiveMode) {
  scenario::scenario w;
  w.broker.live = true;
  start(w, false);
  EXPECT_EQ(h->exchange("AT+ECPING=\"10.1.2.3\",1", ms(200)).substr(0, ok.size()), ok);
  EXPECT_EQ(h->exchange("AT+ECPING=\"10.1.2.3\",1", ms(200)).substr(0, ok.size()), ok);
  int notes = 0;
  for (const auto& l : h->logs())
    if (l.reason == "note" && l.text.find("ECPING") != std::string::npos) {
      ++notes;
      EXPECT_NE(l.text.find("live mode"), std::string::npos) << l.text;
    }
  EXPECT_EQ(notes, 1);
}

TEST_F(Ping, ARebootEndsThePing) {
  start();
  EXPECT_EQ(command("AT+ECPING=\"10.1.2.3\",10"), ok);
  EXPECT_EQ(h->exchange("AT+ECRST", ms(2000)), ok + urc("ECRDY"));
  EXPECT_FALSE(h->modem().ping.active);
  h->run_for(ms(20000));
  EXPECT_EQ(h->take_output().find("+ECPING"), std::string::npos);
}

}  // namespace
}  // namespace nt35e::test
