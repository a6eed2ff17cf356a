// Two sessions compared on the protocol (trace/trace_diff.hpp): steps, Myers's diff, and
// the terminal's and the HTML's views of it.

#include "trace/trace_diff.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "at/text.hpp"
#include "trace/lcs.hpp"
#include "trace/report_html.hpp"

namespace nt35e::trace {

// =================================================================================
// Steps

namespace {

/// The position just after the `n`th comma of `s` from `from` (npos when there are fewer).
std::size_t after_comma(std::string_view s, std::size_t from, int n) {
  for (std::size_t i = from; i < s.size(); ++i)
    if (s[i] == ',' && --n == 0) return i + 1;
  return std::string_view::npos;
}

/// `line` with the field from `begin` up to the next comma (or the end) replaced by `*`.
std::string mask_field(std::string_view line, std::size_t begin) {
  auto end = line.find(',', begin);
  if (end == std::string_view::npos) end = line.size();
  return std::string(line.substr(0, begin)) + "*" + std::string(line.substr(end));
}

/// Where the fields of a line starting with `prefix` begin (after "AT+X=" or "+X:" and
/// the blank a spaced profile puts there), or npos when it does not start with it.
std::size_t fields_after(std::string_view line, std::string_view prefix) {
  if (!at::istarts_with(line, prefix)) return std::string_view::npos;
  auto i = prefix.size();
  while (i < line.size() && line[i] == ' ') ++i;
  return i;
}

}  // namespace

std::string normalised(std::string_view line) {
  // The msgID: the second field of the ECMT request commands and of their URCs.
  static constexpr std::array<std::string_view, 7> with_msgid = {
      "AT+ECMTPUB=", "AT+ECMTSUB=", "AT+ECMTUNS=", "+ECMTPUB:", "+ECMTSUB:", "+ECMTUNS:", "+ECMTRECV:"};
  for (auto prefix : with_msgid) {
    auto fields = fields_after(line, prefix);
    if (fields == std::string_view::npos) continue;
    auto msgid = after_comma(line, fields, 1);
    return msgid == std::string_view::npos ? std::string(line) : mask_field(line, msgid);
  }
  // The clock, set or read.
  for (std::string_view prefix : {std::string_view("AT+CCLK="), std::string_view("+CCLK:")}) {
    auto fields = fields_after(line, prefix);
    if (fields != std::string_view::npos) return std::string(line.substr(0, fields)) + "*";
  }
  // A ping's round-trip time.
  if (fields_after(line, "+ECPING:") != std::string_view::npos) {
    auto rtt = line.find("RTT:");
    if (rtt != std::string_view::npos) {
      auto begin = rtt + 4;
      while (begin < line.size() && line[begin] == ' ') ++begin;
      auto end = begin;
      while (end < line.size() && std::isdigit(static_cast<unsigned char>(line[end]))) ++end;
      if (end > begin) return std::string(line.substr(0, begin)) + "*" + std::string(line.substr(end));
    }
  }
  return std::string(line);
}

std::vector<step> steps_of(const trace& t) {
  std::vector<step> out;
  for (const auto& m : messages_of(t)) {
    step s;
    switch (m.what) {
      case message::kind::command:
      case message::kind::data:
        s.from = step::side::dte;
        break;
      case message::kind::module_line:
        s.from = step::side::module;
        break;
      default:
        continue;  // echo, MQTT, notes: not compared
    }
    s.text = m.label;
    s.key = normalised(m.label);
    s.t_us = m.t_us;
    out.push_back(std::move(s));
  }
  return out;
}

// =================================================================================
// The alignment

namespace {

bool same_step(const step& x, const step& y) { return x.from == y.from && x.key == y.key; }

/// What is compared of a step: its side and its key, as one line for the alignment.
std::string compared(const step& s) { return (s.from == step::side::dte ? ">" : "<") + s.key; }

/// The steps of a[a0, a1) and b[b0, b1) aligned (trace/lcs: a longest common subsequence
/// in memory that grows with the sessions, and bounded time), appended to `out`; between two
/// common steps, A's steps come before B's.
void align(const std::vector<step>& a, std::size_t a0, std::size_t a1, const std::vector<step>& b, std::size_t b0,
           std::size_t b1, std::vector<diff_entry>& out) {
  using K = diff_entry::kind;
  std::vector<std::string> ka, kb;
  for (auto i = a0; i < a1; ++i) ka.push_back(compared(a[i]));
  for (auto j = b0; j < b1; ++j) kb.push_back(compared(b[j]));
  std::size_t i = 0, j = 0;
  for (const auto& [pi, pj] : detail::lcs(ka, kb)) {
    for (; i < pi; ++i) out.push_back({K::only_a, a0 + i, 0});
    for (; j < pj; ++j) out.push_back({K::only_b, 0, b0 + j});
    out.push_back({K::same, a0 + i++, b0 + j++});
  }
  for (; i < ka.size(); ++i) out.push_back({K::only_a, a0 + i, 0});
  for (; j < kb.size(); ++j) out.push_back({K::only_b, 0, b0 + j});
}

}  // namespace

diff_result diff_steps(const std::vector<step>& a, const std::vector<step>& b) {
  using K = diff_entry::kind;
  diff_result r;
  std::size_t head = 0;
  while (head < a.size() && head < b.size() && same_step(a[head], b[head])) ++head;
  std::size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head && same_step(a[a.size() - 1 - tail], b[b.size() - 1 - tail]))
    ++tail;
  for (std::size_t i = 0; i < head; ++i) r.entries.push_back({K::same, i, i});
  align(a, head, a.size() - tail, b, head, b.size() - tail, r.entries);
  for (std::size_t i = tail; i > 0; --i) r.entries.push_back({K::same, a.size() - i, b.size() - i});
  r.first = r.entries.size();
  bool in_hunk = false;
  for (std::size_t i = 0; i < r.entries.size(); ++i) {
    const auto what = r.entries[i].what;
    if (what == K::only_a) ++r.only_a;
    if (what == K::only_b) ++r.only_b;
    if (what != K::same && !in_hunk) {
      ++r.hunks;
      if (r.first == r.entries.size()) r.first = i;
    }
    in_hunk = what != K::same;
  }
  return r;
}

