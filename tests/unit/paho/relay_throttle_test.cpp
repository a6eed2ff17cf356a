// The relay's back-pressure (paho/backlog.hpp): while the modem has `high` broker events
// waiting, the relay leaves the broker's bytes in the kernel; once the modem is down to
// `low`, it reads again and every byte arrives, in order, none lost. Real loopback
// sockets: the test plays the broker (an acceptor) and Paho (a client of the relay's
// listener); one io_context runs everything, driven for bounded slices of time.

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "paho/backlog.hpp"
#include "paho/relay.hpp"
#include "paho/upstream.hpp"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using nt35e::paho::detail::backlog;
using nt35e::paho::detail::plain_upstream;
using nt35e::paho::detail::relay;

/// A QoS 0 PUBLISH to "t" carrying `payload` (under 128 bytes of remaining length).
std::string publish(const std::string& payload) {
  std::string body("\x00\x01t", 3);
  body += payload;
  std::string out;
  out += '\x30';
  out += static_cast<char>(body.size());
  return out + body;
}

class RelayThrottle : public ::testing::Test {
 protected:
  void SetUp() override {
    // The broker: a listener on loopback; the relay's upstream connects to it.
    broker_listener_.open(tcp::v4());
    broker_listener_.bind({asio::ip::address_v4::loopback(), 0});
    broker_listener_.listen();
    auto up = std::make_unique<plain_upstream>(io_.get_executor());
    up->socket().connect(broker_listener_.local_endpoint());
    broker_listener_.accept(broker_);

    relay_ = std::make_shared<relay>(io_.get_executor(), std::move(up));
    backlog_ = std::make_shared<backlog>();
    relay_->throttle_by(backlog_);
    boost::system::error_code ec;
    const auto port = relay_->listen({}, ec);  // no turn from the process gate needed here
    ASSERT_FALSE(ec) << ec.message();
    relay_->start();
    // Paho: connects to the relay and speaks first, as Paho does with its CONNECT.
    paho_.connect({asio::ip::address_v4::loopback(), port});
    asio::write(paho_, asio::buffer(std::string("\x10\x00", 2)));
    // The broker's CONNACK first: the relay's guard refuses any other first packet.
    const std::string connack("\x20\x02\x00\x00", 4);
    asio::write(broker_, asio::buffer(connack));
    // Until the CONNACK is through, at most 5 s: one fixed 50 ms was now and then too
    // short on a loaded machine (a CI run saw nothing forwarded yet).
    paho_.non_blocking(true);
    std::string got;
    for (int i = 0; i < 100 && got.size() < connack.size(); ++i) {
      run_for(std::chrono::milliseconds(50));
      got += paho_reads();
    }
    ASSERT_EQ(got, connack);
  }

  void TearDown() override {
    relay_->close();
    run_for(std::chrono::milliseconds(10));
  }

  void run_for(std::chrono::milliseconds d) {
    io_.restart();
    io_.run_for(d);
  }

  /// What Paho can read now, without waiting.
  std::string paho_reads() {
    std::string got;
    char buf[4096];
    for (;;) {
      boost::system::error_code ec;
      const auto n = paho_.read_some(asio::buffer(buf), ec);
      if (ec) break;
      got.append(buf, n);
    }
    return got;
  }

  asio::io_context io_;
  tcp::acceptor broker_listener_{io_};
  tcp::socket broker_{io_};
  tcp::socket paho_{io_};
  std::shared_ptr<relay> relay_;
  std::shared_ptr<backlog> backlog_;
};

TEST_F(RelayThrottle, ForwardsWhileTheModemKeepsUp) {
  const auto p = publish("a");
  asio::write(broker_, asio::buffer(p));
  run_for(std::chrono::milliseconds(100));
  EXPECT_EQ(paho_reads(), p);
}

TEST_F(RelayThrottle, StopsReadingTheBrokerWhileFullAndResumesAtLowWithNothingLost) {
  // The modem is behind: `high` events wait.
  for (int i = 0; i < backlog::high; ++i) backlog_->posted();
  ASSERT_TRUE(backlog_->full());
  // The relay's read in flight (started before the backlog filled) may still carry one
  // chunk; after it, the relay must not read again.
  const auto first = publish("first");
  asio::write(broker_, asio::buffer(first));
  run_for(std::chrono::milliseconds(100));
  EXPECT_EQ(paho_reads(), first);

  std::string held;
  for (int i = 0; i < 20; ++i) held += publish("held-" + std::to_string(i));
  asio::write(broker_, asio::buffer(held));
  run_for(std::chrono::milliseconds(200));
  EXPECT_EQ(paho_reads(), "") << "the relay read the broker while the modem was full";

  // The modem works down to one above `low`: still paused (resume happens at `low`).
  for (int i = backlog::high; i > backlog::low + 1; --i) backlog_->ran();
  run_for(std::chrono::milliseconds(100));
  EXPECT_EQ(paho_reads(), "");

  backlog_->ran();  // reaches `low`
  std::string got;
  for (int i = 0; i < 20 && got.size() < held.size(); ++i) {
    run_for(std::chrono::milliseconds(20));
    got += paho_reads();
  }
  EXPECT_EQ(got, held) << "bytes lost or reordered across the pause";
}

TEST_F(RelayThrottle, CloseWhilePausedEndsBothSides) {
  for (int i = 0; i < backlog::high; ++i) backlog_->posted();
  asio::write(broker_, asio::buffer(publish("x")));
  run_for(std::chrono::milliseconds(50));
  (void)paho_reads();
  asio::write(broker_, asio::buffer(publish("y")));
  run_for(std::chrono::milliseconds(50));
  relay_->close();
  run_for(std::chrono::milliseconds(50));
  // The broker sees the link end without a DISCONNECT (the will's condition).
  broker_.non_blocking(false);
  char buf[64];
  boost::system::error_code ec;
  std::string from_relay;
  for (;;) {
    const auto n = broker_.read_some(asio::buffer(buf), ec);
    if (ec) break;
    from_relay.append(buf, n);
  }
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  EXPECT_EQ(from_relay, std::string("\x10\x00", 2)) << "only Paho's CONNECT, no DISCONNECT";
  // A late on_low after close does nothing (no crash, no read on a closed socket).
  for (int i = backlog::high; i > backlog::low; --i) backlog_->ran();
  run_for(std::chrono::milliseconds(20));
}

}  // namespace
