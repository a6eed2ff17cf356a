// The fleet's scheduler (io/fair_scheduler): which lane runs next. Handlers are queued
// first and the io_context runs afterwards on the test's thread, so the order they run
// in is decided by the scheduler alone; nothing is timed.

#include "io/fair_scheduler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace nt35e::io {
namespace {

namespace net = boost::asio;

struct fixture : ::testing::Test {
  net::io_context ioc;
  fair_scheduler lanes{ioc, 1};
  std::vector<std::string> ran;

  void count(const fair_scheduler::executor& ex, std::size_t bytes) {
    count_dte_input(net::any_io_executor(ex), bytes);
  }

  void post(const fair_scheduler::executor& ex, std::string name) {
    net::post(net::any_io_executor(ex), [this, name = std::move(name)] { ran.push_back(name); });
  }
  void post_dte(const fair_scheduler::executor& ex, std::string name) {
    net::post(dte_line(net::any_io_executor(ex)), [this, name = std::move(name)] { ran.push_back(name); });
  }
};

using FairScheduler = fixture;

TEST_F(FairScheduler, DteWorkQueuedAfterOtherWorkRunsFirst) {
  auto a = lanes.make_lane(), b = lanes.make_lane(), c = lanes.make_lane();
  post(a, "a mqtt");
  post(b, "b mqtt");
  post_dte(c, "c input");
  ioc.run();
  EXPECT_EQ(ran, (std::vector<std::string>{"c input", "a mqtt", "b mqtt"}));
}

TEST_F(FairScheduler, TheQuietestLineGoesFirst) {
  // Three modems whose DTEs sent 70-byte lines, one that sent an "AT": all have input
  // waiting; the quiet one was queued last and runs first, the others by bytes sent.
  auto p1 = lanes.make_lane(), p2 = lanes.make_lane(), p3 = lanes.make_lane(), idle = lanes.make_lane();
  count(p1, 140);
  count(p2, 70);
  count(p3, 210);
  count(idle, 3);
  post_dte(p1, "p1");
  post_dte(p2, "p2");
  post_dte(p3, "p3");
  post_dte(idle, "idle");
  ioc.run();
  EXPECT_EQ(ran, (std::vector<std::string>{"idle", "p2", "p1", "p3"}));
}

TEST_F(FairScheduler, ALineThatWasQuietGetsAtMostQuietCreditBytesAhead) {
  // The busy lanes have sent 1000 bytes each and are being served at that level. A lane
  // that comes back after a quiet spell starts quiet_credit (128) bytes below them: its
  // line goes ahead, and its next too while it is still below, but once its line sent
  // more it waits its turn, not 1000 bytes ahead for as long as it likes.
  auto busy1 = lanes.make_lane(), busy2 = lanes.make_lane(), busy3 = lanes.make_lane(), back = lanes.make_lane();
  for (auto& b : {busy1, busy2, busy3}) count(b, 1000);
  post_dte(busy1, "busy1 first");
  ioc.run();  // the scheduler's level is now 1000
  ioc.restart();
  auto reads = [&](std::size_t bytes) {
    net::post(dte_line(net::any_io_executor(back)), [&, bytes] {
      ran.push_back("back reads " + std::to_string(bytes));
      count(back, bytes);
    });
  };
  post_dte(busy2, "busy2");
  reads(70);  // 872 + 70 = 942: still below the others
  ioc.run();
  ioc.restart();
  post_dte(busy3, "busy3");
  reads(70);  // 1012: level with them no more
  ioc.run();
  ioc.restart();
  post_dte(busy2, "busy2 again");
  post_dte(back, "back again");
  ioc.run();
  EXPECT_EQ(ran, (std::vector<std::string>{"busy1 first", "back reads 70", "busy2", "back reads 70", "busy3",
                                           "busy2 again", "back again"}));
}

TEST_F(FairScheduler, ABusyLineWaitsBehindQuieterOnesOnlyUntilTheyHaveSentAsMuch) {
  // A lane that sent 1000 bytes waits while 8 quieter lanes keep sending 70-byte lines;
  // it runs once they have each sent about as much (1000 / 70: 14 or 15 lines each, so
  // 112-120 runs), never starved.
  std::vector<fair_scheduler::executor> quiet;
  for (int i = 0; i < 8; ++i) quiet.push_back(lanes.make_lane());
  auto busy = lanes.make_lane();
  count(busy, 1000);
  int runs = 0, busy_after = -1;
  std::function<void(std::size_t)> next = [&](std::size_t i) {
    net::post(dte_line(net::any_io_executor(quiet[i % quiet.size()])), [&, i] {
      ++runs;
      count(quiet[i % quiet.size()], 70);
      if (runs < 300) next(i + 1);  // bounds the test
    });
  };
  next(0);
  net::post(dte_line(net::any_io_executor(busy)), [&] { busy_after = runs; });
  ioc.run();
  EXPECT_GE(busy_after, 100) << "the busy line went ahead of quieter ones";
  EXPECT_LE(busy_after, 125) << "the busy line waited too long";
  EXPECT_EQ(runs, 300);
}

TEST_F(FairScheduler, MqttWorkIsNotStarvedByDteWork) {
  // DTE work that never stops (each handler queues the next on another lane) and one
  // lane with MQTT work: that runs after dte_picks_per_other DTE picks, not after all.
  std::vector<fair_scheduler::executor> busy;
  for (int i = 0; i < 8; ++i) busy.push_back(lanes.make_lane());
  auto mqtt = lanes.make_lane();
  int left = 200;  // bounds the test: the DTE work stops after this many
  std::function<void(std::size_t)> next = [&](std::size_t i) {
    net::post(dte_line(net::any_io_executor(busy[i % busy.size()])), [&, i] {
      ran.push_back("dte");
      if (--left > 0) next(i + 1);
    });
  };
  next(0);
  post(mqtt, "mqtt");
  ioc.run();
  const auto at = std::find(ran.begin(), ran.end(), "mqtt") - ran.begin();
  EXPECT_EQ(at, static_cast<long>(fair_scheduler::dte_picks_per_other));
  EXPECT_EQ(ran.size(), 201u);
}

TEST_F(FairScheduler, ALaneRunsItsHandlersInTheOrderQueued) {
  // DTE work goes ahead of other lanes' work, never ahead of its own lane's earlier work.
  auto l = lanes.make_lane();
  post(l, "1 timer");
  post_dte(l, "2 input");
  post(l, "3 event");
  post_dte(l, "4 input");
  ioc.run();
  EXPECT_EQ(ran, (std::vector<std::string>{"1 timer", "2 input", "3 event", "4 input"}));
}

TEST(FairSchedulerThreads, ALaneNeverRunsTwoHandlersAtOnce) {
  // Four threads, two lanes, handlers posted from all threads at once: each lane's
  // handlers run one at a time and all of them run.
  net::io_context ioc;
  fair_scheduler lanes(ioc, 4);
  auto a = lanes.make_lane(), b = lanes.make_lane();
  struct count {
    int inside = 0;  // deliberately not atomic: only the lane touches it
    int done = 0;
    bool overlapped = false;
  } ca, cb;
  auto work = [](count& c) {
    if (c.inside++ != 0) c.overlapped = true;
    std::this_thread::yield();  // room for another thread to come in, were the lane not serial
    --c.inside;
    ++c.done;
  };
  std::vector<std::thread> posters;
  for (int t = 0; t < 4; ++t)
    posters.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        net::post(t % 2 ? dte_line(net::any_io_executor(a)) : net::any_io_executor(a), [&] { work(ca); });
        net::post(t % 2 ? net::any_io_executor(b) : dte_line(net::any_io_executor(b)), [&] { work(cb); });
      }
    });
  for (auto& p : posters) p.join();
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t) pool.emplace_back([&] { ioc.run(); });
  for (auto& p : pool) p.join();
  EXPECT_FALSE(ca.overlapped);
  EXPECT_FALSE(cb.overlapped);
  EXPECT_EQ(ca.done, 2000);
  EXPECT_EQ(cb.done, 2000);
}

