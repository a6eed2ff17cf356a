#pragma once
// MQTT pieces of the benchmarks: the simulator with --live in front of a local mosquitto
// (the tests' fixture), connected and ready on its PTY; a Paho subscriber that timestamps
// every arrival in its callback; a plain Paho client for the baselines.

#include <mqtt/async_client.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

#include "common/bench_common.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/sim_process.hpp"

namespace nt35e::bench {

/// The quiet broker below with no per-client queue limit (max_queued_messages 0): a burst
/// outruns any subscriber for a while, and by default mosquitto would drop what exceeds
/// 1000 queued messages (and QoS 0 messages while a subscriber's in-flight window is full)
/// at the broker, for simulator and baseline alike. Loss is to be measured at the receivers.
std::unique_ptr<test::mosquitto_broker> start_bench_broker();
/// The tests' mosquitto fixture (plain TCP) with its per-packet log (log_type all) cut
/// down to error, warning, notice and information: one log line per packet costs the broker
/// more than the clients being measured, and a full bench_receive run logged 165 MB in 7
/// minutes that the benchmark read again every 10 ms while waiting for each burst's publisher to
/// connect (it ran past its limit and lost its figures).
std::unique_ptr<test::mosquitto_broker> start_quiet_broker();
/// How often mosquitto logged "Outgoing messages are being dropped for client" so far.
std::size_t broker_drop_notices(const test::mosquitto_broker& broker);

/// A payload of exactly `size` bytes that starts with "<tag><seq>-" ([0-9a-z-] only, so
/// it needs no quoting inside an AT command).
std::string make_payload(const std::string& tag, std::size_t seq, std::size_t size);

/// Connects a Paho async client (MQTT 3.1.1, clean session, no persistence) to
/// 127.0.0.1:port; throws on failure.
std::unique_ptr<mqtt::async_client> paho_connect(int port, const std::string& client_id);
/// Disconnects quietly (bounded).
void paho_disconnect(mqtt::async_client& c);

/// A subscriber that records, per topic, how many messages came, the distinct payloads,
/// the first and last arrival, and the arrival time of one payload the caller waits for.
class paho_sink {
 public:
  paho_sink(int port, const std::string& client_id);
  ~paho_sink();
  paho_sink(const paho_sink&) = delete;
  paho_sink& operator=(const paho_sink&) = delete;

  void subscribe(const std::string& filter, int qos);

  /// The payload whose arrival time wait_expected() returns.
  void expect(const std::string& payload);
  std::optional<clock::time_point> wait_expected(clock::time_point deadline);

  struct topic_stats {
    std::size_t count = 0;
    std::unordered_set<std::string> payloads;
    clock::time_point first{}, last{};
  };
  topic_stats stats(const std::string& topic);
  /// Waits until `topic` has `n` messages, or no new one for `idle`, or `deadline`.
  std::size_t wait_count(const std::string& topic, std::size_t n, clock::time_point deadline,
                         milliseconds idle = milliseconds::max());

 private:
  std::unique_ptr<mqtt::async_client> cli_;
  std::mutex m_;
  std::condition_variable cv_;
  std::string expected_;
  std::optional<clock::time_point> arrived_;
  std::map<std::string, topic_stats> topics_;
};

/// One simulator with --live, its PTY opened as the DTE, ECMT id 0 opened and connected
/// to the broker (host test.mosquitto.org mapped to it, as in the seed guide).
struct live_sim {
  std::unique_ptr<temp_dir> dir;
  std::unique_ptr<test::sim_process> sim;
  line_channel dte;
  [[nodiscard]] std::string diag() const;
};
std::unique_ptr<live_sim> start_live_sim(const test::mosquitto_broker& broker, timing_mode mode,
                                         const std::string& client_id, const std::string& log_level = {},
                                         bool tcp_dte = false);

/// Sends `cmd`, waits for OK (throws on ERROR / timeout), then for the URC `urc` if given.
void at_command(live_sim& s, const std::string& cmd, const std::string& urc = {}, milliseconds timeout = 10s);

/// The payload of a "+ECMTRECV:<id>,<msg>,"<topic>",<payload>" line; nothing if not one.
std::optional<std::string_view> recv_payload(std::string_view line, std::string_view* topic = nullptr);

}  // namespace nt35e::bench
