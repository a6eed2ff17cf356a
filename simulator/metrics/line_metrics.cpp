#include "metrics/line_metrics.hpp"

#include <algorithm>
#include <cctype>

#include "at/text.hpp"
#include "at/vocabulary.hpp"

namespace nt35e::metrics {

// ---------------------------------------------------------------------------------------
// modem_metrics

void add(modem::counters& a, const modem::counters& b) {
  a.commands += b.commands;
  a.errors += b.errors;
  a.urcs += b.urcs;
  a.bytes_in += b.bytes_in;
  a.bytes_out += b.bytes_out;
  a.mqtt_requests += b.mqtt_requests;
  a.mqtt_events += b.mqtt_events;
  a.publishes += b.publishes;
  a.publishes_refused += b.publishes_refused;
  a.messages += b.messages;
  a.reconnects += b.reconnects;
  a.faults += b.faults;
  a.lines_too_long += b.lines_too_long;
  a.input_overflows += b.input_overflows;
  a.output_dropped_bytes += b.output_dropped_bytes;
  if (a.by_command.size() < b.by_command.size()) a.by_command.resize(b.by_command.size());
  for (std::size_t i = 0; i < b.by_command.size(); ++i) a.by_command[i] += b.by_command[i];
}

std::string_view to_string(modem_state s) {
  switch (s) {
    case modem_state::booting:
      return "booting";
    case modem_state::off:
      return "off";
    case modem_state::unregistered:
      return "unregistered";
    case modem_state::registered:
      return "registered";
    case modem_state::connected:
      return "connected";
  }
  return "unknown";
}

modem_state state_of(const modem::snapshot& s) {
  if (s.booting) return modem_state::booting;
  if (s.cfun != 1) return modem_state::off;
  if (s.registration != 1 && s.registration != 5) return modem_state::unregistered;  // +CEREG stat: home, roaming
  for (const auto& e : s.ecmt)
    if (e.state == "CONNECTED") return modem_state::connected;
  return modem_state::registered;
}

modem_metrics from_snapshot(const modem::snapshot& s, bool attached) {
  modem_metrics m;
  m.counters = s.count;
  m.modems = 1;
  m.attached = attached ? 1 : 0;
  for (const auto& e : s.ecmt)
    if (e.state == "CONNECTED") ++m.connected;
  m.uptime_s = s.uptime_s;
  ++m.states[static_cast<std::size_t>(state_of(s))];
  return m;
}

void modem_metrics::merge(const modem_metrics& other) {
  add(counters, other.counters);
  at_command.merge(other.at_command);
  connect.merge(other.connect);
  unmatched += other.unmatched;
  modems += other.modems;
  attached += other.attached;
  connected += other.connected;
  uptime_s = std::max(uptime_s, other.uptime_s);
  for (std::size_t i = 0; i < states.size(); ++i) states[i] += other.states[i];
}

// ---------------------------------------------------------------------------------------
// line_metrics

namespace {

/// Longest line kept for matching; longer lines are not commands or results we time.
constexpr std::size_t max_tracked_line = 256;
/// CR arrival times kept while the module is busy (its input buffer holds 4096 bytes).
constexpr std::size_t max_pending_crs = 4096;

enum class final_kind {
  none,
  success,
  error
};

/// Whether one output line (without its line end) ends a command: a final result in
/// either ATV form, or the data-mode prompt (the command waits for its payload).
final_kind final_of(std::string_view line) {
  if (at::is_prompt(line)) return final_kind::success;
  const auto result = at::final_result_of(line, /*numeric=*/true);
  if (!result) return final_kind::none;
  return at::is_failure(*result) ? final_kind::error : final_kind::success;
}

/// Reads "<digits>" at `pos` (after optional spaces); advances `pos`.
std::optional<int> read_number(std::string_view s, std::size_t& pos) {
  while (pos < s.size() && s[pos] == ' ') ++pos;
  int value = 0;
  std::size_t start = pos;
  while (pos < s.size() && pos - start < 6 && std::isdigit(static_cast<unsigned char>(s[pos])))
    value = value * 10 + (s[pos++] - '0');
  if (pos == start) return std::nullopt;
  return value;
}

/// The id of "+ECMTCONN:<id>,<a>,<b>" (the URC; the read form's lines have two fields).
std::optional<int> connect_urc_id(std::string_view line) {
  constexpr std::string_view head = "+ECMTCONN:";
  if (!line.starts_with(head)) return std::nullopt;
  std::size_t pos = head.size();
  auto id = read_number(line, pos);
  for (int field = 0; field < 2; ++field) {
    if (!id || pos >= line.size() || line[pos] != ',') return std::nullopt;
    ++pos;
    if (!read_number(line, pos)) return std::nullopt;
  }
  while (pos < line.size() && line[pos] == ' ') ++pos;
  if (pos != line.size()) return std::nullopt;
  return id;
}

}  // namespace

void line_metrics::on_input(std::string_view bytes, modem::time_point now) {
  // The module runs one command line at a time. When none is running, a CR left over
  // from an earlier chunk started nothing (a blank line, a line without "AT", data-mode
  // bytes): only the CRs from here on can start the next command line.
  if (in_flight_.empty()) crs_.clear();
  for (char c : bytes) {
    if (c == '\r' || c == '\n') {
      if (c == '\r') {
        if (crs_.size() < max_pending_crs) crs_.push_back(now);
        constexpr std::string_view conn = "AT+ECMTCONN=";
        if (at::istarts_with(in_line_, conn)) {
          std::size_t pos = conn.size();
          if (auto id = read_number(in_line_, pos); id && *id < 64) {
            if (connecting_.size() <= static_cast<std::size_t>(*id))
              connecting_.resize(static_cast<std::size_t>(*id) + 1);
            connecting_[static_cast<std::size_t>(*id)] = now;
          }
        }
      }
      in_line_.clear();
    } else if (c == '\b' || c == 0x7F) {
      if (!in_line_.empty()) in_line_.pop_back();
    } else if (in_line_.size() < max_tracked_line) {
      in_line_.push_back(c);
    }
  }
}

void line_metrics::output_line(std::string_view line, modem::time_point now) {
  switch (final_of(line)) {
    case final_kind::success:
      finals_.push_back(now);
      break;
    case final_kind::error:
      finals_.push_back(now);
      // A refused AT+ECMTCONN= sends no URC: forget its start.
      if (!in_flight_.empty())
        for (auto& c : connecting_)
          if (c && *c == in_flight_.front()) c.reset();
      break;
    case final_kind::none:
      if (auto id = connect_urc_id(line); id && static_cast<std::size_t>(*id) < connecting_.size()) {
        auto& start = connecting_[static_cast<std::size_t>(*id)];
        if (start) {
          connect_.record(now - *start);
          start.reset();
        }
      }
      break;
  }
}

void line_metrics::on_output(std::string_view bytes, modem::time_point now) {
  output_lines_.push(bytes, [&](std::string_view line) { output_line(line, now); });
}

void line_metrics::on_commands(std::uint64_t started, modem::time_point now) {
  if (started < started_) {  // the counters began again: start afresh
    started_ = started;
    in_flight_.clear();
    crs_.clear();
    finals_.clear();
    return;
  }
  std::uint64_t fresh = started - started_;
  started_ = started;
  // Final results seen in this call end the oldest command lines first.
  std::size_t next_final = 0;
  while (next_final < finals_.size() && !in_flight_.empty()) {
    at_command_.record(finals_[next_final++] - in_flight_.front());
    in_flight_.pop_front();
  }
  for (; fresh > 0; --fresh) {
    modem::time_point start = now;
    if (!crs_.empty()) {
      start = crs_.front();
      crs_.pop_front();
    }
    if (next_final < finals_.size())
      at_command_.record(std::max(finals_[next_final++], start) - start);
    else
      in_flight_.push_back(start);
  }
  finals_.clear();
  // Only one command line runs at a time: older ones ended with an answer not recognised.
  while (in_flight_.size() > 1) {
    in_flight_.pop_front();
    ++unmatched_;
  }
}

modem_metrics line_metrics::collect(const modem::snapshot& snapshot, bool attached) const {
  modem_metrics m = from_snapshot(snapshot, attached);
  m.at_command = at_command_;
  m.connect = connect_;
  m.unmatched = unmatched_;
  return m;
}

}  // namespace nt35e::metrics
