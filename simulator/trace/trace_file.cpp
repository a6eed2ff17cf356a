#include "trace/trace_file.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "at/text.hpp"
#include "scenario/json_loader.hpp"

namespace nt35e::trace {
namespace {

using json = nlohmann::json;

constexpr std::string_view header_example = R"({"trace":"nt35e-sim","version":2,...})";

/// The version this writer writes; the reader also reads version 1 (data as one code point per byte).
constexpr int current_version = 2;

/// A JSON value for a message, shortened.
std::string shown(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

const char* type_name(const json& v) {
  if (v.is_string()) return "a string";
  if (v.is_number_float()) return "a fractional number";
  if (v.is_number()) return "a number";
  if (v.is_boolean()) return "true/false";
  if (v.is_null()) return "null";
  if (v.is_array()) return "an array";
  return "an object";
}

/// Text field as a JSON string literal (UTF-8 kept; bytes that are not UTF-8 become U+FFFD).
std::string json_text(const std::string& s) { return json(s).dump(-1, ' ', false, json::error_handler_t::replace); }

/// UTF-8 (already validated by the JSON parser) to bytes, one byte per code point.
/// Returns the first code point above U+00FF instead when there is one.
std::variant<std::string, char32_t> code_points_to_bytes(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    char32_t cp;
    std::size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      n = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      n = 3;
    } else {
      cp = c & 0x07;
      n = 4;
    }
    for (std::size_t k = 1; k < n && i + k < s.size(); ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    if (cp > 0xFF) return cp;
    out.push_back(static_cast<char>(cp));
    i += n;
  }
  return out;
}

/// Version 2 `data`: a string is the text itself; an array holds text pieces and
/// {"hex":"…"} pieces for bytes that are not UTF-8. Returns the bytes, or what is wrong.
std::variant<std::string, std::string> data_v2(const json& v) {
  if (v.is_string()) return std::variant<std::string, std::string>(std::in_place_index<0>, v.get<std::string>());
  auto wrong = [](std::string why) { return std::variant<std::string, std::string>(std::in_place_index<1>, why); };
  if (!v.is_array())
    return wrong("\"data\" must be a string (the text) or an array of text and {\"hex\":\"...\"} pieces, got " +
                 std::string(type_name(v)) + " " + shown(v));
  std::string out;
  for (std::size_t k = 0; k < v.size(); ++k) {
    const auto& piece = v[k];
    const std::string where = "\"data\" piece " + std::to_string(k + 1);
    if (piece.is_string()) {
      out += piece.get_ref<const std::string&>();
      continue;
    }
    if (!piece.is_object() || piece.size() != 1 || !piece.contains("hex"))
      return wrong(where + " must be text (a string) or {\"hex\":\"...\"} for bytes that are not UTF-8, got " +
                   type_name(piece) + " " + shown(piece));
    const auto& h = piece["hex"];
    const std::string digits = h.is_string() ? h.get<std::string>() : std::string();
    bool good = h.is_string() && !digits.empty() && digits.size() % 2 == 0 &&
                digits.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
    if (!good)
      return wrong(where + ": \"hex\" must be pairs of hex digits (the bytes that are not UTF-8), got " + shown(h));
    for (std::size_t i = 0; i < digits.size(); i += 2)
      out += static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16));
  }
  return std::variant<std::string, std::string>(std::in_place_index<0>, std::move(out));
}

