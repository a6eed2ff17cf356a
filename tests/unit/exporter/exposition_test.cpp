// Unit tests of exporter/exposition: the Prometheus text format of the modems' totals
// (escaping, HELP and TYPE lines, cumulative histogram buckets), the per-command counts
// the interpreter keeps for it, and the modem states it reports.

#include "exporter/exposition.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "commands/registry.hpp"
#include "support/core_harness.hpp"

namespace nt35e::exporter {
namespace {

using namespace std::chrono_literals;

/// The value of the sample line that starts with `series` + " " ("" when absent).
std::string value_of(const std::string& page, const std::string& series) {
  std::istringstream in(page);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(series + " ")) return line.substr(series.size() + 1);
  return "";
}

TEST(Exposition, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escape_label_value(R"(a"b\c)"
                               "\nd"),
            R"(a\"b\\c\nd)");
  EXPECT_EQ(escape_label_value("plain"), "plain");
  EXPECT_EQ(escape_help("say \"hi\"\\\n"), "say \"hi\"\\\\\\n");  // quotes stay in HELP
  text_writer w;
  w.family("x_total", "counter", "one\nline");
  w.sample("x_total", {{"command", "AT+\"Q\"\n"}}, std::uint64_t{3});
  EXPECT_EQ(w.text(), "# HELP x_total one\\nline\n# TYPE x_total counter\nx_total{command=\"AT+\\\"Q\\\"\\n\"} 3\n");
}

TEST(Exposition, NumbersReadBackExactly) {
  EXPECT_EQ(format_value(0.0), "0");
  EXPECT_EQ(format_value(1.5), "1.5");
  EXPECT_EQ(format_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(seconds_text(64), "0.000064");
  EXPECT_EQ(seconds_text(1048576), "1.048576");
  EXPECT_EQ(seconds_text(2000000), "2");
}

TEST(Exposition, HistogramBucketsAreCumulativeAtExactBounds) {
  metrics::latency_histogram h;
  h.record(100us);  // above 64 us, at most 128 us
  h.record(128us);  // exactly a bound: counted in le=0.000128
  h.record(3ms);    // at most 4.096 ms
  h.record(100s);   // past the last bound: only +Inf
  text_writer w;
  w.histogram("t_seconds", "time", h);
  const auto& page = w.text();
  EXPECT_NE(page.find("# HELP t_seconds time\n# TYPE t_seconds histogram\n"), std::string::npos);
  EXPECT_EQ(value_of(page, "t_seconds_bucket{le=\"0.000064\"}"), "0");
  EXPECT_EQ(value_of(page, "t_seconds_bucket{le=\"0.000128\"}"), "2");
  EXPECT_EQ(value_of(page, "t_seconds_bucket{le=\"0.002048\"}"), "2");
  EXPECT_EQ(value_of(page, "t_seconds_bucket{le=\"0.004096\"}"), "3");
  EXPECT_EQ(value_of(page, "t_seconds_bucket{le=\"67.108864\"}"), "3");
  EXPECT_EQ(value_of(page, "t_seconds_bucket{le=\"+Inf\"}"), "4");
  EXPECT_EQ(value_of(page, "t_seconds_count"), "4");
  EXPECT_DOUBLE_EQ(std::stod(value_of(page, "t_seconds_sum")), 100.003228);
  // Every bucket at least the one before it, and +Inf last.
  std::regex bucket(R"re(t_seconds_bucket\{le="([^"]+)"\} (\d+))re");
  long previous = -1;
  std::string last_le;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), bucket); it != std::sregex_iterator(); ++it) {
    EXPECT_GE(std::stol((*it)[2]), previous);
    previous = std::stol((*it)[2]);
    last_le = (*it)[1];
  }
  EXPECT_EQ(last_le, "+Inf");
  EXPECT_EQ(histogram_bounds().size(), 21u);
}

TEST(Exposition, EmptyHistogramHasEveryBucketAtZero) {
  text_writer w;
  w.histogram("e_seconds", "empty", {});
  EXPECT_EQ(value_of(w.text(), "e_seconds_bucket{le=\"+Inf\"}"), "0");
  EXPECT_EQ(value_of(w.text(), "e_seconds_bucket{le=\"0.000064\"}"), "0");
  EXPECT_EQ(value_of(w.text(), "e_seconds_sum"), "0");
}

