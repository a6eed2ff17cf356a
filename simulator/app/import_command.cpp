#include "app/import_command.hpp"

#include <iostream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "app/cli.hpp"
#include "app/tool_io.hpp"
#include "trace/pcapng.hpp"

namespace nt35e::app {

namespace {

constexpr const char* usage =
    "Usage: nt35e-sim import [--format FORMAT] [--to trace|scenario] [-o OUT] LOGFILE\n"
    "       nt35e-sim import --to scenario [-o OUT] [--capture BROKER.pcapng] [LOGFILE | BROKER.pcap]\n";

constexpr const char* description =
    "Turns a customer's serial log into a trace (JSON Lines, for --replay and report) or a\n"
    "scenario (JSON, for --scenario) that makes the simulator answer as that module did.\n"
    "A capture of the broker side (pcap or pcapng, e.g. from Wireshark or tcpdump; with\n"
    "--capture, or alone in place of the log) gives the scenario the broker's behaviour:\n"
    "its CONNACK codes, delays, the messages it published and when, and when the link died.";

constexpr const char* format_help =
    "how to read the log: auto (the default: looked at, and\n"
    "said on stderr), plain, timestamped, sscom, annotated,\n"
    "hex, teraterm, putty, minicom (or picocom), qcom or csv\n"
    "(see Formats below)";

constexpr const char* to_help =
    "what to write: a trace (the default), or a scenario with\n"
    "rules only where the module differed from the standard\n"
    "module (replace_response, connfail_then_connack,\n"
    "refuse_connect, tcp_open_failure, inject_urc)";

constexpr const char* footer =
    "Formats:\n"
    "  plain        commands and answers one per line (lines starting with AT are\n"
    "               the host's; times are made up: commands 100 ms apart)\n"
    "  timestamped  [2024-05-01_10:15:02:123]AT+CSQ or [10:15:02.123] +CSQ: 23,99\n"
    "  sscom        [10:15:02.123]发→◇AT+CSQ□ / [10:15:02.456]收←◆+CSQ:23,99\n"
    "  annotated    any of these with comments: \"OK   ← opened\", \"// ...\", \"# ...\"\n"
    "  hex          41 54 0D 0A or 0000: 41 54 0D  AT. with > < / TX RX / 发 收\n"
    "  teraterm     Tera Term with timestamps: [Thu Dec 03 10:15:02.123 2026] OK\n"
    "               (a Tera Term log without them is plain)\n"
    "  putty        a PuTTY session log: =~=~=~=~=~=~=~=~=~=~=~= PuTTY log 2026.12.03 ...\n"
    "  minicom      a minicom capture, [2026-12-03 10:15:02.123] OK or no stamps; picocom\n"
    "               --logfile (the same: what the module sent, its echo included)\n"
    "  qcom         [2026-12-03_10:15:02:123] opening each received chunk\n"
    "  csv          a logic analyser's UART export, one byte per row: Saleae Logic 1\n"
    "               (Time [s],Value,Parity Error,Framing Error, or Time [s],Analyzer\n"
    "               Name,Decoded Protocol Result) or Logic 2 (name,type,start_time,\n"
    "               duration,data); bytes as 0x41, 65, 'A' or '\\r'; of two channels\n"
    "               the one answering OK is the module's\n"
    "\n"
    "Lines may be UTF-8 or GBK (each line is read as UTF-8 if it is valid, else as GBK).\n"
    "Every line that cannot be placed is reported with its line number; the import fails\n"
    "(status 1) only when no line could be placed or the format cannot be told.\n"
    "\n"
    "A capture: TCP is reassembled on any port; a connection is MQTT when its first packet\n"
    "is a CONNECT. Connections take ECMT ids in order (the lowest free one). Refusals become\n"
    "refuse_connect, the broker's PUBLISHes deliver rules timed from their CONNACK, a link\n"
    "the broker closed or reset drop_link (stop_pings when PINGREQs went unanswered), and\n"
    "the medians of its delays the broker's delays; passwords are not kept.\n"
    "\n"
    "Example (the double-CONNACK trace, reproduced in one command):\n"
    "  nt35e-sim import --to scenario -o dc.json customer.log && nt35e-sim --scenario dc.json\n";

/// "1 host line", "2 host lines".
std::string count(int n, const std::string& one, const std::string& many = {}) {
  return std::to_string(n) + " " + (n == 1 ? one : many.empty() ? one + "s" : many);
}

/// Messages on stderr: those about the whole file always, those about single lines up to
/// 20 of each level, then how many more and where (a binary file given by mistake made
/// 78,000 lines of "neither UTF-8 nor GBK", with the one that says what is wrong last).
class message_printer {
 public:
  message_printer(std::string name, bool all) : name_(std::move(name)), all_(all) {}
  message_printer(const message_printer&) = delete;
  message_printer& operator=(const message_printer&) = delete;
  ~message_printer() { flush(); }

