// Log import, step 1: the file's bytes to decoded lines (UTF-8, or GBK as the Chinese
// serial tools write it), and the texts messages quote.

#include <iconv.h>

#include <algorithm>
#include <climits>
#include <cstdio>

#include "at/text.hpp"
#include "trace/import_detail.hpp"

namespace nt35e::trace::detail {

std::optional<std::string> gbk_to_utf8(std::string_view s) { return gbk_to_utf8(s, nullptr); }

std::optional<std::string> gbk_to_utf8(std::string_view s, std::size_t* bad_at) {
  iconv_t cd = iconv_open("UTF-8", "GBK");
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string in(s);
  std::string out(s.size() * 3 + 16, '\0');
  char* inp = in.data();
  std::size_t inleft = in.size();
  char* outp = out.data();
  std::size_t outleft = out.size();
  std::size_t r = iconv(cd, &inp, &inleft, &outp, &outleft);
  bool good = r != static_cast<std::size_t>(-1) && inleft == 0;
  if (!good && bad_at) *bad_at = static_cast<std::size_t>(inp - in.data());
  if (good) good = iconv(cd, nullptr, nullptr, &outp, &outleft) != static_cast<std::size_t>(-1);
  iconv_close(cd);
  if (!good) return std::nullopt;
  out.resize(out.size() - outleft);
  return out;
}

std::vector<physical_line> split_and_decode(std::string_view bytes, std::vector<import_message>& msgs,
                                            int& total_lines) {
  std::vector<physical_line> out;
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
  int number = 1;
  std::size_t start = 0;
  std::vector<int> gbk_lines;
  auto flush_gbk = [&] {
    if (gbk_lines.empty()) return;
    // Runs of consecutive lines become one note.
    std::size_t i = 0;
    while (i < gbk_lines.size()) {
      std::size_t j = i;
      while (j + 1 < gbk_lines.size() && gbk_lines[j + 1] == gbk_lines[j] + 1) ++j;
      if (i == j)
        msgs.push_back({gbk_lines[i], message_level::note, "not valid UTF-8, read as GBK"});
      else
        msgs.push_back({gbk_lines[i], message_level::note,
                        "lines " + std::to_string(gbk_lines[i]) + " to " + std::to_string(gbk_lines[j]) +
                            " are not valid UTF-8, read as GBK"});
      i = j + 1;
    }
    gbk_lines.clear();
  };
  auto add = [&](std::string_view raw, int n) {
    // Lone CRs inside a line break it too (captures of raw module output), same number.
    std::string text;
    std::size_t bad = 0;
    if (at::valid_utf8(raw, &bad)) {
      text = std::string(raw);
    } else if (std::size_t gbad = 0; auto g = gbk_to_utf8(raw, &gbad)) {
      text = *g;
      gbk_lines.push_back(n);
    } else {
      // Name the byte where the reading that got further stopped.
      const std::size_t stop = std::min(std::max(bad, gbad), raw.size() - 1);
      char buf[96];
      std::snprintf(buf, sizeof buf, "byte 0x%02X at byte %zu is invalid in both",
                    static_cast<unsigned char>(raw[stop]), stop + 1);
      msgs.push_back(
          {n, message_level::error, std::string("neither UTF-8 nor GBK: ") + buf + "; the line is left out"});
      out.push_back({n, std::string(raw), false});
      return;
    }
    std::size_t s = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
      if (i == text.size() || text[i] == '\r') {
        out.push_back({n, text.substr(s, i - s), true});
        s = i + 1;
      }
    }
  };
  for (std::size_t i = 0; i <= bytes.size(); ++i) {
    if (i == bytes.size() || bytes[i] == '\n') {
      auto raw = bytes.substr(start, i - start);
      if (i < bytes.size() || !raw.empty()) {
        while (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
        add(raw, number);
      }
      if (i < bytes.size()) ++number;
      start = i + 1;
    }
  }
  total_lines = bytes.empty() ? 0 : (bytes.back() == '\n' ? number - 1 : number);
  flush_gbk();
  return out;
}

/// Text for a message: quoted, control bytes escaped, cut after 60 bytes (UTF-8 kept whole).
std::string shown(std::string_view s) {
  constexpr std::size_t max_shown = 60;
  std::size_t cut = std::min(max_shown, s.size());
  while (cut < s.size() && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) ++cut;  // the rest of a character
  return "\"" + at::escape_bytes(s.substr(0, cut), {.high = at::escape_options::high_bytes::keep}) +
         (cut < s.size() ? "...\"" : "\"");
}

/// Bytes shown as text: UTF-8 as it is (control bytes too), other bytes of 0x80 and
/// above as \xNN.
std::string bytes_as_text(std::string_view s) {
  if (at::valid_utf8(s)) return std::string(s);
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) < 0x80)
      out += s[i];
    else
      out += at::escape_bytes(s.substr(i, 1));
  }
  return out;
}

/// Messages in line order; those about the whole file (line 0) last.
bool by_line(const import_message& a, const import_message& b) {
  auto key = [](int l) { return l == 0 ? INT_MAX : l; };
  return key(a.line) < key(b.line);
}

}  // namespace nt35e::trace::detail
