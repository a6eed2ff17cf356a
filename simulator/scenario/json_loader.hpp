#pragma once
// Scenario files (JSON) to scenario structs, and actions to and from JSON.
// The format is documented in scenarios/README.md and described by
// scenarios/scenario.schema.json; this loader and that schema accept the same keys.
//
// Every problem becomes a diagnostic that names the file, the line and column (code
// points, 1-based) and the JSON pointer of the value, and says what was expected:
//   auth.json:7:15: error: /broker/credentials/0/user: expected a string, got a number

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/scenario.hpp"

namespace nt35e::scenario {

struct diagnostic {
  std::string file;     ///< empty: not from a file (the control channel)
  int line = 0;         ///< 1-based; 0: no position
  int column = 0;       ///< 1-based, in code points
  std::string path;     ///< JSON pointer of the value ("/" is the whole document); empty: none
  std::string message;  ///< one sentence, no trailing period
};

/// At most this many diagnostics come back from one load (the last one then says how
/// many more there were).
inline constexpr std::size_t max_diagnostics = 20;

/// "file:line:column: error: /broker/credentials/0/user: expected a string, got a number".
/// Parts that are empty (file, position, path) are left out with their separators.
std::string format(const diagnostic& d);
/// Every diagnostic formatted, one per line, each line ending in '\n'.
std::string format(const std::vector<diagnostic>& ds);

/// Loads and checks a scenario file. scenario::file is set to `path`.
///
/// Each entry of "modems" (per-modem overrides) is checked as the whole world it makes
/// (the scenario with the override merged in), so every rule of the format applies to
/// it; a problem in what the override gives is reported at /modems/i/..., one that only
/// its world has (an id beyond its max_id setting) at the scenario's own place, ending
/// "(with the override /modems/i)".
std::variant<scenario, std::vector<diagnostic>> load_file(const std::string& path);
/// Loads and checks scenario text; `file_name` is used in messages, in scenario::file,
/// and (its stem) as the scenario's name when the text gives none.
std::variant<scenario, std::vector<diagnostic>> load_text(std::string_view text, const std::string& file_name);

/// One action given as JSON ({"action":"drop_link","id":0}). `path` is the JSON pointer
/// of `j` and prefixes the diagnostic's path ("" for a document of its own). Ids must be
/// within 0..max_id. The diagnostic has no file and no position.
std::variant<action, diagnostic> action_from_json(const nlohmann::json& j, const std::string& path, int max_id = 4);

/// The JSON form of an action (only the fields that apply to its kind), for logs and
/// the control channel's echo; action_from_json reads it back to an equal action.
nlohmann::json to_json(const action& a);

/// The JSON form of an expectation (the fields of its kind that are set); the loader
/// reads it back to an equal expectation.
nlohmann::json to_json(const expectation& x);
/// The JSON form of the "oracle" key.
nlohmann::json to_json(const scenario::oracle_script& o);

/// How a JSON value's type reads in a message: "a string", "an object", "a number", "null"…
/// (the scenario loader's and the control channel's diagnostics say it the same way).
std::string json_type_name(const nlohmann::json& j);
/// The JSON form of a whole scenario, every field written out (defaults included), its
/// "modems" overrides as they were written, its "fleet_events" with their actions in
/// full and select in its string form; load_text reads its dump back to an equal
/// scenario (overrides and their worlds included). scenario::file is not written.
nlohmann::json to_json(const scenario& s);

/// A time with a unit: digits, an optional decimal part, then ms, s, m (minutes) or h:
/// "250ms", "3s", "1.5s", "2m", "1h". The value must be a whole number of milliseconds
/// and at most 168h. Without a unit, negative, or another unit: nullopt and, if `error`
/// is given, one sentence saying why.
std::optional<duration> parse_duration(std::string_view text, std::string* error);
/// The shortest exact text for a duration: "0s", "250ms", "3s", "1500ms", "2m", "1h".
std::string format_duration(duration d);

// The longest time parse_duration accepts is max_duration (scenario.hpp).

/// The keys accepted at one place of the format, in documentation order: `where` is
/// "scenario", "network", "broker", "delays", "credential", "retained", "reply",
/// "message", "rule", "modem_override" or "fleet_event". Empty for anything else. (The
/// schema test compares these.)
std::vector<std::string> known_keys(std::string_view where);
/// The keys an action of this kind accepts besides "action", and which must be given.
/// send_bytes needs exactly one of "text" and "hex"; neither is listed as required.
std::vector<std::string> action_keys(action_kind k);
std::vector<std::string> action_required_keys(action_kind k);
/// The keys an expectation of this kind accepts besides "name" and "kind", and which
/// must be given.
std::vector<std::string> expect_keys(expect_kind k);
std::vector<std::string> expect_required_keys(expect_kind k);
/// The event names of on_mqtt triggers.
std::vector<std::string> mqtt_event_names();

}  // namespace nt35e::scenario
