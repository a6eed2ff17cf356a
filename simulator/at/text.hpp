#pragma once
// Text helpers every layer shares: ASCII case, blanks and line ends, UTF-8 checks and
// the one way bytes are shown to a person. AT is ASCII on the wire (spec §2.1), so case
// rules are ASCII only and never depend on the C locale.

#include <cstddef>
#include <string>
#include <string_view>

namespace nt35e::at {

/// Space or tab: what the module skips around parameters (§2.6).
constexpr bool is_blank(char c) { return c == ' ' || c == '\t'; }
/// CR or LF.
constexpr bool is_line_end(char c) { return c == '\r' || c == '\n'; }

/// ASCII upper case of one character; other bytes unchanged.
constexpr char to_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }
/// ASCII lower case of one character; other bytes unchanged.
constexpr char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
/// ASCII upper case of a string.
std::string to_upper(std::string_view s);
/// ASCII lower case of a string.
std::string to_lower(std::string_view s);
/// Equal but for ASCII case.
bool iequals(std::string_view a, std::string_view b);
/// `s` starts with `prefix`, ignoring ASCII case.
bool istarts_with(std::string_view s, std::string_view prefix);
/// Where `needle` first occurs in `hay` from `from`, ignoring ASCII case; npos when absent.
std::size_t ifind(std::string_view hay, std::string_view needle, std::size_t from = 0);

/// Glob match ignoring ASCII case: `*` is any run of bytes, `?` any one byte
/// (scenario triggers such as "+ECMTCONN=*" or "+ECMTSTAT:?,1").
bool glob_match(std::string_view pattern, std::string_view text);

/// Without leading and trailing blanks.
std::string_view trim(std::string_view s);
/// Without leading blanks (a log line's text after its stamp or direction marker).
std::string_view trim_left(std::string_view s);
/// Without leading blanks and trailing blanks, CR and LF (a line as a log shows it).
std::string_view trim_line(std::string_view s);

/// Whether `s` is well-formed UTF-8 (no overlongs, surrogates or code points past
/// U+10FFFF); on failure `*bad_at` (when given) is the offset of the first bad byte.
bool valid_utf8(std::string_view s, std::size_t* bad_at = nullptr);
/// Bytes in the UTF-8 sequence that `lead` starts (1 for ASCII and for stray bytes).
std::size_t utf8_sequence_length(unsigned char lead);

/// How escape_bytes shows what is not printable ASCII.
struct escape_options {
  /// Wrap in double quotes and escape `"`, `\` and TAB (a log field that must read back).
  bool quoted = false;
  /// CR and LF as `\r` `\n`; otherwise as `\x0D` `\x0A` like any control byte.
  bool named_line_ends = true;
  /// What happens to bytes 0x80 and above.
  enum class high_bytes {
    hex,                 ///< always `\xNN`
    keep,                ///< always written as they are (UTF-8 text stays readable)
    keep_if_valid_utf8,  ///< kept when the whole input is valid UTF-8, else `\xNN`
  } high = high_bytes::hex;
  /// Stop once the output is longer than this (0: no limit); the caller sees a result
  /// longer than the limit and adds its own "… (N bytes)".
  std::size_t max_output = 0;
};

/// Bytes for a person: printable ASCII as is, the rest escaped per `options`
/// (`\xNN` with upper-case hex digits).
std::string escape_bytes(std::string_view bytes, const escape_options& options = {});

/// Text for HTML or XML: `& < > " '` as entities (`'` as `&#39;`, valid in both), the rest as is.
std::string markup_escape(std::string_view text);

}  // namespace nt35e::at
