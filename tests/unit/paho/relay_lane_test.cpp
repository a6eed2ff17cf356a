// The relay's two lanes (paho/relay.hpp): before take_over() every broker packet goes to
// Paho except the first PUBLISH or ack, which is held (with everything behind it) so that
// nothing overtakes the CONNACK on its way through Paho; after it, the lane's packets go
// to the sink in order and Paho gets only the rest; send() writes the backend's packets to
// the broker between Paho's, never inside one. Real loopback sockets: the test plays the
// broker (an acceptor) and Paho (a client of the relay's listener); one io_context runs
// everything, driven for bounded slices of time.

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "mqtt/wire.hpp"
#include "paho/relay.hpp"
#include "paho/upstream.hpp"

namespace {

namespace asio = boost::asio;
namespace wire = nt35e::mqtt::wire;
using tcp = asio::ip::tcp;
using nt35e::paho::detail::plain_upstream;
using nt35e::paho::detail::relay;

const std::string connect_packet("\x10\x00", 2);  // enough for the relay: it only frames
const std::string connack("\x20\x02\x00\x00", 4);
const std::string pingresp = wire::bare(wire::packet_type::pingresp);

class RelayLane : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_listener_.open(tcp::v4());
    broker_listener_.bind({asio::ip::address_v4::loopback(), 0});
    broker_listener_.listen();
    auto up = std::make_unique<plain_upstream>(io_.get_executor());
    up->socket().connect(broker_listener_.local_endpoint());
    broker_listener_.accept(broker_);

    relay_ = std::make_shared<relay>(io_.get_executor(), std::move(up));
    boost::system::error_code ec;
    const auto port = relay_->listen({}, ec);  // no turn from the process gate needed here
    ASSERT_FALSE(ec) << ec.message();
    relay_->start();
    paho_.connect({asio::ip::address_v4::loopback(), port});
    asio::write(paho_, asio::buffer(connect_packet));
    paho_.non_blocking(true);
    broker_.non_blocking(true);
    ASSERT_EQ(broker_reads(connect_packet.size()), connect_packet);
  }

  void TearDown() override {
    relay_->close();
    run_for(std::chrono::milliseconds(10));
  }

  void run_for(std::chrono::milliseconds d) {
    io_.restart();
    io_.run_for(d);
  }

  static std::string reads(tcp::socket& s) {
    std::string got;
    char buf[4096];
    for (;;) {
      boost::system::error_code ec;
      const auto n = s.read_some(asio::buffer(buf), ec);
      if (ec) break;
      got.append(buf, n);
    }
    return got;
  }
  /// What Paho (the broker) reads within at most 5 s, until `want` bytes came (bounded
  /// waits: a fixed short one was now and then too short on a loaded machine).
  std::string paho_reads(std::size_t want) { return read_until(paho_, want); }
  std::string broker_reads(std::size_t want) { return read_until(broker_, want); }
  std::string read_until(tcp::socket& s, std::size_t want) {
    std::string got;
    for (int i = 0; i < 250 && got.size() < want; ++i) {
      run_for(std::chrono::milliseconds(20));
      got += reads(s);
    }
    return got;
  }

  void take_over() {
    relay_->take_over([this](std::string_view p) { to_lane_.emplace_back(p); });
  }

  asio::io_context io_;
  tcp::acceptor broker_listener_{io_};
  tcp::socket broker_{io_};
  tcp::socket paho_{io_};
  std::shared_ptr<relay> relay_;
  std::vector<std::string> to_lane_;
};

TEST_F(RelayLane, BeforeTakeOverAPublishAndWhatFollowsWaitForIt) {
  const auto first = wire::publish("t", "kept", 1, false, 7);
  asio::write(broker_, asio::buffer(connack + first + pingresp));
  EXPECT_EQ(paho_reads(connack.size()), connack);
  run_for(std::chrono::milliseconds(100));
  EXPECT_EQ(reads(paho_), "") << "the PINGRESP behind the held PUBLISH overtook it";
  EXPECT_TRUE(to_lane_.empty());

  take_over();
  EXPECT_EQ(paho_reads(pingresp.size()), pingresp);
  ASSERT_EQ(to_lane_.size(), 1u);
  EXPECT_EQ(to_lane_[0], first);
}

