// Spec §5.10 acceptance table: every command against every state, id 0, nt35e quirks.
// The network is driven by hand (no broker) so each state can be held still.

#include <gtest/gtest.h>

#include <memory>

#include "support/core_harness.hpp"

namespace nt35e::test {
namespace {

using ms = std::chrono::milliseconds;
using modem::ecmt_state;

const std::string ok = "\r\nOK\r\n";
const std::string cme3 = "\r\n+CME ERROR: 3\r\n";

struct cell_case {
  ecmt_state state;
  const char* name;
};

class StateTable : public ::testing::TestWithParam<cell_case> {
 protected:
  // Brings id 0 into the wanted state without a broker answering by itself.
  // A fresh module for every cell, so one command cannot change the next one's state.
  void enter_again(ecmt_state target) {
    hp = std::make_unique<core_harness>(*modem::builtin_profile("nt35e"), /*with_broker=*/false);
    enter(target);
  }

  void enter(ecmt_state target) {
    auto& h = *hp;
    h.boot_and_register();
    ASSERT_EQ(h.exchange("ATE0"), "ATE0\r" + ok);
    if (target == ecmt_state::none) return;
    if (target == ecmt_state::configured) {
      ASSERT_EQ(h.exchange("AT+ECMTCFG=\"keepalive\",0,60"), ok);
      return;
    }
    h.exchange("AT+ECMTOPEN=0,\"broker.example\",1883", ms(1100));
    if (target == ecmt_state::opening) return;
    h.event(mqtt::event::opened{0, true, ""});
    h.take_output();
    if (target == ecmt_state::opened) return;
    if (target == ecmt_state::disc_fail) {
      ASSERT_EQ(h.exchange("AT+ECMTDISC=0"), ok + "\r\n+ECMTDISC:0,-1\r\n");
      return;
    }
    h.exchange("AT+ECMTCONN=0", ms(10));
    if (target == ecmt_state::connecting) return;
    if (target == ecmt_state::connect_fail) {
      h.event(mqtt::event::connect_failed{0, "injected"});
      ASSERT_EQ(h.take_output(), "\r\n+ECMTCONN:0,2,2\r\n");
      return;
    }
    h.event(mqtt::event::connack{0, 0});
    h.take_output();
    if (target == ecmt_state::connected) return;
    h.event(mqtt::event::link_lost{0, "injected"});
    h.run_for(std::chrono::milliseconds(100));  // noticed at the next receive-loop pass
    h.take_output();                            // +ECMTSTAT; reconnect attempts get no answer, so it stays RECONNECTING
  }

  std::string answer(const std::string& line) {
    auto& h = *hp;
    h.send(line + "\r");
    h.run_for(ms(1100));  // long enough for any OK, short of the 10 s CONNACK limit
    auto out = h.take_output();
    // Only the immediate answer matters here: the earliest final result.
    std::size_t best = std::string::npos;
    std::string final;
    for (const char* f : {"\r\nOK\r\n", "\r\n+CME ERROR: 3\r\n", "\r\nERROR\r\n"}) {
      auto p = out.find(f);
      if (p < best) {
        best = p;
        final = f;
      }
    }
    if (best != std::string::npos) return final;
    return out;
  }

  std::unique_ptr<core_harness> hp;
};

TEST_P(StateTable, EveryCommandGetsTheSpecifiedAnswer) {
  auto s = GetParam().state;
  enter_again(s);
  ASSERT_EQ(hp->modem().ecmt[0].state, s) << hp->log_text();
  bool none = s == ecmt_state::none;
  bool configured = s == ecmt_state::configured;
  bool connected = s == ecmt_state::connected;

  struct row {
    const char* line;
    bool accepted;
  };
  const row rows[] = {
      {"AT+ECMTCFG=\"keepalive\",0", !none},   {"AT+ECMTSUB=0,1,\"t\",1", connected},
      {"AT+ECMTUNS=0,1,\"t\"", connected},     {"AT+ECMTPUB=0,1,1,0,\"t\",\"x\"", connected},
      {"AT+ECMTCONN=0", !none && !configured}, {"AT+ECMTCLOSE=0", s == ecmt_state::opened || connected},
  };
  for (const auto& r : rows) {
    enter_again(s);
    EXPECT_EQ(answer(r.line), r.accepted ? ok : cme3) << r.line << " in " << GetParam().name;
  }
  enter_again(s);
  EXPECT_EQ(answer("AT+ECMTDISC=0"), s == ecmt_state::opened || connected ? ok : cme3) << GetParam().name;
  enter_again(s);
  EXPECT_EQ(answer("AT+ECMTOPEN=0,\"broker.example\",1883"), ok) << GetParam().name;
  enter_again(s);
  EXPECT_EQ(answer("AT+ECMTCFG=\"session\",0,1"), ok) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(
    AllStates, StateTable,
    ::testing::Values(cell_case{ecmt_state::none, "NONE"}, cell_case{ecmt_state::configured, "CONFIGURED"},
                      cell_case{ecmt_state::opening, "OPENING"}, cell_case{ecmt_state::opened, "OPENED"},
                      cell_case{ecmt_state::connecting, "CONNECTING"}, cell_case{ecmt_state::connected, "CONNECTED"},
                      cell_case{ecmt_state::reconnecting, "RECONNECTING"},
                      cell_case{ecmt_state::connect_fail, "CONNECT_FAIL"},
                      cell_case{ecmt_state::disc_fail, "DISC_FAIL"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace nt35e::test
