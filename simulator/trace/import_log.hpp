#pragma once
// Import of customer serial logs (issue 5, item 3): raw captures in, a trace or a
// scenario out.
//
// Formats (detected from the lines, or forced):
//   plain        commands and responses one per line; lines starting with AT are the host's
//   timestamped  the same with a stamp in brackets: [2024-05-01_10:15:02:123] or [10:15:02.123]
//   sscom        the Chinese serial tools' send/receive markers: 发→◇ (host) and 收←◆ (module);
//                □ marks a CR LF in some tools
//   annotated    any of the above with trailing comments (← …, // …, # …), kept as notes
//   hex          hex dumps ("41 54 0D 0A", "0000: 41 54 2B 43  AT+C"), with an optional
//                direction marker (> <, TX RX, 发 收)
//   teraterm     Tera Term's log with its timestamps: [Thu Dec 03 10:15:02.123 2026] on every
//                line (local time or UTC); without timestamps a Tera Term log is a plain transcript
//   putty        a PuTTY session log: "=~=~=~=~=~=~=~=~=~=~=~= PuTTY log 2026.12.03 10:15:00 =~=…"
//                (again at each appended session), then the session's text
//   minicom      a minicom or picocom capture: what came from the module (its echo shows the
//                commands), with minicom's line stamps [2026-12-03 10:15:02.123] or none (picocom)
//   qcom         QCOM-style: [2026-12-03_10:15:02:123] opens each received chunk, the chunk's
//                further lines carry no stamp
//   csv          a logic analyser's UART export, one byte per row (docs: import_formats.cpp,
//                "Logic analyser exports")
// Each line is read as UTF-8 when it is valid UTF-8, else as GBK (the Chinese tools write
// GBK), so one capture may mix both. Nothing is dropped silently: every line that cannot be
// placed gets a message with its line number.
//
// The scenario output runs the commands of the log through the simulator's own core (the
// standard module, scripted broker) and writes rules only where the log differs from it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nt35e::trace {

enum class log_format {
  automatic,
  plain,
  timestamped,
  sscom,
  annotated,
  hex,
  teraterm,
  putty,
  minicom,
  qcom,
  csv
};

/// "plain", "timestamped", … ("auto" for automatic).
const char* to_string(log_format f);
/// The format named so on the command line ("auto", "plain", …; "picocom" is minicom).
std::optional<log_format> log_format_from_string(std::string_view name);
/// The names --format takes, for messages: "auto, plain, …, qcom or csv".
std::string log_format_names();
/// A sentence naming the format for people: "timestamped lines", "SSCOM-style send/receive markers".
std::string describe(log_format f, bool annotated);

enum class message_level {
  note,
  warning,
  error
};

/// One thing the import has to say about the log.
struct import_message {
  int line = 0;  ///< 1-based line of the log (as an editor counts them); 0: the whole file
  message_level level = message_level::note;
  std::string text;  ///< one sentence, no trailing period
};

/// "customer.log:12: note: not valid UTF-8, read as GBK" (without ":12" for line 0).
std::string format(const import_message& m, const std::string& file);

/// What a placed line is.
enum class line_role {
  command,   ///< host: a command line (sent with CR)
  data,      ///< host: payload typed after the "> " prompt (sent with ^Z)
  echo,      ///< module: the echo of a command line
  response,  ///< module: information text, final result or prompt of the command before it
  urc,       ///< module: a line outside any response (URCs, the boot banner)
  comment,   ///< a note from the log (an annotation); becomes a "state" event
};

const char* to_string(line_role r);

struct log_line {
  int line = 0;           ///< where it was in the log
  std::int64_t t_us = 0;  ///< since the log's first line (synthesized when the log has no times)
  line_role role = line_role::urc;
  std::string text;   ///< UTF-8, without framing (no CR/LF); the prompt is ">"
  std::string bytes;  ///< the exact bytes when the log gives them (hex dumps); else empty
  bool host() const { return role == line_role::command || role == line_role::data; }
  bool module() const { return role == line_role::echo || role == line_role::response || role == line_role::urc; }
};

struct imported_log {
  std::string name;                       ///< the file name used in messages
  log_format format = log_format::plain;  ///< what was read (never automatic)
  bool annotated = false;                 ///< trailing comments were found and stripped
  bool timed = false;                     ///< times come from the log (else synthesized)
  std::string started;                    ///< the first stamp as ISO 8601 when the log has a date, else empty
  int total_lines = 0;                    ///< lines in the file
  std::vector<log_line> lines;            ///< in log order
  std::vector<import_message> messages;
  /// At least one line was placed (the import succeeds).
  bool ok() const;
};

