#include "control/control_server.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <random>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "io/session.hpp"
#include "io/tcp_transport.hpp"
#include "io/transport.hpp"
#include "scenario/fleet_choice.hpp"
#include "scenario/json_loader.hpp"

namespace nt35e::control {

namespace net = boost::asio;
using net::ip::tcp;
using nlohmann::json;
/// Answers keep their keys in the order written ("ok" first).
using ojson = nlohmann::ordered_json;

// ---------------------------------------------------------------------------
// Requests

namespace {

/// Thrown inside the request handler: becomes {"ok":false,"error":sentence}.
struct request_error {
  std::string sentence;
};

[[noreturn]] void fail(std::string sentence) { throw request_error{std::move(sentence)}; }

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }
std::string dump(const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::replace); }

std::string as_json_string(std::string_view s) {
  json j = std::string(s);
  return dump(j);
}

/// Deepest nesting a request may have (the real ones need 3).
constexpr int max_depth = 32;

const std::vector<std::string> request_keys = {"fire", "deliver", "network", "query"};
const std::vector<std::string> fleet_request_keys = {"fire", "deliver", "network", "query", "fleet"};
const std::vector<std::string> network_keys = {"registration", "by", "rssi", "ber", "rsrq", "rsrp", "sim"};

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

std::string type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::string:
      return "a string";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    case json::value_t::discarded:
      return "nothing";
    default:
      return "a number";
  }
}

json parse(std::string_view line) {
  int deepest = 0;
  json::parser_callback_t watch = [&deepest](int depth, json::parse_event_t, json&) {
    deepest = std::max(deepest, depth);
    return true;
  };
  json j;
  try {
    j = json::parse(line.begin(), line.end(), watch);
  } catch (const json::parse_error& e) {
    fail("the request is not valid JSON (syntax error at byte " + std::to_string(e.byte) +
         "); send one JSON object per line, such as {\"query\":\"help\"}");
  }
  if (deepest > max_depth) fail("the request is nested more than " + std::to_string(max_depth) + " levels deep");
  return j;
}

/// The action in `spec` (an object as in a scenario's "then"), checked by the loader.
scenario::action checked_action(const json& spec, const std::string& path, int max_id) {
  auto parsed = scenario::action_from_json(spec, path, max_id);
  if (auto* d = std::get_if<scenario::diagnostic>(&parsed)) fail(scenario::format(*d));
  return std::get<scenario::action>(std::move(parsed));
}

void log_line(io::logger* log, io::log_level level, std::string_view peer, const std::string& text) {
  if (log) log->log(level, "control " + std::string(peer) + ": " + text);
}

/// The actions a "fire", "deliver" or "network" request asks for, all checked, and
/// whether the answer names one ("fired": {...}) or a list ("fired": [...]).
struct action_plan {
  std::vector<scenario::action> actions;
  bool single = true;
};

action_plan fire_plan(const json& value, int max_id) {
  json spec;
  if (value.is_string())
    spec = json{{"action", value}};
  else if (value.is_object())
    spec = value;
  else
    fail("\"fire\" expects an object such as {\"action\":\"drop_link\",\"id\":0}, not " + type_name(value));
  return {{checked_action(spec, "/fire", max_id)}, true};
}

action_plan deliver_plan(const json& value, int max_id) {
  if (!value.is_object())
    fail("\"deliver\" expects an object such as {\"id\":0,\"topic\":\"t\",\"payload\":\"p\",\"qos\":1}, not " +
         type_name(value));
  json spec = value;
  if (auto it = spec.find("action"); it != spec.end() && *it != "deliver")
    fail("\"deliver\" is a shortcut for the deliver action; use {\"fire\": {...}} for other actions");
  spec["action"] = "deliver";
  return {{checked_action(spec, "/deliver", max_id)}, true};
}

/// The action spec for a registration value, named as in a scenario's network.registration.
json registration_spec(const json& value) {
  static const std::vector<std::string> names = {"home", "searching", "denied", "none"};
  std::optional<int> stat;
  if (value.is_number_integer()) {
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
      fail("network.registration " + as_json_string(s) +
           " is not one of home (registered again), searching, denied or none" + hint(s, names));
  } else {
    fail("network.registration expects home, searching, denied, none or a +CEREG stat, not " + type_name(value));
  }
  switch (*stat) {
    case 1:
      return json{{"action", "regain_registration"}};
    case 0:
    case 2:
    case 3:
      return json{{"action", "lose_registration"}, {"stat", *stat}};
    case 5:
      fail(
          "network.registration: the module registers again with its profile's result, which a running modem "
          "cannot change; give the scenario \"network\": {\"registration\": \"roaming\"} instead");
    default:
      fail("network.registration " + std::to_string(*stat) +
           " is not a +CEREG stat the network can give (0, 1, 2 or 3)");
  }
}

