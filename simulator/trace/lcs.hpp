#pragma once
// The longest common subsequence of two lists of lines, as the log importer aligns the
// log's module lines with the simulator's. A table of (n+1)(m+1) lengths is the simple
// way and picks the pairs the importer has always picked; it is used while it fits a
// budget. Beyond it (a day's log has 10^5 lines: a table of 40 GB) Myers' difference
// algorithm in linear space takes over: memory that grows with n + m, and time with
// (n + m) times the number of lines that differ, which is small when the simulator
// mostly agrees with the log. Myers' search is bounded too: a log that differs almost
// everywhere is aligned command by command instead (below).

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace nt35e::trace::detail {

/// Cells of the length table allowed (4 bytes each): 16 M cells, 64 MB.
inline constexpr std::size_t lcs_table_budget = std::size_t{16} << 20;
/// Steps of Myers' search allowed (about a second): a log that differs from the simulator
/// almost everywhere would take (n + m)² of them.
inline constexpr std::size_t lcs_step_budget = std::size_t{256} << 20;

struct lcs_options {
  std::size_t table_budget = lcs_table_budget;
  std::size_t step_budget = lcs_step_budget;
  /// The command each line follows, non-decreasing along its list (both or neither). Past
  /// the step budget each group is aligned with the same group of the other list, so the
  /// lines still meet their own command's; without groups, lines are matched in order
  /// within a window of 64.
  const std::vector<int>* a_groups = nullptr;
  const std::vector<int>* b_groups = nullptr;
};

/// The pairs (i, j), both increasing, of a longest common subsequence of `a` and `b` (past
/// the step budget, a long common subsequence).
std::vector<std::pair<std::size_t, std::size_t>> lcs(const std::vector<std::string>& a,
                                                     const std::vector<std::string>& b,
                                                     const lcs_options& options = {});

}  // namespace nt35e::trace::detail
