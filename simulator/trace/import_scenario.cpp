// Log import, the scenario: rules where the log differs from the standard module, found
// by running the simulator's core on the log's host lines (import_reference.cpp) and
// comparing: answers replaced (first difference first), fault actions for the URCs that
// report on ECMTCONN/ECMTOPEN and for link losses, the other missing URCs injected; then
// the finished scenario run once more to count what it reproduces.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "at/text.hpp"
#include "at/vocabulary.hpp"
#include "scenario/json_loader.hpp"
#include "trace/import_detail.hpp"
#include "trace/lcs.hpp"
#include "trace/recorder.hpp"

namespace nt35e::trace {
namespace {

using detail::by_line;
using detail::host_item;
using detail::lcs;
using detail::rule_origin;
using detail::run_result;
using detail::scenario_json;
using detail::shown;
using detail::sim_line;
using detail::simulate;
using ms = std::chrono::milliseconds;

/// A command line as it may be shown: passwords masked as recordings mask them.
std::string masked(const std::string& line) { return redact_text(line, redact_options{}); }

/// A query with no side effect whose answer does not depend on the session so far.
bool independent_query(std::string_view command) {
  static const std::set<std::string> names = {"I",     "+CSQ", "+CESQ", "+CGSN", "+GSN",  "+CIMI", "+ECICCID",
                                              "+CGMI", "+GMI", "+CGMM", "+GMM",  "+CGMR", "+GMR",  "+CCLK"};
  auto name = at::command_name(command);
  if (!names.count(name)) return false;
  auto rest = at::trim_line(command.substr(2 + name.size()));
  return rest.empty() || rest == "?";
}

class scenario_builder {
 public:
  scenario_builder(const imported_log& log, const captured_broker* capture, const scenario_limits& limits)
      : log_(log), capture_(capture), limits_(limits) {
    world_.name = "import";
    collect_items();
    detect_style();
    // The broker side from its capture: delays, refusals, deliveries, link losses.
    if (capture_ && capture_->world) {
      world_.broker = capture_->world->broker;
      for (std::size_t i = 0; i < capture_->world->rules.size(); ++i) {
        world_.rules.push_back(capture_->world->rules[i]);
        auto origin = capture_->world->origins[i];
        origin.why = capture_->name + ", " + origin.why;
        origin.line = 0;
        origins_.push_back(std::move(origin));
      }
    }
  }

