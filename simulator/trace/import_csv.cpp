// Log import: a logic analyser's UART export (the csv format), one decoded byte per row.
//
// Logic analyser exports read (the first line names the columns; case, quotes and
// blanks around names do not matter):
//   Saleae Logic 1, one Async Serial analyser:   Time [s],Value,Parity Error,Framing Error
//   Saleae Logic 1, all analysers in one file:   Time [s],Analyzer Name,Decoded Protocol Result
//   Saleae Logic 2, the data table export:       name,type,start_time,duration,data[,…]
// and any CSV with a time column (time [s], time, start_time, timestamp) and a byte column
// (value, data, decoded protocol result), optionally a channel column (analyzer name, name,
// channel) and error columns (any name holding "error").
// Times are seconds from the capture's start (negative before the trigger) or ISO 8601.
// A byte is written 0x41, 65, 0b01000001, 'A', A, '\r', \n, '\x1A' or ',' (Logic 1 does
// not quote the comma it shows as ','). Each channel's bytes are cut into lines as a hex
// dump's are; the channel that sends final results (OK, ERROR) is the module's, the other
// the host's, and with one channel each line's content decides.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>

#include "at/text.hpp"
#include "at/vocabulary.hpp"
#include "trace/import_detail.hpp"

namespace nt35e::trace::detail {
namespace {

/// The fields of one CSV row: "…" quoting with "" inside; Logic 1's unquoted ',' joined again.
std::vector<std::string> split_row(std::string_view row) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < row.size(); ++i) {
    char c = row[i];
    if (quoted) {
      if (c == '"' && i + 1 < row.size() && row[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && at::trim(field).empty()) {
      quoted = was_quoted = true;
      field.clear();
    } else if (c == ',') {
      out.push_back(was_quoted ? field : std::string(at::trim(field)));
      field.clear();
      was_quoted = false;
    } else {
      field += c;
    }
  }
  out.push_back(was_quoted ? field : std::string(at::trim(field)));
  for (std::size_t i = 0; i + 1 < out.size(); ++i)
    if (out[i] == "'" && out[i + 1] == "'") {
      out[i] = "','";
      out.erase(out.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(at::trim(s));
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct layout {
  std::vector<std::string> names;
  std::size_t columns = 0;
  int time = -1, value = -1, channel = -1, type = -1;
  std::vector<int> errors;
};

std::optional<layout> layout_of(std::string_view header) {
  auto names = split_row(header);
  layout l;
  l.columns = names.size();
  l.names = names;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto n = lower(names[i]);
    const int k = static_cast<int>(i);
    if (l.time < 0 && (n == "time [s]" || n == "time" || n == "start_time" || n == "timestamp" || n == "time[s]"))
      l.time = k;
    else if (l.value < 0 && (n == "value" || n == "data" || n == "decoded protocol result"))
      l.value = k;
    else if (l.channel < 0 && (n == "analyzer name" || n == "name" || n == "channel"))
      l.channel = k;
    else if (n == "type")
      l.type = k;
    else if (n.find("error") != std::string::npos)
      l.errors.push_back(k);
  }
  if (l.time < 0 || l.value < 0) return std::nullopt;
  return l;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/// One byte as an analyser writes it; nothing when it is not one.
std::optional<unsigned char> byte_of(std::string_view v) {
  if (v.size() >= 3 && v.front() == '\'' && v.back() == '\'') v = v.substr(1, v.size() - 2);
  if (v.empty()) return std::nullopt;
  if (v.size() == 1) return static_cast<unsigned char>(v[0]);  // 'A', also a digit in quotes
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') && v.size() <= 4) {
    int n = 0;
    for (char c : v.substr(2)) {
      if (hex_value(c) < 0) return std::nullopt;
      n = n * 16 + hex_value(c);
    }
    return static_cast<unsigned char>(n);
  }
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'b' || v[1] == 'B') && v.size() <= 10) {
    int n = 0;
    for (char c : v.substr(2)) {
      if (c != '0' && c != '1') return std::nullopt;
      n = n * 2 + (c - '0');
    }
    return static_cast<unsigned char>(n);
  }
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (v.size() > 3) return std::nullopt;
    int n = std::atoi(std::string(v).c_str());
    if (n > 255) return std::nullopt;
    return static_cast<unsigned char>(n);
  }
  if (v[0] == '\\') {
    if (v.size() == 2) {
      switch (v[1]) {
        case 'r':
          return '\r';
        case 'n':
          return '\n';
        case 't':
          return '\t';
        case '0':
          return '\0';
        case '\\':
        case '\'':
        case '"':
          return static_cast<unsigned char>(v[1]);
        default:
          return std::nullopt;
      }
    }
    if ((v[1] == 'x' || v[1] == 'X') && v.size() <= 4 && v.size() >= 3) {
      int n = 0;
      for (char c : v.substr(2)) {
        if (hex_value(c) < 0) return std::nullopt;
        n = n * 16 + hex_value(c);
      }
      return static_cast<unsigned char>(n);
    }
  }
  return std::nullopt;
}

/// Seconds (a decimal number, maybe negative or with an exponent) or an ISO 8601 time, as
/// microseconds; `dated` says which.
std::optional<std::int64_t> time_of(std::string_view v, bool& dated) {
  std::string s(at::trim(v));
  if (s.empty()) return std::nullopt;
  if (s.size() > 10 && s[4] == '-') {
    // 2026-12-03T10:15:02.123456789Z or …+08:00: the clock as written (the offset is not applied).
    if (s.back() == 'Z') s.pop_back();
    if (s.size() > 6 && (s[s.size() - 6] == '+' || s[s.size() - 6] == '-') && s[s.size() - 3] == ':')
      s.resize(s.size() - 6);
    dated = false;
    auto t = parse_stamp(s, &dated);
    return dated ? t : std::nullopt;
  }
  char* end = nullptr;
  const double sec = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(sec) || std::fabs(sec) > 1e9) return std::nullopt;
  dated = false;
  return static_cast<std::int64_t>(std::llround(sec * 1e6));
}

