// Log import, step 5: time. Stamps as the logs write them, and the times of placed
// lines: from the stamps (midnight crossings counted, never going back) or, when the log
// has none, made up from the roles.

#include <cctype>
#include <chrono>
#include <cstdio>
#include <vector>

#include "at/text.hpp"
#include "trace/import_detail.hpp"
#include "trace/trace_file.hpp"

namespace nt35e::trace::detail {
namespace {

// Days from 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& value) {
  if (pos + n > s.size()) return false;
  value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    value = value * 10 + (s[i] - '0');
  }
  return true;
}

/// The farthest one dated stamp may lie from the line before before it counts as garbled:
/// a scenario's longest wait.
constexpr std::int64_t max_date_jump_us =
    std::chrono::duration_cast<std::chrono::microseconds>(scenario::max_duration).count();

/// Tera Term's stamp, "Thu Dec 03 10:15:02.123 2026" (its C library's asctime order with
/// milliseconds): the weekday is not checked, the month is by its English name.
std::optional<std::int64_t> parse_teraterm_stamp(std::string_view s) {
  std::vector<std::string_view> words;
  for (std::size_t i = 0; i < s.size();) {
    while (i < s.size() && s[i] == ' ') ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) words.push_back(s.substr(i, j - i));
    i = j;
  }
  static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int year = 0, day = 0;
  if (words.size() != 5 || words[0].size() != 3 || words[4].size() != 4 || !digits(words[4], 0, 4, year) ||
      words[2].size() > 2 || !digits(words[2], 0, words[2].size(), day) || day < 1 || day > 31)
    return std::nullopt;
  unsigned month = 0;
  for (unsigned m = 0; m < 12; ++m)
    if (at::iequals(words[1], months[m])) month = m + 1;
  if (month == 0 || words[3].find(' ') != std::string_view::npos) return std::nullopt;
  bool dated = true;
  auto tod = parse_stamp(words[3], &dated);
  if (!tod || dated) return std::nullopt;
  return days_from_civil(year, month, static_cast<unsigned>(day)) * 86'400'000'000LL + *tod;
}

}  // namespace

std::optional<std::int64_t> parse_stamp(std::string_view s, bool* has_date) {
  s = at::trim(s);
  if (!s.empty() && std::isalpha(static_cast<unsigned char>(s.front()))) {
    auto v = parse_teraterm_stamp(s);
    if (v && has_date) *has_date = true;
    return v;
  }
  std::size_t p = 0;
  std::int64_t day_us = 0;
  bool dated = false;
  int y = 0, mo = 0, d = 0;
  if (s.size() >= 10 && digits(s, 0, 4, y) && (s[4] == '-' || s[4] == '/') && digits(s, 5, 2, mo) && s[7] == s[4] &&
      digits(s, 8, 2, d)) {
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
    if (s.size() < 11 || (s[10] != '_' && s[10] != ' ' && s[10] != 'T')) return std::nullopt;
    p = 11;
    while (p < s.size() && s[p] == ' ') ++p;
    dated = true;
    day_us = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86'400'000'000LL;
  }
  int h = 0, mi = 0, sec = 0;
  std::size_t hl = (p + 1 < s.size() && s[p + 1] == ':') ? 1 : 2;
  if (!digits(s, p, hl, h) || p + hl >= s.size() || s[p + hl] != ':') return std::nullopt;
  p += hl + 1;
  if (!digits(s, p, 2, mi) || p + 2 >= s.size() || s[p + 2] != ':') return std::nullopt;
  p += 3;
  if (!digits(s, p, 2, sec)) return std::nullopt;
  p += 2;
  if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::int64_t frac_us = 0;
  if (p < s.size()) {
    if (s[p] != '.' && s[p] != ':' && s[p] != ',') return std::nullopt;
    ++p;
    std::size_t n = 0;
    std::int64_t v = 0;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9' && n < 9) {
      v = v * 10 + (s[p] - '0');
      ++p;
      ++n;
    }
    if (n == 0 || p != s.size()) return std::nullopt;
    while (n < 6) {
      v *= 10;
      ++n;
    }
    while (n > 6) {
      v /= 10;
      --n;
    }
    frac_us = v;
  }
  if (has_date) *has_date = dated;
  return day_us + ((h * 60LL + mi) * 60LL + sec) * 1'000'000LL + frac_us;
}

std::string clock_text(std::int64_t us) {
  us %= 86'400'000'000LL;
  if (us < 0) us += 86'400'000'000LL;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld.%03lld", static_cast<long long>(us / 3'600'000'000LL),
                static_cast<long long>(us / 60'000'000LL % 60), static_cast<long long>(us / 1'000'000LL % 60),
                static_cast<long long>(us / 1000 % 1000));
  return buf;
}

