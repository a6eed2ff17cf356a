#pragma once
// The longest common subsequence of two lists of lines, as the log importer aligns the
// log's module lines with the simulator's. A table of (n+1)(m+1) lengths is the simple
// way and picks the pairs the importer has always picked; it is used while it fits a
// budget. Beyond it (a day's log has 10^5 lines: a table of 40 GB) Myers' difference
// algorithm in linear space takes over: memory that grows with n + m, and time with
// (n + m) times the number of lines that differ, which is small when the simulator
// mostly agrees with the log.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace nt35e::trace::detail {

/// Cells of the length table allowed (4 bytes each): 16 M cells, 64 MB.
inline constexpr std::size_t lcs_table_budget = std::size_t{16} << 20;

/// The pairs (i, j), both increasing, of a longest common subsequence of `a` and `b`.
std::vector<std::pair<std::size_t, std::size_t>> lcs(const std::vector<std::string>& a,
                                                     const std::vector<std::string>& b,
                                                     std::size_t table_budget = lcs_table_budget);

}  // namespace nt35e::trace::detail
