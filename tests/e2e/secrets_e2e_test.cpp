// End-to-end: secrets and files (issue 13, item 4). A real session with an MQTT password
// (a real mosquitto with a password file), an Ali device secret and a control token, then
// every output of it (transcript and logs at trace level with --explain, the trace, the
// report, the metrics, the control channel's answers, an imported log, a replay's
// messages) is searched for the secrets: none may contain one, while the DTE still gets
// the module's exact bytes. And a scenario or trace cannot choose where the simulator
// writes: only the paths given on the command line appear.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/control_client.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/sim_process.hpp"
#include "support/temp_dir.hpp"

namespace nt35e::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string ok = "\r\nOK\r\n";
std::string urc(std::string_view t) { return "\r\n" + std::string(t) + "\r\n"; }

// Distinct enough that a match can only be the secret itself.
const std::string password = "Pw-e2e-c41f7b2d";
const std::string ali_secret = "AliSecret-77e1a9";
const std::string token = "Tok-e2e-3b8f6a0d2c71";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Fails when `text` (named `what`) contains any of the secrets.
void expect_no_secret(const std::string& what, const std::string& text) {
  for (const auto& secret : {password, ali_secret, token})
    EXPECT_EQ(text.find(secret), std::string::npos) << what << " contains the secret " << secret << ":\n" << text;
}

class Secrets : public ::testing::Test {
 protected:
  std::string cmd(const std::string& line, std::string_view until, milliseconds timeout = 5s) {
    EXPECT_TRUE(dte->send(line + "\r"));
    return dte->read_until(until, timeout);
  }

  void TearDown() override {
    if (HasFailure() && sim) std::cerr << sim->diagnostics() << "\n";
  }

  temp_dir dir{"nt35e-secrets-"};
  std::unique_ptr<mosquitto_broker> broker;
  std::unique_ptr<sim_process> sim;
  std::unique_ptr<dte_client> dte;
};