std::string iso_text(std::int64_t us) {
  std::int64_t days = us / 86'400'000'000LL;
  // civil_from_days
  std::int64_t z = days + 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT", static_cast<long long>(y), m, d);
  return buf + clock_text(us);
}

void assign_times(placed& p, bool timed, std::vector<import_message>& msgs, std::string& started) {
  auto& out = p.lines;
  const auto& src = p.sources;
  if (timed) {
    std::optional<std::int64_t> first, prev;
    constexpr std::int64_t day = 86'400'000'000LL;
    std::int64_t day_base = 0;    // midnight of the last date given
    std::int64_t day_offset = 0;  // days added at midnight crossings since then
    // Stamps with only a time of day before the first date are counted from a day 0 of
    // their own; the first date then joins that count at the next moment its time of day
    // comes (the same day, or the next one when the clock went back past 12 hours), so
    // "[10:15:01] … [2024-05-01_10:15:02]" is one second, not 54 years. `shift` turns a
    // dated stamp into that count (0 when the log starts with a date).
    std::int64_t shift = 0;
    bool dated_yet = false;
    std::optional<std::int64_t> first_dated;  // the first dated stamp and its time in the count
    std::int64_t first_dated_t = 0;
    std::vector<std::optional<std::int64_t>> when(out.size());
    int last_warned = -1;
    for (std::size_t i = 0; i < out.size(); ++i) {
      const auto* e = src[i];
      if (!e->stamp) continue;
      std::int64_t t = 0;
      if (e->stamp_has_date) {
        if (!dated_yet && prev) {
          const std::int64_t tod = *e->stamp % day;
          std::int64_t joined = *prev / day * day + tod;
          if (joined<*prev&& * prev - joined> 12LL * 3600 * 1'000'000) joined += day;
          shift = *e->stamp - joined;
        }
        const std::int64_t jump = prev ? *e->stamp - shift - *prev : 0;
        if (dated_yet && (jump > max_date_jump_us || jump < -max_date_jump_us)) {
          // A date far from the line before is a garbled stamp, not a pause: reading it
          // would make a gap no scenario can wait through (a scenario's longest time).
          msgs.push_back({e->line, message_level::warning,
                          "the date jumps from " + iso_text(*prev + shift) + " to " + iso_text(*e->stamp) +
                              ", more than " + duration_text(scenario::max_duration.count()) +
                              " away from the line before; the stamp is not read (kept at the time of the line "
                              "before)"});
          when[i] = *prev;
          continue;
        }
        dated_yet = true;
        day_base = *e->stamp / day * day - shift;
        day_offset = 0;
        t = *e->stamp - shift;
        if (!first_dated) {
          first_dated = *e->stamp;
          first_dated_t = t;
        }
      } else {
        t = day_base + day_offset + *e->stamp;
      }
      if (prev && t < *prev) {
        if (!e->stamp_has_date && *prev - t > 12LL * 3600 * 1'000'000) {
          day_offset += day;
          t += day;
          msgs.push_back({e->line, message_level::note, "the clock passes midnight here; counted as the next day"});
        }
        if (t < *prev) {
          if (last_warned != e->line)
            msgs.push_back({e->line, message_level::warning,
                            "time " + clock_text(*e->stamp) + " is earlier than the line before (" + clock_text(*prev) +
                                "); kept in log order, at the time of the line before"});
          last_warned = e->line;
          t = *prev;
        }
      }
      if (first && t - *first > max_t_us) {
        // Only a log of a great many midnights gets here; a trace cannot hold it.
        msgs.push_back({e->line, message_level::warning,
                        "time " + clock_text(*e->stamp) + " is more than " + std::to_string(max_t_us / 1'000'000) +
                            " s after the log's first line, later than a trace can reach; kept at the time of the "
                            "line before"});
        t = *prev;
      }
      prev = t;
      when[i] = t;
      if (!first) first = t;
    }
    // The log's start in calendar time, when a date was given (before it, counted back).
    if (first_dated && first) started = iso_text(*first_dated - (first_dated_t - *first));
    // Lines before the first stamp take the first stamp; lines without one, the one before.
    std::int64_t last = first.value_or(0);
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (when[i]) last = *when[i];
      out[i].t_us = last - first.value_or(0);
    }
    return;
  }
  // No times in the log: commands 100 ms apart, answers 5 ms after, URCs 300 ms after.
  std::int64_t t = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i > 0) {
      switch (out[i].role) {
        case line_role::command:
        case line_role::data:
          t += 100'000;
          break;
        case line_role::response:
          // one answer is one write: its lines come together, 5 ms after the command
          if (out[i - 1].role != line_role::response) t += 5'000;
          break;
        case line_role::urc:
          t += 300'000;
          break;
        case line_role::echo:
        case line_role::comment:
          break;
      }
    }
    out[i].t_us = t;
  }
}

}  // namespace nt35e::trace::detail
