#include "fleet/metrics.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace nt35e::fleet {

// ---------------------------------------------------------------------------------------
// latency_histogram

latency_histogram::latency_histogram(const latency_histogram& other)
    : buckets_(other.buckets_ ? std::make_unique<std::array<std::uint64_t, bucket_count>>(*other.buckets_) : nullptr),
      count_(other.count_),
      sum_ns_(other.sum_ns_),
      min_ns_(other.min_ns_),
      max_ns_(other.max_ns_) {}

latency_histogram& latency_histogram::operator=(const latency_histogram& other) {
  if (this != &other) {
    latency_histogram copy(other);
    *this = std::move(copy);
  }
  return *this;
}

int latency_histogram::bucket_of(double us) {
  if (!(us > 1.0)) return 0;
  // Bucket b covers (2^((b-1)/4), 2^(b/4)] microseconds.
  const int b = static_cast<int>(std::ceil(std::log2(us) * buckets_per_octave - 1e-9));
  return std::clamp(b, 0, bucket_count - 1);
}

double latency_histogram::upper_bound_us(int b) { return std::exp2(static_cast<double>(b) / buckets_per_octave); }

void latency_histogram::record(std::chrono::nanoseconds d) {
  const std::uint64_t ns = d.count() > 0 ? static_cast<std::uint64_t>(d.count()) : 0;
  if (!buckets_) buckets_ = std::make_unique<std::array<std::uint64_t, bucket_count>>();
  ++(*buckets_)[static_cast<std::size_t>(bucket_of(static_cast<double>(ns) / 1000.0))];
  if (count_ == 0 || ns < min_ns_) min_ns_ = ns;
  if (ns > max_ns_) max_ns_ = ns;
  ++count_;
  sum_ns_ += ns;
}

void latency_histogram::merge(const latency_histogram& other) {
  if (other.count_ == 0) return;
  if (!buckets_) buckets_ = std::make_unique<std::array<std::uint64_t, bucket_count>>();
  for (std::size_t i = 0; i < bucket_count; ++i) (*buckets_)[i] += (*other.buckets_)[i];
  if (count_ == 0 || other.min_ns_ < min_ns_) min_ns_ = other.min_ns_;
  max_ns_ = std::max(max_ns_, other.max_ns_);
  count_ += other.count_;
  sum_ns_ += other.sum_ns_;
}

double latency_histogram::quantile_us(double q) const {
  if (count_ == 0 || !buckets_) return 0.0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank of the sample wanted, 1-based: the smallest r with r >= q * count.
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (int b = 0; b < bucket_count; ++b) {
    seen += (*buckets_)[static_cast<std::size_t>(b)];
    if (seen >= rank) return std::clamp(upper_bound_us(b), min_us(), max_us());
  }
  return max_us();
}

// ---------------------------------------------------------------------------------------
// modem_metrics

void add(engine::counters& a, const engine::counters& b) {
  a.commands += b.commands;
  a.errors += b.errors;
  a.urcs += b.urcs;
  a.bytes_in += b.bytes_in;
  a.bytes_out += b.bytes_out;
  a.mqtt_requests += b.mqtt_requests;
  a.mqtt_events += b.mqtt_events;
  a.publishes += b.publishes;
  a.messages += b.messages;
  a.reconnects += b.reconnects;
  a.faults += b.faults;
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
}

// ---------------------------------------------------------------------------------------
// line_metrics

