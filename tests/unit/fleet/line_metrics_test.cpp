// Unit tests of metrics/: the log-scale latency histogram and the line observer
// that times AT command lines and AT+ECMTCONN from the bytes a session passes.

#include <gtest/gtest.h>

#include <chrono>

#include "metrics/line_metrics.hpp"
#include "metrics/summary.hpp"

namespace nt35e::metrics {
namespace {

using namespace std::chrono_literals;
using modem::time_point;

const time_point t0 = time_point{} + 1000s;

TEST(LatencyHistogram, EmptyReportsZero) {
  latency_histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.quantile_us(0.5), 0.0);
  EXPECT_EQ(h.max_us(), 0.0);
  EXPECT_EQ(h.mean_us(), 0.0);
}

TEST(LatencyHistogram, QuantilesWithinABucketAndExactExtremes) {
  latency_histogram h;
  for (int ms = 1; ms <= 100; ++ms) h.record(std::chrono::milliseconds(ms));
  EXPECT_EQ(h.count(), 100u);
  EXPECT_DOUBLE_EQ(h.min_us(), 1000.0);
  EXPECT_DOUBLE_EQ(h.max_us(), 100000.0);
  EXPECT_DOUBLE_EQ(h.mean_us(), 50500.0);
  // Buckets are 2^(1/4) wide: a quantile is at most 19 % above the true value.
  EXPECT_GE(h.quantile_us(0.5), 50000.0);
  EXPECT_LE(h.quantile_us(0.5), 50000.0 * 1.19);
  EXPECT_GE(h.quantile_us(0.99), 99000.0);
  EXPECT_LE(h.quantile_us(0.99), 100000.0);  // never above the max
  EXPECT_LE(h.quantile_us(0.5), h.quantile_us(0.9));
}

TEST(LatencyHistogram, BucketsAreLogScale) {
  EXPECT_EQ(latency_histogram::bucket_of(0.5), 0);
  EXPECT_EQ(latency_histogram::bucket_of(1.0), 0);
  EXPECT_EQ(latency_histogram::bucket_of(2.0), 4);
  EXPECT_EQ(latency_histogram::bucket_of(1024.0), 40);
  EXPECT_EQ(latency_histogram::bucket_of(1e30), latency_histogram::bucket_count - 1);
  for (int b = 1; b < 60; ++b) EXPECT_EQ(latency_histogram::bucket_of(latency_histogram::upper_bound_us(b)), b) << b;
}

TEST(LatencyHistogram, MergeAddsSamples) {
  latency_histogram a, b, empty;
  a.record(2ms);
  b.record(8ms);
  b.record(4ms);
  a.merge(b);
  a.merge(empty);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_DOUBLE_EQ(a.min_us(), 2000.0);
  EXPECT_DOUBLE_EQ(a.max_us(), 8000.0);
  latency_histogram c;
  c.merge(b);
  EXPECT_EQ(c.count(), 2u);
  latency_histogram copy = a;
  EXPECT_EQ(copy.count(), 3u);
  EXPECT_EQ(copy.quantile_us(1.0), a.quantile_us(1.0));
}

TEST(LatencyHistogram, ASpanThatGrowsEitherWayCountsAsIfEveryBucketWereKept) {
  // Only the buckets between the lowest and the highest sample are stored; growing that
  // span down, up, and by merging must give the same answers as recording everything in one.
  latency_histogram a, b, all;
  for (auto d : {100us, 5us, 3000000us, 100us}) {
    a.record(d);
    all.record(d);
  }
  for (auto d : {1us, 40000us, 0us}) {
    b.record(d);
    all.record(d);
  }
  latency_histogram wide = b;
  wide.merge(a);  // a's span inside b's on one side, past it on the other
  a.merge(b);
  for (int bucket = 0; bucket < latency_histogram::bucket_count; ++bucket) {
    EXPECT_EQ(a.count_up_to(bucket), all.count_up_to(bucket)) << bucket;
    EXPECT_EQ(wide.count_up_to(bucket), all.count_up_to(bucket)) << bucket;
  }
  for (double q : {0.1, 0.3, 0.5, 0.7, 0.9, 1.0}) {
    EXPECT_EQ(a.quantile_us(q), all.quantile_us(q)) << q;
    EXPECT_EQ(wide.quantile_us(q), all.quantile_us(q)) << q;
  }
  EXPECT_EQ(a.count(), 7u);
  EXPECT_EQ(a.count_up_to(latency_histogram::bucket_of(5.0) - 1), 2u) << "0 and 1 us";
}

/// Drives a line_metrics as a session would.
struct line {
  line_metrics m;
  std::uint64_t started = 0;
  void in(std::string_view bytes, time_point t) { m.on_input(bytes, t); }
  void out(std::string_view bytes, time_point t, int new_commands = 0) {
    m.on_output(bytes, t);
    started += static_cast<std::uint64_t>(new_commands);
    m.on_commands(started, t);
  }
  void run(time_point t, int new_commands = 0) {
    started += static_cast<std::uint64_t>(new_commands);
    m.on_commands(started, t);
  }
};

TEST(LineMetrics, TimesFromTheCrToTheFinalResult) {
  line l;
  l.in("AT+CSQ\r", t0);
  l.out("AT+CSQ\r", t0, 1);  // the echo; the command line starts
  l.out("\r\n+CSQ:23,99\r\n\r\nOK\r\n", t0 + 5ms);
  ASSERT_EQ(l.m.at_command().count(), 1u);
  EXPECT_DOUBLE_EQ(l.m.at_command().max_us(), 5000.0);
  EXPECT_EQ(l.m.unmatched(), 0u);
}

TEST(LineMetrics, LinesThatWaitedAreTimedFromTheirOwnCr) {
  line l;
  l.in("AT\rAT+CEREG?\r", t0);  // the second waits while the first runs
  l.run(t0, 1);
  l.out("\r\nOK\r\n", t0 + 2ms, 1);  // the first ends, the second starts
  l.out("\r\n+CEREG:0,1\r\n\r\nOK\r\n", t0 + 7ms);
  ASSERT_EQ(l.m.at_command().count(), 2u);
  EXPECT_DOUBLE_EQ(l.m.at_command().min_us(), 2000.0);
  EXPECT_DOUBLE_EQ(l.m.at_command().max_us(), 7000.0);
}

TEST(LineMetrics, ACrThatStartedNothingIsForgotten) {
  line l;
  l.in("\r", t0);  // a blank line
  l.run(t0);
  l.in("AT\r", t0 + 100ms);
  l.run(t0 + 100ms, 1);
  l.out("\r\nERROR\r\n", t0 + 101ms);
  ASSERT_EQ(l.m.at_command().count(), 1u);
  EXPECT_DOUBLE_EQ(l.m.at_command().max_us(), 1000.0);
}

TEST(LineMetrics, TheDataModePromptEndsTheCommandLine) {
  line l;
  l.in("AT+ECMTPUB=0,0,0,0,\"t\"\r", t0);
  l.run(t0, 1);
  l.out("\r\n> ", t0 + 3ms);
  l.in("payload\x1A", t0 + 10ms);
  l.run(t0 + 10ms);
  l.out("\r\nOK\r\n", t0 + 20ms);  // no command line waits for this one
  ASSERT_EQ(l.m.at_command().count(), 1u);
  EXPECT_DOUBLE_EQ(l.m.at_command().max_us(), 3000.0);
}

TEST(LineMetrics, QuietModeLeavesLinesUnmatched) {
  line l;
  l.in("AT\r", t0);
  l.run(t0, 1);
  l.in("AT\r", t0 + 10ms);
  l.run(t0 + 10ms, 1);
  EXPECT_EQ(l.m.at_command().count(), 0u);
  EXPECT_EQ(l.m.unmatched(), 1u);
}

TEST(LineMetrics, ConnectLatencyUntilTheUrc) {
  line l;
  l.in("at+ecmtconn=0,\"c\"\r", t0);
  l.run(t0, 1);
  l.out("\r\nOK\r\n", t0 + 1ms);
  l.out("\r\n+ECMTCONN:0,1\r\n", t0 + 2ms);  // two fields: the read form, not the URC
  EXPECT_EQ(l.m.connect().count(), 0u);
  l.out("\r\n+ECMTCONN: 0,0,0\r\n", t0 + 300ms);
  ASSERT_EQ(l.m.connect().count(), 1u);
  EXPECT_DOUBLE_EQ(l.m.connect().max_us(), 300000.0);
  l.out("\r\n+ECMTCONN:0,0,0\r\n", t0 + 900ms);  // a URC nobody asked for (reconnect)
  EXPECT_EQ(l.m.connect().count(), 1u);
}

TEST(LineMetrics, ARefusedConnectIsNotTimed) {
  line l;
  l.in("AT+ECMTCONN=1\r", t0);
  l.run(t0, 1);
  l.out("\r\n+CME ERROR: 3\r\n", t0 + 1ms);
  l.out("\r\n+ECMTCONN:1,0,0\r\n", t0 + 500ms);
  EXPECT_EQ(l.m.connect().count(), 0u);
  EXPECT_EQ(l.m.at_command().count(), 1u);
}

TEST(ModemMetrics, MergeSumsCountersAndHistograms) {
  line a, b;
  a.in("AT\r", t0);
  a.run(t0, 1);
  a.out("\r\nOK\r\n", t0 + 1ms);
  b.in("AT\r", t0);
  b.run(t0, 1);
  b.out("\r\nOK\r\n", t0 + 3ms);
  modem::snapshot s;
  s.count.commands = 1;
  s.count.urcs = 2;
  s.ecmt.push_back({0, "CONNECTED", "h", 1883, {}});
  auto total = a.m.collect(s, true);
  total.merge(b.m.collect(s, false));
  EXPECT_EQ(total.modems, 2u);
  EXPECT_EQ(total.attached, 1u);
  EXPECT_EQ(total.connected, 2u);
  EXPECT_EQ(total.counters.commands, 2u);
  EXPECT_EQ(total.counters.urcs, 4u);
  EXPECT_EQ(total.at_command.count(), 2u);
  auto text = format_summary(total, true);
  EXPECT_NE(text.find("2 modems"), std::string::npos) << text;
  EXPECT_NE(text.find("AT command"), std::string::npos) << text;
  EXPECT_NE(format_summary(total, false).find("2 commands"), std::string::npos);
}

}  // namespace
}  // namespace nt35e::metrics
