#pragma once
// The in-process relay between Paho and the broker: a one-shot listener on 127.0.0.1 that
// Paho connects to, then a pump of whole MQTT packets between Paho's socket ("down") and
// the broker link ("up", plain or TLS, made by the dialer). Once the backend takes the
// link over (after the CONNACK), the broker's PUBLISHes and acks go to the backend's lane
// (paho/lane.hpp) instead of Paho, and the backend writes its own packets to the broker
// between Paho's (send()).
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
#include <string_view>
#include <vector>

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

  /// From now on every whole broker packet the lane carries (lane::carries) goes to `sink`,
  /// in order, one per call, instead of Paho; the rest (CONNACK, PINGRESP) still goes to
  /// Paho. Until then the relay holds the first such packet and reads no further, so that
  /// none overtakes the CONNACK on its way through Paho (a broker keeping a session sends
  /// its messages right behind it). `sink` may close the relay.
  void take_over(std::function<void(std::string_view packet)> sink);

  /// While paused, the lane gets no packets and the broker's bytes stay in its socket
  /// (mqtt::backend::pause_receiving); resuming hands over what waits, from the executor.
  void pause(bool paused);

  /// Writes `packets` (whole MQTT packets) to the broker, after Paho's packets read so far.
  /// `written`, if given, runs once they are written (true) or could not be (false: the
  /// link is ending; inside this call when it is already down). Never after close().
  void send(std::string packets, std::function<void(bool written)> written = {});

  /// Told (on the executor) of the first oversize packet the guard skipped and, at the
  /// end, of how many were skipped if more than one: each refusal is said once.
  void on_note(std::function<void(const std::string&)> note) { note_ = std::move(note); }

 private:
  void pump_up();
  /// Sorts the broker's framed bytes (lane or Paho), writes Paho's share, reads on.
  void advance_up();
  void pump_down();
  /// Writes what waits for the broker, one write at a time.
  void write_up();
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
  // Per connected modem, so kept small (a live fleet's memory per modem, bench/README.md):
  // Paho writes only CONNECT, PINGREQ and DISCONNECT now, read in as many pieces as needed.
  std::array<char, 4096> up_buf_{};
  std::array<char, 512> down_buf_{};
  std::string up_detail_;
  packet_guard guard_;
  std::string up_frames_;                            ///< what the guard let through, not yet sorted into whole packets
  std::string to_paho_;                              ///< the broker's packets for Paho, being written to Paho
  std::function<void(std::string_view)> lane_;       ///< set by take_over()
  std::string down_frames_;                          ///< Paho's bytes short of a whole packet
  std::string up_out_;                               ///< whole packets waiting for the broker
  std::string up_writing_;                           ///< being written to the broker
  std::vector<std::function<void(bool)>> out_done_;  ///< run once up_out_ is written
  std::vector<std::function<void(bool)>> writing_done_;  ///< run once up_writing_ is written
  std::function<void(const std::string&)> note_;
  std::uint64_t skipped_ = 0;
  bool bad_connack_ = false;
  bool up_ended_ = false;
  bool closed_ = false;
  bool up_reading_ = false;
  bool paho_writing_ = false;
  bool holding_ = false;  ///< a lane packet waits for take_over() or for the pause to end
  bool paused_ = false;
  bool writing_up_ = false;
  bool down_paused_ = false;  ///< Paho's bytes wait while the broker's side is far behind
  bool paho_told_end_ = false;
  bool paho_spoke_ = false;    // Paho's first bytes (its CONNECT) arrived: no more nudging
  bool paho_nodelay_ = false;  ///< Paho's socket found and its Nagle off: no TCP_QUICKACK on ours
  int nudges_ = 0;
  bool counted_waiting_ = false;  ///< counted in waiting_for_paho()
};

}  // namespace nt35e::paho::detail
