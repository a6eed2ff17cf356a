#pragma once
// The web view's messages (docs/web.md): what the simulator tells a browser over the
// WebSocket, one JSON object per message, built from what crosses a session. Pure: no
// I/O, no clock; live_feed calls these with the times it was given.
//
//   {"type":"line","seq":7,"t_us":1520,"dir":"dte","kind":"command","text":"AT+CEREG?",
//    "hex":"41 54 2B ... 0D","explain":{"en":"...","zh":"..."},"spec":"§4.4.3","problem":""}
//   {"type":"mqtt","seq":9,"t_us":2310,"dir":"to_broker","packet":"CONNECT","id":0,"text":"connect id=0 ..."}
//   {"type":"mqtt",...,"dir":"from_broker","packet":"CONNACK","id":0,"code":5,"text":"connack id=0 rc=5"}
//   {"type":"state","registration":1,"rssi":20,"cfun":1,"sim":true,"booting":false,"pdp":true,
//    "ecmt":[{"id":0,"state":"CONNECTED","host":"...","port":1883}]}
//   {"type":"finding","rule":"NT35E-...","level":"error","spec":"§5.4","t_us":..,"detail":"...",
//    "explain":{"en":..,"zh":..},"lines":[{"t_us":..,"dte":true,"text":".."}]}
//   {"type":"dropped","count":12}      (the viewer was too slow: 12 older messages were dropped)
//
// Every text is valid UTF-8 in the JSON (bytes that are not are replaced); "hex" keeps
// the bytes exactly.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "at/render.hpp"
#include "modem/snapshot.hpp"
#include "mqtt/backend.hpp"
#include "oracle/oracle.hpp"

namespace nt35e::web {

/// Which side wrote a line.
enum class side {
  dte,    ///< the host (the driver, or the web console)
  module  ///< the NT35E
};

/// What a line is, for the diagram and its colour.
enum class line_kind {
  command,   ///< a host command line ("AT...")
  data,      ///< host bytes that are not a command (data mode payload, garbage)
  echo,      ///< the module echoing the host's line
  response,  ///< an information response ("+CEREG:0,1" to AT+CEREG?)
  urc,       ///< an unsolicited result code the module volunteers
  result,    ///< a final result (OK, ERROR, +CME ERROR: n)
  prompt,    ///< the data-mode prompt "> "
};

const char* to_string(line_kind k);

/// A line as the page shows it: what it means, in both languages, and where the spec says it.
struct line_info {
  line_kind kind = line_kind::data;
  std::string en, zh;   ///< explanation; empty when the tables have none
  std::string spec;     ///< "§5.2"; may be empty
  std::string problem;  ///< why the line means trouble ("" when it does not)
};

/// Explains a host line (without its line end) in the profile's `style`.
line_info explain_dte_line(std::string_view line, at::response_style style);
/// Explains a module line (without its line end); `echo` when it repeats the host's line;
/// `command` is the host's command line still waiting for its final result ("" when
/// none): a +NAME line is then its information response rather than a URC.
line_info explain_module_line(std::string_view line, bool echo, std::string_view command, at::response_style style);

/// "41 54 0D": the bytes in hex, separated by blanks.
std::string hex_of(std::string_view bytes);

/// {"type":"line",...}: `text` without its line end, `raw` the bytes as they crossed.
std::string line_message(std::uint64_t seq, std::int64_t t_us, side from, std::string_view text, std::string_view raw,
                         const line_info& info);
/// {"type":"mqtt",...} for a request the module made of the broker.
std::string mqtt_message(std::uint64_t seq, std::int64_t t_us, const mqtt::any_request& r);
/// {"type":"mqtt",...} for an event from the broker side.
std::string mqtt_message(std::uint64_t seq, std::int64_t t_us, const mqtt::any_event& e);
/// {"type":"state",...}: registration, signal, identity and every ECMT link's state.
std::string state_message(const modem::snapshot& s, std::string_view imei);
/// {"type":"finding",...}: one of the oracle's findings, with the rule's explanation.
std::string finding_message(const oracle::finding& f);
/// {"type":"dropped","count":n}: the marker a slow viewer gets where messages were dropped.
std::string dropped_message(std::uint64_t count);

/// The ECMT link states of the spec's state machine (§5.10), in the order the page draws
/// them, as modem::to_string names them.
std::vector<std::string> ecmt_states();

}  // namespace nt35e::web
