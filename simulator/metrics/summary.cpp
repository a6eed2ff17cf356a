#include "metrics/summary.hpp"

#include <cstdio>
#include <utility>

namespace nt35e::metrics {

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
           u(c.mqtt_events) + " events, " + u(c.publishes) + " publishes (" + u(c.publishes_refused) + " refused), " + u(c.messages) + " messages, " +
           u(c.reconnects) + " reconnects, " + u(c.faults) + " faults\n";
    if (c.lines_too_long || c.input_overflows || c.output_dropped_bytes)
      out += "nt35e-sim: refused: " + u(c.lines_too_long) + " lines too long, " + u(c.input_overflows) +
             " input overflows, " + u(c.output_dropped_bytes) + " output bytes dropped (the DTE did not read)\n";
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
      {"commands", c.commands},
      {"not OK", c.errors},
      {"URCs", c.urcs},
      {"bytes in", c.bytes_in},
      {"bytes out", c.bytes_out},
      {"MQTT requests", c.mqtt_requests},
      {"MQTT events", c.mqtt_events},
      {"publishes", c.publishes},
      {"publishes refused", c.publishes_refused},
      {"messages", c.messages},
      {"reconnects", c.reconnects},
      {"faults", c.faults},
      {"lines too long", c.lines_too_long},
      {"input overflows", c.input_overflows},
      {"output dropped", c.output_dropped_bytes},
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

}  // namespace nt35e::metrics
