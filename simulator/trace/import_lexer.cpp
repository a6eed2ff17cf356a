// Log import, step 3: decoded lines to entries. Text formats give one entry per line
// (SSCOM's □ cuts more), with its stamp, direction marker and comment; hex dumps collect
// the bytes of one direction and cut them into lines with their exact bytes.

#include "at/text.hpp"
#include "trace/import_detail.hpp"

namespace nt35e::trace::detail {
namespace {

using at::trim_left;
using at::trim_line;

class lexer {
 public:
  lexer(log_format f, bool annotated, std::vector<import_message>& msgs) : f_(f), annotated_(annotated), msgs_(msgs) {}

  std::vector<entry> run(const std::vector<physical_line>& lines) {
    bool seen_putty = false;
    for (const auto& pl : lines) {
      if (!pl.decoded) continue;
      if (trim_line(pl.text).empty()) continue;
      if (f_ == log_format::putty && putty_header(pl.text)) {
        // PuTTY appends each session to the file under a header of its own.
        if (seen_putty)
          msgs_.push_back(
              {pl.number, message_level::note, "PuTTY started another session log here; read on as one session"});
        seen_putty = true;
        continue;
      }
      if (f_ == log_format::hex)
        hex_line(pl);
      else
        text_line(pl);
    }
    if (f_ == log_format::hex) flush_hex();
    return std::move(out_);
  }

 private:
  /// Splits off a trailing comment (annotated logs only).
  std::string strip_comment(std::string_view& content) {
    if (!annotated_) return {};
    auto c = find_comment(content);
    if (c == std::string_view::npos) return {};
    auto text = comment_text(content.substr(c));
    content = trim_line(content.substr(0, c));
    return text.empty() ? std::string("(empty comment)") : text;
  }

  void add_comment(const physical_line& pl, std::optional<std::int64_t> stamp, bool dated, std::string text,
                   bool only) {
    entry e;
    e.line = pl.number;
    e.stamp = stamp;
    e.stamp_has_date = dated;
    e.comment = std::move(text);
    e.comment_only = only;
    out_.push_back(std::move(e));
  }

  void text_line(const physical_line& pl) {
    std::string_view s = pl.text;
    bool dated = false;
    auto stamp = (f_ == log_format::plain || f_ == log_format::putty) ? std::nullopt : take_stamp(s, dated);
    if (f_ == log_format::qcom) {
      // QCOM stamps a received chunk once: its further lines are of the same moment.
      if (stamp) {
        last_stamp_ = stamp;
        last_dated_ = dated;
      } else {
        stamp = last_stamp_;
        dated = last_dated_;
      }
    }
    std::string_view content = s;
    from dir = from::unknown;
    bool marked = false;
    if (f_ == log_format::sscom) {
      content = trim_left(content);
      dir = take_sscom_marker(content);
      marked = dir != from::unknown;
    } else if (f_ == log_format::timestamped) {
      dir = take_text_marker(content);
    }
    auto comment = strip_comment(content);
    if (!comment.empty() && trim_line(content).empty() && !marked) {
      add_comment(pl, stamp, dated, comment, true);
      return;
    }
    // One entry per non-blank piece of the line, all with the line's stamp and direction.
    auto emit = [&](std::string_view piece) {
      const auto t = trim_line(piece);
      if (t.empty()) return;
      entry e;
      e.line = pl.number;
      e.stamp = stamp;
      e.stamp_has_date = dated;
      e.dir = dir;
      e.text = std::string(t);
      out_.push_back(std::move(e));
    };
    if (f_ == log_format::sscom) {
      if (marked) {
        last_dir_ = dir;
        last_stamp_ = stamp;
        last_dated_ = dated;
      } else if (last_dir_ != from::unknown) {
        dir = last_dir_;  // the rest of a received block
        if (!stamp) {
          stamp = last_stamp_;
          dated = last_dated_;
        }
      }
      for (auto& piece : split_boxes(content)) emit(piece);
    } else {
      emit(content);
    }
    if (!comment.empty()) add_comment(pl, stamp, dated, comment, false);
  }