std::string code_point_name(char32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

/// The interesting part of a nlohmann parse error: "syntax error while parsing ...".
std::string parse_detail(const json::parse_error& e) {
  std::string what = e.what();
  auto col = what.find("column ");
  if (col != std::string::npos) {
    auto colon = what.find(": ", col);
    if (colon != std::string::npos) return what.substr(colon + 2);
  }
  auto colon = what.find("] ");
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

/// A nlohmann error that is not a syntax error, for a person: "the number 1e99999, which is
/// too large" for the number overflow (406), else nlohmann's sentence without its tag.
std::string range_detail(const json::exception& e) {
  std::string what = e.what();
  if (auto tag = what.find("] "); what.rfind("[json.exception.", 0) == 0 && tag != std::string::npos)
    what.erase(0, tag + 2);
  constexpr std::string_view overflow = "number overflow parsing '";
  if (what.rfind(overflow, 0) == 0 && what.size() > overflow.size() && what.back() == '\'')
    return "the number " + what.substr(overflow.size(), what.size() - overflow.size() - 1) + ", which is too large";
  return "a value that cannot be read (" + what + ")";
}

struct checker {
  const std::string& name;
  int line;

  load_error fail(const std::string& message) const {
    return load_error{line, name + ":" + std::to_string(line) + ": " + message};
  }
};

}  // namespace

std::string_view to_string(direction d) {
  switch (d) {
    case direction::dte_to_module:
      return "dte>mod";
    case direction::module_to_dte:
      return "mod>dte";
    case direction::module_to_net:
      return "mod>net";
    case direction::net_to_module:
      return "net>mod";
    case direction::state:
      return "state";
  }
  return "?";
}

std::optional<direction> parse_direction(std::string_view text) {
  for (auto d : {direction::dte_to_module, direction::module_to_dte, direction::module_to_net, direction::net_to_module,
                 direction::state})
    if (to_string(d) == text) return d;
  return std::nullopt;
}

namespace {

/// Code points a reader would not see in the text (format and separator characters, C1
/// controls, no-break and zero-width spaces, the BOM): written as \uXXXX, so a driver that
/// sends one shows it. The decoded bytes are the same either way.
bool invisible(char32_t cp) {
  return (cp >= 0x80 && cp <= 0xA0) || cp == 0xAD || (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
         (cp >= 0x205F && cp <= 0x206F) || cp == 0xFEFF;
}

void append_u_escape(std::string& out, char32_t cp) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
  out += buf;
}

/// Valid UTF-8 as the body of a JSON string: the text as it is, with control bytes and
/// invisible code points escaped.
void append_text(std::string& out, std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t n = at::utf8_sequence_length(c);
    if (n == 1) {
      switch (c) {
        case '\r':
          out += "\\r";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\t':
          out += "\\t";
          break;
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        default:
          if (c < 0x20 || c == 0x7F)
            append_u_escape(out, c);
          else
            out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    char32_t cp = c & (0x3F >> (n - 1));
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    if (invisible(cp))
      append_u_escape(out, cp);
    else
      out.append(text.substr(i, n));
    i += n;
  }
}

/// Whether a well-formed UTF-8 sequence starts at bytes[i].
bool sequence_starts(std::string_view bytes, std::size_t i) {
  const std::size_t n = at::utf8_sequence_length(static_cast<unsigned char>(bytes[i]));
  return i + n <= bytes.size() && at::valid_utf8(bytes.substr(i, n));
}

}  // namespace

std::string json_bytes(std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() + 2);
  if (at::valid_utf8(bytes)) {
    out += '"';
    append_text(out, bytes);
    out += '"';
    return out;
  }
  // Text pieces and {"hex":…} pieces for each run of bytes that is not UTF-8.
  out += '[';
  for (std::size_t i = 0; i < bytes.size();) {
    if (i > 0) out += ',';
    std::size_t bad = bytes.size() - i;
    at::valid_utf8(bytes.substr(i), &bad);
    if (bad > 0) {
      out += '"';
      append_text(out, bytes.substr(i, bad));
      out += '"';
      i += bad;
      continue;
    }
    out += R"({"hex":")";
    do {
      const auto c = static_cast<unsigned char>(bytes[i]);
      out += hex[c >> 4];
      out += hex[c & 0xF];
      ++i;
    } while (i < bytes.size() && !sequence_starts(bytes, i));
    out += "\"}";
  }
  out += ']';
  return out;
}

std::string seconds(std::int64_t t_us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%lld.%03lld", t_us < 0 ? "-" : "",
                static_cast<long long>((t_us < 0 ? -t_us : t_us) / 1000000),
                static_cast<long long>((t_us < 0 ? -t_us : t_us) % 1000000 / 1000));
  return buf;
}

