// A DTE's TCP line (io/tcp_transport), alone and as a fleet's lane (where the socket
// leaves asio's reactor for io/ready_poller and is read and written directly): input
// reaches the port, a write larger than every socket buffer arrives whole and in order
// at a reader that falls behind, and a reader that hangs up mid-write ends the write
// with an error and detaches the port. Real loopback sockets; every wait bounded.

#include "io/tcp_transport.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "io/fair_scheduler.hpp"
#include "io/logger.hpp"

namespace nt35e::io {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

/// The session's side, recording what the line did; waited on from the test's thread.
struct recording_port : dte_port {
  std::mutex m;
  std::condition_variable changed;
  dte_stream* stream = nullptr;
  std::string received;
  int attaches = 0, detaches = 0;

  void attach(dte_stream& s) override {
    std::lock_guard lock(m);
    stream = &s;
    ++attaches;
    changed.notify_all();
  }
  void detach() override {
    std::lock_guard lock(m);
    stream = nullptr;
    ++detaches;
    changed.notify_all();
  }
  void receive(std::string_view bytes) override {
    std::lock_guard lock(m);
    received += bytes;
    changed.notify_all();
  }
  template <class Pred>
  bool wait(Pred p, std::chrono::milliseconds d = 5s) {
    std::unique_lock lock(m);
    return changed.wait_for(lock, d, [&] { return p(); });
  }
};

/// A client socket whose receive buffer is small, so the line's writes fill it at once.
int connect_small_reader(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  timeval tv{5, 0};  // no read or write below waits for ever
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// `n` bytes that show where each one belongs: a line cut or reordered is seen.
std::string pattern(std::size_t n) {
  std::string s;
  s.reserve(n);
  for (std::size_t i = 0; s.size() < n; ++i) s += std::to_string(i) + "\r\n";
  s.resize(n);
  return s;
}

struct TcpLine : ::testing::TestWithParam<bool> {
  net::io_context ioc;
  std::optional<fair_scheduler> lanes;
  net::any_io_executor ex;
  logger log{log_level::error};
  recording_port port;
  std::unique_ptr<tcp_transport> line;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::thread runner;
  int client = -1;

  void SetUp() override {
    if (GetParam()) {
      lanes.emplace(ioc, 1);
      ex = net::any_io_executor(lanes->make_lane());
    } else {
      ex = ioc.get_executor();
    }
    line = std::make_unique<tcp_transport>(ex, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0), log);
    line->start(port);
    work.emplace(ioc.get_executor());
    runner = std::thread([this] { ioc.run(); });
    client = connect_small_reader(line->local_endpoint().port());
    ASSERT_GE(client, 0);
    ASSERT_TRUE(port.wait([&] { return port.stream != nullptr; })) << "no attach";
  }
  void TearDown() override {
    if (client >= 0) ::close(client);
    std::atomic<bool> stopped{false};
    net::post(ex, [&] {
      line->stop();
      stopped = true;
      std::lock_guard lock(port.m);
      port.changed.notify_all();
    });
    EXPECT_TRUE(port.wait([&] { return stopped.load(); }));
    work.reset();
    ioc.stop();
    if (runner.joinable()) runner.join();
  }

  /// Starts a write of `bytes` on the line's executor; `result` gets its outcome.
  void write(const std::string& bytes, std::atomic<int>& calls, boost::system::error_code& result) {
    net::post(ex, [&] {
      port.stream->async_write(net::buffer(bytes), [&](const boost::system::error_code& ec) {
        std::lock_guard lock(port.m);
        result = ec;
        ++calls;
        port.changed.notify_all();
      });
    });
  }
};

TEST_P(TcpLine, InputReachesThePort) {
  ASSERT_EQ(::send(client, "AT\r", 3, MSG_NOSIGNAL), 3);
  ASSERT_EQ(::send(client, "ATI\r", 4, MSG_NOSIGNAL), 4);
  EXPECT_TRUE(port.wait([&] { return port.received == "AT\rATI\r"; })) << port.received;
}

TEST_P(TcpLine, AWriteLargerThanTheSocketBuffersArrivesWholeAtAReaderThatFallsBehind) {
  const std::string big = pattern(8 * 1024 * 1024);
  std::atomic<int> calls{0};
  boost::system::error_code result = net::error::would_block;
  write(big, calls, result);
  std::this_thread::sleep_for(200ms);  // the reader falls behind: the line must wait to write
  EXPECT_EQ(calls.load(), 0) << "the write finished before its bytes could have left";
  std::string got;
  got.reserve(big.size());
  char buf[65536];
  for (int reads = 0; got.size() < big.size() && reads < 1'000'000; ++reads) {
    const ssize_t n = ::recv(client, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  ASSERT_EQ(got.size(), big.size());
  EXPECT_TRUE(got == big) << "bytes out of order or changed";
  EXPECT_TRUE(port.wait([&] { return calls.load() == 1; }));
  EXPECT_FALSE(result) << result.message();
  // The line still reads after a long write.
  ASSERT_EQ(::send(client, "AT\r", 3, MSG_NOSIGNAL), 3);
  EXPECT_TRUE(port.wait([&] { return port.received == "AT\r"; })) << port.received;
}

TEST_P(TcpLine, AReaderThatHangsUpMidWriteEndsTheWriteWithAnErrorAndDetaches) {
  const std::string big = pattern(8 * 1024 * 1024);
  std::atomic<int> calls{0};
  boost::system::error_code result;
  write(big, calls, result);
  char buf[1024];
  ASSERT_GT(::recv(client, buf, sizeof buf, 0), 0);
  ::close(client);
  client = -1;
  ASSERT_TRUE(port.wait([&] { return calls.load() == 1; })) << "the write never ended";
  EXPECT_TRUE(result) << "a write to a reader that hung up reported success";
  EXPECT_TRUE(port.wait([&] { return port.detaches == 1; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(calls.load(), 1) << "the write's handler ran twice";
}

TEST_P(TcpLine, AnotherDteCanConnectAfterTheFirstLeft) {
  ::close(client);
  client = -1;
  ASSERT_TRUE(port.wait([&] { return port.detaches == 1; }));
  client = connect_small_reader(line->local_endpoint().port());
  ASSERT_GE(client, 0);
  ASSERT_TRUE(port.wait([&] { return port.attaches == 2; }));
  ASSERT_EQ(::send(client, "AT\r", 3, MSG_NOSIGNAL), 3);
  EXPECT_TRUE(port.wait([&] { return port.received == "AT\r"; })) << port.received;
}

INSTANTIATE_TEST_SUITE_P(AloneAndInAFleet, TcpLine, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "fleet_lane" : "alone"; });

}  // namespace
}  // namespace nt35e::io