  // Hex dumps: bytes of one direction are collected until the direction changes,
  // then cut into lines with their exact bytes.
  void hex_line(const physical_line& pl) {
    std::string_view s = pl.text;
    bool dated = false;
    auto stamp = take_stamp(s, dated);
    std::string_view content = s;
    auto dir = take_hex_marker(content);
    auto bytes = parse_hex(content);
    std::string comment;
    if (!bytes) {
      if (annotated_) {
        std::string_view c = content;
        comment = strip_comment(c);
        if (!comment.empty() && trim_line(c).empty()) {
          flush_hex();
          add_comment(pl, stamp, dated, comment, true);
          return;
        }
        bytes = parse_hex(c);
      }
    }
    if (!bytes) {
      // A hex dump of nothing but a marker line ("[10:15:02.123] RX:") just sets the direction.
      if (dir != from::unknown && trim_line(content).empty()) {
        if (dir != run_dir_) flush_hex();
        run_dir_ = dir;
        pending_stamp_ = stamp;
        pending_dated_ = dated;
        return;
      }
      msgs_.push_back(
          {pl.number, message_level::error, "cannot place " + shown(trim_line(pl.text)) + ": not hex bytes"});
      return;
    }
    if (dir == from::unknown) dir = run_dir_;
    if (dir != run_dir_ || dir == from::unknown) {
      // An unmarked dump is one stream; a marked one changes stream with the marker.
      if (dir != run_dir_) flush_hex();
    }
    run_dir_ = dir;
    if (!stamp) {
      stamp = pending_stamp_;
      dated = pending_dated_;
    }
    pending_stamp_.reset();
    for (char c : *bytes) run_.push_back({c, pl.number, stamp, dated});
    if (!comment.empty()) {
      flush_hex();
      add_comment(pl, stamp, dated, comment, false);
    }
  }

  void flush_hex() {
    cut_into_lines(run_, run_dir_, out_);
    run_.clear();
  }

  log_format f_;
  bool annotated_;
  std::vector<import_message>& msgs_;
  std::vector<entry> out_;
  from last_dir_ = from::unknown;
  std::optional<std::int64_t> last_stamp_;
  bool last_dated_ = false;
  std::vector<stream_byte> run_;
  from run_dir_ = from::unknown;
  std::optional<std::int64_t> pending_stamp_;
  bool pending_dated_ = false;
};

}  // namespace

void cut_into_lines(const std::vector<stream_byte>& run, from dir, std::vector<entry>& out) {
  std::size_t i = 0;
  while (i < run.size()) {
    std::size_t start = i;
    // leading line ends belong to the line they frame
    while (i < run.size() && (run[i].c == '\r' || run[i].c == '\n')) ++i;
    std::size_t content = i;
    while (i < run.size() && run[i].c != '\r' && run[i].c != '\n') {
      char c = run[i].c;
      ++i;
      if (c == 0x1A || c == 0x1B) break;  // end of a data-mode payload
    }
    std::size_t content_end = i;
    if (i < run.size() && run[i].c == '\r') {
      ++i;
      if (i < run.size() && run[i].c == '\n') ++i;
    } else if (i < run.size() && run[i].c == '\n') {
      ++i;
    }
    entry e;
    std::size_t at = content < run.size() ? content : start;
    e.line = run[at].line;
    e.stamp = run[at].stamp;
    e.stamp_has_date = run[at].dated;
    e.dir = dir;
    std::string text;
    for (std::size_t k = content; k < content_end; ++k) text += run[k].c;
    while (!text.empty() && (text.back() == 0x1A || text.back() == 0x1B)) text.pop_back();
    for (std::size_t k = start; k < i; ++k) e.bytes += run[k].c;
    e.has_bytes = true;
    e.text = bytes_as_text(trim_line(text));
    if (content_end == content && !e.text.empty()) e.text.clear();
    if (e.text.empty()) {
      // Only line ends: glue them to the previous line of the same stream.
      if (!out.empty() && out.back().has_bytes && out.back().dir == dir) out.back().bytes += e.bytes;
      continue;
    }
    e.text = std::string(trim_line(e.text));
    out.push_back(std::move(e));
  }
}

std::vector<entry> lex(const std::vector<physical_line>& lines, log_format f, bool annotated,
                       std::vector<import_message>& msgs) {
  if (f == log_format::csv) return lex_csv(lines, msgs);
  return lexer(f, annotated, msgs).run(lines);
}

}  // namespace nt35e::trace::detail