std::string utc_now_iso8601() {
  auto now = std::chrono::system_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(us));
  return buf;
}

std::string to_jsonl(const header& h) {
  std::string out =
      R"({"trace":"nt35e-sim","version":)" + std::to_string(current_version) + R"(,"profile":)" + json_text(h.profile);
  if (!h.started.empty()) out += ",\"started\":" + json_text(h.started);
  out += ",\"redacted\":[";
  for (std::size_t i = 0; i < h.redacted.size(); ++i) out += (i ? "," : "") + json_text(h.redacted[i]);
  out += "]";
  const auto& o = h.oracle;
  if (!o.mode.empty() || !o.rules.empty() || !o.thresholds.empty()) out += ",\"oracle\":" + scenario::to_json(o).dump();
  if (!h.expect.empty()) {
    json list = json::array();
    for (const auto& x : h.expect) list.push_back(scenario::to_json(x));
    out += ",\"expect\":" + list.dump(-1, ' ', true, json::error_handler_t::replace);
  }
  out += "}\n";
  return out;
}

std::string to_jsonl(const event& e) {
  std::string out = "{\"t\":" + std::to_string(e.t_us) + ",\"dir\":\"" + std::string(to_string(e.dir)) + "\"";
  switch (e.dir) {
    case direction::dte_to_module:
    case direction::module_to_dte:
      out += ",\"data\":" + json_bytes(e.data);
      break;
    case direction::module_to_net:
    case direction::net_to_module:
      out += ",\"id\":" + std::to_string(e.id) + ",\"what\":" + json_text(e.text);
      break;
    case direction::state:
      out += ",\"text\":" + json_text(e.text);
      if (!e.reason.empty()) out += ",\"reason\":" + json_text(e.reason);
      break;
  }
  out += "}\n";
  return out;
}

std::string to_jsonl(const trace& t) {
  std::string out = to_jsonl(t.head);
  for (const auto& e : t.events) out += to_jsonl(e);
  return out;
}

std::variant<trace, load_error> load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    return load_error{0, path + ": cannot open the trace: " + std::strerror(err)};
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return load_error{0, path + ": cannot read the trace"};
  return parse(buf.str(), path);
}