action_plan network_plan(const json& value, int max_id) {
  if (!value.is_object() || value.empty())
    fail("\"network\" expects an object such as {\"registration\":\"denied\"} or {\"rssi\":10}");
  for (const auto& [key, v] : value.items()) {
    if (std::find(network_keys.begin(), network_keys.end(), key) == network_keys.end())
      fail("network has no field " + as_json_string(key) + hint(key, network_keys) + "; use " + list(network_keys));
  }
  std::vector<json> specs;
  if (auto it = value.find("sim"); it != value.end()) {
    if (!it->is_boolean())
      fail("network.sim expects true (insert the SIM) or false (remove it), not " + type_name(*it));
    specs.push_back(json{{"action", it->get<bool>() ? "insert_sim" : "remove_sim"}});
  }
  if (auto it = value.find("registration"); it != value.end()) {
    json spec = registration_spec(*it);
    if (auto by = value.find("by"); by != value.end()) {
      if (spec["action"] != "regain_registration")
        fail("network.by (how long until the module registers again) goes only with \"registration\": \"home\"");
      spec["by"] = *by;
    }
    specs.push_back(std::move(spec));
  } else if (value.contains("by")) {
    fail("network.by goes only with \"registration\": \"home\"");
  }
  json signal = {{"action", "set_signal"}};
  for (const char* key : {"rssi", "ber", "rsrq", "rsrp"})
    if (auto it = value.find(key); it != value.end()) signal[key] = *it;
  if (signal.size() > 1) specs.push_back(std::move(signal));

  // Check everything before firing anything: a bad field changes nothing.
  action_plan plan{{}, false};
  for (const auto& spec : specs) plan.actions.push_back(checked_action(spec, "/network", max_id));
  return plan;
}

/// The plan of a "fire", "deliver" or "network" request; nothing for other keys.
std::optional<action_plan> plan_for(const std::string& key, const json& value, int max_id) {
  if (key == "fire") return fire_plan(value, max_id);
  if (key == "deliver") return deliver_plan(value, max_id);
  if (key == "network") return network_plan(value, max_id);
  return std::nullopt;
}

/// Logs the actions and gives the answer's "fired" value.
ojson fired_json(const action_plan& plan, io::logger* log, std::string_view peer, const std::string& where) {
  ojson fired = ojson::array();
  for (const auto& a : plan.actions) {
    ojson j = scenario::to_json(a);
    log_line(log, io::log_level::info, peer, "fire " + dump(j) + where);
    fired.push_back(std::move(j));
  }
  return plan.single ? fired.at(0) : fired;
}

ojson counters_json(const engine::counters& c) {
  return ojson{{"commands", c.commands},       {"errors", c.errors},       {"urcs", c.urcs},
               {"bytes_in", c.bytes_in},       {"bytes_out", c.bytes_out}, {"mqtt_requests", c.mqtt_requests},
               {"mqtt_events", c.mqtt_events}, {"publishes", c.publishes}, {"messages", c.messages},
               {"reconnects", c.reconnects},   {"faults", c.faults}};
}

double ms3(double us) { return std::round(us) / 1000.0; }

ojson histogram_json(const fleet::latency_histogram& h) {
  return ojson{{"count", h.count()},
               {"p50_ms", ms3(h.quantile_us(0.5))},
               {"p90_ms", ms3(h.quantile_us(0.9))},
               {"p99_ms", ms3(h.quantile_us(0.99))},
               {"max_ms", ms3(h.max_us())},
               {"min_ms", ms3(h.min_us())},
               {"mean_ms", ms3(h.mean_us())}};
}

