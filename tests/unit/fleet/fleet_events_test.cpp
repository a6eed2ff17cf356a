// Unit tests of fleet/fleet_events: the scenario's fleet events played on a fleet of
// fake modems (each on its own strand): the modems chosen, the times (scaled by the time
// scale, staggered), the one log line per event, and stop() cancelling what is not due.

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include "fleet/fleet.hpp"
#include "fleet/fleet_events.hpp"
#include "scenario/fleet_choice.hpp"

namespace nt35e::fleet {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;
using steady = std::chrono::steady_clock;

scenario::fleet_event event(scenario::duration at, scenario::action_kind kind) {
  scenario::fleet_event e;
  e.at = at;
  e.fire.kind = kind;
  return e;
}

// An override or a fleet event whose "select" misses every modem of this process is
// probably a mistake (or a file meant for another --fleet-offset): one warning each.
TEST(FleetWarnings, SelectionsThatMissEveryModemOfTheFleetAreNamed) {
  scenario::scenario s;
  scenario::modem_override hit, miss;
  hit.select = {{3, 4}};
  hit.path = "/modems/0";
  miss.select = {{100, 199}};
  miss.path = "/modems/1";
  s.modems = {hit, miss};
  auto everyone = event(1s, scenario::action_kind::reboot);
  auto outside = event(2s, scenario::action_kind::reboot);
  outside.select = {{50, 60}};
  auto inside = event(3s, scenario::action_kind::reboot);
  inside.select = {{0, 0}, {7, 7}};
  s.fleet_events = {everyone, outside, inside};
  config c;
  c.size = 4;
  c.offset = 4;  // indices 4..7
  EXPECT_EQ(
      idle_selection_warnings(c, s),
      (std::vector<std::string>{"scenario override /modems/1 selects no modem of this fleet (indices 4..7)",
                                "scenario fleet event /fleet_events/1 selects no modem of this fleet (indices 4..7)"}));
  c.offset = 100;  // indices 100..103: now /modems/0 misses, /modems/1 hits; events 1 and 2 miss
  EXPECT_EQ(idle_selection_warnings(c, s),
            (std::vector<std::string>{
                "scenario override /modems/0 selects no modem of this fleet (indices 100..103)",
                "scenario fleet event /fleet_events/1 selects no modem of this fleet (indices 100..103)",
                "scenario fleet event /fleet_events/2 selects no modem of this fleet (indices 100..103)"}));
}

TEST(FleetEventLog, TheLogLineSaysWhatFiredWhereAndHow) {
  auto e = event(10s, scenario::action_kind::drop_link);
  e.fraction = 0.3;
  e.seed = 7;
  EXPECT_EQ(describe_fleet_event(e, 0, 300, 1000),
            "fleet event /fleet_events/0 at 10s: drop_link on 300 of 1000 modems (seed 7)");
  e.seed.reset();
  EXPECT_EQ(describe_fleet_event(e, 3, 3, 10),
            "fleet event /fleet_events/3 at 10s: drop_link on 3 of 10 modems (seed 3)")
      << "the default seed is the event's position";
  auto r = event(20s, scenario::action_kind::reboot);
  r.stagger = 5s;
  EXPECT_EQ(describe_fleet_event(r, 1, 1000, 1000),
            "fleet event /fleet_events/1 at 20s: reboot on 1000 of 1000 modems over 5s");
  auto s = event(1500ms, scenario::action_kind::set_signal);
  s.select = {{0, 9}, {15, 15}};
  EXPECT_EQ(describe_fleet_event(s, 2, 11, 1000),
            "fleet event /fleet_events/2 at 1500ms: set_signal on 11 of 1000 modems (select 0-9,15)");
  s.fraction = 0.5;
  s.seed = 1;
  EXPECT_EQ(describe_fleet_event(s, 2, 6, 1),
            "fleet event /fleet_events/2 at 1500ms: set_signal on 6 of 1 modem "
            "(select 0-9,15, seed 1)");
  EXPECT_EQ(scaled(10s, 0.5), 5s);
  EXPECT_EQ(scaled(3ms, 0.01), 30us);
  EXPECT_EQ(scaled(0ms, 2.0), 0us);
}

/// Ten fake modems with global indices 100..109, each on its own strand, recording
/// when which action reached it.
class FleetEventsOnFakeModems : public ::testing::Test {
 protected:
  struct fired {
    std::size_t modem;
    scenario::action_kind kind;
    steady::duration when;  // since start()
  };