TEST_F(RelayLane, AfterTakeOverTheLanesPacketsGoToTheSinkInOrderAndTheRestToPaho) {
  asio::write(broker_, asio::buffer(connack));
  ASSERT_EQ(paho_reads(connack.size()), connack);
  take_over();
  std::vector<std::string> sent = {wire::publish("a", "1", 0, false, 0),
                                   wire::ack(wire::packet_type::puback, 3),
                                   wire::suback(4, 0x80),
                                   wire::ack(wire::packet_type::unsuback, 5),
                                   wire::publish("b", std::string(3000, 'x'), 2, true, 9),
                                   wire::ack(wire::packet_type::pubrel, 9)};
  std::string stream;
  for (const auto& p : sent) stream += p;
  stream += pingresp;
  // Cut in odd places: the relay frames across reads.
  for (std::size_t at = 0; at < stream.size(); at += 777) {
    asio::write(broker_, asio::buffer(stream.substr(at, 777)));
    run_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(paho_reads(pingresp.size()), pingresp);
  for (int i = 0; i < 100 && to_lane_.size() < sent.size(); ++i) run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(to_lane_, sent);
}

TEST_F(RelayLane, WhilePausedTheLaneGetsNothingAndOnResumeEverythingInOrder) {
  asio::write(broker_, asio::buffer(connack));
  ASSERT_EQ(paho_reads(connack.size()), connack);
  take_over();
  relay_->pause(true);
  std::string stream;
  std::vector<std::string> sent;
  for (int i = 0; i < 50; ++i) {
    sent.push_back(wire::publish("t", "m" + std::to_string(i), 0, false, 0));
    stream += sent.back();
  }
  asio::write(broker_, asio::buffer(stream));
  run_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(to_lane_.empty()) << to_lane_.size() << " packets reached the lane while paused";
  relay_->pause(false);
  for (int i = 0; i < 250 && to_lane_.size() < sent.size(); ++i) run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(to_lane_, sent);
}

TEST_F(RelayLane, SendGoesBetweenPahosPacketsNeverInsideOne) {
  // Paho's PINGREQ arrives in two pieces; the backend's PUBLISH is sent in between.
  const auto pingreq = wire::bare(wire::packet_type::pingreq);
  const auto mine = wire::publish("t", "mine", 1, false, 1);
  asio::write(paho_, asio::buffer(pingreq.substr(0, 1)));
  run_for(std::chrono::milliseconds(50));
  bool written = false;
  relay_->send(mine, [&](bool ok) { written = ok; });
  asio::write(paho_, asio::buffer(pingreq.substr(1)));
  EXPECT_EQ(broker_reads(mine.size() + pingreq.size()), mine + pingreq);
  EXPECT_TRUE(written);
}

TEST_F(RelayLane, PahosDisconnectThenCloseReachesTheBrokerAfterWhatWasSentBefore) {
  const auto mine = wire::publish("t", "last", 0, false, 0);
  const auto disconnect = wire::bare(wire::packet_type::disconnect);
  relay_->send(mine);
  asio::write(paho_, asio::buffer(disconnect));
  paho_.close();
  EXPECT_EQ(broker_reads(mine.size() + disconnect.size()), mine + disconnect);
  // Then the broker side ends.
  broker_.non_blocking(false);
  char c;
  boost::system::error_code ec;
  broker_.read_some(asio::buffer(&c, 1), ec);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
}

TEST_F(RelayLane, CloseEndsTheBrokerSideWithoutADisconnect) {
  relay_->send(wire::publish("t", "x", 0, false, 0));
  run_for(std::chrono::milliseconds(50));
  relay_->close();
  bool called = false;
  relay_->send("never", [&](bool) { called = true; });
  run_for(std::chrono::milliseconds(50));
  broker_.non_blocking(false);
  std::string from_relay;
  char buf[64];
  boost::system::error_code ec;
  for (;;) {
    const auto n = broker_.read_some(asio::buffer(buf), ec);
    if (ec) break;
    from_relay.append(buf, n);
  }
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  EXPECT_EQ(from_relay, wire::publish("t", "x", 0, false, 0)) << "no DISCONNECT, nothing after close";
  EXPECT_FALSE(called);
}

TEST_F(RelayLane, SendAfterTheBrokerClosedSaysNotWrittenAndPahoSeesTheEnd) {
  asio::write(broker_, asio::buffer(connack));
  ASSERT_EQ(paho_reads(connack.size()), connack);
  take_over();
  broker_.close();
  // Paho reads the end of stream (its own link-loss report follows from that).
  paho_.non_blocking(false);
  char c;
  boost::system::error_code ec;
  run_for(std::chrono::milliseconds(100));
  paho_.non_blocking(true);
  for (int i = 0; i < 100; ++i) {
    paho_.read_some(asio::buffer(&c, 1), ec);
    if (ec != asio::error::would_block) break;
    run_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(ec, asio::error::eof) << ec.message();
  std::optional<bool> written;
  relay_->send(wire::publish("t", "late", 0, false, 0), [&](bool ok) { written = ok; });
  ASSERT_TRUE(written.has_value()) << "told at once: the link is down";
  EXPECT_FALSE(*written);
}

}  // namespace
