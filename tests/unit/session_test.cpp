// The session (io/session): the one writer of every byte that goes to the DTE. Driven
// in-process on an io_context through a fake stream and a fake MQTT backend: the tests
// check that answers and URCs leave through one write at a time, in the order the
// module produced them, and that a URC which comes up while a command's answer is still
// due (or still being written) follows the final result instead of landing inside it.
// Time passes only as the io_context's timers run; nothing sleeps.

#include "io/session.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include <boost/asio/io_context.hpp>

#include "modem/profile.hpp"
#include "support/fake_backend.hpp"
#include "support/fake_dte_stream.hpp"

namespace nt35e::io {
namespace {

using namespace std::chrono_literals;

/// The answer to AT+CSQ with the built-in profile's signal, compact style.
constexpr std::string_view csq_answer = "\r\n+CSQ:23,99\r\n\r\nOK\r\n";
constexpr std::string_view ok = "\r\nOK\r\n";

/// A module that is already booted and registered (no banner, no registration URCs) and
/// answers basic commands at once; a test sets the delays it is about.
modem::profile quick_profile() {
  auto p = *modem::builtin_profile("nt35e");
  p.start_registered = true;
  p.timing.basic_result = 0;
  p.timing.cfg_ok = 0;
  p.timing.open_ok = 0;
  p.timing.first_open_ok = 0;
  p.timing.urc_after_backend = 0;
  return p;
}

/// scenario action inject_urc, as the control channel's "fire" sends it.
scenario::action inject_urc(std::string text) {
  scenario::action a;
  a.kind = scenario::action_kind::inject_urc;
  a.text = std::move(text);
  return a;
}

class Session : public ::testing::Test {
 protected:
  Session() : null_fd_(::open("/dev/null", O_WRONLY | O_CLOEXEC)), log_(log_level::error, null_fd_) {}
  ~Session() override {
    if (session_) session_->stop();
    session_.reset();
    if (null_fd_ >= 0) ::close(null_fd_);
  }

  /// Powers the module on with `p` and attaches a DTE whose writes complete at once, or
  /// wait for stream().complete_write() with `hold`.
  void start(const modem::profile& p, bool hold = false) {
    session_ = std::make_unique<session>(ctx_.get_executor(), p, &backend_, log_);
    stream_ = std::make_unique<test::fake_dte_stream>(ctx_.get_executor(), hold);
    session_->start();
    session_->attach(*stream_);
    settle();
  }

  /// start(p), then id 0 opened and connected by the fake backend; false if a step's
  /// answer did not come.
  bool start_connected(modem::profile p) {
    p.timing.ecmt_ok = 0;
    p.quirk.first_open_delay = false;
    start(p);
    module().receive("AT+ECMTOPEN=0,\"broker\",1883\r");
    settle();
    backend().deliver(mqtt::event::opened{0, true, ""});
    module().receive("AT+ECMTCONN=0\r");
    if (!run_until_written("AT+ECMTCONN=0\r\r\nOK\r\n")) return false;
    backend().deliver(mqtt::event::connack{0, 0});
    return run_until_written("+ECMTCONN:0,0,0");
  }

  /// Runs every handler that is ready now, and those they make ready, until none is.
  void settle() {
    ctx_.restart();
    ctx_.poll();
  }

  /// Runs the io_context, its timers included, until `text` has been written (false if
  /// not within `limit`), then settles.
  bool run_until_written(std::string_view text, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (stream_->written().find(text) == std::string::npos) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      ctx_.restart();
      ctx_.run_one_for(deadline - now);
    }
    settle();
    return true;
  }

  /// Completes held writes one at a time, each after the session had its turn, until
  /// none is left.
  void complete_all_writes() {
    settle();
    while (stream_->complete_write()) settle();
  }

  session& module() { return *session_; }
  test::fake_dte_stream& stream() { return *stream_; }
  test::fake_backend& backend() { return backend_; }