  scenario_result build() {
    scenario_result res;
    fault_rules();
    // Answers: replace those that differ, first difference first (a replaced answer
    // means the command does not run, which changes what follows).
    std::set<std::size_t> replaced;
    auto replace = [&](std::size_t h, const run_result& run) {
      const auto& it = items_[h];
      const auto& l = log_.lines[it.index];
      replaced.insert(h);
      scenario::action answer;
      answer.kind = scenario::action_kind::replace_response;
      answer.text = framed_answer(h);
      add_rule(on_command(trigger_for(h, false)), std::move(answer), l.line,
               masked(l.text) + " answered " + joined(it.answer) + " (the simulator: " + joined(run.answers[h]) + ")");
    };
    auto differs = [&](std::size_t h, const run_result& run) {
      if (replaced.count(h) || noted_.count(h)) return false;
      if (!items_[h].answered && !has_later_lines(h)) return false;  // the log ends before the answer
      return run.answers[h] != items_[h].answer;
    };
    // Each round runs the whole log again, so the rounds are bounded: a log that differs
    // from the simulator in more places than that is better split.
    const std::size_t commands = std::max<std::size_t>(1, items_.size());
    const auto by_length = std::max<std::size_t>(1, limits_.max_rerun_commands / commands);
    const auto max_rounds = std::min(static_cast<std::size_t>(std::max(0, limits_.max_differences)), by_length);
    for (std::size_t round = 0;; ++round) {
      auto run = simulate(world_, log_, items_, ecrdy_t_);
      std::optional<std::size_t> diff;
      for (std::size_t h = 0; h < items_.size() && !diff; ++h)
        if (differs(h, run)) diff = h;
      if (!diff) break;
      if (round == max_rounds) {
        const std::string why = max_rounds < static_cast<std::size_t>(limits_.max_differences)
                                    ? " differences, each of which runs the log's " + std::to_string(items_.size()) +
                                          " commands again (a longer search would take minutes)"
                                    : " differences";
        res.messages.push_back({log_.lines[items_[*diff].index].line, message_level::warning,
                                "stopped comparing answers here, after " + std::to_string(max_rounds) + why +
                                    ": from this line on the scenario keeps the simulator's answers (split the "
                                    "log to import the rest)"});
        break;
      }
      auto h = *diff;
      const auto& it = items_[h];
      const auto& l = log_.lines[it.index];
      if (!it.command) {
        noted_.insert(h);
        res.messages.push_back({l.line, message_level::warning,
                                "the simulator answers the data sent here with " + joined(run.answers[h]) +
                                    ", the log shows " + joined(it.answer) +
                                    "; a scenario can change the answer to a command line only"});
        continue;
      }
      replace(h, run);
      // Queries whose answer depends on nothing that went before (signal, identity) are
      // replaced in the same round: their replacement changes nothing after them.
      for (std::size_t k = h + 1; k < items_.size(); ++k)
        if (items_[k].command && independent_query(log_.lines[items_[k].index].text) && differs(k, run))
          replace(k, run);
    }
    // URCs: those the log has and the simulator does not write are injected.
    auto run = simulate(world_, log_, items_, ecrdy_t_);
    std::vector<std::string> logu, simu;
    std::vector<std::size_t> log_idx;
    for (std::size_t i = 0; i < log_.lines.size(); ++i)
      if (log_.lines[i].role == line_role::urc) {
        logu.push_back(log_.lines[i].text);
        log_idx.push_back(i);
      }
    bool log_has_boot = std::any_of(log_idx.begin(), log_idx.end(), [&](std::size_t i) { return anchor_of(i) < 0; });
    std::vector<const sim_line*> simu_lines;
    for (const auto& s : run.urcs) {
      if (s.anchor < 0 && !log_has_boot) continue;  // the log starts after the boot
      simu.push_back(s.text);
      simu_lines.push_back(&s);
    }
    std::vector<int> logu_anchor, simu_anchor;
    for (auto i : log_idx) logu_anchor.push_back(anchor_of(i));
    for (const auto* s : simu_lines) simu_anchor.push_back(s->anchor);
    auto pairs = lcs(logu, simu, {.a_groups = &logu_anchor, .b_groups = &simu_anchor});
    std::vector<bool> log_matched(logu.size()), sim_matched(simu.size());
    for (auto [i, j] : pairs) {
      log_matched[i] = true;
      sim_matched[j] = true;
    }
    // Equal lines after the same command that the alignment left over came in another
    // order (acks and incoming messages may swap, §7.5): same URCs, nothing to inject.
    // The simulator's URCs after one command are a run of the list (anchors only grow).
    for (std::size_t k = 0; k < logu.size(); ++k) {
      if (log_matched[k]) continue;
      const auto first = std::lower_bound(simu_anchor.begin(), simu_anchor.end(), logu_anchor[k]);
      const auto last = std::upper_bound(first, simu_anchor.end(), logu_anchor[k]);
      for (auto j = static_cast<std::size_t>(first - simu_anchor.begin());
           j < static_cast<std::size_t>(last - simu_anchor.begin()); ++j)
        if (!sim_matched[j] && simu[j] == logu[k]) {
          log_matched[k] = sim_matched[j] = true;
          res.messages.push_back({log_.lines[log_idx[k]].line, message_level::note,
                                  shown(logu[k]) + " comes in another order among the URCs around it in the "
                                                   "simulator (acknowledgements and incoming messages may swap)"});
          break;
        }
    }
    for (std::size_t k = 0; k < logu.size(); ++k)
      if (!log_matched[k]) inject(log_idx[k]);
    for (std::size_t j = 0; j < simu.size(); ++j) {
      if (sim_matched[j]) continue;
      int a = simu_lines[j]->anchor;
      if (a >= 0 && !has_later_lines(static_cast<std::size_t>(a)) && !items_[static_cast<std::size_t>(a)].answered)
        continue;
      int line = a >= 0 ? log_.lines[items_[static_cast<std::size_t>(a)].index].line : 0;
      std::string where =
          a >= 0 ? "after " + shown(masked(log_.lines[items_[static_cast<std::size_t>(a)].index].text)) : "at power-on";
      if (a >= 0 && static_cast<std::size_t>(a) + 1 == items_.size() && !log_has_lines_after_last_answer())
        continue;  // the log ends before it would come
      res.messages.push_back({line, message_level::note,
                              "the simulator also writes " + shown(simu[j]) + " " + where +
                                  ", which the log does not show; a scenario cannot take a URC away"});
    }
    // Check: run the finished scenario and count the module lines it reproduces.
    auto check = simulate(world_, log_, items_, ecrdy_t_);
    std::vector<std::string> logm, simm;
    std::vector<int> logm_line, logm_anchor;
    for (std::size_t i = 0; i < log_.lines.size(); ++i) {
      const auto& l = log_.lines[i];
      if (l.role == line_role::response || l.role == line_role::urc) {
        logm.push_back(l.text);
        logm_line.push_back(l.line);
        logm_anchor.push_back(anchor_of(i));
      }
    }
    std::vector<int> simm_anchor;
    for (const auto& s : check.all) {
      simm.push_back(s.text);
      simm_anchor.push_back(s.anchor);
    }
    auto matched = lcs(logm, simm, {.a_groups = &logm_anchor, .b_groups = &simm_anchor});
    std::vector<bool> ok(logm.size()), sim_ok(simm.size());
    for (auto [i, j] : matched) ok[i] = sim_ok[j] = true;
    int reproduced = static_cast<int>(matched.size());
    for (std::size_t i = 0; i < logm.size(); ++i) {
      if (ok[i]) continue;
      // Only the simulator's lines after the same command: a run of the list.
      const auto first = std::lower_bound(simm_anchor.begin(), simm_anchor.end(), logm_anchor[i]);
      const auto last = std::upper_bound(first, simm_anchor.end(), logm_anchor[i]);
      for (auto j = static_cast<std::size_t>(first - simm_anchor.begin());
           j < static_cast<std::size_t>(last - simm_anchor.begin()); ++j)
        if (!sim_ok[j] && simm[j] == logm[i]) {
          ok[i] = sim_ok[j] = true;
          ++reproduced;
          break;
        }
    }
    res.module_lines = static_cast<int>(logm.size());
    res.reproduced = reproduced;
    for (std::size_t i = 0; i < logm.size(); ++i)
      if (!ok[i])
        res.messages.push_back(
            {logm_line[i], message_level::warning, shown(logm[i]) + " is not reproduced by the scenario"});
    for (auto& m : messages_) res.messages.push_back(m);
    std::stable_sort(res.messages.begin(), res.messages.end(), by_line);
    res.rules = static_cast<int>(world_.rules.size());
    res.json = render();
    // One place decides what a valid scenario is: the loader. What the importer writes
    // goes through it before the import may say it succeeded.
    auto loaded = scenario::load_text(res.json, log_.name + ".scenario.json");
    if (auto* bad = std::get_if<std::vector<scenario::diagnostic>>(&loaded)) res.invalid = scenario::format(*bad);
    return res;
  }

