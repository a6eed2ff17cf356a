// The importer's alignment of log lines with the simulator's (trace/lcs): within its
// table budget the table's own pairs, beyond it (Myers' difference in linear space) a
// subsequence as long.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "trace/lcs.hpp"

namespace nt35e::test {
namespace {

using trace::detail::lcs;
using lines = std::vector<std::string>;

/// The pairs are increasing in both lists and join equal lines.
void expect_common_subsequence(const lines& a, const lines& b,
                               const std::vector<std::pair<std::size_t, std::size_t>>& pairs) {
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    const auto [i, j] = pairs[k];
    ASSERT_LT(i, a.size());
    ASSERT_LT(j, b.size());
    EXPECT_EQ(a[i], b[j]) << "pair " << k;
    if (k > 0) {
      EXPECT_LT(pairs[k - 1].first, i) << "pair " << k;
      EXPECT_LT(pairs[k - 1].second, j) << "pair " << k;
    }
  }
}

lines random_lines(std::mt19937& rng, std::size_t count, int alphabet) {
  std::uniform_int_distribution<int> pick(0, alphabet - 1);
  lines out;
  for (std::size_t i = 0; i < count; ++i) out.push_back("+ECMTSTAT:" + std::to_string(pick(rng)));
  return out;
}

TEST(import_lcs, known_answers) {
  EXPECT_TRUE(lcs({}, {}).empty());
  EXPECT_TRUE(lcs({"OK"}, {}).empty());
  EXPECT_EQ(lcs({"A", "B", "C"}, {"A", "C"}), (std::vector<std::pair<std::size_t, std::size_t>>{{0, 0}, {2, 1}}));
  EXPECT_EQ(lcs({"A", "B", "C"}, {"A", "C"}, {.table_budget = 0}),
            (std::vector<std::pair<std::size_t, std::size_t>>{{0, 0}, {2, 1}}));
  EXPECT_EQ(lcs({"X", "Y"}, {"Y", "X"}).size(), 1u);
  EXPECT_EQ(lcs({"X", "Y"}, {"Y", "X"}, {.table_budget = 0}).size(), 1u);
}

// Myers must find a subsequence as long as the table's, on lists that match in many ways
// (a small alphabet), on lists of different lengths, and on one list edited into the other.
TEST(import_lcs, myers_is_as_long_as_the_table) {
  std::mt19937 rng(20261205);
  for (int round = 0; round < 2000; ++round) {
    std::uniform_int_distribution<std::size_t> length(0, 60);
    const auto a = random_lines(rng, length(rng), 1 + round % 6);
    const auto b = random_lines(rng, length(rng), 1 + round % 6);
    const auto by_table = lcs(a, b);
    const auto by_myers = lcs(a, b, {.table_budget = 0});
    ASSERT_EQ(by_myers.size(), by_table.size()) << "round " << round;
    expect_common_subsequence(a, b, by_myers);
    expect_common_subsequence(a, b, by_table);
  }
  for (int round = 0; round < 300; ++round) {
    auto a = random_lines(rng, 80, 40);
    auto b = a;
    std::uniform_int_distribution<int> edits(0, 12);
    for (int e = edits(rng); e > 0; --e) {
      std::uniform_int_distribution<std::size_t> where(0, b.size());
      const auto at = where(rng);
      if (rng() % 2 && at < b.size())
        b.erase(b.begin() + static_cast<std::ptrdiff_t>(at));
      else
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), "+ECMTSTAT:" + std::to_string(rng() % 50));
    }
    const auto by_myers = lcs(a, b, {.table_budget = 0});
    ASSERT_EQ(by_myers.size(), lcs(a, b).size()) << "edited round " << round;
    expect_common_subsequence(a, b, by_myers);
  }
}

// A day's log: 12,000 module lines on each side, beyond the table budget (144 M cells,
// 576 MB as a table), the simulator's side missing a line every 100 and with one more
// every 250.
TEST(import_lcs, a_long_log_beyond_the_table_budget) {
  lines log, sim;
  std::size_t missing = 0, extra = 0;
  for (std::size_t i = 0; i < 12'000; ++i) {
    const std::string line = i % 3 == 0 ? "OK" : "+CSQ:" + std::to_string(i % 31) + ",99";
    log.push_back(line);
    if (i % 100 == 7)
      ++missing;
    else
      sim.push_back(line);
    if (i % 250 == 3) {
      sim.push_back("+ECMTSTAT:0,1");
      ++extra;
    }
  }
  ASSERT_GT((log.size() + 1) * (sim.size() + 1), trace::detail::lcs_table_budget);
  const auto pairs = lcs(log, sim);
  EXPECT_EQ(pairs.size(), log.size() - missing);
  expect_common_subsequence(log, sim, pairs);
  EXPECT_EQ(sim.size(), log.size() - missing + extra);
}

// Past the step budget: each command's lines against the same command's, never across.
TEST(import_lcs, past_the_step_budget_lines_meet_their_own_command) {
  const lines log = {"+CSQ:5,99", "OK", "+ECMTSTAT:0,1", "ERROR", "OK", "+ECMTOPEN:0,0"};
  const std::vector<int> log_group = {0, 0, 0, 1, 2, 2};
  const lines sim = {"+CSQ:23,99", "OK", "OK", "+ECMTSTAT:0,1", "OK", "+ECMTOPEN:0,0"};
  const std::vector<int> sim_group = {0, 0, 1, 1, 2, 2};
  const auto pairs =
      lcs(log, sim, {.table_budget = 0, .step_budget = 0, .a_groups = &log_group, .b_groups = &sim_group});
  expect_common_subsequence(log, sim, pairs);
  for (auto [i, j] : pairs) EXPECT_EQ(log_group[i], sim_group[j]) << i << " " << j;
  EXPECT_EQ(pairs, (std::vector<std::pair<std::size_t, std::size_t>>{{1, 1}, {4, 4}, {5, 5}}))
      << "the log's +ECMTSTAT follows command 0, the simulator's command 1";

  // Without groups, in order within a window.
  const auto plain = lcs(log, sim, {.table_budget = 0, .step_budget = 0});
  expect_common_subsequence(log, sim, plain);
  EXPECT_GE(plain.size(), 3u);
  EXPECT_EQ(lcs(log, log, {.table_budget = 0, .step_budget = 0}).size(), log.size());
}

// A log that differs from the simulator in every answer (the worst case for Myers:
// (n + m)² steps, minutes at 40,000 lines): bounded, and still every "OK" paired with
// the simulator's after the same command.
TEST(import_lcs, a_log_that_differs_everywhere_is_aligned_command_by_command) {
  lines log, sim;
  std::vector<int> log_group, sim_group;
  for (int c = 0; c < 20'000; ++c) {
    log.push_back("+CSQ:" + std::to_string(c % 31) + ",99");
    log.push_back("OK");
    log_group.insert(log_group.end(), {c, c});
    sim.push_back("+CSQ:" + std::to_string(c % 31 + 40) + ",99");
    sim.push_back("OK");
    sim_group.insert(sim_group.end(), {c, c});
  }
  const auto pairs = lcs(log, sim, {.a_groups = &log_group, .b_groups = &sim_group});
  expect_common_subsequence(log, sim, pairs);
  EXPECT_EQ(pairs.size(), 20'000u);
}

}  // namespace
}  // namespace nt35e::test
