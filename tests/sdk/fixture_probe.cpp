// Run by the ctest sdk_fixture_setup_failure (not a test binary of its own): a fixture
// whose modem cannot start must fail SetUp with the simulator's one-line message, and
// the test body must not run.

#include <cstdio>

#include <gtest/gtest.h>

#include "sdk/gtest.hpp"

namespace {

class unknown_profile : public nt35e::sdk::modem_test {
 protected:
  nt35e::sdk::options modem_options() const override {
    auto o = modem_test::modem_options();
    o.profile = "nt99";
    return o;
  }
};

TEST_F(unknown_profile, NeverRuns) { std::puts("the body ran"); }

}  // namespace