struct import_options {
  log_format format = log_format::automatic;
};

/// Reads a capture. `name` is used in messages (usually the file name without its directory).
imported_log import_log(std::string_view bytes, const std::string& name, const import_options& options = {});

/// The trace (JSON Lines, simulator/trace/trace_file.hpp): host lines with CR appended,
/// module lines framed "\r\n…\r\n" as the module writes them, comments as state events.
std::string to_trace(const imported_log& log);

struct scenario_result {
  std::string json;  ///< the scenario file (scenarios/README.md)
  int rules = 0;
  int module_lines = 0;                  ///< module lines in the log (echo not counted)
  int reproduced = 0;                    ///< of which the simulator writes the same with the scenario
  std::vector<import_message> messages;  ///< what the scenario cannot reproduce, and why
  /// Empty when the scenario loads; else the loader's diagnostics (an importer bug: the
  /// import must then fail rather than hand over a scenario the simulator rejects).
  std::string invalid;
};

namespace detail {
struct capture_world;
}

/// A broker-side capture (pcap or pcapng, issue 17 part 2) read for its MQTT connections:
/// TCP reassembled per direction on any port, a connection is MQTT when its client's first
/// packet is a CONNECT. What the broker did becomes scenario material (import_capture.cpp):
///   * the delays (TCP open, CONNECT to CONNACK, acknowledgements, a publish to its delivery
///     back to the module's subscription): their medians;
///   * each refused CONNACK: refuse_connect, armed after the CONNACK before it (or at power-on);
///   * each PUBLISH from the broker: deliver, that long after its connection's CONNACK (those
///     the module itself published to a topic it subscribed to are left to the scripted broker);
///   * a link the broker closed or reset (not after a refusal, not after DISCONNECT): drop_link
///     that long after the CONNACK; PINGREQs left unanswered before it: stop_pings;
///   * a first TCP open the broker refused: tcp_open_failure.
/// Connections map to ECMT ids by order: each takes the lowest id not in use when it opens.
struct captured_broker {
  std::string name;
  std::vector<import_message> messages;  ///< line 0; the text names the packet and its byte offset
  bool readable = false;                 ///< the file is a capture that could be read to its end
  int tcp_segments = 0;
  int mqtt_connections = 0;
  int mqtt_packets = 0;
  std::shared_ptr<const detail::capture_world> world;  ///< what the scenario takes from it
  /// The capture holds at least one MQTT connection.
  bool ok() const { return readable && mqtt_connections > 0; }
};

/// Reads a capture; `name` is used in messages.
captured_broker import_capture(std::string_view bytes, const std::string& name);

/// A scenario that makes the simulator answer as the module in the log did, where that
/// differs from the standard behaviour: replace_response for answers, the matching fault
/// action for URCs that report on a command (connfail_then_connack for the double
/// CONNACK, refuse_connect, tcp_open_failure), inject_urc for other URCs. With a capture
/// of the broker side, the broker's behaviour comes from the capture instead of the log's
/// URCs (refusals, link losses, failed opens), and its deliveries and delays are added.
/// Each answer that differs costs one more run of the whole log (the first difference
/// changes what follows), so the search for them is bounded twice: by their number, and by
/// the commands run again in all (about 10 s here), which a long log reaches first. Past
/// either, the import stops comparing and says at which line and why.
struct scenario_limits {
  int max_differences = 1000;
  std::size_t max_rerun_commands = 2'000'000;
};
scenario_result to_scenario(const imported_log& log, const captured_broker* capture = nullptr,
                            const scenario_limits& limits = {});
/// The broker's behaviour in a capture alone as a scenario.
scenario_result to_scenario(const captured_broker& capture);

namespace detail {
// Exposed for the unit tests (the UTF-8 check is at::valid_utf8).
/// GBK (CP936) to UTF-8; nullopt when the bytes are not GBK.
std::optional<std::string> gbk_to_utf8(std::string_view s);
/// The same; when the bytes are not GBK, `bad_at` is the offset where reading stopped.
std::optional<std::string> gbk_to_utf8(std::string_view s, std::size_t* bad_at);
/// A bracketed stamp's content to microseconds since 0001-01-01 (or since midnight
/// without a date); `has_date` says which.
std::optional<std::int64_t> parse_stamp(std::string_view s, bool* has_date = nullptr);
}  // namespace detail

}  // namespace nt35e::trace
