#pragma once
// The inside of the scenario JSON loader, shared by the json_*.cpp files of this folder
// and by nothing else (json_loader.hpp is the public face). One checker walks a parsed
// document; its readers live in one file per part of the format:
//   json_checker.cpp   typed fields (strings, numbers, ids, times, topics, arrays)
//   json_scenario.cpp  the top level: profile, settings, time scale, network
//   json_broker.cpp    the scripted broker
//   json_rules.cpp     rules, their triggers and their actions
//   json_fleet.cpp     per-modem overrides, "select" and fleet events
//   json_expect.cpp    expectations: what the driver must do
// and the words of its messages are in json_diagnostics.cpp.

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "at/text.hpp"
#include "scenario/json_loader.hpp"
#include "scenario/json_locator.hpp"
#include "scenario/scenario.hpp"

namespace nt35e::scenario::json_detail {

using json = nlohmann::json;

// ---------------------------------------------------------------------------------
// Text (json_text.cpp; case and UTF-8 checks are at::to_lower and at::valid_utf8).

/// The items separated by `sep`.
std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");
/// "a, b, c" -> {"a", "b", "c"} (the separator is exactly ", ").
std::vector<std::string> split_names(const std::string& list);

// ---------------------------------------------------------------------------------
// The words of diagnostics and JSON pointers (json_diagnostics.cpp)

/// A string as it would be written in JSON, quotes included (shortened past 60 bytes).
std::string quote(std::string_view s);
/// What a value is, for "got ...": numbers by value, the rest by type.
std::string got(const json& j);
/// The candidate closest to `word`: within edit distance 2 (1 for candidates of up to
/// 3 characters), or else one of them a prefix of the other (3 characters at least).
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates);
/// "unknown <what> "x"; did you mean "y"?" or "...; expected one of: a, b, c".
std::string unknown(std::string_view what, std::string_view word, const std::vector<std::string>& known);
/// The pointer of member `key` of the value at `ptr`.
std::string child(const std::string& ptr, std::string_view key);
/// The pointer of element `index` of the array at `ptr`.
std::string child(const std::string& ptr, std::size_t index);
/// A pointer as messages show it: "/" for the whole document.
std::string shown(const std::string& ptr);
/// One reference token of a JSON pointer, unescaped: "~1" -> "/", "~0" -> "~".
std::string unescape_pointer_token(std::string_view token);

/// One thing wrong with a document, before it gets a file position.
struct problem {
  std::string pointer;  ///< where the value (or key) is in the document
  std::string message;  ///< one sentence, no trailing period
  bool at_key = false;  ///< positioned at the member's key rather than its value
};

/// The problems as diagnostics of `file`, positioned by `loc`, in file order, at most
/// max_diagnostics of them.
std::vector<diagnostic> to_diagnostics(const std::vector<problem>& problems, const json_locator& loc,
                                       const std::string& file);
/// nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 10: syntax
/// error while parsing value - unexpected ','; expected '[', '{', or a literal" ->
/// "unexpected ','; expected '[', '{', or a literal".
std::string syntax_message(std::string what);

// ---------------------------------------------------------------------------------
// The vocabulary of the format (json_vocabulary.cpp)

/// The built-in profiles "profile" may name.
extern const std::vector<std::string> profile_names;
/// The names of network.registration and the +CEREG stat each gives.
extern const std::vector<std::pair<std::string, int>> registrations;
/// The keys of a rule that are its trigger (a rule has exactly one).
extern const std::vector<std::string> trigger_keys;
/// The keys accepted at one place of the format (see known_keys).
std::vector<std::string> keys_of(std::string_view where);
/// True for actions that change the answer to the command that fired the rule.
bool command_only(action_kind k);
/// Every key some action accepts (to tell "does not apply" from "unknown").
std::vector<std::string> all_action_keys();

/// One signal field: 0..max, or `unknown` (the module's "not known" value).
struct signal_range {
  const char* key;  ///< "rssi", "ber", "rsrq" or "rsrp"
  int max;          ///< the highest measured value
  int unknown;      ///< 99 or 255
};
/// rssi, ber, rsrq and rsrp, in that order.
inline constexpr signal_range signal_ranges[] = {
    {"rssi", 31, 99}, {"ber", 7, 99}, {"rsrq", 34, 255}, {"rsrp", 97, 255}};

