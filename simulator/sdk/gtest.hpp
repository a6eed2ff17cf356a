#pragma once
// nt35e::sdk::modem_test: a GoogleTest fixture that gives each test a fresh virtual modem
// (target nt35e::gtest; header only, on top of nt35e::sim).
//
//   class driver_test : public nt35e::sdk::modem_test {
//    protected:
//     nt35e::sdk::options modem_options() const override {   // optional: the fixture's modem
//       auto o = modem_test::modem_options();
//       o.scenario_file = "auth-failure.json";
//       return o;
//     }
//   };
//   TEST_F(driver_test, connects) { my_driver d("127.0.0.1", sim().tcp_port()); ... }
//
// SetUp starts the modem; one that cannot start fails SetUp with the simulator's one-line
// message (the test body does not run). When the test failed, or the modem stopped on
// its own during it, TearDown keeps the evidence and attaches it:
// * the last transcript_lines() lines of the transcript to the test's output;
// * test properties (in --gtest_output=xml): nt35e_transcript (the tail), nt35e_transcript_file
//   (the whole transcript), nt35e_report (the HTML report), nt35e_trace (the trace file);
// * the directory is kept: $NT35E_ARTIFACTS_DIR/<suite>.<test> when that variable is set
//   (CI keeps it as an artifact), else a directory under $TMPDIR, removed after a pass.
// A modem that stopped during the test fails it with what happened. No call waits longer
// than options::call_timeout.

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "sdk/sim.hpp"

namespace nt35e::sdk {

class modem_test : public ::testing::Test {
 protected:
  /// The options of every test's modem; override in a fixture subclass. The default:
  /// TCP on a free loopback port, the nt35e profile, the scripted broker, and no boot or
  /// registration delay (the module answers AT at once).
  virtual options modem_options() const {
    options o;
    o.line = line_kind::tcp;
    o.settings = {"timing.boot=0", "timing.registration=0"};
    return o;
  }
  /// How many transcript lines a failure prints.
  virtual std::size_t transcript_lines() const { return 40; }

  void SetUp() override { start(modem_options()); }

  void TearDown() override {
    if (!sim_) return;
    if (!sim_->running() && !sim_->failure().empty())
      ADD_FAILURE() << "the virtual modem stopped during the test: " << sim_->failure() << "\n" << tail();
    if (HasFailure()) attach();
    sim_.reset();
  }

  /// This test's modem (started by SetUp).
  modem& sim() { return *sim_; }

  /// Replaces this test's modem with one started with `o` (a test that needs other
  /// options than its fixture's). Fails the test (fatally) when it cannot start.
  void restart(options o) {
    sim_.reset();
    start(std::move(o));
  }

  /// The last transcript_lines() lines of the transcript, one per line, indented.
  std::string tail() const {
    std::ostringstream out;
    for (const auto& line : sim_->transcript_tail(transcript_lines())) out << "    " << line << "\n";
    return out.str();
  }

 private:
  void start(options o) {
    if (o.artifacts_dir.empty()) {
      if (const char* root = std::getenv("NT35E_ARTIFACTS_DIR"); root && *root) {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string name = std::string(info->test_suite_name()) + "." + info->name();
        for (auto& c : name)
          if (c == '/') c = '_';  // parametrized names
        o.artifacts_dir = std::string(root) + "/" + name;
      }
    }
    try {
      sim_ = std::make_unique<modem>(std::move(o));
    } catch (const error& e) {
      GTEST_FAIL() << "the virtual modem did not start: " << e.what();
    }
  }

  /// Keeps the files and names them in the output and the XML.
  void attach() {
    sim_->keep_artifacts();
    std::string report;
    try {
      report = sim_->write_report();
    } catch (const error& e) {
      report = std::string("(no report: ") + e.what() + ")";
    }
    const auto last = tail();
    std::cout << "[ nt35e    ] the virtual modem's transcript, last " << transcript_lines() << " lines ("
              << sim_->line() << "):\n"
              << last << "[ nt35e    ] transcript: " << sim_->transcript_path() << "\n"
              << "[ nt35e    ] report:     " << report << "\n"
              << "[ nt35e    ] trace:      " << sim_->trace_path() << std::endl;
    RecordProperty("nt35e_transcript", last);
    RecordProperty("nt35e_transcript_file", sim_->transcript_path());
    RecordProperty("nt35e_report", report);
    RecordProperty("nt35e_trace", sim_->trace_path());
  }

  std::unique_ptr<modem> sim_;
};

}  // namespace nt35e::sdk