namespace {

/// Longest line kept for matching; longer lines are not commands or results we time.
constexpr std::size_t max_tracked_line = 256;
/// CR arrival times kept while the module is busy (its input buffer holds 4096 bytes).
constexpr std::size_t max_pending_crs = 4096;

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

enum class final_kind {
  none,
  success,
  error
};

/// Whether one output line (without its line end) is a final result.
final_kind final_of(std::string_view line) {
  if (line == "OK" || line == "0" || line == "> ") return final_kind::success;
  if (line == "ERROR" || line == "4" || line.starts_with("+CME ERROR") || line.starts_with("+CMS ERROR"))
    return final_kind::error;
  return final_kind::none;
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

void line_metrics::on_input(std::string_view bytes, engine::time_point now) {
  // The module runs one command line at a time. When none is running, a CR left over
  // from an earlier chunk started nothing (a blank line, a line without "AT", data-mode
  // bytes): only the CRs from here on can start the next command line.
  if (in_flight_.empty()) crs_.clear();
  for (char c : bytes) {
    if (c == '\r' || c == '\n') {
      if (c == '\r') {
        if (crs_.size() < max_pending_crs) crs_.push_back(now);
        constexpr std::string_view conn = "AT+ECMTCONN=";
        if (starts_with_nocase(in_line_, conn)) {
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

void line_metrics::output_segment(engine::time_point now) {
  const std::string_view line = out_line_;
  if (line.empty()) return;
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

void line_metrics::on_output(std::string_view bytes, engine::time_point now) {
  for (char c : bytes) {
    if (c == '\r' || c == '\n') {
      output_segment(now);
      out_line_.clear();
    } else if (out_line_.size() < max_tracked_line) {
      out_line_.push_back(c);
    }
  }
  // The data-mode prompt "\r\n> " has no line end after it.
  if (out_line_ == "> ") {
    output_segment(now);
    out_line_.clear();
  }
}

void line_metrics::on_commands(std::uint64_t started, engine::time_point now) {
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
    engine::time_point start = now;
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

modem_metrics line_metrics::collect(const engine::snapshot& snapshot, bool attached) const {
  modem_metrics m;
  m.counters = snapshot.count;
  m.at_command = at_command_;
  m.connect = connect_;
  m.unmatched = unmatched_;
  m.modems = 1;
  m.attached = attached ? 1 : 0;
  for (const auto& e : snapshot.ecmt)
    if (e.state == "CONNECTED") ++m.connected;
  m.uptime_s = snapshot.uptime_s;
  return m;
}

// ---------------------------------------------------------------------------------------
// Text

std::string format_ms(double us) {
  char buf[32];
  const double ms = us / 1000.0;
  if (ms < 1.0)
    std::snprintf(buf, sizeof buf, "%.3f", ms);
  else if (ms < 100.0)
    std::snprintf(buf, sizeof buf, "%.1f", ms);
  else
    std::snprintf(buf, sizeof buf, "%.0f", ms);
  return buf;
}

namespace {

std::string histogram_row(const char* name, const latency_histogram& h) {
  char buf[160];
  if (h.count() == 0) {
    std::snprintf(buf, sizeof buf, "  %-12s %9s\n", name, "0");
    return buf;
  }
  std::snprintf(buf, sizeof buf, "  %-12s %9llu %10s %10s %10s %10s %10s\n", name,
                static_cast<unsigned long long>(h.count()), format_ms(h.quantile_us(0.5)).c_str(),
                format_ms(h.quantile_us(0.9)).c_str(), format_ms(h.quantile_us(0.99)).c_str(),
                format_ms(h.max_us()).c_str(), format_ms(h.mean_us()).c_str());
  return buf;
}

std::string u(std::uint64_t v) { return std::to_string(v); }

}  // namespace

std::string format_summary(const modem_metrics& t, bool fleet) {
  const auto& c = t.counters;
  std::string out;
  if (!fleet) {
    out += "nt35e-sim: metrics: " + u(c.commands) + " commands (" + u(c.errors) + " not OK), " + u(c.urcs) + " URCs, " +
           u(c.bytes_in) + " bytes in, " + u(c.bytes_out) + " bytes out, MQTT " + u(c.mqtt_requests) + " requests / " +
           u(c.mqtt_events) + " events, " + u(c.publishes) + " publishes, " + u(c.messages) + " messages, " +
           u(c.reconnects) + " reconnects, " + u(c.faults) + " faults\n";
    auto line = [&](const char* what, const latency_histogram& h) {
      if (h.count() == 0) return;
      out += std::string("nt35e-sim: ") + what + " latency (ms, " + u(h.count()) + "): p50 " +
             format_ms(h.quantile_us(0.5)) + ", p90 " + format_ms(h.quantile_us(0.9)) + ", p99 " +
             format_ms(h.quantile_us(0.99)) + ", max " + format_ms(h.max_us()) + "\n";
    };
    line("AT command", t.at_command);
    line("ECMTCONN", t.connect);
    return out;
  }
  char head[200];
  std::snprintf(head, sizeof head,
                "nt35e-sim: fleet metrics: %llu modems, %llu with a DTE, %llu MQTT connections, up %.1f s\n",
                static_cast<unsigned long long>(t.modems), static_cast<unsigned long long>(t.attached),
                static_cast<unsigned long long>(t.connected), t.uptime_s);
  out += head;
  const std::pair<const char*, std::uint64_t> rows[] = {
      {"commands", c.commands},       {"not OK", c.errors},       {"URCs", c.urcs},
      {"bytes in", c.bytes_in},       {"bytes out", c.bytes_out}, {"MQTT requests", c.mqtt_requests},
      {"MQTT events", c.mqtt_events}, {"publishes", c.publishes}, {"messages", c.messages},
      {"reconnects", c.reconnects},   {"faults", c.faults},
  };
  out += "  counter              total   per modem\n";
  for (const auto& [name, value] : rows) {
    char buf[120];
    std::snprintf(buf, sizeof buf, "  %-14s %12llu %11.1f\n", name, static_cast<unsigned long long>(value),
                  t.modems ? static_cast<double>(value) / static_cast<double>(t.modems) : 0.0);
    out += buf;
  }
  char hdr[160];
  std::snprintf(hdr, sizeof hdr, "  %-12s %9s %10s %10s %10s %10s %10s\n", "latency (ms)", "count", "p50", "p90", "p99",
                "max", "mean");
  out += hdr;
  out += histogram_row("AT command", t.at_command);
  out += histogram_row("ECMTCONN", t.connect);
  if (t.unmatched) out += "  (" + u(t.unmatched) + " command lines without a recognised final result, not timed)\n";
  return out;
}

}  // namespace nt35e::fleet
