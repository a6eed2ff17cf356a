#include "scenario/fleet_choice.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>

namespace nt35e::scenario {

std::vector<std::size_t> choose_fraction(std::vector<std::size_t> candidates, double fraction, std::uint64_t seed) {
  std::sort(candidates.begin(), candidates.end());
  const auto wanted = std::llround(fraction * static_cast<double>(candidates.size()));
  const auto k = std::min(candidates.size(), static_cast<std::size_t>(std::max(0LL, static_cast<long long>(wanted))));
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i < k; ++i) {
    const auto j = i + static_cast<std::size_t>(rng() % (candidates.size() - i));
    std::swap(candidates[i], candidates[j]);
  }
  candidates.resize(k);
  std::sort(candidates.begin(), candidates.end());
  return candidates;
}

std::chrono::microseconds stagger_offset(std::chrono::microseconds stagger, std::size_t p, std::size_t m) {
  if (m < 2) return std::chrono::microseconds(0);
  return stagger * static_cast<std::int64_t>(p) / static_cast<std::int64_t>(m - 1);
}

std::uint64_t seed_of(const fleet_event& e, std::size_t position) { return e.seed.value_or(position); }

std::vector<std::size_t> choose_modems(const fleet_event& e, std::size_t position, std::uint64_t offset,
                                       std::size_t size) {
  std::vector<std::size_t> candidates;
  candidates.reserve(e.select.empty() ? size : 0);
  for (std::size_t i = 0; i < size; ++i)
    if (e.select.empty() || selects_any(e.select, offset + i, offset + i)) candidates.push_back(i);
  if (!e.fraction) return candidates;
  return choose_fraction(std::move(candidates), *e.fraction, seed_of(e, position));
}

}  // namespace nt35e::scenario
