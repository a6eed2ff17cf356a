#pragma once
// A scenario: the world around the module (profile, network, DNS, broker) and a
// set of rules "when this happens, do that" (spec-free; see scenarios/README.md).
// Plain structs: the JSON loader (scenario/loader) fills them, the core
// (engine/fault_engine) plays them, the control channel fires single actions.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nt35e::scenario {

using duration = std::chrono::milliseconds;

/// Everything a rule or the control channel can make happen.
enum class action_kind {
  // -- the answer to the command that fired the rule (command triggers only)
  replace_response,   ///< text: bytes sent instead of the module's answer (final result included)
  delay_response,     ///< by: the answer comes this much later
  never_answer,       ///< no answer at all (the module hangs; later input waits behind it)
  truncate_response,  ///< keep: only the first `keep` bytes of the answer are sent
  // -- MQTT and the network behind it
  refuse_connect,         ///< code 1..5: CONNACK refusal for the next CONNECT (id, or any id)
  dns_failure,            ///< the next ECMTOPEN (id, or any) fails at DNS: +ECMTOPEN:<id>,-1
  tcp_open_failure,       ///< the next ECMTOPEN (id, or any) cannot connect: +ECMTOPEN:<id>,-1
  drop_link,              ///< the connected link of id (or every id) drops: +ECMTSTAT:<id>,1
  stop_pings,             ///< the broker stops answering PINGREQ on id: link lost after keepalive + 8.4 s
  resume_pings,           ///< undoes stop_pings
  deliver,                ///< an incoming PUBLISH on id (or every connected id): topic, payload, qos, retain
  connfail_then_connack,  ///< the next CONNECT on id reports +ECMTCONN:<id>,2,2 first, then its CONNACK
  broker_down,   ///< for `window`: the broker is unreachable; connected links drop, every open and connect fails
  slow_network,  ///< for `window`: every MQTT request and broker event on the way takes `by` longer
  // -- URCs and raw bytes
  inject_urc,          ///< text: an extra URC, framed and queued like any other
  duplicate_next_urc,  ///< the next URC (matching pattern, if given) is written twice
  send_bytes,          ///< text: raw bytes written to the DTE as they are (garbled or truncated output)
  line_noise,          ///< for `window`: bytes on the wire to the DTE get flipped bits (or `drop`), `percent` of them
  // -- the cellular side
  lose_registration,    ///< stat (0 not registered, 2 searching, 3 denied): PDP lost, ECMT links drop
  regain_registration,  ///< back to the profile's registration result after `by` (default 0)
  set_signal,           ///< rssi, ber, rsrq, rsrp
  remove_sim,           ///< the SIM disappears: registration lost, +CPIN? → CME 10
  insert_sim,           ///< the SIM is back; the module registers again
  reboot,               ///< the module reboots as after AT+ECRST (banner included)
};

const char* to_string(action_kind k);
/// The action named so in JSON ("drop_link"), if any.
std::optional<action_kind> action_from_string(std::string_view name);
/// Every action name, for error hints.
std::vector<std::string> action_names();

struct action {
  action_kind kind = action_kind::inject_urc;
  std::optional<int> id;  ///< ECMT id; empty = every id / any id
  int code = 0;           ///< refuse_connect: CONNACK code
  duration by{0};         ///< delay_response, regain_registration, slow_network
  std::string text;       ///< replace_response, inject_urc, send_bytes; pattern for duplicate_next_urc
  std::string topic;      ///< deliver
  std::string payload;    ///< deliver
  int qos = 0;            ///< deliver
  bool retain = false;    ///< deliver
  int stat = 0;           ///< lose_registration
  std::optional<int> rssi, ber, rsrq, rsrp;  ///< set_signal
  std::size_t keep = 0;                      ///< truncate_response
  duration window{0};                        ///< line_noise, broker_down, slow_network: how long it lasts ("for")
  bool drop = false;                         ///< line_noise: bytes are lost instead of flipped ("mode": "drop")
  int percent = 10;                          ///< line_noise: the share of bytes hit
};

/// What makes a rule fire.
enum class trigger_kind {
  at,          ///< a time offset from power-on
  command,     ///< a command line from the DTE (glob or regex on the line after "AT")
  urc,         ///< a URC the module is about to write
  mqtt_event,  ///< an event from the broker side: opened, connack, suback, unsuback, published, message, link_lost
  publish,     ///< the module publishes to a topic matching a filter (+, #)
};

const char* to_string(trigger_kind k);

struct trigger {
  trigger_kind kind = trigger_kind::at;
  duration at{0};         ///< `at`
  std::string pattern;    ///< glob (* ?) for command/urc, event name for mqtt_event, topic filter for publish
  bool regex = false;     ///< pattern is an ECMAScript regex (case-insensitive, searched) instead of a glob
  int occurrence = 0;     ///< 0: every match; N: only the Nth match
  std::optional<int> id;  ///< mqtt_event / publish: only this id
};

