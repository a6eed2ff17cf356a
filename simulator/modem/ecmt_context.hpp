#pragma once
// One ECMT connection id: its configuration and its state machine (spec §5.10).

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

/// The contexts of ids 0..max, each made on its first use: a context is 768 bytes and
/// most modems only ever use id 0 (a fleet has thousands of modems). An id never used
/// reads as a fresh context (state NONE), exactly as if it had been made up front.
class ecmt_table {
 public:
  explicit ecmt_table(std::size_t ids = 0) : slots_(ids) {}

  std::size_t size() const { return slots_.size(); }
  /// The context of `id` to change: made now if it never was.
  ecmt_context& operator[](std::size_t id) {
    auto& slot = slots_[id];
    if (!slot) slot = std::make_unique<ecmt_context>();
    return *slot;
  }
  ecmt_context& at(std::size_t id) { return (*this)[check(id)]; }
  /// The context of `id` to read: an unused id reads as a fresh one, and stays unmade.
  const ecmt_context& operator[](std::size_t id) const {
    static const ecmt_context fresh;
    const auto& slot = slots_[id];
    return slot ? *slot : fresh;
  }
  const ecmt_context& at(std::size_t id) const { return (*this)[check(id)]; }
  /// True once `id` was used (made) and until reset.
  bool used(std::size_t id) const { return slots_.at(id) != nullptr; }
  /// Deletes the context of `id` (it reads as fresh again) and gives back its memory.
  void reset(std::size_t id) { slots_.at(id).reset(); }

 private:
  std::size_t check(std::size_t id) const {
    (void)slots_.at(id);  // std::out_of_range past the last id, as a vector's at()
    return id;
  }
  std::vector<std::unique_ptr<ecmt_context>> slots_;
};

}  // namespace nt35e::modem
