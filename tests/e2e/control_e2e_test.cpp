// End-to-end: the runtime control channel (--control) of the real nt35e-sim binary,
// driven while a DTE is connected over TCP, plus the scenario and time-scale options.
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
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/control_client.hpp"
#include "support/sim_process.hpp"
#include "support/temp_dir.hpp"

namespace nt35e::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using clock = std::chrono::steady_clock;

const std::string ok = "\r\nOK\r\n";
std::string line(std::string_view t) { return "\r\n" + std::string(t) + "\r\n"; }

/// The port from the "control: ADDR:PORT" line, which must come before "ready:" on stdout.
int control_port(const sim_process& sim, std::string* error) {
  const std::string all = sim.diagnostics();
  const std::string marker = "\nnt35e-sim stdout:\n";
  auto out = all.find(marker);
  if (out == std::string::npos) return *error = "nothing on stdout", 0;
  std::string stdout_text = all.substr(out + marker.size());
  auto control = stdout_text.find("control: ");
  auto ready = stdout_text.find("ready: ");
  if (control == std::string::npos) return *error = "no \"control:\" line on stdout", 0;
  if (ready != std::string::npos && control > ready) return *error = "the \"control:\" line comes after \"ready:\"", 0;
  if (control != 0 && stdout_text[control - 1] != '\n') return *error = "\"control:\" does not start a line", 0;
  auto end = stdout_text.find('\n', control);
  std::string text = stdout_text.substr(control, end - control);  // "control: 127.0.0.1:40123"
  if (text.rfind("control: 127.0.0.1:", 0) != 0) return *error = "unexpected control line: " + text, 0;
  return std::atoi(text.c_str() + text.rfind(':') + 1);
}

/// An answer of the channel: ok is a boolean, and an error is a sentence.
::testing::AssertionResult well_formed(const json& a) {
  if (!a.is_object()) return ::testing::AssertionFailure() << "not a JSON object: " << a.dump();
  if (!a.contains("ok") || !a["ok"].is_boolean()) return ::testing::AssertionFailure() << "no boolean ok: " << a.dump();
  if (!a["ok"].get<bool>() &&
      (!a.contains("error") || !a["error"].is_string() || a["error"].get<std::string>().empty()))
    return ::testing::AssertionFailure() << "ok=false without an error sentence: " << a.dump();
  return ::testing::AssertionSuccess();
}

/// An ok=false answer whose error mentions `needle` (case-sensitive; "" = anything).
::testing::AssertionResult refused(const json& a, std::string_view needle = {}) {
  if (auto w = well_formed(a); !w) return w;
  if (a["ok"].get<bool>()) return ::testing::AssertionFailure() << "expected ok=false: " << a.dump();
  if (a["error"].get<std::string>().find(needle) == std::string::npos)
    return ::testing::AssertionFailure() << "the error does not mention \"" << needle << "\": " << a.dump();
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult accepted(const json& a) {
  if (auto w = well_formed(a); !w) return w;
  if (!a["ok"].get<bool>()) return ::testing::AssertionFailure() << "expected ok=true: " << a.dump();
  return ::testing::AssertionSuccess();
}

/// The state of id 0 in a state answer, or "" when it has no context.
std::string id0_state(const json& state) {
  if (!state.contains("ecmt")) return {};
  for (const auto& e : state["ecmt"])
    if (e.value("id", -1) == 0) return e.value("state", "");
  return {};
}

// ---------------------------------------------------------------------------
// A modem with id 0 connected to the default (scripted) broker, a DTE on TCP and
// the control channel.

/// Starts the simulator on TCP with a control channel (and `extra` options), reads the
/// channel's port and connects a DTE that has seen the boot banner.
void start_with_control(const std::vector<std::string>& extra, std::unique_ptr<sim_process>& sim, int& port,
                        std::unique_ptr<dte_client>& dte) {
  std::vector<std::string> args{
      "--tcp", "0", "--control", "0", "--set", "timing.boot=50", "--set", "timing.registration=50"};
  args.insert(args.end(), extra.begin(), extra.end());
  sim = std::make_unique<sim_process>(args);
  ASSERT_TRUE(sim->wait_ready()) << sim->diagnostics();
  std::string why;
  port = control_port(*sim, &why);
  ASSERT_GT(port, 0) << why << "\n" << sim->diagnostics();
  dte = std::make_unique<dte_client>(dte_client::connect_tcp(sim->tcp_port()));
  ASSERT_EQ(dte->read_until("ECRDY\r\n", 5s), line("ECRDY")) << sim->diagnostics();
}

class ControlChannel : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(start_with_control({}, sim_, port_, dte_));
    ASSERT_EQ(cmd("ATE0", ok), "ATE0\r" + ok);
    std::string cereg;
    for (int i = 0; i < 50 && cereg != line("+CEREG:0,1") + ok; ++i) {
      cereg = cmd("AT+CEREG?", ok);
      if (cereg != line("+CEREG:0,1") + ok) dte_->read_for(50ms);
    }
    ASSERT_EQ(cereg, line("+CEREG:0,1") + ok) << sim_->diagnostics();
    ASSERT_EQ(cmd("AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", "+ECMTOPEN:0,0\r\n", 5s), ok + line("+ECMTOPEN:0,0"))
        << sim_->diagnostics();
    ASSERT_EQ(cmd("AT+ECMTCONN=0", "+ECMTCONN:0,0,0\r\n", 5s), ok + line("+ECMTCONN:0,0,0")) << sim_->diagnostics();
  }

  std::string cmd(const std::string& l, std::string_view until, milliseconds timeout = 3s) {
    EXPECT_TRUE(dte_->send(l + "\r"));
    return dte_->read_until(until, timeout);
  }

  /// The DTE still gets answers: the simulator did not crash or hang.
  void expect_modem_alive() {
    EXPECT_EQ(cmd("AT", ok), ok) << sim_->diagnostics();
    EXPECT_FALSE(sim_->wait_exit(0ms)) << sim_->diagnostics();
  }

  std::unique_ptr<sim_process> sim_;
  std::unique_ptr<dte_client> dte_;
  int port_ = 0;
};

