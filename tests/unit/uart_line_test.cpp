// The UART between the session's writer and the DTE (io::uart_line): baud pacing,
// fragments and line noise, on a fake clock (it only compares the times it is given).

#include "io/uart_line.hpp"

#include <gtest/gtest.h>

#include <set>

namespace nt35e::test {
namespace {

using namespace std::chrono_literals;
using io::uart_line;

modem::uart_settings baud(int b) { return {b, std::nullopt}; }
modem::uart_settings fragment(std::uint64_t seed) { return {0, seed}; }

/// Writes all of `out` through the line from `t0`, each piece as soon as allowed.
/// Returns the pieces and sets `end` to when the last one was written.
std::vector<std::string> drain(uart_line& line, std::string out, modem::time_point t0, modem::time_point& end) {
  std::vector<std::string> pieces;
  auto now = t0;
  std::size_t guard = 0;
  while (!out.empty() && ++guard < 100000) {
    auto w = line.next_write(out, now);
    EXPECT_GE(w.size, 1u);
    EXPECT_LE(w.size, out.size());
    now = std::max(now, w.at);
    line.commit(w);
    pieces.push_back(out.substr(0, w.size));
    out.erase(0, w.size);
  }
  end = now;
  return pieces;
}

TEST(UartLine, WireTimeIsTenBitsAByte) {
  uart_line l(baud(9600));
  EXPECT_EQ(l.wire_time(960), 1s) << "960 bytes = 9600 bits";
  EXPECT_EQ(uart_line(baud(115200)).wire_time(1000), std::chrono::nanoseconds(86'805'555));
  EXPECT_EQ(uart_line().wire_time(1000), 0s) << "no baud: a pipe";
}

TEST(UartLine, PacedAnswerTakesAsLongAsOnTheWire) {
  uart_line l(baud(9600));
  const auto t0 = modem::time_point{} + 10s;
  modem::time_point end;
  auto pieces = drain(l, std::string(1000, 'x'), t0, end);
  EXPECT_NEAR(std::chrono::duration<double>(end - t0).count(), 1000 * 10 / 9600.0, 1e-6)
      << "1,000 bytes at 9600 baud: 1.0417 s";
  EXPECT_GT(pieces.size(), 100u) << "it trickles out, not in one burst at the end";
  for (const auto& p : pieces) EXPECT_LE(p.size(), 5u) << "about 5 ms of wire time a piece";
}

TEST(UartLine, AnIdleLineStartsAgainFromNow) {
  uart_line l(baud(115200));
  const auto t0 = modem::time_point{} + 10s;
  auto w = l.next_write("OK", t0);
  EXPECT_EQ(w.at, t0 + l.wire_time(2));
  l.commit(w);
  auto later = t0 + 1s;
  w = l.next_write("OK", later);
  EXPECT_EQ(w.at, later + l.wire_time(2)) << "the line was idle: no credit for the quiet time";
}

TEST(UartLine, FragmentsAreOneByteToAWholeLineAndFollowTheSeed) {
  const std::string out = "\r\n+ECMTRECV:0,0,\"t\",0123456789abcdef0123456789abcdef\r\n\r\nOK\r\n";
  auto cuts = [&](std::uint64_t seed) {
    uart_line l(fragment(seed));
    modem::time_point end;
    return drain(l, out, modem::time_point{} + 1s, end);
  };
  auto a = cuts(7), b = cuts(7), c = cuts(8);
  EXPECT_EQ(a, b) << "same seed, same cut points";
  EXPECT_NE(a, c) << "another seed cuts elsewhere";
  std::string joined;
  for (const auto& p : a) {
    joined += p;
    auto lf = p.find('\n');
    EXPECT_TRUE(lf == std::string::npos || lf == p.size() - 1) << "a piece never spans two lines";
  }
  EXPECT_EQ(joined, out);
  EXPECT_GT(a.size(), 4u) << "five lines (the empty ones included) in more pieces than lines";
}

TEST(UartLine, FragmentsWithoutBaudAreSpacedSoEachIsItsOwnRead) {
  uart_line l(fragment(3));
  const auto t0 = modem::time_point{} + 1s;
  auto first = l.next_write("\r\nOK\r\n", t0);
  EXPECT_EQ(first.at, t0) << "an idle line writes the first piece at once";
  l.commit(first);
  auto second = l.next_write(std::string("\r\nOK\r\n").substr(first.size), t0);
  EXPECT_EQ(second.at, t0 + uart_line::fragment_gap);
}

TEST(UartLine, NoiseHitsBytesOnlyInsideItsWindow) {
  uart_line l;
  EXPECT_FALSE(l.shaping());
  const auto t0 = modem::time_point{} + 1s;
  l.add_noise(modem::line_noise{t0, t0 + 2s, false, 50, 9});
  EXPECT_TRUE(l.shaping()) << "output goes piece by piece while noise is pending";
  const std::string clean(200, 'A');
  std::string before = clean, inside = clean, after = clean;
  EXPECT_EQ(l.apply_noise(before, t0 - 1ms), 0u);
  EXPECT_EQ(before, clean);
  auto hit = l.apply_noise(inside, t0 + 1s);
  EXPECT_GT(hit, 50u);
  EXPECT_LT(hit, 150u) << "about half the bytes at 50 %";
  EXPECT_EQ(inside.size(), clean.size()) << "flip mode keeps every byte";
  std::size_t changed = 0;
  for (std::size_t i = 0; i < clean.size(); ++i)
    if (inside[i] != clean[i]) {
      ++changed;
      auto x = static_cast<unsigned char>(inside[i] ^ clean[i]);
      EXPECT_EQ(x & (x - 1), 0) << "exactly one bit flipped";
    }
  EXPECT_EQ(changed, hit);
  EXPECT_EQ(l.apply_noise(after, t0 + 2s), 0u) << "the window is over";
  EXPECT_EQ(after, clean);
  EXPECT_FALSE(l.shaping()) << "a finished burst leaves a plain pipe";
}

TEST(UartLine, DropNoiseLosesBytesReproducibly) {
  const auto t0 = modem::time_point{} + 1s;
  auto run = [&](std::uint64_t seed) {
    uart_line l;
    l.add_noise(modem::line_noise{t0, t0 + 1s, true, 20, seed});
    std::string s(500, 'z');
    l.apply_noise(s, t0);
    return s.size();
  };
  auto kept = run(4);
  EXPECT_LT(kept, 500u);
  EXPECT_GT(kept, 300u);
  EXPECT_EQ(run(4), kept) << "same burst seed, same bytes lost";
}

}  // namespace
}  // namespace nt35e::test
