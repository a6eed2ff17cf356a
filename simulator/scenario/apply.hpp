#pragma once
// Folding a scenario into the module's profile: its profile name, its settings
// (the same names as --set), its network and its time scale.

#include <string>

#include "modem/ping.hpp"
#include "modem/profile.hpp"
#include "scenario/scenario.hpp"

namespace nt35e::scenario {

/// Replaces `p` with the scenario's built-in profile plus its settings and network.
/// Returns an error sentence, or an empty string.
std::string apply(const scenario& s, modem::profile& p);

/// What AT+ECPING meets in this world: the broker's ping script, its unresolvable and
/// unreachable hosts and its host mapping (the same host model as the ECMT commands).
modem::ping_model ping_model_of(const scenario& s);

}  // namespace nt35e::scenario