TEST(Exposition, PageHasHelpAndTypeBeforeEverySampleAndNoPerModemLabel) {
  metrics::modem_metrics m;
  m.modems = 3;
  m.states = {1, 0, 0, 1, 1};
  m.counters.reconnects = 7;
  m.counters.by_command.assign(commands::command_slots(), 0);
  m.counters.by_command[commands::command_slot(commands::find_command("+CSQ"))] = 5;
  m.counters.by_command[commands::bare_at_slot()] = 2;
  m.counters.by_command[commands::command_slot(nullptr)] = 1;
  m.at_command.record(2ms);
  const auto page = render(m, {"1.2.3", "nt35e"}, 12.5);

  EXPECT_EQ(value_of(page, R"(nt35e_build_info{version="1.2.3",profile="nt35e"})"), "1");
  EXPECT_EQ(value_of(page, "nt35e_uptime_seconds"), "12.5");
  EXPECT_EQ(value_of(page, R"(nt35e_modems{state="booting"})"), "1");
  EXPECT_EQ(value_of(page, R"(nt35e_modems{state="connected"})"), "1");
  EXPECT_EQ(value_of(page, R"(nt35e_modems{state="off"})"), "0");
  EXPECT_EQ(value_of(page, "nt35e_mqtt_reconnects_total"), "7");
  EXPECT_EQ(value_of(page, R"(nt35e_at_commands_total{command="AT+CSQ"})"), "5");
  EXPECT_EQ(value_of(page, R"(nt35e_at_commands_total{command="AT"})"), "2");
  EXPECT_EQ(value_of(page, R"(nt35e_at_commands_total{command="other"})"), "1");
  EXPECT_EQ(value_of(page, R"(nt35e_at_commands_total{command="AT+ECMTOPEN"})"), "0");  // every slot, always
  EXPECT_EQ(value_of(page, "nt35e_at_response_seconds_count"), "1");

  // Each sample's family was announced by HELP then TYPE; no family twice; only the
  // bounded label names.
  std::set<std::string> typed, helped;
  std::map<std::string, std::string> types;
  std::istringstream in(page);
  const std::set<std::string> allowed_labels = {"version", "profile", "state", "command", "reason", "le"};
  for (std::string line; std::getline(in, line);) {
    ASSERT_FALSE(line.empty());
    if (line.starts_with("# HELP ")) {
      auto name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(helped.insert(name).second) << name;
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      std::istringstream words(line.substr(7));
      std::string name, type;
      words >> name >> type;
      EXPECT_TRUE(helped.count(name)) << "TYPE before HELP: " << name;
      EXPECT_TRUE(typed.insert(name).second) << name;
      types[name] = type;
      continue;
    }
    auto name = line.substr(0, line.find_first_of("{ "));
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      if (!types.count(family) && family.ends_with(suffix))
        family = family.substr(0, family.size() - std::strlen(suffix));
    ASSERT_TRUE(types.count(family)) << "sample without TYPE: " << line;
    if (types[family] == "counter") {
      EXPECT_TRUE(family.ends_with("_total")) << family;
    }
    std::regex label(R"re([{,]([a-z_]+)=")re");
    for (auto it = std::sregex_iterator(line.begin(), line.end(), label); it != std::sregex_iterator(); ++it)
      EXPECT_TRUE(allowed_labels.count((*it)[1])) << line;
  }
  EXPECT_EQ(types["nt35e_at_response_seconds"], "histogram");
  EXPECT_EQ(types["nt35e_mqtt_connect_seconds"], "histogram");
  EXPECT_EQ(types["nt35e_modems"], "gauge");
}

TEST(CommandCounts, TheInterpreterCountsEachCommandOfALineByTableRow) {
  test::core_harness h;
  h.boot_and_register();
  h.exchange("AT");
  h.exchange("AT+CSQ;+CEREG?");
  h.exchange("AT+CSQ");
  h.exchange("AT+NOPE");
  h.exchange("ATE1");
  const auto& by = h.snapshot().count.by_command;
  ASSERT_EQ(by.size(), commands::command_slots());
  EXPECT_EQ(by[commands::bare_at_slot()], 1u);
  EXPECT_EQ(by[commands::command_slot(commands::find_command("+CSQ"))], 2u);
  EXPECT_EQ(by[commands::command_slot(commands::find_command("+CEREG"))], 1u);
  EXPECT_EQ(by[commands::command_slot(commands::find_command("E"))], 1u);
  EXPECT_EQ(by[commands::command_slot(nullptr)], 1u);
  EXPECT_EQ(commands::command_slot_name(commands::command_slot(commands::find_command("+CSQ"))), "AT+CSQ");
  EXPECT_EQ(commands::command_slot_name(commands::command_slot(commands::find_command("&F"))), "AT&F");
  EXPECT_EQ(commands::command_slot_name(commands::bare_at_slot()), "AT");
  EXPECT_EQ(commands::command_slot_name(commands::command_slot(nullptr)), "other");
}

TEST(ModemStates, OneStatePerModemFromItsSnapshot) {
  modem::snapshot s;
  s.booting = true;
  EXPECT_EQ(metrics::state_of(s), metrics::modem_state::booting);
  s.booting = false;
  s.cfun = 0;
  EXPECT_EQ(metrics::state_of(s), metrics::modem_state::off);
  s.cfun = 1;
  s.registration = 2;  // searching
  EXPECT_EQ(metrics::state_of(s), metrics::modem_state::unregistered);
  s.registration = 5;  // roaming
  EXPECT_EQ(metrics::state_of(s), metrics::modem_state::registered);
  s.ecmt.push_back({0, "OPENED", "h", 1, {}});
  EXPECT_EQ(metrics::state_of(s), metrics::modem_state::registered);
  s.ecmt.push_back({1, "CONNECTED", "h", 1, {}});
  EXPECT_EQ(metrics::state_of(s), metrics::modem_state::connected);
  auto m = metrics::from_snapshot(s, true);
  modem::snapshot booting;
  booting.booting = true;
  auto other = metrics::from_snapshot(booting, false);
  m.merge(other);
  EXPECT_EQ(m.states[static_cast<std::size_t>(metrics::modem_state::connected)], 1u);
  EXPECT_EQ(m.states[static_cast<std::size_t>(metrics::modem_state::booting)], 1u);
  EXPECT_EQ(m.modems, 2u);
  EXPECT_EQ(m.attached, 1u);
}

}  // namespace
}  // namespace nt35e::exporter
