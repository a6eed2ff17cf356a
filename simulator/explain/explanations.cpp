#include "explain/explanations.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <type_traits>

#include "at/text.hpp"

namespace nt35e::explain {
namespace {

/// The rows of a table sorted by `key` whose key is `value`.
template <class Row, class Key>
std::span<const Row> rows_of(std::span<const Row> rows, std::string_view value, Key key) {
  auto [first, last] = std::equal_range(rows.begin(), rows.end(), value, [&](const auto& a, const auto& b) {
    if constexpr (std::is_same_v<std::decay_t<decltype(a)>, Row>)
      return key(a) < b;
    else
      return a < key(b);
  });
  return {first, last};
}

/// The table name of a command: upper case, and "S3" is the S-register command "S".
std::string table_name(std::string_view name) {
  auto upper = at::to_upper(name);
  if (upper.size() > 1 && upper[0] == 'S' &&
      std::all_of(upper.begin() + 1, upper.end(), [](char c) { return c >= '0' && c <= '9'; }))
    upper.resize(1);
  return upper;
}

std::optional<long long> as_integer(std::string_view s) {
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

/// Whether a field fits a row's value: "*" anything, "X*" a prefix, numbers by value, else text (any case).
bool fits(std::string_view field, std::string_view value) {
  if (value == "*") return true;
  if (value.size() > 1 && value.back() == '*') return at::istarts_with(field, value.substr(0, value.size() - 1));
  if (at::iequals(field, value)) return true;
  const auto a = as_integer(field);
  const auto b = as_integer(value);
  return a && b && *a == *b;
}

const error_entry* find_error(std::span<const error_entry> rows, int code) {
  auto it = std::lower_bound(rows.begin(), rows.end(), code, [](const error_entry& e, int c) { return e.code < c; });
  return it != rows.end() && it->code == code ? &*it : nullptr;
}

}  // namespace

std::span<const command_entry> find_command_entries(std::string_view name) {
  return rows_of(command_entries(), table_name(name), [](const command_entry& e) { return e.name; });
}

const explanation* find_command(std::string_view name, at::form f) {
  for (const auto& row : find_command_entries(name))
    if (has_form(row.forms, f)) return &row.text;
  // Every test form asks the same question, known command or not.
  if (f == at::form::test)
    for (const auto& row : rows_of(command_entries(), "*", [](const command_entry& e) { return e.name; }))
      return &row.text;
  return nullptr;
}

std::span<const urc_entry> find_urc_entries(std::string_view name) {
  return rows_of(urc_entries(), at::to_upper(name), [](const urc_entry& e) { return e.name; });
}

const explanation* find_urc(std::string_view name, const std::vector<std::string>& fields) {
  for (const auto& row : find_urc_entries(name)) {
    const auto& when = row.when;
    if (fields.size() < when.min_fields) continue;
    if (when.field == 0) return &row.text;
    const std::string_view field = when.field <= fields.size() ? std::string_view(fields[when.field - 1]) : "";
    if (fits(field, when.value)) return &row.text;
  }
  return nullptr;
}

const explanation* find_result(at::final_result r) { return &result_entries()[static_cast<std::size_t>(r)].text; }

const error_entry* find_cme(int code) { return find_error(cme_entries(), code); }

const error_entry* find_cms(int code) { return find_error(cms_entries(), code); }

const explanation* find_socket_error(std::string_view verbose) {
  const auto text = at::trim_line(verbose);
  for (const auto& row : socket_error_entries())
    if (at::iequals(row.verbose, text)) return &row.text;
  return nullptr;
}

const explanation* find_hint(std::string_view reason, std::string_view command, std::string_view sentence) {
  for (const auto& row : rows_of(hint_entries(), reason, [](const hint_entry& e) { return e.reason; })) {
    if (!row.command.empty() && row.command != command) continue;
    if (!row.parameter.empty() && sentence.find(row.parameter) == std::string_view::npos) continue;
    return &row.text;
  }
  return nullptr;
}

std::string fill(std::string_view text, const std::vector<std::string>& fields) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{' && i + 2 < text.size() && text[i + 1] >= '1' && text[i + 1] <= '9' && text[i + 2] == '}') {
      const auto n = static_cast<std::size_t>(text[i + 1] - '0');
      if (n <= fields.size()) out += fields[n - 1];
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace nt35e::explain