 private:
  static std::string joined(const std::vector<std::string>& lines) {
    if (lines.empty()) return "nothing";
    std::string out;
    for (const auto& l : lines) out += (out.empty() ? "" : " ") + shown(l);
    return out;
  }

  void collect_items() {
    for (std::size_t i = 0; i < log_.lines.size(); ++i) {
      const auto& l = log_.lines[i];
      if (l.host()) {
        host_item h;
        h.index = i;
        h.command = l.role == line_role::command;
        h.t_us = h.answer_t_us = l.t_us;
        items_.push_back(h);
      } else if (l.role == line_role::response && !items_.empty()) {
        auto& h = items_.back();
        h.answer.push_back(l.text);
        h.answer_t_us = l.t_us;
        if (at::final_result_of(l.text) || at::is_prompt(l.text)) h.answered = true;
      }
      if (l.role == line_role::urc) {
        if (l.text == "ECRDY" && ecrdy_t_ < 0 && items_.empty()) ecrdy_t_ = l.t_us;
      }
    }
  }

  /// Spaced style ("+CSQ: 23,99") when most +NAME: lines of the module have the space.
  void detect_style() {
    int spaced = 0, compact = 0;
    for (const auto& l : log_.lines) {
      if (!l.module() || l.role == line_role::echo || at::final_result_of(l.text)) continue;
      auto name = at::response_name(l.text);
      if (name.empty() || l.text.size() <= name.size() || l.text[name.size()] != ':') continue;
      if (l.text.size() > name.size() + 1 && l.text[name.size() + 1] == ' ')
        ++spaced;
      else
        ++compact;
    }
    if (spaced > compact) world_.settings.push_back({"style", "spaced"});
  }