TEST_F(ControlChannel, StateShowsTheConnectedId) {
  control_client c(port_);
  ASSERT_TRUE(c.connected());
  json state = c.ask(R"({"query":"state"})");
  ASSERT_TRUE(accepted(state)) << sim_->diagnostics();
  EXPECT_EQ(state.value("profile", ""), "nt35e");
  EXPECT_EQ(state.value("registration", -1), 1);
  EXPECT_EQ(state.value("booting", true), false);
  EXPECT_EQ(state.value("cfun", -1), 1);
  EXPECT_EQ(state.value("sim", false), true);
  EXPECT_TRUE(state.contains("uptime_s") && state["uptime_s"].is_number());
  ASSERT_TRUE(state.contains("ecmt") && state["ecmt"].is_array()) << state.dump();
  EXPECT_EQ(id0_state(state), "CONNECTED") << state.dump();
  for (const auto& e : state["ecmt"]) {
    if (e.value("id", -1) != 0) continue;
    EXPECT_EQ(e.value("host", ""), "test.mosquitto.org");
    EXPECT_EQ(e.value("port", 0), 1883);
    EXPECT_TRUE(e.contains("subscriptions") && e["subscriptions"].is_array());
  }
  ASSERT_TRUE(state.contains("counters") && state["counters"].is_object()) << state.dump();
  EXPECT_GE(state["counters"].value("commands", 0), 3);

  // A subscription shows up with its granted QoS.
  ASSERT_EQ(cmd("AT+ECMTSUB=0,1,\"t\",1", "+ECMTSUB:0,1,0,1\r\n"), ok + line("+ECMTSUB:0,1,0,1"));
  state = c.ask(R"({"query":"state"})");
  ASSERT_TRUE(accepted(state));
  bool found = false;
  for (const auto& e : state["ecmt"])
    for (const auto& s : e.value("subscriptions", json::array()))
      if (s.value("topic", "") == "t" && s.value("qos", -1) == 1) found = true;
  EXPECT_TRUE(found) << state.dump();

  // Help lists the request forms and the action names.
  json help = c.ask(R"({"query":"help"})");
  ASSERT_TRUE(accepted(help));
  ASSERT_TRUE(help.contains("actions") && help["actions"].is_array());
  EXPECT_NE(help["actions"].dump().find("\"drop_link\""), std::string::npos) << help.dump();
  EXPECT_TRUE(help.contains("requests"));
}