struct rule {
  std::string name;  ///< for logs; defaults to "rule <index>"
  trigger when;
  duration after{0};  ///< the actions run this long after the trigger
  std::vector<action> then;
};

/// A user the scripted broker accepts.
struct credential {
  std::optional<std::string> client_id;  ///< empty: any client id
  std::string user;
  std::string password;
};

struct message {
  std::string topic;
  std::string payload;
  int qos = 0;
};

/// "When the module publishes to `filter`, publish `topic`/`payload` back after `after`".
struct reply {
  std::string filter;
  message respond;
  duration after{100};
};

/// The longest time a scenario gives (any "at", "after", "every", delay…). One limit for
/// the loader (which refuses longer times) and for what plays a scenario (which counts on it).
inline constexpr duration max_duration = std::chrono::hours(168);
/// The most messages one burst ("count") may hold: the loader's limit, and the scripted
/// broker's promise that a burst's times never overflow (it makes them one at a time).
inline constexpr int max_burst_count = 1'000'000;

/// A message the scripted broker publishes by itself at a time offset.
struct timed_message {
  duration at{0};
  message msg;
  int count = 1;      ///< how many (a burst, 1..max_burst_count), numbered payloads when payload contains {n}
  duration every{0};  ///< spacing between them
};

/// What AT+ECPING's echo requests to one host meet (spec §4.3; no real ICMP is sent).
struct ping_host {
  std::string host;                    ///< as the DTE writes it to AT+ECPING, or its address
  std::optional<std::string> address;  ///< what the name resolves to (else one of 198.51.100.x)
  std::optional<duration> rtt;         ///< round-trip time (else the ping's default)
  double loss = 0;                     ///< 0..1: share of requests without a reply, spread evenly
  std::vector<int> send_fail;          ///< numbers of the requests (1 = first) that cannot be sent
};

/// The simulated ping: round-trip time and loss per target host.
struct ping_script {
  std::optional<duration> rtt;  ///< default round-trip time (else the profile's timing.ping_rtt, 60 ms)
  duration jitter{0};           ///< each round trip varies by up to ± this
  std::uint64_t seed = 1;       ///< for the jitter
  std::vector<ping_host> hosts;
};

struct broker_script {
  bool live = false;                                          ///< use --live's real broker instead of the script
  std::vector<std::pair<std::string, std::string>> map_host;  ///< live: "HOST[:PORT]" -> "ADDR:PORT"
  std::vector<credential> credentials;    ///< non-empty: CONNECT must match one, else 5 (what mosquitto answers)
  bool allow_anonymous = true;            ///< with credentials: CONNECT without user name accepted?
  std::optional<int> connack_code;        ///< every CONNECT answered with this code
  std::vector<std::string> unresolvable;  ///< host names whose DNS lookup fails (plus *.invalid)
  std::vector<std::string> unreachable;   ///< "host" or "host:port" that refuse TCP
  ping_script ping;                       ///< AT+ECPING's echoes, in live mode too
  duration open_delay{300}, connack_delay{300}, ack_delay{150}, delivery_delay{60};
  duration open_tls_delay{6000};  ///< an open with TLS configured (handshake included, §8)
  std::vector<message> retained;  ///< present from the start
  std::vector<reply> replies;
  std::vector<timed_message> messages;
};

struct network_script {
  int registration = 1;                        ///< result after searching: 1 home, 5 roaming, 3 denied, 0 none
  std::optional<duration> registration_delay;  ///< ECRDY to registered (profile default 2 s)
  std::optional<int> rssi, ber, rsrq, rsrp;
  bool sim = true;
};

struct scenario;

/// Global fleet indices first..last, both included (modem i of --fleet N --fleet-offset K
/// has index K+i; a single modem has index 0).
struct index_range {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  friend bool operator==(const index_range&, const index_range&) = default;
};

/// Fleet indices in select's string form: "0-9,15".
std::string format_select(const std::vector<index_range>& ranges);
/// Does one of `ranges` hold an index of first..last (both included)?
[[nodiscard]] bool selects_any(const std::vector<index_range>& ranges, std::uint64_t first, std::uint64_t last);

/// One entry of the scenario's "fleet_events": at `at` after the fleet's power-on (the
/// origin of the rules' `at`), `fire` runs on the modems it picks (scenario/fleet_choice.hpp):
/// those `select` names (every modem of the process when empty), or a random
/// round(fraction x count) of them, spread over `stagger`.
struct fleet_event {
  duration at{0};
  action fire;
  std::vector<index_range> select;    ///< global indices as written; empty: every modem
  std::optional<double> fraction;     ///< 0 < f <= 1: a random share of the selected modems
  std::optional<std::uint64_t> seed;  ///< as written (only with fraction); absent: the event's position
  duration stagger{0};                ///< the first fires at `at`, the last at `at` + stagger
};

