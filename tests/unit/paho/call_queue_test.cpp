// paho/call_queue: the one thread that makes the calls into Paho, in order.

#include "paho/call_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using nt35e::paho::detail::call_queue;

TEST(CallQueue, CallsRunInTheOrderTheyWereQueuedFromEveryThread) {
  auto& q = call_queue::instance();
  std::mutex m;
  std::vector<std::pair<int, int>> ran;  // (producer, sequence)
  constexpr int producers = 4, per_producer = 500;
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p)
    threads.emplace_back([&, p] {
      for (int i = 0; i < per_producer; ++i)
        q.push([&, p, i] {
          std::lock_guard lock(m);
          ran.emplace_back(p, i);
        });
    });
  for (auto& t : threads) t.join();
  q.drain();
  ASSERT_EQ(ran.size(), static_cast<std::size_t>(producers * per_producer));
  // Each producer's calls in its own order (one client's PUBLISH before its DISCONNECT).
  std::vector<int> next(producers, 0);
  for (auto [p, i] : ran) EXPECT_EQ(i, next[p]++) << "producer " << p;
}

TEST(CallQueue, DrainWaitsForTheCallsQueuedBeforeIt) {
  auto& q = call_queue::instance();
  std::atomic<bool> done{false};
  q.push([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    done = true;
  });
  q.drain();
  EXPECT_TRUE(done.load());
}

TEST(CallQueue, AThrowingCallDoesNotStopTheQueue) {
  auto& q = call_queue::instance();
  std::atomic<int> after{0};
  q.push([] { throw std::runtime_error("refused"); });
  q.push([&] { ++after; });
  q.drain();
  EXPECT_EQ(after.load(), 1);
}

TEST(CallQueue, CallsDoNotRunOnTheThreadThatQueuedThem) {
  auto& q = call_queue::instance();
  std::thread::id where;
  q.push([&] { where = std::this_thread::get_id(); });
  q.drain();
  EXPECT_NE(where, std::this_thread::get_id());
}

TEST(CallQueue, WithNothingWaitingACallRunsAtOnceOnTheCallersThread) {
  auto& q = call_queue::instance();
  q.drain();
  std::thread::id where;
  q.run_or_push([&] { where = std::this_thread::get_id(); });
  EXPECT_EQ(where, std::this_thread::get_id());
}

TEST(CallQueue, WhileACallRunsTheNextIsQueuedBehindIt) {
  auto& q = call_queue::instance();
  q.drain();
  std::mutex m;
  std::vector<int> order;
  std::atomic<bool> started{false};
  q.push([&] {
    started = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::lock_guard lock(m);
    order.push_back(1);
  });
  while (!started.load()) std::this_thread::yield();
  std::thread::id where;
  q.run_or_push([&] {
    where = std::this_thread::get_id();
    std::lock_guard lock(m);
    order.push_back(2);
  });
  q.drain();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_NE(where, std::this_thread::get_id()) << "it waited its turn on the queue's thread";
}

}  // namespace