ojson help(bool fleet, std::size_t size) {
  ojson requests = ojson::array({
      ojson{
          {"request", R"({"fire": {"action": "drop_link", "id": 0}})"},
          {"does",
           "carries out one action now, as a scenario rule would; the fields are those of a rule's \"then\" "
           "entry (id, code, by, text, hex, pattern, topic, payload, qos, retain, stat, rssi, ber, rsrq, rsrp, keep)"}},
      ojson{{"request", R"({"fire": "reboot"})"}, {"does", "an action without fields"}},
      ojson{{"request", R"({"deliver": {"id": 0, "topic": "t", "payload": "p", "qos": 1}})"},
            {"does", "an incoming PUBLISH on id (the deliver action)"}},
      ojson{{"request", R"({"network": {"registration": "denied"}})"},
            {"does",
             "loses registration (searching, denied, none) or regains it (home, with an optional "
             "\"by\": \"500ms\")"}},
      ojson{{"request", R"({"network": {"rssi": 10, "ber": 0, "rsrq": 20, "rsrp": 46}})"},
            {"does", "changes the signal (set_signal)"}},
      ojson{{"request", R"({"network": {"sim": false})"}, {"does", "removes (false) or inserts (true) the SIM"}},
      ojson{{"request", R"({"query": "state"})"},
            {"does",
             "the modem's state: profile, uptime_s, booting, cfun, registration, sim, pdp_active, rssi, "
             "ecmt (per id: state, host, port, subscriptions), counters"}},
      ojson{{"request", R"({"query": "metrics"})"},
            {"does",
             "counters and latency histograms (at_command: CR of a command line to its final result; "
             "connect: CR of AT+ECMTCONN= to its +ECMTCONN URC; count, p50_ms, p90_ms, p99_ms, max_ms, "
             "min_ms, mean_ms); in fleet mode the totals of every modem"}},
      ojson{{"request", R"({"query": "help"})"}, {"does", "this list"}},
  });
  if (fleet) {
    requests.push_back(ojson{{"request", R"({"modem": 3, "fire": {"action": "drop_link"}})"},
                             {"does", "any request above for one modem of the fleet (0 to " + std::to_string(size - 1) +
                                          "); without \"modem\" a request goes to modem 0, except "
                                          "{\"query\": \"metrics\"}, which then gives the fleet's totals"}});
    requests.push_back(ojson{{"request", R"({"modem": 3, "query": "metrics"})"},
                             {"does", "one modem's counters and latency histograms, with its index and IMEI"}});
    requests.push_back(ojson{{"request", R"({"query": "fleet"})"},
                             {"does", "size, offset, threads, and per modem its index, IMEI and line"}});
    requests.push_back(ojson{{"request", R"({"fleet": {"fire": {"action": "drop_link"}, "fraction": 0.3, "seed": 7}})"},
                             {"does",
                              "fires the action on a random round(fraction x N) of the modems, chosen with "
                              "seed (optional; the answer gives the seed used, so a run can be repeated)"}});
    requests.push_back(ojson{{"request", R"({"fleet": {"fire": "reboot", "stagger": "5s"}})"},
                             {"does",
                              "fires the action on every chosen modem, spread evenly over the time given "
                              "(the first at once, the last after it; wall-clock time, not scaled by "
                              "--time-scale)"}});
    requests.push_back(ojson{{"request", R"({"fleet": {"fire": {"action": "drop_link"}, "modems": [0, 5, 7]}})"},
                             {"does",
                              "fires the action on those modems (with \"fraction\": a random part of them); "
                              "the answer lists the modems chosen"}});
  }
  return ojson{{"ok", true},
               {"requests", requests},
               {"actions", scenario::action_names()},
               {"registration", {"home", "searching", "denied", "none"}}};
}

const std::vector<std::string>& query_names_for(bool fleet) {
  static const std::vector<std::string> plain = {"state", "metrics", "help"};
  static const std::vector<std::string> with_fleet = {"state", "metrics", "fleet", "help"};
  return fleet ? with_fleet : plain;
}

/// The query's name, checked.
std::string query_name(const json& value, bool fleet) {
  const auto& names = query_names_for(fleet);
  if (!value.is_string()) fail("\"query\" expects " + list(names) + ", not " + type_name(value));
  auto what = value.get<std::string>();
  if (std::find(names.begin(), names.end(), what) == names.end())
    fail("unknown query " + as_json_string(what) + hint(what, names) + "; use " + list(names));
  return what;
}

/// A request split into its optional "modem" and its one request key.
struct split_request {
  std::optional<std::size_t> modem;
  std::string key;
  json value;
};

split_request split(std::string_view line, std::size_t modems, bool fleet) {
  json request = parse(line);
  if (!request.is_object())
    fail("the request must be a JSON object such as {\"query\":\"state\"}, not " + type_name(request));
  const auto& keys = fleet ? fleet_request_keys : request_keys;
  split_request r;
  if (auto it = request.find("modem"); it != request.end()) {
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() >= modems)
      fail(
          modems == 1
              ? std::string("\"modem\" can only be 0: this simulator runs one modem (start it with --fleet N for more)")
              : "\"modem\" expects a modem number from 0 to " + std::to_string(modems - 1) + ", not " +
                    (it->is_number() ? it->dump() : type_name(*it)));
    r.modem = it->get<std::size_t>();
    request.erase(it);
    if (request.empty())
      fail("\"modem\" names the modem; add the request, as in {\"modem\": " + std::to_string(*r.modem) +
           ", \"query\": \"state\"}");
  }
  if (request.empty()) fail("the request is an empty object; use one of " + list(keys));
  if (request.size() > 1) {
    std::vector<std::string> names;
    for (const auto& [key, v] : request.items()) names.push_back(as_json_string(key));
    fail("one request per line, but this one has " + list(names) + "; send them on separate lines");
  }
  r.key = request.begin().key();
  r.value = request.begin().value();
  if (r.key == "fleet" && !fleet) fail("\"fleet\" requests need a fleet; start the simulator with --fleet N");
  if (std::find(keys.begin(), keys.end(), r.key) == keys.end())
    fail("unknown request " + as_json_string(r.key) + hint(r.key, keys) + "; use one of " + list(keys));
  if (r.key == "fleet" && r.modem)
    fail("a \"fleet\" request chooses its modems itself (\"modems\", \"fraction\"); leave \"modem\" out");
  return r;
}

