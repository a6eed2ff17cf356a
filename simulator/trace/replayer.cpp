#include "trace/replayer.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <utility>

#include "at/command_line.hpp"
#include "at/text.hpp"
#include "at/vocabulary.hpp"

namespace nt35e::trace {
namespace {

using modem::log_level;
using modem::log_record;
using modem::time_point;

constexpr char ctrl_z = 0x1A;
constexpr char esc = 0x1B;
constexpr char backspace = 0x08;

bool equal_at(std::string_view text, std::size_t pos, std::string_view word, bool ignore_case) {
  if (pos + word.size() > text.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    char a = text[pos + i], b = word[i];
    if (ignore_case ? at::to_upper(a) != at::to_upper(b) : a != b) return false;
  }
  return true;
}

/// Bytes for a message: secrets masked (the host's line is logged), printable ASCII as
/// is, UTF-8 text kept readable, the rest escaped; long texts shortened.
std::string show(std::string_view bytes) {
  constexpr std::size_t max_shown = 160;
  auto out = at::escape_bytes(at::mask_secrets(bytes),
                              {.high = at::escape_options::high_bytes::keep, .max_output = max_shown});
  if (out.size() > max_shown) out += "... (" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

/// Cuts host bytes into lines the way the module does.
struct cutter {
  std::string raw;  ///< the unit so far, from its first byte through its terminator

  bool started() const { return !raw.empty(); }

  /// Takes one byte; true when it ended the unit.
  bool push(char b, bool data_mode) {
    if (data_mode) {
      raw.push_back(b);
      return b == ctrl_z || b == esc;
    }
    if (raw.empty() && b == '\n') return false;  // S4 before a line: ignored
    raw.push_back(b);
    if (b == '\r') return true;
    return at::iequals(raw, "A/");  // repeat, no CR
  }
};

/// What the module sees of a unit: backspaces applied, the CR dropped; a data-mode
/// payload keeps its terminator (^Z sends, ESC cancels).
std::string effective(std::string_view raw, bool data) {
  if (data) return std::string(raw);
  std::string out;
  for (char c : raw) {
    if (c == '\r') break;
    if (c == backspace) {
      if (!out.empty()) out.pop_back();
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool blank(std::string_view s) { return at::trim(s).empty(); }

/// AT+ECMTPUB written with topic but no payload: the module answers with the data prompt.
bool opens_data_mode(std::string_view text) {
  const auto u = at::to_upper(text);
  auto p = u.find("+ECMTPUB=");
  if (p == std::string::npos) return false;
  int commas = 0;
  bool quoted = false;
  for (std::size_t i = p + 9; i < u.size(); ++i) {
    if (u[i] == '"')
      quoted = !quoted;
    else if (!quoted && u[i] == ',')
      ++commas;
    else if (!quoted && u[i] == ';')
      break;
  }
  return commas == 4;
}

struct item {
  std::int64_t t_us = 0;
  int line = 0;
  bool bytes = true;
  std::string data;  ///< bytes for the DTE
  log_record log;    ///< otherwise
  // Output recorded while a host line was typed: how many bytes of it had come, and
  // when the last of them came.
  std::size_t typed = 0;
  std::int64_t since_us = 0;
};

struct unit {
  std::string raw;   ///< recorded host bytes
  std::string text;  ///< effective(raw)
  bool data = false;
  int line = 0;
  std::int64_t t_us = 0;
  std::vector<item> pre;   ///< module output while the line was typed (echo)
  std::vector<item> post;  ///< module output after it, up to the next host line
  std::size_t echo = 0;    ///< leading bytes of pre+post that echo the line (0: no echo)
};

}  // namespace

std::string_view to_string(match_mode m) { return m == match_mode::strict ? "strict" : "lenient"; }

std::string_view to_string(off_script p) {
  switch (p) {
    case off_script::stop:
      return "stop";
    case off_script::error:
      return "error";
    case off_script::handover:
      return "handover";
  }
  return "?";
}

bool matches_pattern(std::string_view pattern, std::string_view text, bool ignore_case) {
  static constexpr std::string_view any = "{any}";
  // Split the pattern at its placeholders; the first piece is a prefix, the last a
  // suffix, the ones between are found leftmost in order (enough for one wildcard kind).
  std::vector<std::string_view> pieces;
  std::size_t from = 0;
  for (std::size_t i = 0; i + any.size() <= pattern.size();) {
    if (equal_at(pattern, i, any, true)) {
      pieces.push_back(pattern.substr(from, i - from));
      i += any.size();
      from = i;
    } else {
      ++i;
    }
  }
  pieces.push_back(pattern.substr(from));
  if (pieces.size() == 1) return pattern.size() == text.size() && equal_at(text, 0, pattern, ignore_case);
  const auto& first = pieces.front();
  const auto& last = pieces.back();
  if (first.size() + last.size() > text.size()) return false;
  if (!equal_at(text, 0, first, ignore_case)) return false;
  if (!equal_at(text, text.size() - last.size(), last, ignore_case)) return false;
  std::size_t pos = first.size();
  const std::size_t end = text.size() - last.size();
  for (std::size_t k = 1; k + 1 < pieces.size(); ++k) {
    const auto& piece = pieces[k];
    bool found = false;
    for (std::size_t p = pos; p + piece.size() <= end; ++p)
      if (equal_at(text, p, piece, ignore_case)) {
        pos = p + piece.size();
        found = true;
        break;
      }
    if (!found) return false;
  }
  return true;
}

std::string command_name(std::string_view line) {
  return at::to_upper(at::trim(line.substr(0, line.find_first_of("=?"))));
}

struct replayer::impl {
  replay_options opt;
  redact_options redaction;
  std::vector<item> boot;
  std::vector<unit> units;
  std::size_t next = 0;  ///< the recorded host line expected next

  // Output waiting for its time: (due, order) -> item.
  std::map<std::pair<time_point, std::uint64_t>, item> queue;
  std::uint64_t order = 0;

  cutter host;
  bool host_data = false;  ///< the unit being typed is a data-mode payload
  bool handover = false;
  bool stopped = false;
  bool told_ignoring = false;
  std::string pending;     ///< at handover
  bool echo_seen = false;  ///< the last matched recorded line was echoed
  // While the host types the expected line byte for byte as recorded, the output
  // recorded meanwhile (the echo) is played as it was: this much of it so far.
  std::size_t released_items = 0;
  std::size_t released_bytes = 0;

  // ---- reading the trace --------------------------------------------------------

  void prepare(trace&& t) {
    redaction = redact_options_from(t.head.redacted);
    cutter cur;
    bool cur_data = false;
    std::vector<item> cur_pre;
    std::int64_t last_host_us = 0;

    auto place = [&](item it) {
      if (cur.started()) {
        it.typed = cur.raw.size();
        it.since_us = last_host_us;
        cur_pre.push_back(std::move(it));
      } else if (units.empty()) {
        boot.push_back(std::move(it));
      } else {
        units.back().post.push_back(std::move(it));
      }
    };
    auto next_is_data = [&] {
      if (units.empty() || units.back().data || !opens_data_mode(units.back().text)) return false;
      // The prompt comes unless the command failed.
      at::output_line_cutter output;
      bool failed = false;
      for (const auto* list : {&units.back().pre, &units.back().post})
        for (const auto& it : *list)
          if (it.bytes)
            output.push(it.data, [&](std::string_view line) {
              if (auto r = at::final_result_of(line); r && at::is_failure(*r)) failed = true;
            });
      return !failed;
    };

    for (std::size_t i = 0; i < t.events.size(); ++i) {
      auto& e = t.events[i];
      int line = e.line > 0 ? e.line : static_cast<int>(i) + 2;
      switch (e.dir) {
        case direction::module_to_dte:
          place(item{e.t_us, line, true, std::move(e.data), {}});
          break;
        case direction::module_to_net:
        case direction::net_to_module:
        case direction::state: {
          std::string text = "recorded " + std::string(to_string(e.dir)) + " (trace line " + std::to_string(line) +
                             ", " + seconds(e.t_us) + " s): " + e.text;
          if (!e.reason.empty()) text += " [" + e.reason + "]";
          place(item{e.t_us, line, false, {}, log_record{log_level::debug, "replay.recorded", std::move(text)}});
          break;
        }
        case direction::dte_to_module:
          last_host_us = e.t_us;
          for (char b : e.data) {
            if (!cur.started()) cur_data = next_is_data();
            if (!cur.push(b, cur_data)) continue;
            unit u;
            u.raw = std::move(cur.raw);
            u.data = cur_data;
            u.text = effective(u.raw, u.data);
            u.line = line;
            u.t_us = e.t_us;
            u.pre = std::move(cur_pre);
            cur = cutter{};
            cur_pre.clear();
            if (!u.data && blank(u.text)) {
              // The module ignores an empty line: not a script point; its output moves on.
              for (auto& it : u.pre) place(std::move(it));
              continue;
            }
            units.push_back(std::move(u));
          }
          break;
      }
    }
    // A host line never finished: what the module wrote meanwhile still counts.
    cur = cutter{};
    for (auto& it : cur_pre) place(std::move(it));

    for (auto& u : units) u.echo = echo_length(u);
  }

  /// How many leading bytes of the line's recorded output echo it (0: none).
  static std::size_t echo_length(const unit& u) {
    std::string_view expect = u.raw;
    if (u.data && !expect.empty()) expect.remove_suffix(1);  // ^Z / ESC are not echoed
    if (expect.empty()) return 0;
    std::string out;
    for (const auto* list : {&u.pre, &u.post})
      for (const auto& it : *list) {
        if (it.bytes) out += it.data;
        if (out.size() >= expect.size()) break;
      }
    return out.compare(0, expect.size(), expect) == 0 ? expect.size() : 0;
  }

  // ---- time ---------------------------------------------------------------------

  time_point scaled(time_point base, std::int64_t delta_us) const {
    if (delta_us < 0) delta_us = 0;
    using tick = modem::clock::duration;
    const double ticks =
        std::chrono::duration<double, std::micro>(static_cast<double>(delta_us) * opt.time_scale) / tick(1);
    // Range check before the double becomes an integer (that conversion is undefined out of
    // range): a time beyond the clock's reach never comes. The margin covers the rounding of
    // the double near 2^63. The loader keeps t below max_t_us, so only a huge time scale gets here.
    const double room = static_cast<double>((time_point::max() - base).count()) - 4096.0;
    if (!(ticks < room)) return time_point::max();
    return base + tick(std::llround(ticks));
  }

  void schedule(time_point due, item it) { queue.emplace(std::make_pair(due, order++), std::move(it)); }

  void say(time_point now, log_level level, std::string reason, std::string text) {
    item it;
    it.bytes = false;
    it.log = log_record{level, std::move(reason), std::move(text)};
    schedule(now, std::move(it));
  }

  void run_due(time_point now, modem::actions& out) {
    while (!queue.empty() && queue.begin()->first.first <= now) {
      auto node = queue.extract(queue.begin());
      auto& it = node.mapped();
      if (it.bytes) {
        if (!it.data.empty()) out.emplace_back(modem::write_bytes{std::move(it.data)});
      } else {
        out.emplace_back(std::move(it.log));
      }
    }
  }

  // ---- host lines ---------------------------------------------------------------

  /// After each host byte that did not end a line.
  void typing(time_point now) {
    if (next >= units.size() || handover || stopped) return;
    const unit& u = units[next];
    const std::string& typed = host.raw;
    if (typed.size() > u.raw.size() || u.raw.compare(0, typed.size(), typed) != 0) return;  // typed otherwise
    while (released_items < u.pre.size() && u.pre[released_items].typed <= typed.size()) {
      const item& it = u.pre[released_items++];
      if (it.bytes) released_bytes += it.data.size();
      schedule(scaled(now, it.t_us - it.since_us), it);
    }
  }

  std::string redacted_host(const std::string& text, bool data) const {
    if (data) {
      if (!redaction.payloads || text.empty()) return text;
      return redacted_payload(text.size() - 1) + text.back();
    }
    return redact_text(text, redaction);
  }

  bool matches(const unit& u, const std::string& host_text) const {
    if (opt.match == match_mode::strict) return matches_pattern(u.text, host_text);
    if (u.data) return true;  // lenient: any payload
    return matches_pattern(u.text, host_text, true) ||
           matches_pattern(command_name(u.text), command_name(host_text), true);
  }

  std::string expected_text(const unit& u) const { return (u.data ? "the data-mode payload " : "") + show(u.text); }

  /// A complete host line; `rest` is what followed it in this feed.
  void line(std::string raw, bool data, std::string_view rest, time_point now) {
    std::size_t items_done = std::exchange(released_items, 0);
    std::size_t bytes_done = std::exchange(released_bytes, 0);
    std::string text = effective(raw, data);
    if (!data && blank(text)) {
      if (!text.empty() || raw.size() > 1)
        say(now, log_level::debug, "replay.progress", "an empty host line is ignored, as the module does");
      return;
    }
    std::string host_text = redacted_host(text, data);
    if (next < units.size() && matches(units[next], host_text)) {
      play(units[next], raw, text, items_done, bytes_done, now);
      ++next;
      return;
    }
    off(raw.substr(std::min(bytes_done, raw.size())), raw, text, rest, now);
  }

  void play(const unit& u, const std::string& raw, const std::string& text, std::size_t items_done,
            std::size_t bytes_done, time_point now) {
    std::string note = "trace line " + std::to_string(u.line) + ": " + expected_text(u) + " matched (recorded at " +
                       seconds(u.t_us) + " s; line " + std::to_string(next + 1) + " of " +
                       std::to_string(units.size()) + ")";
    if (text != u.text) note += "; the host sent " + show(text);
    say(now, log_level::debug, "replay.progress", std::move(note));
    echo_seen = u.echo > 0;

    // The echo is what this host typed, not what the recording typed (they differ in
    // lenient mode, under {any} and where the recording was redacted). Echo already
    // played while the line was typed was the same bytes as the host's.
    std::size_t skip = 0;
    if (u.echo > bytes_done) {
      std::string own = u.data ? raw.substr(0, raw.size() - 1) : raw;
      own = own.substr(std::min(bytes_done, own.size()));
      std::string recorded = u.raw.substr(bytes_done, u.echo - bytes_done);
      if (own != recorded) {
        skip = u.echo - bytes_done;
        item it;
        it.t_us = u.t_us;
        it.line = u.line;
        it.data = own;
        schedule(now, std::move(it));
      }
    }
    auto add = [&](const item& original, time_point due) {
      item it = original;
      if (it.bytes && skip > 0) {
        auto n = std::min(skip, it.data.size());
        it.data.erase(0, n);
        skip -= n;
        if (it.data.empty()) return;
      }
      schedule(due, std::move(it));
    };
    for (std::size_t i = items_done; i < u.pre.size(); ++i) add(u.pre[i], now);
    for (const auto& it : u.post) add(it, scaled(now, it.t_us - u.t_us));
  }

  /// `unechoed` is the part of the line the recorded echo has not played yet.
  void off(const std::string& unechoed, const std::string& raw, const std::string& text, std::string_view rest,
           time_point now) {
    std::string what;
    if (next < units.size()) {
      const auto& u = units[next];
      what = "trace line " + std::to_string(u.line) + " expected " + expected_text(u) + " (recorded at " +
             seconds(u.t_us) + " s), the host sent " + show(text);
    } else if (!units.empty()) {
      const auto& u = units.back();
      what = "the trace has no more host lines (its last, trace line " + std::to_string(u.line) + ", was recorded at " +
             seconds(u.t_us) + " s), the host sent " + show(text);
    } else {
      what = "the trace has no host lines, the host sent " + show(text);
    }
    switch (opt.policy) {
      case off_script::stop:
        what += " — the replay stops here (off-script policy: stop)";
        stopped = true;
        queue.clear();
        break;
      case off_script::error: {
        bool echo = next < units.size() ? units[next].echo > 0 : echo_seen;
        what += " — answering ERROR";
        if (next < units.size()) what += " and expecting " + expected_text(units[next]) + " again";
        what += " (off-script policy: error)";
        say(now, log_level::warn, "replay.off_script", std::move(what));
        item it;
        it.data = (echo && !host_data_unit(raw) ? unechoed : std::string()) + "\r\nERROR\r\n";
        schedule(now, std::move(it));
        return;
      }
      case off_script::handover:
        what += " — handing over to the live module with " + std::to_string(raw.size() + rest.size()) +
                " bytes of host input (off-script policy: handover)";
        handover = true;
        queue.clear();
        pending = raw + std::string(rest);
        break;
    }
    say(now, log_level::warn, "replay.off_script", std::move(what));
  }

  bool host_data_unit(const std::string& raw) const {
    return !raw.empty() && (raw.back() == ctrl_z || raw.back() == esc);
  }
};

replayer::replayer(trace t, replay_options o, modem::time_point now) : impl_(std::make_unique<impl>()) {
  if (!(o.time_scale > 0) || !std::isfinite(o.time_scale)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", o.time_scale);
    throw std::invalid_argument(std::string("the replay time scale must be a positive number, got ") + buf);
  }
  auto& m = *impl_;
  m.opt = o;
  std::string profile = t.head.profile;
  std::string started = t.head.started;
  std::size_t events = t.events.size();
  m.prepare(std::move(t));

  char scale[32];
  std::snprintf(scale, sizeof scale, "%g", o.time_scale);
  m.say(now, log_level::info, "replay.start",
        "replaying a trace of " + std::to_string(m.units.size()) + " host lines and " + std::to_string(events) +
            " events (profile " + profile + (started.empty() ? "" : ", recorded " + started) +
            "): " + std::string(to_string(o.match)) + " matching, off script: " + std::string(to_string(o.policy)) +
            ", time scale " + scale);
  for (auto& it : m.boot) {
    auto due = m.scaled(now, it.t_us);
    m.schedule(due, std::move(it));
  }
  m.boot.clear();
}

replayer::~replayer() = default;

modem::actions replayer::feed(std::string_view bytes, modem::time_point now) {
  auto& m = *impl_;
  modem::actions out;
  m.run_due(now, out);
  if (m.handover) {
    m.pending.append(bytes);
    return out;
  }
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (m.stopped) {
      if (!m.told_ignoring) {
        m.told_ignoring = true;
        m.say(now, log_level::info, "replay.off_script",
              "the replay has stopped (off-script policy: stop): host input is ignored from now on");
      }
      break;
    }
    if (!m.host.started()) m.host_data = m.next < m.units.size() && m.units[m.next].data;
    if (!m.host.push(bytes[i], m.host_data)) {
      m.typing(now);
      continue;
    }
    std::string raw = std::move(m.host.raw);
    m.host = cutter{};
    m.line(std::move(raw), m.host_data, bytes.substr(i + 1), now);
    if (m.handover) break;
  }
  m.run_due(now, out);
  return out;
}

modem::actions replayer::on_timer(modem::time_point now) {
  modem::actions out;
  impl_->run_due(now, out);
  return out;
}

std::optional<modem::time_point> replayer::next_deadline() const {
  if (impl_->queue.empty()) return std::nullopt;
  return impl_->queue.begin()->first.first;
}

bool replayer::handover_requested() const { return impl_->handover; }

bool replayer::finished() const {
  const auto& m = *impl_;
  return !m.handover && !m.stopped && m.next >= m.units.size() && m.queue.empty();
}

bool replayer::stopped() const { return impl_->stopped; }

std::string replayer::pending_input() const { return impl_->handover ? impl_->pending : impl_->host.raw; }

std::size_t replayer::script_lines() const { return impl_->units.size(); }
std::size_t replayer::matched_lines() const { return impl_->next; }

}  // namespace nt35e::trace