// =================================================================================
// Views

namespace {

std::string_view side_name(step::side s) { return s == step::side::dte ? "dte" : "mod"; }

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

/// "step 17 (t=12.301 s)", or "its end (after step 16)" when the side has no step there.
std::string where(const std::vector<step>& steps, std::size_t index) {
  if (index < steps.size()) return "step " + std::to_string(index + 1) + " (t=" + seconds(steps[index].t_us) + " s)";
  return steps.empty() ? "its start (no steps)" : "its end (after step " + std::to_string(steps.size()) + ")";
}

/// The step of A and of B an entry stands at (for a one-sided entry the other side's next).
std::pair<std::size_t, std::size_t> position_of(const diff_result& d, std::size_t entry) {
  std::size_t a = 0, b = 0;
  for (std::size_t i = 0; i < entry && i < d.entries.size(); ++i) {
    if (d.entries[i].what != diff_entry::kind::only_b) ++a;
    if (d.entries[i].what != diff_entry::kind::only_a) ++b;
  }
  return {a, b};
}

std::string number(std::size_t n, std::size_t width) {
  auto s = std::to_string(n);
  return std::string(width > s.size() ? width - s.size() : 0, ' ') + s;
}

}  // namespace

std::string render_diff_text(const diff_names& names, const std::vector<step>& a, const std::vector<step>& b,
                             const diff_result& d, bool colour, std::size_t context) {
  using K = diff_entry::kind;
  const std::string red = colour ? "\x1b[31m" : "", green = colour ? "\x1b[32m" : "", bold = colour ? "\x1b[1m" : "",
                    dim = colour ? "\x1b[2m" : "", reset = colour ? "\x1b[0m" : "";
  std::string out;
  out += bold + "A: " + names.a + reset + " (" + plural(a.size(), "step", "steps") + ")\n";
  out += bold + "B: " + names.b + reset + " (" + plural(b.size(), "step", "steps") + ")\n";
  if (d.same()) {
    out += "same: the two sessions take the same " + plural(a.size(), "protocol step", "protocol steps") + "\n";
    return out;
  }
  const auto [pa, pb] = position_of(d, d.first);
  out += bold + "first divergence: A at " + where(a, pa) + ", B at " + where(b, pb) + reset + "\n";
  const auto width = std::to_string(std::max(a.size(), b.size())).size();
  const std::string blank(width, ' ');
  // Context before, the first hunk, context after.
  const auto from = d.first > context ? d.first - context : 0;
  auto hunk_end = d.first;
  while (hunk_end < d.entries.size() && d.entries[hunk_end].what != K::same) ++hunk_end;
  const auto to = std::min(d.entries.size(), hunk_end + context);
  // A long first place is cut (the HTML has it all): its head, then how many more.
  const std::size_t max_hunk_lines = 20;
  for (auto i = from; i < to; ++i) {
    if (i == d.first + max_hunk_lines && i < hunk_end) {
      out += "  … " + plural(hunk_end - i, "more step", "more steps") + " differ here\n";
      i = hunk_end - 1;
      continue;
    }
    const auto& e = d.entries[i];
    if (e.what == K::same) {
      const auto& s = a[e.a];
      out += dim + "  " + number(e.a + 1, width) + " " + number(e.b + 1, width) + "  " +
             std::string(side_name(s.from)) + "  " + reset + s.text + "\n";
    } else if (e.what == K::only_a) {
      const auto& s = a[e.a];
      out += red + "- " + number(e.a + 1, width) + " " + blank + "  " + std::string(side_name(s.from)) + "  " + s.text +
             reset + "\n";
    } else {
      const auto& s = b[e.b];
      out += green + "+ " + blank + " " + number(e.b + 1, width) + "  " + std::string(side_name(s.from)) + "  " +
             s.text + reset + "\n";
    }
  }
  out += "differ: " + plural(d.hunks, "place", "places") + ", " + plural(d.only_a, "step", "steps") + " only in A, " +
         plural(d.only_b, "step", "steps") + " only in B\n";
  return out;
}

