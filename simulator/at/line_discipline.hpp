#pragma once
// Command-mode input: bytes become complete command lines (spec §2.1).
// It knows S3/S4/S5, the 3072-byte limit and the A/ repeat; echo and the
// meaning of a line are the interpreter's business.

#include <cstddef>
#include <optional>
#include <string>

namespace nt35e::at {

struct line_settings {
  unsigned char s3 = 13;  ///< line end
  unsigned char s4 = 10;  ///< ignored directly after S3 and at the start of a line
  unsigned char s5 = 8;   ///< deletes the last buffered byte
};

/// What one byte completed, if anything.
struct line_event {
  enum class kind {
    line,      ///< a line ended with S3; text is its content without S3
    repeat,    ///< "A/": run the previous command line again
    too_long,  ///< a line passed max_line and has now ended; answer ERROR
  };
  kind what;
  std::string text;
};

class line_discipline {
 public:
  static constexpr std::size_t max_line = 3072;

  /// Takes one byte; returns the event it completes.
  std::optional<line_event> push(unsigned char byte, const line_settings& settings);
  /// True while a line has started but not ended (URCs wait, §6.2).
  bool has_partial() const { return !buffer_.empty() || overflowed_; }
  /// Forgets the partial line (reboot, DTE gone).
  void reset();

 private:
  std::string buffer_;
  bool overflowed_ = false;
};

}  // namespace nt35e::at