TEST_F(ControlChannel, DropLinkWhileTheDteIsConnected) {
  control_client c(port_);
  ASSERT_TRUE(c.connected());
  json fired = c.ask(R"({"fire": {"action": "drop_link", "id": 0}})");
  ASSERT_TRUE(accepted(fired)) << sim_->diagnostics();
  ASSERT_TRUE(fired.contains("fired")) << fired.dump();
  EXPECT_EQ(fired["fired"].value("action", ""), "drop_link") << fired.dump();
  EXPECT_EQ(fired["fired"].value("id", -1), 0) << fired.dump();

  // The link drops at once, then the module reconnects by itself.
  EXPECT_EQ(dte_->read_until("+ECMTSTAT:0,1\r\n", 3s), line("+ECMTSTAT:0,1")) << sim_->diagnostics();
  std::string after = dte_->read_until("+ECMTCONN:0,0,0\r\n", 15s);
  EXPECT_NE(after.find(line("+ECMTCONN:0,0,0")), std::string::npos) << printable(after) << "\n" << sim_->diagnostics();

  json state = c.ask(R"({"query":"state"})");
  ASSERT_TRUE(accepted(state));
  EXPECT_EQ(id0_state(state), "CONNECTED") << state.dump();
  EXPECT_GE(state["counters"].value("faults", 0), 1) << state.dump();
  expect_modem_alive();
}

TEST_F(ControlChannel, DeliverShortcutAndFireDeliver) {
  ASSERT_EQ(cmd("AT+ECMTSUB=0,1,\"t\",1", "+ECMTSUB:0,1,0,1\r\n"), ok + line("+ECMTSUB:0,1,0,1"));
  control_client c(port_);
  ASSERT_TRUE(c.connected());
  json answer = c.ask(R"({"deliver": {"id": 0, "topic": "t", "payload": "p", "qos": 0}})");
  ASSERT_TRUE(accepted(answer)) << sim_->diagnostics();
  EXPECT_EQ(answer["fired"].value("action", ""), "deliver") << answer.dump();
  std::string urc = dte_->read_until("+ECMTRECV:0,0,\"t\",p\r\n", 3s);
  EXPECT_EQ(urc, line("+ECMTRECV:0,0,\"t\",p")) << sim_->diagnostics();

  // QoS 1: the message id is the broker's choice.
  answer = c.ask(R"({"deliver": {"id": 0, "topic": "t", "payload": "q1", "qos": 1}})");
  ASSERT_TRUE(accepted(answer));
  urc = dte_->read_until(",\"t\",q1\r\n", 3s);
  EXPECT_NE(urc.find("\r\n+ECMTRECV:0,"), std::string::npos) << printable(urc);
  EXPECT_NE(urc.find(",\"t\",q1\r\n"), std::string::npos) << printable(urc);

  // The same through "fire".
  answer = c.ask(R"({"fire": {"action": "deliver", "id": 0, "topic": "t", "payload": "again"}})");
  ASSERT_TRUE(accepted(answer));
  urc = dte_->read_until("+ECMTRECV:0,0,\"t\",again\r\n", 3s);
  EXPECT_NE(urc.find(line("+ECMTRECV:0,0,\"t\",again")), std::string::npos) << printable(urc);
  expect_modem_alive();
}

TEST_F(ControlChannel, NetworkShortcuts) {
  ASSERT_EQ(cmd("AT+CEREG=1", ok), ok);
  control_client c(port_);
  json answer = c.ask(R"({"network": {"registration": "denied"}})");
  ASSERT_TRUE(accepted(answer)) << sim_->diagnostics();
  ASSERT_TRUE(answer["fired"].is_array()) << answer.dump();
  EXPECT_EQ(answer["fired"][0].value("action", ""), "lose_registration") << answer.dump();
  std::string urcs = dte_->read_until("+CEREG:3\r\n", 3s);
  EXPECT_NE(urcs.find(line("+CEREG:3")), std::string::npos) << printable(urcs) << "\n" << sim_->diagnostics();
  json state = c.ask(R"({"query":"state"})");
  EXPECT_EQ(state.value("registration", -1), 3) << state.dump();

  answer = c.ask(R"({"network": {"registration": "home"}})");
  ASSERT_TRUE(accepted(answer));
  EXPECT_EQ(answer["fired"][0].value("action", ""), "regain_registration") << answer.dump();
  urcs = dte_->read_until("+CEREG:1\r\n", 5s);
  EXPECT_NE(urcs.find(line("+CEREG:1")), std::string::npos) << printable(urcs) << "\n" << sim_->diagnostics();

  answer = c.ask(R"({"network": {"rssi": 10}})");
  ASSERT_TRUE(accepted(answer));
  EXPECT_EQ(answer["fired"][0].value("action", ""), "set_signal") << answer.dump();
  dte_->read_for(100ms);
  EXPECT_EQ(cmd("AT+CSQ", ok), line("+CSQ:10,99") + ok);

  EXPECT_TRUE(refused(c.ask(R"({"network": {"registration": "sideways"}})"), "sideways"));
  EXPECT_TRUE(refused(c.ask(R"({"network": {"rsi": 10}})"), "did you mean \"rssi\""));
  EXPECT_TRUE(refused(c.ask(R"({"network": {}})")));
  expect_modem_alive();
}

