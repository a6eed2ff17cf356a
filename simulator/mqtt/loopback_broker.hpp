#pragma once
// A standard MQTT broker in miniature, without I/O: requests from one module's
// ids go in, timed events come out. It backs the default offline run (the seed
// guide's "subscribe to your own topic, publish, receive it back") and the unit
// tests. Delays follow the scripted timings of spec §8.

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/backend.hpp"

namespace nt35e::mqtt {

/// True when an MQTT topic filter (with + and #) matches a topic name.
bool topic_matches(std::string_view filter, std::string_view topic);

class loopback_broker {
 public:
  struct timed_event {
    int delay_ms;
    any_event event;
  };

  struct delays {
    int open = 300;
    int connack = 300;
    int ack = 150;
    int qos0_written = 20;
    int delivery = 60;
  };

  loopback_broker() = default;
  explicit loopback_broker(delays d) : delays_(d) {}

  /// The events a request causes, each with its delay from now.
  std::vector<timed_event> handle(const any_request& request);

 private:
  struct session {
    bool open = false;
    bool connected = false;
    std::map<std::string, int> subscriptions;  ///< filter -> granted qos
    int next_packet_id = 1;
  };
  void deliver(const std::string& topic, const std::string& payload, int qos, bool retained, int delay,
               std::vector<timed_event>& out);

  delays delays_;
  std::map<int, session> sessions_;
  std::map<std::string, std::pair<std::string, int>> retained_;  ///< topic -> payload, qos
};

}  // namespace nt35e::mqtt
