#include "paho/waker.hpp"

#include <mqtt/async_client.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <string>
#include <thread>

namespace nt35e::paho::detail {
namespace {

/// Writes Paho an unsolicited PINGRESP (D0 00), which it reads as a no-op; false once the
/// connection is gone (a full buffer or an interrupted call is not that).
bool send_pingresp(int fd) {
  static const unsigned char pingresp[2] = {0xD0, 0x00};
  return ::send(fd, pingresp, sizeof pingresp, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0 || errno == EAGAIN ||
         errno == EWOULDBLOCK || errno == EINTR;
}

}  // namespace

waker& waker::instance() {
  static waker* w = new waker;  // intentionally never destroyed (see waker.hpp)
  return *w;
}

void waker::poke() {
  const int fd = fd_.load(std::memory_order_acquire);
  if (fd < 0) return;
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  auto last = last_poke_.load(std::memory_order_relaxed);
  const auto min_gap =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::milliseconds(2)).count();
  if (now - last < min_gap || !last_poke_.compare_exchange_strong(last, now)) return;
  send_pingresp(fd);
}

void waker::keep_awake(int fd) {
  // Paho's receive thread polls its sockets for up to 1 s and, when that poll ends with
  // nothing to read, sleeps 100 ms before polling again (MQTTAsync_cycle). A message that
  // arrives during that sleep waits for it to end: measured, 7 of 40 messages sent after
  // 1.0-1.6 s of quiet reached the DTE 44-100 ms late (p50 0.6 ms). A PINGRESP well
  // within every second keeps that poll from ever ending empty.
  do {
    std::this_thread::sleep_for(keep_awake_period);
  } while (send_pingresp(fd));  // until Paho drops the waker's connection: nothing left to keep awake
}

waker::waker() {
  const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0) return;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(lfd, 1) != 0 ||
      ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(lfd);
    return;
  }
  try {
    client_ = std::make_unique<::mqtt::async_client>("tcp://127.0.0.1:" + std::to_string(ntohs(a.sin_port)),
                                                     "nt35e-sim-paho-waker", ::mqtt::create_options(MQTTVERSION_3_1_1));
    ::mqtt::connect_options co;
    co.set_mqtt_version(MQTTVERSION_3_1_1);
    co.set_keep_alive_interval(0);
    co.set_clean_session(true);
    co.set_automatic_reconnect(false);
    client_->connect(co);
  } catch (const std::exception&) {
    ::close(lfd);
    return;
  }
  // The handshake on a thread of its own, so no caller ever waits for it (the thread then
  // stays to keep Paho awake); until it is done poke() does nothing.
  std::thread([this, lfd] {
    timeval tv{5, 0};
    ::setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    ::close(lfd);
    if (fd < 0) return;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    unsigned char buf[256];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);  // the CONNECT (one small packet)
    static const unsigned char connack[4] = {0x20, 0x02, 0x00, 0x00};
    if (n < 2 || buf[0] != 0x10 || ::send(fd, connack, sizeof connack, MSG_NOSIGNAL) != 4) {
      ::close(fd);
      return;
    }
    fd_.store(fd, std::memory_order_release);
    keep_awake(fd);
  }).detach();
}

}  // namespace nt35e::paho::detail
