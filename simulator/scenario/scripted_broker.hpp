#pragma once
// A standard MQTT broker in miniature, without I/O: requests from one module's
// ids go in, timed events come out. It backs the default offline run (the seed
// guide's "subscribe to your own topic, publish, receive it back"), the scripted
// broker of scenarios, and the unit tests. Delays follow the scripted timings of §8.

#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mqtt/backend.hpp"
#include "scenario/scenario.hpp"

namespace nt35e::scenario {

class scripted_broker {
 public:
  /// The broker itself publishes (a scripted reply or timed message): decided when due,
  /// against the subscriptions of that moment.
  struct broker_publish {
    std::string topic;
    std::string payload;
    int qos = 0;
    /// A message of the script's burst number `burst` (-1: none), message `n` (0-based):
    /// publishing it schedules the next one, so a burst is made one message at a time.
    int burst = -1;
    int n = 0;
  };
  struct timed_event {
    int delay_ms;
    std::variant<mqtt::any_event, broker_publish> what;
  };

  scripted_broker() = default;
  explicit scripted_broker(broker_script script);

  /// The events a request causes, each with its delay from now.
  std::vector<timed_event> handle(const mqtt::any_request& request);
  /// What the script publishes by itself, with delays from power-on: the first message
  /// of each burst (publish_now schedules the rest).
  std::vector<timed_event> start();
  /// A broker-side publish falling due now: one message event per matching subscriber
  /// (delay 0), and the burst's next message (a broker_publish, `every` from now).
  std::vector<timed_event> publish_now(const broker_publish& p);

 private:
  struct session {
    bool connected = false;
    std::map<std::string, int> subscriptions;  ///< filter -> granted qos
    int next_packet_id = 1;
  };
  int connack_code(const mqtt::connect_options& o) const;
  bool unresolvable(const std::string& host) const;
  bool unreachable(const std::string& host, int port) const;
  void deliver(const std::string& topic, const std::string& payload, int qos, bool retained, int delay,
               std::vector<timed_event>& out);
  int next_id(session& s);
  /// Message `n` of burst `burst` as a broker_publish ({n} numbered from 1).
  broker_publish burst_message(int burst, int n) const;

  broker_script script_;
  std::map<int, session> sessions_;
  std::map<std::string, std::pair<std::string, int>> retained_;  ///< topic -> payload, qos
};

}  // namespace nt35e::scenario
