// The session report's reading of a trace (trace/report_html.hpp): byte chunks to
// diagram messages, messages to timeline rows, and what makes a line a problem; the
// HTML itself is report_html_page.cpp.

#include "trace/report_html.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>

#include "at/command_line.hpp"
#include "at/text.hpp"
#include "at/urc_table.hpp"
#include "at/vocabulary.hpp"

namespace nt35e::trace {

// =================================================================================
// Small text helpers

std::string html_escape(std::string_view s) { return at::markup_escape(s); }

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
    // Secrets are masked whatever the trace says: one recorded with --show-secrets,
    // or written by hand, still gives a page that can be passed around.
    m.label = at::mask_secrets(label);
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
      } else if (at::is_prompt(text)) {
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
// Findings on the diagram

std::vector<std::size_t> finding_messages(const oracle::finding& f, const std::vector<message>& messages) {
  return proof_messages(f.lines, f.t_us, messages);
}

std::vector<std::size_t> proof_messages(const std::vector<oracle::line_ref>& lines, std::int64_t t_us,
                                        const std::vector<message>& messages) {
  std::vector<std::size_t> out;
  if (messages.empty()) return out;
  // The last message at or before `t` that `fits` (any message when none fits; the first when none is that early).
  auto last_before = [&](std::int64_t t, auto fits) {
    std::optional<std::size_t> any, fitting;
    for (std::size_t i = 0; i < messages.size() && messages[i].t_us <= t; ++i) {
      any = i;
      if (fits(messages[i])) fitting = i;
    }
    return fitting.value_or(any.value_or(0));
  };
  for (const auto& l : lines) {
    auto same_side = [&](const message& m) {
      return l.from_dte ? m.what == message::kind::command || m.what == message::kind::data
                        : m.what == message::kind::module_line;
    };
    // The oracle writes a failure as "COMMAND -> RESULT": the module's line is the result.
    auto same_text = [&](const message& m) {
      return m.label == l.text || l.text.ends_with(" -> " + m.label) || l.text.starts_with(m.label);
    };
    std::optional<std::size_t> exact;
    for (std::size_t i = 0; i < messages.size() && messages[i].t_us <= l.t_us; ++i)
      if (messages[i].t_us == l.t_us && same_side(messages[i]) && (!exact || same_text(messages[i]))) {
        if (exact && same_text(messages[*exact])) continue;  // the first line of that text
        exact = i;
      }
    out.push_back(exact ? *exact : last_before(l.t_us, same_side));
  }
  // The anchor: the last proving line at or before the finding's time (the line that broke
  // the rule); a deadline's finding without one sits on the last message before it.
  std::optional<std::size_t> anchor;
  for (std::size_t k = 0; k < lines.size(); ++k)
    if (lines[k].t_us <= t_us && (!anchor || lines[k].t_us >= lines[*anchor].t_us)) anchor = k;
  out.push_back(anchor ? out[*anchor] : last_before(t_us, [](const message&) { return true; }));
  return out;
}

}  // namespace nt35e::trace
