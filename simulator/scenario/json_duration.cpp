// Times with a unit ("250ms", "1.5s", "2m"): reading them exactly (a whole number of
// milliseconds, at most max_duration) and writing them back in their shortest form.

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "scenario/json_detail.hpp"

namespace nt35e::scenario {

using json_detail::quote;

namespace {

std::optional<duration> parse_unsigned_duration(std::string_view text, std::string_view whole, std::string* error,
                                                bool* malformed) {
  auto fail = [&](std::string why) -> std::optional<duration> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  const std::string q = quote(whole);
  const std::string bad = "expected a time such as \"250ms\" or \"3s\", got " + q;
  std::size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  const std::string_view int_part = text.substr(0, i);
  std::string_view frac_part;
  if (int_part.empty()) return *malformed = true, fail(bad);
  if (i < text.size() && text[i] == '.') {
    const std::size_t start = ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    frac_part = text.substr(start, i - start);
    if (frac_part.empty()) return *malformed = true, fail(bad);
  }
  const std::string_view number = text.substr(0, i);
  const std::string_view unit = text.substr(i);
  if (unit.empty())
    return fail("time " + q + " has no unit; write \"" + std::string(number) + "ms\" or \"" + std::string(number) +
                "s\"");
  std::uint64_t unit_ms = 0;
  if (unit == "ms")
    unit_ms = 1;
  else if (unit == "s")
    unit_ms = 1000;
  else if (unit == "m")
    unit_ms = 60'000;
  else if (unit == "h")
    unit_ms = 3'600'000;
  else if (std::all_of(unit.begin(), unit.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }))
    return fail("time " + q + " has an unknown unit " + quote(unit) + "; use ms, s, m or h");
  else
    return *malformed = true, fail(bad);

  const auto limit = static_cast<std::uint64_t>(max_duration.count());
  const std::string too_long = "time " + q + " is longer than " + format_duration(max_duration);
  std::string_view digits = int_part;
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  if (digits.size() > 12) return fail(too_long);
  std::uint64_t whole_units = 0;
  for (char c : digits) whole_units = whole_units * 10 + static_cast<std::uint64_t>(c - '0');
  if (whole_units > limit / unit_ms) return fail(too_long);
  std::uint64_t ms = whole_units * unit_ms;
  while (!frac_part.empty() && frac_part.back() == '0') frac_part.remove_suffix(1);
  if (!frac_part.empty()) {
    const std::string not_whole = "time " + q + " is not a whole number of milliseconds";
    if (frac_part.size() > 9) return fail(not_whole);
    std::uint64_t frac = 0, scale = 1;
    for (char c : frac_part) {
      frac = frac * 10 + static_cast<std::uint64_t>(c - '0');
      scale *= 10;
    }
    if ((frac * unit_ms) % scale != 0) return fail(not_whole);
    ms += frac * unit_ms / scale;
  }
  if (ms > limit) return fail(too_long);
  return duration(static_cast<duration::rep>(ms));
}

}  // namespace

std::optional<duration> parse_duration(std::string_view text, std::string* error) {
  bool malformed = false;
  if (!text.empty() && text.front() == '-') {
    std::string why;
    (void)parse_unsigned_duration(text.substr(1), text, &why, &malformed);
    if (error) {
      if (malformed)
        *error = "expected a time such as \"250ms\" or \"3s\", got " + quote(text);
      else
        *error = "time " + quote(text) + " is negative";
    }
    return std::nullopt;
  }
  return parse_unsigned_duration(text, text, error, &malformed);
}

std::string format_duration(duration d) {
  const auto ms = d.count();
  if (ms == 0) return "0s";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace nt35e::scenario
