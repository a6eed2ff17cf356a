#pragma once
// MQTT topic names and filters (MQTT 3.1.1 §4.7), shared by the scripted broker and
// the scenario rules that wait for a publish.

#include <string_view>

namespace nt35e::mqtt {

/// True when an MQTT topic filter (with + and #) matches a topic name.
bool topic_matches(std::string_view filter, std::string_view topic);

}  // namespace nt35e::mqtt
