#include "trace/lcs.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
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

/// Myers' O((N+M)·D) difference, in linear space: a path from the front and one from the
/// back grow one difference at a time until they overlap; where they meet splits the
/// problem in two. Logs that mostly agree with the simulator (D small) take about
/// linear time, whatever their length.
class myers {
 public:
  myers(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b, pair_list& out,
        std::size_t step_budget)
      : a_(a), b_(b), out_(out), step_budget_(step_budget) {}

  /// The search ran out of steps: `out` is incomplete.
  bool gave_up() const { return gave_up_; }

  void solve(span s) {
    if (gave_up_) return;
    // The common head and tail are matched as they are.
    while (s.a0 < s.a1 && s.b0 < s.b1 && a_[s.a0] == b_[s.b0]) out_.emplace_back(s.a0++, s.b0++);
    std::size_t tail = 0;
    while (s.a0 < s.a1 - tail && s.b0 < s.b1 - tail && a_[s.a1 - 1 - tail] == b_[s.b1 - 1 - tail]) ++tail;
    const span middle{s.a0, s.a1 - tail, s.b0, s.b1 - tail};
    if (middle.n() > 0 && middle.m() > 0) {
      auto cut = meeting_point(middle);
      if (gave_up_) return;
      if (cut) {
        const bool splits =
            (cut->first > middle.a0 || cut->second > middle.b0) && (cut->first < middle.a1 || cut->second < middle.b1);
        if (splits) {
          solve({middle.a0, cut->first, middle.b0, cut->second});
          solve({cut->first, middle.a1, cut->second, middle.b1});
        } else {
          by_table(a_, b_, middle, out_);  // not reached (the head and tail differ); a slip costs memory, not matches
        }
      }
    }
    for (std::size_t k = tail; k > 0; --k) out_.emplace_back(s.a1 - k, s.b1 - k);
  }

 private:
  using index = std::ptrdiff_t;

  /// A point of an optimal path, found by growing paths from both ends (the middle
  /// snake); empty when the two ranges have nothing in common.
  std::optional<std::pair<std::size_t, std::size_t>> meeting_point(span s) {
    const index n = static_cast<index>(s.n()), m = static_cast<index>(s.m());
    const index max_d = (n + m + 1) / 2, offset = max_d, width = 2 * max_d + 2;
    front_.assign(static_cast<std::size_t>(width), -1);
    back_.assign(static_cast<std::size_t>(width), -1);
    front_[static_cast<std::size_t>(offset + 1)] = 0;
    back_[static_cast<std::size_t>(offset + 1)] = 0;
    const index delta = n - m;
    const bool odd = (delta % 2) != 0;  // the forward path meets the backward one, else the reverse
    auto A = [&](index x) { return a_[s.a0 + static_cast<std::size_t>(x)]; };
    auto B = [&](index y) { return b_[s.b0 + static_cast<std::size_t>(y)]; };
    auto at = [&](std::vector<index>& v, index k) -> index& { return v[static_cast<std::size_t>(offset + k)]; };
    index k1_start = 0, k1_end = 0, k2_start = 0, k2_end = 0;
    for (index d = 0; d < max_d; ++d) {
      // A step is a diagonal visited or a line passed along a snake, both ways; checked once
      // a round (a round is at most 2d + 2 diagonals and n + m lines).
      if (steps_ > step_budget_) {
        gave_up_ = true;
        return std::nullopt;
      }
      steps_ += static_cast<std::size_t>(2 * d + 2);
      for (index k = -d + k1_start; k <= d - k1_end; k += 2) {
        index x =
            (k == -d || (k != d && at(front_, k - 1) < at(front_, k + 1))) ? at(front_, k + 1) : at(front_, k - 1) + 1;
        index y = x - k;
        for (; x < n && y < m && A(x) == B(y); ++x, ++y) ++steps_;
        at(front_, k) = x;
        if (x > n) {
          k1_end += 2;  // off the right edge
        } else if (y > m) {
          k1_start += 2;  // off the bottom edge
        } else if (odd) {
          const index k2 = delta - k;
          if (k2 >= -max_d && k2 <= max_d && offset + k2 >= 0 && offset + k2 < width && at(back_, k2) != -1 &&
              x >= n - at(back_, k2))
            return std::pair{s.a0 + static_cast<std::size_t>(x), s.b0 + static_cast<std::size_t>(y)};
        }
      }
      for (index k = -d + k2_start; k <= d - k2_end; k += 2) {
        index x =
            (k == -d || (k != d && at(back_, k - 1) < at(back_, k + 1))) ? at(back_, k + 1) : at(back_, k - 1) + 1;
        index y = x - k;
        for (; x < n && y < m && A(n - x - 1) == B(m - y - 1); ++x, ++y) ++steps_;
        at(back_, k) = x;
        if (x > n) {
          k2_end += 2;
        } else if (y > m) {
          k2_start += 2;
        } else if (!odd) {
          const index k1 = delta - k;
          if (offset + k1 >= 0 && offset + k1 < width && at(front_, k1) != -1) {
            const index x1 = at(front_, k1), y1 = x1 - k1;
            if (x1 >= n - x) return std::pair{s.a0 + static_cast<std::size_t>(x1), s.b0 + static_cast<std::size_t>(y1)};
          }
        }
      }
    }
    return std::nullopt;
  }

