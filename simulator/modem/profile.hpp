#pragma once
// Profile values are data (spec §3.1): identity, defaults, timings and quirks.
// Behaviour lives in code; every field here may be overridden at start-up.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "at/render.hpp"

namespace nt35e::modem {

using at::response_style;

/// Fidelity switches of spec §3.2.
struct quirks {
  bool clientid_needs_all_three = false;
  bool connected_before_connack = false;
  bool tls_open_always_ok = false;
  bool no_ack_timeout = true;
  bool first_open_delay = true;
  bool stuck_while_reconnecting = true;
  bool disc_in_opened_fails = true;
  bool connfail_then_connack = true;
  bool ampf_not_supported = false;
  bool cgreg_not_supported = false;  ///< every form of AT+CGREG answers ERROR (unknown command), no +CGREG URC
};

/// The module's UART as the DTE sees it. Not firmware logic: the session paces and cuts
/// the output by it (the core writes bytes, the line carries them).
struct uart_settings {
  int baud = 0;                                ///< 0: as fast as the DTE reads; else 10 bits a byte at this rate
  std::optional<std::uint64_t> fragment_seed;  ///< cut the output into random pieces, reproducibly
};

/// Delays of spec §8, in milliseconds.
struct timings {
  int basic_result = 5;
  int cfg_ok = 3;
  int open_ok = 10;
  int first_open_ok = 1000;
  int conn_ok = 1;
  int ecmt_ok = 5;  ///< SUB/UNS/PUB/CLOSE/DISC
  int qos0_publish_urc = 20;
  int close_disc_urc = 50;
  int recv_urc = 50;
  int urc_after_backend = 10;  ///< the module's share after a live CONNACK, SUBACK, UNSUBACK, PUBACK/PUBCOMP
  int open_urc = 20;           ///< the module's share after a live TCP open, before +ECMTOPEN
  int link_lost_urc = 100;     ///< a peer's FIN/RST is noticed at the next receive-loop pass
  int boot = 1500;             ///< power-on / reboot to ECRDY
  int registration = 2000;     ///< ECRDY or CFUN=1 to registered
  int reboot_after_ok = 100;
  int cfun_off_ok = 300;
  int cfun_on_ok = 100;
  int cgatt_ok = 1500;
  int cops_test = 3000;       ///< AT+COPS=? answer (a network scan)
  int cops_off_ok = 300;      ///< AT+COPS=2 OK
  int cops_not_found = 3000;  ///< AT+COPS=1 with a PLMN not present: CME 30
  int cgact_on_ok = 1000;
  int cgact_off_ok = 300;
  int connack_limit = 10000;
  int reconnect_first = 1000;
  int reconnect_every = 5000;
  int ping_rtt = 60;
  // Guard timers (§2.9): a command without its final result by then answers ERROR.
  int guard = 5000;                  ///< every command not listed below
  int guard_publish = 20000;         ///< AT+ECMTPUB and its data mode
  int guard_cfun = 25000;            ///< AT+CFUN
  int guard_cpin = 25000;            ///< AT+CPIN
  int guard_cgatt = 70000;           ///< AT+CGATT
  int guard_cgact = 70000;           ///< AT+CGACT
  int guard_cops = 305000;           ///< AT+COPS
  int partial_line_urc_hold = 1000;  ///< chosen: a stale partial line stops holding URCs
};

struct profile {
  std::string name = "nt35e";
  int max_ecmt_id = 4;  ///< ids 0..max
  response_style style = response_style::compact;
  bool echo = true;     ///< ATE at power-on
  bool verbose = true;  ///< ATV
  bool quiet = false;   ///< ATQ
  int cmee = 1;
  std::string banner = "ECRDY";
  std::string manufacturer = "Lierda";
  std::string model = "NT35E";
  std::string revision = "NT35E-CN_V1.0.5";
  bool ati_single_line = false;  ///< ec616s: "Eigencomm <revision>"
  std::string imei = "866123045678904";
  std::string svn = "01";
  std::string imsi = "460001234567890";
  std::string iccid = "89860020123456789012";
  bool sim_present = true;
  std::string pdp_type = "IP";
  std::string apn;
  std::string ipv4 = "10.128.45.67";
  int csq_rssi = 23, csq_ber = 99;
  int cesq_rsrq = 20, cesq_rsrp = 46;
  std::string tac = "5A0B", cell_id = "0C1F2E3D";
  int act = 7;
  int registration_result = 1;  ///< 1 home, 5 roaming
  int reject_cause = 11;        ///< EMM cause recorded when registration_result is 3 (denied)
  std::string plmn = "46000";   ///< MCC/MNC of the IMSI (AT+COPS)
  std::string operator_long = "CHINA MOBILE", operator_short = "CMCC";
  std::string msisdn;                        ///< subscriber number (AT+CNUM); empty: none stored
  int edrx_act_type = 4;                     ///< AT+CEDRXS AcT-type: 4 E-UTRAN WB-S1 (CAT1), 5 NB-S1
  int cereg_n = 0, creg_n = 0, cgreg_n = 0;  ///< registration report modes at first power-on
  int cmgf = 1;                              ///< AT+CMGF at first power-on: text mode
  int timezone_quarters = 32;
  /// AT+CCLK writes refused with CME 3: the reference build (nt35e) refuses them while automatic
  /// time-zone update is on, its default (§4).
  bool cclk_write_refused = true;
  // ECMT limits (characters)
  int max_host = 127, max_client_id = 48, max_user = 48, max_password = 128, max_topic = 255, max_payload = 1024;
  int max_incoming_topic = 128, max_incoming_payload = 1024;
  std::string cert_dir = ".";     ///< where AT+ECMTCFG="ssl" file names are looked up
  bool show_secrets = false;      ///< log passwords unmasked
  std::string explain;            ///< "", "en" or "zh": explain mode's language
  bool start_registered = false;  ///< power on already booted and registered, silently (replay handover)
  double time_scale = 1.0;        ///< every simulated delay is multiplied by this (0.05 = 20x faster)
  /// The backend is a real broker: the module's own share of a URC's delay (§8 "live … +
  /// N ms") is added to its events. The scripted broker's delays already hold it (§8 "scripted").
  bool live_broker = false;
  quirks quirk;
  timings timing;
  uart_settings uart;
};

/// The baud rates uart.baud accepts (chosen: the spec is silent; 300 is the slowest
/// V.250 rate, 4 Mbit/s above any UART of this module class).
inline constexpr std::uint64_t min_baud = 300, max_baud = 4'000'000;

/// The built-in profile with that name, or nothing.
std::optional<profile> builtin_profile(std::string_view name);

/// Sets one field by name ("echo", "style", "imei", "quirk.no_ack_timeout",
/// "timing.boot"...). Returns an error sentence, or an empty string on success.
std::string set_profile_field(profile& p, std::string_view name, std::string_view value);

/// The names set_profile_field accepts, for --help and error hints.
std::string profile_field_names();

/// True when the 15-digit IMEI has a valid Luhn check digit.
bool luhn_valid(std::string_view digits);

}  // namespace nt35e::modem
