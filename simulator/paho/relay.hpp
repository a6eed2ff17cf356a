#pragma once
// The in-process relay between Paho and the broker: a one-shot listener on 127.0.0.1 that
// Paho connects to, then a byte pump between Paho's socket ("down") and the broker link
// ("up", plain or TLS, made by the dialer).
//
// Why it exists: Paho has no way to drop a connection without DISCONNECT
// (MQTTAsync_destroy sends one; verified against mosquitto: no will). With the relay,
// close() cuts the broker socket abruptly, so the broker publishes the will, exactly as
// when the module reboots or loses its link. It also keeps TLS out of Paho: Paho only
// ever speaks plain MQTT.
//
// Thread safety: none; every call and every completion runs on the executor given to the
// constructor.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "paho/backlog.hpp"
#include "paho/listen_gate.hpp"
#include "paho/packet_guard.hpp"
#include "paho/upstream.hpp"

namespace nt35e::paho::detail {

/// Carries one MQTT connection between a Paho client and the broker. Make it with
/// std::make_shared (pending operations keep it alive).
class relay : public std::enable_shared_from_this<relay> {
 public:
  /// `up`: the connected broker link, owned from now on.
  relay(boost::asio::any_io_executor ex, std::unique_ptr<upstream> up);
  ~relay();

  /// Opens the listener on 127.0.0.1 with an ephemeral port; returns that port (0 and
  /// `ec` set on failure). `turn`: the process's leave to listen (listen_gate.hpp), held
  /// until the listener closes.
  std::uint16_t listen(listen_gate::slot turn, boost::system::error_code& ec);

  /// Accepts Paho's one connection, then forwards both ways until either side ends.
  void start();

  /// Drops both sides now (abort, or a session that is over): no DISCONNECT, no close_notify.
  void close();

  /// Why the broker side ended ("" while it is up).
  [[nodiscard]] const std::string& upstream_detail() const { return up_detail_; }

  /// True once the broker's first packet was refused as not a well-formed CONNACK
  /// (the module reports CONNACK code 6, spec §7.3).
  [[nodiscard]] bool bad_connack() const { return bad_connack_; }

  /// Stops reading the broker while `b` is full (TCP back-pressure, see backlog.hpp);
  /// call before start().
  void throttle_by(std::shared_ptr<backlog> b);

  /// Told (on the executor) of the first oversize packet the guard skipped and, at the
  /// end, of how many were skipped if more than one: each refusal is said once.
  void on_note(std::function<void(const std::string&)> note) { note_ = std::move(note); }

 private:
  void pump_up();
  void pump_down();
  void resume_up();
  void nudge_paho();
  /// No longer counted among the relays waiting for Paho's first bytes.
  void stop_waiting();
  /// How many relays of the process wait for Paho's first bytes (nudge_paho); any thread.
  static std::atomic<int>& waiting_for_paho();
  void upstream_ended(const boost::system::error_code& ec);
  void upstream_refused(const std::string& why);

  boost::asio::ip::tcp::acceptor acceptor_;
  listen_gate::slot listening_;  ///< held while acceptor_ is open
  boost::asio::ip::tcp::socket down_;
  boost::asio::steady_timer nudge_timer_;
  std::unique_ptr<upstream> up_;
  std::array<char, 4096> up_buf_{};
  std::array<char, 4096> down_buf_{};
  std::string up_detail_;
  packet_guard guard_;
  std::string up_pass_;  ///< what the guard let through, being written to Paho
  std::function<void(const std::string&)> note_;
  std::shared_ptr<backlog> backlog_;
  std::uint64_t skipped_ = 0;
  bool bad_connack_ = false;
  bool up_ended_ = false;
  bool closed_ = false;
  bool up_paused_ = false;     // the modem is behind: the broker's bytes wait in its socket
  bool paho_spoke_ = false;    // Paho's first bytes (its CONNECT) arrived: no more nudging
  bool paho_nodelay_ = false;  ///< Paho's socket found and its Nagle off: no TCP_QUICKACK on ours
  int nudges_ = 0;
  bool counted_waiting_ = false;  ///< counted in waiting_for_paho()
};

}  // namespace nt35e::paho::detail