  bool has_later_lines(std::size_t h) const {
    std::size_t next = h + 1 < items_.size() ? items_[h + 1].index : log_.lines.size();
    for (std::size_t i = items_[h].index + 1; i < log_.lines.size(); ++i)
      if (log_.lines[i].role != line_role::comment) return true;
    return next < log_.lines.size();
  }

  bool log_has_lines_after_last_answer() const {
    if (items_.empty()) return true;
    const auto& h = items_.back();
    for (std::size_t i = h.index + 1; i < log_.lines.size(); ++i)
      if (log_.lines[i].role == line_role::urc) return true;
    return false;
  }

  /// The host item a log line follows (-1: none).
  int anchor_of(std::size_t line_index) const {
    // Host items are in log order: the ones before the line are a prefix.
    auto after = std::partition_point(items_.begin(), items_.end(),
                                      [&](const detail::host_item& it) { return it.index < line_index; });
    return static_cast<int>(after - items_.begin()) - 1;
  }

  /// The glob and occurrence that fire on host item h: the exact text after "AT", or
  /// "+NAME=*" for the fault actions (and for text a glob cannot say exactly, and
  /// passwords).
  std::pair<std::string, int> trigger_for(std::size_t h, bool by_name) const {
    const auto& text = log_.lines[items_[h].index].text;
    std::string after = text.size() >= 2 ? text.substr(2) : std::string();
    auto name = at::command_name(text);
    std::string glob = after;
    if (by_name || after.find_first_of("*?") != std::string::npos || name == "+ECMTCONN") {
      auto eq = after.find('=');
      if (eq != std::string::npos) glob = after.substr(0, eq) + "=*";
    }
    // The loader refuses a glob that starts with "AT" (it could never match as meant).
    if (at::istarts_with(glob, "at")) glob = "*" + glob;
    // The commands the glob matches, found once per glob (a rule each for thousands of
    // lines would otherwise read the log once each).
    auto [found, added] = glob_matches_.try_emplace(glob);
    if (added)
      for (std::size_t k = 0; k < items_.size(); ++k) {
        if (!items_[k].command) continue;
        const auto& t = log_.lines[items_[k].index].text;
        if (t.size() >= 2 && at::glob_match(glob, std::string_view(t).substr(2))) found->second.push_back(k);
      }
    const auto& matched = found->second;
    return {glob, static_cast<int>(std::upper_bound(matched.begin(), matched.end(), h) - matched.begin())};
  }

