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

/// Applies the style to a "+NAME: value" line: compact drops the one space after the first colon.
std::string styled(std::string_view line, response_style style);

/// One information block (one command's lines).
std::string render_info(const std::vector<info_line>& lines, const render_settings& s);
/// The final result; empty under ATQ1.
std::string render_final(final_kind kind, const failure& error, const render_settings& s);
/// A URC, always with verbose framing; CR/LF at its ends trimmed first. Empty under ATQ1.
std::string render_urc(std::string_view text, bool fixed, const render_settings& s);
/// The final result as a person reads it in the log ("OK", "+CME ERROR: 3").
std::string final_text(final_kind kind, const failure& error, const render_settings& s);

}  // namespace nt35e::at