  void print(const std::vector<trace::import_message>& messages) {
    for (const auto& m : messages) {
      auto& left = left_out_[static_cast<std::size_t>(m.level)];
      if (m.line == 0 || all_ || left.shown < per_level) {
        std::cerr << format(m, name_) << "\n";
        if (m.line != 0) ++left.shown;
        continue;
      }
      if (left.count++ == 0) left.first_line = m.line;
      left.last_line = m.line;
    }
  }

  /// Says what was left out, once.
  void flush() {
    static constexpr const char* names[][2] = {{"note", "notes"}, {"warning", "warnings"}, {"error", "errors"}};
    for (std::size_t level = 0; level < std::size(left_out_); ++level) {
      auto& left = left_out_[level];
      if (left.count == 0) continue;
      std::cerr << name_ << ": " << left.count << " more " << names[level][left.count == 1 ? 0 : 1]
                << " about single lines (lines " << left.first_line << "-" << left.last_line
                << ") not shown; --all-messages shows every one\n";
      left = {};
    }
  }

 private:
  static constexpr int per_level = 20;
  struct tally {
    int shown = 0, count = 0, first_line = 0, last_line = 0;
  };
  std::string name_;
  bool all_;
  tally left_out_[3];  ///< by message_level: note, warning, error
};

}  // namespace

CLI::App* add_import_command(CLI::App& root, import_request& request) {
  auto* cmd =
      add_command(root, "import", "turn a customer's serial log into a trace or a scenario", usage, description, 23);
  cmd->footer(footer);
  add_value(*cmd, "--format", "FORMAT", "a value (" + trace::log_format_names() + ")", format_help,
            [&request](const std::string& value) {
              auto f = trace::log_format_from_string(value);
              if (!f)
                throw usage_error("--format expects " + trace::log_format_names() + " (picocom is minicom), got \"" +
                                  value + "\"");
              request.options.format = *f;
            });
  add_value(*cmd, "--to", "trace|scenario", "a value (trace or scenario)", to_help,
            [&request](const std::string& value) {
              if (value != "trace" && value != "scenario")
                throw usage_error("--to expects trace or scenario, got \"" + value + "\"");
              request.to_scenario = value == "scenario";
            });
  add_value(*cmd, "-o,--output", "OUT", "a file name", "write to OUT instead of stdout",
            [&request](const std::string& value) { request.output = value; });
  add_value(*cmd, "--capture", "FILE", "a file name",
            "a capture of the broker side (pcap or pcapng): the\n"
            "scenario's broker behaves as the broker in it did",
            [&request](const std::string& value) { request.capture = value; });
  add_flag(*cmd, "--all-messages",
           "every message about a single line (by default the\n"
           "first 20 of each level, then how many more)",
           [&request] { request.all_messages = true; });
  cmd->add_option("LOGFILE", request.logs, "the serial log (- reads stdin), or a capture")->group("Arguments");
  on_parsed(*cmd, [&request] {
    if (request.logs.empty() && request.capture.empty()) throw usage_error("give the log file to import");
    if (request.logs.size() > 1)
      throw usage_error("give one log file, got \"" + request.logs[0] + "\" and \"" + request.logs[1] + "\"");
  });
  return cmd;
}

namespace {

/// Reads the capture; its messages on stderr. Nothing (status 1 said) when it cannot be used.
std::optional<trace::captured_broker> read_capture_file(const std::string& path, const std::string& bytes,
                                                        bool all_messages) {
  const auto name = base_name(path);
  auto cap = trace::import_capture(bytes, name);
  message_printer(name, all_messages).print(cap.messages);
  if (!cap.ok()) return std::nullopt;
  std::cerr << name << ": read as a broker-side capture: " << count(cap.mqtt_connections, "MQTT connection") << ", "
            << count(cap.mqtt_packets, "MQTT packet") << "\n";
  return cap;
}

/// The capture alone: a scenario of the broker's behaviour.
int import_capture_only(const import_request& request, const std::string& path, const std::string& bytes) {
  if (!request.to_scenario) {
    std::cerr << "nt35e-sim import: " << path
              << " is a capture of the broker side: it makes a scenario (--to scenario), not a trace\n";
    return 2;
  }
  auto cap = read_capture_file(path, bytes, request.all_messages);
  if (!cap) return 1;
  auto sc = trace::to_scenario(*cap);
  std::cerr << cap->name << ": scenario with " << sc.rules << (sc.rules == 1 ? " rule" : " rules") << "\n";
  if (!sc.invalid.empty()) {
    std::cerr << cap->name << ": error: the scenario made from this capture does not load, so it is not written "
              << "(a bug of the importer; please report it with the capture):\n"
              << sc.invalid;
    return 1;
  }
  return finish_output("nt35e-sim import", request.output, sc.json);
}

}  // namespace

int run_import(const import_request& request) {
  std::optional<trace::captured_broker> capture;
  std::string error;
  if (!request.capture.empty()) {
    auto bytes = read_input(request.capture, error);
    if (!bytes) {
      std::cerr << request.capture << ": error: " << error << "\n";
      return 1;
    }
    if (request.logs.empty()) return import_capture_only(request, request.capture, *bytes);
    if (!request.to_scenario) {
      std::cerr << "nt35e-sim import: --capture gives the scenario its broker: use it with --to scenario\n";
      return 2;
    }
    capture = read_capture_file(request.capture, *bytes, request.all_messages);
    if (!capture) return 1;
  }
  const auto& log_path = request.logs.front();
  const auto& out_path = request.output;
  const auto& opts = request.options;
  const auto name = base_name(log_path);
  auto bytes = read_input(log_path, error);
  if (!bytes) {
    std::cerr << log_path << ": error: " << error << "\n";
    return 1;
  }
  if (trace::looks_like_capture(*bytes)) {
    if (capture) {
      std::cerr << "nt35e-sim import: " << log_path << " is a capture too: give the serial log and one capture\n";
      return 2;
    }
    return import_capture_only(request, log_path, *bytes);
  }
  auto log = trace::import_log(*bytes, name, opts);
  message_printer(name, request.all_messages).print(log.messages);
  if (!log.ok()) return 1;

  int commands = 0, module = 0, notes = 0, echoes = 0;
  for (const auto& l : log.lines) {
    if (l.role == trace::line_role::command || l.role == trace::line_role::data)
      ++commands;
    else if (l.role == trace::line_role::comment)
      ++notes;
    else if (l.role == trace::line_role::echo)
      ++echoes;
    else
      ++module;
  }
  std::cerr << name << ": read as " << describe(log.format, log.annotated)
            << (opts.format == trace::log_format::automatic ? " (detected)" : "") << ": "
            << count(commands, "host line") << ", " << count(module, "module line")
            << (echoes ? ", " + count(echoes, "echo", "echoes") : "") << (notes ? ", " + count(notes, "comment") : "")
            << (log.timed ? "" : "; no times in the log, made up") << "\n";

  std::string text;
  if (!request.to_scenario) {
    text = to_trace(log);
  } else {
    auto sc = to_scenario(log, capture ? &*capture : nullptr);
    message_printer(name, request.all_messages).print(sc.messages);
    std::cerr << name << ": scenario with " << sc.rules << (sc.rules == 1 ? " rule" : " rules")
              << "; with it the simulator writes " << sc.reproduced << " of the log's " << sc.module_lines
              << " module lines\n";
    if (!sc.invalid.empty()) {
      std::cerr << name << ": error: the scenario made from this log does not load, so it is not written "
                << "(a bug of the importer; please report it with the log):\n"
                << sc.invalid;
      return 1;
    }
    text = sc.json;
  }
  return finish_output("nt35e-sim import", out_path, text);
}

int import_main(int argc, char** argv) {
  CLI::App root("", "nt35e-sim");
  configure(root, "Usage: nt35e-sim import ...\n", "", 25, "Other");
  import_request request;
  add_import_command(root, request);
  if (auto status = parse_command_line(root, std::vector<std::string>(argv, argv + argc))) return *status;
  return run_import(request);
}

}  // namespace nt35e::app
