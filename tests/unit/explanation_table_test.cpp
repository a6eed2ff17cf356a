// The explanation tables against the spec: every command the spec defines (§4 tables,
// §4.x and §5.x headings) and every URC of §6.1 has an English and a Chinese text, the
// URC table knows every §6.1 URC, the CME texts are §2.7's and the hints use §2.8's
// reason codes. The spec is read from NT35E_SPEC_FILE, so a change there that adds a
// command fails here until the table explains it.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "at/result.hpp"
#include "at/urc_table.hpp"
#include "at/vocabulary.hpp"
#include "explain/explanations.hpp"

namespace nt35e::explain {
namespace {

std::vector<std::string> spec_lines() {
  std::ifstream in(NT35E_SPEC_FILE);
  EXPECT_TRUE(in) << "cannot read the spec " << NT35E_SPEC_FILE;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// The lines from the heading that starts with `first` up to the next heading of the same
/// or a higher level.
std::vector<std::string> section(const std::vector<std::string>& lines, std::string_view first) {
  std::vector<std::string> out;
  std::size_t level = 0;
  bool in_code = false;  // "# comment" lines of a code block are no headings
  for (const auto& line : lines) {
    if (line.rfind("```", 0) == 0) in_code = !in_code;
    if (level == 0) {
      if (!in_code && line.rfind(first, 0) == 0) level = line.find(' ');
      continue;
    }
    const auto hashes = line.find_first_not_of('#');
    if (!in_code && hashes != 0 && hashes != std::string::npos && line[hashes] == ' ' && hashes <= level) break;
    out.push_back(line);
  }
  EXPECT_FALSE(out.empty()) << "no section " << first << " in the spec";
  return out;
}

/// The cells of a table row ("| a | b |" → {"a", "b"}); empty for other lines and separators.
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  if (line.empty() || line[0] != '|' || line.rfind("|---", 0) == 0) return out;
  std::size_t p = 1;
  while (p < line.size()) {
    auto bar = line.find('|', p);
    if (bar == std::string::npos) break;
    auto cell = line.substr(p, bar - p);
    cell.erase(0, cell.find_first_not_of(' '));
    cell.erase(cell.find_last_not_of(' ') + 1);
    out.push_back(cell);
    p = bar + 1;
  }
  return out;
}

/// The `code` spans of a text.
std::vector<std::string> code_spans(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t p = text.find('`'); p != std::string::npos;) {
    auto end = text.find('`', p + 1);
    if (end == std::string::npos) break;
    out.push_back(text.substr(p + 1, end - p - 1));
    p = text.find('`', end + 1);
  }
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper_or_digit(char c) { return (c >= 'A' && c <= 'Z') || is_digit(c); }

/// The command a written command names, as the parser names it: "AT+CREG=?" → "+CREG",
/// "ATE0" → "E", "AT&F" → "&F", "ATS3?" → "S", "AT" → ""; nullopt when it is no command.
std::optional<std::string> command_of(std::string_view written) {
  if (written.rfind("AT", 0) != 0) return std::nullopt;
  written.remove_prefix(2);
  if (written.empty()) return std::string{};
  if (written[0] == '+') {
    std::size_t n = 1;
    while (n < written.size() && is_upper_or_digit(written[n])) ++n;
    return n > 1 ? std::optional(std::string(written.substr(0, n))) : std::nullopt;
  }
  if (written[0] == '&' && written.size() > 1) return std::string(written.substr(0, 2));
  if (written[0] >= 'A' && written[0] <= 'Z') return std::string(1, written[0]);
  return std::nullopt;
}

/// Every "AT+NAME" in a heading.
std::vector<std::string> commands_in_heading(const std::string& line) {
  std::vector<std::string> out;
  for (std::size_t p = line.find("AT+"); p != std::string::npos; p = line.find("AT+", p + 3))
    if (auto name = command_of(std::string_view(line).substr(p))) out.push_back(*name);
  return out;
}

/// The commands the spec defines: the first column of the §4 tables (the §4.4 ones
/// included) and the §4 and §5 headings.
std::set<std::string> spec_commands(const std::vector<std::string>& lines) {
  std::set<std::string> out;
  for (const auto& line : section(lines, "## 4.")) {
    if (line.rfind("#", 0) == 0)
      for (auto& name : commands_in_heading(line)) out.insert(name);
    if (auto row = cells(line); !row.empty())
      for (const auto& span : code_spans(row[0]))
        if (auto name = command_of(span)) out.insert(*name);
  }
  for (const auto& line : section(lines, "## 5."))
    if (line.rfind("#", 0) == 0)
      for (auto& name : commands_in_heading(line)) out.insert(name);
  return out;
}

/// The URCs of the §6.1 table, named by their compact format.
std::set<std::string> spec_urcs(const std::vector<std::string>& lines) {
  std::set<std::string> out;
  for (const auto& line : section(lines, "### 6.1")) {
    auto row = cells(line);
    if (row.size() < 2) continue;
    auto spans = code_spans(row[1]);
    if (spans.empty()) continue;  // the header row
    auto name = at::response_name(spans.front());
    EXPECT_FALSE(name.empty()) << "§6.1 row without a URC name: " << line;
    if (!name.empty()) out.insert(name);
  }
  return out;
}

std::string shown(const std::string& name) { return name.empty() ? "AT (alone)" : "AT" + name; }

bool both_languages(const explanation& e) { return !e.en.empty() && !e.zh.empty(); }

TEST(ExplanationTable, TheSpecParsesIntoCommandsAndUrcs) {
  const auto lines = spec_lines();
  const auto commands = spec_commands(lines);
  for (const char* known :
       {"",           "E",         "V",         "Q",        "I",        "Z",       "&F",       "S",
        "+CMEE",      "+CSQ",      "+CEREG",    "+CREG",    "+CGREG",   "+COPS",   "+CGACT",   "+CEER",
        "+CNUM",      "+CMGF",     "+CPSMS",    "+CEDRXS",  "+ECPING",  "+ECRST",  "+ECMTCFG", "+ECMTOPEN",
        "+ECMTCLOSE", "+ECMTCONN", "+ECMTDISC", "+ECMTSUB", "+ECMTUNS", "+ECMTPUB"})
    EXPECT_TRUE(commands.count(known)) << shown(known) << " was not found in the spec: the parser missed it";
  // §4.4.11 and §5.9 name commands that do not exist; they must not count.
  for (const char* absent : {"+GCAP", "+CLAC", "+QMTOPEN", "+ECMTPUBEX", "+ICCID"})
    EXPECT_FALSE(commands.count(absent)) << absent;
  const auto urcs = spec_urcs(lines);
  for (const char* known : {"ECRDY", "+ECMTOPEN", "+ECMTCONN", "+ECMTRECV", "+CEREG", "+CREG", "+CGREG", "+ECPING"})
    EXPECT_TRUE(urcs.count(known)) << known << " was not found in §6.1";
}

TEST(ExplanationTable, EveryCommandOfTheSpecIsExplainedInBothLanguages) {
  std::vector<std::string> missing;
  for (const auto& name : spec_commands(spec_lines())) {
    const auto rows = find_command_entries(name);
    const bool ok =
        std::any_of(rows.begin(), rows.end(), [](const command_entry& e) { return both_languages(e.text); });
    if (!ok) missing.push_back(shown(name));
  }
  EXPECT_TRUE(missing.empty()) << "commands of the spec without an English and a Chinese explanation: "
                               << ::testing::PrintToString(missing);
}

TEST(ExplanationTable, EveryUrcOfTheSpecIsExplainedInBothLanguages) {
  std::vector<std::string> missing;
  for (const auto& name : spec_urcs(spec_lines())) {
    const auto rows = find_urc_entries(name);
    const bool ok = std::any_of(rows.begin(), rows.end(), [](const urc_entry& e) { return both_languages(e.text); });
    if (!ok) missing.push_back(name);
  }
  EXPECT_TRUE(missing.empty()) << "URCs of §6.1 without an English and a Chinese explanation: "
                               << ::testing::PrintToString(missing);
}

TEST(ExplanationTable, TheUrcTableHasARowForEveryUrcOfTheSpec) {
  std::vector<std::string> missing;
  for (const auto& name : spec_urcs(spec_lines()))
    if (!at::is_module_urc(name)) missing.push_back(name);
  EXPECT_TRUE(missing.empty()) << "URCs of §6.1 missing from at/urc_table.cpp (or marked not emitted): "
                               << ::testing::PrintToString(missing);
}

TEST(ExplanationTable, EveryRowOfTheUrcTableIsExplained) {
  for (const auto& row : at::urc_table()) EXPECT_FALSE(find_urc_entries(row.name).empty()) << row.name;
}

TEST(ExplanationTable, CmeTextsAreThoseOfTheSpec) {
  // §2.7: "| 3 | operation not allowed | 14 | SIM busy |": two number/text pairs per row.
  std::map<int, std::string> spec;
  for (const auto& line : section(spec_lines(), "### 2.7")) {
    const auto row = cells(line);
    for (std::size_t i = 0; i + 1 < row.size(); i += 2)
      if (!row[i].empty() && std::all_of(row[i].begin(), row[i].end(), is_digit)) spec[std::stoi(row[i])] = row[i + 1];
  }
  ASSERT_GE(spec.size(), 10u) << "the §2.7 table did not parse";
  for (const auto& [code, text] : spec) {
    const auto* e = find_cme(code);
    ASSERT_NE(e, nullptr) << "CME " << code << " (" << text << ") has no explanation";
    EXPECT_EQ(at::cme_text(e->code), text) << "CME " << code << ": the CMEE=2 text the module writes";
  }
  EXPECT_EQ(cme_entries().size(), spec.size()) << "a CME number the spec does not list";
}

TEST(ExplanationTable, HintsUseTheReasonCodesOfTheSpec) {
  std::set<std::string> reasons;
  bool in_list = false;
  for (const auto& line : section(spec_lines(), "### 2.8")) {
    if (line.find("Reason codes:") != std::string::npos) in_list = true;
    if (line.find("The sentence names") != std::string::npos) in_list = false;
    if (in_list)
      for (auto& span : code_spans(line)) reasons.insert(span);
  }
  ASSERT_GE(reasons.size(), 20u) << "the §2.8 list did not parse";
  for (const auto& row : hint_entries()) EXPECT_TRUE(reasons.count(std::string(row.reason))) << row.reason;
}

/// The placeholders of a text, "{1}{2}" → {1, 2}.
std::set<char> placeholders(std::string_view text) {
  std::set<char> out;
  for (std::size_t i = 0; i + 2 < text.size(); ++i)
    if (text[i] == '{' && text[i + 2] == '}') out.insert(text[i + 1]);
  return out;
}

bool has_non_ascii(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

void expect_well_formed(const explanation& e, const std::string& where) {
  EXPECT_FALSE(e.en.empty()) << where << ": no English";
  EXPECT_TRUE(has_non_ascii(e.zh)) << where << ": no Chinese";
  EXPECT_EQ(e.spec.rfind("§", 0), 0u) << where << ": the spec section should start with §";
  EXPECT_EQ(placeholders(e.en), placeholders(e.zh)) << where << ": the two languages fill different fields";
}

TEST(ExplanationTable, EveryRowIsWellFormed) {
  std::map<std::string_view, form_set> forms;
  for (const auto& row : command_entries()) {
    expect_well_formed(row.text, "command " + std::string(row.name));
    EXPECT_NE(row.forms, 0u) << row.name;
    EXPECT_EQ(forms[row.name] & row.forms, 0u) << row.name << ": two rows explain the same form";
    forms[row.name] |= row.forms;
  }
  for (const auto& row : urc_entries()) {
    expect_well_formed(row.text, "URC " + std::string(row.name));
    EXPECT_EQ(row.when.field == 0, row.when.value.empty()) << row.name << ": a field condition needs a value";
  }
  // Within one URC name a row without a condition, or with "*", ends the rows that can match.
  for (std::size_t i = 1; i < urc_entries().size(); ++i) {
    const auto& before = urc_entries()[i - 1];
    const auto& row = urc_entries()[i];
    if (before.name != row.name || before.when.min_fields > row.when.min_fields) continue;
    EXPECT_FALSE(before.when.field == 0 || before.when.value == "*") << row.name << ": a row after a catch-all";
  }
  EXPECT_EQ(result_entries().size(), 11u) << "every at::final_result";
  for (const auto& row : result_entries())
    expect_well_formed(row.text, "result " + std::string(at::to_string(row.result)));
  for (const auto& row : cme_entries()) expect_well_formed(row.text, "CME " + std::to_string(row.code));
  for (const auto& row : cms_entries()) expect_well_formed(row.text, "CMS " + std::to_string(row.code));
  for (const auto& row : socket_error_entries()) expect_well_formed(row.text, std::string(row.verbose));
  for (const auto& row : hint_entries()) {
    expect_well_formed(row.text, "hint " + std::string(row.reason));
    EXPECT_EQ(row.text.en.rfind("hint: ", 0), 0u) << row.reason;
    EXPECT_EQ(row.text.zh.rfind("提示：", 0), 0u) << row.reason;
  }
}

}  // namespace
}  // namespace nt35e::explain