ojson state_answer(const engine::snapshot& s) {
  ojson answer = {{"ok", true}};
  const ojson state = to_json(s);
  for (auto it = state.begin(); it != state.end(); ++it) answer[it.key()] = it.value();
  return answer;
}

/// A target's metrics: its own, or the counters of its snapshot.
fleet::modem_metrics metrics_of(const target& t) {
  if (t.metrics) return t.metrics();
  fleet::modem_metrics m;
  if (t.snapshot) {
    auto s = t.snapshot();
    m.counters = s.count;
    m.uptime_s = s.uptime_s;
    for (const auto& e : s.ecmt)
      if (e.state == "CONNECTED") ++m.connected;
  }
  return m;
}

ojson metrics_answer(const fleet::modem_metrics& m) {
  ojson answer = {{"ok", true}};
  const ojson fields = to_json(m);
  for (auto it = fields.begin(); it != fields.end(); ++it) answer[it.key()] = it.value();
  return answer;
}

ojson answer_for(std::string_view line, const target& t, io::logger* log, std::string_view peer) {
  auto r = split(line, 1, false);
  if (auto plan = plan_for(r.key, r.value, t.max_id)) {
    if (!t.fire) fail("the modem is not running; nothing was fired");
    ojson fired = fired_json(*plan, log, peer, "");
    for (const auto& a : plan->actions) t.fire(a);
    return ojson{{"ok", true}, {"fired", fired}};
  }
  // r.key == "query"
  auto what = query_name(r.value, false);
  if (what == "help") return help(false, 1);
  if (!t.snapshot) fail("the modem is not running");
  if (what == "metrics") return metrics_answer(metrics_of(t));
  return state_answer(t.snapshot());
}

// ---------------------------------------------------------------------------
// The asynchronous path: each modem on its own executor.

/// Runs `work(i)` on the executor of each modem in `which`, then `then()` on `reply_ex`
/// once every one has run.
void for_each_modem(const std::shared_ptr<const fleet_target>& f, const std::vector<std::size_t>& which,
                    std::function<void(std::size_t)> work, net::any_io_executor reply_ex, std::function<void()> then) {
  struct state {
    std::atomic<std::size_t> left;
    std::function<void(std::size_t)> work;
    std::function<void()> then;
    net::any_io_executor reply_ex;
  };
  auto st = std::make_shared<state>();
  st->left = which.size();
  st->work = std::move(work);
  st->then = std::move(then);
  st->reply_ex = std::move(reply_ex);
  if (which.empty()) {
    net::post(st->reply_ex, [st] { st->then(); });
    return;
  }
  for (auto i : which) {
    net::post(f->modems[i].ex, [st, i] {
      st->work(i);
      if (st->left.fetch_sub(1, std::memory_order_acq_rel) == 1) net::post(st->reply_ex, [st] { st->then(); });
    });
  }
}

/// The modems a "fleet" request chooses, in index order.
struct fleet_choice {
  std::vector<std::size_t> modems;
  std::optional<std::uint64_t> seed;  ///< the seed used (with "fraction")
  std::chrono::milliseconds stagger{0};
  bool staggered = false;
  scenario::action action;
};

const std::vector<std::string> fleet_keys = {"fire", "fraction", "modems", "seed", "stagger"};

