// Spec appendix A.16-A.19 through the sans-I/O core, byte for byte, in both profiles.
// The appendix shows nt35e (compact style). The ec616s bytes are derived from the spec's
// rules, not copied from it: the spaced style (§2.5), the plain build's +CEREG (location
// quoted and only when known, §4.4.3), +COPS (§4.4.4), AcT 9, and quirk
// cgreg_not_supported, under which every form of AT+CGREG answers ERROR (§3.2, §4.4.2).

#include <gtest/gtest.h>

#include <string>

#include "modem/profile.hpp"
#include "support/core_harness.hpp"

namespace nt35e::test {
namespace {

using ms = std::chrono::milliseconds;

const std::string ok = "\r\nOK\r\n";
const std::string error = "\r\nERROR\r\n";
/// "<< text": one module line.
std::string line(std::string_view t) { return "\r\n" + std::string(t) + "\r\n"; }

class Appendix : public ::testing::TestWithParam<const char*> {
 protected:
  explicit Appendix(std::initializer_list<std::pair<const char*, const char*>> settings = {}) : h(profile(settings)) {
    h.boot_and_register();
    h.exchange("ATE0");
  }
  static modem::profile profile(std::initializer_list<std::pair<const char*, const char*>> settings) {
    auto p = *modem::builtin_profile(GetParam());
    for (const auto& [k, v] : settings) EXPECT_EQ(modem::set_profile_field(p, k, v), "");
    return p;
  }
  bool nt35e() const { return std::string(GetParam()) == "nt35e"; }
  /// The nt35e bytes of the appendix, or the ec616s bytes derived from the rules.
  std::string pick(std::string_view nt, std::string_view ec) const { return std::string(nt35e() ? nt : ec); }
  core_harness h;
};

using A16 = Appendix;
TEST_P(A16, RegistrationStatusQueries) {
  EXPECT_EQ(h.exchange("AT+CREG=2"), ok);
  EXPECT_EQ(h.exchange("AT+CREG?"),
            line(pick("+CREG:2,1,\"5A0B\",\"0C1F2E3D\",7", "+CREG: 2,1,\"5A0B\",\"0C1F2E3D\",9")) + ok);
  EXPECT_EQ(h.exchange("AT+CEREG=2"), ok);
  EXPECT_EQ(h.exchange("AT+CEREG?"),
            line(pick("+CEREG:2,1,5A0B,0C1F2E3D,7", "+CEREG: 2,1,\"5A0B\",\"0C1F2E3D\",9")) + ok);
  EXPECT_EQ(h.exchange("AT+CGREG?"), nt35e() ? line("+CGREG:0,1") + ok : error);
  EXPECT_EQ(h.exchange("AT+CEREG=?"), line(pick("+CEREG:(0,1,2,3,4,5)", "+CEREG: (0,1,2,3,4,5)")) + ok);
  EXPECT_EQ(h.exchange("AT+CREG=?"), line(pick("+CREG:(0,1,2,3)", "+CREG: (0,1,2,3)")) + ok);
  EXPECT_EQ(h.exchange("AT+CGREG=?"), nt35e() ? line("+CGREG:(0-2)") + ok : error);
  EXPECT_EQ(h.exchange("AT+CEREG=3"), ok);
  EXPECT_EQ(h.exchange("AT+CEREG?"),
            line(pick("+CEREG:3,1,5A0B,0C1F2E3D,7,,", "+CEREG: 3,1,\"5A0B\",\"0C1F2E3D\",9")) + ok);
  EXPECT_EQ(h.exchange("AT+CREG=0;+CEREG=0"), ok);
}

using A17 = Appendix;
TEST_P(A17, ErrorNumbersAndCmee2Texts) {
  EXPECT_EQ(h.exchange("AT+CEREG=6"), line("+CME ERROR: 50"));
  EXPECT_EQ(h.exchange("AT+CEREG"), line("+CME ERROR: 4"));
  EXPECT_EQ(h.exchange("AT+CSQ?"), error);
  EXPECT_EQ(h.exchange("AT+CMEE=3"), line("+CME ERROR: 4"));
  EXPECT_EQ(h.exchange("AT+CMEE=2"), ok);
  EXPECT_EQ(h.exchange("AT+CGATT=2"), line("+CME ERROR: Incorrect parameters"));
  EXPECT_EQ(h.exchange("AT+CFUN"), line("+CME ERROR: operation not supported"));
  EXPECT_EQ(h.exchange("AT+CMEE"), line("+CME ERROR: unknown error"));
  EXPECT_EQ(h.exchange("AT+CMGF=2"), line("+CMS ERROR: operation not supported"));
  EXPECT_EQ(h.exchange("AT+CMEE=0"), ok);
  EXPECT_EQ(h.exchange("AT+COPS=5"), error);
  EXPECT_EQ(h.exchange("AT+CMEE=1"), ok);
  EXPECT_EQ(h.exchange("AT+CMGF=2"), line("+CMS ERROR: 303"));
  EXPECT_TRUE(h.logged_reason("param.range"));
  EXPECT_NE(h.log_text().find("parameter 1 (mode) is 2"), std::string::npos) << h.log_text();
}

using A18 = Appendix;
TEST_P(A18, OperatorSelectionAndAbsentCommands) {
  EXPECT_EQ(h.exchange("AT+COPS?"), line(pick("+COPS:0,2,\"46000\",7", "+COPS: 0,2,\"46000\",9")) + ok);
  // The format switch is locked only in the reference build (nt35e); ec616s sets it.
  EXPECT_EQ(h.exchange("AT+COPS=3,0"), nt35e() ? line("+CME ERROR: 50") : ok);
  if (nt35e()) {
    EXPECT_TRUE(h.logged_reason("param.locked"));
    EXPECT_NE(h.log_text().find("AT+COPS mode 3 needs a test SIM in this build"), std::string::npos);
  }
  EXPECT_EQ(h.exchange("AT+COPS=1,0,\"CHINA MOBILE\""), line("+CME ERROR: 4"));
  h.send("AT+COPS=?\r");
  h.run_for(ms(2999));
  EXPECT_EQ(h.take_output(), "") << "the answer comes after 3000 ms";
  h.run_for(ms(10));
  EXPECT_EQ(h.take_output(), line(pick("+COPS:(2,,,\"46000\"),,(0-2),(2)",
                                       "+COPS: (2,\"CHINA MOBILE\",\"CMCC\",\"46000\",9),,(0-4),(0-2)")) +
                                 ok);
  EXPECT_EQ(h.exchange("AT+CEER"), ok);
  EXPECT_EQ(h.exchange("AT+CSCS?"), error);
  EXPECT_EQ(h.exchange("AT+CIND=?"), error);
  EXPECT_EQ(h.exchange("AT+GCAP"), error);
  EXPECT_EQ(h.exchange("AT+CLAC"), error);
  EXPECT_TRUE(h.logged_reason("syntax.unknown_command"));
  EXPECT_NE(h.log_text().find("AT+CLAC is not implemented by this firmware"), std::string::npos) << h.log_text();
}

class A19 : public Appendix {
 protected:
  A19() : Appendix({{"msisdn", "13912345678"}}) {}
};
TEST_P(A19, CompactMultiLineAnswersAndLocationFields) {
  EXPECT_EQ(h.exchange("AT+CGDCONT=2,\"IP\",\"test\""), ok);
  EXPECT_EQ(h.exchange("AT+CGACT?"),
            pick("\r\n+CGACT:1,1\r\n+CGACT: 2,0\r\n\r\nOK\r\n", "\r\n+CGACT: 1,1\r\n+CGACT: 2,0\r\n\r\nOK\r\n"));
  EXPECT_EQ(h.exchange("AT+CNUM"),
            pick("\r\n+CNUM:\"\",\"13912345678\",129\r\nOK\r\n", "\r\n+CNUM: \"\",\"13912345678\",129\r\nOK\r\n"));
  EXPECT_EQ(h.exchange("AT+CEREG=2"), ok);
  h.send("AT+CFUN=0\r");
  h.run_for(ms(299));
  EXPECT_EQ(h.take_output(), "") << "OK after 300 ms";
  h.run_for(ms(1));
  EXPECT_EQ(h.take_output(), ok + line(pick("+CEREG:0,0000,00000000,7", "+CEREG: 0")));
  h.send("AT+CFUN=1\r");
  h.run_for(ms(100));
  EXPECT_EQ(h.take_output(), ok + line(pick("+CEREG:2,0000,00000000,7", "+CEREG: 2")));
  h.run_for(ms(1999));
  EXPECT_EQ(h.take_output(), "");
  h.run_for(ms(1));
  EXPECT_EQ(h.take_output(), line(pick("+CEREG:1,5A0B,0C1F2E3D,7", "+CEREG: 1,\"5A0B\",\"0C1F2E3D\",9")));
  EXPECT_EQ(h.exchange("AT+CEREG=0;+CGDCONT=2"), ok);
}

INSTANTIATE_TEST_SUITE_P(Conformance, A16, ::testing::Values("nt35e", "ec616s"));
INSTANTIATE_TEST_SUITE_P(Conformance, A17, ::testing::Values("nt35e", "ec616s"));
INSTANTIATE_TEST_SUITE_P(Conformance, A18, ::testing::Values("nt35e", "ec616s"));
INSTANTIATE_TEST_SUITE_P(Conformance, A19, ::testing::Values("nt35e", "ec616s"));

}  // namespace
}  // namespace nt35e::test