  void SetUp() override {
    log_file_ = std::tmpfile();
    ASSERT_NE(log_file_, nullptr);
    log_ = std::make_unique<io::logger>(io::log_level::info, ::fileno(log_file_));
    auto t = std::make_shared<control::fleet_target>();
    t->fleet = true;
    t->offset = 100;
    for (std::size_t i = 0; i < 10; ++i) {
      control::target m;
      m.fire = [this, i](const scenario::action& a) {
        std::lock_guard lock(mutex_);
        fired_.push_back({i, a.kind, steady::now() - started_});
      };
      t->modems.push_back(control::modem_entry{net::make_strand(ioc_), m, 100 + i, {}, {}});
    }
    target_ = t;
  }
  void TearDown() override {
    if (log_file_) std::fclose(log_file_);
  }

  std::vector<fired> fired_of(scenario::action_kind kind) {
    std::lock_guard lock(mutex_);
    std::vector<fired> out;
    for (const auto& f : fired_)
      if (f.kind == kind) out.push_back(f);
    return out;
  }
  std::string log_text() {
    std::fflush(log_file_);
    std::string out;
    char buf[4096];
    for (off_t at = 0;;) {
      const auto n = ::pread(::fileno(log_file_), buf, sizeof buf, at);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
      at += n;
    }
    return out;
  }

  net::io_context ioc_{2};
  std::FILE* log_file_ = nullptr;
  std::unique_ptr<io::logger> log_;
  std::shared_ptr<const control::fleet_target> target_;
  std::mutex mutex_;
  std::vector<fired> fired_;
  steady::time_point started_;
};

TEST_F(FleetEventsOnFakeModems, ChosenModemsAtScaledStaggeredTimes) {
  std::vector<scenario::fleet_event> events;
  auto a = event(200ms, scenario::action_kind::drop_link);  // at 100 ms with time scale 0.5
  a.fraction = 0.3;
  a.seed = 7;
  events.push_back(a);
  auto b = event(400ms, scenario::action_kind::reboot);  // at 200 ms, spread over 300 ms
  b.select = {{103, 106}, {500, 600}};
  b.stagger = 600ms;
  events.push_back(b);
  events.push_back(event(20s, scenario::action_kind::remove_sim));  // not due before stop()
  event_scheduler scheduler(net::make_strand(ioc_), target_, events, 0.5, *log_);
  started_ = steady::now();
  scheduler.start();
  std::thread other([&] { ioc_.run_for(1s); });
  ioc_.run_for(1s);
  other.join();
  ioc_.restart();
  scheduler.stop();
  ioc_.run_for(50ms);

  // The first: the same 3 of 10 that the control channel picks with seed 7, at 100 ms.
  std::vector<std::size_t> all(10);
  std::iota(all.begin(), all.end(), 0);
  const auto want = scenario::choose_fraction(all, 0.3, 7);
  const auto drops = fired_of(scenario::action_kind::drop_link);
  std::vector<std::size_t> got;
  for (const auto& f : drops) {
    got.push_back(f.modem);
    EXPECT_GE(f.when, 100ms);
    EXPECT_LT(f.when, 400ms);  // tolerant: a loaded machine
  }
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
  // The second: indices 103..106 are positions 3..6 (500-600 are not in this fleet),
  // at 200, 300, 400 and 500 ms.
  const auto reboots = fired_of(scenario::action_kind::reboot);
  ASSERT_EQ(reboots.size(), 4u);
  std::vector<fired> by_modem = reboots;
  std::sort(by_modem.begin(), by_modem.end(), [](const fired& x, const fired& y) { return x.modem < y.modem; });
  for (std::size_t p = 0; p < 4; ++p) {
    EXPECT_EQ(by_modem[p].modem, 3 + p);
    const auto due = 200ms + 100ms * static_cast<int>(p);
    EXPECT_GE(by_modem[p].when, due) << "modem " << 3 + p;
    EXPECT_LT(by_modem[p].when, due + 300ms) << "modem " << 3 + p;
  }
  EXPECT_TRUE(fired_of(scenario::action_kind::remove_sim).empty()) << "stopped before it was due";
  const auto log = log_text();
  EXPECT_NE(log.find("[info] fleet event /fleet_events/0 at 200ms: drop_link on 3 of 10 modems (seed 7)\n"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("[info] fleet event /fleet_events/1 at 400ms: reboot on 4 of 10 modems (select 103-106,500-600) "
                     "over 600ms\n"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("/fleet_events/2"), std::string::npos) << log;
}

TEST_F(FleetEventsOnFakeModems, StopCancelsStaggeredFiringsStillWaiting) {
  auto e = event(0ms, scenario::action_kind::insert_sim);
  e.stagger = 2s;  // modem 0 at once, modem 1 after 222 ms, ... modem 9 after 2 s
  event_scheduler scheduler(net::make_strand(ioc_), target_, {e}, 1.0, *log_);
  started_ = steady::now();
  scheduler.start();
  ioc_.run_for(100ms);
  scheduler.stop();
  ioc_.restart();
  ioc_.run_for(400ms);
  const auto got = fired_of(scenario::action_kind::insert_sim);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].modem, 0u);
}

}  // namespace
}  // namespace nt35e::fleet