  std::string framed_answer(std::size_t h) const {
    const auto& it = items_[h];
    // Exact bytes when the log has them (hex dumps).
    std::string exact;
    bool all_bytes = true;
    for (std::size_t i = it.index + 1; i < log_.lines.size() && !log_.lines[i].host(); ++i) {
      const auto& l = log_.lines[i];
      if (l.role != line_role::response) continue;
      if (l.bytes.empty()) all_bytes = false;
      exact += l.bytes;
    }
    if (all_bytes && !exact.empty()) return exact;
    std::string info, out;
    std::vector<std::string> info_lines;
    for (const auto& a : it.answer) {
      if (at::final_result_of(a)) {
        if (!info_lines.empty()) {
          out += "\r\n";
          for (std::size_t k = 0; k < info_lines.size(); ++k) out += (k ? "\r\n" : "") + info_lines[k];
          out += "\r\n";
          info_lines.clear();
        }
        out += "\r\n" + a + "\r\n";
      } else if (at::is_prompt(a)) {
        out += "\r\n> ";
      } else {
        info_lines.push_back(a);
      }
    }
    if (!info_lines.empty()) {
      out += "\r\n";
      for (std::size_t k = 0; k < info_lines.size(); ++k) out += (k ? "\r\n" : "") + info_lines[k];
      out += "\r\n";
    }
    return out;
  }

  /// The URCs of the log that report on host item h: those after it, up to the next
  /// command with the same name (for the same id).
  std::vector<std::size_t> urcs_reporting_on(std::size_t h, const std::string& urc_name, const std::string& id) const {
    std::vector<std::size_t> out;
    auto name = at::command_name(log_.lines[items_[h].index].text);
    for (std::size_t i = items_[h].index + 1; i < log_.lines.size(); ++i) {
      const auto& l = log_.lines[i];
      if (l.role == line_role::command && at::command_name(l.text) == name) {
        auto p = at::command_params(l.text);
        if (!p.empty() && p[0] == id) break;
      }
      if (l.role != line_role::urc || at::response_name(l.text) != urc_name) continue;
      auto f = at::response_fields(l.text);
      if (!f.empty() && f[0] == id) out.push_back(i);
    }
    return out;
  }

  /// Fault actions recognised from the URCs that answer ECMTCONN and ECMTOPEN, and
  /// link losses (+ECMTSTAT:<id>,1: the link drops, and the module reconnects by itself).
  void fault_rules() {
    // With a capture, the broker's refusals, failed opens and link losses are the capture's.
    const bool broker_known = capture_ && capture_->world;
    for (std::size_t i = 0; i < log_.lines.size() && !broker_known; ++i) {
      const auto& l = log_.lines[i];
      if (l.role != line_role::urc || at::response_name(l.text) != "+ECMTSTAT") continue;
      auto f = at::response_fields(l.text);
      if (f.size() != 2 || f[1] != "1" || f[0].size() != 1 || f[0][0] < '0' || f[0][0] > '4') continue;
      timed_rule(i, action_on(scenario::action_kind::drop_link, f[0][0] - '0'), "the link was lost");
    }
    for (std::size_t h = 0; h < items_.size(); ++h) {
      if (!items_[h].command) continue;
      const auto& l = log_.lines[items_[h].index];
      auto name = at::command_name(l.text);
      auto params = at::command_params(l.text);
      if (params.empty() || params[0].empty() || params[0].find_first_not_of("0123456789") != std::string::npos ||
          params[0].size() > 1)
        continue;
      int id = std::stoi(params[0]);
      if (id > 4) continue;
      if (name == "+ECMTCONN") {
        auto urcs = urcs_reporting_on(h, "+ECMTCONN", params[0]);
        if (urcs.empty()) continue;
        auto f0 = at::response_fields(log_.lines[urcs[0]].text);
        if (f0.size() != 3) continue;
        if (f0[1] == "2" && f0[2] == "2" && urcs.size() >= 2) {
          auto f1 = at::response_fields(log_.lines[urcs[1]].text);
          if (f1.size() == 3 && f1[1] == "0") {
            add_rule(on_command(trigger_for(h, true)), action_on(scenario::action_kind::connfail_then_connack, id),
                     l.line,
                     masked(l.text) + " got " + log_.lines[urcs[0]].text + " (line " +
                         std::to_string(log_.lines[urcs[0]].line) + ") and then " + log_.lines[urcs[1]].text +
                         " (line " + std::to_string(log_.lines[urcs[1]].line) + "): the double CONNACK");
            if (f1[2] != "0")
              messages_.push_back({log_.lines[urcs[1]].line, message_level::note,
                                   "the CONNACK after the double CONNACK is a refusal (" + log_.lines[urcs[1]].text +
                                       "); the scenario reproduces the 2,2 and injects the refusal"});
          }
        } else if (f0[1] == "0" && f0[2] >= "1" && f0[2] <= "5" && f0[2].size() == 1 && !broker_known) {
          auto refuse = action_on(scenario::action_kind::refuse_connect, id);
          refuse.code = f0[2][0] - '0';
          add_rule(on_command(trigger_for(h, true)), std::move(refuse), l.line,
                   masked(l.text) + " was refused: " + log_.lines[urcs[0]].text + " (line " +
                       std::to_string(log_.lines[urcs[0]].line) + ")");
        }
      } else if (name == "+ECMTOPEN") {
        auto urcs = urcs_reporting_on(h, "+ECMTOPEN", params[0]);
        if (urcs.empty()) continue;
        auto f0 = at::response_fields(log_.lines[urcs[0]].text);
        if (f0.size() == 2 && f0[1] == "-1" && !broker_known) {
          add_rule(on_command(trigger_for(h, true)), action_on(scenario::action_kind::tcp_open_failure, id), l.line,
                   masked(l.text) + " failed: " + log_.lines[urcs[0]].text + " (line " +
                       std::to_string(log_.lines[urcs[0]].line) + ")");
        }
      }
    }
  }

