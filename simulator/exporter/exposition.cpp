#include "exporter/exposition.hpp"

#include <array>
#include <charconv>
#include <cmath>

#include "commands/registry.hpp"

namespace nt35e::exporter {

namespace {

constexpr auto bounds = [] {
  std::array<int, 21> b{};
  for (std::size_t i = 0; i < b.size(); ++i)
    b[i] = static_cast<int>(6 + i) * metrics::latency_histogram::buckets_per_octave;  // 2^(6+i) us
  return b;
}();

std::string escape(std::string_view v, bool quote) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quote)
      out += "\\\"";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string escape_label_value(std::string_view v) { return escape(v, true); }
std::string escape_help(std::string_view v) { return escape(v, false); }

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : "NaN";
}

std::span<const int> histogram_bounds() { return bounds; }

std::string seconds_text(std::uint64_t us) {
  std::string whole = std::to_string(us / 1'000'000);
  std::string frac = std::to_string(us % 1'000'000);
  if (frac == "0") return whole;
  frac.insert(0, 6 - frac.size(), '0');
  while (frac.back() == '0') frac.pop_back();
  return whole + "." + frac;
}

void text_writer::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += escape_help(help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void text_writer::sample_text(std::string_view name, const labels& l, std::string_view value) {
  out_ += name;
  if (!l.empty()) {
    out_ += '{';
    bool first = true;
    for (const auto& [key, v] : l) {
      if (!std::exchange(first, false)) out_ += ',';
      out_ += key;
      out_ += "=\"";
      out_ += escape_label_value(v);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

void text_writer::sample(std::string_view name, const labels& l, double value) {
  sample_text(name, l, format_value(value));
}

void text_writer::sample(std::string_view name, const labels& l, std::uint64_t value) {
  sample_text(name, l, std::to_string(value));
}

void text_writer::histogram(std::string_view name, std::string_view help, const metrics::latency_histogram& h) {
  family(name, "histogram", help);
  const std::string base(name);
  for (int b : bounds) {
    const auto us = static_cast<std::uint64_t>(std::llround(metrics::latency_histogram::upper_bound_us(b)));
    sample(base + "_bucket", {{"le", seconds_text(us)}}, h.count_up_to(b));
  }
  sample(base + "_bucket", {{"le", "+Inf"}}, h.count());
  sample(base + "_sum", {}, static_cast<double>(h.sum_ns()) / 1e9);
  sample(base + "_count", {}, h.count());
}

std::string render(const metrics::modem_metrics& m, const build_info& b, double uptime_s) {
  const auto& c = m.counters;
  text_writer w;
  auto counter = [&w](std::string_view name, std::string_view help, std::uint64_t value) {
    w.family(name, "counter", help);
    w.sample(name, {}, value);
  };
  auto gauge = [&w](std::string_view name, std::string_view help, double value) {
    w.family(name, "gauge", help);
    w.sample(name, {}, value);
  };

  w.family("nt35e_build_info", "gauge", "The simulator's version and the profile its modems play; always 1.");
  w.sample("nt35e_build_info", {{"version", b.version}, {"profile", b.profile}}, std::uint64_t{1});
  gauge("nt35e_uptime_seconds", "Seconds since the simulator process started.", uptime_s);

  w.family("nt35e_modems", "gauge",
           "Modems by state, each in one: booting (before ECRDY), off (AT+CFUN not 1), unregistered, registered, "
           "connected (an MQTT context connected).");
  for (std::size_t s = 0; s < metrics::modem_state_count; ++s)
    w.sample("nt35e_modems", {{"state", std::string(metrics::to_string(static_cast<metrics::modem_state>(s)))}},
             m.states[s]);
  gauge("nt35e_dte_attached", "Modems whose line has a DTE on it (the PTY held open, or a TCP client).",
        static_cast<double>(m.attached));
  gauge("nt35e_mqtt_connections", "MQTT contexts (AT+ECMT ids) in state CONNECTED.", static_cast<double>(m.connected));

  counter("nt35e_at_command_lines_total", "AT command lines the modems started.", c.commands);
  w.family("nt35e_at_commands_total", "counter",
           "AT commands run, by command (a line of several counts each; \"AT\" is a bare AT line, \"other\" any name "
           "the module lacks).");
  for (std::size_t slot = 0; slot < commands::command_slots(); ++slot)
    w.sample("nt35e_at_commands_total", {{"command", commands::command_slot_name(slot)}},
             slot < c.by_command.size() ? c.by_command[slot] : 0);
  counter("nt35e_at_errors_total", "Final results other than OK (ERROR, +CME ERROR).", c.errors);
  w.family("nt35e_at_input_refused_total", "counter",
           "Input the module refused with ERROR: lines past 3072 bytes, pending input past 4096 bytes.");
  w.sample("nt35e_at_input_refused_total", {{"reason", "line_too_long"}}, c.lines_too_long);
  w.sample("nt35e_at_input_refused_total", {{"reason", "input_overflow"}}, c.input_overflows);
  w.histogram("nt35e_at_response_seconds",
              "From the CR that ends an AT command line to its final result, as the DTE sees it.", m.at_command);
  counter("nt35e_urcs_total", "Unsolicited result codes written to the DTE.", c.urcs);
  counter("nt35e_dte_bytes_received_total", "Bytes received from the DTE.", c.bytes_in);
  counter("nt35e_dte_bytes_sent_total", "Bytes the module wrote for the DTE.", c.bytes_out);
  counter("nt35e_output_dropped_bytes_total", "Output lost because the DTE did not read it (a bounded queue).",
          c.output_dropped_bytes);

  w.histogram("nt35e_mqtt_connect_seconds", "From the CR of AT+ECMTCONN to its +ECMTCONN URC.", m.connect);
  counter("nt35e_mqtt_reconnects_total", "Successful automatic MQTT reconnections.", c.reconnects);
  counter("nt35e_mqtt_publishes_total", "PUBLISH requests from the modems to the broker.", c.publishes);
  counter("nt35e_mqtt_publishes_refused_total",
          "Publishes refused with +ECMTPUB:<id>,<msg>,2 because too many were still unsent (back-pressure).",
          c.publishes_refused);
  counter("nt35e_mqtt_messages_received_total", "Messages from the broker written to the DTE (+ECMTRECV).", c.messages);
  counter("nt35e_faults_total", "Scenario and control-channel actions carried out.", c.faults);
  return w.text();
}

}  // namespace nt35e::exporter