/// One entry of the scenario's "modems": the modems it selects play another world.
struct modem_override {
  std::vector<index_range> select;  ///< as written ("0-9,15" or [0, 1]); never empty
  std::string path;                 ///< its JSON pointer ("/modems/2"), for messages
  std::string text;                 ///< the override's JSON as written (compact), for to_json
  /// The override's own settings, in its order. They are in world->settings too, and
  /// are applied once more after --set and --time-scale (the most specific wins).
  std::vector<std::pair<std::string, std::string>> settings;
  /// The whole scenario these modems play: network and broker shallow-merged per key,
  /// settings merged, rules appended (or replaced); it has no overrides of its own.
  std::shared_ptr<const scenario> world;

  [[nodiscard]] bool selects(std::uint64_t index) const;
  /// Does it select any index of first..last?
  [[nodiscard]] bool selects_any(std::uint64_t first, std::uint64_t last) const;
};

/// What an expectation asks of the driver (the scenario's "expect"; docs/oracle.md).
enum class expect_kind {
  reconnect,      ///< after a link loss (+ECMTSTAT): connected again, and subscribed again, within a time
  connect,        ///< after the first AT+ECMTOPEN: connected (+ECMTCONN:<id>,0,0) within a time
  subscribe,      ///< after the first connect: subscribed to a filter within a time
  publish,        ///< to a filter at least once every period of connected time
  never_publish,  ///< never to a filter (optionally: with this QoS)
  back_off,       ///< after a CONNECT refusal: the same AT+ECMTCONN not again sooner than a time
};

const char* to_string(expect_kind k);
/// The kind named so in JSON ("reconnect"), if any.
std::optional<expect_kind> expect_kind_from_string(std::string_view name);
/// Every kind's name, in this order.
std::vector<std::string> expect_kind_names();

/// One entry of the scenario's "expect": a duty of the driver, judged by the oracle on the
/// DTE side of the session (oracle/expectations.hpp). Times are the session's own clock
/// (not scaled by time_scale: the driver under test runs in real time).
struct expectation {
  std::string name;  ///< as written; empty: the verdict names it by what it asks
  expect_kind kind = expect_kind::reconnect;
  int after_loss = 0;                     ///< reconnect: the Nth +ECMTSTAT (1 = the first); 0 = every one
  std::optional<duration> after_loss_at;  ///< reconnect: instead, the first +ECMTSTAT at or after this time
  duration within{0};                     ///< reconnect, connect, subscribe: the time allowed
  std::vector<std::string> subscribe;     ///< reconnect: filters to subscribe to again
  bool resubscribe = false;               ///< reconnect: every filter the link held before the loss (clean session)
  std::string topic;                      ///< subscribe, publish, never_publish: a topic filter (+, #)
  duration every{0};                      ///< publish: the longest connected time without one
  std::optional<int> qos;                 ///< never_publish: only publishes with this QoS
  duration at_least{0};                   ///< back_off: the least time before the same CONNECT again

  friend bool operator==(const expectation&, const expectation&) = default;
};

/// The module's UART as the DTE sees it (the session's writer; see modem::uart_settings).
struct uart_script {
  std::optional<int> baud;                     ///< bits per second, 10 a byte
  std::optional<std::uint64_t> fragment_seed;  ///< cut the output into random pieces
};

struct scenario {
  std::string file;  ///< where it came from, for messages
  std::string name;
  std::string description;
  std::string profile = "nt35e";
  std::vector<std::pair<std::string, std::string>> settings;  ///< profile overrides, as --set
  double time_scale = 1.0;                                    ///< --time-scale wins when given
  uart_script uart;
  network_script network;
  broker_script broker;
  std::vector<rule> rules;
  /// Per-modem overrides (fleet mode); at most one selects a given index.
  std::vector<modem_override> modems;
  /// Fleet-wide events on a timeline (top level only: an override's world has none).
  std::vector<fleet_event> fleet_events;
  /// The oracle's settings (issue 15, docs/oracle.md), as the command line gives them
  /// (which wins): "strict", "lenient" or "" (default), "ID=on|off", "ID.name=VALUE".
  struct oracle_script {
    std::string mode;
    std::vector<std::string> rules;
    std::vector<std::string> thresholds;
  } oracle;
  /// What the driver must do (the "expect" key), in the file's order.
  std::vector<expectation> expect;

  /// The override that selects this global index, or null.
  [[nodiscard]] const modem_override* override_for(std::uint64_t index) const;
  /// The world the modem with this global index plays: its override's, or this one.
  [[nodiscard]] const scenario& world_for(std::uint64_t index) const;
};

}  // namespace nt35e::scenario