std::variant<trace, load_error> parse(std::string_view text, const std::string& name) {
  // Split into lines, remembering whether the last one ended with '\n'.
  std::vector<std::string_view> lines;
  {
    std::size_t start = 0;
    while (start < text.size()) {
      auto nl = text.find('\n', start);
      if (nl == std::string_view::npos) {
        lines.push_back(text.substr(start));
        break;
      }
      lines.push_back(text.substr(start, nl - start));
      start = nl + 1;
    }
  }
  // The last line holding anything: a cut-off recording ends there.
  std::size_t last_content = 0;
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (!at::trim_line(lines[i]).empty()) last_content = i + 1;

  trace out;
  bool have_header = false;
  std::int64_t version = current_version;
  std::int64_t last_t = 0;

  for (std::size_t i = 0; i < lines.size(); ++i) {
    const int n = static_cast<int>(i) + 1;
    checker c{name, n};
    std::string_view line = lines[i];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);           // written on Windows
    if (i == 0 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // a BOM
    if (at::trim(line).empty()) continue;

    json v;
    try {
      v = json::parse(line);
    } catch (const json::parse_error& e) {
      bool at_end = e.byte >= line.size();
      if (at_end && static_cast<std::size_t>(n) == last_content)
        return c.fail("line " + std::to_string(n) +
                      " is cut off: the file ends inside a JSON object — was the recording interrupted?");
      if (!have_header)
        return c.fail("line " + std::to_string(n) +
                      " is not JSON, so this is not a trace (a raw serial log? turn it into a trace with "
                      "nt35e-sim import): " +
                      parse_detail(e));
      if (at_end)
        return c.fail("line " + std::to_string(n) + " is cut off in the middle of the file (" + parse_detail(e) +
                      "); each line must be one complete JSON object");
      return c.fail("line " + std::to_string(n) + " is not valid JSON: " + parse_detail(e));
    } catch (const json::exception& e) {
      // Valid syntax that nlohmann cannot hold, e.g. a number beyond a double ("t":1e99999,
      // out_of_range 406): it is no parse_error, so it needs its own catch to stay positioned.
      return c.fail("line " + std::to_string(n) + " holds " + range_detail(e) +
                    "; every number in a trace must fit in 64 bits");
    }

    if (!v.is_object()) {
      if (!have_header)
        return c.fail("line " + std::to_string(n) + " is " + type_name(v) +
                      ", not a trace header; a trace begins with " + std::string(header_example));
      return c.fail(
          "line " + std::to_string(n) + " is " + type_name(v) +
          ", not an event; each event is one JSON object such as {\"t\":0,\"dir\":\"mod>dte\",\"data\":\"...\"}");
    }

    if (!have_header) {
      if (!v.contains("trace")) {
        if (v.contains("dir") || v.contains("t"))
          return c.fail("the header line is missing: line " + std::to_string(n) +
                        " is already an event; a trace begins with " + std::string(header_example));
        return c.fail("line " + std::to_string(n) + " is not a trace header (expected " + std::string(header_example) +
                      ")");
      }
      const auto& tr = v["trace"];
      if (!tr.is_string() || tr.get<std::string>() != "nt35e-sim")
        return c.fail("\"trace\" is " + shown(tr) + ", expected \"nt35e-sim\"");
      if (!v.contains("version"))
        return c.fail("the header has no \"version\" (this simulator reads versions 1 and 2)");
      const auto& ver = v["version"];
      if (!ver.is_number_integer())
        return c.fail("\"version\" must be a whole number, got " + std::string(type_name(ver)) + " " + shown(ver));
      version = ver.get<std::int64_t>();
      if (version != 1 && version != 2)
        return c.fail("trace version " + shown(ver) + " is not supported (this simulator reads versions 1 and 2)");
      if (v.contains("profile")) {
        if (!v["profile"].is_string())
          return c.fail("\"profile\" must be a string, got " + std::string(type_name(v["profile"])) + " " +
                        shown(v["profile"]));
        out.head.profile = v["profile"].get<std::string>();
      }
      if (v.contains("started")) {
        if (!v["started"].is_string())
          return c.fail("\"started\" must be a string (ISO 8601 time), got " + std::string(type_name(v["started"])) +
                        " " + shown(v["started"]));
        out.head.started = v["started"].get<std::string>();
      }
      if (v.contains("redacted")) {
        const auto& r = v["redacted"];
        if (!r.is_array())
          return c.fail("\"redacted\" must be an array of strings, got " + std::string(type_name(r)) + " " + shown(r));
        for (const auto& x : r) {
          if (!x.is_string())
            return c.fail("\"redacted\" must be an array of strings; it holds " + std::string(type_name(x)) + " " +
                          shown(x));
          out.head.redacted.push_back(x.get<std::string>());
        }
      }
      if (v.contains("oracle") || v.contains("expect")) {
        // Checked by the scenario loader, the one place that decides what they may hold.
        json part = json::object();
        for (const char* key : {"oracle", "expect"})
          if (v.contains(key)) part[key] = v[key];
        auto loaded = scenario::load_text(part.dump(), name);
        if (auto* bad = std::get_if<std::vector<scenario::diagnostic>>(&loaded))
          return c.fail("the header's " + bad->front().path + ": " + bad->front().message);
        auto& world = std::get<scenario::scenario>(loaded);
        out.head.oracle = std::move(world.oracle);
        out.head.expect = std::move(world.expect);
      }
      have_header = true;
      continue;
    }

    if (v.contains("trace"))
      return c.fail("a second header at line " + std::to_string(n) +
                    " (two traces joined into one file?); a trace has one header, on line 1");

    event e;
    e.line = n;
    if (!v.contains("t")) return c.fail("the event has no \"t\" (microseconds since the start)");
    const auto& t = v["t"];
    if (!t.is_number_integer())
      return c.fail("\"t\" must be a whole number of microseconds, got " + std::string(type_name(t)) + " " + shown(t));
    if (t.is_number_unsigned() && t.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
      return c.fail("\"t\" is too large: " + shown(t));
    e.t_us = t.get<std::int64_t>();
    if (e.t_us < 0) return c.fail("\"t\" is negative (" + shown(t) + " µs); it counts microseconds since the start");
    if (e.t_us > max_t_us)
      return c.fail("\"t\" is " + shown(t) + " µs, later than a trace can reach (at most " + std::to_string(max_t_us) +
                    " µs, about 31 years)");

    if (!v.contains("dir")) return c.fail("the event has no \"dir\" (dte>mod, mod>dte, mod>net, net>mod or state)");
    const auto& d = v["dir"];
    if (!d.is_string()) return c.fail("\"dir\" must be a string, got " + std::string(type_name(d)) + " " + shown(d));
    auto dir = parse_direction(d.get<std::string>());
    if (!dir)
      return c.fail("unknown direction " + shown(d) + " (expected dte>mod, mod>dte, mod>net, net>mod or state)");
    e.dir = *dir;

    auto need_string = [&](const char* key, std::string& into, bool required,
                           const char* what) -> std::optional<load_error> {
      if (!v.contains(key)) {
        if (!required) return std::nullopt;
        return c.fail("a \"" + std::string(to_string(e.dir)) + "\" event needs \"" + key + "\" (" + what + ")");
      }
      const auto& x = v[key];
      if (!x.is_string())
        return c.fail("\"" + std::string(key) + "\" must be a string, got " + std::string(type_name(x)) + " " +
                      shown(x));
      into = x.get<std::string>();
      return std::nullopt;
    };

    switch (e.dir) {
      case direction::dte_to_module:
      case direction::module_to_dte: {
        if (version >= 2) {
          if (!v.contains("data"))
            return c.fail("a \"" + std::string(to_string(e.dir)) +
                          "\" event needs \"data\" (the bytes: text, with {\"hex\":...} for bytes that are not "
                          "UTF-8)");
          auto bytes = data_v2(v["data"]);
          if (bytes.index() == 1) return c.fail(std::get<1>(bytes));
          e.data = std::move(std::get<0>(bytes));
          break;
        }
        std::string raw;
        if (auto err = need_string("data", raw, true, "the bytes, one code point per byte")) return *err;
        auto bytes = code_points_to_bytes(raw);
        if (auto* cp = std::get_if<char32_t>(&bytes))
          return c.fail("\"data\" holds " + code_point_name(*cp) +
                        ", which is not a byte: data carries one code point per byte (U+0000..U+00FF); write "
                        "other text as its UTF-8 bytes, e.g. \\u00e4\\u00b8\\u00ad for U+4E2D");
        e.data = std::move(std::get<std::string>(bytes));
        break;
      }
      case direction::module_to_net:
      case direction::net_to_module:
        if (auto err = need_string("what", e.text, true, "the request or event as text")) return *err;
        if (v.contains("id")) {
          const auto& id = v["id"];
          if (!id.is_number_integer() || id.get<std::int64_t>() < -1 || id.get<std::int64_t>() > 1000000)
            return c.fail("\"id\" must be a whole number (the ECMT id, -1 for none), got " +
                          std::string(type_name(id)) + " " + shown(id));
          e.id = id.get<int>();
        }
        break;
      case direction::state:
        if (auto err = need_string("text", e.text, true, "what happened")) return *err;
        if (auto err = need_string("reason", e.reason, false, "")) return *err;
        break;
    }

    if (!out.events.empty() && e.t_us < last_t)
      return c.fail("time goes backwards (" + std::to_string(e.t_us) + " µs after " + std::to_string(last_t) +
                    " µs); traces must be in time order");
    last_t = e.t_us;
    out.events.push_back(std::move(e));
  }

  if (!have_header)
    return load_error{
        1, name + ":1: the file is empty; a trace begins with a header line such as " + std::string(header_example)};
  return out;
}

}  // namespace nt35e::trace
