// The driver's suite on the nt35e::gtest fixture: every test gets a fresh virtual modem
// (TCP on a free port, no boot delay); a failed test gets the modem's transcript and
// report attached (see the output of DeliberateFailure).

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "driver.hpp"
#include "sdk/gtest.hpp"

namespace {

class driver_test : public nt35e::sdk::modem_test {
 protected:
  example::driver make_driver(example::config c = {}) {
    return example::driver(example::line::open_tcp("127.0.0.1", sim().tcp_port()), std::move(c));
  }
};

TEST_F(driver_test, HappyFlowOpenConnectSubscribePublish) {
  auto d = make_driver();
  ASSERT_TRUE(d.start()) << d.last_error();
  ASSERT_TRUE(d.publish("21.5")) << d.last_error();
  // The scripted broker delivers the publish back to the matching subscription.
  auto m = d.next_message(std::chrono::seconds(5));
  ASSERT_TRUE(m.has_value()) << "no +ECMTRECV";
  EXPECT_EQ(*m, "21.5");
  EXPECT_EQ(d.auth_refusals(), 0);
}

// The same flow over a pseudo-terminal, as on a real UART (the PTY's path is unique per test).
class pty_driver_test : public nt35e::sdk::modem_test {
 protected:
  nt35e::sdk::options modem_options() const override {
    auto o = modem_test::modem_options();
    o.line = nt35e::sdk::line_kind::pty;
    return o;
  }
};

TEST_F(pty_driver_test, HappyFlowOverAPty) {
  example::driver d(example::line::open_pty(sim().pty_path()), {});
  ASSERT_TRUE(d.start()) << d.last_error();
  ASSERT_TRUE(d.publish("over the pty")) << d.last_error();
  EXPECT_EQ(d.next_message(std::chrono::seconds(5)).value_or(""), "over the pty");
}

class auth_once_test : public driver_test {
 protected:
  nt35e::sdk::options modem_options() const override {
    auto o = driver_test::modem_options();
    o.scenario_file = EXAMPLE_SCENARIOS_DIR "/auth-once.json";
    return o;
  }
};

TEST_F(auth_once_test, RecoversFromAnAuthenticationRefusal) {
  auto d = make_driver();
  ASSERT_TRUE(d.start()) << d.last_error();
  EXPECT_EQ(d.auth_refusals(), 1);
  ASSERT_TRUE(d.publish("after refusal")) << d.last_error();
}

TEST_F(driver_test, RecoversFromABrokerDrop) {
  auto d = make_driver();
  ASSERT_TRUE(d.start()) << d.last_error();
  sim().fire("drop_link");  // the module reports +ECMTSTAT:0,1 and reconnects by itself
  ASSERT_TRUE(d.publish("after drop")) << d.last_error();
  EXPECT_EQ(d.link_losses(), 1);
  // Resubscribed: the message comes back.
  auto m = d.next_message(std::chrono::seconds(5));
  ASSERT_TRUE(m.has_value()) << "no +ECMTRECV after the reconnect";
  EXPECT_EQ(*m, "after drop");
}

// Fails on purpose, to show what a failure carries: run with NT35E_EXAMPLE_SHOW_FAILURE=1.
TEST_F(driver_test, DeliberateFailure) {
  if (!std::getenv("NT35E_EXAMPLE_SHOW_FAILURE")) GTEST_SKIP() << "set NT35E_EXAMPLE_SHOW_FAILURE=1 to see it fail";
  auto d = make_driver();
  ASSERT_TRUE(d.start()) << d.last_error();
  ASSERT_TRUE(d.publish("hello")) << d.last_error();
  EXPECT_EQ(d.next_message(std::chrono::seconds(5)).value_or(""), "a message nobody sent")
      << "deliberate failure: the transcript of the modem follows";
}

}  // namespace
