#pragma once
// The DTE side of a fleet: one TCP connection per modem of one `nt35e-sim --fleet N`
// process, all driven from one thread with epoll, and the steps that send one command to
// many modems at once and wait for their answers.
//
// Thread safety: none; one thread drives a dte_fleet (a detached line is someone else's).

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bench_common.hpp"

namespace nt35e::bench::fleet {

/// N line-oriented TCP connections to 127.0.0.1:base .. base+N-1.
class dte_fleet {
 public:
  /// Called with a modem's index and one complete non-empty line (without its end).
  using line_handler = std::function<void(std::size_t, std::string_view)>;

  /// Connects to 127.0.0.1:base+i for i in [0, n).
  dte_fleet(int base, std::size_t n);
  ~dte_fleet();
  dte_fleet(const dte_fleet&) = delete;
  dte_fleet& operator=(const dte_fleet&) = delete;

  /// The number of modems.
  [[nodiscard]] std::size_t size() const { return m_.size(); }

  /// Writes `bytes` to modem i; what the socket does not take now goes out later.
  void send(std::size_t i, std::string_view bytes);

  /// One turn: writes pending output, waits up to `timeout` for input, and hands every
  /// complete non-empty line (without its end) to `f`.
  void poll_once(milliseconds timeout, const line_handler& f);

  /// Runs poll_once until `until`, reading (and ignoring, unless `f` is given) every line.
  void run_until(clock::time_point until, const line_handler& f = {});

  /// Hands modem i's line to someone else: stops reading it here and returns a dup of it.
  int detach(std::size_t i);

 private:
  struct line {
    int fd = -1;
    bool dead = false;
    std::string in, out;
  };

  void flush();
  void read_lines(std::size_t i, const line_handler& f);

  std::vector<line> m_;
  std::vector<std::size_t> pending_;  ///< modems with output the socket has not taken yet
  int ep_ = -1;
};

/// The outcome of one command sent to many modems at once.
struct step_result {
  std::vector<char> done;              ///< per modem: OK (and the URC, if one was awaited) came
  std::vector<std::size_t> completed;  ///< those modems, in index order
  std::vector<double> ms;              ///< per completed modem: ms from before the first write
  double all_ms = 0;                   ///< when the last one completed
  std::size_t failed = 0;              ///< ERROR or a URC with another result
  std::string first_failure;           ///< "modem i: <line>"
};

/// Sends `cmd(i)` + CR to every modem in `who` (one after the other, then all waited for
/// together), and waits until each has answered OK and, if `urc` is not empty, sent that
/// URC line. A line that starts like `urc` (up to its first comma) but differs, or an
/// ERROR, is a failure. Lines from other modems, and other lines, go to `other`.
step_result exchange(dte_fleet& f, const std::vector<std::size_t>& who,
                     const std::function<std::string(std::size_t)>& cmd, std::string_view urc,
                     clock::time_point deadline, const dte_fleet::line_handler& other = {});

/// Echo off (ATE0, repeated every 300 ms until OK: the module drops output until it has
/// booted and seen its DTE), then registration (AT+CGATT? until +CGATT:1). Returns the
/// modems that got there; `why` gets the first problem.
std::vector<std::size_t> prepare_all(dte_fleet& f, clock::time_point deadline, std::string& why);

}  // namespace nt35e::bench::fleet
