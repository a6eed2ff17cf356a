#include <gtest/gtest.h>

#include <set>

#include "modem/fleet_identity.hpp"

namespace nt35e::modem {
namespace {

TEST(FleetIdentity, UniqueLuhnValidAndSized) {
  std::set<std::string> imeis, imsis, iccids;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    auto p = *builtin_profile("nt35e");
    ASSERT_TRUE(apply_fleet_identity(p, i));
    EXPECT_TRUE(luhn_valid(p.imei)) << p.imei;
    EXPECT_EQ(p.imei.size(), 15u);
    EXPECT_EQ(p.imei.substr(0, 8), "86612304") << "the model's TAC is kept";
    EXPECT_EQ(p.imsi.size(), 15u);
    EXPECT_EQ(p.iccid.size(), 20u);
    imeis.insert(p.imei);
    imsis.insert(p.imsi);
    iccids.insert(p.iccid);
  }
  EXPECT_EQ(imeis.size(), 2000u);
  EXPECT_EQ(imsis.size(), 2000u);
  EXPECT_EQ(iccids.size(), 2000u);
  auto p = *builtin_profile("nt35e");
  EXPECT_FALSE(apply_fleet_identity(p, max_fleet_index + 1));
}

}  // namespace
}  // namespace nt35e::modem