fleet_choice choose(const json& value, const fleet_target& f) {
  const std::size_t n = f.modems.size();
  if (!value.is_object())
    fail("\"fleet\" expects an object such as {\"fire\": {\"action\": \"drop_link\"}, \"fraction\": 0.3}, not " +
         type_name(value));
  for (const auto& [key, v] : value.items())
    if (std::find(fleet_keys.begin(), fleet_keys.end(), key) == fleet_keys.end())
      fail("fleet has no field " + as_json_string(key) + hint(key, fleet_keys) + "; use " + list(fleet_keys));
  auto fire = value.find("fire");
  if (fire == value.end())
    fail(
        "a \"fleet\" request needs \"fire\": the action, as in {\"fleet\": {\"fire\": {\"action\": \"drop_link\"}, "
        "\"fraction\": 0.3}}");
  fleet_choice c;
  json spec = fire->is_string() ? json{{"action", *fire}} : *fire;
  if (!spec.is_object())
    fail("fleet.fire expects an object such as {\"action\":\"drop_link\",\"id\":0}, not " + type_name(*fire));
  c.action = checked_action(spec, "/fleet/fire", f.modems.empty() ? 4 : f.modems.front().t.max_id);

  std::vector<std::size_t> candidates;
  if (auto it = value.find("modems"); it != value.end()) {
    if (!it->is_array() || it->empty())
      fail("fleet.modems expects a list of modem numbers such as [0, 5, 7], not " +
           (it->is_array() ? std::string("an empty list") : type_name(*it)));
    for (const auto& m : *it) {
      if (!m.is_number_unsigned() || m.get<std::uint64_t>() >= n)
        fail("fleet.modems: " + (m.is_number() ? m.dump() : type_name(m)) + " is not a modem number from 0 to " +
             std::to_string(n - 1));
      candidates.push_back(m.get<std::size_t>());
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  } else {
    candidates.resize(n);
    for (std::size_t i = 0; i < n; ++i) candidates[i] = i;
  }

  auto fraction = value.find("fraction");
  if (auto seed = value.find("seed"); seed != value.end()) {
    if (fraction == value.end()) fail("fleet.seed goes with \"fraction\" (it seeds the random choice of modems)");
    if (!seed->is_number_unsigned()) fail("fleet.seed expects a whole number of 0 or more, not " + seed->dump());
    c.seed = seed->get<std::uint64_t>();
  }
  if (fraction != value.end()) {
    if (!fraction->is_number() || !(fraction->get<double>() > 0.0) || fraction->get<double>() > 1.0)
      fail("fleet.fraction expects a number above 0 and at most 1 (0.3 = 30 % of the modems), not " +
           (fraction->is_number() ? fraction->dump() : type_name(*fraction)));
    if (!c.seed) c.seed = (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
    // The scenario's fleet events choose the same way: the same seed, the same modems.
    candidates = scenario::choose_fraction(std::move(candidates), fraction->get<double>(), *c.seed);
  }
  c.modems = std::move(candidates);

  if (auto stagger = value.find("stagger"); stagger != value.end()) {
    if (!stagger->is_string())
      fail("fleet.stagger expects a time such as \"5s\" or \"500ms\", not " + type_name(*stagger));
    std::string why;
    auto d = scenario::parse_duration(stagger->get<std::string>(), &why);
    if (!d) fail("fleet.stagger: " + why);
    c.stagger = *d;
    c.staggered = true;
  }
  return c;
}

/// One request, asynchronously; `reply(answer)` is called exactly once, on any thread.
void answer_async(std::string_view line, const std::shared_ptr<const fleet_target>& f, net::any_io_executor reply_ex,
                  io::logger* log, const std::string& peer, const std::shared_ptr<std::atomic<bool>>& stop,
                  const std::function<void(ojson)>& reply) {
  const std::size_t n = f->modems.size();
  if (n == 0) fail("the simulator runs no modem");
  auto r = split(line, n, f->fleet);
  const std::size_t i = r.modem.value_or(0);
  const auto& entry = f->modems[i];
  const std::string where = f->fleet ? " on modem " + std::to_string(i) : std::string();

  if (auto plan = plan_for(r.key, r.value, entry.t.max_id)) {
    if (!entry.t.fire) fail("the modem is not running; nothing was fired");
    ojson answer = {{"ok", true}};
    if (r.modem) answer["modem"] = i;
    answer["fired"] = fired_json(*plan, log, peer, where);
    // Posted, so a request after this one on the same connection sees its effect.
    net::post(entry.ex, [f, i, actions = std::move(plan->actions)] {
      for (const auto& a : actions) f->modems[i].t.fire(a);
    });
    return reply(std::move(answer));
  }

  if (r.key == "fleet") {
    auto c = choose(r.value, *f);
    ojson answer = {{"ok", true}, {"fired", scenario::to_json(c.action)}, {"count", c.modems.size()}};
    answer["modems"] = c.modems;
    if (c.seed) answer["seed"] = *c.seed;
    if (c.staggered) answer["stagger"] = scenario::format_duration(c.stagger);
    log_line(log, io::log_level::info, peer,
             "fleet fire " + dump(scenario::to_json(c.action)) + " on " + std::to_string(c.modems.size()) + " of " +
                 std::to_string(n) + " modems" +
                 (c.staggered ? " over " + scenario::format_duration(c.stagger) : std::string()));
    fire_on_fleet(f, c.modems, c.action, std::chrono::duration_cast<std::chrono::microseconds>(c.stagger), stop);
    return reply(std::move(answer));
  }

  // r.key == "query"
  const auto what = query_name(r.value, f->fleet);
  if (what == "help") return reply(help(f->fleet, n));
  if (what == "fleet") {
    ojson modems = ojson::array();
    for (std::size_t k = 0; k < n; ++k)
      modems.push_back(
          ojson{{"modem", k}, {"index", f->modems[k].index}, {"imei", f->modems[k].imei}, {"line", f->modems[k].line}});
    return reply(ojson{{"ok", true}, {"size", n}, {"offset", f->offset}, {"threads", f->threads}, {"modems", modems}});
  }
  if (!entry.t.snapshot) fail("the modem is not running");
  if (what == "state") {
    net::post(entry.ex, [f, i, modem = r.modem, reply] {
      ojson answer = state_answer(f->modems[i].t.snapshot());
      if (modem) answer["modem"] = *modem;
      reply(std::move(answer));
    });
    return;
  }
  // metrics: one modem, or the fleet's totals
  if (r.modem || !f->fleet) {
    net::post(entry.ex, [f, i, fleet = f->fleet, reply] {
      ojson answer = {{"ok", true}};
      if (fleet) {
        answer["modem"] = i;
        answer["index"] = f->modems[i].index;
        answer["imei"] = f->modems[i].imei;
      }
      const ojson fields = to_json(metrics_of(f->modems[i].t));
      for (auto it = fields.begin(); it != fields.end(); ++it) answer[it.key()] = it.value();
      reply(std::move(answer));
    });
    return;
  }
  struct total_state {
    std::mutex mutex;
    fleet::modem_metrics total;
    bool first = true;
  };
  auto total = std::make_shared<total_state>();
  std::vector<std::size_t> all(n);
  for (std::size_t k = 0; k < n; ++k) all[k] = k;
  for_each_modem(
      f, all,
      [f, total](std::size_t k) {
        auto m = metrics_of(f->modems[k].t);
        std::lock_guard lock(total->mutex);
        if (std::exchange(total->first, false))
          total->total = std::move(m);
        else
          total->total.merge(m);
      },
      reply_ex,
      [total, reply] {
        std::lock_guard lock(total->mutex);
        reply(metrics_answer(total->total));
      });
}

}  // namespace

nlohmann::ordered_json to_json(const engine::snapshot& s) {
  ojson ecmt = ojson::array();
  for (const auto& e : s.ecmt) {
    ojson subs = ojson::array();
    for (const auto& [topic, qos] : e.subscriptions) subs.push_back(ojson{{"topic", topic}, {"qos", qos}});
    ecmt.push_back(
        ojson{{"id", e.id}, {"state", e.state}, {"host", e.host}, {"port", e.port}, {"subscriptions", subs}});
  }
  return ojson{{"profile", s.profile},
               {"uptime_s", s.uptime_s},
               {"booting", s.booting},
               {"cfun", s.cfun},
               {"registration", s.registration},
               {"sim", s.sim},
               {"pdp_active", s.pdp_active},
               {"rssi", s.rssi},
               {"ecmt", ecmt},
               {"counters", counters_json(s.count)}};
}

nlohmann::ordered_json to_json(const fleet::modem_metrics& m) {
  return ojson{{"modems", m.modems},
               {"uptime_s", m.uptime_s},
               {"attached", m.attached},
               {"connected", m.connected},
               {"counters", counters_json(m.counters)},
               {"latency", {{"at_command", histogram_json(m.at_command)}, {"connect", histogram_json(m.connect)}}},
               {"unmatched", m.unmatched}};
}

namespace {

ojson error_answer(const std::string& sentence) { return ojson{{"ok", false}, {"error", sentence}}; }

}  // namespace

std::string handle_request(std::string_view line, const target& t, io::logger* log, std::string_view peer) {
  ojson answer;
  try {
    answer = answer_for(line, t, log, peer);
  } catch (const request_error& e) {
    log_line(log, io::log_level::warn, peer, "refused: " + e.sentence);
    answer = error_answer(e.sentence);
  } catch (const std::exception& e) {
    log_line(log, io::log_level::error, peer, std::string("internal error: ") + e.what());
    answer = error_answer(std::string("internal error while handling the request: ") + e.what());
  } catch (...) {
    log_line(log, io::log_level::error, peer, "internal error");
    answer = error_answer("internal error while handling the request");
  }
  return dump(answer);
}

void handle_request_async(std::string_view line, std::shared_ptr<const fleet_target> f, net::any_io_executor reply_ex,
                          io::logger* log, std::string peer, std::shared_ptr<std::atomic<bool>> stop,
                          std::function<void(std::string)> done) {
  // Whatever thread the answer is made on, `done` runs on reply_ex, after this call.
  auto reply = [reply_ex, done = std::move(done)](ojson answer) {
    net::post(reply_ex, [done, text = dump(answer)] { done(text); });
  };
  try {
    answer_async(line, f, reply_ex, log, peer, stop, reply);
    return;
  } catch (const request_error& e) {
    log_line(log, io::log_level::warn, peer, "refused: " + e.sentence);
    reply(error_answer(e.sentence));
  } catch (const std::exception& e) {
    log_line(log, io::log_level::error, peer, std::string("internal error: ") + e.what());
    reply(error_answer(std::string("internal error while handling the request: ") + e.what()));
  } catch (...) {
    log_line(log, io::log_level::error, peer, "internal error");
    reply(error_answer("internal error while handling the request"));
  }
}

void fire_on_fleet(const std::shared_ptr<const fleet_target>& f, const std::vector<std::size_t>& which,
                   const scenario::action& a, std::chrono::microseconds stagger,
                   const std::shared_ptr<std::atomic<bool>>& stop) {
  const std::size_t m = which.size();
  for (std::size_t p = 0; p < m; ++p) {
    const auto i = which[p];
    const auto& entry = f->modems[i];
    const auto delay = scenario::stagger_offset(stagger, p, m);
    if (delay.count() == 0) {
      net::post(entry.ex, [f, i, a] {
        if (f->modems[i].t.fire) f->modems[i].t.fire(a);
      });
      continue;
    }
    auto timer = std::make_shared<net::steady_timer>(entry.ex, delay);
    timer->async_wait([f, i, a, timer, stop](const boost::system::error_code& ec) {
      if (ec || stop->load(std::memory_order_relaxed)) return;
      if (f->modems[i].t.fire) f->modems[i].t.fire(a);
    });
  }
}

target for_session(io::session& session, int max_id, const fleet::line_metrics* metrics) {
  target t;
  t.snapshot = [&session] { return session.snapshot(); };
  t.fire = [&session](const scenario::action& a) { session.fire(a); };
  t.max_id = max_id;
  if (metrics) t.metrics = [&session, metrics] { return metrics->collect(session.snapshot(), session.attached()); };
  return t;
}

// ---------------------------------------------------------------------------
// Connections

class control_server::connection final : public std::enable_shared_from_this<connection> {
 public:
  connection(tcp::socket socket, control_server& owner)
      : socket_(std::move(socket)), owner_(&owner), linger_(socket_.get_executor()) {
    boost::system::error_code ignored;
    peer_ = io::to_string(socket_.remote_endpoint(ignored));
    socket_.set_option(tcp::no_delay(true), ignored);
  }

  const std::string& peer() const { return peer_; }

  void start() { do_read(); }

  /// Sends one answer, then closes gracefully (used for refusals).
  void refuse(const std::string& sentence) {
    send(dump(ojson{{"ok", false}, {"error", sentence}}));
    closing_ = true;
    maybe_finish_closing();
  }

  /// Closes now, without telling the owner (it is the one asking).
  void close() {
    owner_ = nullptr;
    boost::system::error_code ignored;
    linger_.cancel();
    socket_.close(ignored);
  }

 private:
  void do_read() {
    socket_.async_read_some(net::buffer(buffer_), [self = shared_from_this()](const boost::system::error_code& ec,
                                                                              std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const boost::system::error_code& ec, std::size_t n) {
    if (!owner_ || closing_) return;
    if (ec) {
      if (!partial_.empty())
        log(io::log_level::info,
            "left in the middle of a line (" + std::to_string(partial_.size()) + " bytes ignored)");
      else
        log(io::log_level::debug, ec == net::error::eof ? "disconnected" : "disconnected (" + ec.message() + ")");
      return finish();
    }
    partial_.append(buffer_.data(), n);
    std::size_t start = 0;
    for (;;) {
      auto nl = partial_.find('\n', start);
      if (nl == std::string::npos) break;
      std::string_view line(partial_.data() + start, nl - start);
      start = nl + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.size() > max_line) {
        // Answer what came before it first, then refuse and close.
        too_long_ = true;
        break;
      }
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank
      log(io::log_level::debug, "-> " + io::escape_bytes(line));
      requests_.emplace_back(line);
    }
    partial_.erase(0, start);
    if (!too_long_ && partial_.size() > max_line + 1) too_long_ = true;
    next_request();
  }

  /// Answers the waiting requests one at a time, in order; reads on once all are answered.
  void next_request() {
    if (!owner_ || closing_ || answering_) return;
    if (requests_.empty()) {
      if (too_long_) return too_long();
      return do_read();
    }
    answering_ = true;
    std::string line = std::move(requests_.front());
    requests_.pop_front();
    handle_request_async(line, owner_->fleet_, socket_.get_executor(), &owner_->log_, "client " + peer_,
                         owner_->stopping_, [self = shared_from_this()](std::string answer) {
                           self->answering_ = false;
                           if (!self->owner_ || self->closing_) return;
                           self->send(std::move(answer));
                           self->next_request();
                         });
  }

  void too_long() {
    log(io::log_level::warn, "sent a line longer than " + std::to_string(max_line) + " bytes; closing");
    partial_.clear();
    refuse("the request line is longer than " + std::to_string(max_line) + " bytes; the connection is closed");
  }

  void send(std::string answer) {
    if (queue_.size() + answer.size() > max_backlog) {
      log(io::log_level::warn, "does not read its answers; disconnecting");
      return finish();
    }
    queue_ += answer;
    queue_ += '\n';
    do_write();
  }

  void do_write() {
    if (writing_ || queue_.empty() || !socket_.is_open()) return;
    writing_ = true;
    in_flight_.swap(queue_);
    queue_.clear();
    net::async_write(socket_, net::buffer(in_flight_),
                     [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                       self->writing_ = false;
                       self->in_flight_.clear();
                       if (ec) {
                         if (ec != net::error::operation_aborted && self->owner_)
                           self->log(io::log_level::debug, "write failed: " + ec.message());
                         return self->finish();
                       }
                       self->do_write();
                       self->maybe_finish_closing();
                     });
  }

  /// Once a refusal is written: stop sending and drain what the client still sends for
  /// a moment (closing with unread input would reset the connection and could lose it).
  void maybe_finish_closing() {
    if (!closing_ || writing_ || !queue_.empty() || draining_) return;
    draining_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    linger_.expires_after(std::chrono::seconds(2));
    linger_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->finish();
    });
    drain();
  }

  void drain() {
    socket_.async_read_some(net::buffer(buffer_),
                            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                              self->drained_ += n;
                              // A client that keeps sending is not worth more of the modem's thread.
                              if (ec || self->drained_ > max_line) return self->finish();
                              self->drain();
                            });
  }

  /// Closes and tells the owner once.
  void finish() {
    boost::system::error_code ignored;
    linger_.cancel();
    socket_.close(ignored);
    if (auto* owner = std::exchange(owner_, nullptr)) owner->forget(this);
  }

  void log(io::log_level level, const std::string& text) {
    if (owner_) owner_->log_.log(level, "control client " + peer_ + ": " + text);
  }

  tcp::socket socket_;
  control_server* owner_;
  net::steady_timer linger_;
  std::string peer_;
  std::array<char, 4096> buffer_{};
  std::string partial_;
  std::deque<std::string> requests_;  ///< complete lines not answered yet
  bool answering_ = false;            ///< a request is being answered (perhaps on a modem's thread)
  bool too_long_ = false;             ///< a line passed max_line: refuse once the others are answered
  std::string queue_, in_flight_;
  bool writing_ = false;
  bool closing_ = false;
  bool draining_ = false;
  std::size_t drained_ = 0;
};

