// The transcript writer: line format, the fleet's modem prefix, batches that write a
// whole modem call at once, and passwords masked even when split over chunks.

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "io/logger.hpp"
#include "support/pipe_sink.hpp"

namespace nt35e::io {
namespace {

using test::pipe_sink;

TEST(Logger, OneTimestampedLineWithLevelAndPrefix) {
  pipe_sink sink;
  logger log(log_level::info, sink.fd());
  log.log(log_level::info, "plain");
  log.set_prefix("modem 7: ");
  log.log(log_level::warn, "prefixed");
  log.log(log_level::debug, "below the threshold");
  auto out = sink.take();
  EXPECT_TRUE(std::regex_match(out, std::regex("\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d \\[info\\] plain\n"
                                               "\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d \\[warn\\] modem 7: prefixed\n")))
      << out;
}

TEST(Logger, ABatchIsWrittenWhenItsOutermostScopeEnds) {
  pipe_sink sink;
  logger log(log_level::info, sink.fd());
  {
    logger::batch outer(log);
    log.dte_in("AT\r");
    {
      logger::batch inner(log);
      log.dte_out("\r\nOK\r\n");
    }
    EXPECT_EQ(sink.take(), "") << "nothing before the outermost batch ends";
  }
  auto out = sink.take();
  auto in_at = out.find("[info] DTE -> \"AT\\r\"\n");
  auto out_at = out.find("[info] DTE <- \"\\r\\nOK\\r\\n\"\n");
  ASSERT_NE(in_at, std::string::npos) << out;
  ASSERT_NE(out_at, std::string::npos) << out;
  EXPECT_LT(in_at, out_at) << "lines keep their order";
  log.log(log_level::info, "after");
  EXPECT_NE(sink.take().find("after"), std::string::npos) << "no batch open: written at once";
}

TEST(Logger, APasswordSplitOverChunksIsMasked) {
  pipe_sink sink;
  logger log(log_level::info, sink.fd());
  log.dte_in("AT+ECMTCONN=0,\"client\",\"user\",\"sec");
  log.dte_in("ret\"\r");
  auto out = sink.take();
  EXPECT_EQ(out.find("sec"), std::string::npos) << out;
  EXPECT_EQ(out.find("ret"), std::string::npos) << out;
  EXPECT_NE(out.find("\\\"user\\\""), std::string::npos) << "the user name stays: " << out;
}

}  // namespace
}  // namespace nt35e::io