  /// An injected URC for a log line the simulator does not write.
  void inject(std::size_t line_index) {
    const auto& l = log_.lines[line_index];
    scenario::action act;
    act.kind = scenario::action_kind::inject_urc;
    act.text = l.text;
    timed_rule(line_index, std::move(act), "which the standard module does not write");
  }

  /// A rule that runs `act` when the log line came: after the command before it (as long
  /// after it as in the log), or from power-on when no command came before it.
  void timed_rule(std::size_t line_index, scenario::action act, const std::string& what) {
    const auto& l = log_.lines[line_index];
    int a = anchor_of(line_index);
    // Data lines belong to the command that opened data mode.
    while (a >= 0 && !items_[static_cast<std::size_t>(a)].command) --a;
    scenario::rule r;
    std::string why;
    if (a >= 0) {
      const auto& command = log_.lines[items_[static_cast<std::size_t>(a)].index];
      auto after_ms = within_a_scenario(l, (l.t_us - items_[static_cast<std::size_t>(a)].t_us + 500) / 1000);
      r = on_command(trigger_for(static_cast<std::size_t>(a), false));
      r.after = ms(after_ms);
      why = l.text + " came " + std::to_string(after_ms) + " ms after " + masked(command.text) + " (line " +
            std::to_string(command.line) + "), " + what;
    } else {
      // Before the first command: from power-on (ECRDY comes 1.5 s after it).
      std::int64_t base = ecrdy_t_ >= 0 ? ecrdy_t_ - 1'500'000 : 0;
      auto at_ms = within_a_scenario(l, std::max<std::int64_t>(0, (l.t_us - base + 500) / 1000));
      r.when.kind = scenario::trigger_kind::at;
      r.when.at = ms(at_ms);
      why = l.text + " came before any command, " + what;
    }
    add_rule(std::move(r), std::move(act), l.line, why, a >= 0);
  }

  /// A wait no longer than a scenario may give (max_duration): a longer one is cut to it,
  /// with a warning, so the scenario still loads.
  std::int64_t within_a_scenario(const log_line& l, std::int64_t wait_ms) {
    const std::int64_t limit = scenario::max_duration.count();
    if (wait_ms <= limit) return wait_ms;
    messages_.push_back({l.line, message_level::warning,
                         l.text + " comes " + detail::duration_text(wait_ms) + " later; a scenario waits at most " +
                             detail::duration_text(limit) + ", so its rule waits that long"});
    return limit;
  }

  /// A rule that fires on the command the trigger names (its glob and occurrence).
  static scenario::rule on_command(const std::pair<std::string, int>& trigger) {
    scenario::rule r;
    r.when.kind = scenario::trigger_kind::command;
    r.when.pattern = trigger.first;
    r.when.occurrence = trigger.second;
    return r;
  }