TEST_F(FairScheduler, AHandlerThatThrowsLeavesTheLaneWorking) {
  auto l = lanes.make_lane();
  net::post(net::any_io_executor(l), [] { throw std::runtime_error("a bug in one modem"); });
  post(l, "after");
  EXPECT_THROW(ioc.run(), std::runtime_error);
  ioc.restart();
  ioc.run();
  EXPECT_EQ(ran, (std::vector<std::string>{"after"}));
}

TEST_F(FairScheduler, IoObjectsCompleteOnTheirLane) {
  // A timer made with a lane's executor: its completion is queued on the lane (the
  // io_context the lane reports is the one that runs it).
  auto l = lanes.make_lane();
  net::steady_timer t{net::any_io_executor(l)};
  t.expires_after(std::chrono::milliseconds(0));
  t.async_wait([&](const boost::system::error_code& ec) { ran.push_back(ec ? "error" : "fired"); });
  ioc.run();
  EXPECT_EQ(ran, (std::vector<std::string>{"fired"}));
}

TEST(FairSchedulerOutsideAFleet, OtherExecutorsAreLeftAsTheyAre) {
  net::io_context ioc;
  net::any_io_executor ex = ioc.get_executor();
  EXPECT_TRUE(dte_line(ex) == ex);
  count_dte_input(ex, 10);  // nothing to count on
  bool ran = false;
  net::post(dte_line(ex), [&] { ran = true; });
  ioc.run();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace nt35e::io
