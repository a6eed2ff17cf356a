// libFuzzer target: arbitrary bytes through the customer-log importer, in automatic
// detection and forced into each format (the first byte picks one: 0x00-0x05, 0x0E-0x12), then to a trace and
// to a scenario; bytes that begin like a pcap or pcapng file go through the capture
// import instead (as `nt35e-sim import` sends them), alone and beside a serial log. Invariants: the trace it writes is
// a valid trace (trace::parse accepts it) and the scenario it writes is one the loader accepts (one place decides what
// a valid scenario is).

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz/fuzz_support.hpp"
#include "scenario/json_loader.hpp"
#include "trace/import_log.hpp"
#include "trace/pcapng.hpp"
#include "trace/trace_file.hpp"

using nt35e::fuzz::violated;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace tr = nt35e::trace;
  if (size == 0) return 0;
  constexpr tr::log_format formats[] = {tr::log_format::automatic,   tr::log_format::plain,
                                        tr::log_format::timestamped, tr::log_format::sscom,
                                        tr::log_format::annotated,   tr::log_format::hex};
  constexpr tr::log_format tools[] = {tr::log_format::teraterm, tr::log_format::putty, tr::log_format::minicom,
                                      tr::log_format::qcom, tr::log_format::csv};
  // Only a first byte of 0x00-0x05 or 0x0E-0x12 forces a format (TAB, LF, CR and the like
  // stay text), so the seed logs are read as a user's file is, in automatic detection,
  // with their first byte kept.
  tr::import_options options;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (data[0] < 6) {
    options.format = formats[data[0]];
    bytes.remove_prefix(1);
  } else if (data[0] >= 0x0E && data[0] < 0x0E + std::size(tools)) {
    options.format = tools[data[0] - 0x0E];
    bytes.remove_prefix(1);
  }
  if (tr::looks_like_capture(bytes)) {
    const auto capture = tr::import_capture(bytes, "fuzz.pcap");
    for (const auto& m : capture.messages) (void)tr::format(m, "fuzz.pcap");
    if (!capture.ok()) return 0;
    for (const auto& result :
         {tr::to_scenario(capture), tr::to_scenario(tr::import_log("AT+ECMTCONN=0\r\nOK\r\n", "fuzz.log"), &capture)}) {
      auto loaded = nt35e::scenario::load_text(result.json, "imported.json");
      if (auto* errors = std::get_if<std::vector<nt35e::scenario::diagnostic>>(&loaded))
        violated("the capture import wrote a scenario that the loader rejects",
                 nt35e::scenario::format(*errors) + result.json);
    }
    return 0;
  }
  const auto log = tr::import_log(bytes, "fuzz.log", options);
  for (const auto& m : log.messages) (void)tr::format(m, "fuzz.log");
  if (!log.ok()) return 0;

  const std::string trace_text = tr::to_trace(log);
  auto parsed = tr::parse(trace_text, "imported.jsonl");
  if (auto* e = std::get_if<tr::load_error>(&parsed))
    violated("the importer wrote a trace that the trace reader rejects", e->message + "\n" + trace_text);

  const auto result = tr::to_scenario(log);
  auto loaded = nt35e::scenario::load_text(result.json, "imported.json");
  if (auto* errors = std::get_if<std::vector<nt35e::scenario::diagnostic>>(&loaded))
    violated("the importer wrote a scenario that the loader rejects", nt35e::scenario::format(*errors) + result.json);
  return 0;
}
