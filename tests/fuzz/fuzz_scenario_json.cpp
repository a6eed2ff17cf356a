// libFuzzer target: arbitrary text through the scenario loader (JSON syntax, the schema's
// checks, per-modem overrides, positioned diagnostics). Invariants: a rejected file gets
// at least one diagnostic and at most max_diagnostics (+1 for "n more") of them, each with
// a message; an accepted scenario written back out (to_json) loads again.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz/fuzz_support.hpp"
#include "scenario/json_loader.hpp"

using nt35e::fuzz::violated;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sc = nt35e::scenario;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto loaded = sc::load_text(text, "fuzz.json");
  if (auto* errors = std::get_if<std::vector<sc::diagnostic>>(&loaded)) {
    if (errors->empty()) violated("a rejected scenario has no diagnostic", "");
    if (errors->size() > sc::max_diagnostics + 1) violated("too many diagnostics", sc::format(*errors));
    for (const auto& d : *errors)
      if (d.message.empty()) violated("a diagnostic without a message", sc::format(*errors));
    (void)sc::format(*errors);
    return 0;
  }
  const auto& s = std::get<sc::scenario>(loaded);
  const std::string again = sc::to_json(s).dump(2);
  auto reloaded = sc::load_text(again, "fuzz-again.json");
  if (auto* errors = std::get_if<std::vector<sc::diagnostic>>(&reloaded))
    violated("an accepted scenario written out does not load again", sc::format(*errors) + again);
  // Durations are the one hand-written lexer inside the JSON strings.
  std::string why;
  (void)sc::parse_duration(text.substr(0, 64), &why);
  return 0;
}
