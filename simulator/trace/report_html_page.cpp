// The session report's HTML (trace/report_html.hpp): summary, timeline table and the
// inline SVG sequence diagram, from the messages and rows report_html.cpp reads out of
// the trace. Self-contained: inline CSS and SVG, a few lines of inline JavaScript.

#include <algorithm>
#include <charconv>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "at/text.hpp"
#include "at/vocabulary.hpp"
#include "explain/explainer.hpp"
#include "explain/explanations.hpp"
#include "modem/profile.hpp"
#include "oracle/rules.hpp"
#include "trace/report_html.hpp"

namespace nt35e::trace {

namespace {

/// Cuts a label to `n` code points, with an ellipsis.
std::string cut(const std::string& s, std::size_t n) {
  std::size_t cps = 0, i = 0;
  while (i < s.size()) {
    if (cps == n) return s.substr(0, i) + "…";
    i += at::utf8_sequence_length(static_cast<unsigned char>(s[i]));
    ++cps;
  }
  return s;
}

constexpr std::string_view style = R"(
:root { --ink:#1d2330; --muted:#6b7280; --bad:#b3261e; --badbg:#fdecea; --ok:#1e6b35; --host:#1f4e99; --net:#6a1b9a; --line:#d0d5dd;
        --warn:#8a5a00; --warnbg:#fff4dc; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px; color: var(--ink); background: #fff;
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.meta { color: var(--muted); margin: 0; }
code, td.t, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
.verdict { padding: 10px 14px; border-radius: 6px; margin: 12px 0; }
.verdict.good { background: #e8f5ec; color: var(--ok); }
.verdict.bad { background: var(--badbg); color: var(--bad); }
ol.problems { margin: 6px 0 0 0; }
ol.problems a { color: var(--bad); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid #eef0f3; }
th { background: #f6f7f9; position: sticky; top: 0; }
td.t a { color: var(--muted); text-decoration: none; }
tr.bad td { background: var(--badbg); }
tr.urc td.cmd { color: var(--muted); font-style: italic; }
.bad-text { color: var(--bad); font-weight: 600; }
.delay { color: var(--muted); white-space: nowrap; }
.why { color: var(--bad); }
.explain { color: var(--muted); font-style: italic; }
.arrow { color: var(--muted); padding: 0 4px; }
#tl.only tr.fine { display: none; }
.filter { margin: 4px 0 8px; display: inline-block; }
.legend span { margin-right: 14px; white-space: nowrap; }
.sw { display: inline-block; width: 18px; height: 3px; vertical-align: middle; margin-right: 4px; }
svg { display: block; margin-top: 8px; }
svg text { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
svg text.time { font-size: 11px; }
svg g text.time, svg > text.time { fill: #6b7280; }
svg g.bad text.time { fill: var(--bad); }
svg .lifeline { stroke: #9aa3af; stroke-dasharray: 4 4; }
svg .head rect { fill: #f1f3f6; stroke: #9aa3af; }
svg .head text { font-family: system-ui, sans-serif; font-size: 13px; font-weight: 600; }
svg .cmd line { stroke: var(--host); } svg .cmd text { fill: var(--host); }
svg .mod line { stroke: var(--ok); } svg .mod text { fill: var(--ok); }
svg .echo line { stroke: #a3a3a3; stroke-dasharray: 3 3; } svg .echo text { fill: #a3a3a3; }
svg .net line { stroke: var(--net); } svg .net text { fill: var(--net); }
svg .note text { fill: #6b7280; font-style: italic; font-size: 11px; }
svg .note rect { fill: #fffbe6; stroke: #e6d98c; }
svg .bad line { stroke: var(--bad); stroke-width: 2; } svg .bad text { fill: var(--bad); font-weight: 700; }
svg .note.bad rect { fill: var(--badbg); stroke: var(--bad); }
svg .gap text { fill: #9aa3af; font-style: italic; font-size: 11px; }
svg .gap line { stroke: #e5e7eb; }
svg g:target rect.hl, svg rect.hl { fill: transparent; }
svg g:target rect.hl { fill: #fff3c4; }
svg .badge circle { fill: var(--bad); } svg .badge.warning circle { fill: var(--warn); }
svg .badge text { fill: #fff; font-size: 10px; font-weight: 700; font-family: system-ui, sans-serif; }
svg .tag rect { fill: var(--ok); } svg .tag.broken rect { fill: var(--bad); } svg .tag.idle rect { fill: #8a8a8a; }
svg .tag text { fill: #fff; font-size: 10px; font-weight: 700; font-family: system-ui, sans-serif; }
svg .finding rect { fill: var(--badbg); stroke: var(--bad); }
svg .finding.warning rect { fill: var(--warnbg); stroke: var(--warn); }
svg .finding text { fill: var(--ink); font-size: 11px; }
svg .finding text.rule { fill: var(--bad); font-weight: 700; font-size: 12px; }
svg .finding.warning text.rule { fill: var(--warn); }
svg g.finding:target rect { stroke-width: 3; }
ol.findings li { margin-bottom: 10px; }
ol.findings li.warning .level { color: var(--warn); }
ol.findings li.error .level { color: var(--bad); }
.level { font-weight: 700; }
.proof { color: var(--muted); }
.verdict.warn { background: var(--warnbg); color: var(--warn); }
table.coverage td.off, table.coverage td.idle { color: var(--muted); }
table.coverage td.broken { color: var(--bad); font-weight: 600; }
)";

constexpr std::string_view script = R"(
(function () {
  var box = document.getElementById('only');
  var table = document.getElementById('tl');
  if (box && table) box.addEventListener('change', function () { table.classList.toggle('only', box.checked); });
})();
)";

std::string t_text(std::int64_t us) { return seconds(us); }

std::string code(const std::string& s, bool bad = false) {
  return std::string("<code") + (bad ? " class=\"bad-text\"" : "") + ">" + html_escape(s) + "</code>";
}

struct lanes {
  int host = 250, module = 640, broker = 1030;
  int x(message::lane l) const {
    return l == message::lane::host ? host : l == message::lane::module ? module : broker;
  }
};

/// One finding of the verdict as the page shows it.
struct finding_mark {
  std::size_t number = 0;  ///< 1, 2, ... in the verdict's order
  const oracle::finding* f = nullptr;
  std::string modem;               ///< its modem's name when the verdict has several
  std::vector<std::size_t> lines;  ///< the messages of its proving lines
  std::size_t anchor = 0;          ///< the message its box hangs under
};

std::vector<finding_mark> marks_of(const oracle::verdict* v, const std::vector<message>& ms) {
  std::vector<finding_mark> out;
  if (!v) return out;
  for (const auto& m : v->modems)
    for (const auto& f : m.findings) {
      finding_mark k;
      k.number = out.size() + 1;
      k.f = &f;
      if (v->modems.size() > 1) k.modem = m.name;
      auto at = finding_messages(f, ms);
      if (!at.empty()) {
        k.anchor = at.back();
        at.pop_back();
        k.lines = std::move(at);
      }
      out.push_back(std::move(k));
    }
  return out;
}

/// One expectation of the verdict as the diagram marks it: "E1" on the lines that prove it.
struct expectation_mark {
  std::size_t number = 0;  ///< 1, 2, ... in the verdict's order (the rows of its table)
  const oracle::expectation_result* e = nullptr;
  std::string modem;
  std::vector<std::size_t> lines;  ///< the messages of its proving lines
};

std::vector<expectation_mark> expectation_marks_of(const oracle::verdict* v, const std::vector<message>& ms) {
  std::vector<expectation_mark> out;
  if (!v) return out;
  for (const auto& m : v->modems)
    for (const auto& e : m.expectations) {
      expectation_mark k;
      k.number = out.size() + 1;
      k.e = &e;
      if (v->modems.size() > 1) k.modem = m.name;
      if (!e.lines.empty() && !ms.empty()) {
        k.lines = proof_messages(e.lines, e.t_us, ms);
        k.lines.pop_back();  // the anchor: expectations have no box to hang
      }
      out.push_back(std::move(k));
    }
  return out;
}

std::string_view result_text(oracle::outcome o) {
  return o == oracle::outcome::met ? "met" : o == oracle::outcome::unmet ? "unmet" : "not triggered";
}

std::string_view result_class(oracle::outcome o) {
  return o == oracle::outcome::met ? "kept" : o == oracle::outcome::unmet ? "broken" : "idle";
}

/// "E2 unmet at 12.000 s on modem 1: back and subscribed — what happened".
std::string expectation_headline(const expectation_mark& k) {
  const auto& e = *k.e;
  return "E" + std::to_string(k.number) + " " + std::string(result_text(e.result)) + " at " + t_text(e.t_us) + " s" +
         (k.modem.empty() ? "" : " on " + k.modem) + ": " + e.name + " — " + e.detail;
}

std::string_view level_text(oracle::severity s) { return oracle::to_string(s); }

/// The finding's first line: "1 error NT35E-… (§5.4) at 5.540 s: what happened".
std::string finding_headline(const finding_mark& k) {
  const auto& f = *k.f;
  return std::to_string(k.number) + " " + std::string(level_text(f.level)) + " " + f.rule + " (" + f.spec + ") at " +
         t_text(f.t_us) + " s" + (k.modem.empty() ? "" : " on " + k.modem) + ": " + f.detail;
}

/// The rule's explanation in English and Chinese (the explanation table).
std::pair<std::string, std::string> rule_texts(std::string_view id) {
  const auto* e = explain::find_rule(id);
  return e ? std::pair{std::string(e->en), std::string(e->zh)} : std::pair{std::string(), std::string()};
}

std::string svg_diagram(const std::vector<message>& ms, const std::vector<finding_mark>& marks,
                        const std::vector<expectation_mark>& expected) {
  lanes L;
  const int width = 1160, head = 56, row = 24, gap_row = 18, box = 54;
  // Findings: numbered badges on their lines, a box under the anchor line.
  std::map<std::size_t, std::vector<const finding_mark*>> badges, boxes;
  if (!ms.empty())
    for (const auto& k : marks) {
      auto lines = k.lines;
      lines.push_back(k.anchor);
      std::sort(lines.begin(), lines.end());
      lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
      for (auto i : lines) badges[i].push_back(&k);
      boxes[k.anchor].push_back(&k);
    }
  // Expectations: "E<n>" tags after the findings' badges on the lines that prove them.
  std::map<std::size_t, std::vector<const expectation_mark*>> tags;
  for (const auto& k : expected) {
    auto lines = k.lines;
    std::sort(lines.begin(), lines.end());
    lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
    for (auto i : lines) tags[i].push_back(&k);
  }
  // Rows: one per message, plus a gap marker before a pause longer than one second, plus
  // a finding's box under its anchor line.
  std::vector<int> ys;
  std::vector<std::pair<int, std::int64_t>> gaps;
  std::map<std::size_t, int> box_top;  ///< by finding number
  int y = head + 10;
  for (std::size_t i = 0; i < ms.size(); ++i) {
    if (i > 0 && ms[i].t_us - ms[i - 1].t_us >= 1'000'000) {
      gaps.emplace_back(y, ms[i].t_us - ms[i - 1].t_us);
      y += gap_row;
    }
    y += row;
    ys.push_back(y);
    if (auto b = boxes.find(i); b != boxes.end())
      for (const auto* k : b->second) {
        box_top[k->number] = y + 8;
        y += box + 4;
      }
  }
  const int height = y + 24;
  std::string out;
  out += "<svg role=\"img\" aria-label=\"sequence diagram\" width=\"" + std::to_string(width) + "\" height=\"" +
         std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) + "\">\n";
  out += "<defs>";
  for (auto [id, color] : {std::pair{"a-cmd", "#1f4e99"}, std::pair{"a-mod", "#1e6b35"}, std::pair{"a-echo", "#a3a3a3"},
                           std::pair{"a-net", "#6a1b9a"}, std::pair{"a-bad", "#b3261e"}})
    out += std::string("<marker id=\"") + id +
           "\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"9\" "
           "markerHeight=\"9\" "
           "orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"" +
           color + "\"/></marker>";
  out += "</defs>\n";
  // Lifelines and their heads
  for (auto [x, name] :
       {std::pair{L.host, "Host (DTE)"}, std::pair{L.module, "NT35E"}, std::pair{L.broker, "Broker"}}) {
    out += "<line class=\"lifeline\" x1=\"" + std::to_string(x) + "\" y1=\"" + std::to_string(head - 10) + "\" x2=\"" +
           std::to_string(x) + "\" y2=\"" + std::to_string(height - 8) + "\"/>\n";
    out += "<g class=\"head\"><rect x=\"" + std::to_string(x - 60) +
           "\" y=\"8\" width=\"120\" height=\"30\" rx=\"5\"/>"
           "<text x=\"" +
           std::to_string(x) + "\" y=\"28\" text-anchor=\"middle\">" + name + "</text></g>\n";
  }
  out += "<text class=\"time\" x=\"8\" y=\"28\">time (s)</text>\n";
  for (auto [gy, d] : gaps) {
    out += "<g class=\"gap\"><line x1=\"70\" y1=\"" + std::to_string(gy + 10) + "\" x2=\"" +
           std::to_string(width - 20) + "\" y2=\"" + std::to_string(gy + 10) + "\"/><text x=\"" +
           std::to_string(L.module) + "\" y=\"" + std::to_string(gy + 14) + "\" text-anchor=\"middle\">… " +
           html_escape(format_delay(d)) + " later …</text></g>\n";
  }
  for (std::size_t i = 0; i < ms.size(); ++i) {
    const auto& m = ms[i];
    const int yy = ys[i];
    std::string cls;
    std::string marker;
    switch (m.what) {
      case message::kind::command:
      case message::kind::data:
        cls = "cmd";
        marker = "a-cmd";
        break;
      case message::kind::echo:
        cls = "echo";
        marker = "a-echo";
        break;
      case message::kind::module_line:
        cls = "mod";
        marker = "a-mod";
        break;
      case message::kind::request:
      case message::kind::event:
        cls = "net";
        marker = "a-net";
        break;
      case message::kind::note:
        cls = "note";
        break;
    }
    if (m.problem) {
      cls += " bad";
      if (m.what != message::kind::note) marker = "a-bad";
    }
    std::string label = m.label;
    if (m.what == message::kind::echo) label = "echo " + label;
    out += "<g id=\"m" + std::to_string(i) + "\" class=\"" + cls + "\"><title>" + html_escape(t_text(m.t_us)) + " s  " +
           html_escape(m.label) + "</title>";
    out += "<rect class=\"hl\" x=\"0\" y=\"" + std::to_string(yy - row + 4) + "\" width=\"" + std::to_string(width) +
           "\" height=\"" + std::to_string(row) + "\"/>";
    out += "<text class=\"time\" x=\"8\" y=\"" + std::to_string(yy) + "\">" + html_escape(t_text(m.t_us)) + "</text>";
    if (m.what == message::kind::note) {
      auto text = cut(label, 70);
      int w = static_cast<int>(std::min<std::size_t>(text.size(), 72)) * 7 + 12;
      out += "<rect x=\"" + std::to_string(L.module + 8) + "\" y=\"" + std::to_string(yy - 14) + "\" width=\"" +
             std::to_string(std::min(w, width - L.module - 16)) + "\" height=\"18\" rx=\"3\"/>";
      out += "<text x=\"" + std::to_string(L.module + 14) + "\" y=\"" + std::to_string(yy - 1) + "\">" +
             html_escape(text) + "</text>";
    } else {
      int x1 = L.x(m.from), x2 = L.x(m.to);
      int mid = (x1 + x2) / 2;
      out += "<line x1=\"" + std::to_string(x1) + "\" y1=\"" + std::to_string(yy) + "\" x2=\"" + std::to_string(x2) +
             "\" y2=\"" + std::to_string(yy) + "\" marker-end=\"url(#" + marker + ")\"/>";
      out += "<text x=\"" + std::to_string(mid) + "\" y=\"" + std::to_string(yy - 5) + "\" text-anchor=\"middle\">" +
             html_escape(cut(label, 52)) + "</text>";
    }
    out += "</g>\n";
    if (auto b = badges.find(i); b != badges.end())
      for (std::size_t n = 0; n < b->second.size(); ++n) {
        const auto& k = *b->second[n];
        const int cx = 74 + 20 * static_cast<int>(n);
        out += "<a href=\"#f" + std::to_string(k.number) + "\"><g class=\"badge " +
               std::string(level_text(k.f->level)) + "\"><title>" + html_escape(finding_headline(k)) +
               "</title><circle cx=\"" + std::to_string(cx) + "\" cy=\"" + std::to_string(yy - 4) +
               "\" r=\"8\"/><text x=\"" + std::to_string(cx) + "\" y=\"" + std::to_string(yy) +
               "\" text-anchor=\"middle\">" + std::to_string(k.number) + "</text></g></a>\n";
      }
    if (auto t = tags.find(i); t != tags.end()) {
      const auto before = badges.contains(i) ? badges[i].size() : 0;
      for (std::size_t n = 0; n < t->second.size(); ++n) {
        const auto& k = *t->second[n];
        const int x = 66 + 20 * static_cast<int>(before) + 28 * static_cast<int>(n);
        out += "<a href=\"#e" + std::to_string(k.number) + "\"><g class=\"tag " +
               std::string(result_class(k.e->result)) + "\"><title>" + html_escape(expectation_headline(k)) +
               "</title><rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(yy - 12) +
               "\" width=\"25\" height=\"16\" rx=\"3\"/><text x=\"" + std::to_string(x + 12) + "\" y=\"" +
               std::to_string(yy) + "\" text-anchor=\"middle\">E" + std::to_string(k.number) + "</text></g></a>\n";
      }
    }
    if (auto b = boxes.find(i); b != boxes.end())
      for (const auto* k : b->second) {
        const int top = box_top[k->number];
        const auto [en, zh] = rule_texts(k->f->rule);
        out += "<g id=\"fm" + std::to_string(k->number) + "\" class=\"finding " + std::string(level_text(k->f->level)) +
               "\"><title>" + html_escape(finding_headline(*k)) + "\n" + html_escape(en) + "\n" + html_escape(zh) +
               "</title>";
        out += "<rect x=\"66\" y=\"" + std::to_string(top) + "\" width=\"" + std::to_string(width - 86) +
               "\" height=\"" + std::to_string(box) + "\" rx=\"4\"/>";
        out += "<text class=\"rule\" x=\"76\" y=\"" + std::to_string(top + 16) + "\">" +
               html_escape(cut(finding_headline(*k), 140)) + "</text>";
        out += "<text x=\"76\" y=\"" + std::to_string(top + 32) + "\">" + html_escape(cut(en, 150)) + "</text>";
        out += "<text x=\"76\" y=\"" + std::to_string(top + 48) + "\" lang=\"zh\">" + html_escape(cut(zh, 84)) +
               "</text></g>\n";
      }
  }
  out += "</svg>\n";
  return out;
}

/// The lines that prove a finding or an expectation, one per line: "<br>0.010 s DTE&gt; AT".
std::string proof_lines(const std::vector<oracle::line_ref>& lines) {
  std::string out;
  for (const auto& l : lines)
    out += "<br><span class=\"proof\">" + html_escape(t_text(l.t_us)) + " s " + (l.from_dte ? "DTE&gt; " : "MOD&lt; ") +
           "</span>" + code(l.text);
  return out;
}

/// The verdict section: passed or failed, the findings with their explanations (each
/// linked to its box on the diagram), the rule coverage.
std::string verdict_section(const oracle::verdict& v, const std::vector<finding_mark>& marks) {
  std::size_t errors = 0, warnings = 0, rules = 0, exercised = 0, idle = 0, off = 0;
  for (const auto& k : marks) (k.f->level == oracle::severity::error ? errors : warnings) += 1;
  for (const auto& m : v.modems)
    for (const auto& u : m.coverage) {
      ++rules;
      if (!u.runs)
        ++off;
      else if (u.exercised)
        ++exercised;
      else
        ++idle;
    }
  auto count = [](std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  std::string out = "<h2 id=\"verdict\">Verdict on the driver</h2>\n";
  const char* fail_on = v.threshold == oracle::fail_on::error     ? "error"
                        : v.threshold == oracle::fail_on::warning ? "warning"
                                                                  : "never";
  const std::string how =
      std::string(" (") + (v.lenient ? "lenient" : "strict") + " mode, fails on " + fail_on + "; docs/oracle.md)";
  const std::size_t unmet = v.unmet();
  const std::string unmet_text = unmet == 0 ? "" : ", " + count(unmet, "unmet expectation", "unmet expectations");
  if (marks.empty() && !v.failed())
    out += "<div class=\"verdict good\">Passed: no finding; the driver broke none of the rules that ran" + how +
           ".</div>\n";
  else
    out += std::string("<div class=\"verdict ") + (v.failed() ? "bad\">Failed" : "warn\">Passed") + ": " +
           count(errors, "error", "errors") + ", " + count(warnings, "warning", "warnings") + unmet_text + how +
           (marks.empty() ? ""
                          : "; each finding is marked on the <a href=\"#sequence\">sequence diagram</a> at its lines") +
           ".</div>\n";
  out += "<p>Rule coverage: " + std::to_string(exercised) + " of " + std::to_string(rules) + " rules exercised, " +
         std::to_string(idle) + " not exercised (the session gave the driver no occasion to break them), " +
         std::to_string(off) + " off (lenient mode or --oracle-rule).</p>\n";
  if (!marks.empty()) {
    out += "<ol class=\"findings\">\n";
    for (const auto& k : marks) {
      const auto& f = *k.f;
      const auto [en, zh] = rule_texts(f.rule);
      out += "<li id=\"f" + std::to_string(k.number) + "\" class=\"" + std::string(level_text(f.level)) +
             "\"><a href=\"#fm" + std::to_string(k.number) + "\">" + html_escape(t_text(f.t_us)) +
             " s</a> <span class=\"level\">" + std::string(level_text(f.level)) + "</span> " + code(f.rule) + " (" +
             html_escape(f.spec) + ")" + (k.modem.empty() ? "" : " on " + html_escape(k.modem)) + ": " +
             html_escape(f.detail);
      if (!en.empty()) out += "<br>" + html_escape(en) + "<br><span lang=\"zh\">" + html_escape(zh) + "</span>";
      out += proof_lines(f.lines);
      out += "</li>\n";
    }
    out += "</ol>\n";
  }
  // The scenario's expectations: what this driver had to do in this world, met or not.
  std::size_t expectation_number = 0;
  for (const auto& m : v.modems) {
    if (m.expectations.empty()) continue;
    out += "<h3>Expectations" + (v.modems.size() > 1 ? " of " + html_escape(m.name) : std::string()) +
           "</h3>\n<table class=\"coverage\">\n<thead><tr><th>expectation</th><th>asks</th><th>result</th>"
           "<th>what happened</th></tr></thead>\n<tbody>\n";
    for (const auto& e : m.expectations) {
      const auto number = std::to_string(++expectation_number);
      out += "<tr id=\"e" + number + "\"><td>E" + number + " " + code(e.name) + "</td><td>" + html_escape(e.asks) +
             "</td><td class=\"" + std::string(result_class(e.result)) + "\">" + std::string(result_text(e.result)) +
             " at " + html_escape(t_text(e.t_us)) + " s</td><td>" + html_escape(e.detail);
      out += proof_lines(e.lines);
      out += "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  for (const auto& m : v.modems) {
    if (v.modems.size() > 1) out += "<h3>" + html_escape(m.name) + "</h3>\n";
    out +=
        "<table class=\"coverage\">\n<thead><tr><th>rule</th><th>level</th><th>spec</th><th>in this session</th>"
        "</tr></thead>\n<tbody>\n";
    for (const auto& u : m.coverage) {
      const auto* r = oracle::find_rule(u.id);
      const auto* e = explain::find_rule(u.id);
      std::string status = u.findings > 0 ? "broken: " + count(u.findings, "finding", "findings")
                           : !u.runs      ? std::string("off")
                           : u.exercised  ? std::string("exercised, kept")
                                          : std::string("not exercised");
      const char* cls = u.findings > 0 ? "broken" : !u.runs ? "off" : u.exercised ? "kept" : "idle";
      out += "<tr><td>" + code(u.id) + "</td><td>" + std::string(r ? level_text(r->level) : "error") + "</td><td>" +
             html_escape(e ? e->spec : std::string_view()) + "</td><td class=\"" + cls + "\">" + html_escape(status) +
             "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  return out;
}

/// What a line means, from the explanation table (English): a command, a final result
/// (a +CME ERROR by its number) or a URC; empty when the table has nothing for it.
/// Examples in the text come in `style`, the recorded profile's.
std::string meaning_of(std::string_view line, at::response_style style) {
  const auto t = at::trim_line(line);
  if (at::is_command_line(t)) return explain::command(t.substr(2), explain::language::en, style);
  if (const auto result = at::final_result_of(t)) {
    if (*result == at::final_result::cme_error) {
      const auto fields = at::response_fields(t);
      int number = 0;
      if (fields.size() == 1 &&
          std::from_chars(fields[0].data(), fields[0].data() + fields[0].size(), number).ec == std::errc{})
        if (const auto* e = explain::find_cme(number)) return std::string(e->text.en);
    }
    const auto* e = explain::find_result(*result);
    return e ? std::string(e->en) : std::string{};
  }
  return explain::urc(t, explain::language::en, style);
}

/// " <span class="explain">…</span>" for a line the table explains, else nothing.
std::string meaning_span(std::string_view line, at::response_style style) {
  const auto meaning = meaning_of(line, style);
  return meaning.empty() ? std::string{} : " <span class=\"explain\">" + html_escape(meaning) + "</span>";
}

std::string timeline_table(const std::vector<message>& ms, const std::vector<timeline_row>& rows,
                           at::response_style style) {
  (void)ms;
  std::string out;
  out +=
      "<table id=\"tl\">\n<thead><tr><th>time (s)</th><th>command</th><th>answer</th>"
      "<th>URCs that report on it (delay from the command)</th></tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    std::string cls = r.problem ? "bad" : "fine";
    if (r.command.empty()) cls += " urc";
    out += "<tr id=\"r" + std::to_string(i) + "\" class=\"" + cls + "\">";
    out +=
        "<td class=\"t\"><a href=\"#m" + std::to_string(r.message) + "\">" + html_escape(t_text(r.t_us)) + "</a></td>";
    if (r.command.empty()) {
      out += "<td class=\"cmd\">unsolicited</td><td></td><td>";
      const auto& u = r.reports.front();
      out += code(u.text, u.problem);
      if (u.problem)
        out += " <span class=\"why\">" + html_escape(problem_of(u.text)) + "</span>" + meaning_span(u.text, style);
      for (std::size_t k = 1; k < r.reports.size(); ++k) {
        const auto& rep = r.reports[k];
        out += "<br><span class=\"arrow\">→</span>" + code(rep.text, rep.problem) + " <span class=\"delay\">after " +
               html_escape(format_delay(rep.delay_us)) + "</span>";
        if (rep.problem)
          out +=
              " <span class=\"why\">" + html_escape(problem_of(rep.text)) + "</span>" + meaning_span(rep.text, style);
        else if (at::response_name(rep.text) == "+ECMTCONN")
          out += " <span class=\"delay\">(reconnected)</span>";
      }
      out += "</td></tr>\n";
      continue;
    }
    // The command's meaning shows when the pointer rests on it (the explanation table).
    const auto meaning = meaning_of(r.command, style);
    out += "<td class=\"cmd\"" + (meaning.empty() ? std::string{} : " title=\"" + html_escape(meaning) + "\"") + ">" +
           code(r.command) + "</td><td>";
    for (const auto& info : r.info) out += code(info) + " ";
    if (!r.result.empty()) {
      bool bad = !problem_of(r.result).empty();
      out += "<span class=\"arrow\">→</span>" + code(r.result, bad) + " <span class=\"delay\">after " +
             html_escape(format_delay(r.result_delay_us)) + "</span>";
      if (bad) out += meaning_span(r.result, style);
    } else {
      out += "<span class=\"bad-text\">no answer</span>";
    }
    out += "</td><td>";
    bool first = true;
    for (const auto& rep : r.reports) {
      if (!first) out += "<br>";
      first = false;
      out += "<span class=\"arrow\">→</span>" + code(rep.text, rep.problem) + " <span class=\"delay\">after " +
             html_escape(format_delay(rep.delay_us)) + "</span>";
      if (rep.problem)
        out += " <span class=\"why\">" + html_escape(problem_of(rep.text)) + "</span>" + meaning_span(rep.text, style);
    }
    out += "</td></tr>\n";
  }
  out += "</tbody></table>\n";
  return out;
}

}  // namespace

std::string_view report_style() { return style; }

std::string render_report(const trace& t, const report_options& options) {
  auto ms = messages_of(t);
  auto rows = timeline_of(ms);
  const auto marks = marks_of(options.verdict, ms);
  const auto expected = expectation_marks_of(options.verdict, ms);
  int commands = 0, problems = 0, urcs = 0, mqtt = 0;
  for (const auto& r : rows) {
    if (!r.command.empty())
      ++commands;
    else
      ++urcs;
    if (r.problem) ++problems;
  }
  for (const auto& m : ms)
    if (m.what == message::kind::request || m.what == message::kind::event) ++mqtt;
  std::int64_t duration = t.events.empty() ? 0 : t.events.back().t_us;

  std::string title = "NT35E session" + (options.title.empty() ? std::string() : " — " + options.title);
  std::string out;
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>" + html_escape(title) + "</title>\n<style>" + std::string(style) + "</style>\n</head>\n<body>\n";
  out += "<h1>" + html_escape(title) + "</h1>\n<p class=\"meta\">profile " + html_escape(t.head.profile);
  if (!t.head.started.empty()) out += " · started " + html_escape(t.head.started);
  out += " · " + html_escape(format_delay(duration)) + " · " + std::to_string(t.events.size()) + " events";
  if (!t.head.redacted.empty()) {
    std::string r;
    for (const auto& x : t.head.redacted) r += (r.empty() ? "" : ", ") + x;
    out += " · redacted: " + html_escape(r);
  }
  out += "</p>\n";

  // Summary
  out += "<h2 id=\"summary\">Summary</h2>\n";
  out += "<p>" + std::to_string(commands) + (commands == 1 ? " command, " : " commands, ") + std::to_string(urcs) +
         " unsolicited URC" + (urcs == 1 ? "" : "s") + ", " + std::to_string(mqtt) + " MQTT packets and events.</p>\n";
  if (problems == 0) {
    out +=
        "<div class=\"verdict good\">No errors or refusals: every command was answered without an error and "
        "every URC reported success.</div>\n";
  } else {
    std::size_t first_bad = 0;
    while (first_bad < rows.size() && !rows[first_bad].problem) ++first_bad;
    out += "<div class=\"verdict bad\">" + std::to_string(problems) + (problems == 1 ? " place" : " places") +
           " where the session went wrong; the first at <a href=\"#r" + std::to_string(first_bad) + "\">" +
           html_escape(t_text(rows[first_bad].t_us)) + " s</a>.</div>\n";
    out += "<ol class=\"problems\">\n";
    int shown = 0;
    for (std::size_t i = 0; i < rows.size() && shown < 20; ++i) {
      const auto& r = rows[i];
      if (!r.problem) continue;
      ++shown;
      std::string what = r.command.empty() ? r.why : r.command + ": " + r.why;
      out += "<li><a href=\"#r" + std::to_string(i) + "\">" + html_escape(t_text(r.t_us)) + " s — " +
             html_escape(what) + "</a></li>\n";
    }
    if (problems > shown) out += "<li>… and " + std::to_string(problems - shown) + " more in the timeline</li>\n";
    out += "</ol>\n";
  }

  if (options.verdict) out += verdict_section(*options.verdict, marks);

  // Timeline
  out += "<h2 id=\"timeline\">Timeline</h2>\n";
  out += "<label class=\"filter\"><input type=\"checkbox\" id=\"only\"> only rows with problems</label>\n";
  // Explanations show examples as the recorded profile writes them (compact unless ec616s).
  const auto profile = modem::builtin_profile(t.head.profile);
  out += timeline_table(ms, rows, profile ? profile->style : at::response_style::compact);

  // Sequence diagram
  out += "<h2 id=\"sequence\">Sequence diagram</h2>\n";
  out +=
      "<p class=\"legend\"><span><i class=\"sw\" style=\"background:#1f4e99\"></i>host line</span>"
      "<span><i class=\"sw\" style=\"background:#1e6b35\"></i>module line</span>"
      "<span><i class=\"sw\" style=\"background:#a3a3a3\"></i>echo</span>"
      "<span><i class=\"sw\" style=\"background:#6a1b9a\"></i>MQTT</span>"
      "<span><i class=\"sw\" style=\"background:#b3261e\"></i>error or refusal</span>"
      "<span>notes in yellow boxes; hover an arrow for its full text</span>" +
      std::string(marks.empty() ? "" : "<span>numbered badges and boxes: the oracle's findings</span>") +
      std::string(expected.empty() ? ""
                                   : "<span>E tags: the lines that prove an expectation (green met, red unmet, "
                                     "grey not triggered)</span>") +
      "</p>\n";
  out += svg_diagram(ms, marks, expected);
  out += "<script>" + std::string(script) + "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace nt35e::trace
