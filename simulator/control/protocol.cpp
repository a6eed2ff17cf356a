#include "control/protocol.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include <nlohmann/json.hpp>

#include "scenario/json_loader.hpp"

namespace nt35e::control {

using nlohmann::json;

void refuse(std::string sentence) { throw refusal{std::move(sentence)}; }

namespace {

/// Deepest nesting a request may have (the real ones need 3).
constexpr int max_depth = 32;

const std::vector<std::string> request_keys = {"fire", "deliver", "network", "query"};
const std::vector<std::string> fleet_request_keys = {"fire", "deliver", "network", "query", "fleet"};
const std::vector<std::string> network_keys = {"registration", "by", "rssi", "ber", "rsrq", "rsrp", "sim"};
const std::vector<std::string> fleet_keys = {"fire", "fraction", "modems", "seed", "stagger", "after_ms"};

/// The latest "after_ms" accepted: a day.
constexpr std::uint64_t max_after_ms = 24ULL * 3600 * 1000;

// ---------------------------------------------------------------------------
// Sentences

std::string as_json_string(std::string_view s) {
  json j = std::string(s);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// Edits (insert, delete, replace, swap two neighbours) from a to b, ignoring case.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const bool same = lower(a[i - 1]) == lower(b[j - 1]);
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

/// " (did you mean \"fire\"?)" when a known name is close, else "".
std::string hint(std::string_view got, const std::vector<std::string>& known) {
  if (got.size() > 64) return {};  // keys are short; do not spend time on a long one
  const std::string* best = nullptr;
  std::size_t best_d = 0;
  for (const auto& k : known) {
    auto d = edit_distance(got, k);
    if (!best || d < best_d) best = &k, best_d = d;
  }
  if (best && best_d <= std::max<std::size_t>(1, best->size() / 3)) return " (did you mean \"" + *best + "\"?)";
  return {};
}

std::string list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

// ---------------------------------------------------------------------------
// The line and its envelope

json parse(std::string_view line) {
  int deepest = 0;
  std::string last_key;  // the member being read, to name it when its value cannot be held
  json::parser_callback_t watch = [&deepest, &last_key](int depth, json::parse_event_t event, json& parsed) {
    deepest = std::max(deepest, depth);
    if (event == json::parse_event_t::key && parsed.is_string()) last_key = parsed.get<std::string>();
    return true;
  };
  json j;
  try {
    j = json::parse(line.begin(), line.end(), watch);
  } catch (const json::parse_error& e) {
    refuse("the request is not valid JSON (syntax error at byte " + std::to_string(e.byte) +
           "); send one JSON object per line, such as {\"query\":\"help\"}");
  } catch (const json::exception&) {
    // Valid syntax nlohmann cannot hold: a number beyond a double (out_of_range 406).
    refuse(std::string("the number ") + (last_key.empty() ? "" : "in \"" + last_key + "\" ") +
           "is out of range (beyond a 64-bit floating-point number); send a number the field accepts");
  }
  if (deepest > max_depth) refuse("the request is nested more than " + std::to_string(max_depth) + " levels deep");
  return j;
}

/// A request split into its optional "modem" and its one request key.
struct envelope {
  std::optional<std::size_t> modem;
  std::string key;
  json value;
};

envelope open(std::string_view line, std::size_t modems, bool fleet) {
  json request = parse(line);
  if (!request.is_object())
    refuse("the request must be a JSON object such as {\"query\":\"state\"}, not " + scenario::json_type_name(request));
  const auto& keys = fleet ? fleet_request_keys : request_keys;
  envelope r;
  if (auto it = request.find("modem"); it != request.end()) {
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() >= modems)
      refuse(
          modems == 1
              ? std::string("\"modem\" can only be 0: this simulator runs one modem (start it with --fleet N for more)")
              : "\"modem\" expects a modem number from 0 to " + std::to_string(modems - 1) + ", not " +
                    (it->is_number() ? it->dump() : scenario::json_type_name(*it)));
    r.modem = it->get<std::size_t>();
    request.erase(it);
    if (request.empty())
      refuse("\"modem\" names the modem; add the request, as in {\"modem\": " + std::to_string(*r.modem) +
             ", \"query\": \"state\"}");
  }
  if (request.empty()) refuse("the request is an empty object; use one of " + list(keys));
  if (request.size() > 1) {
    std::vector<std::string> names;
    for (const auto& [key, v] : request.items()) names.push_back(as_json_string(key));
    refuse("one request per line, but this one has " + list(names) + "; send them on separate lines");
  }
  r.key = request.begin().key();
  r.value = request.begin().value();
  if (r.key == "fleet" && !fleet) refuse("\"fleet\" requests need a fleet; start the simulator with --fleet N");
  if (std::find(keys.begin(), keys.end(), r.key) == keys.end())
    refuse("unknown request " + as_json_string(r.key) + hint(r.key, keys) + "; use one of " + list(keys));
  if (r.key == "fleet" && r.modem)
    refuse("a \"fleet\" request chooses its modems itself (\"modems\", \"fraction\"); leave \"modem\" out");
  return r;
}

// ---------------------------------------------------------------------------
// "fire", "deliver", "network"

/// The action in `spec` (an object as in a scenario's "then"), checked by the loader.
scenario::action checked_action(const json& spec, const std::string& path, int max_id) {
  auto parsed = scenario::action_from_json(spec, path, max_id);
  if (auto* d = std::get_if<scenario::diagnostic>(&parsed)) refuse(scenario::format(*d));
  return std::get<scenario::action>(std::move(parsed));
}

action_request fire_request(const json& value, int max_id) {
  json spec;
  if (value.is_string())
    spec = json{{"action", value}};
  else if (value.is_object())
    spec = value;
  else
    refuse("\"fire\" expects an object such as {\"action\":\"drop_link\",\"id\":0}, not " +
           scenario::json_type_name(value));
  return {{checked_action(spec, "/fire", max_id)}, true};
}

action_request deliver_request(const json& value, int max_id) {
  if (!value.is_object())
    refuse("\"deliver\" expects an object such as {\"id\":0,\"topic\":\"t\",\"payload\":\"p\",\"qos\":1}, not " +
           scenario::json_type_name(value));
  json spec = value;
  if (auto it = spec.find("action"); it != spec.end() && *it != "deliver")
    refuse("\"deliver\" is a shortcut for the deliver action; use {\"fire\": {...}} for other actions");
  spec["action"] = "deliver";
  return {{checked_action(spec, "/deliver", max_id)}, true};
}

/// The action spec for a registration value, named as in a scenario's network.registration.
json registration_spec(const json& value) {
  static const std::vector<std::string> names = {"home", "searching", "denied", "none"};
  std::optional<int> stat;
  if (value.is_number_integer()) {
    // get<int>() would wrap a large number into a valid stat (4294967297 -> 1).
    const bool small = value.is_number_unsigned()
                           ? value.get<std::uint64_t>() <= 255
                           : value.get<std::int64_t>() >= -255 && value.get<std::int64_t>() <= 255;
    if (!small)
      refuse("network.registration " + value.dump() +
             " is out of range: not a +CEREG stat the network can give (0, 1, 2 or 3)");
    stat = value.get<int>();
  } else if (value.is_string()) {
    auto s = value.get<std::string>();
    if (s == "home" || s == "registered")
      stat = 1;
    else if (s == "searching")
      stat = 2;
    else if (s == "denied")
      stat = 3;
    else if (s == "none" || s == "not_registered")
      stat = 0;
    else if (s == "roaming")
      stat = 5;
    else
      refuse("network.registration " + as_json_string(s) +
             " is not one of home (registered again), searching, denied or none" + hint(s, names));
  } else {
    refuse("network.registration expects home, searching, denied, none or a +CEREG stat, not " +
           scenario::json_type_name(value));
  }
  switch (*stat) {
    case 1:
      return json{{"action", "regain_registration"}};
    case 0:
    case 2:
    case 3:
      return json{{"action", "lose_registration"}, {"stat", *stat}};
    case 5:
      refuse(
          "network.registration: the module registers again with its profile's result, which a running modem "
          "cannot change; give the scenario \"network\": {\"registration\": \"roaming\"} instead");
    default:
      refuse("network.registration " + std::to_string(*stat) +
             " is not a +CEREG stat the network can give (0, 1, 2 or 3)");
  }
}

action_request network_request(const json& value, int max_id) {
  if (!value.is_object() || value.empty())
    refuse("\"network\" expects an object such as {\"registration\":\"denied\"} or {\"rssi\":10}");
  for (const auto& [key, v] : value.items()) {
    if (std::find(network_keys.begin(), network_keys.end(), key) == network_keys.end())
      refuse("network has no field " + as_json_string(key) + hint(key, network_keys) + "; use " + list(network_keys));
  }
  std::vector<json> specs;
  if (auto it = value.find("sim"); it != value.end()) {
    if (!it->is_boolean())
      refuse("network.sim expects true (insert the SIM) or false (remove it), not " + scenario::json_type_name(*it));
    specs.push_back(json{{"action", it->get<bool>() ? "insert_sim" : "remove_sim"}});
  }
  if (auto it = value.find("registration"); it != value.end()) {
    json spec = registration_spec(*it);
    if (auto by = value.find("by"); by != value.end()) {
      if (spec["action"] != "regain_registration")
        refuse("network.by (how long until the module registers again) goes only with \"registration\": \"home\"");
      spec["by"] = *by;
    }
    specs.push_back(std::move(spec));
  } else if (value.contains("by")) {
    refuse("network.by goes only with \"registration\": \"home\"");
  }
  json signal = {{"action", "set_signal"}};
  for (const char* key : {"rssi", "ber", "rsrq", "rsrp"})
    if (auto it = value.find(key); it != value.end()) signal[key] = *it;
  if (signal.size() > 1) specs.push_back(std::move(signal));

  // Check everything before firing anything: a bad field changes nothing.
  action_request r{{}, false};
  for (const auto& spec : specs) r.actions.push_back(checked_action(spec, "/network", max_id));
  return r;
}

// ---------------------------------------------------------------------------
// "fleet", "query"

/// "after_ms" of a fleet request: a time for each of `modems` (sorted here, with their
/// times, by modem number); a schedule replaces the random choice and the stagger.
std::vector<std::chrono::milliseconds> after_of(const json& after, std::vector<std::size_t>& modems,
                                                const json& request) {
  for (const char* other : {"fraction", "seed", "stagger"})
    if (request.contains(other))
      refuse(std::string("fleet.after_ms is a schedule of its own; leave \"") + other + "\" out");
  if (!after.is_array() || after.size() != modems.size())
    refuse("fleet.after_ms expects a list of " + std::to_string(modems.size()) +
           " whole numbers of milliseconds, one for each of \"modems\", not " +
           (after.is_array() ? "a list of " + std::to_string(after.size()) : scenario::json_type_name(after)));
  std::vector<std::pair<std::size_t, std::chrono::milliseconds>> schedule;
  for (std::size_t k = 0; k < modems.size(); ++k) {
    const auto& t = after[k];
    if (!t.is_number_unsigned() || t.get<std::uint64_t>() > max_after_ms)
      refuse("fleet.after_ms: " + (t.is_number() ? t.dump() : scenario::json_type_name(t)) +
             " is not a whole number of milliseconds from 0 to " + std::to_string(max_after_ms) + " (a day)");
    schedule.emplace_back(modems[k], std::chrono::milliseconds(t.get<std::int64_t>()));
  }
  std::sort(schedule.begin(), schedule.end());
  for (std::size_t k = 1; k < schedule.size(); ++k)
    if (schedule[k].first == schedule[k - 1].first)
      refuse("fleet.modems lists modem " + std::to_string(schedule[k].first) +
             " twice; with \"after_ms\" each modem fires once, at its own time");
  std::vector<std::chrono::milliseconds> times;
  for (std::size_t k = 0; k < schedule.size(); ++k) {
    modems[k] = schedule[k].first;
    times.push_back(schedule[k].second);
  }
  return times;
}

fleet_request fleet_request_of(const json& value, std::size_t n, int max_id) {
  if (!value.is_object())
    refuse("\"fleet\" expects an object such as {\"fire\": {\"action\": \"drop_link\"}, \"fraction\": 0.3}, not " +
           scenario::json_type_name(value));
  for (const auto& [key, v] : value.items())
    if (std::find(fleet_keys.begin(), fleet_keys.end(), key) == fleet_keys.end())
      refuse("fleet has no field " + as_json_string(key) + hint(key, fleet_keys) + "; use " + list(fleet_keys));
  auto fire = value.find("fire");
  if (fire == value.end())
    refuse(
        "a \"fleet\" request needs \"fire\": the action, as in {\"fleet\": {\"fire\": {\"action\": \"drop_link\"}, "
        "\"fraction\": 0.3}}");
  fleet_request r;
  json spec = fire->is_string() ? json{{"action", *fire}} : *fire;
  if (!spec.is_object())
    refuse("fleet.fire expects an object such as {\"action\":\"drop_link\",\"id\":0}, not " +
           scenario::json_type_name(*fire));
  r.action = checked_action(spec, "/fleet/fire", max_id);

  if (auto it = value.find("modems"); it != value.end()) {
    if (!it->is_array() || it->empty())
      refuse("fleet.modems expects a list of modem numbers such as [0, 5, 7], not " +
             (it->is_array() ? std::string("an empty list") : scenario::json_type_name(*it)));
    for (const auto& m : *it) {
      if (!m.is_number_unsigned() || m.get<std::uint64_t>() >= n)
        refuse("fleet.modems: " + (m.is_number() ? m.dump() : scenario::json_type_name(m)) +
               " is not a modem number from 0 to " + std::to_string(n - 1));
      r.candidates.push_back(m.get<std::size_t>());
    }
    if (auto after = value.find("after_ms"); after != value.end()) {
      r.after = after_of(*after, r.candidates, value);
    } else {
      std::sort(r.candidates.begin(), r.candidates.end());
      r.candidates.erase(std::unique(r.candidates.begin(), r.candidates.end()), r.candidates.end());
    }
  } else if (value.contains("after_ms")) {
    refuse("fleet.after_ms goes with \"modems\": one time for each modem listed, in the same order");
  } else {
    r.candidates.resize(n);
    for (std::size_t i = 0; i < n; ++i) r.candidates[i] = i;
  }

  auto fraction = value.find("fraction");
  if (auto seed = value.find("seed"); seed != value.end()) {
    if (fraction == value.end()) refuse("fleet.seed goes with \"fraction\" (it seeds the random choice of modems)");
    if (!seed->is_number_unsigned()) refuse("fleet.seed expects a whole number of 0 or more, not " + seed->dump());
    r.seed = seed->get<std::uint64_t>();
  }
  if (fraction != value.end()) {
    if (!fraction->is_number() || !(fraction->get<double>() > 0.0) || fraction->get<double>() > 1.0)
      refuse("fleet.fraction expects a number above 0 and at most 1 (0.3 = 30 % of the modems), not " +
             (fraction->is_number() ? fraction->dump() : scenario::json_type_name(*fraction)));
    r.fraction = fraction->get<double>();
  }

  if (auto stagger = value.find("stagger"); stagger != value.end()) {
    if (!stagger->is_string())
      refuse("fleet.stagger expects a time such as \"5s\" or \"500ms\", not " + scenario::json_type_name(*stagger));
    std::string why;
    auto d = scenario::parse_duration(stagger->get<std::string>(), &why);
    if (!d) refuse("fleet.stagger: " + why);
    r.stagger = *d;
  }
  return r;
}

query_kind query_of(const json& value, bool fleet) {
  static const std::vector<std::string> plain = {"state", "metrics", "verdict", "help"};
  static const std::vector<std::string> with_fleet = {"state", "metrics", "verdict", "fleet", "help"};
  const auto& names = fleet ? with_fleet : plain;
  if (!value.is_string()) refuse("\"query\" expects " + list(names) + ", not " + scenario::json_type_name(value));
  const auto what = value.get<std::string>();
  if (std::find(names.begin(), names.end(), what) == names.end())
    refuse("unknown query " + as_json_string(what) + hint(what, names) + "; use " + list(names));
  if (what == "state") return query_kind::state;
  if (what == "metrics") return query_kind::metrics;
  if (what == "verdict") return query_kind::verdict;
  if (what == "fleet") return query_kind::fleet;
  return query_kind::help;
}

}  // namespace

std::optional<auth_request> parse_auth(std::string_view line) {
  // Most lines are not: spare them a second parse. (A key spelt with escapes is then
  // no auth request, and parse_request refuses it as an unknown request.)
  if (line.find("\"auth\"") == std::string_view::npos) return std::nullopt;
  // Not through parse(): its refusals are for requests, and this must never throw.
  json j = json::parse(line.begin(), line.end(), nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto it = j.find("auth");
  if (it == j.end()) return std::nullopt;
  auth_request r;
  if (it->is_string()) r.token = it->get<std::string>();
  r.alone = j.size() == 1;
  return r;
}

std::variant<request, refusal> parse_request(std::string_view line, const request_limits& limits) {
  const auto max_id = [&limits](std::size_t i) { return limits.max_id && i < limits.modems ? limits.max_id(i) : 4; };
  try {
    auto e = open(line, limits.modems, limits.fleet);
    request r{e.modem, query_kind::help};
    const int id_limit = max_id(e.modem.value_or(0));
    if (e.key == "fire")
      r.body = fire_request(e.value, id_limit);
    else if (e.key == "deliver")
      r.body = deliver_request(e.value, id_limit);
    else if (e.key == "network")
      r.body = network_request(e.value, id_limit);
    else if (e.key == "fleet")
      r.body = fleet_request_of(e.value, limits.modems, max_id(0));
    else
      r.body = query_of(e.value, limits.fleet);
    return r;
  } catch (refusal& no) {
    return std::move(no);
  }
}

std::string too_long_sentence() {
  return "the request line is longer than " + std::to_string(max_line) + " bytes; the connection is closed";
}

void line_splitter::feed(std::string_view bytes, std::vector<std::string>& lines) {
  if (too_long_) return;
  partial_.append(bytes);
  std::size_t start = 0;
  for (;;) {
    auto nl = partial_.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(partial_.data() + start, nl - start);
    start = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_line) {
      // The lines before it are still answered.
      too_long_ = true;
      break;
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank
    lines.emplace_back(line);
  }
  partial_.erase(0, start);
  // An incomplete line may still get its "\r" before the "\n": one byte of grace.
  if (!too_long_ && partial_.size() > max_line + 1) too_long_ = true;
}

}  // namespace nt35e::control
