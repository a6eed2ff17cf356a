// The transcript's writer (io/log_writer): lines in order, written at once while the reader
// keeps up, and a reader that never reads: appending never blocks, what does not fit is
// dropped and counted and said once the reader is back, and the writer ends anyway.

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "io/log_writer.hpp"
#include "support/pipe_sink.hpp"

namespace nt35e::io {
namespace {

using namespace std::chrono_literals;
using test::pipe_sink;

TEST(LogWriter, LinesLeaveInOrderAndDrainWaitsForThem) {
  pipe_sink sink;
  log_writer w(sink.fd());
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    const std::string line = "line " + std::to_string(i) + "\n";
    w.append(line);
    expected += line;
  }
  w.drain();
  EXPECT_EQ(sink.take(), expected);
  EXPECT_EQ(w.dropped_lines(), 0u);
}

TEST(LogWriter, WhileTheReaderKeepsUpALineIsWrittenBeforeAppendReturns) {
  // A harness reads the transcript right after the answer a line logs: it must be there.
  pipe_sink sink;
  log_writer w(sink.fd());
  w.append("first\n");
  EXPECT_EQ(sink.take(), "first\n");
  w.append("second\n");
  EXPECT_EQ(sink.take(), "second\n");
}

TEST(LogWriter, AReaderThatNeverReadsNeitherBlocksTheCallerNorLosesLinesSilently) {
  pipe_sink sink;  // 64 KiB of pipe, then nobody reads
  std::optional<log_writer> w(std::in_place, sink.fd());
  const std::string line(99, 'x');
  const std::string text = line + "\n";
  const auto start = std::chrono::steady_clock::now();
  const int lines = static_cast<int>(2 * log_writer::max_buffered / text.size());
  for (int i = 0; i < lines; ++i) w->append(text);
  // Twice the buffer's worth was appended to a pipe that holds 64 KiB: the caller went on.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  const auto dropped = w->dropped_lines();
  EXPECT_GT(dropped, 0u);
  EXPECT_LT(dropped, static_cast<std::uint64_t>(lines));

  // The reader comes back: everything kept arrives, and notices of how many were dropped
  // (one per episode: the writer may say it more than once). Every line is one of those.
  struct tally {
    std::uint64_t whole = 0, said = 0, notices = 0, other = 0;
  };
  auto count = [&](const std::string& out) {
    tally t;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);) {
      const auto at = l.find(" [warn] ");
      if (l == line) {
        ++t.whole;
      } else if (at != std::string::npos && l.ends_with(" were dropped: stderr was not being read")) {
        t.said += std::stoull(l.substr(at + 8));
        ++t.notices;
      } else {
        ++t.other;
      }
    }
    return t;
  };
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (count(out).said < dropped && std::chrono::steady_clock::now() < deadline) {
    out += sink.take();
    std::this_thread::sleep_for(5ms);
  }
  // Lines appended after an episode's notice may still be coming: read until quiet.
  for (auto quiet_since = std::chrono::steady_clock::now();
       std::chrono::steady_clock::now() - quiet_since < 300ms && std::chrono::steady_clock::now() < deadline;) {
    const auto more = sink.take();
    if (!more.empty()) quiet_since = std::chrono::steady_clock::now();
    out += more;
    std::this_thread::sleep_for(5ms);
  }
  const auto t = count(out);
  EXPECT_EQ(t.other, 0u) << "no torn or stray line";
  EXPECT_GE(t.notices, 1u);
  EXPECT_EQ(t.said, dropped) << "the notices add up to the lines dropped";
  EXPECT_EQ(t.whole + t.said, static_cast<std::uint64_t>(lines)) << "every line was written or counted";
}

TEST(LogWriter, EndsWithinItsPatienceWhenTheReaderNeverReads) {
  pipe_sink sink;
  const std::string text(1000, 'y');
  std::optional<log_writer> w(std::in_place, sink.fd());
  for (int i = 0; i < 200; ++i) w->append(text + "\n");  // 200 KB: more than the pipe holds
  const auto start = std::chrono::steady_clock::now();
  w->drain();  // gives up after `patience`
  w.reset();   // likewise, leaving its thread blocked in write(2)
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 2 * log_writer::patience + 2s);
  EXPECT_GE(took, log_writer::patience);
  // The thread left behind still owns its state: reading lets it finish its write and end,
  // before the pipe closes (its descriptor number could else be another test's by then).
  std::size_t read = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (read < 200 * (text.size() + 1) && std::chrono::steady_clock::now() < deadline) {
    read += sink.take().size();
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(read, 200 * (text.size() + 1));
  std::this_thread::sleep_for(50ms);
}

}  // namespace
}  // namespace nt35e::io