// ---------------------------------------------------------------------------------
// The checker

/// Walks a parsed document, fills structs and collects problems. Every read_* takes the
/// object, its pointer and the key; it returns true when the key is present and valid.
struct checker {
  std::vector<problem> problems;      ///< what is wrong so far, in the order found
  const json_locator* loc = nullptr;  ///< for document order of map members; may be null
  /// Where a pointer of the document being read is in the file: empty for the file
  /// itself; an override's merged world maps what the override gave to /modems/i/...
  std::function<std::string(const std::string&)> origin;
  int max_id = 4;        ///< the highest ECMT id of the world being read
  std::string id_scope;  ///< why ids stop there: "profile nt35e has ids 0 to 4"

  // -- the basics (json_checker.cpp)

  /// Records one problem.
  void error(const std::string& ptr, std::string message, bool at_key = false);
  /// Says where max_id comes from, for "id 7 is out of range: ...".
  void set_id_scope(const std::string& profile, bool from_setting);
  /// True when `j` has `type` (any number for number_float); else a problem.
  bool expect(const json& j, const std::string& ptr, json::value_t type, const char* what);
  /// Checks that `j` is an object whose keys are all in `known`. Unknown keys are
  /// reported at their key with a hint; `special` may give its own sentence for a key.
  /// Returns the keys hinted at (a typo of a required key is then reported once), or
  /// nullopt when `j` is not an object.
  std::optional<std::set<std::string>> check_object(
      const json& j, const std::string& ptr, const std::vector<std::string>& known,
      const std::function<std::optional<std::string>(const std::string&)>& special = {});
  /// True when `obj` has `key`; else a problem, unless a typo of it was hinted at.
  bool require(const json& obj, const std::string& ptr, const std::string& key, const std::set<std::string>& hinted,
               std::string_view for_what = {});
  /// Document order of an object member: where its key is in the file. In an
  /// override's world, what the override gave comes after what the scenario gave.
  std::pair<bool, std::size_t> order_of(const std::string& member) const;
  /// The members of an object in document order (sorted by name without a locator).
  std::vector<std::pair<std::string, const json*>> members(const json& obj, const std::string& ptr) const;

  /// Sorts the keys (or key/value pairs) of the object at `ptr` into document order;
  /// nothing happens without a locator.
  template <class T>
  void in_document_order(std::vector<T>& keys, const std::string& ptr) const {
    if (!loc) return;
    auto key_of = [](const T& k) -> const std::string& {
      if constexpr (std::is_same_v<T, std::string>)
        return k;
      else
        return k.first;
    };
    std::stable_sort(keys.begin(), keys.end(), [&](const T& a, const T& b) {
      return order_of(child(ptr, key_of(a))) < order_of(child(ptr, key_of(b)));
    });
  }

  // -- typed fields (json_checker.cpp)

  /// A string.
  bool read_string(const json& obj, const std::string& ptr, const std::string& key, std::string& out);
  /// true or false.
  bool read_bool(const json& obj, const std::string& ptr, const std::string& key, bool& out);
  /// A whole number (an integral float such as 2.0 counts), or nullopt.
  static std::optional<long long> whole(const json& j);
  /// "a whole number from 0 to 5" (or "of at least 1" when max is INT_MAX or more).
  static std::string range_text(long long min, long long max);
  /// rssi, ber, rsrq, rsrp: 0..max, or the "unknown" value (99 or 255).
  bool read_signal(const json& obj, const std::string& ptr, const signal_range& r, std::optional<int>& out);
  /// An ECMT id within 0..max_id.
  bool read_id(const json& obj, const std::string& ptr, const std::string& key, std::optional<int>& out);
  /// A time with a unit ("250ms"); a bare number is a problem that says so.
  bool read_duration(const json& obj, const std::string& ptr, const std::string& key, duration& out);
  /// read_duration into an optional.
  bool read_opt_duration(const json& obj, const std::string& ptr, const std::string& key, std::optional<duration>& out);
  /// A topic a message is published to: not empty, no wildcard.
  bool read_topic(const json& obj, const std::string& ptr, const std::string& key, std::string& out);
  /// Why `f` is not a topic filter (MQTT 3.1.1 §4.7), or "".
  static std::string filter_problem(const std::string& f);
  /// A topic filter (MQTT 3.1.1 §4.7): "+" a whole level, "#" a whole last level.
  bool read_filter(const json& obj, const std::string& ptr, const std::string& key, std::string& out);

