// Loading a scenario: parse the text (a syntax error becomes one positioned
// diagnostic), then let one checker read the scenario, its fleet events and its
// per-modem overrides, and report every problem at once.

#include "scenario/json_loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "scenario/json_detail.hpp"
#include "scenario/json_locator.hpp"

namespace nt35e::scenario {

using json_detail::checker;
using json_detail::json;
using json_detail::quote;
using json_detail::read_modems;
using json_detail::shown;
using json_detail::syntax_message;
using json_detail::to_diagnostics;
using json_detail::unescape_pointer_token;

std::variant<scenario, std::vector<diagnostic>> load_text(std::string_view text, const std::string& file_name) {
  json root;
  try {
    root = json::parse(text.data(), text.data() + text.size());
  } catch (const json::parse_error& e) {
    const json_locator loc(text);
    // nlohmann points at the last byte it read (the end of an unexpected token); the
    // locator's scanner stops at the token's start, which reads better.
    const std::size_t offset = std::min(e.byte > 0 ? e.byte - 1 : 0, loc.error_offset());
    const auto pos = loc.position_of(offset);
    return std::vector<diagnostic>{
        {file_name, pos.line, pos.column, shown(loc.pointer_at(offset)), "invalid JSON: " + syntax_message(e.what())}};
  } catch (const json::exception& e) {
    // A number too large for a double (406): nlohmann gives no position; find the token.
    const json_locator loc(text);
    std::string message = syntax_message(e.what());
    std::size_t offset = 0;
    if (message.rfind("number ", 0) == 0 && message.find(" is too large") != std::string::npos)
      offset = std::min(text.find(message.substr(7, message.find(" is too large") - 7)), text.size());
    const auto pos = loc.position_of(offset);
    return std::vector<diagnostic>{
        {file_name, pos.line, pos.column, shown(loc.pointer_at(offset)), "invalid JSON: " + message}};
  }

  const json_locator loc(text);
  checker c;
  c.loc = &loc;
  scenario s;
  s.file = file_name;
  s.name = std::filesystem::path(file_name).stem().string();
  c.read_scenario(root, s);
  c.read_fleet_events(root, s);
  read_modems(root, loc, c, s);
  for (const auto& d : loc.duplicates())
    c.error(d.pointer,
            "duplicate key " + quote(unescape_pointer_token(d.pointer.substr(d.pointer.rfind('/') + 1))) +
                " (first given at line " + std::to_string(d.first.line) + ", column " + std::to_string(d.first.column) +
                ")",
            true);
  if (!c.problems.empty()) return to_diagnostics(c.problems, loc, file_name);
  return s;
}

std::variant<scenario, std::vector<diagnostic>> load_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return std::vector<diagnostic>{{path, 0, 0, "", "is a directory, not a scenario file"}};
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return std::vector<diagnostic>{{path, 0, 0, "", std::string("cannot open the file: ") + std::strerror(err)}};
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return std::vector<diagnostic>{{path, 0, 0, "", "cannot read the file"}};
  return load_text(buffer.str(), path);
}

}  // namespace nt35e::scenario
