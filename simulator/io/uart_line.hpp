#pragma once
// The module's UART as the DTE sees it, without I/O: when each piece of the output may be
// written (baud pacing), how big it is (fragmenting) and what line noise does to it.
// The session asks it for the next write and arms its own timer for the time it names;
// everything here is a function of the times passed in, so a fake clock tests it.
//
// Thread safety: none; the session's executor owns it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "modem/action.hpp"
#include "modem/clock.hpp"
#include "modem/profile.hpp"

namespace nt35e::io {

class uart_line {
 public:
  using time_point = modem::time_point;
  using duration = std::chrono::nanoseconds;

  /// One pacing step at most this long: a long answer trickles out in pieces of about
  /// this much wire time, as a reader polling the line sees it (chosen).
  static constexpr duration max_slice = std::chrono::milliseconds(5);
  /// Between two fragments when no baud rate paces them: long enough for a reader to see
  /// two read()s (a USB-serial adapter's latency timer is 1-16 ms; chosen).
  static constexpr duration fragment_gap = std::chrono::milliseconds(2);

  explicit uart_line(const modem::uart_settings& settings = {});

  /// True when output is paced, fragmented or may meet noise: the session then writes
  /// piece by piece through next_write() instead of all at once.
  bool shaping() const { return settings_.baud > 0 || settings_.fragment_seed.has_value() || !noise_.empty(); }
  const modem::uart_settings& settings() const { return settings_; }

  /// How long `bytes` bytes take on the wire: 10 bits each (start, 8 data, stop).
  duration wire_time(std::size_t bytes) const;

  struct write {
    std::size_t size = 0;  ///< how many bytes from the front of the waiting output
    time_point at;         ///< when they may be written (their last bit has arrived)
  };
  /// The next piece of `waiting` (not empty), the line being free from `now` on at the
  /// earliest. Consumes randomness: call once per piece, then commit() or forget it.
  write next_write(std::string_view waiting, time_point now);
  /// The piece was written at `w.at`: the line is busy until then.
  void commit(const write& w) { free_at_ = w.at; }

  /// A burst of noise from the core (a scenario's line_noise).
  void add_noise(const modem::line_noise& n);
  /// What noise does to `piece` written at `now`: flipped bits or dropped bytes while a
  /// window is open, nothing outside it. Returns how many bytes were hit.
  std::size_t apply_noise(std::string& piece, time_point now);

  /// Forgets the line's state (a DTE left): the next output starts on an idle line.
  void reset() { free_at_ = {}; }

 private:
  std::uint64_t draw(std::uint64_t n);  ///< 0..n-1 from the fragment generator

  modem::uart_settings settings_;
  // Made on first use: a 64-bit Mersenne Twister holds 2.5 KB of state, and most modems
  // (all of a large fleet's, usually) never fragment their output nor get line noise.
  std::unique_ptr<std::mt19937_64> fragments_;
  std::unique_ptr<std::mt19937_64> noise_rng_;
  time_point free_at_{};
  std::vector<modem::line_noise> noise_;
};

}  // namespace nt35e::io
