#include "trace/report_html.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>

#include "at/text.hpp"
#include "at/urc_table.hpp"
#include "at/vocabulary.hpp"

namespace nt35e::trace {

// =================================================================================
// Small text helpers

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string format_delay(std::int64_t us) {
  char buf[48];
  if (us < 0) us = 0;
  if (us == 0) return "0 ms";
  if (us < 1000) {
    std::snprintf(buf, sizeof buf, "%.1f ms", static_cast<double>(us) / 1000.0);
    if (std::string_view(buf) == "0.0 ms") return "0.1 ms";
    if (std::string_view(buf) == "1.0 ms") return "1 ms";
    return buf;
  }
  if (us < 999'500) return std::to_string((us + 500) / 1000) + " ms";
  if (us < 59'995'000) {
    std::snprintf(buf, sizeof buf, "%.2f s", static_cast<double>(us) / 1e6);
    return buf;
  }
  std::int64_t s = (us + 500'000) / 1'000'000;
  if (s < 3600) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
  return std::to_string(s / 3600) + " h " + std::to_string(s / 60 % 60) + " min";
}

namespace {

/// Bytes as a one-line label: UTF-8 kept, control bytes (CR and LF too) and broken
/// UTF-8 as \xNN.
std::string label_of(std::string_view bytes) {
  return at::escape_bytes(bytes,
                          {.named_line_ends = false, .high = at::escape_options::high_bytes::keep_if_valid_utf8});
}

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

/// A final result that ends the command it answers (OK, ERROR, +CME ERROR: 10, ...).
bool is_final(std::string_view line) { return at::final_result_of(line).has_value(); }

/// What a command waits for: the URC name and the key fields (id, msgID) it reports with.
std::optional<std::string> key_of_command(std::string_view command) {
  auto name = at::command_name(command);
  auto p = at::command_params(command);
  if (name == "+ECRST") return std::string("ECRDY");
  if (name == "+ECPING") return std::string("+ECPING");
  if (p.empty()) return std::nullopt;
  if (name == "+ECMTOPEN" || name == "+ECMTCLOSE" || name == "+ECMTCONN" || name == "+ECMTDISC")
    return name + "/" + p[0];
  if ((name == "+ECMTSUB" || name == "+ECMTUNS" || name == "+ECMTPUB") && p.size() >= 2)
    return name + "/" + p[0] + "/" + p[1];
  return std::nullopt;
}

std::optional<std::string> key_of_urc(std::string_view line) {
  auto name = at::response_name(line);
  if (name == "ECRDY" || name == "+ECPING") return name;
  auto f = at::response_fields(line);
  if (f.empty()) return std::nullopt;
  if (name == "+ECMTOPEN" || name == "+ECMTCLOSE" || name == "+ECMTCONN" || name == "+ECMTDISC")
    return name + "/" + f[0];
  if ((name == "+ECMTSUB" || name == "+ECMTUNS" || name == "+ECMTPUB") && f.size() >= 2)
    return name + "/" + f[0] + "/" + f[1];
  return std::nullopt;
}

bool net_problem(std::string_view what) {
  if (what.find("failed") != std::string_view::npos || what.find("link lost") != std::string_view::npos) return true;
  for (std::string_view k : {"code ", "result "}) {
    auto p = what.find(k);
    if (p != std::string_view::npos && p + k.size() < what.size() && what[p + k.size()] != '0') return true;
  }
  return false;
}

}  // namespace

std::string problem_of(std::string_view line) {
  auto t = at::trim(line);
  // A failed command: the result itself says why (ERROR, +CME ERROR: 10, NO CARRIER).
  if (auto r = at::final_result_of(t); r && at::is_failure(*r)) return std::string(t);
  auto name = at::response_name(t);
  auto f = at::response_fields(t);
  if (name == "+ECMTSTAT") return "link lost";
  if (name == "+ECMTOPEN" && f.size() >= 2 && f[1] != "0") return "open failed";
  if (name == "+ECMTCONN" && f.size() >= 3) {
    if (f[1] == "2") return "CONNECT could not be sent";
    if (f[1] != "0") return "connect failed";
    static const char* why[] = {"",
                                "refused: unacceptable protocol version",
                                "refused: identifier rejected",
                                "refused: server unavailable",
                                "refused: bad user name or password",
                                "refused: not authorised",
                                "malformed CONNACK"};
    if (f[2] != "0") {
      if (f[2].size() == 1 && f[2][0] >= '1' && f[2][0] <= '6') return why[f[2][0] - '0'];
      return "refused (" + f[2] + ")";
    }
    return {};
  }
  if ((name == "+ECMTCLOSE" || name == "+ECMTDISC") && f.size() >= 2 && f[1] != "0") return "failed";
  if ((name == "+ECMTSUB" || name == "+ECMTUNS" || name == "+ECMTPUB") && f.size() >= 3 && f[2] != "0")
    return f[2] == "1" ? "malformed acknowledgement" : "not sent or not acknowledged";
  return {};
}

// =================================================================================
// Trace to messages

std::vector<message> messages_of(const trace& t) {
  std::vector<message> out;
  std::string host, pending_echo, echo;
  // Module lines of any length: a label shows the whole line.
  at::output_line_cutter mod(std::numeric_limits<std::size_t>::max());
  bool data_mode = false;
  std::string last_command;
  int module_since_command = 0;
  auto add = [&](message::kind k, message::lane from, message::lane to, std::int64_t t_us, std::string label,
                 bool problem = false) {
    message m;
    m.what = k;
    m.from = from;
    m.to = to;
    m.t_us = t_us;
    m.label = std::move(label);
    m.problem = problem;
    out.push_back(std::move(m));
  };
  using K = message::kind;
  using L = message::lane;
  auto flush_echo = [&](std::int64_t t_us) {
    if (!echo.empty()) add(K::echo, L::module, L::host, t_us, label_of(echo));
    echo.clear();
  };
  auto module_line = [&](std::int64_t t_us, std::string_view line) {
    auto label = label_of(line);
    if (module_since_command == 0 && !last_command.empty() && label == last_command) {
      add(K::echo, L::module, L::host, t_us, label);  // echo that came after something else
      return;
    }
    ++module_since_command;
    add(K::module_line, L::module, L::host, t_us, label, !problem_of(label).empty());
  };
  auto prompt = [&](std::int64_t t_us) {
    add(K::module_line, L::module, L::host, t_us, ">");
    data_mode = true;
    ++module_since_command;
  };
  for (const auto& e : t.events) {
    switch (e.dir) {
      case direction::dte_to_module:
        for (char c : e.data) {
          if (data_mode) {
            if (c == 0x1A || c == 0x1B) {
              add(K::data, L::host, L::module, e.t_us, label_of(host) + (c == 0x1A ? " ^Z" : " ESC (cancel)"));
              host.clear();
              data_mode = false;
              module_since_command = 0;
            } else {
              host += c;
              pending_echo += c;
            }
            continue;
          }
          pending_echo += c;
          if (c == '\r') {
            if (!host.empty()) {
              last_command = label_of(host);
              add(K::command, L::host, L::module, e.t_us, last_command);
              module_since_command = 0;
            }
            host.clear();
          } else if (c == '\n' && host.empty()) {
            // LF after CR: ignored by the module
          } else {
            host += c;
            if (at::iequals(host, "A/")) {
              last_command = host;
              add(K::command, L::host, L::module, e.t_us, host);
              host.clear();
              module_since_command = 0;
            }
          }
        }
        break;
      case direction::module_to_dte: {
        std::string_view data = e.data;
        // The echo of what the host sent comes first, byte for byte, at the start of a line.
        while (!data.empty() && !pending_echo.empty() && mod.partial().empty() &&
               data.front() == pending_echo.front()) {
          const char c = data.front();
          data.remove_prefix(1);
          pending_echo.erase(0, 1);
          if (at::is_line_end(c))
            flush_echo(e.t_us);
          else
            echo += c;
        }
        if (!data.empty() && !pending_echo.empty()) {
          pending_echo.clear();
          flush_echo(e.t_us);
        }
        // The rest is the module's own output: its complete lines, then (after the echo
        // below) the data prompt if the chunk ends with one.
        const auto last_end = data.find_last_of("\r\n");
        const auto lines = last_end == std::string_view::npos ? std::string_view() : data.substr(0, last_end + 1);
        mod.push(lines, [&](std::string_view line) { module_line(e.t_us, line); });
        // An echo without CR (a payload in data mode) ends with the host's bytes.
        if (!echo.empty() && pending_echo.empty() && host.empty()) flush_echo(e.t_us);
        mod.push(data.substr(lines.size()), [&](std::string_view) { prompt(e.t_us); });
        break;
      }
      case direction::module_to_net:
        add(K::request, L::module, L::broker, e.t_us, label_of(e.text), net_problem(e.text));
        break;
      case direction::net_to_module:
        add(K::event, L::broker, L::module, e.t_us, label_of(e.text), net_problem(e.text));
        break;
      case direction::state: {
        std::string label = label_of(e.text);
        if (!e.reason.empty() && e.reason != "import.comment") label = "[" + e.reason + "] " + label;
        bool bad = !e.reason.empty() &&
                   (e.reason.starts_with("syntax.") || e.reason.starts_with("state.") ||
                    e.reason.starts_with("param.") || e.reason.starts_with("net.") || e.reason.starts_with("guard.") ||
                    e.reason.starts_with("line.") || e.reason.starts_with("input.") || e.reason.starts_with("sim."));
        add(K::note, L::module, L::module, e.t_us, label, bad);
        break;
      }
    }
  }
  std::int64_t end = t.events.empty() ? 0 : t.events.back().t_us;
  flush_echo(end);
  if (!mod.partial().empty()) {
    const std::string rest(mod.partial());
    mod.reset();
    module_line(end, rest);
  }
  if (!host.empty())
    add(data_mode ? K::data : K::command, L::host, L::module, end, label_of(host) + " (no CR: never sent as a line)");
  return out;
}

// =================================================================================
// Messages to the timeline

std::vector<timeline_row> timeline_of(const std::vector<message>& messages) {
  std::vector<timeline_row> rows;
  constexpr std::size_t none = static_cast<std::size_t>(-1);
  std::size_t waiting = none;                     // the row whose final result is due
  std::map<std::string, std::size_t> reporting;   // URC key -> row
  std::map<std::size_t, std::string> key_of_row;  // opened once the command is accepted
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    if (m.what == message::kind::command) {
      if (waiting != none) {
        // Never answered before the next command.
        auto& w = rows[waiting];
        w.problem = true;
        if (w.why.empty()) w.why = "no answer";
      }
      timeline_row r;
      r.message = i;
      r.t_us = m.t_us;
      r.command = m.label;
      rows.push_back(std::move(r));
      waiting = rows.size() - 1;
      if (auto k = key_of_command(m.label)) {
        key_of_row[waiting] = *k;
        reporting.erase(*k);  // a new request: later URCs report on it
      }
      continue;
    }
    if (m.what != message::kind::module_line) continue;
    const auto& text = m.label;
    auto name = at::response_name(text);
    // Only the NT35E's own URCs open rows of their own here: the report reads the
    // simulator's traces.
    bool urc = at::is_module_urc(name);
    if (waiting != none && urc && name == at::command_name(rows[waiting].command)) {
      // The command's own name: information text (AT+CEREG? -> +CEREG:0,1; AT+ECMTCONN? ->
      // +ECMTCONN:0,3) unless the command was accepted and is waiting for this URC.
      urc = false;
    }
    if (waiting != none && !urc) {
      auto& r = rows[waiting];
      if (is_final(text)) {
        r.result = text;
        r.result_delay_us = m.t_us - r.t_us;
        if (auto p = problem_of(text); !p.empty()) {
          r.problem = true;
          if (r.why.empty()) r.why = text;
        } else if (auto it = key_of_row.find(waiting); it != key_of_row.end()) {
          reporting[it->second] = waiting;
        }
        waiting = none;
      } else if (text == ">") {
        r.info.push_back("> (data prompt)");
      } else {
        r.info.push_back(text);
      }
      continue;
    }
    // A URC: does it report on a command?
    auto k = key_of_urc(text);
    auto problem = problem_of(text);
    if (k) {
      auto it = reporting.find(*k);
      if (it != reporting.end()) {
        auto& r = rows[it->second];
        r.reports.push_back({text, m.t_us - r.t_us, !problem.empty(), i});
        if (!problem.empty()) {
          r.problem = true;
          if (r.why.empty()) r.why = text + ": " + problem;
        }
        continue;
      }
    }
    // Link lost: a later +ECMTCONN of that id is the reconnect, not the answer to the old command.
    timeline_row r;
    r.message = i;
    r.t_us = m.t_us;
    r.reports.push_back({text, 0, !problem.empty(), i});
    r.problem = !problem.empty();
    if (r.problem) r.why = text + ": " + problem;
    rows.push_back(std::move(r));
    // Link lost: the next +ECMTCONN of that id is the module's own reconnect; it reports on
    // the +ECMTSTAT row (not on the old AT+ECMTCONN).
    if (name == "+ECMTSTAT") {
      auto f = at::response_fields(text);
      if (!f.empty()) reporting["+ECMTCONN/" + f[0]] = rows.size() - 1;
    }
  }
  if (waiting != none) {
    auto& w = rows[waiting];
    w.problem = true;
    if (w.why.empty()) w.why = "no answer";
  }
  return rows;
}

// =================================================================================
// HTML

namespace {

constexpr std::string_view style = R"(
:root { --ink:#1d2330; --muted:#6b7280; --bad:#b3261e; --badbg:#fdecea; --ok:#1e6b35; --host:#1f4e99; --net:#6a1b9a; --line:#d0d5dd; }
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
)";

constexpr std::string_view script = R"(
(function () {
  var box = document.getElementById('only');
  var table = document.getElementById('tl');
  if (box && table) box.addEventListener('change', function () { table.classList.toggle('only', box.checked); });
})();
)";

std::string t_text(std::int64_t us) { return seconds(us); }

struct lanes {
  int host = 250, module = 640, broker = 1030;
  int x(message::lane l) const {
    return l == message::lane::host ? host : l == message::lane::module ? module : broker;
  }
};

std::string svg_diagram(const std::vector<message>& ms) {
  lanes L;
  const int width = 1160, head = 56, row = 24, gap_row = 18;
  // Rows: one per message, plus a gap marker before a pause longer than one second.
  std::vector<int> ys;
  std::vector<std::pair<int, std::int64_t>> gaps;
  int y = head + 10;
  for (std::size_t i = 0; i < ms.size(); ++i) {
    if (i > 0 && ms[i].t_us - ms[i - 1].t_us >= 1'000'000) {
      gaps.emplace_back(y, ms[i].t_us - ms[i - 1].t_us);
      y += gap_row;
    }
    y += row;
    ys.push_back(y);
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
  }
  out += "</svg>\n";
  return out;
}

std::string code(const std::string& s, bool bad = false) {
  return std::string("<code") + (bad ? " class=\"bad-text\"" : "") + ">" + html_escape(s) + "</code>";
}

std::string timeline_table(const std::vector<message>& ms, const std::vector<timeline_row>& rows) {
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
      if (u.problem) out += " <span class=\"why\">" + html_escape(problem_of(u.text)) + "</span>";
      for (std::size_t k = 1; k < r.reports.size(); ++k) {
        const auto& rep = r.reports[k];
        out += "<br><span class=\"arrow\">→</span>" + code(rep.text, rep.problem) + " <span class=\"delay\">after " +
               html_escape(format_delay(rep.delay_us)) + "</span>";
        if (rep.problem)
          out += " <span class=\"why\">" + html_escape(problem_of(rep.text)) + "</span>";
        else if (at::response_name(rep.text) == "+ECMTCONN")
          out += " <span class=\"delay\">(reconnected)</span>";
      }
      out += "</td></tr>\n";
      continue;
    }
    out += "<td class=\"cmd\">" + code(r.command) + "</td><td>";
    for (const auto& info : r.info) out += code(info) + " ";
    if (!r.result.empty()) {
      bool bad = !problem_of(r.result).empty();
      out += "<span class=\"arrow\">→</span>" + code(r.result, bad) + " <span class=\"delay\">after " +
             html_escape(format_delay(r.result_delay_us)) + "</span>";
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
      if (rep.problem) out += " <span class=\"why\">" + html_escape(problem_of(rep.text)) + "</span>";
    }
    out += "</td></tr>\n";
  }
  out += "</tbody></table>\n";
  return out;
}

}  // namespace

std::string render_report(const trace& t, const report_options& options) {
  auto ms = messages_of(t);
  auto rows = timeline_of(ms);
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

  // Timeline
  out += "<h2 id=\"timeline\">Timeline</h2>\n";
  out += "<label class=\"filter\"><input type=\"checkbox\" id=\"only\"> only rows with problems</label>\n";
  out += timeline_table(ms, rows);

  // Sequence diagram
  out += "<h2 id=\"sequence\">Sequence diagram</h2>\n";
  out +=
      "<p class=\"legend\"><span><i class=\"sw\" style=\"background:#1f4e99\"></i>host line</span>"
      "<span><i class=\"sw\" style=\"background:#1e6b35\"></i>module line</span>"
      "<span><i class=\"sw\" style=\"background:#a3a3a3\"></i>echo</span>"
      "<span><i class=\"sw\" style=\"background:#6a1b9a\"></i>MQTT</span>"
      "<span><i class=\"sw\" style=\"background:#b3261e\"></i>error or refusal</span>"
      "<span>notes in yellow boxes; hover an arrow for its full text</span></p>\n";
  out += svg_diagram(ms);
  out += "<script>" + std::string(script) + "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace nt35e::trace
