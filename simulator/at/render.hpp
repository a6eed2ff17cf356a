#pragma once
// Turning responses and URCs into bytes (spec §2.3–2.5, §2.7).

#include <string>
#include <string_view>
#include <vector>

#include "at/result.hpp"

namespace nt35e::at {

/// compact (nt35e): no space after the first colon; spaced (ec616s): one space.
enum class response_style {
  compact,
  spaced
};

struct render_settings {
  bool verbose = true;  ///< ATV1
  bool quiet = false;   ///< ATQ1: no final result codes, no URCs
  int cmee = 1;
  response_style style = response_style::compact;
};

/// Applies the style to one piece of text (§2.5): the first colon within its first 32
/// characters (leading CR/LF skipped) loses the one space after it in compact style; in
/// spaced style a "+NAME:" piece gets one there if it has none. Later lines of the piece
/// are left alone.
std::string styled(std::string_view piece, response_style style);
/// A sentence for a person (a hint, an explanation) with every response or URC example
/// in it ("+ECMTOPEN:0,0", "+CEREG: 1": a word starting with "+", capitals or digits,
/// then a colon) in `style`, so it shows what this module will write. Final results
/// ("+CME ERROR: 3") are not examples of this kind and stay as they are.
std::string styled_examples(std::string_view text, response_style style);

/// One information block (one command's pieces); continuation pieces are framed
/// "\r\n" + text without a trailing CRLF (§2.3).
std::string render_info(const std::vector<info_line>& lines, const render_settings& s);
/// The final result; empty under ATQ1.
std::string render_final(final_kind kind, const failure& error, const render_settings& s);
/// A URC, always with verbose framing; CR/LF at its ends trimmed first. Empty under ATQ1.
std::string render_urc(std::string_view text, bool fixed, const render_settings& s);
/// The final result as a person reads it in the log ("OK", "+CME ERROR: 3").
std::string final_text(final_kind kind, const failure& error, const render_settings& s);

}  // namespace nt35e::at
