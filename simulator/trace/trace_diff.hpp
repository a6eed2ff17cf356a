#pragma once
// Two sessions compared on the protocol, not on time (issue 17, item 5; `nt35e-sim report
// --diff A B`): each trace becomes its protocol steps, the steps are aligned with Myers's
// diff (the shortest edit script, so the longest common subsequence), and the first place
// where they part is shown with context, in the terminal and as an HTML side by side.
//
// A step is one line of the DTE side as the report's diagram reads it (messages_of):
//   dte  a line the host sent (a command, or a payload in data mode)
//   mod  a line the module wrote (information text, final result, the prompt, a URC)
// Normalised away (docs/reproduce.md, "Two runs compared"): timestamps, the echo, how the
// bytes were cut into reads, the MQTT side and the core's notes (a customer's log has
// neither), and the fields that differ between runs without meaning anything: the msgID
// of AT+ECMTPUB/SUB/UNS and of their URCs and +ECMTRECV (shown as `*`), the clock of
// AT+CCLK and +CCLK, and the round-trip time of +ECPING. Everything else compares byte for
// byte, so a typographic quote or another return code is a divergence.
//
// Pure text in and out: no clock, no I/O.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trace/trace_file.hpp"

namespace nt35e::trace {

/// One protocol step of a session.
struct step {
  enum class side {
    dte,     ///< the host sent it
    module,  ///< the module wrote it
  };
  side from = side::dte;
  std::string text;       ///< as the trace holds it (one line, bytes that are not UTF-8 as \xNN)
  std::string key;        ///< what is compared: text with the volatile fields masked
  std::int64_t t_us = 0;  ///< when (shown, never compared)
};

/// The trace's protocol steps, in order.
std::vector<step> steps_of(const trace& t);

/// The line as compared: its volatile fields replaced by `*` ("+ECMTPUB:0,17,0" ->
/// "+ECMTPUB:0,*,0"); any other line unchanged.
std::string normalised(std::string_view line);

/// One entry of the alignment: a step of both (same), only of A (gone) or only of B (added).
struct diff_entry {
  enum class kind {
    same,
    only_a,
    only_b,
  };
  kind what = kind::same;
  std::size_t a = 0;  ///< index into A's steps (same, only_a)
  std::size_t b = 0;  ///< index into B's steps (same, only_b)
};

struct diff_result {
  std::vector<diff_entry> entries;  ///< the alignment, in order
  std::size_t hunks = 0;            ///< runs of entries that are not `same`
  std::size_t only_a = 0, only_b = 0;
  bool same() const { return hunks == 0; }
  /// Index into `entries` of the first divergence (entries.size() when same).
  std::size_t first = 0;
};

/// Aligns A's and B's steps on their keys: a longest common subsequence after the common
/// head and tail (trace/lcs: a table while it fits 64 MB, then Myers's O((N+M)D) algorithm
/// in linear space; past its step budget, about a second, steps are matched in order within
/// a window), so two day-long sessions that differ in thousands of places still realign
/// after each.
diff_result diff_steps(const std::vector<step>& a, const std::vector<step>& b);

struct diff_names {
  std::string a, b;  ///< how the two sessions are named (their file names)
};

/// The terminal's view: both names, then the first divergence with `context` steps of
/// each side around it (numbered from 1, with the trace time), `-` for A's, `+` for B's;
/// coloured with ANSI escapes when `colour`; a step both take is shown as A has it. A
/// first place longer than 20 steps shows its first 20 and how many more. Ends with a
/// one-line summary.
std::string render_diff_text(const diff_names& names, const std::vector<step>& a, const std::vector<step>& b,
                             const diff_result& d, bool colour, std::size_t context = 3);

/// The HTML side by side: one self-contained page (the report's styles), a row per
/// alignment entry, divergences highlighted, a link to the first.
std::string render_diff_html(const diff_names& names, const std::vector<step>& a, const std::vector<step>& b,
                             const diff_result& d);

}  // namespace nt35e::trace
