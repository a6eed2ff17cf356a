// The fuzz dictionaries that come from tables of the code, kept in tests/fuzz/dict/:
//   at_input       every command of the command table in each form it has (AT+X, AT+X?,
//                  AT+X=?, AT+X=), plus the bytes and words the line discipline and the
//                  ECMT family give meaning to;
//   scenario_json  every key the scenario loader knows, at every place, every action name.
// `--write TARGET FILE` writes one; `--check TARGET FILE` fails (exit 1, naming what is
// missing) when the code has a token the file lacks, so no dictionary in the tree can
// fall behind its table.

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "commands/registry.hpp"
#include "scenario/json_loader.hpp"
#include "scenario/scenario.hpp"

namespace {

// Words and bytes outside the table that steer the parser and the ECMT handlers.
const char* const extra_tokens[] = {"\\x0D",
                                    "\\x0A",
                                    "\\x1A",
                                    "\\x1B",
                                    "\\x08",
                                    "\\x00",
                                    "A/",
                                    "AT",
                                    ";",
                                    ",",
                                    "\\\"",
                                    "=",
                                    "?",
                                    "\"keepalive\"",
                                    "\"session\"",
                                    "\"timeout\"",
                                    "\"will\"",
                                    "\"version\"",
                                    "\"aliauth\"",
                                    "\"cloud\"",
                                    "\"echomode\"",
                                    "\"dataformat\"",
                                    "\"ssl\"",
                                    "\"psk\"",
                                    "\"ecc\"",
                                    "\"ca\"",
                                    "\"delay\"",
                                    "\"IP\"",
                                    "\"IPV6\"",
                                    "\"IPV4V6\"",
                                    "\"127.0.0.1\"",
                                    "1883",
                                    "65535",
                                    "65536",
                                    "-1",
                                    "\\xE2\\x80\\x9C",
                                    "\\xE2\\x80\\x9D",
                                    "\\xEF\\xBC\\x8C"};

std::vector<std::string> at_tokens() {
  std::vector<std::string> out;
  for (const auto& c : nt35e::commands::command_table()) {
    // S-registers are "S" in the table and typed as S3, S7=…
    const std::string base = "AT" + std::string(c.name == "S" ? "S3" : c.name);
    if (c.execute) out.push_back(base);
    if (c.read) out.push_back(base + "?");
    if (c.test) out.push_back(base + "=?");
    if (c.write) out.push_back(base + "=");
  }
  for (const char* t : extra_tokens) out.emplace_back(t);
  return out;
}

std::vector<std::string> scenario_tokens() {
  std::vector<std::string> out;
  for (const char* where : {"scenario", "network", "broker", "ping", "ping_host", "delays", "credential", "retained",
                            "reply", "message", "rule", "modem_override", "fleet_event", "oracle"})
    for (const auto& key : nt35e::scenario::known_keys(where)) out.push_back("\\\"" + key + "\\\":");
  for (const auto& name : nt35e::scenario::action_names()) out.push_back("\\\"" + name + "\\\"");
  for (const auto& name : nt35e::scenario::mqtt_event_names()) out.push_back("\\\"" + name + "\\\"");
  for (const auto& name : nt35e::scenario::expect_kind_names()) {
    out.push_back("\\\"" + name + "\\\"");
    for (const auto& key : nt35e::scenario::expect_keys(*nt35e::scenario::expect_kind_from_string(name)))
      out.push_back("\\\"" + key + "\\\":");
  }
  for (const char* t :
       {"\\\"action\\\":", "\\\"kind\\\":", "250ms", "1.5s", "2m", "168h", "true", "false", "null", "{", "}", "[", "]"})
    out.emplace_back(t);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string quoted(const std::string& token) {
  // Tokens above are already in the dictionary's escape syntax except for plain quotes
  // inside command names (there are none), so only the surrounding quotes are added.
  return "\"" + token + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 4 ? argv[1] : "";
  const std::string target = argc == 4 ? argv[2] : "";
  if ((mode != "--write" && mode != "--check") || (target != "at_input" && target != "scenario_json")) {
    std::fprintf(stderr, "usage: %s --write|--check at_input|scenario_json FILE\n", argv[0]);
    return 2;
  }
  const std::string path = argv[3];
  const auto tokens = [&] { return target == "at_input" ? at_tokens() : scenario_tokens(); };
  if (std::string(argv[1]) == "--write") {
    std::ofstream out(path);
    out << "# libFuzzer dictionary for nt35e_fuzz_" << target << ", generated by tests/fuzz/dict_tool.cpp\n"
        << "# (nt35e_fuzz_dict_tool --write " << target << " FILE); ctest fuzz_" << target
        << "_dictionary fails when a token of the code is missing.\n";
    for (const auto& t : tokens()) out << quoted(t) << "\n";
    return out ? 0 : 1;
  }
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "%s: cannot read the dictionary\n", path.c_str());
    return 2;
  }
  std::set<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.insert(line);
  int missing = 0;
  for (const auto& t : tokens())
    if (!lines.count(quoted(t))) {
      std::fprintf(stderr, "%s: missing %s (regenerate with nt35e_fuzz_dict_tool --write %s %s)\n", path.c_str(),
                   quoted(t).c_str(), target.c_str(), path.c_str());
      ++missing;
    }
  std::printf("%s: %zu tokens, %d missing\n", path.c_str(), tokens().size(), missing);
  return missing ? 1 : 0;
}