TEST_F(ControlChannel, BadRequestsGetOneClearAnswerAndChangeNothing) {
  control_client c(port_);
  ASSERT_TRUE(c.connected());
  EXPECT_TRUE(refused(c.ask("hello"), "not valid JSON"));
  EXPECT_TRUE(refused(c.ask("{\"fire\": "), "not valid JSON"));
  EXPECT_TRUE(refused(c.ask("[1, 2]"), "JSON object"));
  EXPECT_TRUE(refused(c.ask("42"), "JSON object"));
  EXPECT_TRUE(refused(c.ask("{}"), "empty"));
  EXPECT_TRUE(refused(c.ask(R"({"fier": {"action": "drop_link"}})"), "did you mean \"fire\""));
  EXPECT_TRUE(refused(c.ask(R"({"fire": {"action": "drop_link"}, "query": "state"})"), "one request per line"));
  EXPECT_TRUE(refused(c.ask(R"({"fire": 7})"), "\"fire\" expects"));
  EXPECT_TRUE(refused(c.ask(R"({"query": "everything"})"), "unknown query"));
  EXPECT_TRUE(refused(c.ask(std::string("\x00\xff\xfe{\x01", 5))));
  EXPECT_TRUE(refused(c.ask(std::string(100, '[') + std::string(100, ']')), "nested"));
  // Unknown action names and ids out of range are the loader's diagnostics.
  EXPECT_TRUE(refused(c.ask(R"({"fire": {"action": "explode", "id": 0}})"), "explode"));
  EXPECT_TRUE(refused(c.ask(R"({"fire": {"action": "drop_link", "id": 9}})"), "9"));
  EXPECT_TRUE(refused(c.ask(R"({"fire": {"action": "drop_link", "id": "zero"}})")));
  EXPECT_TRUE(refused(c.ask(R"({"deliver": {"id": 0, "topic": "t", "payload": "p", "qos": 7}})")));
  // Nothing of that reached the modem.
  EXPECT_EQ(dte_->read_for(300ms), "");
  json state = c.ask(R"({"query":"state"})");
  ASSERT_TRUE(accepted(state)) << "the connection must stay usable\n" << sim_->diagnostics();
  EXPECT_EQ(id0_state(state), "CONNECTED");
  EXPECT_EQ(state["counters"].value("faults", -1), 0) << state.dump();
  // Blank lines are ignored, CRLF is accepted.
  ASSERT_TRUE(c.send("\n  \n{\"query\":\"state\"}\r\n"));
  auto l = c.read_line();
  ASSERT_TRUE(l);
  EXPECT_TRUE(accepted(json::parse(*l, nullptr, false)));
  expect_modem_alive();
}

