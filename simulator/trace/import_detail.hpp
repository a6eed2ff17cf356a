#pragma once
// Internals of the log import (trace/import_log.hpp), one step per file:
//   import_text.cpp      bytes to decoded lines (UTF-8 or GBK), texts for messages
//   import_formats.cpp   what a line looks like: stamps, markers, comments, hex; the format
//   import_lexer.cpp     decoded lines to entries (text, direction, stamp, comment); byte
//                        streams (hex dumps, analyser exports) cut into lines
//   import_csv.cpp       a logic analyser's UART export (CSV) to entries
//   import_roles.cpp     entries to placed lines: command, echo, response, URC, data
//   import_time.cpp      stamps and the times of placed lines
//   import_reference.cpp the simulator's own core run on the log's host lines
//   import_scenario*.cpp the scenario: rules where the log differs, and its JSON
//   import_capture.cpp   a broker-side capture (pcap, pcapng): its MQTT connections, and the
//                        broker's behaviour in them as delays and rules
// The AT vocabulary itself (final results, URC names, UTF-8, trimming) is at/'s.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/scenario.hpp"
#include "trace/import_log.hpp"

namespace nt35e::trace::detail {

// ---- Text (import_text.cpp)

/// One line of the file, decoded to UTF-8.
struct physical_line {
  int number = 0;  ///< 1-based, as an editor counts
  std::string text;
  bool decoded = true;  ///< false: neither UTF-8 nor GBK (text holds the raw bytes)
};

/// The file cut into lines (LF, and lone CRs inside a line), each read as UTF-8 or else
/// as GBK; a note names the GBK lines and an error each line that is neither.
std::vector<physical_line> split_and_decode(std::string_view bytes, std::vector<import_message>& msgs,
                                            int& total_lines);
/// Text for a message: quoted, control bytes escaped, cut after 60 bytes (UTF-8 kept whole).
std::string shown(std::string_view s);
/// Bytes shown as text: UTF-8 as it is (control bytes too), other bytes of 0x80 and
/// above as \xNN.
std::string bytes_as_text(std::string_view s);
/// Messages in line order; those about the whole file (line 0) last.
bool by_line(const import_message& a, const import_message& b);

// ---- What a line looks like (import_formats.cpp)

/// Who wrote a line, as far as the log says.
enum class from {
  unknown,
  host,
  module
};

/// A module line that makes sense on its own (outside an answer): a URC, a banner, a result.
bool module_like(std::string_view t);
/// Looks like AT traffic at all (for detecting the plain format).
bool at_like(std::string_view t);
/// Where a trailing comment starts (← …, <- …, // …, # …) outside quotes, preceded by
/// white space; npos when there is none.
std::size_t find_comment(std::string_view s);
/// The comment's text without its marker.
std::string comment_text(std::string_view c);
/// Strips a send/receive marker of the serial tools (发→◇, 收←◆, also without the
/// diamond) from the front of `s`.
from take_sscom_marker(std::string_view& s);
/// Strips a marker of hex dumps (> <, TX RX, 发 收 and the SSCOM ones, optional ':').
from take_hex_marker(std::string_view& s);
/// Strips a marker of timestamped text logs: "TX:" / "RX:".
from take_text_marker(std::string_view& s);
/// Whose a bracketed stamp looks like (for detecting the tool that wrote the log).
enum class stamp_style {
  other,     ///< [10:15:02.123], [2024/05/01 10:15:02] …
  teraterm,  ///< [Thu Dec 03 10:15:02.123 2026]
  minicom,   ///< [2026-12-03 10:15:02.123], [2026-12-03 10:15:02]
  qcom,      ///< [2026-12-03_10:15:02:123]
};
/// A bracketed stamp at the front of `s`, removed.
std::optional<std::int64_t> take_stamp(std::string_view& s, bool& has_date, stamp_style* style = nullptr);
/// PuTTY's header line ("=~=~=~=~=~=~=~=~=~=~=~= PuTTY log 2026.12.03 10:15:00 =~=…"): whether
/// `s` is one, and its time (microseconds since 0001-01-01 as parse_stamp gives) when readable.
bool putty_header(std::string_view s, std::optional<std::int64_t>* when = nullptr);
/// Whether the line is the header of a logic analyser export that import_csv reads.
bool csv_header(std::string_view s);
/// The bytes of a hex dump line (optional offset, hex pairs, optional ASCII column that
/// must show the same bytes); nothing when the line is not one.
std::optional<std::string> parse_hex(std::string_view s);
/// Splits text at SSCOM's □ (CR LF shown as a box).
std::vector<std::string> split_boxes(std::string_view s);

/// The format the lines fit, or why none does.
struct detection {
  std::optional<log_format> format;
  bool annotated = false;
  std::string why_not;  ///< when nothing fits: what was tried
};
detection detect(const std::vector<physical_line>& lines);

// ---- Lexing (import_lexer.cpp, import_csv.cpp)

/// One piece of traffic (or a comment) of the log, before its role is known.
struct entry {
  int line = 0;
  std::optional<std::int64_t> stamp;
  bool stamp_has_date = false;
  from dir = from::unknown;
  std::string text;
  std::string bytes;  ///< hex dumps: the exact bytes
  bool has_bytes = false;
  std::string comment;  ///< a trailing comment, without its marker
  bool comment_only = false;
};

/// One byte of a stream (hex dump, analyser export) with where and when it was seen.
struct stream_byte {
  char c;
  int line;
  std::optional<std::int64_t> stamp;
  bool dated;
};
/// Cuts a stream of one direction into entries at its line ends (CR LF, CR, LF, and ^Z/ESC
/// after a payload), each with its exact bytes and the stamp of its first byte.
void cut_into_lines(const std::vector<stream_byte>& run, from dir, std::vector<entry>& out);

/// The decoded lines of a log in format `f` as entries; lines that cannot be read get
/// an error in `msgs`.
std::vector<entry> lex(const std::vector<physical_line>& lines, log_format f, bool annotated,
                       std::vector<import_message>& msgs);
/// A logic analyser's export (the csv format) as entries: the bytes of each channel cut
/// into lines, the channels' lines merged in time order.
std::vector<entry> lex_csv(const std::vector<physical_line>& lines, std::vector<import_message>& msgs);

// ---- Roles (import_roles.cpp)

/// Placed lines (times still 0) and, for each, the entry it came from.
struct placed {
  std::vector<log_line> lines;
  std::vector<const entry*> sources;
};
/// Gives every entry its role from its direction (when the log says it) or its content
/// and what came before; lines that fit nowhere get an error in `msgs`.
placed place_entries(const std::vector<entry>& entries, std::vector<import_message>& msgs);

// ---- Time (import_time.cpp)

/// "10:15:02.123" (the time of day of a stamp).
std::string clock_text(std::int64_t us);
/// "2024-05-01T10:15:02.123" of a dated stamp.
std::string iso_text(std::int64_t us);
/// Times since the first stamp (`timed`), kept from going back, or made up from the
/// roles; `started` becomes the first dated stamp.
void assign_times(placed& p, bool timed, std::vector<import_message>& msgs, std::string& started);

// ---- The simulator's run of the log (import_reference.cpp)

/// A host line of the log with what the log says came back.
struct host_item {
  std::size_t index = 0;  ///< into imported_log::lines
  bool command = true;
  std::vector<std::string> answer;  ///< response lines (no echo)
  bool answered = false;            ///< a final result or prompt is among them
  std::int64_t t_us = 0;
  std::int64_t answer_t_us = 0;  ///< time of the last answer line (or t_us)
};

/// One module line the simulator wrote, with the host line it followed.
struct sim_line {
  std::string text;
  int anchor = -1;  ///< index of the host item before it (-1: before the first)
  bool response = false;
};

/// What the simulator wrote for the log's host lines.
struct run_result {
  std::vector<std::vector<std::string>> answers;  ///< per host item
  std::vector<bool> answered;
  std::vector<sim_line> urcs;  ///< lines outside answers, in order
  std::vector<sim_line> all;   ///< every module line but echo, in order
};

/// Runs the simulator's core (manual clock, scripted broker) in `world`, sending the
/// host lines at the log's pace after boot (`ecrdy_t_us`: when the log shows ECRDY, or -1).
run_result simulate(const scenario::scenario& world, const imported_log& log, const std::vector<host_item>& items,
                    std::int64_t ecrdy_t_us);

// ---- The scenario file (import_scenario_json.cpp)

/// Where a rule of the imported scenario comes from.
struct rule_origin {
  int line = 0;        ///< the log line it reproduces
  std::string why;     ///< "line 12: …", for the description
  bool timed = false;  ///< a command trigger written with its delay ("after"), even "0s"
};

/// What a broker-side capture gives the scenario (import_capture.cpp): the broker's delays,
/// and rules with where each comes from.
struct capture_world {
  scenario::broker_script broker;  ///< only the delays are set
  std::vector<scenario::rule> rules;
  std::vector<rule_origin> origins;  ///< one per rule
};

/// The shortest duration text the loader reads back: "0s", "250ms", "3s", "2m", "1h".
std::string duration_text(std::int64_t msec);
/// The scenario file as the importer writes it (scenarios/README.md): name, description,
/// settings, then one rule per line in `s.rules` order, `origins[i]` saying how rule i
/// is written.
std::string scenario_json(const scenario::scenario& s, const std::vector<rule_origin>& origins);

}  // namespace nt35e::trace::detail