bool flagged(std::string_view v) {
  const auto l = lower(v);
  return !(l.empty() || l == "0" || l == "false" || l == "no");
}

std::string byte_name(unsigned char b) {
  return at::escape_bytes(std::string(1, static_cast<char>(b)), {.quoted = false, .named_line_ends = true});
}

struct channel {
  std::string name;
  int first_line = 0;
  std::vector<stream_byte> bytes;
  std::vector<entry> lines;
};

}  // namespace

bool csv_header(std::string_view s) {
  if (s.find(',') == std::string_view::npos) return false;
  auto l = layout_of(s);
  return l.has_value();
}

std::vector<entry> lex_csv(const std::vector<physical_line>& lines, std::vector<import_message>& msgs) {
  std::optional<layout> cols;
  std::vector<channel> channels;
  std::map<std::string, std::size_t> by_name;
  std::optional<std::int64_t> origin;  // the first row's time: relative times count from it
  int bad_rows = 0;
  auto bad = [&](int line, const std::string& why) {
    // Every bad row is named, up to a point: a wrong file would otherwise flood the terminal.
    if (++bad_rows <= 20)
      msgs.push_back({line, message_level::error, why + "; the row is left out"});
    else if (bad_rows == 21)
      msgs.push_back({line, message_level::error, "more rows cannot be read; not named one by one"});
  };
  for (const auto& pl : lines) {
    if (!pl.decoded || at::trim_line(pl.text).empty()) continue;
    if (!cols) {
      cols = layout_of(pl.text);
      if (!cols) {
        msgs.push_back({pl.number, message_level::error,
                        "the first line " + shown(at::trim_line(pl.text)) +
                            " names no time and value columns (such as Time [s],Value,Parity Error,Framing Error)"});
        return {};
      }
      continue;
    }
    auto f = split_row(at::trim_line(pl.text));
    if (f.size() < cols->columns) {
      bad(pl.number, "cannot read row " + shown(at::trim_line(pl.text)) + ": " + std::to_string(f.size()) +
                         " columns, the header names " + std::to_string(cols->columns));
      continue;
    }
    if (cols->type >= 0 && lower(f[static_cast<std::size_t>(cols->type)]) != "data") {
      msgs.push_back({pl.number, message_level::note,
                      "row of type " + shown(f[static_cast<std::size_t>(cols->type)]) + " is not a byte; left out"});
      continue;
    }
    bool dated = false;
    auto t = time_of(f[static_cast<std::size_t>(cols->time)], dated);
    if (!t) {
      bad(pl.number, "cannot read the time " + shown(f[static_cast<std::size_t>(cols->time)]) +
                         " (seconds such as 0.000087, or an ISO 8601 time)");
      continue;
    }
    const auto& raw = f[static_cast<std::size_t>(cols->value)];
    auto b = byte_of(raw);
    if (!b) {
      bad(pl.number, "cannot read the byte " + shown(raw) + " (write it 0x41, 65, 'A' or '\\r')");
      continue;
    }
    for (int e : cols->errors)
      if (flagged(f[static_cast<std::size_t>(e)]))
        msgs.push_back({pl.number, message_level::warning,
                        "the analyser marks byte " + byte_name(*b) + " with " +
                            shown(cols->names[static_cast<std::size_t>(e)]) + " " +
                            shown(f[static_cast<std::size_t>(e)]) + "; the byte is kept"});
    if (!dated) {
      if (!origin) origin = *t;
      *t -= *origin;
      if (*t < 0) *t = 0;  // a row before the first: kept at the start (the time check says so)
    }
    const std::string name = cols->channel >= 0 ? f[static_cast<std::size_t>(cols->channel)] : std::string();
    auto [it, fresh] = by_name.try_emplace(name, channels.size());
    if (fresh) channels.push_back({name, pl.number, {}, {}});
    channels[it->second].bytes.push_back({static_cast<char>(*b), pl.number, *t, dated});
  }
  if (!cols) return {};

  // Cut each channel into lines, then decide whose it is.
  for (auto& ch : channels) cut_into_lines(ch.bytes, from::unknown, ch.lines);
  if (channels.size() == 2) {
    auto results = [](const channel& ch) {
      return std::count_if(ch.lines.begin(), ch.lines.end(),
                           [](const entry& e) { return at::final_result_of(at::trim_line(e.text)).has_value(); });
    };
    const auto r0 = results(channels[0]), r1 = results(channels[1]);
    if (r0 != r1) {
      const std::size_t module = r0 > r1 ? 0 : 1;
      for (std::size_t k = 0; k < 2; ++k)
        for (auto& e : channels[k].lines) e.dir = k == module ? from::module : from::host;
      msgs.push_back({channels[module].first_line, message_level::note,
                      "channel " + shown(channels[module].name) + " is the module's (it answers OK and ERROR), " +
                          shown(channels[1 - module].name) + " the host's"});
    } else {
      msgs.push_back({0, message_level::warning,
                      "cannot tell which channel is the module's (neither answers more OK or ERROR); each line's "
                      "content decides"});
    }
  } else if (channels.size() > 2) {
    msgs.push_back({0, message_level::warning,
                    std::to_string(channels.size()) +
                        " channels in the export (a UART has two); each line's content decides who wrote it"});
  }
  std::vector<entry> out;
  for (auto& ch : channels) out.insert(out.end(), ch.lines.begin(), ch.lines.end());
  // One timeline: the lines of both channels by the time of their first byte.
  std::stable_sort(out.begin(), out.end(),
                   [](const entry& a, const entry& b) { return a.stamp.value_or(0) < b.stamp.value_or(0); });
  return out;
}

}  // namespace nt35e::trace::detail
