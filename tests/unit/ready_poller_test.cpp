// The fleet's readiness set (io/ready_poller): one call per arm, at once when the
// socket is already ready, none after the watch is gone, hundreds of ready lines.
// Real sockets (socketpair), an io_context run on the test's thread; every wait bounded.

#include "io/ready_poller.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

namespace nt35e::io {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

struct socket_pair {
  int ours = -1, theirs = -1;
  socket_pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0) {
      ours = fds[0];
      theirs = fds[1];
    }
  }
  ~socket_pair() {
    if (ours >= 0) ::close(ours);
    if (theirs >= 0) ::close(theirs);
  }
  void send(const char* text) const { ASSERT_GT(::send(theirs, text, std::strlen(text), MSG_NOSIGNAL), 0); }
  void drain() const {
    char buf[256];
    while (::recv(ours, buf, sizeof buf, MSG_DONTWAIT) > 0) {}
  }
};

struct ReadyPoller : ::testing::Test {
  net::io_context ioc;
  ready_poller poller{ioc};
  std::vector<std::uint32_t> calls;

  std::unique_ptr<ready_poller::watch> watch(int fd) {
    return poller.add(fd, ioc.get_executor(), [this](std::uint32_t events) { calls.push_back(events); });
  }
  void arm(ready_poller::watch& w, std::uint32_t events) {
    boost::system::error_code ec;
    ASSERT_TRUE(w.arm(events, ec)) << ec.message();
  }
  /// Runs the io_context for `d` (the poller's wait keeps it from running out of work).
  void run_for(std::chrono::milliseconds d) {
    ioc.restart();
    ioc.run_for(d);
  }
};

TEST_F(ReadyPoller, OneCallPerArmWhenInputComes) {
  ASSERT_TRUE(poller.valid());
  socket_pair p;
  auto w = watch(p.ours);
  arm(*w, EPOLLIN);
  run_for(50ms);
  EXPECT_TRUE(calls.empty()) << "called with nothing to read";
  p.send("AT\r");
  run_for(200ms);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_NE(calls[0] & EPOLLIN, 0u);
  p.send("AT\r");  // not armed again: no call, however much comes
  run_for(50ms);
  EXPECT_EQ(calls.size(), 1u);
}

TEST_F(ReadyPoller, InputThatCameBeforeTheArmIsNotMissed) {
  socket_pair p;
  auto w = watch(p.ours);
  p.send("AT\r");
  arm(*w, EPOLLIN);
  run_for(200ms);
  ASSERT_EQ(calls.size(), 1u);
  // Armed again without reading: the input is still there, so it is ready again.
  arm(*w, EPOLLIN);
  run_for(200ms);
  EXPECT_EQ(calls.size(), 2u);
  p.drain();
  arm(*w, EPOLLIN);
  run_for(50ms);
  EXPECT_EQ(calls.size(), 2u) << "called after the input was read";
}

TEST_F(ReadyPoller, WritableAndHungUpAreReported) {
  socket_pair p;
  auto w = watch(p.ours);
  arm(*w, EPOLLOUT);
  run_for(200ms);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_NE(calls[0] & EPOLLOUT, 0u);
  ::close(p.theirs);
  p.theirs = -1;
  arm(*w, EPOLLIN);
  run_for(200ms);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_NE(calls[1] & (EPOLLIN | EPOLLHUP), 0u);
}

TEST_F(ReadyPoller, NoCallOnceTheWatchIsGone) {
  socket_pair p;
  auto w = watch(p.ours);
  arm(*w, EPOLLIN);
  w.reset();
  p.send("AT\r");
  run_for(100ms);
  EXPECT_TRUE(calls.empty());
}

TEST_F(ReadyPoller, MoreReadyLinesThanAsioTakesPerPollAreAllCalled) {
  // More lines than asio's reactor takes per poll (128): all of them are called.
  constexpr int lines = 300;
  std::vector<std::unique_ptr<socket_pair>> pairs;
  std::vector<std::unique_ptr<ready_poller::watch>> watches;
  for (int i = 0; i < lines; ++i) {
    pairs.push_back(std::make_unique<socket_pair>());
    ASSERT_GE(pairs.back()->ours, 0);
    watches.push_back(watch(pairs.back()->ours));
    arm(*watches.back(), EPOLLIN);
    pairs.back()->send("AT\r");
  }
  ioc.restart();
  for (int i = 0; i < 100 && calls.size() < lines; ++i) ioc.run_for(20ms);
  EXPECT_EQ(calls.size(), static_cast<std::size_t>(lines));
}

TEST(ReadyPollerIdle, AnIoContextWithNoLineIsNotKeptRunning) {
  net::io_context ioc;
  ready_poller poller(ioc);
  ioc.run_for(2s);
  EXPECT_TRUE(ioc.stopped()) << "the poller kept an io_context without lines running";
}

}  // namespace
}  // namespace nt35e::io