 private:
  boost::asio::io_context ctx_;
  int null_fd_;
  logger log_;
  test::fake_backend backend_;
  std::unique_ptr<test::fake_dte_stream> stream_;
  std::unique_ptr<session> session_;  // last: it holds references to the members above
};

TEST_F(Session, AnAnswerLeavesInOneWriteWithItsEcho) {
  start(quick_profile());
  module().receive("AT+CSQ\r");
  settle();
  ASSERT_EQ(stream().writes().size(), 1u);
  EXPECT_EQ(stream().writes()[0], "AT+CSQ\r" + std::string(csq_answer));
}

// A backend that refuses a publish answers from inside submit(); the session hands that to
// the modem before its own timers, so the module's QoS 0 report, due at once with zero
// delays, says 2 (not sent), not 0 (mqtt::backend, docs/reliability.md).
TEST_F(Session, APublishRefusedInsideSubmitIsReportedBeforeTheModemsOwnQos0Report) {
  auto p = quick_profile();
  p.timing.qos0_publish_urc = 0;
  ASSERT_TRUE(start_connected(p)) << stream().written();
  backend().refuse_publishes();
  module().receive("AT+ECMTPUB=0,1,0,0,\"t\",\"x\"\r");
  ASSERT_TRUE(run_until_written("+ECMTPUB:0,1,")) << stream().written();
  EXPECT_NE(stream().written().find("+ECMTPUB:0,1,2\r\n"), std::string::npos) << stream().written();
  EXPECT_EQ(stream().written().find("+ECMTPUB:0,1,0"), std::string::npos) << stream().written();
}

// The module reads its socket no faster than it handles what it read: while too many
// incoming messages wait for their receive delay (§8 recv_urc), the backend is asked to
// leave the broker's next ones in the network, and to go on once half are handled.
TEST_F(Session, ManyMessagesWaitingForTheModemPauseTheBackendUntilHalfAreHandled) {
  auto p = quick_profile();
  // Long enough that none comes due while the test hands them over (run() handles work
  // already due at once, and a sanitizer build is slow to copy 64 KiB messages).
  p.timing.recv_urc = 2000;
  ASSERT_TRUE(start_connected(p)) << stream().written();

  const int n = static_cast<int>(session::max_held_messages);
  for (int i = 1; i < n; ++i) backend().deliver(mqtt::event::message{0, i, "t", "x", 1, false});
  EXPECT_TRUE(backend().pauses().empty()) << "paused before the bound";
  backend().deliver(mqtt::event::message{0, n, "t", "x", 1, false});
  ASSERT_EQ(backend().pauses(), std::vector<bool>{true});
  // Their receive delay passes: every one is reported, and the backend may go on.
  ASSERT_TRUE(run_until_written("+ECMTRECV:0," + std::to_string(n) + ",")) << stream().written().size();
  EXPECT_EQ(backend().pauses(), (std::vector<bool>{true, false}));

  // Large messages count by their bytes.
  const std::string big(64 * 1024, 'b');
  const int big_ones = static_cast<int>(session::max_held_bytes / big.size());
  for (int i = 0; i < big_ones; ++i) backend().deliver(mqtt::event::message{0, 1, "t", big, 1, false});
  EXPECT_EQ(backend().pauses(), (std::vector<bool>{true, false, true}));
  // A reboot drops what the modem held (the firmware's queue is lost): receiving goes on.
  scenario::action reboot;
  reboot.kind = scenario::action_kind::reboot;
  module().fire(reboot);
  settle();
  EXPECT_EQ(backend().pauses(), (std::vector<bool>{true, false, true, false}));
}

TEST_F(Session, OneWriteAtATimeAndEveryByteInOrder) {
  start(quick_profile(), /*hold=*/true);
  // While the first answer is still being written, the module answers two more command
  // lines and a URC comes up between them: all of it waits for the writer, in order.
  module().receive("AT\r");
  settle();
  ASSERT_EQ(stream().held(), 1u);
  module().receive("AT+CSQ\r");
  settle();
  module().fire(inject_urc("+TEST:1"));
  settle();
  module().receive("ATE0\r");
  settle();
  EXPECT_EQ(stream().writes().size(), 1u) << "a second write started while the first was outstanding";

  complete_all_writes();
  EXPECT_EQ(stream().written(), "AT\r" + std::string(ok) + "AT+CSQ\r" + std::string(csq_answer) + "\r\n+TEST:1\r\n" +
                                    "ATE0\r" + std::string(ok));
  EXPECT_EQ(stream().max_outstanding(), 1u);
  EXPECT_EQ(stream().outstanding(), 0u);
  EXPECT_GE(stream().writes().size(), 2u);
  EXPECT_FALSE(stream().changed_in_flight()) << "the session changed bytes it had handed to the writer";
}

// A DTE that never reads (its writes never complete): what waits for it, the write in
// flight included, stays within max_queued_bytes; the rest is dropped whole and counted
// in the snapshot's counters. Once it reads again, the queue drains and new output flows.
TEST_F(Session, ADteThatNeverReadsCostsAtMostTheQueueBound) {
  start(quick_profile(), /*hold=*/true);
  const std::string payload(60000, 'U');
  const std::size_t urc_size = payload.size() + 4;                 // "\r\n" + text + "\r\n"
  const std::size_t n = 2 * session::max_queued_bytes / urc_size;  // twice what may wait
  for (std::size_t i = 0; i < n; ++i) {
    module().fire(inject_urc(payload));
    settle();
  }
  ASSERT_EQ(stream().held(), 1u);
  const auto dropped = module().snapshot().count.output_dropped_bytes;
  const std::size_t kept_urcs = session::max_queued_bytes / urc_size;
  EXPECT_EQ(dropped, (n - kept_urcs) * urc_size) << "the write in flight counts toward the bound";
  complete_all_writes();
  EXPECT_EQ(stream().written().size(), kept_urcs * urc_size);
  EXPECT_EQ(stream().written().size() % urc_size, 0u) << "a URC is dropped whole, never cut";
  module().receive("AT\r");
  complete_all_writes();
  EXPECT_EQ(stream().written().substr(stream().written().size() - 9), "AT\r" + std::string(ok));
  EXPECT_EQ(module().snapshot().count.output_dropped_bytes, dropped);
}

TEST_F(Session, ABurstOfUrcsKeepsItsOrderBehindAWrite) {
  start(quick_profile(), /*hold=*/true);
  for (int i = 0; i < 50; ++i) {
    module().fire(inject_urc("+TEST:" + std::to_string(i)));
    if (i % 7 == 0) stream().complete_write();  // the writer finishes now and then
    settle();
  }
  complete_all_writes();
  std::string expected;
  for (int i = 0; i < 50; ++i) expected += "\r\n+TEST:" + std::to_string(i) + "\r\n";
  EXPECT_EQ(stream().written(), expected);
  EXPECT_EQ(stream().max_outstanding(), 1u);
  EXPECT_FALSE(stream().changed_in_flight());
}

TEST_F(Session, AUrcFromTheNetworkWaitsForTheFinalResult) {
  auto p = quick_profile();
  p.timing.first_open_ok = 200;  // the OK to AT+ECMTOPEN is still due when the broker answers
  start(p);
  const std::string cmd = "AT+ECMTOPEN=0,\"test.mosquitto.org\",1883\r";
  module().receive(cmd);
  settle();
  EXPECT_TRUE(backend().requests().empty()) << "the open starts when its OK is written (A.3)";

  // A URC falls due before the module has said OK.
  module().fire(inject_urc("+TEST:1"));
  settle();
  EXPECT_EQ(stream().written(), cmd) << "the URC was written before the command's final result";

  ASSERT_TRUE(run_until_written("+TEST:")) << stream().written();
  EXPECT_EQ(stream().written(), cmd + std::string(ok) + "\r\n+TEST:1\r\n");
  ASSERT_EQ(backend().requests().size(), 1u);
  EXPECT_TRUE(std::holds_alternative<mqtt::request::open>(backend().requests()[0]));
}

TEST_F(Session, AUrcFiredDuringADelayedAnswerFollowsIt) {
  auto p = quick_profile();
  p.timing.basic_result = 200;  // AT+CSQ answers 200 ms after its line (ample on a busy machine)
  start(p);
  module().receive("AT+CSQ\r");
  settle();
  module().fire(inject_urc("+TEST:1"));
  settle();
  EXPECT_EQ(stream().written(), "AT+CSQ\r") << "the URC was written inside the command's answer";

  ASSERT_TRUE(run_until_written("+TEST:1")) << stream().written();
  EXPECT_EQ(stream().written(), "AT+CSQ\r" + std::string(csq_answer) + "\r\n+TEST:1\r\n");
}

TEST_F(Session, AUrcDuringTheAnswersWriteGoesInTheNextWrite) {
  start(quick_profile(), /*hold=*/true);
  module().receive("AT+CSQ\r");
  settle();
  ASSERT_EQ(stream().held(), 1u);
  module().fire(inject_urc("+TEST:1"));
  settle();
  ASSERT_EQ(stream().writes().size(), 1u);
  EXPECT_EQ(stream().writes()[0], "AT+CSQ\r" + std::string(csq_answer));

  complete_all_writes();
  ASSERT_EQ(stream().writes().size(), 2u);
  EXPECT_EQ(stream().writes()[1], "\r\n+TEST:1\r\n");
  EXPECT_EQ(stream().max_outstanding(), 1u);
}

}  // namespace
}  // namespace nt35e::io
