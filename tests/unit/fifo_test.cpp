// modem::fifo, the queue that holds no memory while unused (modem URCs, line metrics).

#include <gtest/gtest.h>

#include <string>

#include "modem/fifo.hpp"

namespace nt35e::modem {
namespace {

TEST(Fifo, FirstInFirstOutThroughBurstsAndAStreamThatNeverDrains) {
  fifo<std::string> q;
  EXPECT_TRUE(q.empty());
  int next_in = 0, next_out = 0;
  // A stream that always keeps a few waiting: the queue compacts without losing order.
  for (int round = 0; round < 1000; ++round) {
    for (int i = 0; i < 3; ++i) q.push_back(std::to_string(next_in++));
    for (int i = 0; i < 2; ++i) {
      ASSERT_EQ(q.front(), std::to_string(next_out++));
      q.pop_front();
    }
  }
  EXPECT_EQ(q.size(), 1000u);
  while (!q.empty()) {
    ASSERT_EQ(q.front(), std::to_string(next_out++));
    q.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
  q.push_back("after");
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.front(), "after");
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace nt35e::modem
