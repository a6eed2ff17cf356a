#include "oracle/verdict.hpp"

#include <cstdio>

#include "at/text.hpp"
#include "explain/explanations.hpp"

namespace nt35e::oracle {

namespace {

/// Printable text (control bytes escaped, broken UTF-8 as \xNN).
std::string safe(std::string_view s) {
  at::escape_options o;
  o.high = at::escape_options::high_bytes::keep_if_valid_utf8;
  return at::escape_bytes(s, o);
}

std::string xml(std::string_view raw) {
  // Line by line, so the failure text keeps its line breaks (each line made printable).
  if (auto nl = raw.find('\n'); nl != std::string_view::npos)
    return xml(raw.substr(0, nl)) + "\n" + xml(raw.substr(nl + 1));
  return at::markup_escape(safe(raw));
}

std::string json(std::string_view raw) {
  std::string out = "\"";
  for (char c : safe(raw)) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string secs(std::int64_t t_us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(t_us) / 1e6);
  return buf;
}

std::string_view spec_of(std::string_view id) {
  const auto* e = explain::find_rule(id);
  return e ? e->spec : std::string_view();
}

bool fails(const finding& f, fail_on t) {
  return t == fail_on::warning || (t == fail_on::error && f.level == severity::error);
}

std::string line_text(const line_ref& l) {
  return "  " + secs(l.t_us) + " s " + (l.from_dte ? "DTE> " : "MOD< ") + l.text + "\n";
}

std::string lines_json(const std::vector<line_ref>& lines) {
  std::string out;
  for (const auto& l : lines)
    out += std::string(out.empty() ? "" : ",") + "{\"t\":" + secs(l.t_us) + ",\"dir\":\"" +
           (l.from_dte ? "dte>mod" : "mod>dte") + "\",\"text\":" + json(l.text) + "}";
  return "[" + out + "]";
}

/// The expectations' test cases of one modem; counts their failures and skips.
std::string expectation_cases(const modem_verdict& m, std::size_t& failures, std::size_t& skipped) {
  std::string cases;
  for (const auto& e : m.expectations) {
    cases += "    <testcase classname=\"nt35e.expect." + xml(m.name) + "\" name=\"" + xml(e.name) + "\" time=\"0\">\n";
    if (e.result == outcome::unmet) {
      ++failures;
      cases += "      <failure type=\"expectation\" message=\"" + xml(secs(e.t_us) + " s: " + e.detail) + "\">" +
               xml(describe(e)) + "</failure>\n";
    } else if (e.result == outcome::not_triggered) {
      ++skipped;
      cases += "      <skipped message=\"" + xml("not triggered: " + e.detail) + "\"/>\n";
    } else {
      cases += "      <system-out>" + xml(describe(e)) + "</system-out>\n";
    }
    cases += "    </testcase>\n";
  }
  return cases;
}

}  // namespace

std::string set_fail_on(fail_on& f, std::string_view text) {
  if (text == "error")
    f = fail_on::error;
  else if (text == "warning")
    f = fail_on::warning;
  else if (text == "never")
    f = fail_on::never;
  else
    return "--verdict-fail-on is error, warning or never, not \"" + std::string(text) + "\"";
  return {};
}

bool verdict::failed() const {
  for (const auto& m : modems)
    for (const auto& f : m.findings)
      if (fails(f, threshold)) return true;
  return threshold != fail_on::never && unmet() > 0;
}

std::size_t verdict::unmet() const {
  std::size_t n = 0;
  for (const auto& m : modems)
    for (const auto& e : m.expectations) n += e.result == outcome::unmet;
  return n;
}

modem_verdict collect(const oracle& o, std::string name) {
  modem_verdict m;
  m.name = std::move(name);
  m.findings = o.findings();
  for (auto& f : m.findings) f.spec = std::string(spec_of(f.rule));
  m.coverage = o.coverage();
  m.expectations = o.expectation_results();
  return m;
}

std::string describe(const finding& f) {
  std::string out = secs(f.t_us) + " s " + std::string(to_string(f.level)) + " " + f.rule + " (" + f.spec +
                    "): " + safe(f.detail) + "\n";
  for (const auto& l : f.lines) out += line_text(l);
  if (const auto* e = explain::find_rule(f.rule)) {
    out += "  why: " + std::string(e->en) + "\n";
    out += "  原因：" + std::string(e->zh) + "\n";
  }
  return out;
}

std::string describe(const expectation_result& e) {
  std::string out = "expectation \"" + safe(e.name) + "\" " +
                    (e.result == outcome::met     ? "met"
                     : e.result == outcome::unmet ? "unmet"
                                                  : "not triggered") +
                    " at " + secs(e.t_us) + " s: " + safe(e.detail) + "\n  asks: " + safe(e.asks) + "\n";
  for (const auto& l : e.lines) out += line_text(l);
  return out;
}

std::string to_junit(const verdict& v) {
  std::size_t tests = 0, failures = 0, skipped = 0;
  std::string suites;
  for (const auto& m : v.modems) {
    std::size_t s_tests = 0, s_failures = 0, s_skipped = 0, s_exercised = 0;
    std::string cases;
    for (const auto& u : m.coverage) {
      ++s_tests;
      const auto* r = find_rule(u.id);
      std::string failing, passing;
      std::size_t n = 0, kept = 0;
      for (const auto& f : m.findings) {
        if (f.rule != u.id) continue;
        (fails(f, v.threshold) ? failing : passing) += describe(f);
        if (fails(f, v.threshold)) ++n;
        ++kept;
      }
      if (u.findings > kept)
        (n > 0 ? failing : passing) += std::to_string(u.findings - kept) + " more findings of " + u.id +
                                       " were counted, not kept (the oracle keeps the first " +
                                       std::to_string(oracle::max_findings_per_rule) + " of each rule)\n";
      cases += "    <testcase classname=\"nt35e.oracle." + xml(m.name) + "\" name=\"" + xml(u.id) + "\" time=\"0\">\n";
      if (u.exercised) ++s_exercised;
      if (n > 0) {
        ++s_failures;
        const auto* first = &m.findings.front();
        for (const auto& f : m.findings)
          if (f.rule == u.id && fails(f, v.threshold)) {
            first = &f;
            break;
          }
        std::string message = secs(first->t_us) + " s: " + first->detail + " (" + first->spec + ")";
        if (n > 1) message += " and " + std::to_string(n - 1) + " more";
        cases += "      <failure type=\"" + std::string(r ? to_string(r->level) : "error") + "\" message=\"" +
                 xml(message) + "\">" + xml(failing) + "</failure>\n";
      } else if (!u.runs) {
        ++s_skipped;
        cases += "      <skipped message=\"rule off (" + std::string(v.lenient ? "lenient mode or " : "") +
                 "--oracle-rule)\"/>\n";
      } else if (!u.exercised) {
        ++s_skipped;
        cases += "      <skipped message=\"not exercised: the session gave the driver no occasion to break it\"/>\n";
      }
      if (!passing.empty()) cases += "      <system-out>" + xml(passing) + "</system-out>\n";
      cases += "    </testcase>\n";
    }
    cases += expectation_cases(m, s_failures, s_skipped);
    s_tests += m.expectations.size();
    tests += s_tests;
    failures += s_failures;
    skipped += s_skipped;
    suites += "  <testsuite name=\"" + xml(m.name) + "\" tests=\"" + std::to_string(s_tests) + "\" failures=\"" +
              std::to_string(s_failures) + "\" errors=\"0\" skipped=\"" + std::to_string(s_skipped) +
              "\" time=\"0\">\n    <properties>\n      <property name=\"mode\" value=\"" +
              (v.lenient ? "lenient" : "strict") + "\"/>\n      <property name=\"rules_exercised\" value=\"" +
              std::to_string(s_exercised) + "/" + std::to_string(m.coverage.size()) + "\"/>\n    </properties>\n" +
              cases + "  </testsuite>\n";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"nt35e-oracle\" tests=\"" +
         std::to_string(tests) + "\" failures=\"" + std::to_string(failures) + "\" errors=\"0\" skipped=\"" +
         std::to_string(skipped) + "\">\n" + suites + "</testsuites>\n";
}

std::string to_json(const verdict& v) {
  std::size_t errors = 0, warnings = 0;
  std::string modems;
  for (const auto& m : v.modems) {
    std::string findings, rules;
    for (const auto& f : m.findings) {
      (f.level == severity::error ? errors : warnings) += 1;
      const auto* e = explain::find_rule(f.rule);
      findings += std::string(findings.empty() ? "" : ",") + "\n      {\"rule\":" + json(f.rule) +
                  ",\"severity\":" + json(to_string(f.level)) + ",\"spec\":" + json(f.spec) + ",\"t\":" + secs(f.t_us) +
                  ",\"detail\":" + json(f.detail) + ",\"en\":" + json(e ? e->en : "") +
                  ",\"zh\":" + json(e ? e->zh : "") + ",\"lines\":" + lines_json(f.lines) + "}";
    }
    for (const auto& u : m.coverage) {
      const auto* r = find_rule(u.id);
      rules += std::string(rules.empty() ? "" : ",") + "\n      {\"id\":" + json(u.id) +
               ",\"severity\":" + json(r ? to_string(r->level) : "error") + ",\"spec\":" + json(spec_of(u.id)) +
               ",\"enabled\":" + (u.runs ? "true" : "false") + ",\"exercised\":" + (u.exercised ? "true" : "false") +
               ",\"findings\":" + std::to_string(u.findings) + "}";
    }
    std::string expect;
    for (const auto& e : m.expectations)
      expect += std::string(expect.empty() ? "" : ",") + "\n      {\"name\":" + json(e.name) +
                ",\"kind\":" + json(e.kind) + ",\"asks\":" + json(e.asks) + ",\"result\":" + json(to_string(e.result)) +
                ",\"t\":" + secs(e.t_us) + ",\"detail\":" + json(e.detail) + ",\"lines\":" + lines_json(e.lines) + "}";
    modems += std::string(modems.empty() ? "" : ",") + "\n    {\"name\":" + json(m.name) + ",\"findings\":[" +
              findings + "],\n     \"rules\":[" + rules + "],\n     \"expectations\":[" + expect + "]}";
  }
  const char* fail_text = v.threshold == fail_on::error     ? "error"
                          : v.threshold == fail_on::warning ? "warning"
                                                            : "never";
  return std::string("{\"verdict\":\"nt35e-oracle\",\"version\":1,\"mode\":\"") + (v.lenient ? "lenient" : "strict") +
         "\",\"fail_on\":\"" + fail_text + "\",\"passed\":" + (v.failed() ? "false" : "true") +
         ",\"errors\":" + std::to_string(errors) + ",\"warnings\":" + std::to_string(warnings) +
         ",\"unmet\":" + std::to_string(v.unmet()) + ",\"modems\":[" + modems + "]}\n";
}

}  // namespace nt35e::oracle
