#pragma once
// A pipe for a test to hand a file descriptor to (a logger's, say) and read back, without
// blocking, what was written to it so far.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace nt35e::test {

class pipe_sink {
 public:
  pipe_sink() {
    EXPECT_EQ(::pipe(fds_), 0);
    ::fcntl(fds_[0], F_SETFL, O_NONBLOCK);
  }
  ~pipe_sink() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  pipe_sink(const pipe_sink&) = delete;
  pipe_sink& operator=(const pipe_sink&) = delete;

  /// The write end.
  int fd() const { return fds_[1]; }
  /// Everything written since the last take().
  std::string take() {
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds_[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }

 private:
  int fds_[2] = {-1, -1};
};

}  // namespace nt35e::test
