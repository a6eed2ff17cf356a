#pragma once
// Live-broker backend: the module's ECMT requests carried over a real MQTT connection
// (Eclipse Paho MQTT C++ 1.2 on Paho C 1.3) to a real broker.
//
// How one context (id) is carried:
//   open     DNS (system resolver, first IPv4 address preferred) + TCP (10 s limit) + TLS
//            handshake when configured, all in Boost.Asio; the link is kept for connect,
//            as the module keeps one TCP connection from ECMTOPEN to ECMTDISC.
//   connect  over the link open made when it is still up (same target and TLS settings);
//            otherwise (a reconnect, or the broker closed it meanwhile) the same dial again
//            with the endpoint open resolved; then Paho speaks MQTT through a private
//            loopback relay: Paho connects to tcp://127.0.0.1:<ephemeral> owned by this
//            backend, and the relay copies bytes to and from the broker socket. TLS is
//            done by the relay (Asio), so Paho only ever sees plain MQTT.
//            Why the relay: Paho has no way to drop a connection without DISCONNECT
//            (MQTTAsync_destroy sends one; verified against mosquitto: no will). The relay
//            lets abort{} cut the broker socket abruptly, so the broker publishes the will,
//            exactly as when the module reboots. It also makes open and connect use the
//            same DNS/TCP/TLS code and errors.
//   after the CONNACK  Paho keeps the session's frame: its keepalive (PINGREQ/PINGRESP,
//            and the link loss it notices), and DISCONNECT. PUBLISH, SUBSCRIBE and
//            UNSUBSCRIBE with all their acks, both ways, are carried by the backend itself
//            on the modem's thread (paho/lane): the relay writes them to the broker between
//            Paho's packets and hands the broker's to the lane instead of Paho. Why: through
//            Paho each crossed two more threads and two more loopback hops, which set the
//            publish latency and rate and the receive rate (bench/README.md).
//   Paho never reconnects, resubscribes or retransmits by itself (automatic reconnect
//   off, no persistence, one fresh async_client per CONNECT); neither does the lane.
//
// Packet ids: the host's msgID is the wire packet id of SUBSCRIBE, UNSUBSCRIBE and QoS 1/2
// PUBLISH (spec §7.2), and what suback / unsuback / published report. Incoming messages
// carry the broker's packet id for qos 1 and 2 and 0 for qos 0.
//
// The parts, one job each (internal, namespace detail): paho/dialer (DNS + TCP + TLS),
// paho/upstream (the broker side of a link), paho/relay (the loopback relay),
// paho/lane (the packets the backend carries itself), paho/paho_client (a Paho client and
// its callbacks), paho/call_queue (the one thread that calls Paho), paho/waker.
//
// Threads: Paho's callbacks run on Paho's two library threads (shared by all clients of
// the process); they only copy data and post to the executor. The calls into a client
// (connect, disconnect) go through paho/call_queue, in order: on its thread whenever
// other calls wait, so that a fleet's modem threads do not all wait for Paho's
// process-wide lock; a call Paho refuses is reported back through the executor.
// Everything else, the lane and emit() included, runs on the executor. Nothing here blocks the executor (no token wait;
// only the destructor waits for the calls still queued). A finished Paho client is destroyed 0.5 s later (Paho C++
// still touches it right after a callback returns).
//
// Process-wide helper: one extra Paho client, never destroyed, that wakes Paho's
// receive thread so a new CONNECT goes out at once instead of after Paho's 1 s poll
// (see paho/waker.hpp). Cost per connected id: 3 sockets (Paho's, the relay's
// two) plus a listening socket while connecting; 1000 modems x 5 ids need a raised
// RLIMIT_NOFILE.

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "mqtt/backend.hpp"
#include "mqtt/host_map.hpp"

namespace nt35e::paho {

class paho_backend final : public nt35e::mqtt::backend {
 public:
  /// `cert_dir`: where relative TLS file names are looked up. `show_secrets`: log
  /// passwords in clear (default masked).
  paho_backend(boost::asio::any_io_executor ex, nt35e::mqtt::host_map map, std::string cert_dir, bool show_secrets);
  /// Drops every link without DISCONNECT (like a power cut) and destroys the Paho clients.
  /// Does not need the executor to run; call it on the executor's thread (or after the
  /// executor stopped).
  ~paho_backend() override;
  paho_backend(const paho_backend&) = delete;
  paho_backend& operator=(const paho_backend&) = delete;

  /// Carries out one request, on the executor; its answer (if any) comes later through
  /// emit(), except a publish that cannot be sent (no connection, too many unfinished):
  /// its result 2 is emitted from inside this call (see mqtt::backend).
  void submit(nt35e::mqtt::any_request r) override;

  /// Stops handing the broker's packets to the host on every link (and on links made
  /// meanwhile) until resumed; the broker's bytes wait in the kernel, then in the broker.
  void pause_receiving(bool paused) override;

  /// Optional diagnostics (one line per call, no trailing newline), on the executor.
  using log_sink = std::function<void(std::string_view line)>;
  /// Sets (or, with an empty one, clears) the diagnostics sink.
  void set_log_sink(log_sink sink);

  /// Limit for TCP connect + TLS handshake, and for the CONNACK (spec: 10 s). For tests.
  void set_timeouts(std::chrono::milliseconds connect_limit);

 private:
  class impl;
  friend class impl;
  void deliver(nt35e::mqtt::any_event e) { emit(std::move(e)); }

  std::shared_ptr<impl> impl_;
};

}  // namespace nt35e::paho