  const std::vector<std::uint32_t>& a_;
  const std::vector<std::uint32_t>& b_;
  pair_list& out_;
  std::size_t step_budget_;
  std::size_t steps_ = 0;  ///< over the whole search, every split
  bool gave_up_ = false;
  std::vector<index> front_, back_;  ///< furthest x reached on each diagonal k = x - y
};

/// Lines matched in order, each unmatched line looking for its partner within `window`
/// lines of the other list: linear, and not optimal (used past the step budget only).
void in_order(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b, span s, pair_list& out) {
  constexpr std::size_t window = 64;
  std::size_t i = s.a0, j = s.b0;
  while (i < s.a1 && j < s.b1) {
    if (a[i] == b[j]) {
      out.emplace_back(i++, j++);
      continue;
    }
    bool moved = false;
    for (std::size_t d = 1; d <= window && !moved; ++d) {
      if (j + d < s.b1 && a[i] == b[j + d]) {
        j += d;
        moved = true;
      } else if (i + d < s.a1 && a[i + d] == b[j]) {
        i += d;
        moved = true;
      }
    }
    if (!moved) ++i, ++j;
  }
}

/// Each group of `a` against the same group of `b`: a table when it fits, else in order.
void by_groups(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b, const std::vector<int>& ga,
               const std::vector<int>& gb, std::size_t table_budget, pair_list& out) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (ga[i] < gb[j]) {
      ++i;
      continue;
    }
    if (gb[j] < ga[i]) {
      ++j;
      continue;
    }
    span g{i, i, j, j};
    while (g.a1 < a.size() && ga[g.a1] == ga[i]) ++g.a1;
    while (g.b1 < b.size() && gb[g.b1] == gb[j]) ++g.b1;
    if ((g.n() + 1) * (g.m() + 1) <= table_budget)
      by_table(a, b, g, out);
    else
      in_order(a, b, g, out);
    i = g.a1;
    j = g.b1;
  }
}

}  // namespace

pair_list lcs(const std::vector<std::string>& a, const std::vector<std::string>& b, const lcs_options& options) {
  pair_list out;
  const span all{0, a.size(), 0, b.size()};
  if ((a.size() + 1) * (b.size() + 1) <= options.table_budget) {
    by_table(a, b, all, out);
    return out;
  }
  // Lines become numbers once, so the comparisons are of integers.
  std::unordered_map<std::string_view, std::uint32_t> ids;
  auto number = [&](const std::vector<std::string>& lines) {
    std::vector<std::uint32_t> out_ids;
    out_ids.reserve(lines.size());
    for (const auto& l : lines)
      out_ids.push_back(ids.try_emplace(l, static_cast<std::uint32_t>(ids.size())).first->second);
    return out_ids;
  };
  const auto an = number(a), bn = number(b);
  myers search(an, bn, out, options.step_budget);
  search.solve(all);
  if (!search.gave_up()) return out;
  out.clear();
  const bool grouped = options.a_groups && options.b_groups && options.a_groups->size() == a.size() &&
                       options.b_groups->size() == b.size();
  if (grouped)
    by_groups(an, bn, *options.a_groups, *options.b_groups, options.table_budget, out);
  else
    in_order(an, bn, all, out);
  return out;
}

}  // namespace nt35e::trace::detail
