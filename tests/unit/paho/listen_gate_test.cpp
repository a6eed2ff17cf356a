// paho/listen_gate: at most N relays of the process listen at once; the others wait in
// order, a freed slot goes straight to the next waiter, and a waiter that leaves is skipped.

#include "paho/listen_gate.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <optional>
#include <thread>
#include <vector>

namespace {

using nt35e::paho::detail::listen_gate;

TEST(ListenGate, GrantsAtOnceUpToItsSlotsThenQueuesInOrderOfArrival) {
  listen_gate gate(2);
  std::map<int, listen_gate::slot> held;  // by who
  std::vector<int> granted;
  auto ask = [&](int who) {
    return gate.acquire([&, who](listen_gate::slot s) {
      granted.push_back(who);
      held.emplace(who, std::move(s));
    });
  };
  // Out of the map first: the release grants the next waiter, which adds to the map.
  auto release = [&](int who) {
    auto s = std::move(held.at(who));
    held.erase(who);
    s.reset();
  };
  EXPECT_EQ(ask(1), 0u);  // granted inline
  EXPECT_EQ(ask(2), 0u);
  EXPECT_NE(ask(3), 0u);  // queued
  EXPECT_NE(ask(4), 0u);
  EXPECT_EQ(granted, (std::vector<int>{1, 2}));
  EXPECT_EQ(gate.waiting(), 2u);

  release(1);  // 1's listener closes: 3 gets the slot
  EXPECT_EQ(granted, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(gate.waiting(), 1u);
  // A newcomer does not pass the one already waiting.
  EXPECT_NE(ask(5), 0u);
  release(2);
  EXPECT_EQ(granted, (std::vector<int>{1, 2, 3, 4}));
  release(3);
  EXPECT_EQ(granted, (std::vector<int>{1, 2, 3, 4, 5}));
  release(4);  // nobody waits: the slot is free again
  EXPECT_EQ(gate.waiting(), 0u);
  EXPECT_EQ(ask(6), 0u);
  const auto seven = ask(7);
  EXPECT_NE(seven, 0u);  // 5 and 6 hold both slots
  EXPECT_EQ(granted, (std::vector<int>{1, 2, 3, 4, 5, 6}));
  // 7 leaves before the slots go: its callback refers to this scope (ASan caught it).
  gate.cancel(seven);
  release(5);
  release(6);
  EXPECT_EQ(granted, (std::vector<int>{1, 2, 3, 4, 5, 6}));
}

TEST(ListenGate, ACancelledWaiterIsSkippedAndADroppedSlotPassesOn) {
  listen_gate gate(1);
  std::optional<listen_gate::slot> first;
  gate.acquire([&](listen_gate::slot s) { first = std::move(s); });
  ASSERT_TRUE(first && first->held());
  bool cancelled_called = false, dropper_called = false, last_called = false;
  const auto cancelled = gate.acquire([&](listen_gate::slot) { cancelled_called = true; });
  gate.acquire([&](listen_gate::slot) { dropper_called = true; });  // drops its slot at once
  std::optional<listen_gate::slot> last;
  gate.acquire([&](listen_gate::slot s) {
    last_called = true;
    last = std::move(s);
  });
  gate.cancel(cancelled);
  gate.cancel(0);  // nothing
  first.reset();
  EXPECT_FALSE(cancelled_called);
  EXPECT_TRUE(dropper_called);
  EXPECT_TRUE(last_called);
  EXPECT_EQ(gate.waiting(), 0u);
  // The one slot is held by `last`: the next caller waits.
  EXPECT_NE(gate.acquire([](listen_gate::slot) {}), 0u);
}

TEST(ListenGate, ManyThreadsNeverHoldMoreThanItsSlots) {
  constexpr int slots = 3, threads = 8, rounds = 2000;
  listen_gate gate(slots);
  std::atomic<int> holding{0}, most{0}, done{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (int i = 0; i < rounds; ++i) {
        // The grant may come on another thread (the one releasing a slot): it hands the
        // slot over, and this thread holds it for a moment, then lets it go.
        std::optional<listen_gate::slot> mine;
        std::atomic<bool> granted{false};
        gate.acquire([&](listen_gate::slot got) {
          mine = std::move(got);
          granted = true;
        });
        for (int spin = 0; !granted && spin < 10'000'000; ++spin) std::this_thread::yield();
        ASSERT_TRUE(granted.load()) << "no slot came";
        const int now = holding.fetch_add(1) + 1;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {}
        std::this_thread::yield();
        holding.fetch_sub(1);
        mine.reset();  // released: passes to the next waiter, maybe on this thread
        done.fetch_add(1);
      }
    });
  for (auto& t : pool) t.join();
  EXPECT_EQ(done.load(), threads * rounds);
  EXPECT_LE(most.load(), slots);
  EXPECT_GE(most.load(), 2);  // the slots were shared, not taken one at a time
  EXPECT_EQ(gate.waiting(), 0u);
}

}  // namespace