std::string render_diff_html(const diff_names& names, const std::vector<step>& a, const std::vector<step>& b,
                             const diff_result& d) {
  using K = diff_entry::kind;
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      html_escape(names.a + " vs " + names.b) + "</title>\n<style>" + std::string(report_style()) +
      "\ntable.diff td.n { color: var(--muted); width: 3em; text-align: right; }\n"
      "table.diff td.s { color: var(--muted); width: 2.5em; }\n"
      "table.diff td.x { width: 42%; word-break: break-all; }\n"
      "table.diff tr.gone td.a, table.diff tr.gone td.na { background: var(--badbg); color: var(--bad); }\n"
      "table.diff tr.added td.b, table.diff tr.added td.nb { background: #e8f5ec; color: var(--ok); }\n"
      "table.diff tr.first td { border-top: 2px solid var(--bad); }\n"
      "</style>\n</head>\n<body>\n";
  out += "<h1>" + html_escape(names.a) + " vs " + html_escape(names.b) + "</h1>\n";
  out +=
      "<p class=\"meta\">Aligned on the protocol steps (host lines and module lines; echo, timing, the MQTT "
      "side and message ids left out), not on time.</p>\n";
  if (d.same()) {
    out += "<div class=\"verdict good\">Same: the two sessions take the same " +
           plural(a.size(), "protocol step", "protocol steps") + ".</div>\n";
  } else {
    const auto [pa, pb] = position_of(d, d.first);
    out += "<div class=\"verdict bad\">They part ways at <a href=\"#first\">A's " + html_escape(where(a, pa)) +
           ", B's " + html_escape(where(b, pb)) + "</a>: " + plural(d.hunks, "place differs", "places differ") + ", " +
           plural(d.only_a, "step", "steps") + " only in A, " + plural(d.only_b, "step", "steps") +
           " only in B.</div>\n";
  }
  out += "<table class=\"diff\">\n<thead><tr><th></th><th></th><th>A: " + html_escape(names.a) +
         "</th><th></th><th></th><th>B: " + html_escape(names.b) + "</th></tr></thead>\n<tbody>\n";
  auto cells = [](const std::vector<step>& steps, std::size_t i, const char* side) {
    const auto& s = steps[i];
    return std::string("<td class=\"n n") + side + "\">" + std::to_string(i + 1) + "</td><td class=\"s\">" +
           std::string(side_name(s.from)) + "</td><td class=\"x mono " + side + "\" title=\"t=" + seconds(s.t_us) +
           " s\">" + html_escape(s.text) + "</td>";
  };
  const std::string empty_a = "<td class=\"na\"></td><td></td><td class=\"x a\"></td>";
  const std::string empty_b = "<td class=\"nb\"></td><td></td><td class=\"x b\"></td>";
  for (std::size_t i = 0; i < d.entries.size(); ++i) {
    const auto& e = d.entries[i];
    const bool first = i == d.first;
    std::string cls = e.what == K::same ? "" : e.what == K::only_a ? "gone" : "added";
    if (first) cls += " first";
    out += "<tr" + (cls.empty() ? std::string() : " class=\"" + cls + "\"") + (first ? " id=\"first\"" : "") + ">";
    if (e.what == K::same)
      out += cells(a, e.a, "a") + cells(b, e.b, "b");
    else if (e.what == K::only_a)
      out += cells(a, e.a, "a") + empty_b;
    else
      out += empty_a + cells(b, e.b, "b");
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n</body>\n</html>\n";
  return out;
}

}  // namespace nt35e::trace
