#pragma once
// Which modems a fleet-wide event picks, and when each of them fires. One algorithm for
// the control channel's {"fleet": ...} requests and the scenario's "fleet_events", so
// the same seed picks the same modems either way. Standard library only.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "scenario/scenario.hpp"

namespace nt35e::scenario {

/// llround(fraction x candidates.size()) of `candidates` (0 < fraction <= 1), chosen by
/// a partial Fisher-Yates shuffle of the candidates in ascending order, driven by
/// std::mt19937_64(seed), whose output the standard fixes: the same seed and the same
/// candidates pick the same modems on every machine. The result is in ascending order.
std::vector<std::size_t> choose_fraction(std::vector<std::size_t> candidates, double fraction, std::uint64_t seed);

/// When the modem at place `p` (from 0) of `m` chosen ones fires, the firing spread evenly
/// over `stagger`: p x stagger / (m - 1), so the first at once and the last after
/// `stagger`; 0 for a single modem.
std::chrono::microseconds stagger_offset(std::chrono::microseconds stagger, std::size_t p, std::size_t m);

/// The seed a fleet event's random choice uses: its own, or its position in the
/// scenario's "fleet_events" (0 for the first), so a scenario run is reproducible.
std::uint64_t seed_of(const fleet_event& e, std::size_t position);

/// The modems a fleet event picks among `size` modems whose global indices are
/// offset..offset+size-1: the positions (0..size-1) of those its `select` names (all when
/// it has none), then, with a fraction, choose_fraction of them with seed_of(e, position).
/// In ascending order.
std::vector<std::size_t> choose_modems(const fleet_event& e, std::size_t position, std::uint64_t offset,
                                       std::size_t size);

}  // namespace nt35e::scenario