  static scenario::action action_on(scenario::action_kind kind, int id) {
    scenario::action a;
    a.kind = kind;
    a.id = id;
    return a;
  }

  /// Adds a rule to the scenario: the simulator plays it from the next run on.
  void add_rule(scenario::rule r, scenario::action act, int line, const std::string& why, bool timed = false) {
    r.then.push_back(std::move(act));
    world_.rules.push_back(std::move(r));
    origins_.push_back({line, "line " + std::to_string(line) + ": " + why, timed});
  }

  /// The scenario file: the rules in log order (those for one line in the order they
  /// were made), each named in the description.
  std::string render() const {
    std::string stem = log_.name;
    if (auto slash = stem.find_last_of('/'); slash != std::string::npos) stem = stem.substr(slash + 1);
    if (auto dot = stem.find_last_of('.'); dot != std::string::npos && dot > 0) stem = stem.substr(0, dot);
    std::vector<std::size_t> order(world_.rules.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return origins_[a].line < origins_[b].line; });
    scenario::scenario file = world_;
    file.name = stem;
    file.description = "Imported by nt35e-sim import from " + log_.name + " (" + describe(log_.format, log_.annotated) +
                       ", " + std::to_string(log_.total_lines) + " lines).";
    if (order.empty()) file.description += " The module answered as the standard module does: no rules.";
    std::vector<rule_origin> origins;
    file.rules.clear();
    for (std::size_t i = 0; i < order.size(); ++i) {
      file.rules.push_back(world_.rules[order[i]]);
      origins.push_back(origins_[order[i]]);
      file.description += " Rule " + std::to_string(i) + ", " + origins.back().why + ".";
    }
    return scenario_json(file, origins);
  }

  const imported_log& log_;
  const captured_broker* capture_;
  scenario_limits limits_;
  mutable std::map<std::string, std::vector<std::size_t>> glob_matches_;  ///< trigger_for's, by glob
  std::vector<host_item> items_;
  /// The scenario so far: what the simulator plays in the next run, and what is written.
  scenario::scenario world_;
  std::vector<rule_origin> origins_;  ///< one per rule of world_
  std::vector<import_message> messages_;
  std::set<std::size_t> noted_;
  std::int64_t ecrdy_t_ = -1;
};

}  // namespace

scenario_result to_scenario(const imported_log& log, const captured_broker* capture, const scenario_limits& limits) {
  return scenario_builder(log, capture, limits).build();
}

scenario_result to_scenario(const captured_broker& capture) {
  scenario_result res;
  scenario::scenario file;
  std::string stem = capture.name;
  if (auto slash = stem.find_last_of('/'); slash != std::string::npos) stem = stem.substr(slash + 1);
  if (auto dot = stem.find_last_of('.'); dot != std::string::npos && dot > 0) stem = stem.substr(0, dot);
  file.name = stem;
  file.description = "Imported by nt35e-sim import from " + capture.name + " (a broker-side capture, " +
                     std::to_string(capture.mqtt_connections) + " MQTT connection" +
                     (capture.mqtt_connections == 1 ? "" : "s") + ").";
  std::vector<rule_origin> origins;
  if (capture.world) {
    file.broker = capture.world->broker;
    file.rules = capture.world->rules;
    origins = capture.world->origins;
  }
  if (file.rules.empty()) file.description += " The broker behaved as the standard broker does: no rules.";
  for (std::size_t i = 0; i < origins.size(); ++i)
    file.description += " Rule " + std::to_string(i) + ", " + origins[i].why + ".";
  res.rules = static_cast<int>(file.rules.size());
  res.json = scenario_json(file, origins);
  auto loaded = scenario::load_text(res.json, capture.name + ".scenario.json");
  if (auto* bad = std::get_if<std::vector<scenario::diagnostic>>(&loaded)) res.invalid = scenario::format(*bad);
  return res;
}

}  // namespace nt35e::trace