TEST_F(ControlChannel, ClientsLeavingMidLineOrSendingTooMuch) {
  {
    // Half a request, then gone: forgotten.
    control_client c(port_);
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send(R"({"fire": {"action": "drop_)"));
  }
  {
    // Connected and gone without a byte.
    control_client c(port_);
    ASSERT_TRUE(c.connected());
  }
  {
    // A line over 64 KiB: one error answer, then the connection is closed.
    control_client c(port_);
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send(std::string(70'000, 'x')));
    auto l = c.read_line();
    ASSERT_TRUE(l) << sim_->diagnostics();
    EXPECT_TRUE(refused(json::parse(*l, nullptr, false), "longer than"));
    EXPECT_TRUE(c.closed_by_peer());
  }
  // Several clients at once, answered each on its own connection.
  control_client a(port_), b(port_);
  ASSERT_TRUE(a.connected() && b.connected());
  ASSERT_TRUE(a.send(R"({"query":)"));  // a's line is incomplete while b asks
  EXPECT_TRUE(accepted(b.ask(R"({"query":"state"})")));
  ASSERT_TRUE(a.send("\"state\"}\n"));
  auto l = a.read_line();
  ASSERT_TRUE(l);
  EXPECT_TRUE(accepted(json::parse(*l, nullptr, false)));
  // Many requests in one write, answered in order.
  ASSERT_TRUE(b.send("{\"query\":\"state\"}\nnope\n{\"query\":\"help\"}\n"));
  auto first = b.read_line(), second = b.read_line(), third = b.read_line();
  ASSERT_TRUE(first && second && third);
  EXPECT_TRUE(json::parse(*first).contains("ecmt"));
  EXPECT_TRUE(refused(json::parse(*second)));
  EXPECT_TRUE(json::parse(*third).contains("actions"));
  // The drop_ that never finished was not fired.
  EXPECT_EQ(dte_->read_for(200ms), "");
  expect_modem_alive();
}

// ---------------------------------------------------------------------------
// Command line

TEST(ControlCommandLine, TimeScaleMustBeAPositiveNumber) {
  for (const char* bad : {"0", "abc", "-1", "1e999", "nan"}) {
    auto r = run_sim({"--tcp", "0", "--time-scale", bad});
    EXPECT_EQ(r.status, 2) << bad << "\n" << r.err;
    EXPECT_NE(r.err.find("--time-scale"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
  }
  auto r = run_sim({"--tcp", "0", "--time-scale"});
  EXPECT_EQ(r.status, 2) << r.err;
}

TEST(ControlCommandLine, TimeScaleMakesTheBannerEarlier) {
  sim_process sim({"--tcp", "0", "--time-scale", "0.05"});
  ASSERT_TRUE(sim.wait_ready()) << sim.diagnostics();
  auto started = clock::now();
  auto dte = dte_client::connect_tcp(sim.tcp_port());
  EXPECT_EQ(dte.read_until("ECRDY\r\n", 3s), line("ECRDY")) << sim.diagnostics();
  // 1500 ms at full scale; 75 ms here (generous bound for a loaded machine).
  EXPECT_LT(clock::now() - started, 1000ms);
}

TEST(ControlCommandLine, BadControlAddress) {
  for (const char* bad : {"abc", "70000", "1.2.3:5"}) {
    auto r = run_sim({"--tcp", "0", "--control", bad});
    EXPECT_EQ(r.status, 2) << bad << "\n" << r.err;
    EXPECT_NE(r.err.find("--control"), std::string::npos) << r.err;
  }
}

TEST(ControlCommandLine, AnEndpointOptionGivenTwiceIsOneSentence) {
  for (const char* option : {"--control", "--metrics", "--web"}) {
    auto r = run_sim({"--tcp", "0", option, "0", option, "0"});
    EXPECT_EQ(r.status, 2) << option << "\n" << r.err;
    EXPECT_NE(r.err.find(std::string(option) + " is given twice"), std::string::npos) << r.err;
  }
}

TEST(ControlCommandLine, ControlPortTaken) {
  sim_process first({"--tcp", "0", "--control", "0"});
  ASSERT_TRUE(first.wait_ready()) << first.diagnostics();
  std::string why;
  int port = control_port(first, &why);
  ASSERT_GT(port, 0) << why;
  auto r = run_sim({"--tcp", "0", "--control", std::to_string(port)});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("--control: cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos) << r.err;
}

const char* good_scenario = R"({
  "name": "control e2e",
  "rules": [
    {"at": "1h", "then": [{"action": "drop_link", "id": 0}]}
  ]
})";

TEST(ControlCommandLine, CheckScenario) {
  temp_dir dir;
  auto good = dir.write("good.json", good_scenario);
  auto r = run_sim({"--check-scenario", good});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "ok: " + good + ": control e2e (1 rule)\n") << r.err;

  // Broken JSON: the file, line and column are named.
  auto broken = dir.write("broken.json", "{\n  \"name\": \"x\",\n  \"rules\": [\n");
  r = run_sim({"--check-scenario", broken});
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(broken), std::string::npos) << r.err;

  // An unknown action, an unknown key: one line each.
  auto bad = dir.write("bad.json", R"({
  "name": "bad",
  "rules": [
    {"at": "1s", "then": [{"action": "explode"}]},
    {"at": "1s", "then": [{"action": "drop_link"}], "thne": []}
  ]
})");
  r = run_sim({"--check-scenario", bad});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("explode"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("thne"), std::string::npos) << r.err;

  // A missing file.
  r = run_sim({"--check-scenario", dir.write("x", "") + ".missing"});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_FALSE(r.err.empty());

  // --scenario with the bad file does not start.
  r = run_sim({"--tcp", "0", "--scenario", bad});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out.find("ready:"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("explode"), std::string::npos) << r.err;
}