TEST_F(Secrets, NoOutputOfASessionContainsItsSecrets) {
  broker = std::make_unique<mosquitto_broker>(broker_config{.tls = false, .user = "nt35e", .password = password});
  const auto token_file = dir.write_private("token", token + "\n");
  const auto trace_file = dir.path("session.jsonl");
  sim = std::make_unique<sim_process>(std::vector<std::string>{
      "--tcp", "0", "--live", "--map-host", "secret.example=127.0.0.1:" + std::to_string(broker->auth_port()),
      "--control", "0", "--control-token-file", token_file, "--record", trace_file, "--log-level", "trace", "--explain",
      "--set", "timing.boot=50", "--set", "timing.registration=50"});
  ASSERT_TRUE(sim->wait_ready()) << sim->diagnostics();
  dte = std::make_unique<dte_client>(dte_client::connect_tcp(sim->tcp_port()));
  ASSERT_NE(dte->read_until("ECRDY\r\n", 5s).find("ECRDY"), std::string::npos) << sim->diagnostics();
  for (int i = 0; i < 50; ++i) {
    if (cmd("AT+CGATT?", ok).find("+CGATT:1") != std::string::npos) break;
    dte->read_for(50ms);
  }

  // The DTE gets the module's exact bytes: the echo (ATE1) and the query answer keep the secrets.
  const std::string aliauth = "AT+ECMTCFG=\"aliauth\",0,\"pk1\",\"dev1\",\"" + ali_secret + "\"";
  EXPECT_EQ(cmd(aliauth, ok), aliauth + "\r" + ok);
  EXPECT_EQ(cmd("AT+ECMTCFG=\"aliauth\",0", ok),
            "AT+ECMTCFG=\"aliauth\",0\r" + urc("+ECMTCFG:\"aliauth\",dev1," + ali_secret + ",pk1") + ok);
  EXPECT_NE(cmd("AT+ECMTOPEN=0,\"secret.example\",1883", "+ECMTOPEN:0,0\r\n").find(urc("+ECMTOPEN:0,0")),
            std::string::npos)
      << sim->diagnostics();
  // A refused line carrying the password: its explain record quotes the line.
  const std::string bad_id = "AT+ECMTCONN=9,\"cid\",\"nt35e\",\"" + password + "\"";
  EXPECT_EQ(cmd(bad_id, "ERROR: 3\r\n"), bad_id + "\r" + urc("+CME ERROR: 3"));
  // The real broker accepts the exact password: it went out unchanged.
  const std::string conn = "AT+ECMTCONN=0,\"cid\",\"nt35e\",\"" + password + "\"";
  EXPECT_EQ(cmd(conn, "+ECMTCONN:0,0,0\r\n"), conn + "\r" + ok + urc("+ECMTCONN:0,0,0")) << sim->diagnostics();

  // The control channel: authenticated with the token; its answers.
  std::string answers;
  {
    const auto all = sim->diagnostics();
    const auto at = all.find("control: 127.0.0.1:");
    ASSERT_NE(at, std::string::npos) << all;
    control_client c(std::atoi(all.c_str() + at + 19));
    for (const char* request : {"", R"({"query": "state"})", R"({"query": "metrics"})", R"({"query": "help"})",
                                R"({"fire": {"action": "inject_urc", "text": "+NOTE"}})"}) {
      json a = c.ask(*request ? std::string(request) : R"({"auth": ")" + token + R"("})");
      EXPECT_EQ(a.value("ok", false), true) << request << ": " << a.dump();
      answers += a.dump() + "\n";
    }
  }
  EXPECT_EQ(sim->stop(), 0) << sim->diagnostics();
  const std::string transcript = sim->diagnostics();  // stdout, and stderr with the exit summary
  EXPECT_NE(transcript.find("nt35e-sim: metrics: "), std::string::npos) << "the exit summary (metrics) is there";
  EXPECT_NE(transcript.find("\\\"" + std::string(password.size(), '*') + "\\\""), std::string::npos)
      << "the transcript shows that a password of that length was given";

  // The report and the trace tools on the recording, and an imported customer log.
  auto report = run_sim({"report", "-o", dir.path("session.html"), trace_file});
  EXPECT_EQ(report.status, 0) << report.err;
  const auto customer_log =
      dir.write("customer.log", conn + "\r\n\r\nOK\r\n\r\n+ECMTCONN:0,0,0\r\n" + aliauth + "\r\n\r\nOK\r\n");
  auto imported = run_sim({"import", "-o", dir.path("imported.jsonl"), customer_log});
  EXPECT_EQ(imported.status, 0) << imported.err;
  auto imported_scenario = run_sim({"import", "--to", "scenario", "-o", dir.path("imported.json"), customer_log});
  EXPECT_EQ(imported_scenario.status, 0) << imported_scenario.err;

  // A replay of the recording that the host leaves with the real password: the replayer's
  // messages quote what the host sent.
  sim = std::make_unique<sim_process>(
      std::vector<std::string>{"--tcp", "0", "--replay", trace_file, "--log-level", "trace", "--time-scale", "0.01"});
  ASSERT_TRUE(sim->wait_ready()) << sim->diagnostics();
  dte = std::make_unique<dte_client>(dte_client::connect_tcp(sim->tcp_port()));
  dte->send(conn + "\r" + aliauth + "\r");
  dte->read_for(500ms);
  sim->stop();
  const std::string replay = sim->diagnostics();
  EXPECT_NE(replay.find("the host sent"), std::string::npos) << "the replayer says what the host sent";

  // Nothing of it holds a secret; the trace shows that a password of that length was given.
  const std::string trace_text = read_file(trace_file);
  EXPECT_NE(trace_text.find("\\\"" + std::string(password.size(), '*') + "\\\""), std::string::npos) << trace_text;
  expect_no_secret("the transcript and logs", transcript);
  expect_no_secret("the control channel's answers", answers);
  expect_no_secret("report's output", report.out + report.err);
  expect_no_secret("import's output", imported.out + imported.err + imported_scenario.out + imported_scenario.err);
  expect_no_secret("the replay's logs", replay);
  std::size_t searched = 0;
  for (const auto& name : dir.files()) {
    if (name == "token" || name == "customer.log") continue;  // the inputs hold them, of course
    expect_no_secret(name, read_file(dir.root() / name));
    ++searched;
  }
  EXPECT_EQ(searched, 4u) << "session.jsonl, session.html, imported.jsonl, imported.json";
}

// ---------------------------------------------------------------------------
// Files: a scenario or a trace names paths in its texts; the simulator writes only
// where its command line says.

