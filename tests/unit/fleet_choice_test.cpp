// The one choice of modems for fleet-wide events (scenario/fleet_choice.hpp), shared by
// the control channel's "fleet" requests and the scenario's fleet_events: the same seed
// picks the same modems, round(fraction x n) of them, among the selected indices only;
// and the stagger spacing.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>

#include "scenario/fleet_choice.hpp"

namespace nt35e::scenario {
namespace {

using namespace std::chrono_literals;
using positions = std::vector<std::size_t>;

positions iota(std::size_t n, std::size_t from = 0) {
  positions v(n);
  std::iota(v.begin(), v.end(), from);
  return v;
}

/// The control channel's choice as it was written before it was shared (a partial
/// Fisher-Yates shuffle of the sorted candidates with mt19937_64): the shared function
/// must keep choosing exactly these, or a seed written down by a user changes meaning.
positions reference_choice(positions candidates, double fraction, std::uint64_t seed) {
  std::sort(candidates.begin(), candidates.end());
  const auto k = static_cast<std::size_t>(std::llround(fraction * static_cast<double>(candidates.size())));
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i < k; ++i) {
    auto j = i + static_cast<std::size_t>(rng() % (candidates.size() - i));
    std::swap(candidates[i], candidates[j]);
  }
  candidates.resize(k);
  std::sort(candidates.begin(), candidates.end());
  return candidates;
}

TEST(FleetChoice, TheSameSeedPicksTheSameModems) {
  const auto a = choose_fraction(iota(1000), 0.3, 7);
  EXPECT_EQ(choose_fraction(iota(1000), 0.3, 7), a);
  EXPECT_NE(choose_fraction(iota(1000), 0.3, 8), a) << "another seed, another choice";
  // Whatever order the candidates come in.
  auto shuffled = iota(1000);
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(1));
  EXPECT_EQ(choose_fraction(shuffled, 0.3, 7), a);
  // Exactly the values std::mt19937_64 (fixed by the standard) gives: pinned.
  EXPECT_EQ(choose_fraction(iota(10), 0.3, 7), reference_choice(iota(10), 0.3, 7));
  for (std::uint64_t seed : {0ull, 1ull, 7ull, 42ull, 123456789ull, ~0ull})
    for (double f : {0.05, 0.3, 0.5, 0.99, 1.0})
      for (std::size_t n : {1u, 2u, 10u, 20u, 1000u})
        EXPECT_EQ(choose_fraction(iota(n), f, seed), reference_choice(iota(n), f, seed))
            << "seed " << seed << ", fraction " << f << ", n " << n;
}

TEST(FleetChoice, CountIsTheRoundedFraction) {
  struct c {
    std::size_t n;
    double f;
    std::size_t k;
  };
  for (const auto& [n, f, k] :
       {c{10, 0.3, 3}, c{1000, 0.3, 300}, c{10, 0.25, 3}, c{10, 0.24, 2}, c{10, 0.04, 0}, c{10, 0.05, 1},
        c{10, 1.0, 10}, c{1, 0.5, 1}, c{1, 0.49, 0}, c{0, 0.5, 0}, c{7, 0.5, 4}}) {
    SCOPED_TRACE(std::to_string(n) + " x " + std::to_string(f));
    const auto chosen = choose_fraction(iota(n), f, 3);
    EXPECT_EQ(chosen.size(), k);
    EXPECT_TRUE(std::is_sorted(chosen.begin(), chosen.end()));
    EXPECT_EQ(std::set<std::size_t>(chosen.begin(), chosen.end()).size(), chosen.size()) << "no modem twice";
    for (auto i : chosen) EXPECT_LT(i, n);
  }
  EXPECT_EQ(choose_fraction(iota(10), 1.0, 99), iota(10)) << "all of them";
}

fleet_event event(std::vector<index_range> select = {}, std::optional<double> fraction = {},
                  std::optional<std::uint64_t> seed = {}) {
  fleet_event e;
  e.select = std::move(select);
  e.fraction = fraction;
  e.seed = seed;
  return e;
}

TEST(FleetChoice, ModemsOfAnEventAreTheSelectedOnesOfThisProcess) {
  // Every modem of the process without select.
  EXPECT_EQ(choose_modems(event(), 0, 0, 5), iota(5));
  EXPECT_EQ(choose_modems(event(), 0, 100, 5), iota(5));
  // "0-9,15" on modems with global indices 0..19: positions 0..9 and 15.
  positions want = iota(10);
  want.push_back(15);
  EXPECT_EQ(choose_modems(event({{0, 9}, {15, 15}}), 0, 0, 20), want);
  // The same file on a process with --fleet-offset 8: indices 8..27 are positions 0..19;
  // 8, 9 and 15 are there, 0..7 are not.
  EXPECT_EQ(choose_modems(event({{0, 9}, {15, 15}}), 0, 8, 20), (positions{0, 1, 7}));
  // None of this process's indices.
  EXPECT_EQ(choose_modems(event({{500, 600}}), 0, 0, 20), positions{});
  // A fraction of the selected ones only, with the same choice as choose_fraction.
  const auto some = choose_modems(event({{10, 29}}, 0.5, 7), 0, 0, 100);
  EXPECT_EQ(some.size(), 10u);
  for (auto i : some) EXPECT_TRUE(i >= 10 && i <= 29) << i;
  EXPECT_EQ(some, choose_fraction(iota(20, 10), 0.5, 7));
  // Without a seed: the event's position in fleet_events, so a run is reproducible.
  EXPECT_EQ(seed_of(event({}, 0.3), 4), 4u);
  EXPECT_EQ(seed_of(event({}, 0.3, 7), 4), 7u);
  EXPECT_EQ(choose_modems(event({}, 0.3), 4, 0, 1000), choose_fraction(iota(1000), 0.3, 4));
  EXPECT_EQ(choose_modems(event({}, 0.3), 4, 0, 1000), choose_modems(event({}, 0.3), 4, 0, 1000));
  EXPECT_NE(choose_modems(event({}, 0.3), 4, 0, 1000), choose_modems(event({}, 0.3), 5, 0, 1000));
}

TEST(FleetChoice, StaggerSpreadsTheFiringEvenly) {
  using us = std::chrono::microseconds;
  EXPECT_EQ(stagger_offset(1s, 0, 5), 0us);
  EXPECT_EQ(stagger_offset(1s, 1, 5), 250ms);
  EXPECT_EQ(stagger_offset(1s, 2, 5), 500ms);
  EXPECT_EQ(stagger_offset(1s, 4, 5), 1s) << "the last one after the whole stagger";
  EXPECT_EQ(stagger_offset(1s, 0, 1), 0us) << "a single modem at once";
  EXPECT_EQ(stagger_offset(5s, 999, 1000), 5s);
  EXPECT_EQ(stagger_offset(5s, 1, 1000), us(5005));
  EXPECT_EQ(stagger_offset(0s, 3, 10), 0us);
}

}  // namespace
}  // namespace nt35e::scenario
