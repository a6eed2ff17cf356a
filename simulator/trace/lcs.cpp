#include "trace/lcs.hpp"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <unordered_map>

namespace nt35e::trace::detail {
namespace {

using pair_list = std::vector<std::pair<std::size_t, std::size_t>>;

/// One half-open range of each list.
struct span {
  std::size_t a0, a1, b0, b1;
  std::size_t n() const { return a1 - a0; }
  std::size_t m() const { return b1 - b0; }
};

/// The whole length table, then the walk from the start: a match is taken when the two
/// lines are equal, else the step that keeps the longer rest (down on a tie).
template <class T>
void by_table(const std::vector<T>& a, const std::vector<T>& b, span s, pair_list& out) {
  const std::size_t n = s.n(), m = s.m(), w = m + 1;
  std::vector<std::uint32_t> L((n + 1) * w, 0);
  for (std::size_t i = n; i-- > 0;)
    for (std::size_t j = m; j-- > 0;)
      L[i * w + j] =
          a[s.a0 + i] == b[s.b0 + j] ? L[(i + 1) * w + j + 1] + 1 : std::max(L[(i + 1) * w + j], L[i * w + j + 1]);
  std::size_t i = 0, j = 0;
  while (i < n && j < m) {
    if (a[s.a0 + i] == b[s.b0 + j]) {
      out.emplace_back(s.a0 + i, s.b0 + j);
      ++i;
      ++j;
    } else if (L[(i + 1) * w + j] >= L[i * w + j + 1]) {
      ++i;
    } else {
      ++j;
    }
  }
}

/// Hirschberg: the lengths from the front for the first half of `a` and from the back for
/// the second, one row each; the best sum says where the path crosses the middle.
void by_halves(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b, span s,
               std::size_t table_budget, pair_list& out) {
  const std::size_t n = s.n(), m = s.m();
  if (n == 0 || m == 0) return;
  if ((n + 1) * (m + 1) <= table_budget) return by_table(a, b, s, out);
  if (n == 1) {
    for (std::size_t j = s.b0; j < s.b1; ++j)
      if (a[s.a0] == b[j]) {
        out.emplace_back(s.a0, j);
        return;
      }
    return;
  }
  const std::size_t mid = s.a0 + n / 2;
  std::vector<std::uint32_t> front(m + 1, 0), back(m + 1, 0), row(m + 1, 0);
  for (std::size_t i = s.a0; i < mid; ++i) {
    row[0] = 0;
    for (std::size_t j = 1; j <= m; ++j)
      row[j] = a[i] == b[s.b0 + j - 1] ? front[j - 1] + 1 : std::max(front[j], row[j - 1]);
    std::swap(front, row);
  }
  std::fill(row.begin(), row.end(), 0);
  for (std::size_t i = s.a1; i-- > mid;) {
    row[m] = 0;
    for (std::size_t j = m; j-- > 0;) row[j] = a[i] == b[s.b0 + j] ? back[j + 1] + 1 : std::max(back[j], row[j + 1]);
    std::swap(back, row);
  }
  std::size_t cut = 0;
  for (std::size_t j = 1; j <= m; ++j)
    if (front[j] + back[j] > front[cut] + back[cut]) cut = j;
  front = {};
  back = {};
  row = {};
  by_halves(a, b, {s.a0, mid, s.b0, s.b0 + cut}, table_budget, out);
  by_halves(a, b, {mid, s.a1, s.b0 + cut, s.b1}, table_budget, out);
}

}  // namespace

pair_list lcs(const std::vector<std::string>& a, const std::vector<std::string>& b, std::size_t table_budget) {
  pair_list out;
  const span all{0, a.size(), 0, b.size()};
  if ((a.size() + 1) * (b.size() + 1) <= table_budget) {
    by_table(a, b, all, out);
    return out;
  }
  // Lines become numbers once, so the n·m comparisons are of integers.
  std::unordered_map<std::string_view, std::uint32_t> ids;
  auto number = [&](const std::vector<std::string>& lines) {
    std::vector<std::uint32_t> out_ids;
    out_ids.reserve(lines.size());
    for (const auto& l : lines)
      out_ids.push_back(ids.try_emplace(l, static_cast<std::uint32_t>(ids.size())).first->second);
    return out_ids;
  };
  const auto an = number(a), bn = number(b);
  by_halves(an, bn, all, std::max<std::size_t>(table_budget, 4), out);
  return out;
}

}  // namespace nt35e::trace::detail
