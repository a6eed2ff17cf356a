#pragma once
// The trace format: one recorded session as JSON Lines (issue 5, items 1 and 2).
//
//   {"trace":"nt35e-sim","version":2,"profile":"nt35e","started":"2026-11-26T10:48:28.123456Z","redacted":["passwords"]}
//   {"t":1500123,"dir":"mod>dte","data":"\r\nECRDY\r\n"}
//   {"t":2104990,"dir":"dte>mod","data":"AT+ECMTSUB=0,1,”test”,2\r"}
//   {"t":2105002,"dir":"dte>mod","data":["AT+ECMTPUB=0,0,0,0,\"t\",\"",{"hex":"fffe"},"\"\r"]}
//   {"t":2105002,"dir":"mod>net","id":0,"what":"connect id 0 127.0.0.1:1883 client_id=\"\" ..."}
//   {"t":2105010,"dir":"state","text":"ECMT id 0: OPENED -> CONNECTING on ECMTCONN"}
//   {"t":2155000,"dir":"state","text":"...","reason":"net.link_lost"}
//
// * Line 1 is the header; every other non-blank line is one event.
// * `t` is microseconds since the start of the recording (at most max_t_us); it never decreases.
// * `data` carries the raw bytes so that a person reads what the driver sent and any byte
//   sequence round-trips exactly (version 2):
//   - bytes that are all valid UTF-8 are a JSON string holding that text (“ stays “);
//     control bytes are JSON escapes (\r \n \t \u0000 \u001a), and invisible code points
//     (C1 controls, no-break and zero-width spaces, U+2028, the BOM, …) are \uXXXX;
//   - any other bytes are an array of pieces in order: strings for the runs that are valid
//     UTF-8, and {"hex":"fffe"} (pairs of hex digits) for each run of bytes that is not.
//     A string never holds escaped bytes, so text and bytes cannot be confused; a UTF-8
//     character cut across two events shows as hex in both.
//   Version 1 (still read) wrote one code point per byte (byte 0xNN as U+00NN, so “ was
//   \u00e2\u0080\u009c); a version 1 trace written back out becomes version 2.
// * "mod>net" / "net>mod" carry `id` (the ECMT id, -1 when unknown) and `what`, the
//   request or event as mqtt::describe() prints it.
// * "state" carries `text` and optionally `reason` (the core's log records).
// * Unknown fields are ignored (room for later versions); unknown directions are errors.
// * The header may carry the scenario's "oracle" settings and "expect" list, written and
//   checked as in a scenario (scenario/json_loader.hpp), so `nt35e-sim report --verdict`
//   judges the recorded driver as the live oracle did without being given the scenario.
//
// Pure data and text: no clock, no I/O except load().

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "scenario/scenario.hpp"

namespace nt35e::trace {

enum class direction {
  dte_to_module,  ///< "dte>mod": bytes the host sent
  module_to_dte,  ///< "mod>dte": bytes the module wrote
  module_to_net,  ///< "mod>net": an MQTT request (mqtt::describe)
  net_to_module,  ///< "net>mod": an MQTT event (mqtt::describe)
  state,          ///< "state": a state transition or note of the core
};

/// "dte>mod", "mod>dte", "mod>net", "net>mod", "state".
std::string_view to_string(direction d);
/// The inverse of to_string; nothing for any other text.
std::optional<direction> parse_direction(std::string_view text);

/// The latest `t` a trace may hold (about 31 years): checked when loading, so a replay's
/// clock arithmetic (nanoseconds, times a time scale) always stays in range.
inline constexpr std::int64_t max_t_us = 1'000'000'000'000'000;

struct event {
  std::int64_t t_us = 0;  ///< microseconds since the start
  direction dir = direction::state;
  std::string data;    ///< dte>mod, mod>dte: the raw bytes
  int id = -1;         ///< mod>net, net>mod: the ECMT id (-1: none)
  std::string text;    ///< mod>net, net>mod: "what"; state: "text"
  std::string reason;  ///< state: optional reason code
  int line = 0;        ///< where parse() found it (1-based); 0 when built in memory
};

struct header {
  std::string profile = "nt35e";
  std::string started;                        ///< ISO 8601 UTC, e.g. 2026-11-26T10:48:28.123456Z
  std::vector<std::string> redacted;          ///< "passwords", "payloads", "credentials"
  scenario::scenario::oracle_script oracle;   ///< the scenario's "oracle" settings (empty: none)
  std::vector<scenario::expectation> expect;  ///< the scenario's "expect" list
};

struct trace {
  header head;
  std::vector<event> events;
};

/// A bad trace: `line` is 1-based (0: the file could not be read at all) and `message`
/// is complete, e.g. "trace.jsonl:17: line 17 is cut off: the file ends inside a JSON
/// object — was the recording interrupted?".
struct load_error {
  int line = 0;
  std::string message;
};

/// Reads and checks a trace file; `path` names it in messages.
std::variant<trace, load_error> load(const std::string& path);
/// Checks a trace held in memory; `name` stands for the file in messages.
std::variant<trace, load_error> parse(std::string_view text, const std::string& name);

/// One line each, with its '\n'.
std::string to_jsonl(const header& h);
std::string to_jsonl(const event& e);
/// A whole trace file.
std::string to_jsonl(const trace& t);

/// Bytes as the `data` value of version 2: a JSON string when they are valid UTF-8, else an
/// array of text and {"hex":…} pieces.
std::string json_bytes(std::string_view bytes);
/// Microseconds as seconds with three decimals: 2105000 -> "2.105".
std::string seconds(std::int64_t t_us);

/// Current UTC time in the header's format (for recorders; reads the system clock).
std::string utc_now_iso8601();

}  // namespace nt35e::trace
