#pragma once
// The seam between the modem core and whatever plays the network: requests the
// core asks for, events the network reports back. Plain data, no I/O types, so
// the core stays testable and any backend (Paho, scripted) can sit behind it.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace nt35e::mqtt {

/// TLS settings from AT+ECMTCFG="ssl",<mode>[,ca[,cert,key]]; file names already
/// resolved against the certificate directory by the core.
struct tls_options {
  int mode = 0;  ///< 0 off, 1 server authentication, 2 mutual
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  friend bool operator==(const tls_options&, const tls_options&) = default;
};

/// Last will from AT+ECMTCFG="will".
struct will_options {
  bool enabled = false;
  int qos = 0;
  bool retain = false;
  std::string topic;
  std::string message;
};

/// Everything that goes into one MQTT CONNECT.
struct connect_options {
  std::string client_id;  ///< empty: the broker assigns one
  std::optional<std::string> user_name;
  std::optional<std::string> password;  ///< never logged unmasked
  int keepalive_s = 120;                ///< 0: no PINGREQ
  bool clean_session = true;
  int version = 4;  ///< 3 = MQTT 3.1 ("MQIsdp"), 4 = 3.1.1
  will_options will;
};

namespace request {
/// Resolve host, open TCP (and TLS); answer with event::opened.
struct open {
  int id;
  std::string host;
  int port;
  tls_options tls;
};
/// Send CONNECT on the opened link (reopening it first when it is down); answer
/// with event::connack or event::connect_failed.
struct connect {
  int id;
  std::string host;
  int port;
  tls_options tls;
  connect_options options;
};
/// SUBSCRIBE one topic; answer with event::suback.
struct subscribe {
  int id;
  int msg_id;
  std::string topic;
  int qos;
};
/// UNSUBSCRIBE one topic; answer with event::unsuback.
struct unsubscribe {
  int id;
  int msg_id;
  std::string topic;
};
/// PUBLISH; answer with event::published once written (qos 0) or acknowledged.
struct publish {
  int id;
  int msg_id;
  int qos;
  bool retain;
  std::string topic;
  std::string payload;
};
/// Send DISCONNECT when connected, then close TCP. No answer event.
struct disconnect {
  int id;
};
/// Drop the TCP link without DISCONNECT (reboot, radio off). No answer event.
struct abort {
  int id;
};
}  // namespace request

using any_request = std::variant<request::open, request::connect, request::subscribe, request::unsubscribe,
                                 request::publish, request::disconnect, request::abort>;

namespace event {
/// Result of request::open.
struct opened {
  int id;
  bool ok;
  std::string detail;
};
/// A CONNACK arrived; return_code 0..5 as sent, 6 for malformed or above 5.
struct connack {
  int id;
  int return_code;
};
/// CONNECT could not be sent or no CONNACK came (the module's 2,2).
struct connect_failed {
  int id;
  std::string detail;
};
/// SUBACK (result 0), malformed (1), send failure (2).
struct suback {
  int id;
  int msg_id;
  int result;
};
/// UNSUBACK (0), malformed (1), send failure (2).
struct unsuback {
  int id;
  int msg_id;
  int result;
};
/// Publish finished: 0 written/acknowledged, 1 malformed ack, 2 send failure.
struct published {
  int id;
  int msg_id;
  int result;
  /// Result 2 because the backend's queue of unsent publishes for this id was full: the
  /// message was refused, never sent (back-pressure, counted apart from other failures).
  bool refused = false;
};
/// An incoming PUBLISH.
struct message {
  int id;
  int msg_id;
  std::string topic;
  std::string payload;
  int qos;
  bool retained;
};
/// A connected link died (peer closed, reset, keepalive lost).
struct link_lost {
  int id;
  std::string detail;
};
}  // namespace event

using any_event = std::variant<event::opened, event::connack, event::connect_failed, event::suback, event::unsuback,
                               event::published, event::message, event::link_lost>;

/// Short human-readable form of a request or event for the transcript; passwords masked
/// unless show_secrets.
std::string describe(const any_request& r, bool show_secrets = false);
std::string describe(const any_event& e);

/// The inverse of describe(), for the "what" of a recorded trace: the request or event the
/// text names, or nothing when it names none. What describe() hid comes back as it shows:
/// a masked password is "****", a payload cut after 64 bytes is those 64 bytes.
std::optional<any_request> parse_request(std::string_view what);
std::optional<any_event> parse_event(std::string_view what);

/// Something that carries requests to a network and reports events back.
/// Thread safety: submit() is called on the modem's executor only; implementations
/// deliver events through the sink on that same executor (never from their own threads).
/// An answer known at once (a publish that cannot be sent) may come from inside submit():
/// the host must not re-enter the modem then, but hand it over before any of the modem's
/// own timers run (io::session does), so that the module's own QoS 0 report sees it.
class backend {
 public:
  using event_sink = std::function<void(any_event)>;
  virtual ~backend() = default;
  /// Starts the work a request asks for; never blocks.
  virtual void submit(any_request r) = 0;
  /// Where events go; set once before the first submit.
  void set_sink(event_sink sink) { sink_ = std::move(sink); }
  /// The host is behind with incoming messages (true) or caught up again (false): leave
  /// the network's next packets where they are meanwhile (TCP then holds the broker back),
  /// as the module reads its socket no faster than it handles what it read. On the modem's
  /// executor; nothing may be emitted from inside this call. Default: ignored.
  virtual void pause_receiving(bool /*paused*/) {}

 protected:
  void emit(any_event e) {
    if (sink_) sink_(std::move(e));
  }

 private:
  event_sink sink_;
};

}  // namespace nt35e::mqtt
