#pragma once
// The module answering from a trace (issue 5, item 2): sans-I/O, the same shape as
// engine::interpreter, so the session drives it with bytes and time and carries out
// the actions it returns.
//
// * The module's output before the host's first line (the boot banner) is played at
//   its recorded times (times time_scale) from construction.
// * Host bytes are cut into lines as the module does: CR ends a line, LF before a line
//   is ignored, BS deletes, "A/" is a line by itself; after a data-mode prompt the
//   recorded host sent a payload ending in ^Z or ESC, and so the host is expected to.
//   Empty lines are not matched (the module ignores them; the recording's are dropped).
// * Each host line is matched against the next recorded host line: strict compares the
//   bytes, lenient the command name (text up to '=' or '?', any case); in both the
//   recording may hold "{any}" (any run of bytes). When the trace was recorded with
//   redaction, the host's line is redacted the same way before it is compared.
// * On a match, what followed the recorded line (up to the next recorded host line) is
//   played at the recorded delays after it (times time_scale). Output recorded while
//   the line was being typed (the echo of a host that sends byte by byte) is played as
//   the host types the same bytes, at the recorded delay after each; if the host types
//   otherwise, whatever of it is left comes when the line matches. A recorded echo of the line is replaced by the
//   host's own bytes (they differ in lenient mode, under {any} and where the recording
//   was redacted); beyond that the replayer never echoes by itself.
// * mod>net, net>mod and state events become debug log records at their times
//   (reason "replay.recorded"); every matched line gives a "replay.progress" record.
// * Off script (a different line, or any line after the trace's last one): a warn record
//   with reason "replay.off_script" ("trace line 23 expected AT+ECMTCONN=0 (recorded at
//   2.105 s), the host sent AT+ECMTCONN=1"), then per policy:
//     stop     nothing more is played; later host input is ignored (one note says so);
//     error    "\r\nERROR\r\n" (after an echo of the line when the recording echoed),
//              then the same recorded line is expected again;
//     handover handover_requested() becomes true, nothing more is played, and
//              pending_input() holds the unmatched line and every byte after it.
//
// Thread safety: none; the session owning it calls it from one executor.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modem/action.hpp"
#include "modem/clock.hpp"
#include "trace/recorder.hpp"
#include "trace/trace_file.hpp"

namespace nt35e::trace {

enum class match_mode {
  strict,
  lenient
};
enum class off_script {
  stop,
  error,
  handover
};

std::string_view to_string(match_mode m);  ///< "strict", "lenient"
std::string_view to_string(off_script p);  ///< "stop", "error", "handover"

struct replay_options {
  match_mode match = match_mode::strict;
  off_script policy = off_script::error;
  double time_scale = 1.0;  ///< recorded delays are multiplied by this (0.1 = ten times faster)
};

/// True when `text` matches `pattern`, where "{any}" in the pattern matches any run of bytes.
bool matches_pattern(std::string_view pattern, std::string_view text, bool ignore_case = false);
/// The command name used by lenient matching: the text up to the first '=' or '?',
/// upper case, without trailing blanks ("at+ecmtconn=0" -> "AT+ECMTCONN").
std::string command_name(std::string_view line);

class replayer {
 public:
  /// Starts playing the boot output at `now`. Throws std::invalid_argument when
  /// time_scale is not a positive number.
  replayer(trace t, replay_options o, modem::time_point now);
  ~replayer();
  replayer(const replayer&) = delete;
  replayer& operator=(const replayer&) = delete;

  /// Host bytes.
  modem::actions feed(std::string_view bytes, modem::time_point now);
  /// Plays everything due at or before `now`.
  modem::actions on_timer(modem::time_point now);
  /// When on_timer should be called next; empty when nothing is scheduled.
  std::optional<modem::time_point> next_deadline() const;

  /// Policy handover hit an off-script line: the caller switches to the live or
  /// scripted interpreter and feeds it pending_input().
  bool handover_requested() const;
  /// Every recorded host line was matched and all recorded output played (the caller
  /// may hand over too).
  bool finished() const;
  /// Policy stop hit an off-script line: the replay is dead.
  bool stopped() const;
  /// Host bytes not consumed yet: the unfinished line, or at handover the unmatched
  /// line and everything after it.
  std::string pending_input() const;

  /// Recorded host lines in the trace, and how many have been matched.
  std::size_t script_lines() const;
  std::size_t matched_lines() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace nt35e::trace