TEST(Files, AScenarioOrTraceCannotChooseWhereTheSimulatorWrites) {
  temp_dir dir;
  const std::string elsewhere = dir.path("elsewhere");
  const json scenario = {
      {"name", elsewhere + "/name.jsonl"},
      {"description", "../../" + elsewhere + "/description.html"},
      {"settings", {{"cert_dir", elsewhere + "/certs"}}},
      {"broker", {{"credentials", json::array({{{"user", "nt35e"}, {"password", password}}})}}},
      {"rules",
       json::array({{{"name", elsewhere + "/rule.txt"},
                     {"on_command", "+CSQ"},
                     {"then", json::array({{{"action", "inject_urc"}, {"text", "+PATH: " + elsewhere + "/urc"}}})}}})}};
  const auto scenario_file = dir.write("in/scenario.json", scenario.dump(2));
  const auto customer_log =
      dir.write("in/customer.log", "AT+ECMTOPEN=0,\"" + elsewhere + "/host\",1883\r\nOK\r\n+ECMTOPEN:0,0\r\n");
  const auto trace_file = dir.path("out/session.jsonl");
  fs::create_directories(dir.path("out"));

  sim_process sim({"--tcp", "0", "--scenario", scenario_file, "--record", trace_file, "--log-level", "debug", "--set",
                   "timing.boot=50", "--set", "timing.registration=50"});
  ASSERT_TRUE(sim.wait_ready()) << sim.diagnostics();
  auto dte = dte_client::connect_tcp(sim.tcp_port());
  ASSERT_NE(dte.read_until("ECRDY\r\n", 5s).find("ECRDY"), std::string::npos) << sim.diagnostics();
  EXPECT_TRUE(dte.send("AT+CSQ\r"));
  EXPECT_NE(dte.read_until(elsewhere + "/urc\r\n", 5s).find("+PATH: "), std::string::npos) << sim.diagnostics();
  EXPECT_TRUE(dte.send("AT+ECMTOPEN=0,\"" + elsewhere + "/host\",1883\r"));
  dte.read_for(300ms);
  // The scripted broker checks the scenario's password; it is never shown either.
  for (int i = 0; i < 50; ++i) {
    dte.send("AT+CGATT?\r");
    if (dte.read_until(ok, 3s).find("+CGATT:1") != std::string::npos) break;
    dte.read_for(50ms);
  }
  EXPECT_TRUE(dte.send("AT+ECMTOPEN=1,\"broker\",1883\r"));
  EXPECT_NE(dte.read_until("+ECMTOPEN:1,0\r\n", 5s).find("+ECMTOPEN:1,0"), std::string::npos) << sim.diagnostics();
  EXPECT_TRUE(dte.send("AT+ECMTCONN=1,\"cid\",\"nt35e\",\"" + password + "\"\r"));
  EXPECT_NE(dte.read_until("+ECMTCONN:1,0,0\r\n", 5s).find("+ECMTCONN:1,0,0"), std::string::npos) << sim.diagnostics();
  EXPECT_EQ(sim.stop(), 0);
  expect_no_secret("the transcript", sim.diagnostics());

  // The trace tools: the report next to the trace (its default), the import where -o says.
  auto report = run_sim({"report", trace_file});
  EXPECT_EQ(report.status, 0) << report.err;
  auto imported = run_sim({"import", "--to", "scenario", "-o", dir.path("out/imported.json"), customer_log});
  EXPECT_EQ(imported.status, 0) << imported.err;
  // Replaying the trace (which names those paths too) writes nothing.
  sim_process replay({"--tcp", "0", "--replay", trace_file, "--time-scale", "0.01"});
  ASSERT_TRUE(replay.wait_ready()) << replay.diagnostics();
  replay.stop();

  EXPECT_FALSE(fs::exists(elsewhere));
  EXPECT_EQ(dir.files(), (std::set<std::string>{"in/scenario.json", "in/customer.log", "out/session.jsonl",
                                                "out/session.html", "out/imported.json"}));
  expect_no_secret("the trace", read_file(trace_file));
  expect_no_secret("the report", read_file(dir.path("out/session.html")));
}

}  // namespace
}  // namespace nt35e::test