// ---------------------------------------------------------------------------
// Server

namespace {

fleet_target one_modem(net::any_io_executor ex, target t) {
  fleet_target f;
  f.modems.push_back(modem_entry{std::move(ex), std::move(t), 0, {}, {}});
  return f;
}

}  // namespace

control_server::control_server(net::any_io_executor ex, tcp::endpoint where, target t, io::logger& log)
    : ex_(std::move(ex)),
      wanted_(where),
      acceptor_(ex_),
      fleet_(std::make_shared<const fleet_target>(one_modem(ex_, std::move(t)))),
      log_(log) {}

control_server::control_server(net::any_io_executor ex, tcp::endpoint where, fleet_target f, io::logger& log)
    : ex_(std::move(ex)),
      wanted_(where),
      acceptor_(ex_),
      fleet_(std::make_shared<const fleet_target>(std::move(f))),
      log_(log) {}

control_server::~control_server() { stop(); }

void control_server::start() {
  boost::system::error_code ec;
  acceptor_.open(wanted_.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(wanted_, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw io::startup_error("--control: cannot listen on " + io::to_string(wanted_) + ": " + ec.message());
  bound_ = acceptor_.local_endpoint(ec);
  log_.log(io::log_level::info, "control channel listening on " + io::to_string(bound_));
  if (!bound_.address().is_loopback())
    log_.log(io::log_level::warn, "the control channel on " + io::to_string(bound_) +
                                      " can be reached from other hosts, and it has no authentication");
  do_accept();
}

void control_server::stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_->store(true);
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& c : std::exchange(clients_, {})) c->close();
}

void control_server::do_accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || stopped_) return;
    if (ec) {
      log_.log(io::log_level::warn, "control channel: accept failed: " + ec.message());
    } else {
      auto c = std::make_shared<connection>(std::move(socket), *this);
      clients_.push_back(c);
      if (clients_.size() > max_clients) {
        log_.log(io::log_level::warn, "control client " + c->peer() + " refused: too many clients");
        c->refuse("too many control clients (at most " + std::to_string(max_clients) + " at once)");
      } else {
        log_.log(io::log_level::debug, "control client " + c->peer() + " connected");
        c->start();
      }
    }
    do_accept();
  });
}

void control_server::forget(connection* c) {
  // The connection keeps itself alive through its handlers' shared_ptr copies.
  std::erase_if(clients_, [c](const std::shared_ptr<connection>& p) { return p.get() == c; });
}

}  // namespace nt35e::control