TEST(ControlCommandLine, ScenarioStartsWithControlAndTimeScale) {
  temp_dir dir;
  auto good = dir.write("good.json", good_scenario);
  sim_process sim({"--tcp", "0", "--scenario", good, "--control", "0", "--time-scale", "0.1"});
  ASSERT_TRUE(sim.wait_ready()) << sim.diagnostics();
  std::string why;
  int port = control_port(sim, &why);
  ASSERT_GT(port, 0) << why << "\n" << sim.diagnostics();
  control_client c(port);
  json state = c.ask(R"({"query":"state"})");
  EXPECT_TRUE(accepted(state)) << sim.diagnostics();
}

// ---------------------------------------------------------------------------
// A guarded channel (--control-token-file): loopback here, as every test; the token is
// required there too once a token file is given.

const std::string token = "e2e-control-token-7f3a9c1d5b";

TEST(ControlGuardCommandLine, NonLoopbackControlNeedsATokenFile) {
  for (const char* where : {"0.0.0.0:0", "[::]:0", "192.0.2.1:7000"}) {
    auto r = run_sim({"--tcp", "0", "--control", where});
    EXPECT_EQ(r.status, 2) << where << "\n" << r.err;
    EXPECT_EQ(r.out.find("ready:"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("can be reached from other hosts, so it needs a token: give --control-token-file FILE"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one sentence: " << r.err;
  }
  temp_dir dir;
  // A token file others can read is refused, without showing the token.
  auto open_file = dir.write("open-token", token + "\n");
  fs::permissions(open_file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  auto r = run_sim({"--tcp", "0", "--control", "0.0.0.0:0", "--control-token-file", open_file});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("can be read or changed by every user of this machine"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(token), std::string::npos) << r.err;
  // Missing and empty files, and a token file without --control.
  r = run_sim({"--tcp", "0", "--control", "0", "--control-token-file", dir.write("x", "") + ".missing"});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("cannot read the token file"), std::string::npos) << r.err;
  r = run_sim({"--tcp", "0", "--control", "0", "--control-token-file", dir.write_private("empty", "")});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("is empty"), std::string::npos) << r.err;
  r = run_sim({"--tcp", "0", "--control-token-file", dir.write_private("t", token)});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("--control-token-file goes only with --control"), std::string::npos) << r.err;
  // The line timeout: only with --control, and only a number of seconds above 0.
  r = run_sim({"--tcp", "0", "--control-line-timeout", "5"});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("--control-line-timeout goes only with --control"), std::string::npos) << r.err;
  for (const char* bad : {"0", "-1", "abc", "5s", "1e9", "nan"}) {
    r = run_sim({"--tcp", "0", "--control", "0", "--control-line-timeout", bad});
    EXPECT_EQ(r.status, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("is not a number of seconds from above 0 to 86400"), std::string::npos) << r.err;
  }
  // The same rule in fleet mode.
  r = run_sim({"--fleet", "2", "--pty", dir.write("x", "") + "-modem-", "--control", "0.0.0.0:0"});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("so it needs a token"), std::string::npos) << r.err;
}

class ControlGuard : public ::testing::Test {
 protected:
  void SetUp() override {
    token_file_ = dir_.write_private("token", token + "\n");
    ASSERT_NO_FATAL_FAILURE(
        start_with_control({"--control-token-file", token_file_, "--log-level", "debug"}, sim_, port_, dte_));
  }

  /// Sends `first` as the first line; expects a refusal that mentions `why`, then the close.
  void expect_refused(const std::string& first, std::string_view why) {
    control_client c(port_);
    ASSERT_TRUE(c.connected());
    EXPECT_TRUE(refused(c.ask(first), why)) << sim_->diagnostics();
    EXPECT_TRUE(c.closed_by_peer()) << "a refused client is disconnected";
  }

  temp_dir dir_;
  std::string token_file_;
  std::unique_ptr<sim_process> sim_;
  std::unique_ptr<dte_client> dte_;
  int port_ = 0;
};

