#include "at/line_discipline.hpp"

#include <cctype>

#include "at/text.hpp"

namespace nt35e::at {

std::optional<line_event> line_discipline::push(unsigned char byte, const line_settings& settings) {
  if (byte == settings.s3) {
    line_event event{overflowed_ ? line_event::kind::too_long : line_event::kind::line,
                     overflowed_ ? std::string{} : std::move(buffer_)};
    reset();
    return event;
  }
  // S4 after S3 or at the start of a line: both mean "nothing buffered yet".
  if (byte == settings.s4 && buffer_.empty() && !overflowed_) return std::nullopt;
  if (byte == settings.s5) {
    if (!buffer_.empty()) buffer_.pop_back();
    return std::nullopt;
  }
  if (overflowed_) return std::nullopt;
  if (buffer_.size() >= max_line) {
    // Keep nothing of an overlong line: it is answered ERROR when its S3 arrives.
    overflowed_ = true;
    buffer_.clear();
    buffer_.shrink_to_fit();
    return std::nullopt;
  }
  buffer_.push_back(static_cast<char>(byte));
  if (buffer_.size() == 2 && to_upper(buffer_[0]) == 'A' && buffer_[1] == '/') {
    buffer_.clear();
    return line_event{line_event::kind::repeat, {}};
  }
  return std::nullopt;
}

void line_discipline::reset() {
  buffer_.clear();
  overflowed_ = false;
}

}  // namespace nt35e::at
