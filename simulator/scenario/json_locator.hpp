#pragma once
// Where things are in a JSON text. nlohmann::json keeps no source positions, so the
// scenario loader scans the text once more with this small scanner, which records, for
// every JSON pointer (RFC 6901, "/rules/2/then/0/action"), where its value starts and,
// for object members, where the key starts. Messages can then say "file:12:7".
//
// Positions are 1-based. A line ends at LF; the column counts code points (UTF-8
// sequences), so "é" is one column and a tab is one column. A UTF-8 byte-order mark
// at the start of the text is not counted.

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace nt35e::scenario {

/// 1-based line and column (code points); {0, 0} means unknown.
struct text_position {
  int line = 0;
  int column = 0;
  [[nodiscard]] bool known() const { return line > 0; }
  friend bool operator==(const text_position&, const text_position&) = default;
};

/// One reference token of a JSON pointer, escaped: "~" -> "~0", "/" -> "~1".
std::string escape_pointer_token(std::string_view token);

class json_locator {
 public:
  /// Scans `text` (a copy is kept for pointer_at).
  explicit json_locator(std::string_view text);

  /// Where the value at `pointer` starts ("" is the whole document). Unknown pointers
  /// answer {0, 0}.
  [[nodiscard]] text_position value(const std::string& pointer) const;
  /// Where the key of the object member at `pointer` starts (its opening quote); for
  /// array elements and the root, where the value starts.
  [[nodiscard]] text_position key(const std::string& pointer) const;
  /// Like value() (or key()), but an unknown pointer falls back to its nearest known
  /// ancestor, so there is always an answer for a well-formed text.
  [[nodiscard]] text_position nearest(const std::string& pointer, bool at_key = false) const;
  /// The position of a byte offset (an offset past the end counts on from the last byte).
  [[nodiscard]] text_position position_of(std::size_t offset) const;
  /// Byte offset of the value (or key) at `pointer`, or npos.
  [[nodiscard]] std::size_t value_offset(const std::string& pointer) const;
  [[nodiscard]] std::size_t key_offset(const std::string& pointer) const;

  /// The pointer of what was being read at byte `offset`, for syntax errors: the member
  /// or element whose value starts there or was expected there, else the innermost
  /// object or array open at that point.
  [[nodiscard]] std::string pointer_at(std::size_t offset) const;

  /// An object key given twice (nlohmann keeps the last one silently).
  struct duplicate {
    std::string pointer;  ///< the member
    text_position first;  ///< where the first key is
    text_position again;  ///< where the repeated key is
  };
  [[nodiscard]] const std::vector<duplicate>& duplicates() const { return duplicates_; }

  /// False when the scanner met a syntax error or nesting deeper than it follows
  /// (positions after that point are unknown).
  [[nodiscard]] bool complete() const { return complete_; }
  /// Where the scanner met the first syntax error (the start of the offending token),
  /// or npos.
  [[nodiscard]] std::size_t error_offset() const { return error_offset_; }

  static constexpr std::size_t npos = std::string_view::npos;

 private:
  friend class json_scanner;
  struct place {
    std::size_t key = npos;    ///< offset of the key's opening quote (members only)
    std::size_t value = npos;  ///< offset of the value's first byte
  };
  std::string text_;  // pointer_at scans again up to its offset
  std::vector<std::size_t> line_starts_;
  /// UTF-8 continuation bytes before each `block`-th byte: a column in O(block).
  static constexpr std::size_t block = 256;
  std::vector<std::size_t> continuations_;
  [[nodiscard]] std::size_t continuations_before(std::size_t offset) const;
  std::unordered_map<std::string, place> places_;
  std::vector<duplicate> duplicates_;
  bool complete_ = true;
  std::size_t error_offset_ = npos;
};

}  // namespace nt35e::scenario
