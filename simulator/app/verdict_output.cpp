#include "app/verdict_output.hpp"

#include <cstdio>

#include "app/cli.hpp"
#include "app/tool_io.hpp"

namespace nt35e::app {

void add_verdict_options(CLI::App& app, verdict_options& v, const std::string& group) {
  add_value(app, "--verdict", "FILE", "a file name",
            "the oracle's verdict on the driver as JUnit XML\n(one test case per rule; docs/oracle.md)",
            [&v](const std::string& s) { v.junit = s; })
      ->group(group);
  add_value(app, "--verdict-json", "FILE", "a file name", "the same verdict as JSON", [&v](const std::string& s) {
    v.json = s;
  })->group(group);
  add_value(app, "--verdict-mode", "strict|lenient", "a value", "lenient keeps only what breaks on the real module",
            [&v](const std::string& s) {
              if (auto why = oracle::set_mode(v.config, s); !why.empty()) throw usage_error(why);
              v.mode_given = true;
            })
      ->group(group);
  add_value(app, "--verdict-fail-on", "error|warning|never", "a value",
            "exit status 3 when a finding of this level exists\n(default error)",
            [&v](const std::string& s) {
              if (auto why = oracle::set_fail_on(v.fail, s); !why.empty()) throw usage_error(why);
            })
      ->group(group);
  add_value(app, "--oracle-rule", "ID=on|off", "a value", "switch an oracle rule on or off (repeatable)",
            [&v](const std::string& s) {
              oracle::config probe;
              if (auto why = oracle::set_rule(probe, s); !why.empty()) throw usage_error("--oracle-rule: " + why);
              v.rule_settings.push_back(s);
            })
      ->group(group);
  add_value(app, "--oracle-set", "ID.NAME=VALUE", "a value", "change an oracle rule's threshold (repeatable)",
            [&v](const std::string& s) {
              oracle::config probe;
              if (auto why = oracle::set_threshold(probe, s); !why.empty()) throw usage_error("--oracle-set: " + why);
              v.threshold_settings.push_back(s);
            })
      ->group(group);
}

oracle::config scenario_config(const scenario::scenario::oracle_script& o) {
  oracle::config c;
  if (!o.mode.empty()) oracle::set_mode(c, o.mode);
  for (const auto& r : o.rules) oracle::set_rule(c, r);
  for (const auto& t : o.thresholds) oracle::set_threshold(c, t);
  return c;
}

std::string command_line_config(const verdict_options& v, oracle::config& base) {
  if (v.mode_given) base.lenient = v.config.lenient;
  for (const auto& s : v.rule_settings)
    if (auto why = oracle::set_rule(base, s); !why.empty()) return why;
  for (const auto& s : v.threshold_settings)
    if (auto why = oracle::set_threshold(base, s); !why.empty()) return why;
  return {};
}

int finish_verdict(const verdict_options& v, const oracle::verdict& verdict) {
  int status = 0;
  std::string error;
  if (!v.junit.empty() && !write_output(v.junit, oracle::to_junit(verdict), error)) {
    std::fprintf(stderr, "nt35e-sim: error: --verdict: %s\n", error.c_str());
    status = 1;
  }
  if (!v.json.empty() && !write_output(v.json, oracle::to_json(verdict), error)) {
    std::fprintf(stderr, "nt35e-sim: error: --verdict-json: %s\n", error.c_str());
    status = 1;
  }
  std::size_t findings = 0, expectations = 0;
  for (const auto& m : verdict.modems) {
    findings += m.findings.size();
    expectations += m.expectations.size();
  }
  std::string text = "verdict: " + std::to_string(findings) + " finding" + (findings == 1 ? "" : "s") +
                     (expectations == 0 ? std::string()
                                        : ", " + std::to_string(verdict.unmet()) + " of " +
                                              std::to_string(expectations) + " expectations unmet") +
                     (verdict.failed() ? ", FAILED" : ", passed") + "\n";
  for (const auto& m : verdict.modems) {
    const auto who = verdict.modems.size() > 1 ? m.name + ": " : std::string();
    for (const auto& f : m.findings) text += who + oracle::describe(f);
    for (const auto& e : m.expectations)
      if (e.result == oracle::outcome::unmet) text += who + oracle::describe(e);
  }
  std::fputs(text.c_str(), stderr);
  if (status == 0 && verdict.failed()) status = verdict_failed_status;
  return status;
}

}  // namespace nt35e::app
