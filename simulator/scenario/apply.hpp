#pragma once
// Folding a scenario into the module's profile: its profile name, its settings
// (the same names as --set), its network and its time scale.

#include <string>

#include "modem/profile.hpp"
#include "scenario/scenario.hpp"

namespace nt35e::scenario {

/// Replaces `p` with the scenario's built-in profile plus its settings and network.
/// Returns an error sentence, or an empty string.
std::string apply(const scenario& s, modem::profile& p);

}  // namespace nt35e::scenario