TEST_F(ControlGuard, WithoutTheTokenNothingIsObeyed) {
  // No token: the request is refused and not carried out.
  expect_refused(R"({"fire": {"action": "inject_urc", "text": "+NOAUTH"}})", "requires a token");
  // The token alone, not as an auth request; a wrong token; a right token beside another request.
  expect_refused(token, "requires a token");
  expect_refused(R"({"auth": "e2e-control-token-WRONG-000"})", "wrong token");
  expect_refused(R"({"auth": "e2e-control-token-7f3a9c1d5"})", "wrong token");  // a prefix of it
  expect_refused(R"({"auth": 42})", "wrong token");
  expect_refused(R"({"auth": ")" + token + R"(", "fire": "reboot"})", "alone on its line");
  EXPECT_EQ(dte_->read_for(300ms), "") << "nothing was fired";
  // Each refusal is logged once per connection.
  EXPECT_TRUE(sim_->wait_stderr("refused: wrong token", 3s, 3)) << sim_->diagnostics();
  EXPECT_EQ(sim_->stderr_count("refused: wrong token"), 3u) << sim_->diagnostics();
  EXPECT_EQ(sim_->stderr_count("refused: it did not authenticate"), 2u) << sim_->diagnostics();
  EXPECT_EQ(sim_->stderr_count("refused: its auth request had other fields"), 1u) << sim_->diagnostics();
  EXPECT_EQ(sim_->stderr_text().find(token), std::string::npos) << "the token is never logged";
  EXPECT_EQ(sim_->stderr_text().find("e2e-control-token-"), std::string::npos) << "nor a wrong one";
}

TEST_F(ControlGuard, WithTheTokenRequestsAreObeyed) {
  control_client c(port_);
  ASSERT_TRUE(c.connected());
  json a = c.ask(R"({"auth": ")" + token + R"("})");
  ASSERT_TRUE(accepted(a)) << sim_->diagnostics();
  EXPECT_EQ(a.value("auth", ""), "accepted");
  EXPECT_TRUE(accepted(c.ask(R"({"query":"state"})")));
  EXPECT_TRUE(accepted(c.ask(R"({"fire": {"action": "inject_urc", "text": "+OBEYED"}})")));
  EXPECT_EQ(dte_->read_until("+OBEYED\r\n", 3s), line("+OBEYED")) << sim_->diagnostics();
  // Auth and a request in one write, answered in order.
  control_client d(port_);
  ASSERT_TRUE(d.send(R"({"auth": ")" + token + "\"}\n{\"query\":\"help\"}\n"));
  auto first = d.read_line(), second = d.read_line();
  ASSERT_TRUE(first && second) << sim_->diagnostics();
  EXPECT_TRUE(accepted(json::parse(*first)));
  EXPECT_TRUE(json::parse(*second).contains("actions"));
  EXPECT_TRUE(sim_->wait_stderr("authenticated", 3s, 2)) << sim_->diagnostics();
  sim_->stop();
  EXPECT_EQ(sim_->stderr_text().find(token), std::string::npos) << "the token is never logged";
}

TEST(ControlGuardFleet, TheFleetsChannelIsGuardedToo) {
  temp_dir dir;
  auto token_file = dir.write_private("token", token + "\n");
  sim_process sim({"--fleet", "2", "--pty", token_file + "-modem-", "--control", "0", "--control-token-file",
                   token_file, "--log-level", "debug"});
  ASSERT_TRUE(sim.wait_ready()) << sim.diagnostics();
  std::string why;
  const int port = control_port(sim, &why);
  ASSERT_GT(port, 0) << why << "\n" << sim.diagnostics();
  {
    control_client c(port);
    EXPECT_TRUE(refused(c.ask(R"({"query": "fleet"})"), "requires a token")) << sim.diagnostics();
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    control_client c(port);
    EXPECT_TRUE(refused(c.ask(R"({"auth": "not-the-token-0123456789"})"), "wrong token")) << sim.diagnostics();
  }
  control_client c(port);
  EXPECT_TRUE(accepted(c.ask(R"({"auth": ")" + token + R"("})"))) << sim.diagnostics();
  json info = c.ask(R"({"query": "fleet"})");
  ASSERT_TRUE(accepted(info)) << sim.diagnostics();
  EXPECT_EQ(info.value("size", 0), 2);
  sim.stop();
  EXPECT_EQ(sim.stderr_text().find(token), std::string::npos) << "the token is never logged";
}

}  // namespace
}  // namespace nt35e::test