  /// A whole number within min..max.
  template <class Int>
  bool read_int(const json& obj, const std::string& ptr, const std::string& key, Int& out, long long min,
                long long max) {
    auto it = obj.find(key);
    if (it == obj.end()) return false;
    auto n = whole(*it);
    if (!n || *n < min || *n > max) {
      error(child(ptr, key), "expected " + range_text(min, max) + ", got " + got(*it));
      return false;
    }
    out = static_cast<Int>(*n);
    return true;
  }

  /// Calls each(element, pointer) for every element of the array at `key`.
  template <class F>
  void read_array(const json& obj, const std::string& ptr, const std::string& key, F each) {
    auto it = obj.find(key);
    if (it == obj.end()) return;
    const auto at = child(ptr, key);
    if (!expect(*it, at, json::value_t::array, "an array")) return;
    for (std::size_t i = 0; i < it->size(); ++i) each((*it)[i], child(at, i));
  }

  // -- the top level (json_scenario.cpp)

  /// The whole document of one world (the file's, or an override merged into it).
  void read_scenario(const json& root, scenario& s);
  /// "profile" and "settings"; sets max_id and id_scope for the ids read after them.
  void read_profile_and_settings(const json& root, scenario& s);
  /// "network".
  void read_network(const json& obj, network_script& n);
  /// The "oracle" object: mode, rules switched on or off, thresholds.
  void read_oracle(const json& obj, scenario::oracle_script& o);

  // -- expectations (json_expect.cpp)

  /// "expect": the driver's duties, each kept when valid.
  void read_expect(const json& root, scenario& s);
  /// One expectation object; true when it is valid.
  bool read_expectation(const json& j, const std::string& ptr, expectation& x);

  // -- the broker (json_broker.cpp)

  /// "broker".
  void read_broker(const json& obj, broker_script& b);
  /// "broker.ping": AT+ECPING's round-trip times and loss per host.
  void read_ping(const json& obj, ping_script& p);
  /// topic (required), payload and qos of a retained, reply or timed message.
  void read_message_fields(const json& obj, const std::string& ptr, message& m, const std::set<std::string>& hinted);
  /// An array of host names (or "HOST[:PORT]" when `with_port`).
  void read_host_list(const json& obj, const std::string& ptr, const std::string& key, std::vector<std::string>& out,
                      bool with_port);

  // -- rules and actions (json_rules.cpp)

  /// One rule; `index` names it when it has no "name".
  void read_rule(const json& obj, const std::string& ptr, std::size_t index, rule& r);
  /// The pattern of a command or URC trigger (a regex must compile).
  void read_pattern(const json& obj, const std::string& ptr, const std::string& key, trigger& t);
  /// One action object; true when it is valid.
  bool read_action(const json& j, const std::string& ptr, action& a);
  /// send_bytes' "hex" as bytes.
  void read_hex(const json& j, const std::string& ptr, std::string& out);

  // -- overrides' select and fleet events (json_fleet.cpp)

  /// A fleet index written in digits; nullopt (and an error) above max_fleet_index.
  std::optional<std::uint64_t> fleet_index(std::string_view digits, const std::string& at);
  /// "select": a string of comma-separated N or A-B ("0-9, 15"), or an array of indices.
  bool read_select(const json& obj, const std::string& ptr, std::vector<index_range>& out);
  /// "fleet_events": top level only (an override's world never has them).
  void read_fleet_events(const json& root, scenario& s);
  /// One fleet event; added to `out` when its action is valid.
  void read_fleet_event(const json& e, const std::string& ptr, std::vector<fleet_event>& out);
  /// "fire": an action object, or the bare name of one that needs no fields.
  void read_fired_action(const json& e, const std::string& ptr, action& a, bool& ok);
};

/// Reads "modems" into s.modems (json_fleet.cpp); `c` holds the problems of the
/// scenario itself and gets the overrides' problems.
void read_modems(const json& root, const json_locator& loc, checker& c, scenario& s);

}  // namespace nt35e::scenario::json_detail
