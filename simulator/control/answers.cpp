#include "control/answers.hpp"

#include <cmath>
#include <utility>

#include "scenario/json_loader.hpp"

namespace nt35e::control {

std::string format(const answer& a) { return a.dump(-1, ' ', false, answer::error_handler_t::replace); }

answer error_answer(const std::string& sentence) { return answer{{"ok", false}, {"error", sentence}}; }

void append_fields(answer& a, const answer& fields) {
  for (auto it = fields.begin(); it != fields.end(); ++it) a[it.key()] = it.value();
}

namespace {

answer counters_json(const modem::counters& c) {
  return answer{{"commands", c.commands},
                {"errors", c.errors},
                {"urcs", c.urcs},
                {"bytes_in", c.bytes_in},
                {"bytes_out", c.bytes_out},
                {"mqtt_requests", c.mqtt_requests},
                {"mqtt_events", c.mqtt_events},
                {"publishes", c.publishes},
                {"publishes_refused", c.publishes_refused},
                {"messages", c.messages},
                {"reconnects", c.reconnects},
                {"faults", c.faults},
                {"lines_too_long", c.lines_too_long},
                {"input_overflows", c.input_overflows},
                {"output_dropped_bytes", c.output_dropped_bytes}};
}

double ms3(double us) { return std::round(us) / 1000.0; }

answer histogram_json(const metrics::latency_histogram& h) {
  return answer{{"count", h.count()},
                {"p50_ms", ms3(h.quantile_us(0.5))},
                {"p90_ms", ms3(h.quantile_us(0.9))},
                {"p99_ms", ms3(h.quantile_us(0.99))},
                {"max_ms", ms3(h.max_us())},
                {"min_ms", ms3(h.min_us())},
                {"mean_ms", ms3(h.mean_us())}};
}

}  // namespace

answer to_json(const modem::snapshot& s) {
  answer ecmt = answer::array();
  for (const auto& e : s.ecmt) {
    answer subs = answer::array();
    for (const auto& [topic, qos] : e.subscriptions) subs.push_back(answer{{"topic", topic}, {"qos", qos}});
    ecmt.push_back(
        answer{{"id", e.id}, {"state", e.state}, {"host", e.host}, {"port", e.port}, {"subscriptions", subs}});
  }
  return answer{{"profile", s.profile},
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

answer to_json(const metrics::modem_metrics& m) {
  return answer{{"modems", m.modems},
                {"uptime_s", m.uptime_s},
                {"attached", m.attached},
                {"connected", m.connected},
                {"counters", counters_json(m.counters)},
                {"latency", {{"at_command", histogram_json(m.at_command)}, {"connect", histogram_json(m.connect)}}},
                {"unmatched", m.unmatched}};
}

answer state_answer(const modem::snapshot& s) {
  answer a = {{"ok", true}};
  append_fields(a, to_json(s));
  return a;
}

answer metrics_answer(const metrics::modem_metrics& m) {
  answer a = {{"ok", true}};
  append_fields(a, to_json(m));
  return a;
}

answer verdict_answer(const oracle::verdict& v, std::optional<std::size_t> modem) {
  answer out = {{"ok", true}};
  if (modem) out["modem"] = *modem;
  // One writer of the verdict's JSON (oracle/verdict): the answer is that, parsed.
  append_fields(out, answer::parse(oracle::to_json(v)));
  return out;
}

answer help_answer(bool fleet, std::size_t size) {
  answer requests = answer::array({
      answer{
          {"request", R"({"fire": {"action": "drop_link", "id": 0}})"},
          {"does",
           "carries out one action now, as a scenario rule would; the fields are those of a rule's \"then\" "
           "entry (id, code, by, text, hex, pattern, topic, payload, qos, retain, stat, rssi, ber, rsrq, rsrp, keep)"}},
      answer{{"request", R"({"fire": "reboot"})"}, {"does", "an action without fields"}},
      answer{{"request", R"({"deliver": {"id": 0, "topic": "t", "payload": "p", "qos": 1}})"},
             {"does", "an incoming PUBLISH on id (the deliver action)"}},
      answer{{"request", R"({"network": {"registration": "denied"}})"},
             {"does",
              "loses registration (searching, denied, none) or regains it (home, with an optional "
              "\"by\": \"500ms\")"}},
      answer{{"request", R"({"network": {"rssi": 10, "ber": 0, "rsrq": 20, "rsrp": 46}})"},
             {"does", "changes the signal (set_signal)"}},
      answer{{"request", R"({"network": {"sim": false})"}, {"does", "removes (false) or inserts (true) the SIM"}},
      answer{{"request", R"({"query": "state"})"},
             {"does",
              "the modem's state: profile, uptime_s, booting, cfun, registration, sim, pdp_active, rssi, "
              "ecmt (per id: state, host, port, subscriptions), counters"}},
      answer{{"request", R"({"query": "metrics"})"},
             {"does",
              "counters and latency histograms (at_command: CR of a command line to its final result; "
              "connect: CR of AT+ECMTCONN= to its +ECMTCONN URC; count, p50_ms, p90_ms, p99_ms, max_ms, "
              "min_ms, mean_ms); in fleet mode the totals of every modem"}},
      answer{{"request", R"({"query": "verdict"})"},
             {"does",
              "the oracle's verdict on the driver so far, as --verdict-json writes it: passed, errors, warnings, "
              "and per modem its findings and rule coverage; in fleet mode every modem's"}},
      answer{{"request", R"({"query": "help"})"}, {"does", "this list"}},
  });
  if (fleet) {
    requests.push_back(
        answer{{"request", R"({"modem": 3, "fire": {"action": "drop_link"}})"},
               {"does", "any request above for one modem of the fleet (0 to " + std::to_string(size - 1) +
                            "); without \"modem\" a request goes to modem 0, except "
                            "{\"query\": \"metrics\"}, which then gives the fleet's totals, and "
                            "{\"query\": \"verdict\"}, which then gives every modem's"}});
    requests.push_back(answer{{"request", R"({"modem": 3, "query": "metrics"})"},
                              {"does", "one modem's counters and latency histograms, with its index and IMEI"}});
    requests.push_back(answer{{"request", R"({"query": "fleet"})"},
                              {"does", "size, offset, threads, and per modem its index, IMEI and line"}});
    requests.push_back(
        answer{{"request", R"({"fleet": {"fire": {"action": "drop_link"}, "fraction": 0.3, "seed": 7}})"},
               {"does",
                "fires the action on a random round(fraction x N) of the modems, chosen with "
                "seed (optional; the answer gives the seed used, so a run can be repeated)"}});
    requests.push_back(answer{{"request", R"({"fleet": {"fire": "reboot", "stagger": "5s"}})"},
                              {"does",
                               "fires the action on every chosen modem, spread evenly over the time given "
                               "(the first at once, the last after it; wall-clock time, not scaled by "
                               "--time-scale)"}});
    requests.push_back(answer{{"request", R"({"fleet": {"fire": {"action": "drop_link"}, "modems": [0, 5, 7]}})"},
                              {"does",
                               "fires the action on those modems (with \"fraction\": a random part of them); "
                               "the answer lists the modems chosen"}});
    requests.push_back(
        answer{{"request", R"({"fleet": {"fire": {"action": "drop_link"}, "modems": [0, 5], "after_ms": [0, 1250]}})"},
               {"does",
                "fires the action on each modem listed after its own time in milliseconds (wall-clock, from "
                "the request; at most a day): the schedule nt35e-ctl makes when one event spans many "
                "processes"}});
  }
  requests.push_back(answer{{"request", R"({"auth": "TOKEN"})"},
                            {"does",
                             "the first line on a channel started with --control-token-file: the token in that "
                             "file (without it, or with a wrong one, the channel refuses and disconnects)"}});
  return answer{{"ok", true},
                {"requests", requests},
                {"actions", scenario::action_names()},
                {"registration", {"home", "searching", "denied", "none"}}};
}

answer fired_value(const action_request& r) {
  answer fired = answer::array();
  for (const auto& a : r.actions) fired.push_back(answer(scenario::to_json(a)));
  return r.single ? fired.at(0) : fired;
}

answer fleet_fired_answer(const scenario::action& a, const std::vector<std::size_t>& modems,
                          std::optional<std::uint64_t> seed, std::optional<scenario::duration> stagger) {
  answer out = {{"ok", true}, {"fired", scenario::to_json(a)}, {"count", modems.size()}};
  out["modems"] = modems;
  if (seed) out["seed"] = *seed;
  if (stagger) out["stagger"] = scenario::format_duration(*stagger);
  return out;
}

}  // namespace nt35e::control
