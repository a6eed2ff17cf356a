#pragma once
// One ECMT connection id: its configuration and its state machine (spec §5.10).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "modem/clock.hpp"
#include "mqtt/backend.hpp"

namespace nt35e::modem {

enum class ecmt_state {
  none,           ///< no context
  configured,     ///< ECMTCFG written, never opened
  opening,        ///< DNS + TCP (+TLS) under way
  opened,         ///< TCP link up, no MQTT session
  connecting,     ///< CONNECT sent, waiting for CONNACK
  connected,      ///< MQTT session up
  reconnecting,   ///< link lost; automatic attempts every few seconds
  connect_fail,   ///< CONNECT could not be sent or no CONNACK
  disc_fail,      ///< ECMTDISC in OPENED (quirk disc_in_opened_fails)
  close_fail,     ///< ECMTCLOSE failed (fault injection only)
  closing,        ///< transient: ECMTCLOSE under way
  disconnecting,  ///< transient: ECMTDISC under way
};

enum class ecmt_event {
  cfg_write,
  open_cmd,
  open_ok,
  open_failed,
  conn_cmd,
  connect_written,
  connack_accepted,
  connack_refused,
  connect_failed,
  link_lost,
  reconnected,
  close_cmd,
  closed,
  disc_cmd,
  disconnected,
  disc_failed,
  radio_off,
  reboot,
};

/// What a pending acknowledgement waits for: the broker's answer to one request.
enum class ecmt_ack {
  sub,  ///< SUBACK for AT+ECMTSUB, reported as +ECMTSUB
  uns,  ///< UNSUBACK for AT+ECMTUNS, reported as +ECMTUNS
  pub,  ///< PUBACK/PUBCOMP for AT+ECMTPUB with qos > 0, reported as +ECMTPUB
};

const char* to_string(ecmt_state s);
const char* to_string(ecmt_event e);
/// "SUB", "UNS", "PUB": the command and URC name after "ECMT" (defined in ecmt_machine.cpp).
const char* to_string(ecmt_ack a);

/// Stored AT+ECMTCFG values; a query shows them, 0 for never-written fields (§5.1).
struct ecmt_config {
  int keepalive = 0;  ///< stored; 0 means "never written", effective 120
  bool keepalive_set = false;
  int session = 0;
  bool session_set = false;
  int pkt_timeout = 0, retry = 0, notice = 0;
  bool timeout_set = false;
  mqtt::will_options will;
  int version = 0;
  bool version_set = false;
  std::string ali_product_key, ali_device_name, ali_device_secret;
  int cloud_type = 0, cloud_data_type = 0;
  int echomode = 0;
  int dataformat_send = 1, dataformat_recv = 0;

  int effective_keepalive() const { return keepalive_set ? keepalive : 120; }
  bool effective_clean_session() const { return session_set ? session != 0 : true; }
  int effective_version() const { return version_set ? version : 4; }
  int effective_pkt_timeout() const { return timeout_set ? pkt_timeout : 10; }
};

struct ecmt_context {
  ecmt_state state = ecmt_state::none;
  ecmt_config config;
  std::string host;
  int port = 0;
  bool host_stored = false;
  mqtt::connect_options connect;   ///< the last CONNECT's options, reused to reconnect
  bool connect_queued = false;     ///< ECMTCONN while OPENING
  bool connfail_reported = false;  ///< the 2,2 of connfail_then_connack already sent
  int refusals = 0;                ///< refused CONNACKs in a row (connected_before_connack)
  std::uint64_t reconnect_timer = 0;
  std::uint64_t connack_timer = 0;
  bool attempt_in_flight = false;                           ///< a reconnect CONNECT is under way
  std::map<std::string, int> subscriptions;                 ///< acknowledged: filter -> qos
  std::map<int, std::pair<std::string, int>> pending_subs;  ///< msgID -> filter, qos
  std::map<int, std::string> pending_unsubs;                ///< msgID -> filter
  /// Acks awaited when quirk.no_ack_timeout is off: (kind, msgID) -> pkt_timeout timer.
  std::map<std::pair<ecmt_ack, int>, std::uint64_t> ack_timers;
  /// QoS 0 publishes of one msgID (the module reports them itself, §8): how many still
  /// await their +ECMTPUB, how many the backend has not finished, and how many of those
  /// awaiting their URC the backend reported not sent (their URC then says 2, not 0).
  struct qos0_publish {
    int unreported = 0;
    int unsettled = 0;
    int failed = 0;
    [[nodiscard]] bool done() const { return unreported == 0 && unsettled == 0; }
  };
  std::map<int, qos0_publish> qos0_publishes;
};

}  // namespace nt35e::modem
