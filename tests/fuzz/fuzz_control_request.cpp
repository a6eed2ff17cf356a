// libFuzzer target: arbitrary bytes through the control channel's protocol without
// sockets: cut into request lines (line_splitter, fed in pieces) and each line parsed
// and checked (parse_request) against limits the first byte picks (fleet or single
// modem, how many modems), and asked whether it is an auth request (parse_auth).
// Invariants: parse_auth and parse_request never throw (a bad request is a
// refusal with a sentence); a checked request names a modem within the limits.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "control/protocol.hpp"
#include "fuzz/fuzz_support.hpp"

using nt35e::fuzz::violated;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace ct = nt35e::control;
  if (size == 0) return 0;
  ct::request_limits limits;
  limits.fleet = data[0] & 1;
  limits.modems = limits.fleet ? 1 + (data[0] >> 1) % 16 : 1;
  limits.max_id = [](std::size_t i) { return i % 2 ? 0 : 4; };
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  // The whole input as one line, whatever it holds (no line end needed).
  auto check = [&](std::string_view line) {
    // The connection asks every line whether it is {"auth": ...} first (a guarded channel).
    try {
      if (auto auth = ct::parse_auth(line); auth && line.find("auth") == std::string_view::npos)
        violated("an auth request without \"auth\"", std::string(line));
    } catch (const std::exception& e) {
      violated("parse_auth threw", std::string(e.what()) + "\n" + std::string(line));
    }
    std::variant<ct::request, ct::refusal> r;
    try {
      r = ct::parse_request(line, limits);
    } catch (const std::exception& e) {
      violated("parse_request threw", std::string(e.what()) + "\n" + std::string(line));
    }
    if (auto* no = std::get_if<ct::refusal>(&r)) {
      if (no->sentence.empty()) violated("a refusal without a sentence", std::string(line));
      return;
    }
    const auto& req = std::get<ct::request>(r);
    if (req.modem && *req.modem >= limits.modems)
      violated("a request for a modem beyond the limits", std::string(line));
    if (auto* f = std::get_if<ct::fleet_request>(&req.body)) {
      if (!limits.fleet) violated("a fleet request outside fleet mode", std::string(line));
      for (auto m : f->candidates)
        if (m >= limits.modems) violated("a fleet candidate beyond the limits", std::string(line));
      if (f->fraction && !(*f->fraction >= 0 && *f->fraction <= 1))
        violated("a fraction outside 0..1", std::string(line));
    }
  };
  check(bytes);

  // The same bytes as a stream, in pieces of 1..16 bytes, as a client sends them.
  ct::line_splitter splitter;
  std::vector<std::string> lines;
  std::size_t piece = 1 + (data[0] % 16);
  for (std::size_t at = 0; at < bytes.size() && !splitter.too_long(); at += piece)
    splitter.feed(bytes.substr(at, piece), lines);
  for (const auto& l : lines) {
    if (l.empty() || l.find('\n') != std::string::npos) violated("the splitter made a blank or multi-line line", l);
    check(l);
  }
  return 0;
}
